/*
 * libvmstate: streams between encodings (convert.h).
 *
 * A source delivers the unpacked model of pack.h record by record (from a
 * stream through vms_unpack_read, or from a BER document parsed here);
 * a sink writes each record in its encoding. Raw bodies are never held:
 * the sink copies them from the input by offset. DER wants the Stream's
 * length before its records, so the BER sink runs the source twice: once
 * to add up the records' lengths, once to write them.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vmstate/convert.h"
#include "vmstate/pack.h"
#include "vmstate/stream.h"
#include "vmstate/version.h"
#include "vmstate/vmdesc.h"
#include "vmstate/visitor.h"
#include <yajl/yajl_parse.h>
#include <jansson.h>
#include "vmstate/input.h"
#include "bytes.h"
#include "table.h"
#include "walk.h"
#include "jsonw.h"
#include "dumpdesc.h"
#include "opts.h"
#include "container.h"
#include "writer.h"
#include "ber.h"
#include "conv.h"

/* Record alternatives of the Stream (doc/vmstate.asn1), IMPLICIT tags. */
enum {
    REC_CONFIGURATION = 0xa0,   /* [0] Configuration */
    REC_SECTION = 0xa1,         /* [1] Section */
    REC_COMMAND = 0x82,         /* [2] OCTET STRING */
    REC_EOF = 0x83,             /* [3] NULL */
    REC_TAIL = 0x84,            /* [4] OCTET STRING */
};

/* ---- raw input bytes ----------------------------------------------------- */

static int copy_spill(conv *c, uint64_t off, uint64_t len)
{
    uint8_t buf[65536];
    int e;

    while (len) {
        size_t k = len < sizeof(buf) ? (size_t)len : sizeof(buf);
        if (pread(c->spill, buf, k, (off_t)off) != (ssize_t)k) {
            return vms_error_set(c->err, VMS_EIO, "cannot read a temporary "
                                 "file");
        }
        if ((e = vms_write_bytes(c->w, buf, k, c->err))) {
            return e;
        }
        off += k;
        len -= k;
    }
    return 0;
}

static int copy_body(conv *c, uint64_t off, uint64_t len)
{
    uint64_t back;
    int e;

    if (c->from == VMS_ENC_WIRE) {
        return vms_stream_copy(c->s, off, len, c->w, c->err);
    }
    if (c->from == VMS_ENC_JSON) {
        return copy_spill(c, off, len);
    }
    back = vms_reader_offset(c->r);
    if ((e = vms_reader_seek(c->r, off, c->err))) {
        return e;
    }
    while (len) {
        size_t k = len < VMS_READER_WINDOW ? (size_t)len : VMS_READER_WINDOW;
        const uint8_t *p;
        if ((e = vms_read_ptr(c->r, k, &p, c->err)) ||
            (e = vms_write_bytes(c->w, p, k, c->err))) {
            return e;
        }
        len -= k;
    }
    return vms_reader_seek(c->r, back, c->err);
}

/* ---- wire sink ----------------------------------------------------------- */

static int wire_begin(conv *c)
{
    return vms_stream_put_header(c->w, c->err);
}

static int wire_item(conv *c, const vms_unpack_item *it)
{
    vms_visitor *v;
    int e;

    switch (it->rec.type) {
    case VMS_REC_CONFIGURATION:
    case VMS_REC_COMMAND:
        if ((e = vms_write_u8(c->w, (uint8_t)it->rec.type, c->err))) {
            return e;
        }
        return copy_body(c, it->body_off, it->body_len);
    case VMS_REC_EOF:
        return vms_stream_put_eof(c->w, it->vmdesc, it->vmdesc_len, c->err);
    }
    if (it->body == VMS_BODY_TAIL) {
        return copy_body(c, it->body_off, it->body_len);
    }
    if ((e = vms_stream_put_section(c->w, &it->rec, c->err))) {
        return e;
    }
    if (it->body == VMS_BODY_DEVICE) {
        if (!(v = vms_wire_output_new(c->w, c->err))) {
            return VMS_ENOMEM;
        }
        e = vms_walk(v, it->desc, it->state, 0, c->err);
        vms_visitor_free(v);
    } else {
        e = copy_body(c, it->body_off, it->body_len);
    }
    if (!e && it->footer) {
        e = vms_stream_put_footer(c->w, it->rec.section_id, c->err);
    }
    return e;
}

static const sink wire_sink = {
    .passes = 1, .begin = wire_begin, .item = wire_item,
};

/* ---- BER sink ------------------------------------------------------------ */

static uint64_t tlv_len(uint64_t n)
{
    uint8_t h[9];

    return 1 + vms__der_len(n, h) + n;
}

