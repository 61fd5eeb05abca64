/*
 * libvmstate: ASN.1 BER (DER) as a visitor; the module is doc/vmstate.asn1.
 *
 * A walked description becomes a State (name, version, fields,
 * subsections); each field a Field (name, type name, element size,
 * value), so that a document names everything it holds and can be checked
 * against the description it is loaded with. Only how values, arrays,
 * nested states and subsections are spelled lives here; what travels when
 * is the walk's (desc.c).
 *
 * DER needs every length before the content: output builds one top-level
 * State in memory, giving each construction a one-byte length that is
 * widened (content moved up) when it closes. Input reads TLVs from a
 * vms_reader and checks each length against the construction around it,
 * so nothing is read or allocated on a hostile length's word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/visitor.h"
#include "walk.h"
#include "writer.h"
#include "types.h"
#include "ber.h"

/* States inside States: the levels doc/vmstate.asn1 spells out. */
#define BER_MAX_STATES 5

/*
 * How a leaf is encoded (enum vms__value); *raw when elem holds its wire
 * bytes. Leaves of a description built from a vmdesc are untyped bytes
 * (RAW) with QEMU's type name: those names that are integers or bools on
 * the wire, at their size, are encoded as such, so that a real stream's
 * device reads as well as a C-described one.
 */
static int leaf_kind(const vms_field *f, size_t size, bool *is_signed,
                     bool *raw)
{
    const vms__type_info *t = vms__type_of(f->type, false);

    *raw = t && t->bytes;
    *is_signed = t && t->is_signed;
    if (f->type == VMS_TYPE_RAW && f->type_name) {
        const vms__type_info *n = vms__type_named(f->type_name);
        if (n && n->size == size && n->value != VMS__VAL_OCTETS) {
            *is_signed = n->is_signed;
            return n->value;
        }
    }
    return *raw || !t ? VMS__VAL_OCTETS : t->value;
}

/* One level of the walk: a State (fields, then subsections) or an array. */
typedef struct level {
    const vms_desc *d;      /* the State's description (arrays: parent's) */
    bool array;
    bool in_subs;           /* the State's subsections have begun */
    bool wrapped;           /* a Field encloses it */
} level;

/* ---- output ------------------------------------------------------------ */

typedef struct ber_out {
    vms_visitor v;
    vms_writer *w;
    vms_buf buf;
    size_t open[VMS_LIMIT_BER_OPEN];  /* content start of each open one */
    int nopen;
    level lv[VMS_LIMIT_BER_DEPTH];
    int depth;
    bool sub_pending;           /* subsection_begin gave the version */
} ber_out;

static int o_nomem(ber_out *o)
{
    return vms_error_set(o->v.err, VMS_ENOMEM, "out of memory");
}

static int o_put(ber_out *o, const void *p, size_t n)
{
    return vms__buf_append(&o->buf, p, n) ? o_nomem(o) : 0;
}

static int o_tlv(ber_out *o, uint8_t tag, const void *p, size_t n)
{
    return vms__der_tlv(&o->buf, tag, p, n) ? o_nomem(o) : 0;
}

static int o_open(ber_out *o, uint8_t tag)
{
    uint8_t h[2] = { tag, 0 };
    int e;

    if (o->nopen >= VMS_LIMIT_BER_OPEN) {
        return vms_error_set(o->v.err, VMS_ELIMIT,
                             "BER constructions nested deeper than "
                             "VMS_LIMIT_BER_OPEN (%d)", VMS_LIMIT_BER_OPEN);
    }
    if ((e = o_put(o, h, 2))) {
        return e;
    }
    o->open[o->nopen++] = o->buf.len;
    return 0;
}

static int o_close(ber_out *o)
{
    size_t at = o->open[--o->nopen], n = o->buf.len - at, k;
    uint8_t h[9];

    k = vms__der_len(n, h);
    if (k > 1) {
        /* grow by k - 1, then move the content up behind the length */
        if (o_put(o, h, k - 1)) {
            return VMS_ENOMEM;
        }
        memmove(o->buf.data + at + k - 1, o->buf.data + at, n);
    }
    memcpy(o->buf.data + at - 1, h, k);
    return 0;
}

