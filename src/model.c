/*
 * libvmstate: the unpacked model of a stream (pack.h: vms_unpack_read):
 * each record with what is needed to write its bytes again.
 *
 * Nothing here parses the stream format a second time: the container
 * reader (stream.c), the RAM decoder (ram.c, through its record sink) and
 * the section decoders (sections.c) find every record and its extent;
 * device sections go through the one walk with the wire, JSON state
 * output and JSON state input visitors.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/pack.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "vmstate/limits.h"
#include "bytes.h"
#include "stream_priv.h"
#include "visit_wire.h"
#include "dumpdesc.h"
#include "jsonw.h"

typedef struct reader {
    vms_stream *s;
    const vms_unpack_ops *ops;
    vms_error *err;
    vms_vmdesc *vd;
    vms_dump *dump;            /* ops->dump */
    char note[1024];
    vms_ram *ram;
    uint32_t ram_id;
    uint32_t page_size;
    vms_config cfg;
    bool footers;              /* a section had one */
} reader;

static int rfail(reader *r, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int rfail(reader *r, int code, uint64_t off, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv_at(r->err, code, off, fmt, ap);
    va_end(ap);
    vms_error_set_file(r->err, vms_stream_name(r->s));
    return code;
}

static int ram_chunk(reader *r, const vms_record *rec)
{
    int e;

    if (!r->ram) {
        vms_ram_opts o = {
            .page_size = r->page_size,
            .ignore_shared = vms__config_has_cap(&r->cfg, "x-ignore-shared"),
            .mapped_ram = vms__config_has_cap(&r->cfg, "mapped-ram"),
        };
        vms_ram_sink sink = { 0 };
        if (r->ops->ram) {
            sink = *r->ops->ram;
        }
        sink.want_data = true;
        if (r->ops->ram_begin &&
            (e = r->ops->ram_begin(r->ops->opaque, r->page_size, r->err))) {
            return e;
        }
        if (!(r->ram = vms_ram_new(&o, &sink, r->err))) {
            return r->err ? r->err->code : VMS_ENOMEM;
        }
        r->ram_id = rec->section_id;
    }
    if (rec->section_id != r->ram_id) {
        return rfail(r, VMS_EFORMAT, rec->offset, "a second RAM section "
                     "(id %u)", rec->section_id);
    }
    return vms_ram_read(r->ram, r->s, rec->version_id, r->err);
}

/*
 * The state through the JSON state output and input visitors into a fresh
 * state, written by out (wire): what pack will do with stream.json.
 */
typedef struct json_trip {
    const vms_desc *d;
    void *state;
    size_t size;
    int version;
} json_trip;

static int json_round_trip(void *opaque, vms_visitor *out, vms_error *err)
{
    const json_trip *t = opaque;
    const vms_desc *d = t->d;
    void *state = t->state;
    size_t size = t->size;
    int version = t->version;
    vms_buf text = { 0 };
    vms_jsonw *j = vms__jsonw_buf(&text, VMS_JSONW_COMPACT, 0, err);
    vms_visitor *jo = j ? vms_json_state_output_new(j, err) : NULL;
    vms_visitor *ji = NULL;
    uint8_t *again = calloc(1, size ? size : 1);
    int e = VMS_ENOMEM;

    if (jo && again && !(e = vms_walk(jo, d, state, 0, err)) &&
        !(e = vms_jsonw_flush(j))) {
        ji = vms_json_state_input_text(text.data, text.len, "", err);
        e = ji ? vms_walk(ji, d, again, version, err) : VMS_EFORMAT;
    }
    e = e ? e : vms_walk(out, d, again, 0, err);
    vms_visitor_free(ji);
    vms_visitor_free(jo);
    vms_jsonw_free(j);
    vms_buf_free(&text);
    free(again);
    return e;
}

/*
 * A device section through its description: loaded, and kept only when
 * its fields, through JSON and back, make the wire output visitor write
 * exactly the bytes that were read (QEMU's folded NULL-pointer entries can
 * describe less than the data; a bool byte other than 0/1 would not
 * survive either): then pack reproduces it.
 */
static int device_body(reader *r, const vms_record *rec, vms_unpack_item *it,
                       uint8_t **state)
{
    const vms_desc *d;
    size_t size;
    uint64_t body = vms_stream_offset(r->s), end;
    vms_visitor *in = NULL;
    vms_error scratch = { 0 };
    bool ok = false, from_dump;
    char why[600];
    int e;

    if (rec->version_id > INT32_MAX) {
        return 0;
    }
    if ((e = vms__section_desc(r->s, r->vd, r->dump, rec, &d, &size,
                               &from_dump, why, sizeof(why), &scratch))) {
        if (e == VMS_ENOMEM || (e == VMS_EIO && from_dump)) {
            return rfail(r, e, body, "%s", scratch.message);
        }
        /* Without a dump, no vmdesc entry is the rule, not news. */
        if (r->dump) {
            snprintf(r->note, sizeof(r->note), "the dump does not "
                     "describe it: %.400s", scratch.message);
            it->note = r->note;
        }
        return vms_reader_seek(vms_stream_reader(r->s), body, r->err);
    }
    if (!d) {
        snprintf(r->note, sizeof(r->note), "the dump's description is not "
                 "used: %s", why);
        it->note = r->note;
        return 0;
    }
    *state = calloc(1, size ? size : 1);
    in = vms_wire_input_new(vms_stream_reader(r->s), &scratch);
    if (!*state || !in) {
        vms_visitor_free(in);
        return rfail(r, VMS_ENOMEM, body, "out of memory");
    }
    e = vms_walk(in, d, *state, (int)rec->version_id, &scratch);
    vms_visitor_free(in);
    end = vms_stream_offset(r->s);
    if (!e) {
        const uint8_t *p;
        size_t got;
        /* The walk may stop short: a footer must follow, if any does. */
        e = vms_read_peek(vms_stream_reader(r->s), 5, &p, &got, &scratch);
        if (!e && d->user && (got < 5 || p[0] != VMS_REC_FOOTER ||
                              vms__get_be32(p + 1) != rec->section_id)) {
            e = VMS_EFORMAT;
        }
    }
    if (!e) {
        json_trip t = { d, *state, size, (int)rec->version_id };

        e = vms__stream_reencodes(r->s, body, end, json_round_trip, &t, &ok,
                                  &scratch);
    }
    if (e == VMS_ENOMEM) {
        return rfail(r, e, body, "out of memory");
    }
    if (!ok) {
        free(*state);
        *state = NULL;
        if (from_dump) {
            /* it fitted the dump's rule: only JSON can lose it */
            snprintf(r->note, sizeof(r->note), "the dump's description of "
                     "'%.64s' does not survive JSON%s%.300s%s%.200s%s",
                     d->name, scratch.code ? " (" : "",
                     scratch.code ? scratch.message : "",
                     scratch.path[0] ? " at " : "", scratch.path,
                     scratch.code ? ")" : "");
            it->note = r->note;
        }
        return vms_reader_seek(vms_stream_reader(r->s), body, r->err);
    }
    it->body = VMS_BODY_DEVICE;
    it->desc = d;
    it->state = *state;
    it->state_size = size;
    return 0;
}

static int need_vmdesc(reader *r)
{
    const char *text;
    size_t len;
    int e;

    if (r->vd || !(text = vms_stream_vmdesc(r->s, &len))) {
        return 0;
    }
    if ((e = vms_vmdesc_parse(text, len, vms_stream_name(r->s), &r->vd,
                              r->err))) {
        if (r->err) {
            r->err->has_offset = 1;
            r->err->offset = vms_stream_vmdesc_offset(r->s) + 5;
        }
    }
    return e;
}

static int section(reader *r, const vms_record *rec, vms_unpack_item *it,
                   uint8_t **state)
{
    enum vms_section_kind k = vms_section_kind(rec->idstr, rec->instance_id);
    bool start = rec->type == VMS_REC_SECTION_START ||
                 rec->type == VMS_REC_SECTION_FULL;
    const vms_desc *d;
    size_t sz;
    int e = 0;

    /* A description entry wins over a built-in decoder, as in python. */
    if (r->vd && k != VMS_SECTION_DEVICE &&
        vms_vmdesc_device(r->vd, rec->idstr, rec->instance_id, &d, &sz,
                          NULL) == 0) {
        k = VMS_SECTION_DEVICE;
    }
    it->body = VMS_BODY_RAW;
    switch (k) {
    case VMS_SECTION_RAM:
        it->body = VMS_BODY_RAM;
        return ram_chunk(r, rec);
    case VMS_SECTION_HTAB:
        return vms_htab_read(r->s, rec->version_id, r->err);
    case VMS_SECTION_STATTR:
        return vms_stattr_read(r->s, rec->version_id, r->err);
    case VMS_SECTION_BLOCK:
        return vms_block_read(r->s, rec->version_id, r->err);
    case VMS_SECTION_DIRTY_BITMAP:
        return vms_dirty_bitmap_read(r->s, rec->version_id, r->err);
    case VMS_SECTION_DEVICE:
        break;
    }
    if (start && rec->type == VMS_REC_SECTION_FULL &&
        (e = device_body(r, rec, it, state))) {
        return e;
    }
    if (it->body == VMS_BODY_DEVICE) {
        return 0;
    }
    /*
     * Undecoded: its footer bounds it; in a stream without footers
     * nothing does, and the rest of the input is kept whole.
     */
    {
        size_t n;
        if (r->footers || r->vd) {
            e = vms_stream_body_to_footer(r->s, rec, &n, r->err);
            return e ? e : vms_read_skip(vms_stream_reader(r->s), n, r->err);
        }
    }
    it->body = VMS_BODY_TAIL;
    return 0;
}

int vms_unpack_read(vms_stream *s, const vms_unpack_ops *ops, vms_error *err)
{
    reader r = { .s = s, .ops = ops, .err = err, .dump = ops->dump };
    int e;

    if (!vms_stream_seekable(s)) {
        return vms_stream_fail(s, err, VMS_EUNSUPPORTED, 0, "unpacking needs "
                               "a file, not a pipe (bodies are read back)");
    }
    if ((e = need_vmdesc(&r))) {
        return e;
    }
    /* a dump's descriptions are borrowed: they must prove they fit */
    vms_stream_require_fit(s, r.dump && !vms_stream_vmdesc(s, NULL));
    r.page_size = r.vd && vms_vmdesc_page_size(r.vd)
                      ? vms_vmdesc_page_size(r.vd) : 4096;
    for (;;) {
        vms_unpack_item it;
        uint8_t *state = NULL;
        uint64_t before;

        memset(&it, 0, sizeof(it));
        if ((e = vms_stream_next(s, &it.rec, &r.cfg, err))) {
            break;
        }
        it.body_off = it.rec.offset + 1;
        switch (it.rec.type) {
        case VMS_REC_EOF: {
            /* Bytes the model would not keep make the stream not unpack. */
            uint64_t end = vms_stream_offset(s);
            int64_t size = vms_reader_size(vms_stream_reader(s));
            it.vmdesc = vms_stream_vmdesc(s, &it.vmdesc_len);
            if (it.vmdesc) {
                end = vms_stream_vmdesc_offset(s) + 5 + it.vmdesc_len;
            }
            if (size >= 0 && (uint64_t)size != end) {
                /* the stream layer's classification says which */
                uint64_t len, at = vms__stream_tail_at(s, &len);
                if (vms_stream_tail(s, NULL) == VMS_TAIL_OVERSIZE) {
                    e = rfail(&r, VMS_ELIMIT, at, "the JSON description "
                              "after the EOF record is %" PRIu64 " bytes, "
                              "over VMS_LIMIT_VMDESC_SIZE (%u bytes)", len,
                              VMS_LIMIT_VMDESC_SIZE);
                } else {
                    at = at ? at : end;
                    e = rfail(&r, VMS_EFORMAT, at, "the %" PRIu64 " bytes "
                              "from here to the end are no JSON description "
                              "and not part of the stream",
                              (uint64_t)size - at);
                }
            }
            break;
        }
        case VMS_REC_CONFIGURATION:
            if (r.cfg.target_page_bits && !r.vd) {
                r.page_size = 1u << r.cfg.target_page_bits;
            }
            it.cfg = &r.cfg;
            break;
        case VMS_REC_COMMAND:
            break;
        default:
            it.body_off = vms_stream_offset(s);
            e = section(&r, &it.rec, &it, &state);
            if (!e && it.body == VMS_BODY_TAIL) {
                vms_reader *rd = vms_stream_reader(s);
                it.body_off = it.rec.offset;
                it.body_len = (uint64_t)vms_reader_size(rd) - it.rec.offset;
                e = ops->item ? ops->item(ops->opaque, &it, err) : 0;
                free(state);
                goto out;
            }
            before = vms_stream_offset(s);
            it.body_len = before - it.body_off;
            e = e ? e : vms_stream_end_section(s, &it.rec, err);
            it.footer = vms_stream_offset(s) != before;
            r.footers |= it.footer;
            break;
        }
        if (it.rec.type == VMS_REC_CONFIGURATION ||
            it.rec.type == VMS_REC_COMMAND) {
            it.body_len = vms_stream_offset(s) - it.body_off;
        }
        if (!e && ops->item) {
            e = ops->item(ops->opaque, &it, err);
        }
        free(state);
        if (e || it.rec.type == VMS_REC_EOF) {
            break;
        }
    }
out:
    vms_ram_free(r.ram);
    vms_vmdesc_free(r.vd);
    return e;
}