static int put_header(conv *c, uint8_t tag, uint64_t n)
{
    uint8_t h[10];

    h[0] = tag;
    return vms_write_bytes(c->w, h, 1 + vms__der_len(n, h + 1), c->err);
}

static int nomem(conv *c)
{
    return vms_error_set(c->err, VMS_ENOMEM, "out of memory");
}

/* The DER of a device state, into c->tmp. */
static int encode_state(conv *c, const vms_unpack_item *it)
{
    vms_writer *w;
    vms_visitor *v;
    int e;

    c->tmp.len = 0;
    if (!(w = vms_writer_buf(&c->tmp, c->err))) {
        return VMS_ENOMEM;
    }
    if (!(v = vms_ber_output_new(w, c->err))) {
        vms_writer_close(w, NULL);
        return VMS_ENOMEM;
    }
    e = vms_walk(v, it->desc, it->state, 0, c->err);
    vms_visitor_free(v);
    if (!e) {
        e = vms_writer_close(w, c->err);
    } else {
        vms_writer_close(w, NULL);
    }
    if (e && c->err && !c->err->has_offset) {
        c->err->has_offset = 1;
        c->err->offset = it->rec.offset;
    }
    return e;
}

/*
 * One record. Pass 0 only adds its length to records_len; pass 1 writes
 * it. Only device states are encoded in memory (they are small); raw
 * bodies are copied from the input.
 */
static int ber_item(conv *c, const vms_unpack_item *it)
{
    vms_buf pre = { 0 };
    uint64_t body, len;
    uint8_t tag;
    int e = 0;

    switch (it->rec.type) {
    case VMS_REC_CONFIGURATION: {
        /* the machine for people, the bytes for the stream */
        const char *m = it->cfg ? it->cfg->machine : "";
        len = tlv_len(strlen(m)) + tlv_len(it->body_len);
        if (c->pass == 0) {
            c->records_len += tlv_len(len);
            return 0;
        }
        if (vms__der_tlv(&pre, VMS__BER_UTF8, m, strlen(m))) {
            return nomem(c);
        }
        if (!(e = put_header(c, REC_CONFIGURATION, len)) &&
            !(e = vms_write_bytes(c->w, pre.data, pre.len, c->err)) &&
            !(e = put_header(c, VMS__BER_OCTETS, it->body_len))) {
            e = copy_body(c, it->body_off, it->body_len);
        }
        vms_buf_free(&pre);
        return e;
    }
    case VMS_REC_COMMAND:
        tag = REC_COMMAND;
        if (c->pass == 0) {
            c->records_len += tlv_len(it->body_len);
            return 0;
        }
        return (e = put_header(c, tag, it->body_len)) ? e
               : copy_body(c, it->body_off, it->body_len);
    case VMS_REC_EOF:
        if (c->pass == 0) {
            c->records_len += 2;
            return 0;
        }
        return put_header(c, REC_EOF, 0);
    }
    if (it->body == VMS_BODY_TAIL) {
        if (c->pass == 0) {
            c->records_len += tlv_len(it->body_len);
            return 0;
        }
        return (e = put_header(c, REC_TAIL, it->body_len)) ? e
               : copy_body(c, it->body_off, it->body_len);
    }
    /* Section: type, id, idstr, instance, version, body, footer */
    if (vms__der_uint(&pre, (uint64_t)it->rec.type) ||
        vms__der_uint(&pre, it->rec.section_id) ||
        vms__der_tlv(&pre, VMS__BER_UTF8, it->rec.idstr,
                     strlen(it->rec.idstr)) ||
        vms__der_uint(&pre, it->rec.instance_id) ||
        vms__der_uint(&pre, it->rec.version_id)) {
        vms_buf_free(&pre);
        return nomem(c);
    }
    if (it->body == VMS_BODY_DEVICE) {
        if ((e = encode_state(c, it))) {
            vms_buf_free(&pre);
            return e;
        }
        body = c->tmp.len;
    } else {
        body = tlv_len(it->body_len);
    }
    len = pre.len + body + 3;
    if (c->pass == 0) {
        c->records_len += tlv_len(len);
    } else if (!(e = put_header(c, REC_SECTION, len)) &&
               !(e = vms_write_bytes(c->w, pre.data, pre.len, c->err))) {
        if (it->body == VMS_BODY_DEVICE) {
            e = vms_write_bytes(c->w, c->tmp.data, c->tmp.len, c->err);
        } else if (!(e = put_header(c, VMS__BER_OCTETS, it->body_len))) {
            e = copy_body(c, it->body_off, it->body_len);
        }
        if (!e) {
            uint8_t f[3] = { VMS__BER_BOOLEAN, 1, it->footer ? 0xff : 0 };
            e = vms_write_bytes(c->w, f, 3, c->err);
        }
    }
    vms_buf_free(&pre);
    return e;
}