static int o_int_wire(ber_out *o, const uint8_t *wire, size_t size,
                      bool is_signed)
{
    return vms__der_int(&o->buf, wire, size, is_signed) ? o_nomem(o) : 0;
}

static int o_uint(ber_out *o, uint64_t v)
{
    return vms__der_uint(&o->buf, v) ? o_nomem(o) : 0;
}

static int o_str(ber_out *o, const char *s)
{
    return o_tlv(o, VMS__BER_UTF8, s, strlen(s));
}

static level *o_top(ber_out *o)
{
    return o->depth ? &o->lv[o->depth - 1] : NULL;
}

/* A Field header when the value sits among a State's fields. */
static int o_field_begin(ber_out *o, const vms_field *f, bool *wrapped)
{
    level *t = o_top(o);
    char buf[300];
    int e;

    *wrapped = t && !t->array;
    if (!*wrapped) {
        return 0;
    }
    if ((e = o_open(o, VMS__BER_SEQUENCE)) ||
        (e = o_str(o, vms_field_vmdesc_name(t->d, f, buf, sizeof(buf)))) ||
        (e = o_str(o, vms_field_type_name(f))) ||
        (e = o_uint(o, f->size))) {
        return e;
    }
    return 0;
}

static int o_push(ber_out *o, const vms_desc *d, bool array, bool wrapped)
{
    if (o->depth >= VMS_LIMIT_BER_DEPTH) {
        return vms_error_set(o->v.err, VMS_ELIMIT, "nested deeper than "
                             "VMS_LIMIT_BER_DEPTH (%d)", VMS_LIMIT_BER_DEPTH);
    }
    o->lv[o->depth++] = (level){ .d = d, .array = array, .wrapped = wrapped };
    return 0;
}

static int o_value(ber_out *o, const vms_field *f, const void *elem,
                   size_t size)
{
    uint8_t tmp[8];
    bool is_signed, raw;
    int e;

    switch (leaf_kind(f, size, &is_signed, &raw)) {
    case VMS__VAL_BOOL: {
        bool b;
        if (raw && *(const uint8_t *)elem > 1) {
            /* not a bool QEMU writes: its byte, as it is */
            return o_tlv(o, VMS__BER_OCTETS, elem, 1);
        }
        memcpy(&b, elem, sizeof(b));
        tmp[0] = b ? 0xff : 0x00;   /* DER's only TRUE */
        return o_tlv(o, VMS__BER_BOOLEAN, tmp, 1);
    }
    case VMS__VAL_INT:
        if (raw) {
            return o_int_wire(o, elem, size, is_signed);
        }
        vms_leaf_to_wire(f, elem, size, tmp);
        return o_int_wire(o, tmp, size, is_signed);
    case VMS__VAL_OCTETS:
        if (raw) {
            return o_tlv(o, VMS__BER_OCTETS, elem, size);
        }
        /* bitmap words and doubles: their wire form, a piece at a time */
        if ((e = o_open(o, VMS__BER_OCTETS))) {
            return e;
        }
        for (size_t done = 0; done < size;) {
            uint8_t chunk[256];
            size_t k = size - done < sizeof(chunk) ? size - done
                                                   : sizeof(chunk);
            vms_leaf_to_wire(f, (const uint8_t *)elem + done, k, chunk);
            if ((e = o_put(o, chunk, k))) {
                return e;
            }
            done += k;
        }
        /* OCTET STRING is primitive: o_open wrote the tag as given */
        return o_close(o);
    }
    return 0;
}

static int o_leaf(vms_visitor *v, const vms_field *f, void *elem,
                  size_t size)
{
    ber_out *o = (ber_out *)v;
    bool wrapped;
    int e = o_field_begin(o, f, &wrapped);

    if (!e) {
        e = o_value(o, f, elem, size);
    }
    return !e && wrapped ? o_close(o) : e;
}

static int o_null(vms_visitor *v, const vms_field *f)
{
    ber_out *o = (ber_out *)v;
    bool wrapped;
    int e = o_field_begin(o, f, &wrapped);

    if (!e) {
        e = o_tlv(o, VMS__BER_NULL, NULL, 0);
    }
    return !e && wrapped ? o_close(o) : e;
}

