/*
 * libvmstate: the QEMU wire format as a visitor.
 *
 * Only how one value or one subsection header looks on the wire lives
 * here; what is sent when is the walk's (walk.c), how a value's bytes
 * convert is leaf.c's.
 */
#include <stdlib.h>
#include <string.h>
#include "vmstate/visitor.h"
#include "vmstate/pack.h"
#include "vmstate/stream.h"
#include "walk.h"
#include "visit_wire.h"

/* ---- output ------------------------------------------------------------ */

typedef struct wire_out {
    vms_visitor v;
    vms_writer *w;
} wire_out;

static int out_leaf(vms_visitor *v, const vms_field *f, void *elem,
                    size_t size)
{
    wire_out *o = (wire_out *)v;
    uint8_t tmp[256];

    if (vms_type_is_bytes(f->type)) {
        return vms_write_bytes(o->w, elem, size, v->err);
    }
    /* Bitmaps can be large: convert them a few words at a time. */
    for (size_t done = 0; done < size;) {
        size_t k = size - done < sizeof(tmp) ? size - done : sizeof(tmp);
        int e;
        vms_leaf_to_wire(f, (const uint8_t *)elem + done, k, tmp);
        if ((e = vms_write_bytes(o->w, tmp, k, v->err))) {
            return e;
        }
        done += k;
    }
    return 0;
}

static int out_null(vms_visitor *v, const vms_field *f)
{
    (void)f;
    return vms_write_u8(((wire_out *)v)->w, VMS_NULLPTR_MARKER, v->err);
}

static int out_sub_begin(vms_visitor *v, const vms_desc *sub,
                         uint32_t *version_id)
{
    wire_out *o = (wire_out *)v;
    int e = vms_write_u8(o->w, VMS_SUBSECTION_MARKER, v->err);

    if (!e) {
        e = vms_write_str8(o->w, sub->name, strlen(sub->name), v->err);
    }
    if (!e) {
        e = vms_write_be32(o->w, *version_id, v->err);
    }
    return e;
}

static const vms_visit_ops wire_out_ops = {
    .leaf = out_leaf,
    .null_elem = out_null,
    .subsection_begin = out_sub_begin,
    .free = vms__visitor_free_plain,
};

vms_visitor *vms_wire_output_new(vms_writer *w, vms_error *err)
{
    if (!w) {
        vms_error_set(err, VMS_EINVAL, "a wire output visitor needs a writer");
        return NULL;
    }
    wire_out *o = (wire_out *)vms__visitor_alloc(sizeof(*o), &wire_out_ops,
                                                false, err);

    if (o) {
        o->w = w;
    }
    return o ? &o->v : NULL;
}

/* ---- input ------------------------------------------------------------- */

typedef struct wire_in {
    vms_visitor v;
    vms_reader *r;
} wire_in;

static int in_leaf(vms_visitor *v, const vms_field *f, void *elem,
                   size_t size)
{
    wire_in *in = (wire_in *)v;
    const uint8_t *p;
    int e;

    if (vms_type_is_bytes(f->type)) {
        return vms_read_bytes(in->r, elem, size, v->err);
    }
    while (size) {
        size_t k = size < VMS_READER_WINDOW ? size : VMS_READER_WINDOW;
        if ((e = vms_read_ptr(in->r, k, &p, v->err))) {
            return e;
        }
        vms_leaf_from_wire(f, p, k, elem);
        elem = (uint8_t *)elem + k;
        size -= k;
    }
    return 0;
}

static int in_null(vms_visitor *v, const vms_field *f)
{
    wire_in *in = (wire_in *)v;
    uint64_t at = vms_reader_offset(in->r);
    uint8_t b;
    int e = vms_read_u8(in->r, &b, v->err);

    (void)f;
    if (!e && b != VMS_NULLPTR_MARKER) {
        vms_error_set_file(v->err, vms_reader_name(in->r));
        e = vms_error_set_at(v->err, VMS_EFORMAT, at,
                             "expected the nullptr marker 0x%02x, got 0x%02x",
                             VMS_NULLPTR_MARKER, b);
    }
    return e;
}

static int in_sub_peek(vms_visitor *v, char name[256])
{
    wire_in *in = (wire_in *)v;
    const uint8_t *p;
    size_t got;
    int e = vms_read_peek(in->r, 2, &p, &got, v->err);

    if (e) {
        return e;
    }
    if (got < 2 || p[0] != VMS_SUBSECTION_MARKER) {
        return 0;
    }
    e = vms_read_peek(in->r, 2u + p[1], &p, &got, v->err);
    if (e) {
        return e;
    }
    if (got < 2u + p[1]) {
        return 0;   /* not a whole header: the caller's next read fails */
    }
    memcpy(name, p + 2, p[1]);
    name[p[1]] = 0;
    return 1;
}

static int in_sub_begin(vms_visitor *v, const vms_desc *sub,
                        uint32_t *version_id)
{
    wire_in *in = (wire_in *)v;
    char name[256];
    uint8_t marker;
    int e;

    (void)sub;
    if ((e = vms_read_u8(in->r, &marker, v->err)) ||
        (e = vms_read_str8(in->r, name, NULL, v->err))) {
        return e;
    }
    return vms_read_be32(in->r, version_id, v->err);
}

static uint64_t in_offset(vms_visitor *v)
{
    return vms_reader_offset(((wire_in *)v)->r);
}

static const vms_visit_ops wire_in_ops = {
    .input_offset = in_offset,
    .leaf = in_leaf,
    .null_elem = in_null,
    .subsection_begin = in_sub_begin,
    .subsection_peek = in_sub_peek,
    .free = vms__visitor_free_plain,
};

vms_visitor *vms_wire_input_new(vms_reader *r, vms_error *err)
{
    if (!r) {
        vms_error_set(err, VMS_EINVAL, "a wire input visitor needs a reader");
        return NULL;
    }
    wire_in *in = (wire_in *)vms__visitor_alloc(sizeof(*in), &wire_in_ops,
                                               true, err);

    if (in) {
        in->r = r;
    }
    return in ? &in->v : NULL;
}

/*
 * Lives with the wire visitor, not the stream reader: the reader must not
 * depend on a visitor (visit_wire.h says what it answers).
 */
int vms__stream_reencodes(vms_stream *s, uint64_t off, uint64_t end,
                          int (*encode)(void *opaque, vms_visitor *out,
                                        vms_error *err),
                          void *opaque, bool *same, vms_error *err)
{
    vms_buf orig = { 0 }, again = { 0 };
    vms_writer *wo = vms_writer_buf(&orig, err);
    vms_writer *wa = vms_writer_buf(&again, err);
    vms_visitor *out = wa ? vms_wire_output_new(wa, err) : NULL;
    int e = wo && out ? 0 : VMS_ENOMEM;

    *same = false;
    if (!e && !(e = vms_stream_copy(s, off, end - off, wo, err)) &&
        !(e = vms_writer_flush(wo, err)) && !(e = encode(opaque, out, err)) &&
        !(e = vms_writer_flush(wa, err))) {
        /* an empty section leaves both buffers NULL: no memcmp then */
        *same = orig.len == again.len &&
                (!orig.len || memcmp(orig.data, again.data, orig.len) == 0);
    }
    vms_visitor_free(out);
    if (wo) {
        vms_writer_close(wo, NULL);
    }
    if (wa) {
        vms_writer_close(wa, NULL);
    }
    vms_buf_free(&orig);
    vms_buf_free(&again);
    return e;
}
