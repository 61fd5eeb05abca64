/*
 * libvmstate: the unpacked model of a stream (pack.h): reading it from a
 * stream, writing it into a directory (unpack), and writing a stream from
 * such a directory (pack).
 *
 * Nothing here parses the stream format a second time: the container
 * reader (stream.c), the RAM decoder (ram.c, through its record sink) and
 * the section decoders (sections.c) find every record and its extent;
 * device sections go through the one walk with the wire, JSON state
 * output and JSON state input visitors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <jansson.h>
#include "vmstate/pack.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "internal.h"
#include "ramfile.h"

/* ---- reading the model ------------------------------------------------- */

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

static bool has_cap(const vms_config *c, const char *cap)
{
    for (uint32_t i = 0; i < c->ncaps; i++) {
        if (strcmp(c->caps[i], cap) == 0) {
            return true;
        }
    }
    return false;
}

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
            .ignore_shared = has_cap(&r->cfg, "x-ignore-shared"),
            .mapped_ram = has_cap(&r->cfg, "mapped-ram"),
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
    vms_jsonw *j = vms_jsonw_new(vms_sink_buf, &text, VMS_JSONW_COMPACT, 0);
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
                              vms_get_be32(p + 1) != rec->section_id)) {
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
                e = rfail(&r, VMS_EFORMAT, end, "%" PRIu64 " bytes after "
                          "the EOF record are not a JSON description "
                          "(truncated?)", (uint64_t)size - end);
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

/* ---- the page log -------------------------------------------------------- */

/*
 * ramlog.bin: a 16-byte header ("VMSRAMLG", le32 version 1, le32 entry
 * size 48) and one 48-byte little-endian entry per RAM record or MEM_SIZE
 * entry, in stream order (doc/vmstate-unpack.1 documents it too).
 */
#define LOG_MAGIC "VMSRAMLG"
#define LOG_VERSION 1
#define LOG_ENTRY 48

enum log_kind {
    LK_ENTRY = 1,     /* a MEM_SIZE entry: block, aux = length, aux2 =
                         mr_addr, extra = its mapped-ram bytes */
    LK_WORD,          /* a record of its word alone (MEM_SIZE, EOS, flush) */
    LK_ZERO,
    LK_PAGE,          /* data from the block file, or extra if superseded */
    LK_XBZRLE,        /* extra = the delta, aux = hash of the result */
    LK_COMPRESS,      /* extra = the zlib bytes, aux = hash of the page */
};
enum {
    LF_SUPERSEDED = 1, /* a later record changed the page: extra holds it */
    LF_LAST = 2,       /* the page's last record: the block file has it */
    LF_SHARED = 4,     /* LK_ENTRY: mr_addr travels (x-ignore-shared) */
};

typedef struct log_entry {
    uint64_t word, extra_off, extra_len, aux, aux2;
    uint32_t block;
    uint8_t kind, named, fill, flags;
} log_entry;

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8) {
        p[i] = (uint8_t)v;
    }
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void log_encode(const log_entry *l, uint8_t *p)
{
    put_le(p, l->word, 8);
    put_le(p + 8, l->extra_off, 8);
    put_le(p + 16, l->extra_len, 8);
    put_le(p + 24, l->aux, 8);
    put_le(p + 32, l->aux2, 8);
    put_le(p + 40, l->block, 4);
    p[44] = l->kind;
    p[45] = l->named;
    p[46] = l->fill;
    p[47] = l->flags;
}

static void log_decode(const uint8_t *p, log_entry *l)
{
    l->word = get_le(p, 8);
    l->extra_off = get_le(p + 8, 8);
    l->extra_len = get_le(p + 16, 8);
    l->aux = get_le(p + 24, 8);
    l->aux2 = get_le(p + 32, 8);
    l->block = (uint32_t)get_le(p + 40, 4);
    l->kind = p[44];
    l->named = p[45];
    l->fill = p[46];
    l->flags = p[47];
}

/* A page's fingerprint: was an encoded page edited since unpack? */
static uint64_t page_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x736f6d6570736575ull ^ n;

    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    for (size_t i = n & ~(size_t)7; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    return n == 0 || (p[0] == v && memcmp(p, p + 1, n - 1) == 0);
}

/* ---- unpack: the model into a directory --------------------------------- */

#define RAM_SUBDIR "ram"

typedef struct ublock {
    char name[256];
    char fname[256];
    uint64_t length, npages;
    uint32_t *last;            /* per page: 1 + its last log entry, 0 none */
} ublock;

typedef struct unpacker {
    vms_error *err;
    vms_progress_fn progress;
    void *progress_opaque;
    uint64_t size;             /* of the stream, 0 when not known */
    vms_stream *s;
    const char *dir;
    int dirfd, ramfd;
    bool made_dir, made_ram;
    vms_outfile json_of, data_of, raw_of, desc_of, log_of, dump_of;
    bool json_open, data_open, raw_open, desc_open, log_open, dump_open;
    vms_jsonw *j;
    vms_writer *data, *raw;
    vms_ramfiles *rf;
    uint32_t page_size;
    ublock *blocks;
    unsigned nblocks;
    log_entry *log;
    size_t nlog, caplog, chunk_first;
    uint8_t *page;             /* scratch: a superseded page */
    unsigned index;            /* of the item in "sections" */
    bool has_vmdesc;
    bool ignore_shared;
} unpacker;

static int jfail(unpacker *u)
{
    return vms_error_set(u->err, VMS_EIO, "cannot write stream.json");
}

static int log_add(unpacker *u, const log_entry *l)
{
    if (u->nlog == u->caplog) {
        size_t c = u->caplog ? 2 * u->caplog : 4096;
        log_entry *n = realloc(u->log, c * sizeof(*n));
        if (!n) {
            return vms_error_set(u->err, VMS_ENOMEM, "out of memory");
        }
        u->log = n;
        u->caplog = c;
    }
    u->log[u->nlog++] = *l;
    return 0;
}