static int o_begin_array(vms_visitor *v, const vms_field *f, uint32_t n)
{
    ber_out *o = (ber_out *)v;
    bool wrapped;
    int e = o_field_begin(o, f, &wrapped);

    (void)n;
    if (!e) {
        e = o_open(o, VMS__BER_ARRAY);
    }
    return e ? e : o_push(o, o_top(o) ? o_top(o)->d : NULL, true, wrapped);
}

static int o_end_array(vms_visitor *v, const vms_field *f)
{
    ber_out *o = (ber_out *)v;
    level *t = &o->lv[--o->depth];
    int e = o_close(o);

    (void)f;
    return !e && t->wrapped ? o_close(o) : e;
}

static int o_states(const ber_out *o)
{
    int n = 0;

    for (int i = 0; i < o->depth; i++) {
        n += !o->lv[i].array;
    }
    return n;
}

static int o_begin_desc(vms_visitor *v, const vms_desc *d,
                        const vms_field *f, int version_id)
{
    ber_out *o = (ber_out *)v;
    bool wrapped = false;
    int e;

    if (!f && !o->sub_pending) {
        /* a new walk: nothing of one that failed half-way remains */
        o->depth = 0;
        o->nopen = 0;
        o->buf.len = 0;
    }
    o->sub_pending = false;
    if (f) {
        if ((e = o_field_begin(o, f, &wrapped)) ||
            (e = o_open(o, VMS__BER_STRUCT))) {
            return e;
        }
    } else if ((e = o_open(o, VMS__BER_SEQUENCE))) {
        return e;
    }
    if (o_states(o) >= BER_MAX_STATES) {
        return vms_error_set(v->err, VMS_ELIMIT, "%s: states nested deeper "
                             "than the %d levels of doc/vmstate.asn1",
                             d->name, BER_MAX_STATES);
    }
    if ((e = o_str(o, d->name)) ||
        (e = o_uint(o, (uint64_t)(uint32_t)version_id)) ||
        (e = o_open(o, VMS__BER_SEQUENCE))) {
        return e;
    }
    return o_push(o, d, false, wrapped);
}

static int o_sub_begin(vms_visitor *v, const vms_desc *sub,
                       uint32_t *version_id)
{
    ber_out *o = (ber_out *)v;
    level *t = o_top(o);
    int e;

    (void)sub;
    (void)version_id;
    o->sub_pending = true;
    if (t && !t->in_subs) {
        /* the parent's fields end, its subsections begin */
        t->in_subs = true;
        if ((e = o_close(o)) || (e = o_open(o, VMS__BER_SEQUENCE))) {
            return e;
        }
    }
    return 0;
}

static int o_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    ber_out *o = (ber_out *)v;
    level t = o->lv[--o->depth];
    int e;

    (void)d;
    (void)f;
    /* fields (or subsections), then an empty subsection list if none */
    if ((e = o_close(o))) {
        return e;
    }
    if (!t.in_subs && (e = o_tlv(o, VMS__BER_SEQUENCE, NULL, 0))) {
        return e;
    }
    if ((e = o_close(o))) {
        return e;
    }
    if (t.wrapped && (e = o_close(o))) {
        return e;
    }
    if (o->depth == 0) {
        e = vms_write_bytes(o->w, o->buf.data, o->buf.len, v->err);
        o->buf.len = 0;
    }
    return e;
}

static void o_free(vms_visitor *v)
{
    ber_out *o = (ber_out *)v;

    vms_buf_free(&o->buf);
    free(o);
}

static const vms_visit_ops ber_out_ops = {
    .begin_desc = o_begin_desc,
    .end_desc = o_end_desc,
    .begin_array = o_begin_array,
    .end_array = o_end_array,
    .leaf = o_leaf,
    .null_elem = o_null,
    .subsection_begin = o_sub_begin,
    .free = o_free,
};

vms_visitor *vms_ber_output_new(vms_writer *w, vms_error *err)
{
    if (!w) {
        vms_error_set(err, VMS_EINVAL, "a BER output visitor needs a writer");
        return NULL;
    }
    ber_out *o = (ber_out *)vms__visitor_alloc(sizeof(*o), &ber_out_ops,
                                              false, err);

    if (o) {
        o->w = w;
    }
    return o ? &o->v : NULL;
}