static int ber_begin(conv *c)
{
    vms_buf head = { 0 };
    int e;

    if (c->pass == 0) {
        c->records_len = 0;
        return 0;
    }
    /* magic, version, the vmdesc when there is one; then the records */
    if (vms__der_uint(&head, VMS_STREAM_MAGIC) ||
        vms__der_uint(&head, VMS_STREAM_VERSION) ||
        (c->vmdesc && vms__der_tlv(&head, VMS__BER_OCTETS, c->vmdesc,
                                  c->vmdesc_len))) {
        vms_buf_free(&head);
        return nomem(c);
    }
    if (!(e = put_header(c, VMS__BER_SEQUENCE,
                         head.len + tlv_len(c->records_len))) &&
        !(e = vms_write_bytes(c->w, head.data, head.len, c->err))) {
        e = put_header(c, VMS__BER_SEQUENCE, c->records_len);
    }
    vms_buf_free(&head);
    return e;
}

static const sink ber_sink = {
    .passes = 2, .begin = ber_begin, .item = ber_item,
};

/* ---- trace sink ---------------------------------------------------------- */


static int trace_item(conv *c, const vms_unpack_item *it)
{
    vms_writer *w = c->w;
    vms_error *err = c->err;
    int e;

    switch (it->rec.type) {
    case VMS_REC_CONFIGURATION:
        return vms__write_printf(w, err, "# configuration: machine \"%s\", %"
                                 PRIu64 " bytes\n",
                                 it->cfg ? it->cfg->machine : "",
                                 it->body_len);
    case VMS_REC_COMMAND:
        return vms__write_printf(w, err, "# command: %" PRIu64 " bytes\n",
                                 it->body_len);
    case VMS_REC_EOF:
        return vms__write_printf(w, err, "# end of stream\n");
    }
    if (it->body == VMS_BODY_TAIL) {
        return vms__write_printf(w, err, "# %" PRIu64 " bytes no decoder "
                                 "bounds\n", it->body_len);
    }
    if (it->body != VMS_BODY_DEVICE) {
        return vms__write_printf(w, err, "# section %u %s \"%s\" instance %u "
                                 "version %u: %" PRIu64 " bytes\n",
                                 it->rec.section_id,
                                 section_type_name(it->rec.type),
                                 it->rec.idstr, it->rec.instance_id,
                                 it->rec.version_id, it->body_len);
    }
    e = vms__write_printf(w, err, "# section %u %s \"%s\" instance %u "
                          "version %u\n", it->rec.section_id,
                          section_type_name(it->rec.type), it->rec.idstr,
                          it->rec.instance_id, it->rec.version_id);
    return e ? e : vms_walk(c->trace, it->desc, it->state, 0, err);
}

static int trace_begin(conv *c)
{
    c->trace = vms_trace_output_new(c->w, c->err);
    return c->trace ? 0 : VMS_ENOMEM;
}

static const sink trace_sink = {
    .passes = 1, .begin = trace_begin, .item = trace_item,
};

/* ---- JSON sink ----------------------------------------------------------- */

/*
 * The document: {"format", "version", "vmdesc" (its exact text, as a
 * string), "records": [...]}; a record names its kind and section header
 * first, then "state" (the JSON state of a device section, as "vmstate
 * analyze" prints it) or "bytes" (hex in pieces, so that no JSON string
 * is larger than a reader wants to hold), then "footer".
 */

static int json_fail(conv *c, int e)
{
    return e ? vms_error_set(c->err, e, "cannot write the JSON output") : 0;
}

static int json_bytes(conv *c, uint64_t off, uint64_t len)
{
    vms_jsonw *j = c->j;
    vms_buf raw = { 0 };
    vms_writer *w;
    int e;

    if ((e = vms_jsonw_key(j, "bytes")) || (e = vms_jsonw_begin_array(j))) {
        return json_fail(c, e);
    }
    while (len) {
        uint64_t k = len < JSON_PIECE ? len : JSON_PIECE;
        char hex[2 * JSON_PIECE];
        vms_writer *saved = c->w;

        raw.len = 0;
        if (!(w = vms_writer_buf(&raw, c->err))) {
            return VMS_ENOMEM;
        }
        c->w = w;
        e = copy_body(c, off, k);
        c->w = saved;
        if (!e) {
            e = vms_writer_close(w, c->err);
        } else {
            vms_writer_close(w, NULL);
        }
        if (e) {
            vms_buf_free(&raw);
            return e;
        }
        for (size_t i = 0; i < raw.len; i++) {
            hex[2 * i] = vms__hex_digits[(uint8_t)raw.data[i] >> 4];
            hex[2 * i + 1] = vms__hex_digits[(uint8_t)raw.data[i] & 15];
        }
        if ((e = vms_jsonw_string_begin(j)) ||
            (e = vms_jsonw_string_append(j, hex, 2 * raw.len)) ||
            (e = vms_jsonw_string_end(j))) {
            vms_buf_free(&raw);
            return json_fail(c, e);
        }
        off += k;
        len -= k;
    }
    vms_buf_free(&raw);
    return json_fail(c, vms_jsonw_end_array(j));
}

