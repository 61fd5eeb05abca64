/*
 * libvmstate: the QEMU wire format as a visitor.
 *
 * Only how one value or one subsection header looks on the wire lives
 * here; what is sent when is the walk's (desc.c).
 */
#include <stdlib.h>
#include <string.h>
#include "vmstate/visitor.h"
#include "internal.h"

/* ---- scalar conversions shared by every visitor ------------------------ */

static uint64_t load_native(const void *elem, size_t size)
{
    switch (size) {
    case 1: { uint8_t x; memcpy(&x, elem, 1); return x; }
    case 2: { uint16_t x; memcpy(&x, elem, 2); return x; }
    case 4: { uint32_t x; memcpy(&x, elem, 4); return x; }
    default: { uint64_t x; memcpy(&x, elem, 8); return x; }
    }
}

static void store_native(void *elem, size_t size, uint64_t v)
{
    switch (size) {
    case 1: { uint8_t x = (uint8_t)v; memcpy(elem, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)v; memcpy(elem, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(elem, &x, 4); break; }
    default: memcpy(elem, &v, 8); break;
    }
}

static void put_be(uint8_t *wire, size_t size, uint64_t v)
{
    for (size_t i = size; i-- > 0; v >>= 8) {
        wire[i] = (uint8_t)v;
    }
}

static uint64_t get_be(const uint8_t *wire, size_t size)
{
    uint64_t v = 0;

    for (size_t i = 0; i < size; i++) {
        v = (v << 8) | wire[i];
    }
    return v;
}

void vms_leaf_to_wire(const vms_field *f, const void *elem, size_t size,
                      uint8_t *wire)
{
    switch (f->type) {
    case VMS_TYPE_BOOL: {
        bool b;
        memcpy(&b, elem, sizeof(b));
        wire[0] = b ? 1 : 0;
        break;
    }
    case VMS_TYPE_BITMAP:
        for (size_t i = 0; i + 8 <= size; i += 8) {
            put_be(wire + i, 8, load_native((const uint8_t *)elem + i, 8));
        }
        break;
    case VMS_TYPE_INT8: case VMS_TYPE_INT16: case VMS_TYPE_INT32:
    case VMS_TYPE_INT64: case VMS_TYPE_UINT8: case VMS_TYPE_UINT16:
    case VMS_TYPE_UINT32: case VMS_TYPE_UINT64: case VMS_TYPE_FLOAT64:
    case VMS_TYPE_TIMER: case VMS_TYPE_INT32_LE:
        /* A double's bits travel as a be64, like every 64-bit integer. */
        put_be(wire, size, load_native(elem, size));
        break;
    default:
        memcpy(wire, elem, size);
        break;
    }
}

void vms_leaf_from_wire(const vms_field *f, const uint8_t *wire, size_t size,
                        void *elem)
{
    switch (f->type) {
    case VMS_TYPE_BOOL: {
        /* QEMU takes any non-zero byte as true; a C bool holds only 0/1. */
        bool b = wire[0] != 0;
        memcpy(elem, &b, sizeof(b));
        break;
    }
    case VMS_TYPE_BITMAP:
        for (size_t i = 0; i + 8 <= size; i += 8) {
            store_native((uint8_t *)elem + i, 8, get_be(wire + i, 8));
        }
        break;
    case VMS_TYPE_INT8: case VMS_TYPE_INT16: case VMS_TYPE_INT32:
    case VMS_TYPE_INT64: case VMS_TYPE_UINT8: case VMS_TYPE_UINT16:
    case VMS_TYPE_UINT32: case VMS_TYPE_UINT64: case VMS_TYPE_FLOAT64:
    case VMS_TYPE_TIMER: case VMS_TYPE_INT32_LE:
        store_native(elem, size, get_be(wire, size));
        break;
    default:
        memcpy(elem, wire, size);
        break;
    }
}

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
    .free = vms_visitor_free_plain,
};

vms_visitor *vms_wire_output_new(vms_writer *w, vms_error *err)
{
    wire_out *o = (wire_out *)vms_visitor_alloc(sizeof(*o), &wire_out_ops,
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
    .free = vms_visitor_free_plain,
};

vms_visitor *vms_wire_input_new(vms_reader *r, vms_error *err)
{
    wire_in *in = (wire_in *)vms_visitor_alloc(sizeof(*in), &wire_in_ops,
                                               true, err);

    if (in) {
        in->r = r;
    }
    return in ? &in->v : NULL;
}