/* ---- input ------------------------------------------------------------- */

typedef struct ber_in {
    vms_visitor v;
    vms__ber_rd rd;
    level lv[VMS_LIMIT_BER_DEPTH];
    int depth;
    bool sub_pending;
} ber_in;

/* The walk sets v->err per walk: the TLV reader reports there too. */
static ber_in *in_of(vms_visitor *v)
{
    ber_in *in = (ber_in *)v;

    in->rd.err = v->err;
    return in;
}

static level *i_top(ber_in *in)
{
    return in->depth ? &in->lv[in->depth - 1] : NULL;
}

/* The Field header, checked against f; *wrapped when there is one. */
static int i_field_begin(ber_in *in, const vms_field *f, bool *wrapped)
{
    level *t = i_top(in);
    char want[300], got[256];
    const char *name;
    uint64_t at, size;
    int e;

    *wrapped = t && !t->array;
    if (!*wrapped) {
        return 0;
    }
    if ((e = vms__ber_rd_open(&in->rd, VMS__BER_SEQUENCE))) {
        return e;
    }
    name = vms_field_vmdesc_name(t->d, f, want, sizeof(want));
    at = vms_reader_offset(in->rd.r);
    if ((e = vms__ber_rd_str(&in->rd, got))) {
        return e;
    }
    if (strcmp(got, name) != 0) {
        return vms__ber_rd_fail(&in->rd, VMS_EMISMATCH, at, "field \"%s\" "
                                "where the description has \"%s\"", got, name);
    }
    at = vms_reader_offset(in->rd.r);
    if ((e = vms__ber_rd_str(&in->rd, got))) {
        return e;
    }
    if (strcmp(got, vms_field_type_name(f)) != 0) {
        return vms__ber_rd_fail(&in->rd, VMS_EMISMATCH, at,
                                "type \"%s\" where the description has \"%s\"",
                                got, vms_field_type_name(f));
    }
    at = vms_reader_offset(in->rd.r);
    if ((e = vms__ber_rd_uint(&in->rd, &size))) {
        return e;
    }
    if (size != f->size) {
        return vms__ber_rd_fail(&in->rd, VMS_EMISMATCH, at,
                                "size %llu where the description has %zu",
                                (unsigned long long)size, f->size);
    }
    return 0;
}

static int i_push(ber_in *in, const vms_desc *d, bool array, bool wrapped)
{
    if (in->depth >= VMS_LIMIT_BER_DEPTH) {
        return vms__ber_rd_fail(&in->rd, VMS_ELIMIT,
                                vms_reader_offset(in->rd.r), "nested deeper "
                                "than VMS_LIMIT_BER_DEPTH (%d)",
                                VMS_LIMIT_BER_DEPTH);
    }
    in->lv[in->depth++] = (level){ .d = d, .array = array,
                                   .wrapped = wrapped };
    return 0;
}