static int json_item(conv *c, const vms_unpack_item *it)
{
    vms_jsonw *j = c->j;
    const char *kind;
    int e;

    switch (it->rec.type) {
    case VMS_REC_CONFIGURATION: kind = "configuration"; break;
    case VMS_REC_COMMAND: kind = "command"; break;
    case VMS_REC_EOF: kind = "eof"; break;
    default: kind = it->body == VMS_BODY_TAIL ? "tail" : "section"; break;
    }
    if ((e = vms_jsonw_begin_object(j))) {
        return json_fail(c, e);
    }
    e = vms__jsonw_kv_str(j, 0, "record", kind);
    if (it->rec.type == VMS_REC_CONFIGURATION) {
        e = vms__jsonw_kv_str(j, e, "machine", it->cfg ? it->cfg->machine
                                                      : "");
    }
    if (strcmp(kind, "section") == 0) {
        e = vms__jsonw_kv_str(j, e, "type", section_type_name(it->rec.type));
        e = vms__jsonw_kv_int(j, e, "section_id", it->rec.section_id);
        e = vms__jsonw_kv_str(j, e, "idstr", it->rec.idstr);
        e = vms__jsonw_kv_int(j, e, "instance_id", it->rec.instance_id);
        e = vms__jsonw_kv_int(j, e, "version", it->rec.version_id);
    }
    if (e) {
        return json_fail(c, e);
    }
    if (it->body == VMS_BODY_DEVICE) {
        vms_visitor *v = vms_json_state_output_new(j, c->err);
        if (!v) {
            return VMS_ENOMEM;
        }
        if ((e = vms_jsonw_key(j, "state"))) {
            vms_visitor_free(v);
            return json_fail(c, e);
        }
        e = vms_walk(v, it->desc, it->state, 0, c->err);
        vms_visitor_free(v);
    } else if (it->rec.type != VMS_REC_EOF) {
        e = json_bytes(c, it->body_off, it->body_len);
    }
    if (!e && strcmp(kind, "section") == 0) {
        e = json_fail(c, vms_jsonw_key(j, "footer") ||
                         vms_jsonw_bool(j, it->footer) ? VMS_EIO : 0);
    }
    return e ? e : json_fail(c, vms_jsonw_end_object(j));
}

static int json_begin(conv *c)
{
    vms_jsonw *j;
    int e;

    c->j = j = vms_jsonw_new(c->w, VMS_JSONW_PRETTY, 1, c->err);
    if (!j) {
        return c->err ? c->err->code : VMS_ENOMEM;
    }
    e = vms_jsonw_begin_object(j);
    e = vms__jsonw_kv_str(j, e, "format", "vmstate-stream");
    e = vms__jsonw_kv_int(j, e, "version", VMS_STREAM_VERSION);
    e = e ? e : vms_jsonw_key(j, "vmdesc");
    if (!e) {
        e = c->vmdesc ? vms_jsonw_string_len(j, c->vmdesc, c->vmdesc_len)
                      : vms_jsonw_null(j);
    }
    e = e ? e : vms_jsonw_key(j, "records");
    e = e ? e : vms_jsonw_begin_array(j);
    return json_fail(c, e);
}

static int json_end(conv *c)
{
    vms_jsonw *j = c->j;
    int e = vms_jsonw_end_array(j);

    e = e ? e : vms_jsonw_end_object(j);
    e = e ? e : vms_jsonw_text(j, "\n", 1);
    e = e ? e : vms_jsonw_flush(j);
    return json_fail(c, e);
}

static const sink json_sink = {
    .passes = 1, .begin = json_begin, .item = json_item, .end = json_end,
};

/* ---- sources ------------------------------------------------------------- */


static int deliver(void *opaque, const vms_unpack_item *it, vms_error *err)
{
    conv *c = opaque;

    (void)err;
    return c->k->item(c, it);
}