static int u_ram_begin(void *opaque, uint32_t page_size, vms_error *err)
{
    unpacker *u = opaque;

    u->page_size = page_size;
    if (!(u->rf = vms_ramfiles_new(u->ramfd, page_size, VMS_OUT_FORCE, err)) ||
        !(u->page = malloc(page_size))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    return 0;
}

static int u_block(void *opaque, unsigned idx, const char *name,
                   uint64_t length, vms_error *err)
{
    unpacker *u = opaque;
    ublock *b;
    int r;

    if (idx >= u->nblocks) {
        ublock *n = realloc(u->blocks, (idx + 1) * sizeof(*n));
        if (!n) {
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
        memset(n + u->nblocks, 0, (idx + 1 - u->nblocks) * sizeof(*n));
        u->blocks = n;
        u->nblocks = idx + 1;
    }
    b = &u->blocks[idx];
    if (b->last) {
        return 0;       /* announced again by a later MEM_SIZE */
    }
    snprintf(b->name, sizeof(b->name), "%s", name);
    {
        /* Block files live in DIR/ram under safe, distinct names. */
        char fname[256];
        vms_ramfiles_fname(u->rf, name, NULL, fname);
        snprintf(b->fname, sizeof(b->fname), "%s", fname);
    }
    b->length = length;
    b->npages = (length + u->page_size - 1) / u->page_size;
    if (b->npages >= UINT32_MAX ||
        !(b->last = calloc(b->npages ? b->npages : 1, sizeof(*b->last)))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    r = vms_ramfiles_block(u->rf, idx, b->fname, length, err);
    return r < 0 ? r : 0;
}

static int u_entry(void *opaque, const vms_ram_entry *e, vms_error *err)
{
    unpacker *u = opaque;
    log_entry l = { 0 };
    int r;

    l.kind = LK_ENTRY;
    l.block = e->idx;
    l.aux = e->length;
    l.aux2 = e->mr_addr;
    l.flags = u->ignore_shared ? LF_SHARED : 0;
    if (e->mapped_len) {
        l.extra_off = vms_writer_offset(u->data);
        l.extra_len = e->mapped_len;
        if ((r = vms_stream_copy(u->s, e->mapped_off, e->mapped_len,
                                 u->data, err))) {
            return r;
        }
    }
    return log_add(u, &l);
}

static ublock *page_block(unpacker *u, unsigned idx, uint64_t addr,
                          vms_error *err)
{
    if (idx >= u->nblocks || !u->blocks[idx].last ||
        addr / u->page_size >= u->blocks[idx].npages) {
        vms_error_set(err, VMS_EFORMAT, "RAM page outside the blocks");
        return NULL;
    }
    return &u->blocks[idx];
}

/*
 * A page's new content. When an earlier record sent the page as data and
 * its content changes now, the old content is kept in ramdata.bin, so
 * that pack sends both as they were.
 */
static int u_page(void *opaque, unsigned idx, uint64_t addr,
                  const uint8_t *data, uint8_t fill, vms_error *err)
{
    unpacker *u = opaque;
    ublock *b = page_block(u, idx, addr, err);
    uint32_t prev;
    int e;

    if (!b) {
        return VMS_EFORMAT;
    }
    prev = b->last[addr / u->page_size];
    if (prev && u->log[prev - 1].kind == LK_PAGE &&
        !(u->log[prev - 1].flags & LF_SUPERSEDED)) {
        log_entry *l = &u->log[prev - 1];
        bool same;
        if ((e = vms_ramfiles_read(u->rf, idx, addr, u->page, err))) {
            return e;
        }
        same = data ? memcmp(u->page, data, u->page_size) == 0
                    : all_bytes(u->page, u->page_size, fill);
        if (!same) {
            l->flags |= LF_SUPERSEDED;
            l->extra_off = vms_writer_offset(u->data);
            l->extra_len = u->page_size;
            if ((e = vms_write_bytes(u->data, u->page, u->page_size, err))) {
                return e;
            }
        }
    }
    return vms_ramfiles_page(u->rf, idx, addr, data, fill, err);
}

static int u_old_page(void *opaque, unsigned idx, uint64_t addr,
                      uint8_t *buf, vms_error *err)
{
    unpacker *u = opaque;

    return vms_ramfiles_read(u->rf, idx, addr, buf, err);
}

static int u_record(void *opaque, const vms_ram_record *r, vms_error *err)
{
    unpacker *u = opaque;
    uint64_t flags = r->word & (uint64_t)(u->page_size - 1);
    uint64_t addr = r->word & ~(uint64_t)(u->page_size - 1);
    log_entry l = { .word = r->word, .block = r->block,
                    .named = r->named, .fill = r->fill };
    int e;

    if (flags & VMS_RAM_ZERO) {
        l.kind = LK_ZERO;
    } else if (flags & VMS_RAM_PAGE) {
        l.kind = LK_PAGE;
    } else if (flags & (VMS_RAM_XBZRLE | VMS_RAM_COMPRESS_PAGE)) {
        l.kind = (flags & VMS_RAM_XBZRLE) ? LK_XBZRLE : LK_COMPRESS;
        l.extra_off = vms_writer_offset(u->data);
        l.extra_len = r->payload_len;
        l.aux = r->data ? page_hash(r->data, u->page_size) : 0;
        if ((e = vms_write_bytes(u->data, r->payload, r->payload_len,
                                 err))) {
            return e;
        }
    } else {
        l.kind = LK_WORD;
        return log_add(u, &l);
    }
    ublock *b = page_block(u, r->block, addr, err);
    if (!b) {
        return VMS_EFORMAT;
    }
    if ((e = log_add(u, &l))) {
        return e;
    }
    b->last[addr / u->page_size] = (uint32_t)u->nlog;
    return 0;
}

static const char *const rec_names[] = {
    [VMS_REC_EOF] = "EOF",
    [VMS_REC_SECTION_START] = "START",
    [VMS_REC_SECTION_PART] = "PART",
    [VMS_REC_SECTION_END] = "END",
    [VMS_REC_SECTION_FULL] = "FULL",
    [VMS_REC_CONFIGURATION] = "configuration",
    [VMS_REC_COMMAND] = "command",
};

/* "name": [offset, length] of bytes copied into raw.bin. */
static int u_raw(unpacker *u, const char *key, uint64_t off, uint64_t len)
{
    uint64_t at = vms_writer_offset(u->raw);
    int e = vms_stream_copy(u->s, off, len, u->raw, u->err);

    if (e) {
        return e;
    }
    if (vms_jsonw_key(u->j, key) || vms_jsonw_begin_array(u->j) ||
        vms_jsonw_uint(u->j, at) || vms_jsonw_uint(u->j, len) ||
        vms_jsonw_end_array(u->j)) {
        return jfail(u);
    }
    return 0;
}

static int u_config(unpacker *u, const vms_unpack_item *it)
{
    const vms_config *c = it->cfg;
    vms_jsonw *j = u->j;
    int e = vms_jsonw_kv_str(j, 0, "machine", c->machine);

    u->ignore_shared = has_cap(c, "x-ignore-shared");
    if (!e && c->target_page_bits) {
        e = vms_jsonw_kv_int(j, e, "target_page_bits", c->target_page_bits);
    }
    if (!e && c->ncaps) {
        e = vms_jsonw_key(j, "capabilities");
        e = e ? e : vms_jsonw_begin_array(j);
        for (uint32_t i = 0; !e && i < c->ncaps; i++) {
            e = vms_jsonw_string(j, c->caps[i]);
        }
        e = e ? e : vms_jsonw_end_array(j);
    }
    if (!e && c->has_uuid) {
        e = vms_jsonw_key(j, "uuid");
        e = e ? e : vms_jsonw_hex_bytes(j, c->uuid, 16);
    }
    if (e) {
        return jfail(u);
    }
    /* The decoded values above are for people: pack sends these bytes. */
    return u_raw(u, "raw", it->body_off, it->body_len);
}

static int u_item(void *opaque, const vms_unpack_item *it, vms_error *err)
{
    unpacker *u = opaque;
    vms_jsonw *j = u->j;
    const vms_record *rec = &it->rec;
    const char *type = (unsigned)rec->type < VMS_ARRAY_SIZE(rec_names)
                           ? rec_names[rec->type] : NULL;
    int e;

    (void)err;
    if (it->body == VMS_BODY_TAIL) {
        type = "tail";
    }
    if (!type) {
        return vms_error_set(u->err, VMS_EFORMAT, "record type 0x%x",
                             rec->type);
    }
    e = vms_jsonw_begin_object(j);
    e = vms_jsonw_kv_str(j, e, "type", type);
    if (e) {
        return jfail(u);
    }
    u->index++;
    if (it->body == VMS_BODY_TAIL) {
        e = u_raw(u, "raw", it->body_off, it->body_len);
        return e ? e : vms_jsonw_end_object(j) ? jfail(u) : 0;
    }
    switch (rec->type) {
    case VMS_REC_CONFIGURATION:
        if ((e = u_config(u, it))) {
            return e;
        }
        break;
    case VMS_REC_COMMAND:
        e = vms_jsonw_kv_int(j, 0, "command", rec->command);
        break;
    case VMS_REC_EOF:
        u->has_vmdesc = it->vmdesc != NULL;
        if (it->vmdesc &&
            vms_sink_fd((void *)(intptr_t)u->desc_of.fd, it->vmdesc,
                        it->vmdesc_len)) {
            vms_error_set_file(u->err, "vmdesc.json");
            return vms_error_set(u->err, VMS_EIO, "write failed: %s",
                                 strerror(errno));
        }
        break;
    default:
        e = vms_jsonw_kv_int(j, 0, "section_id", rec->section_id);
        /* PART/END: the START's names, for people (pack ignores them). */
        e = vms_jsonw_kv_str(j, e, "idstr", rec->idstr);
        e = vms_jsonw_kv_int(j, e, "instance_id", rec->instance_id);
        e = vms_jsonw_kv_int(j, e, "version_id", rec->version_id);
        if (e) {
            return jfail(u);
        }
        if (it->body == VMS_BODY_DEVICE) {
            vms_visitor *v = vms_json_state_output_new(j, u->err);
            if (!v || vms_jsonw_key(j, "fields")) {
                vms_visitor_free(v);
                return v ? jfail(u) : VMS_ENOMEM;
            }
            e = vms_walk(v, it->desc, it->state, 0, u->err);
            vms_visitor_free(v);
            if (e) {
                return e;
            }
        } else if (it->body == VMS_BODY_RAM) {
            e = vms_jsonw_key(j, "ram_log");
            e = e ? e : vms_jsonw_begin_array(j);
            e = e ? e : vms_jsonw_uint(j, u->chunk_first);
            e = e ? e : vms_jsonw_uint(j, u->nlog - u->chunk_first);
            e = e ? e : vms_jsonw_end_array(j);
            u->chunk_first = u->nlog;
            if (e) {
                return jfail(u);
            }
            if (u->rf && (e = vms_ramfiles_flush(u->rf, u->err))) {
                return e;
            }
        } else if ((e = u_raw(u, "raw", it->body_off, it->body_len))) {
            return e;
        }
        if (it->note && vms_jsonw_kv_str(j, 0, "note", it->note)) {
            return jfail(u);
        }
        e = vms_jsonw_key(j, "footer");
        e = e ? e : vms_jsonw_bool(j, it->footer);
        break;
    }
    if (e || vms_jsonw_end_object(j)) {
        return jfail(u);
    }
    return 0;
}

/* Refuse a non-empty directory unless forced; create a missing one. */
static int open_outdir(const char *dir, unsigned flags, bool *made,
                       vms_error *err)
{
    struct stat st;
    int fd;

    *made = false;
    if (lstat(dir, &st) == 0) {
        DIR *dp;
        struct dirent *de;
        bool empty = true;
        if (!S_ISDIR(st.st_mode)) {
            vms_error_set_file(err, dir);
            return vms_error_set(err, VMS_EEXIST, "exists and is not a "
                                 "directory");
        }
        if (!(flags & VMS_PACK_FORCE) && (dp = opendir(dir))) {
            while ((de = readdir(dp))) {
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                    empty = false;
                    break;
                }
            }
            closedir(dp);
            if (!empty) {
                vms_error_set_file(err, dir);
                return vms_error_set(err, VMS_EEXIST, "directory is not "
                                     "empty (--force writes into it)");
            }
        }
    } else if (mkdir(dir, 0777) != 0) {
        vms_error_set_file(err, dir);
        return vms_error_set(err, VMS_EIO, "cannot create: %s",
                             strerror(errno));
    } else {
        *made = true;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        vms_error_set_file(err, dir);
        vms_error_set(err, VMS_EIO, "cannot open: %s", strerror(errno));
        if (*made) {
            rmdir(dir);
        }
    }
    return fd;
}

static int u_open(unpacker *u, vms_outfile *o, bool *open, const char *name)
{
    int e = vms_outfile_open(o, u->dirfd, name, VMS_OUT_FORCE, u->err);

    if (e) {
        vms__error_outfile(u->err, u->dir, name);
    }
    *open = e == 0;
    return e;
}

static int u_finish(unpacker *u)
{
    vms_jsonw *j = u->j;
    vms_writer *lw;
    uint8_t hdr[16], ent[LOG_ENTRY];
    int e;

    e = vms_jsonw_end_array(j);
    e = vms_jsonw_kv_int(j, e, "page_size", u->page_size);
    e = e ? e : vms_jsonw_key(j, "ram_blocks");
    e = e ? e : vms_jsonw_begin_array(j);
    for (unsigned i = 0; !e && i < u->nblocks; i++) {
        char file[300], len[24];
        snprintf(file, sizeof(file), RAM_SUBDIR "/%s", u->blocks[i].fname);
        snprintf(len, sizeof(len), "0x%016" PRIx64, u->blocks[i].length);
        e = vms_jsonw_begin_object(j);
        e = vms_jsonw_kv_str(j, e, "name", u->blocks[i].name);
        e = vms_jsonw_kv_str(j, e, "file", file);
        e = vms_jsonw_kv_str(j, e, "length", len);
        e = e ? e : vms_jsonw_end_object(j);
    }
    e = e ? e : vms_jsonw_end_array(j);
    e = vms_jsonw_kv_str(j, e, "ram_log", "ramlog.bin");
    e = vms_jsonw_kv_str(j, e, "ram_data", "ramdata.bin");
    e = vms_jsonw_kv_str(j, e, "raw", "raw.bin");
    e = e ? e : vms_jsonw_key(j, "vmdesc");
    e = e ? e : u->has_vmdesc ? vms_jsonw_string(j, "vmdesc.json")
                              : vms_jsonw_null(j);
    e = e ? e : vms_jsonw_key(j, "dump");
    e = e ? e : u->dump_open ? vms_jsonw_string(j, "dump.json")
                             : vms_jsonw_null(j);
    e = e ? e : vms_jsonw_end_object(j);
    e = e ? e : vms_jsonw_text(j, "\n", 1);
    e = e ? e : vms_jsonw_flush(j);
    if (e) {
        return jfail(u);
    }
    /* The page log, with each page's last record marked. */
    for (unsigned i = 0; i < u->nblocks; i++) {
        for (uint64_t p = 0; p < u->blocks[i].npages; p++) {
            if (u->blocks[i].last[p]) {
                u->log[u->blocks[i].last[p] - 1].flags |= LF_LAST;
            }
        }
    }
    if ((e = u_open(u, &u->log_of, &u->log_open, "ramlog.bin"))) {
        return e;
    }
    if (!(lw = vms_writer_fd(u->log_of.fd, "ramlog.bin", u->err))) {
        return VMS_ENOMEM;
    }
    memcpy(hdr, LOG_MAGIC, 8);
    put_le(hdr + 8, LOG_VERSION, 4);
    put_le(hdr + 12, LOG_ENTRY, 4);
    e = vms_write_bytes(lw, hdr, sizeof(hdr), u->err);
    for (size_t i = 0; !e && i < u->nlog; i++) {
        log_encode(&u->log[i], ent);
        e = vms_write_bytes(lw, ent, sizeof(ent), u->err);
    }
    if (vms_writer_close(lw, u->err) && !e) {
        e = VMS_EIO;
    }
    e = e ? e : vms_writer_close(u->data, u->err);
    u->data = NULL;
    e = e ? e : vms_writer_close(u->raw, u->err);
    u->raw = NULL;
    if (e) {
        return e;
    }
    if (u->rf && (e = vms_ramfiles_commit(u->rf, u->err))) {
        return e;
    }
    if (!u->has_vmdesc) {
        vms_outfile_abort(&u->desc_of);
        u->desc_open = false;
    }
    struct { vms_outfile *o; bool *open; } all[] = {
        { &u->desc_of, &u->desc_open }, { &u->data_of, &u->data_open },
        { &u->raw_of, &u->raw_open }, { &u->log_of, &u->log_open },
        { &u->dump_of, &u->dump_open }, { &u->json_of, &u->json_open },
    };
    for (size_t i = 0; !e && i < VMS_ARRAY_SIZE(all); i++) {
        if (*all[i].open) {
            *all[i].open = false;
            e = vms_outfile_commit(all[i].o, VMS_OUT_FORCE, u->err);
        }
    }
    return e;
}

static void u_tick(void *opaque)
{
    unpacker *u = opaque;

    if (u->progress) {
        u->progress(u->progress_opaque, vms_stream_offset(u->s), u->size);
    }
}

/* The dump's bytes (for DIR/dump.json) and the dump read from them. */
static int u_dump(unpacker *u, const char *path, vms_dump **dump)
{
    char *buf;
    size_t len;
    int e;

    if ((e = vms__read_file(path, VMS_LIMIT_DUMP_SIZE, "dump",
                            "VMS_LIMIT_DUMP_SIZE", &buf, &len, u->err))) {
        return e;
    }
    e = vms_dump_load_buffer(buf, len, path, dump, u->err);
    if (!e && !(e = u_open(u, &u->dump_of, &u->dump_open, "dump.json")) &&
        vms_sink_fd((void *)(intptr_t)u->dump_of.fd, buf, len)) {
        vms_error_set_file(u->err, "dump.json");
        e = vms_error_set(u->err, VMS_EIO, "write failed: %s",
                          strerror(errno));
    }
    free(buf);
    return e;
}

int vms_unpack(const char *stream, const char *dir, unsigned flags,
               vms_progress_fn progress, void *progress_opaque,
               vms_error *err)
{
    return vms_unpack_dump(stream, dir, NULL, flags, progress,
                           progress_opaque, err);
}

int vms_unpack_dump(const char *stream, const char *dir,
                    const char *dump_file, unsigned flags,
                    vms_progress_fn progress, void *progress_opaque,
                    vms_error *err)
{
    vms_dump *dump = NULL;
    unpacker u = { .err = err, .dir = dir, .dirfd = -1, .ramfd = -1,
                   .progress = progress, .progress_opaque = progress_opaque };
    int64_t size;
    vms_ram_sink sink = {
        .opaque = &u,
        .want_data = true,
        .block = u_block,
        .page = u_page,
        .old_page = u_old_page,
        .entry = u_entry,
        .record = u_record,
        .tick = u_tick,
    };
    vms_unpack_ops ops = { .opaque = &u, .item = u_item, .ram = &sink,
                           .ram_begin = u_ram_begin };
    int e;

    if (!(u.s = vms_stream_open(stream, err))) {
        return err ? err->code : VMS_EIO;
    }
    size = vms_reader_size(vms_stream_reader(u.s));
    u.size = size > 0 ? (uint64_t)size : 0;
    if ((u.dirfd = open_outdir(dir, flags, &u.made_dir, err)) < 0) {
        vms_stream_close(u.s);
        return err ? err->code : VMS_EIO;
    }
    if (mkdirat(u.dirfd, RAM_SUBDIR, 0777) == 0) {
        u.made_ram = true;
    } else if (errno != EEXIST) {
        /* say why (a read-only DIR), not what openat finds missing after */
        vms__error_outfile(err, dir, RAM_SUBDIR);
        e = vms_error_set(err, VMS_EIO, "cannot create: %s", strerror(errno));
        goto out;
    }
    u.ramfd = openat(u.dirfd, RAM_SUBDIR,
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (u.ramfd < 0) {
        vms__error_outfile(err, dir, RAM_SUBDIR);
        e = vms_error_set(err, VMS_EIO, "cannot open: %s", strerror(errno));
        goto out;
    }
    if ((e = u_open(&u, &u.json_of, &u.json_open, "stream.json")) ||
        (e = u_open(&u, &u.data_of, &u.data_open, "ramdata.bin")) ||
        (e = u_open(&u, &u.raw_of, &u.raw_open, "raw.bin")) ||
        (e = u_open(&u, &u.desc_of, &u.desc_open, "vmdesc.json")) ||
        (dump_file && (e = u_dump(&u, dump_file, &dump)))) {
        goto out;
    }
    ops.dump = dump;
    u.j = vms_jsonw_new(vms_sink_fd, (void *)(intptr_t)u.json_of.fd,
                        VMS_JSONW_PRETTY, 4);
    u.data = vms_writer_fd(u.data_of.fd, "ramdata.bin", err);
    u.raw = vms_writer_fd(u.raw_of.fd, "raw.bin", err);
    if (!u.j || !u.data || !u.raw) {
        e = vms_error_set(err, VMS_ENOMEM, "out of memory");
        goto out;
    }
    e = vms_jsonw_begin_object(u.j);
    e = vms_jsonw_kv_str(u.j, e, "format", "vmstate-unpack");
    e = vms_jsonw_kv_int(u.j, e, "format_version", 1);
    e = e ? e : vms_jsonw_key(u.j, "sections");
    e = e ? e : vms_jsonw_begin_array(u.j);
    if (e) {
        e = jfail(&u);
        goto out;
    }
    if ((e = vms_unpack_read(u.s, &ops, err)) || (e = u_finish(&u))) {
        goto out;
    }
out:
    vms_jsonw_free(u.j);
    if (u.data) {
        vms_writer_close(u.data, NULL);
    }
    if (u.raw) {
        vms_writer_close(u.raw, NULL);
    }
    vms_ramfiles_free(u.rf);
    {
        vms_outfile *all[] = { &u.json_of, &u.data_of, &u.raw_of, &u.desc_of,
                               &u.log_of, &u.dump_of };
        bool *open[] = { &u.json_open, &u.data_open, &u.raw_open,
                         &u.desc_open, &u.log_open, &u.dump_open };
        for (size_t i = 0; i < VMS_ARRAY_SIZE(all); i++) {
            if (*open[i]) {
                vms_outfile_abort(all[i]);
            }
        }
    }
    if (u.ramfd >= 0) {
        close(u.ramfd);
    }
    if (e && u.made_ram) {
        unlinkat(u.dirfd, RAM_SUBDIR, AT_REMOVEDIR);
    }
    close(u.dirfd);
    if (e && u.made_dir) {
        rmdir(dir);
    }
    for (unsigned i = 0; i < u.nblocks; i++) {
        free(u.blocks[i].last);
    }
    free(u.blocks);
    free(u.log);
    free(u.page);
    vms_dump_free(dump);
    vms_stream_close(u.s);
    if (e && err && !err->code) {
        err->code = e;
    }
    return e;
}

/* ---- pack: a directory into a stream ------------------------------------ */

typedef struct pfile {
    const uint8_t *map;
    uint64_t size;
    char name[300];            /* for messages: DIR/file */
} pfile;

typedef struct pblock {
    char name[256];
    uint64_t length;
    pfile f;
    /*
     * The file's data extents (start, end pairs, sorted): a zero page in a
     * hole needs no reading to know it is still zero, and most of a
     * guest's pages are.
     */
    uint64_t *ext;
    size_t next;
    /*
     * Pages are read through a window of WINDOW bytes that slides with
     * the log (pages mostly come in address order): memory stays
     * constant, however large the block.
     */
    int fd;
    uint8_t *win;
    uint64_t win_off, win_len;
} pblock;

#define WINDOW (1u << 20)

typedef struct packer {
    vms_error *err;
    vms_progress_fn progress;
    void *progress_opaque;
    const char *dir;
    int dirfd;
    char json_name[300];
    json_t *root;
    vms_vmdesc *vd;
    vms_dump *dump;            /* "dump": a second source, as in unpack */
    char *vmdesc;
    size_t vmdesc_len;
    uint32_t page_size;
    pblock *blocks;
    size_t nblocks;
    pfile log, data, raw;
    size_t nlog;
    vms_writer *w;
    size_t *pending;           /* log entries of the MEM_SIZE being built */
    size_t npending;
    char path[VMS_ERROR_PATH_MAX];
} packer;

/* An error about stream.json at JSON path p->path (plus more). */
static int pfail(packer *p, int code, const char *more, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int pfail(packer *p, int code, const char *more, const char *fmt, ...)
{
    char path[2 * VMS_ERROR_PATH_MAX + 2];
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(p->err, code, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s%s%s", p->path,
             more && p->path[0] && more[0] != '[' ? "." : "",
             more ? more : "");
    vms_error_set_path(p->err, path);
    vms_error_set_file(p->err, p->json_name);
    return code;
}

static int get_uint(packer *p, const json_t *o, const char *key,
                    uint64_t max, uint64_t *v)
{
    const json_t *j = json_object_get(o, key);

    *v = 0;                     /* defined on every path, errors too */
    if (!j) {
        return pfail(p, VMS_EFORMAT, key, "missing");
    }
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        (uint64_t)json_integer_value(j) > max) {
        return pfail(p, VMS_EFORMAT, key, "must be an integer 0..%" PRIu64,
                     max);
    }
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

static int get_str(packer *p, const json_t *o, const char *key, size_t max,
                   const char **v)
{
    const json_t *j = json_object_get(o, key);

    if (!j) {
        return pfail(p, VMS_EFORMAT, key, "missing");
    }
    if (!json_is_string(j) || json_string_length(j) > max ||
        strlen(json_string_value(j)) != json_string_length(j)) {
        return pfail(p, VMS_EFORMAT, key, "must be a string of at most %zu "
                     "bytes without NUL", max);
    }
    *v = json_string_value(j);
    return 0;
}

/* [offset, length] inside f. */
static int get_range(packer *p, const json_t *o, const char *key,
                     const pfile *f, uint64_t *off, uint64_t *len)
{
    const json_t *j = json_object_get(o, key);
    const json_t *a = json_array_get(j, 0), *b = json_array_get(j, 1);

    if (!json_is_array(j) || json_array_size(j) != 2 ||
        !json_is_integer(a) || !json_is_integer(b) ||
        json_integer_value(a) < 0 || json_integer_value(b) < 0) {
        return pfail(p, VMS_EFORMAT, key, "must be [offset, length]");
    }
    *off = (uint64_t)json_integer_value(a);
    *len = (uint64_t)json_integer_value(b);
    if (f && (*off > f->size || *len > f->size - *off)) {
        return pfail(p, VMS_EFORMAT, key, "bytes %" PRIu64 "..%" PRIu64
                     " are beyond the end of %s (%" PRIu64 " bytes)",
                     *off, *off + *len, f->name, f->size);
    }
    return 0;
}

/* A file named in stream.json: one path component, or "ram/" + one. */
static bool safe_rel(const char *name, bool allow_ram)
{
    const char *c = name;

    if (allow_ram && strncmp(name, RAM_SUBDIR "/", 4) == 0) {
        c = name + 4;
    }
    return c[0] && !strchr(c, '/') && strcmp(c, ".") && strcmp(c, "..");
}

/* Where fd has data (SEEK_DATA/SEEK_HOLE); all of it when unknown. */
static int data_extents(int fd, uint64_t size, pblock *b)
{
    size_t cap = 0;
    off_t at = 0;

    b->next = 0;
    while ((uint64_t)at < size) {
        off_t d = lseek(fd, at, SEEK_DATA), h;
        if (d < 0) {
            if (errno == ENXIO) {
                break;          /* only a hole is left */
            }
            d = at;             /* no hole support: all data */
            h = (off_t)size;
        } else if ((h = lseek(fd, d, SEEK_HOLE)) < 0) {
            h = (off_t)size;
        }
        if (b->next == cap) {
            size_t c = cap ? 2 * cap : 16;
            uint64_t *n = realloc(b->ext, 2 * c * sizeof(*n));
            if (!n) {
                return VMS_ENOMEM;
            }
            b->ext = n;
            cap = c;
        }
        b->ext[2 * b->next] = (uint64_t)d;
        b->ext[2 * b->next + 1] = (uint64_t)h;
        b->next++;
        at = h > d ? h : d + 1;
    }
    return 0;
}

/* Does [addr, addr + n) touch data? */
static bool has_data(const pblock *b, uint64_t addr, uint64_t n)
{
    size_t lo = 0, hi = b->next;

    while (lo < hi) {           /* first extent ending after addr */
        size_t mid = (lo + hi) / 2;
        if (b->ext[2 * mid + 1] <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < b->next && b->ext[2 * lo] < addr + n;
}

/*
 * Open a file of DIR and map it, or for a block b (its extents noted) keep
 * it open for windowed reads.
 */
static int map_file(packer *p, const char *rel, pfile *f, pblock *b)
{
    struct stat st;
    int fd;

    snprintf(f->name, sizeof(f->name), "%s/%s", p->dir, rel);
    fd = openat(p->dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int en = fd < 0 ? errno : EINVAL;
        if (fd >= 0) {
            close(fd);
        }
        vms_error_set_file(p->err, f->name);
        return vms_error_set(p->err, en == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                             "cannot open: %s", en == EINVAL
                             ? "not a regular file" : strerror(en));
    }
    f->size = (uint64_t)st.st_size;
    if (b) {
        if (data_extents(fd, f->size, b)) {
            close(fd);
            return vms_error_set(p->err, VMS_ENOMEM, "out of memory");
        }
        b->fd = fd;
        return 0;
    }
    if (f->size) {
        void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            vms_error_set_file(p->err, f->name);
            return vms_error_set(p->err, VMS_EIO, "cannot map: %s",
                                 strerror(errno));
        }
        madvise(m, (size_t)f->size, MADV_SEQUENTIAL);
        f->map = m;
    }
    close(fd);
    return 0;
}

static void unmap_file(pfile *f)
{
    if (f->map) {
        munmap((void *)f->map, (size_t)f->size);
        f->map = NULL;
    }
}

static int p_files(packer *p)
{
    const json_t *blocks = json_object_get(p->root, "ram_blocks");
    const char *name;
    uint64_t v;
    int e;

    snprintf(p->path, sizeof(p->path), "%s", "");
    if ((e = get_uint(p, p->root, "page_size", VMS_LIMIT_PAGE_SIZE, &v))) {
        return e;
    }
    p->page_size = (uint32_t)v;
    if (p->page_size && (p->page_size < 512 ||
                         (p->page_size & (p->page_size - 1)))) {
        return pfail(p, VMS_EFORMAT, "page_size", "must be a power of two "
                     "from 512");
    }
    const char *const keys[] = { "ram_log", "ram_data", "raw" };
    pfile *const files[] = { &p->log, &p->data, &p->raw };
    for (size_t i = 0; i < 3; i++) {
        if ((e = get_str(p, p->root, keys[i], 255, &name))) {
            return e;
        }
        if (!safe_rel(name, false)) {
            return pfail(p, VMS_EFORMAT, keys[i], "must name a file in %s",
                         p->dir);
        }
        if ((e = map_file(p, name, files[i], NULL))) {
            return e;
        }
    }
    if (p->log.size < 16 || memcmp(p->log.map, LOG_MAGIC, 8) != 0 ||
        get_le(p->log.map + 8, 4) != LOG_VERSION ||
        get_le(p->log.map + 12, 4) != LOG_ENTRY ||
        (p->log.size - 16) % LOG_ENTRY) {
        vms_error_set_file(p->err, p->log.name);
        return vms_error_set(p->err, VMS_EFORMAT, "not a page log of "
                             "version %d", LOG_VERSION);
    }
    p->nlog = (size_t)((p->log.size - 16) / LOG_ENTRY);
    if (!json_is_array(blocks)) {
        return pfail(p, VMS_EFORMAT, "ram_blocks", "must be a list");
    }
    /* p->nblocks only once p->blocks exists: the clean-up walks it. */
    if (json_array_size(blocks) > VMS_LIMIT_RAM_BLOCKS) {
        return pfail(p, VMS_ELIMIT, "ram_blocks", "%zu blocks exceed "
                     "VMS_LIMIT_RAM_BLOCKS (%u)", json_array_size(blocks),
                     VMS_LIMIT_RAM_BLOCKS);
    }
    p->blocks = calloc(json_array_size(blocks) ? json_array_size(blocks)
                                               : 1, sizeof(*p->blocks));
    if (!p->blocks) {
        return vms_error_set(p->err, VMS_ENOMEM, "out of memory");
    }
    p->nblocks = json_array_size(blocks);
    for (size_t i = 0; i < p->nblocks; i++) {
        p->blocks[i].fd = -1;
    }
    for (size_t i = 0; i < p->nblocks; i++) {
        const json_t *b = json_array_get(blocks, i);
        pblock *pb = &p->blocks[i];
        const char *file, *len;
        char *end;

        snprintf(p->path, sizeof(p->path), "ram_blocks[%zu]", i);
        if ((e = get_str(p, b, "name", 255, &name)) ||
            (e = get_str(p, b, "file", 255, &file)) ||
            (e = get_str(p, b, "length", 18, &len))) {
            return e;
        }
        if (!name[0]) {
            return pfail(p, VMS_EFORMAT, "name", "must not be empty");
        }
        snprintf(pb->name, sizeof(pb->name), "%s", name);
        errno = 0;
        pb->length = strtoull(len, &end, 16);
        if (strncmp(len, "0x", 2) != 0 || *end || errno) {
            return pfail(p, VMS_EFORMAT, "length", "must be \"0x...\"");
        }
        if (pb->length > VMS_LIMIT_RAM_BLOCK_SIZE) {
            return pfail(p, VMS_ELIMIT, "length", "exceeds "
                         "VMS_LIMIT_RAM_BLOCK_SIZE (%llu)",
                         (unsigned long long)VMS_LIMIT_RAM_BLOCK_SIZE);
        }
        if (!safe_rel(file, true)) {
            return pfail(p, VMS_EFORMAT, "file", "must name a file in %s or "
                         "%s/" RAM_SUBDIR, p->dir, p->dir);
        }
        if ((e = map_file(p, file, &pb->f, pb))) {
            return e;
        }
        if (pb->f.size != pb->length) {
            vms_error_set_file(p->err, pb->f.name);
            return vms_error_set(p->err, VMS_EFORMAT, "%" PRIu64 " bytes, "
                                 "but block '%s' has 0x%" PRIx64 " (%s: "
                                 "ram_blocks[%zu].length)", pb->f.size,
                                 pb->name, pb->length, p->json_name, i);
        }
    }
    p->path[0] = 0;
    return 0;
}

static int p_vmdesc(packer *p)
{
    const json_t *j = json_object_get(p->root, "vmdesc");
    pfile f = { 0 };
    int e;

    if (json_is_null(j)) {
        return 0;
    }
    if (!json_is_string(j) || !safe_rel(json_string_value(j), false)) {
        return pfail(p, VMS_EFORMAT, "vmdesc", "must name a file in %s, or "
                     "be null", p->dir);
    }
    if ((e = map_file(p, json_string_value(j), &f, NULL))) {
        return e;
    }
    if (f.size > VMS_LIMIT_VMDESC_SIZE) {
        vms_error_set_file(p->err, f.name);
        unmap_file(&f);
        return vms_error_set(p->err, VMS_ELIMIT, "%" PRIu64 " bytes exceed "
                             "VMS_LIMIT_VMDESC_SIZE (%u)", f.size,
                             VMS_LIMIT_VMDESC_SIZE);
    }
    p->vmdesc = malloc(f.size + 1);
    if (!p->vmdesc) {
        unmap_file(&f);
        return vms_error_set(p->err, VMS_ENOMEM, "out of memory");
    }
    if (f.size) {
        memcpy(p->vmdesc, f.map, (size_t)f.size);
    }
    p->vmdesc[f.size] = 0;
    p->vmdesc_len = (size_t)f.size;
    e = vms_vmdesc_parse(p->vmdesc, p->vmdesc_len, f.name, &p->vd, p->err);
    unmap_file(&f);
    return e;
}

static int p_dump(packer *p)
{
    const json_t *j = json_object_get(p->root, "dump");
    pfile f = { 0 };
    int e;

    if (!j || json_is_null(j)) {
        return 0;               /* directories of unpack without --dump */
    }
    if (!json_is_string(j) || !safe_rel(json_string_value(j), false)) {
        return pfail(p, VMS_EFORMAT, "dump", "must name a file in %s, or "
                     "be null", p->dir);
    }
    if ((e = map_file(p, json_string_value(j), &f, NULL))) {
        return e;
    }
    e = vms_dump_load_buffer(f.map ? (const void *)f.map : "", (size_t)f.size,
                             f.name, &p->dump, p->err);
    unmap_file(&f);
    return e;
}

/* len bytes at off of f (checked by the caller); empty files have no map. */
static const uint8_t *at(const pfile *f, uint64_t off, uint64_t len)
{
    static const uint8_t none[1];

    return len ? f->map + off : none;
}

static int p_copy(packer *p, const pfile *f, uint64_t off, uint64_t len)
{
    return vms_write_bytes(p->w, at(f, off, len), (size_t)len, p->err);
}

/* The page at addr of block b (in range), valid until the next call. */
static const uint8_t *block_page(packer *p, pblock *b, uint64_t addr)
{
    if (addr < b->win_off || addr + p->page_size > b->win_off + b->win_len) {
        uint64_t len = b->length - addr < WINDOW ? b->length - addr : WINDOW;
        size_t done = 0;
        if (!b->win && !(b->win = malloc(WINDOW))) {
            vms_error_set(p->err, VMS_ENOMEM, "out of memory");
            return NULL;
        }
        while (done < len) {
            ssize_t k = pread(b->fd, b->win + done, (size_t)(len - done),
                              (off_t)(addr + done));
            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k <= 0) {
                vms_error_set_file(p->err, b->f.name);
                vms_error_set(p->err, VMS_EIO, "read failed: %s",
                              k < 0 ? strerror(errno) : "the file shrank");
                return NULL;
            }
            done += (size_t)k;
        }
        b->win_off = addr;
        b->win_len = len;
    }
    return b->win + (addr - b->win_off);
}

/*
 * Replay the page log entries [first, first + n): each record as it was,
 * but a zero, compressed or XBZRLE page whose block-file content is no
 * longer what it sent goes as a data page.
 */
static int p_ram(packer *p, uint64_t first, uint64_t n)
{
    uint64_t mask = (uint64_t)p->page_size - 1;
    int e = 0;

    if (!p->page_size) {
        return pfail(p, VMS_EFORMAT, "ram_log", "a RAM section, but "
                     "page_size is 0");
    }
    if (first > p->nlog || n > p->nlog - first) {
        return pfail(p, VMS_EFORMAT, "ram_log", "entries %" PRIu64 "..%"
                     PRIu64 " are beyond the %zu of %s", first, first + n,
                     p->nlog, p->log.name);
    }
    for (uint64_t k = first; !e && k < first + n; k++) {
        log_entry l;
        vms_ram_record rr;
        pblock *b;
        uint64_t addr;

        if (p->progress && (k & 4095) == 4095) {
            p->progress(p->progress_opaque, vms_writer_offset(p->w), 0);
        }
        log_decode(p->log.map + 16 + k * LOG_ENTRY, &l);
        if (l.kind == LK_WORD) {
            e = vms_write_be64(p->w, l.word, p->err);
            if (!e && (l.word & mask & VMS_RAM_MEM_SIZE)) {
                for (size_t i = 0; !e && i < p->npending; i++) {
                    log_entry pe;
                    log_decode(p->log.map + 16 + p->pending[i] * LOG_ENTRY,
                               &pe);
                    e = vms_ram_put_entry(p->w, p->blocks[pe.block].name,
                                          pe.aux, pe.flags & LF_SHARED,
                                          pe.aux2, p->err);
                    if (!e && pe.extra_len) {
                        e = p_copy(p, &p->data, pe.extra_off, pe.extra_len);
                    }
                }
                p->npending = 0;
            }
            continue;
        }
        if (l.block >= p->nblocks) {
            vms_error_set_file(p->err, p->log.name);
            return vms_error_set(p->err, VMS_EFORMAT, "entry %" PRIu64
                                 ": block %u of %zu", k, l.block,
                                 p->nblocks);
        }
        if (l.extra_off > p->data.size ||
            l.extra_len > p->data.size - l.extra_off) {
            vms_error_set_file(p->err, p->log.name);
            return vms_error_set(p->err, VMS_EFORMAT, "entry %" PRIu64
                                 ": bytes beyond the end of %s", k,
                                 p->data.name);
        }
        if (l.kind == LK_ENTRY) {
            size_t *np = realloc(p->pending, (p->npending + 1) *
                                             sizeof(*np));
            if (!np) {
                return vms_error_set(p->err, VMS_ENOMEM, "out of memory");
            }
            p->pending = np;
            p->pending[p->npending++] = (size_t)k;
            continue;
        }
        b = &p->blocks[l.block];
        addr = l.word & ~mask;
        if (addr > b->length || p->page_size > b->length - addr) {
            vms_error_set_file(p->err, p->log.name);
            return vms_error_set(p->err, VMS_EFORMAT, "entry %" PRIu64
                                 ": page 0x%" PRIx64 " beyond block '%s'",
                                 k, addr, b->name);
        }
        const uint8_t *page = NULL;
        memset(&rr, 0, sizeof(rr));
        rr.word = l.word;
        rr.named = l.named;
        rr.fill = l.fill;
        switch (l.kind) {
        case LK_ZERO:
            /* A zero page inside a hole of the file is still zero. */
            if ((l.flags & LF_LAST) &&
                (l.fill || has_data(b, addr, p->page_size))) {
                if (!(page = block_page(p, b, addr))) {
                    return VMS_EIO;
                }
                if (!all_bytes(page, p->page_size, l.fill)) {
                    rr.word = (l.word & ~(uint64_t)VMS_RAM_ZERO) |
                              VMS_RAM_PAGE;
                    rr.payload = page;
                    rr.payload_len = p->page_size;
                }
            }
            break;
        case LK_PAGE:
            rr.payload_len = p->page_size;
            if (!(l.flags & LF_SUPERSEDED)) {
                if (!(rr.payload = block_page(p, b, addr))) {
                    return VMS_EIO;
                }
            } else {
                if (l.extra_len != p->page_size) {
                    vms_error_set_file(p->err, p->log.name);
                    return vms_error_set(p->err, VMS_EFORMAT, "entry %"
                                         PRIu64 ": a page of %" PRIu64
                                         " bytes", k, l.extra_len);
                }
                rr.payload = at(&p->data, l.extra_off, l.extra_len);
            }
            break;
        case LK_XBZRLE:
        case LK_COMPRESS:
            rr.payload = at(&p->data, l.extra_off, l.extra_len);
            rr.payload_len = (size_t)l.extra_len;
            if (l.flags & LF_LAST) {
                if (!(page = block_page(p, b, addr))) {
                    return VMS_EIO;
                }
                if (page_hash(page, p->page_size) != l.aux) {
                    rr.word = (l.word & ~(uint64_t)(VMS_RAM_XBZRLE |
                                                    VMS_RAM_COMPRESS_PAGE)) |
                              VMS_RAM_PAGE;
                    rr.payload = page;
                    rr.payload_len = p->page_size;
                }
            }
            break;
        default:
            vms_error_set_file(p->err, p->log.name);
            return vms_error_set(p->err, VMS_EFORMAT, "entry %" PRIu64
                                 ": unknown kind %u", k, l.kind);
        }
        e = vms_ram_put_record(p->w, &rr, b->name, p->page_size, p->err);
    }
    return e;
}

static int p_device(packer *p, const json_t *sec, const vms_record *rec)
{
    const vms_desc *d;
    size_t size;
    vms_visitor *out;
    char where[sizeof(((packer *)0)->path) + sizeof(".fields")];
    vms__json_try t = { .tree = json_object_get(sec, "fields"),
                        .where = where };
    vms_error why = { 0 };
    int e;

    if (!p->vd && !p->dump) {
        return pfail(p, VMS_ENOTFOUND, "fields", "no vmdesc or dump to "
                     "describe the fields (\"vmdesc\" and \"dump\" are "
                     "null)");
    }
    if (rec->version_id > INT32_MAX) {
        return pfail(p, VMS_EVERSION, "version_id", "out of range");
    }
    t.version = (int)rec->version_id;
    snprintf(where, sizeof(where), "%s.fields", p->path);
    e = VMS_ENOTFOUND;
    if (p->vd && (e = vms_vmdesc_device(p->vd, rec->idstr, rec->instance_id,
                                        &d, &size, &why)) == 0) {
        e = vms__json_try_load(&t, d, size, p->err);
    } else if (e == VMS_ENOTFOUND && p->dump) {
        /* which of the dump's alternatives: the one the fields load in */
        vms_error_clear(&why);
        e = vms__dump_section_load(p->dump, rec, vms__json_try_load, &t, &d,
                                   &size, &why);
        if (e && why.path[0]) {
            /* the fields' own error: as the vmdesc path reports it */
            if (p->err) {
                *p->err = why;
            }
        } else if (e) {
            free(t.state);
            return pfail(p, e, "idstr", "%s", why.message);
        }
    } else if (e) {
        return pfail(p, e, "idstr", "%s", p->vd ? why.message
                     : "no description");
    }
    if (e) {
        vms_error_set_file(p->err, p->json_name);
    } else if (!(out = vms_wire_output_new(p->w, p->err))) {
        e = vms_error_set(p->err, VMS_ENOMEM, "out of memory");
    } else {
        e = vms_walk(out, d, t.state, 0, p->err);
        vms_visitor_free(out);
    }
    free(t.state);
    return e;
}

static int p_section(packer *p, const json_t *sec, const char *type)
{
    static const struct { const char *name; int type; } types[] = {
        { "START", VMS_REC_SECTION_START }, { "PART", VMS_REC_SECTION_PART },
        { "END", VMS_REC_SECTION_END }, { "FULL", VMS_REC_SECTION_FULL },
    };
    vms_record rec = { 0 };
    uint64_t v, off, len;
    const json_t *footer = json_object_get(sec, "footer");
    int bodies = 0, e;

    for (size_t i = 0; i < VMS_ARRAY_SIZE(types); i++) {
        if (strcmp(type, types[i].name) == 0) {
            rec.type = types[i].type;
        }
    }
    if (!rec.type) {
        return pfail(p, VMS_EFORMAT, "type", "unknown record type \"%s\"",
                     type);
    }
    if ((e = get_uint(p, sec, "section_id", UINT32_MAX, &v))) {
        return e;
    }
    rec.section_id = (uint32_t)v;
    if (rec.type == VMS_REC_SECTION_START ||
        rec.type == VMS_REC_SECTION_FULL || json_object_get(sec, "fields")) {
        const char *idstr;
        if ((e = get_str(p, sec, "idstr", 255, &idstr)) ||
            (e = get_uint(p, sec, "instance_id", UINT32_MAX, &v))) {
            return e;
        }
        snprintf(rec.idstr, sizeof(rec.idstr), "%s", idstr);
        rec.instance_id = (uint32_t)v;
        if ((e = get_uint(p, sec, "version_id", UINT32_MAX, &v))) {
            return e;
        }
        rec.version_id = (uint32_t)v;
    }
    if (!json_is_boolean(footer)) {
        return pfail(p, VMS_EFORMAT, "footer", "must be true or false");
    }
    if ((e = vms_stream_put_section(p->w, &rec, p->err))) {
        return e;
    }
    if (json_object_get(sec, "fields")) {
        bodies++;
        e = p_device(p, sec, &rec);
    }
    if (!e && json_object_get(sec, "ram_log")) {
        bodies++;
        e = get_range(p, sec, "ram_log", NULL, &off, &len);
        e = e ? e : p_ram(p, off, len);
    }
    if (!e && json_object_get(sec, "raw")) {
        bodies++;
        e = get_range(p, sec, "raw", &p->raw, &off, &len);
        e = e ? e : p_copy(p, &p->raw, off, len);
    }
    if (!e && bodies != 1) {
        return pfail(p, VMS_EFORMAT, NULL, "a section needs exactly one of "
                     "\"fields\", \"ram_log\" and \"raw\"");
    }
    if (!e && json_is_true(footer)) {
        e = vms_stream_put_footer(p->w, rec.section_id, p->err);
    }
    return e;
}

static int p_records(packer *p)
{
    const json_t *secs = json_object_get(p->root, "sections");
    size_t n = json_array_size(secs);
    int e = 0;

    if (!json_is_array(secs)) {
        return pfail(p, VMS_EFORMAT, "sections", "must be a list");
    }
    e = vms_stream_put_header(p->w, p->err);
    for (size_t i = 0; !e && i < n; i++) {
        const json_t *sec = json_array_get(secs, i);
        const char *type;
        uint64_t off, len, v;

        snprintf(p->path, sizeof(p->path), "sections[%zu]", i);
        if (!json_is_object(sec)) {
            return pfail(p, VMS_EFORMAT, NULL, "must be an object");
        }
        if ((e = get_str(p, sec, "type", 32, &type))) {
            return e;
        }
        if (strcmp(type, "configuration") == 0) {
            e = get_range(p, sec, "raw", &p->raw, &off, &len);
            e = e ? e : vms_write_u8(p->w, VMS_REC_CONFIGURATION, p->err);
            e = e ? e : p_copy(p, &p->raw, off, len);
        } else if (strcmp(type, "command") == 0) {
            e = get_uint(p, sec, "command", UINT16_MAX, &v);
            e = e ? e : vms_write_u8(p->w, VMS_REC_COMMAND, p->err);
            e = e ? e : vms_write_be16(p->w, (uint16_t)v, p->err);
            e = e ? e : vms_write_be16(p->w, 0, p->err);
        } else if (strcmp(type, "tail") == 0) {
            e = get_range(p, sec, "raw", &p->raw, &off, &len);
            e = e ? e : p_copy(p, &p->raw, off, len);
            if (!e && i + 1 != n) {
                return pfail(p, VMS_EFORMAT, NULL, "\"tail\" must be last");
            }
        } else if (strcmp(type, "EOF") == 0) {
            if (i + 1 != n) {
                return pfail(p, VMS_EFORMAT, NULL, "\"EOF\" must be last");
            }
            e = vms_stream_put_eof(p->w, p->vmdesc, p->vmdesc_len, p->err);
        } else {
            e = p_section(p, sec, type);
        }
    }
    return e;
}

int vms_pack(const char *dir, const char *stream, unsigned flags,
             vms_progress_fn progress, void *progress_opaque,
             vms_error *err)
{
    packer p = { .err = err, .dir = dir, .dirfd = -1, .progress = progress,
                 .progress_opaque = progress_opaque };
    vms_outfile of;
    bool of_open = false;
    json_error_t je;
    struct stat jst;
    char sdir[4096];
    const char *base = strrchr(stream, '/');
    const json_t *fmt;
    int sfd = AT_FDCWD, e, fd;

    snprintf(p.json_name, sizeof(p.json_name), "%s/stream.json", dir);
    p.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p.dirfd < 0) {
        vms_error_set_file(err, dir);
        return vms_error_set(err, errno == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                             "cannot open directory: %s", strerror(errno));
    }
    fd = openat(p.dirfd, "stream.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        vms_error_set_file(err, p.json_name);
        e = vms_error_set(err, errno == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                          "cannot open: %s", strerror(errno));
        goto out;
    }
    /* jansson holds the whole tree: bound the text first. */
    if (fstat(fd, &jst) == 0 && jst.st_size > VMS_LIMIT_PACK_JSON) {
        close(fd);
        vms_error_set_file(err, p.json_name);
        e = vms_error_set(err, VMS_ELIMIT, "%lld bytes exceed "
                          "VMS_LIMIT_PACK_JSON (%u)", (long long)jst.st_size,
                          VMS_LIMIT_PACK_JSON);
        goto out;
    }
    p.root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
    close(fd);
    if (!p.root) {
        vms_error_set_file(err, p.json_name);
        /* line and column go to err->line/column: printed once */
        e = vms_error_set(err, VMS_EFORMAT, "%s", je.text);
        if (err) {
            err->line = je.line;
            err->column = je.column;
        }
        goto out;
    }
    fmt = json_object_get(p.root, "format");
    if (!json_is_object(p.root) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), "vmstate-unpack") != 0 ||
        json_integer_value(json_object_get(p.root, "format_version")) != 1) {
        e = pfail(&p, VMS_EFORMAT, NULL, "not a stream.json of vmstate "
                  "unpack (format \"vmstate-unpack\", format_version 1)");
        goto out;
    }
    if ((e = p_files(&p)) || (e = p_vmdesc(&p)) || (e = p_dump(&p))) {
        goto out;
    }
    /* The stream goes beside its final name, renamed when complete. */
    if (base) {
        snprintf(sdir, sizeof(sdir), "%.*s", (int)(base - stream), stream);
        sfd = open(sdir[0] ? sdir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        base++;
        if (sfd < 0) {
            vms_error_set_file(err, stream);
            e = vms_error_set(err, VMS_EIO, "cannot open its directory: %s",
                              strerror(errno));
            goto out;
        }
    } else {
        base = stream;
    }
    if ((e = vms_outfile_open(&of, sfd, base, (flags & VMS_PACK_FORCE)
                              ? VMS_OUT_FORCE : 0, err))) {
        vms__error_outfile(err, NULL, stream);
        goto out;
    }
    of_open = true;
    if (!(p.w = vms_writer_fd(of.fd, stream, err))) {
        e = VMS_ENOMEM;
        goto out;
    }
    e = p_records(&p);
    if (vms_writer_close(p.w, e ? NULL : err) && !e) {
        e = VMS_EIO;
    }
    p.w = NULL;
    if (!e) {
        of_open = false;
        e = vms_outfile_commit(&of, (flags & VMS_PACK_FORCE)
                               ? VMS_OUT_FORCE : 0, err);
    }
out:
    if (p.w) {
        vms_writer_close(p.w, NULL);
    }
    if (of_open) {
        vms_outfile_abort(&of);
    }
    if (sfd >= 0 && sfd != AT_FDCWD) {
        close(sfd);
    }
    for (size_t i = 0; i < p.nblocks; i++) {
        if (p.blocks[i].fd >= 0) {
            close(p.blocks[i].fd);
        }
        free(p.blocks[i].win);
        free(p.blocks[i].ext);
    }
    free(p.blocks);
    unmap_file(&p.log);
    unmap_file(&p.data);
    unmap_file(&p.raw);
    free(p.pending);
    free(p.vmdesc);
    vms_vmdesc_free(p.vd);
    vms_dump_free(p.dump);
    json_decref(p.root);
    close(p.dirfd);
    if (e && err && !err->code) {
        err->code = e;
    }
    return e;
}