static int i_value(ber_in *in, const vms_field *f, void *elem, size_t size)
{
    uint64_t at = vms_reader_offset(in->rd.r), len;
    uint8_t tmp[8];
    const uint8_t *p;
    bool is_signed, raw;
    size_t got;
    int e;

    switch (leaf_kind(f, size, &is_signed, &raw)) {
    case VMS__VAL_BOOL:
        if (raw && !vms_read_peek(in->rd.r, 1, &p, &got, in->v.err) &&
            got && p[0] == VMS__BER_OCTETS) {
            goto octets;    /* a byte other than 0 and 1 */
        }
        if ((e = vms__ber_rd_header(&in->rd, VMS__BER_BOOLEAN, NULL, &len))) {
            return e;
        }
        if (len != 1) {
            return vms__ber_rd_fail(&in->rd, VMS_EFORMAT, at,
                                    "BOOLEAN of %llu bytes",
                                    (unsigned long long)len);
        }
        if ((e = vms_read_u8(in->rd.r, tmp, in->v.err))) {
            return e;
        }
        tmp[0] = tmp[0] != 0;   /* TRUE is 0xff in DER, 1 on the wire */
        vms_leaf_from_wire(f, tmp, 1, elem);
        return 0;
    case VMS__VAL_INT:
        if (raw) {
            return vms__ber_rd_int(&in->rd, elem, size, is_signed);
        }
        if ((e = vms__ber_rd_int(&in->rd, tmp, size, is_signed))) {
            return e;
        }
        vms_leaf_from_wire(f, tmp, size, elem);
        return 0;
    case VMS__VAL_OCTETS:
    octets:
        if ((e = vms__ber_rd_header(&in->rd, VMS__BER_OCTETS, NULL, &len))) {
            return e;
        }
        if (len != size) {
            return vms__ber_rd_fail(&in->rd, VMS_EMISMATCH, at,
                                    "%llu bytes where the description has %zu",
                                    (unsigned long long)len, size);
        }
        if (raw) {
            return vms_read_bytes(in->rd.r, elem, size, in->v.err);
        }
        while (size) {
            size_t k = size < VMS_READER_WINDOW ? size : VMS_READER_WINDOW;
            if ((e = vms_read_ptr(in->rd.r, k, &p, in->v.err))) {
                return e;
            }
            vms_leaf_from_wire(f, p, k, elem);
            elem = (uint8_t *)elem + k;
            size -= k;
        }
        return 0;
    }
    return 0;
}

static int i_leaf(vms_visitor *v, const vms_field *f, void *elem,
                  size_t size)
{
    ber_in *in = in_of(v);
    bool wrapped;
    int e = i_field_begin(in, f, &wrapped);

    if (!e) {
        e = i_value(in, f, elem, size);
    }
    return !e && wrapped ? vms__ber_rd_close(&in->rd, "a field") : e;
}

static int i_null(vms_visitor *v, const vms_field *f)
{
    ber_in *in = in_of(v);
    uint64_t len;
    bool wrapped;
    int e = i_field_begin(in, f, &wrapped);

    if (!e) {
        uint64_t at = vms_reader_offset(in->rd.r);
        e = vms__ber_rd_header(&in->rd, VMS__BER_NULL, NULL, &len);
        if (!e && len) {
            e = vms__ber_rd_fail(&in->rd, VMS_EFORMAT, at,
                                 "NULL with content");
        }
    }
    return !e && wrapped ? vms__ber_rd_close(&in->rd, "a field") : e;
}

static int i_begin_array(vms_visitor *v, const vms_field *f, uint32_t n)
{
    ber_in *in = in_of(v);
    bool wrapped;
    int e = i_field_begin(in, f, &wrapped);

    (void)n;    /* fewer elements fail at the next read, more at the end */
    if (!e) {
        e = vms__ber_rd_open(&in->rd, VMS__BER_ARRAY);
    }
    return e ? e : i_push(in, i_top(in) ? i_top(in)->d : NULL, true,
                          wrapped);
}

static int i_end_array(vms_visitor *v, const vms_field *f)
{
    ber_in *in = in_of(v);
    level *t = &in->lv[--in->depth];
    int e = vms__ber_rd_close(&in->rd, "an array (more elements than the "
                              "description has)");

    (void)f;
    return !e && t->wrapped ? vms__ber_rd_close(&in->rd, "a field") : e;
}

/* SEQUENCE, name and version of a State, name checked against want. */
static int i_state_head(ber_in *in, uint8_t tag, const char *want,
                        uint32_t *version)
{
    char got[256];
    uint64_t at, ver;
    int e;

    if ((e = vms__ber_rd_open(&in->rd, tag))) {
        return e;
    }
    at = vms_reader_offset(in->rd.r);
    if ((e = vms__ber_rd_str(&in->rd, got))) {
        return e;
    }
    if (want && strcmp(got, want) != 0) {
        return vms__ber_rd_fail(&in->rd, VMS_EMISMATCH, at, "state \"%s\" "
                                "where the description has \"%s\"", got, want);
    }
    at = vms_reader_offset(in->rd.r);
    if ((e = vms__ber_rd_uint(&in->rd, &ver))) {
        return e;
    }
    if (ver > INT32_MAX) {
        return vms__ber_rd_fail(&in->rd, VMS_EVERSION, at,
                                "version %llu out of range",
                                (unsigned long long)ver);
    }
    *version = (uint32_t)ver;
    return 0;
}