static int no_page(void *opaque, unsigned idx, uint64_t addr,
                   const uint8_t *data, uint8_t fill, vms_error *err)
{
    (void)opaque, (void)idx, (void)addr, (void)data, (void)fill, (void)err;
    return 0;
}

/* Bodies are read back: a compressed image is made seekable (input.h). */
static vms_stream *open_seekable(conv *c)
{
    vms_input_opts o;

    vms__input_opts_seekable(c->input, &o);
    return vms_stream_open_input(c->in, &o, c->err);
}

static int wire_source(conv *c)
{
    /* RAM travels as its section bytes: its pages are not wanted */
    static const vms_ram_sink no_pages = { .page = no_page };
    vms_unpack_ops ops = { .opaque = c, .item = deliver, .ram = &no_pages,
                           .dump = c->dump };
    int e;
    if (!c->s) {
        const char *text;
        if (!(c->s = open_seekable(c))) {
            return c->err ? c->err->code : VMS_EIO;
        }
        text = vms_stream_vmdesc(c->s, &c->vmdesc_len);
        if (text && !(c->vmdesc = malloc(c->vmdesc_len + 1))) {
            return nomem(c);
        }
        if (text) {
            memcpy(c->vmdesc, text, c->vmdesc_len);
            c->vmdesc[c->vmdesc_len] = 0;
        }
    } else {
        /* a second pass reads the stream again from its start */
        vms_stream_close(c->s);
        if (!(c->s = open_seekable(c))) {
            return c->err ? c->err->code : VMS_EIO;
        }
    }
    if ((e = vms__conv_sink_begin(c))) {
        return e;
    }
    return vms_unpack_read(c->s, &ops, c->err);
}

/* The BER document's Stream header: magic, version, vmdesc. */
static int ber_head(conv *c, vms__ber_rd *rd)
{
    uint64_t at, v, len;
    const uint8_t *p;
    size_t got;
    int e;

    if ((e = vms__ber_rd_open(rd, VMS__BER_SEQUENCE))) {
        return e;
    }
    at = vms_reader_offset(c->r);
    if ((e = vms__ber_rd_uint(rd, &v))) {
        return e;
    }
    if (v != VMS_STREAM_MAGIC) {
        return vms__ber_rd_fail(rd, VMS_EFORMAT, at, "not a stream document "
                                "(magic 0x%" PRIx64 ")", v);
    }
    at = vms_reader_offset(c->r);
    if ((e = vms__ber_rd_uint(rd, &v))) {
        return e;
    }
    if (v != VMS_STREAM_VERSION) {
        return vms__ber_rd_fail(rd, VMS_EUNSUPPORTED, at, "stream version %"
                                PRIu64, v);
    }
    if ((e = vms_read_peek(c->r, 1, &p, &got, c->err))) {
        return e;
    }
    if (got && p[0] == VMS__BER_OCTETS) {
        at = vms_reader_offset(c->r);
        if ((e = vms__ber_rd_header(rd, VMS__BER_OCTETS, NULL, &len))) {
            return e;
        }
        if (len > VMS_LIMIT_VMDESC_SIZE) {
            return vms__ber_rd_fail(rd, VMS_ELIMIT, at, "vmdesc of %" PRIu64
                                    " bytes exceeds VMS_LIMIT_VMDESC_SIZE "
                                    "(%u)", len, VMS_LIMIT_VMDESC_SIZE);
        }
        free(c->vmdesc);
        if (!(c->vmdesc = malloc((size_t)len + 1))) {
            return nomem(c);
        }
        if ((e = vms_read_bytes(c->r, c->vmdesc, (size_t)len, c->err))) {
            return e;
        }
        c->vmdesc[len] = 0;
        c->vmdesc_len = (size_t)len;
        if (!c->vd &&
            (e = vms_vmdesc_parse(c->vmdesc, c->vmdesc_len, c->in, &c->vd,
                                  c->err))) {
            if (c->err && !c->err->has_offset) {
                c->err->has_offset = 1;
                c->err->offset = at;
            }
            return e;
        }
    }
    return vms__ber_rd_open(rd, VMS__BER_SEQUENCE);
}

/* A Section: its head into it->rec, then its body and footer. */
/* vms__state_try's input for a BER State: read again from its start. */
typedef struct ber_src {
    vms_reader *r;
    uint64_t at;                /* the State's first byte */
} ber_src;

static int ber_input(void *opaque, vms_visitor **v, vms_error *err)
{
    const ber_src *src = opaque;
    int e = vms_reader_seek(src->r, src->at, err);

    if (e) {
        return e;
    }
    *v = vms_ber_input_new(src->r, err);
    return *v ? 0 : VMS_ENOMEM;
}

static int ber_section(conv *c, vms__ber_rd *rd, vms_unpack_item *it,
                       uint8_t **state)
{
    uint64_t at = vms_reader_offset(c->r), v[4], len;
    const uint8_t *p;
    size_t got, size;
    uint8_t b;
    int e;

    if ((e = vms__ber_rd_open(rd, REC_SECTION)) ||
        (e = vms__ber_rd_uint(rd, &v[0])) ||
        (e = vms__ber_rd_uint(rd, &v[1])) ||
        (e = vms__ber_rd_str(rd, it->rec.idstr)) ||
        (e = vms__ber_rd_uint(rd, &v[2])) ||
        (e = vms__ber_rd_uint(rd, &v[3]))) {
        return e;
    }
    if (!is_section((int)v[0]) || v[1] > UINT32_MAX || v[2] > UINT32_MAX ||
        v[3] > INT32_MAX) {
        return vms__ber_rd_fail(rd, VMS_EFORMAT, at, "section type, id, "
                                "instance or version out of range");
    }
    it->rec.type = (int)v[0];
    it->rec.section_id = (uint32_t)v[1];
    it->rec.instance_id = (uint32_t)v[2];
    it->rec.version_id = (uint32_t)v[3];
    if ((e = vms_read_peek(c->r, 1, &p, &got, c->err))) {
        return e;
    }
    at = vms_reader_offset(c->r);
    if (got && p[0] == VMS__BER_SEQUENCE) {
        char name[256];
        uint32_t ver;
        ber_src src = { c->r, at };
        vms__state_try t = { ber_input, &src, 0, NULL };
        bool vmdesc = c->vd && !vms_vmdesc_device(c->vd, it->rec.idstr,
                                                  it->rec.instance_id,
                                                  &it->desc, &size, NULL);
        if (!vmdesc && !c->dump) {
            return vms__ber_rd_fail(rd, VMS_ENOTFOUND, at, "a state for "
                                    "\"%s\" instance %u, which the "
                                    "document's vmdesc does not describe "
                                    "(nor a dump: none was given)",
                                    it->rec.idstr, it->rec.instance_id);
        }
        /*
         * The State says the version its fields were written in (that
         * of the description, for one built from a vmdesc).
         */
        if ((e = vms_ber_peek_state(c->r, name, &ver, c->err))) {
            return e;
        }
        t.version = (int)ver;
        if (vmdesc) {
            e = vms__state_try_load(&t, it->desc, size, c->err);
        } else {
            /* the dump's mix of field_exists fields the State fits */
            e = vms__dump_section_load(c->dump, &it->rec,
                                       vms__state_try_load, &t,
                                       &it->desc, &size, c->err);
        }
        *state = t.state;
        if (e == VMS_ENOMEM) {
            return nomem(c);
        }
        if (e) {
            if (c->err && !c->err->file[0]) {
                vms_error_set_file(c->err, c->in);
            }
            return e;
        }
        it->body = VMS_BODY_DEVICE;
        it->state = *state;
        it->state_size = size;
    } else {
        if ((e = vms__ber_rd_header(rd, VMS__BER_OCTETS, NULL, &len))) {
            return e;
        }
        it->body = VMS_BODY_RAW;
        it->body_off = vms_reader_offset(c->r);
        it->body_len = len;
        if ((e = vms_read_skip(c->r, len, c->err))) {
            return e;
        }
    }
    at = vms_reader_offset(c->r);
    if ((e = vms__ber_rd_header(rd, VMS__BER_BOOLEAN, NULL, &len))) {
        return e;
    }
    if (len != 1) {
        return vms__ber_rd_fail(rd, VMS_EFORMAT, at, "BOOLEAN of %" PRIu64
                                " bytes", len);
    }
    if ((e = vms_read_u8(c->r, &b, c->err))) {
        return e;
    }
    it->footer = b != 0;
    return vms__ber_rd_close(rd, "a section");
}