static int i_begin_desc(vms_visitor *v, const vms_desc *d,
                        const vms_field *f, int version_id)
{
    ber_in *in = in_of(v);
    bool wrapped = false;
    uint32_t ver;
    uint64_t at = vms_reader_offset(in->rd.r);
    int e;

    if (!f && !in->sub_pending) {
        in->depth = 0;          /* a new walk */
        in->rd.nopen = 0;
    }
    if (in->sub_pending) {
        in->sub_pending = false;    /* subsection_begin read the head */
    } else {
        if (f && (e = i_field_begin(in, f, &wrapped))) {
            return e;
        }
        at = vms_reader_offset(in->rd.r);
        if ((e = i_state_head(in, f ? VMS__BER_STRUCT : VMS__BER_SEQUENCE,
                              d->name, &ver))) {
            return e;
        }
        if ((int)ver != version_id) {
            return vms__ber_rd_fail(&in->rd, VMS_EVERSION, at,
                                    "%s: version %u where %d was expected",
                                    d->name, ver, version_id);
        }
    }
    if ((e = vms__ber_rd_open(&in->rd, VMS__BER_SEQUENCE))) {
        return e;
    }
    return i_push(in, d, false, wrapped);
}

/* Close the fields of the State on top and open its subsection list. */
static int i_to_subs(ber_in *in, level *t)
{
    int e;

    if (t->in_subs) {
        return 0;
    }
    if (vms_reader_offset(in->rd.r) != in->rd.end[in->rd.nopen - 1]) {
        char name[256];
        uint64_t at = vms_reader_offset(in->rd.r);
        /* name the stray field when it has the Field shape */
        if (!vms__ber_rd_open(&in->rd, VMS__BER_SEQUENCE) &&
            !vms__ber_rd_str(&in->rd, name)) {
            return vms__ber_rd_fail(&in->rd, VMS_ENOTFOUND, at, "field \"%s\" "
                                    "is not in the description of \"%s\"",
                                    name, t->d->name);
        }
        return vms__ber_rd_fail(&in->rd, VMS_EFORMAT, at,
                                "bytes after the last field of \"%s\"",
                                t->d->name);
    }
    t->in_subs = true;
    if ((e = vms__ber_rd_close(&in->rd, "fields")) ||
        (e = vms__ber_rd_open(&in->rd, VMS__BER_SEQUENCE))) {
        return e;
    }
    return 0;
}

static int i_sub_peek(vms_visitor *v, char name[256])
{
    ber_in *in = in_of(v);
    level *t = i_top(in);
    const uint8_t *p;
    size_t got, hl, nl;
    int e;

    if (!t || t->array) {
        return 0;
    }
    if ((e = i_to_subs(in, t))) {
        return e;
    }
    if (vms_reader_offset(in->rd.r) >= in->rd.end[in->rd.nopen - 1]) {
        return 0;
    }
    /* SEQUENCE header, then the UTF8String name: peek, do not consume */
    if ((e = vms_read_peek(in->rd.r, 8, &p, &got, v->err))) {
        return e;
    }
    if (got < 2 || p[0] != VMS__BER_SEQUENCE) {
        return 0;   /* i_end_desc reports what is there */
    }
    hl = (p[1] & 0x80) ? 2u + (p[1] & 0x7f) : 2u;
    if ((e = vms_read_peek(in->rd.r, hl + 2 + 255, &p, &got, v->err))) {
        return e;
    }
    if (got < hl + 2 || p[hl] != VMS__BER_UTF8 || (p[hl + 1] & 0x80) ||
        got < hl + 2 + p[hl + 1]) {
        return 0;
    }
    nl = p[hl + 1];
    memcpy(name, p + hl + 2, nl);
    name[nl] = 0;
    return 1;
}

static int i_sub_begin(vms_visitor *v, const vms_desc *sub,
                       uint32_t *version_id)
{
    ber_in *in = in_of(v);
    int e = i_state_head(in, VMS__BER_SEQUENCE, sub->name, version_id);

    if (!e) {
        in->sub_pending = true;
    }
    return e;
}