static int ber_source(conv *c)
{
    vms__ber_rd *rd = calloc(1, sizeof(*rd));
    int e;

    if (!rd) {
        return nomem(c);
    }
    if (c->r) {
        vms_reader_close(c->r);
    }
    if (!(c->r = vms_reader_open(c->in, c->err))) {
        free(rd);
        return c->err ? c->err->code : VMS_EIO;
    }
    rd->r = c->r;
    rd->err = c->err;
    e = ber_head(c, rd);
    e = e ? e : vms__conv_sink_begin(c);
    while (!e && vms_reader_offset(c->r) < rd->end[rd->nopen - 1]) {
        vms_unpack_item it;
        uint8_t *state = NULL, tag;
        uint64_t at = vms_reader_offset(c->r), len;
        const uint8_t *p;
        size_t got;

        memset(&it, 0, sizeof(it));
        it.rec.offset = at;
        if ((e = vms_read_peek(c->r, 1, &p, &got, c->err))) {
            break;
        }
        if (got && p[0] == REC_SECTION) {
            e = ber_section(c, rd, &it, &state);
        } else if (got && p[0] == REC_CONFIGURATION) {
            it.rec.type = VMS_REC_CONFIGURATION;
            it.cfg = &c->cfg;
            if (!(e = vms__ber_rd_open(rd, REC_CONFIGURATION)) &&
                !(e = vms__ber_rd_str(rd, c->cfg.machine)) &&
                !(e = vms__ber_rd_header(rd, VMS__BER_OCTETS, NULL, &len))) {
                it.body_off = vms_reader_offset(c->r);
                it.body_len = len;
                if (!(e = vms_read_skip(c->r, len, c->err))) {
                    e = vms__ber_rd_close(rd, "the configuration");
                }
            }
        } else if (!(e = vms__ber_rd_header(rd, 0, &tag, &len))) {
            it.body_off = vms_reader_offset(c->r);
            it.body_len = len;
            switch (tag) {
            case REC_COMMAND:
                it.rec.type = VMS_REC_COMMAND;
                break;
            case REC_EOF:
                it.rec.type = VMS_REC_EOF;
                it.vmdesc = c->vmdesc;
                it.vmdesc_len = c->vmdesc_len;
                break;
            case REC_TAIL:
                /* a section record no decoder bounded, as it was */
                it.rec.type = VMS_REC_SECTION_FULL;
                it.body = VMS_BODY_TAIL;
                break;
            default:
                e = vms__ber_rd_fail(rd, VMS_EFORMAT, at, "record of "
                                     "unknown tag 0x%02x", tag);
            }
            if (!e) {
                e = vms_read_skip(c->r, len, c->err);
            }
        }
        if (!e) {
            e = c->k->item(c, &it);
        }
        free(state);
    }
    if (!e && !(e = vms__ber_rd_close(rd, "the records")) &&
        !(e = vms__ber_rd_close(rd, "the stream")) &&
        !vms_reader_at_eof(c->r)) {
        e = vms__ber_rd_fail(rd, VMS_EFORMAT, vms_reader_offset(c->r),
                             "bytes after the document");
    }
    free(rd);
    return e;
}

/* ---- the conversion ------------------------------------------------------ */

const char *vms_encoding_name(vms_encoding enc)
{
    static const char *const names[] = { "wire", "ber", "json", "trace" };

    return (unsigned)enc < VMS__ARRAY_SIZE(names) ? names[enc] : NULL;
}

int vms_encoding_parse(const char *s, vms_encoding *enc, vms_error *err)
{
    for (int i = VMS_ENC_WIRE; i <= VMS_ENC_TRACE; i++) {
        if (strcmp(s, vms_encoding_name((vms_encoding)i)) == 0) {
            *enc = (vms_encoding)i;
            return 0;
        }
    }
    return vms_error_set(err, VMS_EINVAL, "unknown encoding \"%s\" (wire, "
                         "ber, json or trace)", s);
}

static int detect(const char *path, const vms_input_opts *input,
                  vms_encoding *enc, vms_error *err);

int vms_convert_detect(const char *path, vms_encoding *enc, vms_error *err)
{
    return detect(path, NULL, enc, err);
}