static int i_sub_end(vms_visitor *v, const vms_desc *sub)
{
    (void)v;
    (void)sub;
    return 0;
}

static int i_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    ber_in *in = in_of(v);
    level *t = i_top(in);
    uint64_t at;
    char name[256];
    int e;

    (void)f;
    if ((e = i_to_subs(in, t))) {
        return e;
    }
    at = vms_reader_offset(in->rd.r);
    if (at != in->rd.end[in->rd.nopen - 1]) {
        /* the walk stopped at a subsection that is not one of d's */
        if (i_sub_peek(v, name) == 1) {
            return vms__ber_rd_fail(&in->rd, VMS_ENOTFOUND, at,
                                    "subsection \"%s\" is not one of \"%s\"",
                                    name, d->name);
        }
        return vms__ber_rd_fail(&in->rd, VMS_EFORMAT, at, "bytes after the "
                                "last subsection of \"%s\"", d->name);
    }
    in->depth--;
    if ((e = vms__ber_rd_close(&in->rd, "subsections")) ||
        (e = vms__ber_rd_close(&in->rd, "a state"))) {
        return e;
    }
    return t->wrapped ? vms__ber_rd_close(&in->rd, "a field") : 0;
}

static uint64_t i_offset(vms_visitor *v)
{
    return vms_reader_offset(((ber_in *)v)->rd.r);
}

static const vms_visit_ops ber_in_ops = {
    .begin_desc = i_begin_desc,
    .end_desc = i_end_desc,
    .begin_array = i_begin_array,
    .end_array = i_end_array,
    .leaf = i_leaf,
    .null_elem = i_null,
    .subsection_begin = i_sub_begin,
    .subsection_end = i_sub_end,
    .subsection_peek = i_sub_peek,
    .input_offset = i_offset,
    .free = vms__visitor_free_plain,
};

vms_visitor *vms_ber_input_new(vms_reader *r, vms_error *err)
{
    if (!r) {
        vms_error_set(err, VMS_EINVAL, "a BER input visitor needs a reader");
        return NULL;
    }
    ber_in *in = (ber_in *)vms__visitor_alloc(sizeof(*in), &ber_in_ops, true,
                                             err);

    if (in) {
        in->rd.r = r;
    }
    return in ? &in->v : NULL;
}

int vms_ber_peek_state(vms_reader *r, char name[256], uint32_t *version_id,
                       vms_error *err)
{
    uint64_t at = vms_reader_offset(r), ver = 0;
    const uint8_t *p;
    size_t got, i, nl, vl;
    int e;

    /* SEQUENCE header, UTF8String name, INTEGER version: all in a peek */
    if ((e = vms_read_peek(r, 2 + 8 + 2 + 255 + 2 + 9, &p, &got, err))) {
        return e;
    }
    if (got < 2 || p[0] != VMS__BER_SEQUENCE || p[1] == 0x80 ||
        ((p[1] & 0x80) && (p[1] & 0x7f) > 8)) {
        goto bad;
    }
    i = (p[1] & 0x80) ? 2u + (p[1] & 0x7f) : 2u;
    if (got < i + 2 || p[i] != VMS__BER_UTF8 || (p[i + 1] & 0x80)) {
        goto bad;
    }
    nl = p[i + 1];
    i += 2;
    if (got < i + nl + 2 || memchr(p + i, 0, nl)) {
        goto bad;
    }
    memcpy(name, p + i, nl);
    name[nl] = 0;
    i += nl;
    vl = p[i + 1];
    if (p[i] != VMS__BER_INTEGER || vl < 1 || vl > 5 || got < i + 2 + vl ||
        (p[i + 2] & 0x80)) {
        goto bad;
    }
    for (size_t k = 0; k < vl; k++) {
        ver = (ver << 8) | p[i + 2 + k];
    }
    if (ver > INT32_MAX) {
        goto bad;
    }
    *version_id = (uint32_t)ver;
    return 0;
bad:
    vms_error_set_file(err, vms_reader_name(r));
    return vms_error_set_at(err, VMS_EFORMAT, at, "not a BER state: a "
                            "SEQUENCE of a name and a version expected");
}