static int detect(const char *path, const vms_input_opts *input,
                  vms_encoding *enc, vms_error *err)
{
    vms_reader *r;
    const uint8_t *p;
    struct stat st;
    size_t got;
    int e;

    /* bodies are copied from the input by offset, and BER reads it twice */
    if (strcmp(path, "-") == 0 ||
        (stat(path, &st) == 0 && !S_ISREG(st.st_mode))) {
        vms_error_set_file(err, path);
        return vms_error_set(err, VMS_EUNSUPPORTED, "not a regular file "
                             "(convert reads its input by offset)");
    }
    /* A stream inside a libvirt image or a qcow2 snapshot is wire too. */
    vms_input *in = vms_input_open(path, input, err);
    if (!in) {
        return err ? err->code : VMS_EIO;
    }
    if (vms_input_get_info(in)->container == VMS_CONTAINER_LIBVIRT &&
        vms_input_get_info(in)->compression == VMS_COMPRESS_SPARSE) {
        /*
         * Its mapped-ram headers give the pages' offsets in the image
         * (ram.c, mapped_ram_block): copied as bytes into a bare stream
         * or a document and back, they would point elsewhere. unpack and
         * pack keep the image, and with it the offsets.
         */
        vms_input_close(in);
        vms_error_set_file(err, path);
        return vms_error_set_at(err, VMS_EUNSUPPORTED, 28, "a libvirt "
                                "'sparse' (mapped-ram) save image: its "
                                "pages' offsets count from the image's "
                                "start, so a converted stream would point "
                                "elsewhere (unpack and pack keep the image)");
    }
    r = vms_input_take_reader(in);
    vms_input_close(in);
    e = vms_read_peek(r, 4, &p, &got, err);
    if (!e && got == 4 && vms__get_be32(p) == VMS_STREAM_MAGIC) {
        *enc = VMS_ENC_WIRE;
    } else if (!e && got >= 1 && p[0] == VMS__BER_SEQUENCE) {
        *enc = VMS_ENC_BER;
    } else if (!e && got >= 1 && (p[0] == '{' || p[0] == ' ' ||
                                  p[0] == '\n' || p[0] == '\t')) {
        *enc = VMS_ENC_JSON;
    } else if (!e) {
        vms_error_set_file(err, path);
        e = vms_error_set_at(err, VMS_EFORMAT, 0, "neither a migration "
                             "stream, a BER document nor a JSON one");
    }
    vms_reader_close(r);
    return e;
}

int vms_convert(const char *in, const char *out, vms_encoding to,
                const vms_convert_opts *opts, vms_error *err)
{
    static const vms_convert_opts defaults = VMS_CONVERT_OPTS_INIT;
    const vms_convert_opts *co = opts ? opts : &defaults;
    const char *dump_file = co->dump_file;
    unsigned flags = co->flags;
    static const sink *const sinks[] = {
        [VMS_ENC_WIRE] = &wire_sink, [VMS_ENC_BER] = &ber_sink,
        [VMS_ENC_JSON] = &json_sink, [VMS_ENC_TRACE] = &trace_sink,
    };
    conv c = { .err = err, .in = in, .spill = -1 };
    vms_outfile o = { .fd = -1, .dirfd = -1 };
    bool to_stdout = strcmp(out, "-") == 0;
    int e;

    if ((e = vms__opts_version(co->version, VMS_CONVERT_OPTS_VERSION,
                               "vms_convert_opts", err))) {
        return e;
    }
    if ((unsigned)to >= VMS__ARRAY_SIZE(sinks) || !sinks[to]) {
        return vms_error_set(err, VMS_EUNSUPPORTED, "converting to %s is "
                             "not supported", vms_encoding_name(to)
                             ? vms_encoding_name(to) : "this encoding");
    }
    c.k = sinks[to];
    c.input = co->version >= 2 ? co->input : NULL;
    if ((e = detect(in, c.input, &c.from, err))) {
        return e;
    }
    if (dump_file && (e = vms_dump_load(dump_file, &c.dump, err))) {
        return e;
    }
    if (!to_stdout &&
        (e = vms_outfile_create(&o, out, (flags & VMS_CONVERT_FORCE)
                                ? VMS_OUT_FORCE : 0, err))) {
        return e;
    }
    c.w = vms_writer_fd(to_stdout ? 1 : o.fd, out, err);
    if (!c.w) {
        e = VMS_ENOMEM;
    }
    for (c.pass = 0; !e && c.pass < c.k->passes; c.pass++) {
        e = c.from == VMS_ENC_WIRE ? wire_source(&c)
            : c.from == VMS_ENC_BER ? ber_source(&c)
            : vms__conv_json_source(&c);
        if (!e && c.k->end) {
            e = c.k->end(&c);
        }
    }
    if (c.j) {
        vms_jsonw_free(c.j);
        c.j = NULL;
    }
    if (c.w) {
        int e2 = vms_writer_close(c.w, e ? NULL : err);
        e = e ? e : e2;
    }
    if (!to_stdout) {
        if (e) {
            vms_outfile_abort(&o);
        } else {
            e = vms_outfile_commit(&o, (flags & VMS_CONVERT_FORCE)
                                   ? VMS_OUT_FORCE : 0, err);
        }
    }
    if (e && err && !err->file[0]) {
        vms_error_set_file(err, in);
    }
    vms_visitor_free(c.trace);
    vms_stream_close(c.s);
    vms_reader_close(c.r);
    vms_vmdesc_free(c.vd);
    vms_dump_free(c.dump);
    vms_buf_free(&c.tmp);
    free(c.vmdesc);
    if (c.spill >= 0) {
        close(c.spill);
    }
    return e;
}
