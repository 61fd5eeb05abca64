/*
 * libvmstate: analyze a migration stream (QEMU's analyze-migration.py).
 *
 * One forward pass. Iterative sections (RAM, htab, storage attributes,
 * block) are decoded as they pass, so gigabytes of RAM flow through in
 * constant memory; device sections need the vmdesc, which QEMU writes
 * after EOF: a seekable input has it located before the pass, a pipe
 * buffers its (small) device-section tail when the first device section
 * comes. Device sections go through the one walk: the wire input visitor
 * loads them into a flat state, the JSON visitor prints that state.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <jansson.h>
#include "vmstate/analyze.h"
#include "vmstate/dump.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "vmstate/io.h"
#include "vmstate/limits.h"
#include "table.h"
#include "stream_priv.h"
#include "analyze_priv.h"
#include "jsonw.h"
#include "fileio.h"
#include "dumpdesc.h"
#include "writer.h"
#include "jsonw.h"
#include "ramfile.h"

/* State output is held back up to this size, so that an error prints none. */
#define HOLD_MAX (8u << 20)
/*
 * -m: the pages kept for XBZRLE deltas sit in tables of this many pages,
 * allocated when a page lands in them: a block's length comes from the
 * input, and a table for all of its pages could be gigabytes.
 */
#define CACHE_CHUNK 4096u

struct xblock {
    bool has_file;             /* -x: in a->rf */
    uint64_t length;
    uint8_t ***cache;          /* -m: page copies for XBZRLE, see slot() */
    uint8_t **need;            /* -m, seekable: a bit per page an XBZRLE
                                  record of the stream applies a delta to,
                                  in tables of CACHE_CHUNK bits */
    uint64_t npages;
    char *name;                /* -m, seekable: from the first pass */
};

typedef struct analyze {
    const vms_analyze_opts *o;
    vms_error *err;
    vms_stream *s;
    vms_vmdesc *vd;
    bool vd_from_stream;
    vms_dump *dump;            /* --dump: the second source */
    vms_config cfg;
    bool have_cfg;
    uint32_t page_size;
    /* output */
    vms_jsonw *w;
    vms_writer *held;          /* w's output: out_sink */
    vms_writer *out;           /* where w's text finally goes */
    vms_writer *state_w;       /* -x: onto state_out */
    unsigned out_flags;        /* -x: VMS_OUT_FORCE with --force */
    vms_buf hold;
    bool holding;
    int dirfd;
    vms_outfile state_out;
    bool state_open;
    bool desc_written;
    /* RAM */
    vms_ram *ram;
    uint32_t ram_id;
    bool ram_seen;
    bool ram_json_open;        /* -m: "memory" object is being written */
    bool ram_json_done;
    char **pending;            /* keys of "" sections waiting for RAM */
    size_t npending;
    struct xblock *blocks;
    unsigned nblocks;
    uint64_t cache_bytes;
    bool cache_full;
    vms__ramfiles *rf;          /* -x: the block files */
    /*
     * -m on a seekable file reads it twice: the first pass (no output)
     * learns every block (mapped-ram announces them between their pages)
     * and which pages XBZRLE deltas need, so the second keeps only those.
     */
    bool prescan;
    bool prescanned;
} analyze;

static int fail(analyze *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(analyze *a, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(a->err, code, fmt, ap);
    va_end(ap);
    if (a->err && a->s) {
        a->err->has_offset = 1;
        a->err->offset = vms_stream_offset(a->s);
        vms_error_set_file(a->err, vms_stream_name(a->s));
    }
    return code;
}

/* ---- output ------------------------------------------------------------ */

/*
 * Held back while it fits, so that an error found before the end prints
 * nothing, as python's tool prints nothing then.
 */
static int out_sink(void *opaque, const void *buf, size_t len)
{
    analyze *a = opaque;
    int e;

    if (a->holding) {
        if (a->hold.len + len <= HOLD_MAX) {
            return vms__buf_append(&a->hold, buf, len);
        }
        /* Too big to hold back: from here on it streams. */
        a->holding = false;
        if (a->hold.len &&
            (e = vms_write_bytes(a->out, a->hold.data, a->hold.len, NULL))) {
            return e;
        }
        vms_buf_free(&a->hold);
        memset(&a->hold, 0, sizeof(a->hold));
    }
    return vms_write_bytes(a->out, buf, len, NULL);
}

static int release_output(analyze *a)
{
    int e = vms_jsonw_flush(a->w);

    if (!e && a->holding && a->hold.len) {
        e = vms_write_bytes(a->out, a->hold.data, a->hold.len, NULL);
    }
    a->holding = false;
    /* the writers' records say which output failed and where */
    if (e && vms_writer_flush(a->held, a->err)) {
        return e;
    }
    return vms_writer_flush(a->out, a->err);
}

/* A JSON writer onto out_sink, for the state or description output. */
static int open_output(analyze *a)
{
    a->held = vms_writer_sink(out_sink, a, vms_stream_name(a->s), a->err);
    a->w = a->held ? vms_jsonw_new(a->held, VMS_JSONW_PRETTY, 4, a->err)
                   : NULL;
    return a->w ? 0 : a->err ? a->err->code : VMS_ENOMEM;
}

/* -x prints each file name as it is made, as python does. */
static int say_file(analyze *a, const char *name)
{
    if (!a->o->out) {
        return 0;
    }
    if (vms__write_printf(a->o->out, a->err, "%s\n", name)) {
        return a->err ? a->err->code : VMS_EIO;
    }
    return vms_writer_flush(a->o->out, a->err);
}

static int write_desc_file(analyze *a)
{
    vms_outfile of;
    vms_writer *out;
    vms_jsonw *w = NULL;
    int e;

    if (!a->vd || a->desc_written) {
        return 0;
    }
    if ((e = vms_outfile_open(&of, a->dirfd, "desc.json", a->out_flags,
                              a->err))) {
        vms__error_outfile(a->err, a->o->outdir, "desc.json");
        return e;
    }
    out = vms_writer_fd(of.fd, "desc.json", a->err);
    w = out ? vms_jsonw_new(out, VMS_JSONW_PRETTY, 4, a->err) : NULL;
    e = w ? vms_vmdesc_write(a->vd, w) : a->err ? a->err->code : VMS_ENOMEM;
    if (vms_jsonw_free(w) && !e) {
        e = VMS_EIO;
    }
    if (vms_writer_close(out, a->err) && !e) {
        e = VMS_EIO;
    }
    if (e) {
        vms_outfile_abort(&of);
        vms__error_outfile(a->err, a->o->outdir, "desc.json");
        return e;
    }
    if ((e = vms_outfile_commit(&of, a->out_flags, a->err))) {
        return e;
    }
    a->desc_written = true;
    say_file(a, "desc.json");
    return 0;
}

/* ---- progress ---------------------------------------------------------- */

static void tick(void *opaque)
{
    analyze *a = opaque;

    if (a->o->progress) {
        int64_t size = vms_reader_size(vms_stream_reader(a->s));
        uint64_t total = size > 0 ? (uint64_t)size : 0;

        a->o->progress(a->o->progress_opaque, vms_stream_offset(a->s), total);
    }
}

/* ---- RAM --------------------------------------------------------------- */

/*
 * -x: the pages go to block files as they pass (ramfile.h); errors of the
 * stream (not of a file) name the stream and offset.
 */
static int rf_fail(analyze *a, int e)
{
    if (e && a->err && !a->err->file[0] && a->s) {
        a->err->has_offset = 1;
        a->err->offset = vms_stream_offset(a->s);
        vms_error_set_file(a->err, vms_stream_name(a->s));
    }
    return e;
}

static uint8_t **cache_slot(struct xblock *b, uint64_t pg, bool create)
{
    uint8_t ***t = &b->cache[pg / CACHE_CHUNK];

    if (!*t && create) {
        *t = calloc(CACHE_CHUNK, sizeof(**t));
    }
    return *t ? &(*t)[pg % CACHE_CHUNK] : NULL;
}

static struct xblock *xblock_at(analyze *a, unsigned idx)
{
    if (vms__table_fit(&a->blocks, &a->nblocks, idx, sizeof(*a->blocks))) {
        return NULL;
    }
    return &a->blocks[idx];
}

static int ram_block(void *opaque, unsigned idx, const char *name,
                     uint64_t length, vms_error *err)
{
    analyze *a = opaque;
    struct xblock *b;
    int e;

    (void)err;
    if (!(b = xblock_at(a, idx))) {
        return fail(a, VMS_ENOMEM, "out of memory");
    }
    if (b->has_file || b->cache) {
        return 0;   /* announced again by a later MEM_SIZE */
    }
    if (a->prescanned && b->length != length) {
        return fail(a, VMS_EFORMAT, "block '%s' changed its length between "
                    "two reads of the file", name);
    }
    b->length = length;
    b->npages = (length + a->page_size - 1) / a->page_size;
    if (a->o->mode == VMS_ANALYZE_EXTRACT) {
        /* The block files share the directory with -x's JSON files. */
        static const char *const reserved[] = { "desc.json", "state.json",
                                                NULL };
        char fname[VMS__RAMFILE_PATH_MAX];
        bool qemu;

        if (!a->rf &&
            !(a->rf = vms__ramfiles_new(a->dirfd, a->page_size, a->out_flags,
                                       a->err))) {
            return VMS_ENOMEM;
        }
        /*
         * Where QEMU's tool puts the block, printing its name as it does;
         * a name that would leave the directory (or clash) is flattened
         * into one file name instead, and that name is printed.
         */
        qemu = vms__ramfiles_qemu_path(a->rf, name, reserved, fname);
        if (!qemu) {
            vms__ramfiles_fname(a->rf, name, reserved, fname);
        }
        if ((e = vms__ramfiles_block(a->rf, idx, fname, length, a->err)) < 0) {
            return e;
        }
        b->has_file = true;
        say_file(a, qemu ? name : fname);
    } else if (a->o->memory) {
        b->cache = calloc(b->npages / CACHE_CHUNK + 1, sizeof(*b->cache));
        if (!b->cache) {
            return fail(a, VMS_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static int ram_json_begin(analyze *a)
{
    int e;

    if (a->ram_json_open || a->ram_json_done) {
        return 0;
    }
    e = vms_jsonw_key(a->w, "section sizes");
    if (!e) {
        e = vms_jsonw_begin_object(a->w);
    }
    /* mapped-ram announces each block between pages: the first pass of
       -m knows them all before the first page is printed */
    for (unsigned i = 0; !e && i < (a->prescanned ? a->nblocks
                                    : vms_ram_nblocks(a->ram)); i++) {
        char v[24];
        e = vms_jsonw_key(a->w, a->prescanned ? a->blocks[i].name
                                              : vms_ram_block_name(a->ram, i));
        if (!e) {
            snprintf(v, sizeof(v), "0x%016" PRIx64,
                     i < a->nblocks ? a->blocks[i].length : 0);
            e = vms_jsonw_string(a->w, v);
        }
    }
    if (!e) {
        e = vms_jsonw_end_object(a->w);
    }
    if (!e && a->o->memory) {
        e = vms_jsonw_key(a->w, "memory");
        if (!e) {
            e = vms_jsonw_begin_object(a->w);
        }
        a->ram_json_open = true;
    } else if (!e) {
        a->ram_json_done = true;
        e = vms_jsonw_end_object(a->w);
    }
    return e ? fail(a, VMS_EIO, "cannot write the output") : 0;
}

/* Sections whose value is "" and that started while -m held RAM open. */
static int flush_pending(analyze *a)
{
    int e = 0;

    for (size_t i = 0; !e && i < a->npending; i++) {
        e = vms_jsonw_key(a->w, a->pending[i]);
        if (!e) {
            e = vms_jsonw_string(a->w, "");
        }
        free(a->pending[i]);
        a->pending[i] = NULL;
    }
    a->npending = 0;
    return e;
}

static int ram_json_end(analyze *a)
{
    int e = 0;

    if (!a->w || !a->ram_seen || a->ram_json_done) {
        return 0;
    }
    if (!a->ram_json_open && (e = ram_json_begin(a))) {
        return e;
    }
    if (a->ram_json_open) {
        e = vms_jsonw_end_object(a->w);
        if (!e) {
            e = vms_jsonw_end_object(a->w);
        }
        a->ram_json_open = false;
        a->ram_json_done = true;
    }
    if (!e) {
        e = flush_pending(a);
    }
    return e ? fail(a, VMS_EIO, "cannot write the output") : 0;
}

/* Whether -m keeps a copy of the page: all of them without a first pass. */
static bool needed(const analyze *a, const struct xblock *b, uint64_t pg)
{
    const uint8_t *t;

    if (!a->prescanned) {
        return true;
    }
    t = b->need && pg < b->npages ? b->need[pg / CACHE_CHUNK] : NULL;
    return t && ((t[pg % CACHE_CHUNK / 8] >> (pg % 8)) & 1);
}

static int ram_page(void *opaque, unsigned idx, uint64_t addr,
                    const uint8_t *data, uint8_t fill, vms_error *err)
{
    analyze *a = opaque;
    struct xblock *b = &a->blocks[idx];
    uint64_t pg = addr / a->page_size;
    size_t ps = a->page_size;
    int e;

    (void)err;
    if (a->o->mode == VMS_ANALYZE_EXTRACT) {
        return rf_fail(a, vms__ramfiles_page(a->rf, idx, addr, data, fill,
                                            a->err));
    }
    if (!a->o->memory) {
        return 0;
    }
    if (a->ram_json_done) {
        return fail(a, VMS_EUNSUPPORTED, "RAM pages after the device state "
                    "(postcopy?): -m cannot print them in order");
    }
    if ((e = ram_json_begin(a))) {
        return e;
    }
    {
        char key[300];
        snprintf(key, sizeof(key), "%s (0x%016" PRIx64 ")",
                 vms_ram_block_name(a->ram, idx), addr);
        e = vms_jsonw_key(a->w, key);
        if (!e) {
            e = data ? vms_jsonw_hex_bytes(a->w, data, ps)
                     : vms_jsonw_string(a->w, "Filled with 0x00");
        }
        if (e) {
            return fail(a, VMS_EIO, "cannot write the output");
        }
    }
    if (b->cache && pg < b->npages && needed(a, b, pg)) {
        uint8_t **slot = cache_slot(b, pg, !(!data && fill == 0));
        if (!slot) {
            /* a zero page never cached, or no memory for the table */
            a->cache_full = a->cache_full || data || fill;
        } else if (!data && fill == 0) {
            if (*slot) {
                free(*slot);
                *slot = NULL;
                a->cache_bytes -= ps;
            }
        } else {
            if (!*slot) {
                if (a->cache_bytes + ps > VMS_LIMIT_XBZRLE_CACHE ||
                    !(*slot = malloc(ps))) {
                    a->cache_full = true;
                    return 0;
                }
                a->cache_bytes += ps;
            }
            if (data) {
                memcpy(*slot, data, ps);
            } else {
                memset(*slot, fill, ps);
            }
        }
    }
    tick(a);
    return 0;
}

static int ram_old_page(void *opaque, unsigned idx, uint64_t addr,
                        uint8_t *buf, vms_error *err)
{
    analyze *a = opaque;
    struct xblock *b = &a->blocks[idx];
    uint64_t pg = addr / a->page_size;
    size_t ps = a->page_size;

    (void)err;
    memset(buf, 0, ps);
    if (a->o->mode == VMS_ANALYZE_EXTRACT) {
        return vms__ramfiles_read(a->rf, idx, addr, buf, err);
    }
    uint8_t **slot = b->cache && pg < b->npages ? cache_slot(b, pg, false)
                                                : NULL;
    if (slot && *slot) {
        memcpy(buf, *slot, ps);
    } else if (a->cache_full) {
        return fail(a, VMS_ELIMIT, "XBZRLE page needs more earlier pages "
                    "than VMS_LIMIT_XBZRLE_CACHE (%u MiB) holds: use -x",
                    VMS_LIMIT_XBZRLE_CACHE >> 20);
    }
    return 0;
}

static int commit_blocks(analyze *a);

/* First pass of -m: the block list, as "section sizes" must print it. */
static int pre_block(void *opaque, unsigned idx, const char *name,
                     uint64_t length, vms_error *err)
{
    analyze *a = opaque;
    struct xblock *b = xblock_at(a, idx);

    (void)err;
    if (!b) {
        return fail(a, VMS_ENOMEM, "out of memory");
    }
    if (b->name) {
        return 0;
    }
    b->length = length;
    b->npages = (length + a->page_size - 1) / a->page_size;
    if (!(b->name = strdup(name)) ||
        !(b->need = calloc(b->npages / CACHE_CHUNK + 1, sizeof(*b->need)))) {
        return fail(a, VMS_ENOMEM, "out of memory");
    }
    return 0;
}

/* First pass of -m: an XBZRLE record marks the page its delta needs. */
static int pre_record(void *opaque, const vms_ram_record *r, vms_error *err)
{
    analyze *a = opaque;
    struct xblock *b = r->block < a->nblocks ? &a->blocks[r->block] : NULL;
    uint64_t pg = (r->word & ~(uint64_t)(a->page_size - 1)) / a->page_size;
    uint8_t **t;

    (void)err;
    if (!(r->word & VMS_RAM_XBZRLE) || !b || !b->need || pg >= b->npages) {
        return 0;
    }
    t = &b->need[pg / CACHE_CHUNK];
    if (!*t && !(*t = calloc(CACHE_CHUNK / 8, 1))) {
        return fail(a, VMS_ENOMEM, "out of memory");
    }
    (*t)[pg % CACHE_CHUNK / 8] |= (uint8_t)(1u << (pg % 8));
    return 0;
}

static int ram_section(analyze *a, const vms_record *rec)
{
    int e;

    if (!a->ram) {
        vms_ram_opts ro = {
            .page_size = a->page_size,
            .ignore_shared = vms__config_has_cap(&a->cfg, "x-ignore-shared"),
            .mapped_ram = vms__config_has_cap(&a->cfg, "mapped-ram"),
        };
        vms_ram_sink sink = {
            .opaque = a,
            .want_data = !a->prescan && (a->o->memory ||
                                         a->o->mode == VMS_ANALYZE_EXTRACT),
            .block = a->prescan ? pre_block : ram_block,
            .page = a->prescan ? NULL : ram_page,
            .old_page = a->prescan ? NULL : ram_old_page,
            .record = a->prescan ? pre_record : NULL,
            .tick = tick,
        };
        if (!(a->ram = vms_ram_new(&ro, &sink, a->err))) {
            return fail(a, a->err ? a->err->code : VMS_ENOMEM, "%s",
                        a->err ? a->err->message : "out of memory");
        }
        a->ram_id = rec->section_id;
    }
    if (rec->section_id != a->ram_id) {
        return fail(a, VMS_EFORMAT, "a second RAM section (id %u)",
                    rec->section_id);
    }
    if ((e = vms_ram_read(a->ram, a->s, rec->version_id, a->err))) {
        return e;
    }
    if (a->o->mode == VMS_ANALYZE_EXTRACT && a->rf) {
        /*
         * The RAM is complete at its END: commit the files now, so that
         * they stay even if a later device section cannot be decoded.
         */
        e = rec->type == VMS_REC_SECTION_END ? commit_blocks(a)
                                             : vms__ramfiles_flush(a->rf,
                                                                  a->err);
        if (e) {
            return e;
        }
    }
    /* python prints the block sizes; the device sections follow the RAM's
       object (-m: its "memory" is still being written). */
    if (a->w && !a->o->memory) {
        return ram_json_begin(a);
    }
    return 0;
}

static int commit_blocks(analyze *a)
{
    return a->rf ? vms__ramfiles_commit(a->rf, a->err) : 0;
}

/* ---- device sections --------------------------------------------------- */

int vms__stream_need_vmdesc(vms_stream *s, vms_vmdesc **vd,
                            const vms_record *rec, const char *hint,
                            vms_error *err)
{
    const char *text;
    size_t len;
    bool unsure;
    int e;

    if (*vd) {
        return 0;
    }
    if (!vms_stream_seekable(s) && (e = vms_stream_buffer_tail(s, err))) {
        return e;
    }
    text = vms_stream_vmdesc(s, &len);
    if (!text) {
        /* the truncation rule first: a cut stream has lost its description */
        uint64_t at, dlen;
        char why[300];

        if ((e = vms__stream_probe_end(s, rec, &unsure, err))) {
            return e;
        }
        /* what follows the end marker, as the stream layer classified it */
        at = vms__stream_tail_at(s, &dlen);
        if (vms__stream_probed_tail(s) == VMS_TAIL_OVERSIZE) {
            snprintf(why, sizeof(why), "its description at offset 0x%"
                     PRIx64 " is %" PRIu64 " bytes, over "
                     "VMS_LIMIT_VMDESC_SIZE (%u bytes): not read", at, dlen,
                     VMS_LIMIT_VMDESC_SIZE);
        } else if (vms__stream_probed_tail(s) == VMS_TAIL_OTHER && at) {
            snprintf(why, sizeof(why), "the bytes from offset 0x%" PRIx64
                     " on are no JSON description, so none ends the stream",
                     at);
        } else {
            snprintf(why, sizeof(why), "this stream has none (old machine "
                     "type or suppress-vmdesc%s%s)",
                     vms__stream_vmdesc_capped(s) ? "; none of at most "
                     "VMS_LIMIT_VMDESC_SIZE (64 MiB) ends the stream" : "",
                     unsure ? ", or the stream is truncated: without "
                     "footers its end marker cannot be found" : "");
        }
        return vms_stream_fail(s, err, VMS_ENOTFOUND, vms_stream_offset(s),
                    "section '%s' needs the stream's JSON description, and "
                    "%s%s%s", rec->idstr, why,
                    hint ? ": pass --desc FILE with the '-d desc' output of "
                    "a stream from the same QEMU and machine" : "",
                    hint ? hint : "");
    }
    if ((e = vms_vmdesc_parse(text, len, vms_stream_name(s), vd, err))) {
        if (err) {
            err->has_offset = 1;
            err->offset = vms_stream_vmdesc_offset(s) + 5;
        }
        return e;
    }
    return 0;
}

static int need_desc(analyze *a, const vms_record *rec)
{
    int e;

    if (a->vd) {
        return 0;
    }
    if (a->dump) {
        /* the stream's own, if it has one; the dump otherwise */
        const char *text;
        size_t len;
        if (!vms_stream_seekable(a->s) &&
            (e = vms_stream_buffer_tail(a->s, a->err))) {
            return e;
        }
        if (!(text = vms_stream_vmdesc(a->s, &len))) {
            vms_stream_require_fit(a->s, true);
            return 0;
        }
    }
    e = vms__stream_need_vmdesc(a->s, &a->vd, rec,
                                a->o->mode == VMS_ANALYZE_EXTRACT
                                ? " (the RAM blocks were extracted)" : "",
                                a->err);
    if (!e) {
        a->vd_from_stream = true;
    }
    return e;
}

/*
 * The section's bytes as one hex string, up to its footer: for the one
 * known case where QEMU's own description does not cover its data (see
 * vms_vmdesc_device). The footer (0x7e, section id, then a record type)
 * bounds it, so nothing is guessed about the rest of the stream.
 */
static int raw_section(vms_stream *s, const vms_record *rec, uint64_t body,
                       vms_jsonw *w, const char *why, vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    const uint8_t *p;
    size_t n;
    int e;

    if ((e = vms_reader_seek(r, body, err)) ||
        (e = vms_stream_body_to_footer(s, rec, &n, err))) {
        return e;
    }
    /*
     * Named as error(3) names its program (program_invocation_short_name):
     * the vmstate tool sets it to "vmstate CMD", so warnings read like its
     * errors; another program's warnings carry its own name.
     */
    fprintf(stderr, "%s: %s: offset 0x%" PRIx64 ": warning: "
            "'%s' %s: printed as raw bytes\n", program_invocation_short_name,
            vms_stream_name(s), body, rec->idstr, why);
    /* in reader windows: a section may be larger than one (spapr_iommu) */
    if (w) {
        vms_jsonw_string_begin(w);
    }
    for (size_t done = 0; done < n;) {
        size_t k = n - done < VMS_READER_WINDOW ? n - done
                                                : VMS_READER_WINDOW;
        if ((e = vms_read_ptr(r, k, &p, err))) {
            return e;
        }
        if (w && vms__jsonw_hex_append(w, p, k, done == 0)) {
            break;
        }
        done += k;
    }
    if (w && vms_jsonw_string_end(w)) {
        return vms_stream_fail(s, err, VMS_EIO, vms_stream_offset(s),
                               "cannot write the output");
    }
    return 0;
}

int vms__device_json(vms_stream *s, vms_vmdesc *vd, vms_dump *dump,
                     const vms_record *rec, vms_jsonw *w, vms_error *err)
{
    const vms_desc *d;
    size_t size;
    uint64_t body;
    uint8_t *state;
    vms_visitor *in, *out;
    bool from_dump;
    char why[400], note[300];
    int e;

    if ((e = vms__section_desc(s, vd, dump, rec, &d, &size, &from_dump,
                               note, sizeof(note), err))) {
        if (dump && e != VMS_ENOMEM) {
            /* the dump is a best effort: what it lacks stays bytes */
            char msg[VMS_ERROR_MSG_MAX];
            snprintf(msg, sizeof(msg), "has no description (%.280s)",
                     err ? err->message : "");
            vms_error_clear(err);
            return raw_section(s, rec, vms_stream_offset(s), w, msg, err);
        }
        if (err) {
            err->has_offset = 1;
            err->offset = rec->offset;
            vms_error_set_file(err, vms_stream_name(s));
        }
        return e;
    }
    if (!d) {
        snprintf(why, sizeof(why), "is not decoded through the dump: %s",
                 note);
        return raw_section(s, rec, vms_stream_offset(s), w, why, err);
    }
    /* From here on, a description that may not cover the data is QEMU's
       own folding one (see vms_vmdesc_device): the dump's were tried. */
    snprintf(why, sizeof(why), "holds more than QEMU's description says "
             "(a non-NULL element folded into NULL markers)");
    if (rec->version_id > INT32_MAX) {
        return vms_stream_fail(s, err, VMS_EVERSION, rec->offset,
                               "section '%s' version %u", rec->idstr,
                               rec->version_id);
    }
    body = vms_stream_offset(s);
    state = calloc(1, size ? size : 1);
    in = vms_wire_input_new(vms_stream_reader(s), err);
    out = w ? vms_json_state_output_new(w, err) : NULL;
    if (!state || !in || (w && !out)) {
        e = vms_stream_fail(s, err, VMS_ENOMEM, body, "out of memory");
    } else {
        e = vms_walk(in, d, state, (int)rec->version_id, err);
        if (e && d->user) {
            vms_error_clear(err);
            e = raw_section(s, rec, body, w, why, err);
            vms_visitor_free(out);
            out = NULL;
        } else if (!e && d->user) {
            /* The walk may have stopped short: the footer must follow. */
            uint64_t end = vms_stream_offset(s);
            if (vms_stream_end_section(s, rec, NULL)) {
                e = raw_section(s, rec, body, w, why, err);
                vms_visitor_free(out);
                out = NULL;
            } else if (vms_stream_offset(s) != end) {
                /* it did and was consumed: the caller checks it again */
                e = vms_reader_seek(vms_stream_reader(s), end, err);
            }
        }
        if (!e && out) {
            e = vms_walk(out, d, state, 0, err);
        }
    }
    if (e && err && !err->has_offset) {
        /* Version refusals know no offset: name the section's start. */
        err->has_offset = 1;
        err->offset = rec->offset;
    }
    if (e && err && !err->file[0]) {
        vms_error_set_file(err, vms_stream_name(s));
    }
    vms_visitor_free(in);
    vms_visitor_free(out);
    free(state);
    return e;
}

int vms__device_state(vms_stream *s, vms_vmdesc *vd, vms_dump *dump,
                      const vms_record *rec, json_t **out, vms_error *err)
{
    vms_buf buf = { 0 };
    vms_jsonw *w;
    json_error_t je;
    int e;

    *out = NULL;
    if (!(w = vms__jsonw_buf(&buf, VMS_JSONW_COMPACT, 0, err))) {
        return vms_stream_fail(s, err, VMS_ENOMEM, rec->offset,
                               "out of memory");
    }
    e = vms__device_json(s, vd, dump, rec, w, err);
    if (vms_jsonw_free(w) && !e) {
        e = vms_stream_fail(s, err, VMS_ENOMEM, rec->offset,
                            "out of memory");
    }
    if (!e && !(*out = json_loadb(buf.data, buf.len, JSON_DECODE_ANY, &je))) {
        e = vms_stream_fail(s, err, VMS_ENOMEM, rec->offset,
                            "section '%s': %s", rec->idstr, je.text);
    }
    vms_buf_free(&buf);
    return e;
}

static int device_section(analyze *a, const vms_record *rec)
{
    int e = need_desc(a, rec);

    e = e ? e : vms__device_json(a->s, a->vd, a->dump, rec, a->w, a->err);
    if (e && a->o->desc_file) {
        e = vms__stream_misfit_error(a->s, rec, e, a->err);
    }
    return e;
}

/* ---- the pass ---------------------------------------------------------- */

static int section_key(analyze *a, const vms_record *rec)
{
    char key[300];

    if (!a->w) {
        return 0;
    }
    snprintf(key, sizeof(key), "%s (%u)", rec->idstr, rec->section_id);
    return vms_jsonw_key(a->w, key) ? fail(a, VMS_EIO, "cannot write") : 0;
}

static int part_section(analyze *a, const vms_record *rec);

static int start_section(analyze *a, const vms_record *rec)
{
    enum vms_section_kind k = vms_section_kind(rec->idstr, rec->instance_id);
    const vms_desc *d;
    size_t sz;
    int e;

    /* A description entry wins over a built-in decoder, as in python. */
    if (a->vd && k != VMS_SECTION_DEVICE &&
        vms_vmdesc_device(a->vd, rec->idstr, rec->instance_id, &d, &sz,
                          NULL) == 0) {
        k = VMS_SECTION_DEVICE;
    }
    /*
     * -m streams the RAM pages inside the RAM's object: sections whose
     * value is "" wait for it to close, a device section closes it.
     */
    if (a->ram_json_open && k == VMS_SECTION_DEVICE && (e = ram_json_end(a))) {
        return e;
    }
    switch (k) {
    case VMS_SECTION_RAM:
        if (!a->ram_seen) {
            a->ram_seen = true;
            if ((e = section_key(a, rec)) ||
                (a->w && vms_jsonw_begin_object(a->w) &&
                 (e = fail(a, VMS_EIO, "cannot write")))) {
                return e;
            }
        }
        return ram_section(a, rec);
    case VMS_SECTION_HTAB:
    case VMS_SECTION_STATTR:
    case VMS_SECTION_BLOCK:
    case VMS_SECTION_DIRTY_BITMAP:
        if (a->w && a->ram_json_open) {
            char key[300], **n;
            snprintf(key, sizeof(key), "%s (%u)", rec->idstr,
                     rec->section_id);
            n = realloc(a->pending, (a->npending + 1) * sizeof(*n));
            if (!n || !(n[a->npending] = strdup(key))) {
                a->pending = n ? n : a->pending;
                return fail(a, VMS_ENOMEM, "out of memory");
            }
            a->pending = n;
            a->npending++;
        } else if ((e = section_key(a, rec)) ||
                   (a->w && vms_jsonw_string(a->w, "") &&
                    (e = fail(a, VMS_EIO, "cannot write")))) {
            return e;
        }
        return part_section(a, rec);
    case VMS_SECTION_DEVICE:
        if (rec->type == VMS_REC_SECTION_START) {
            return fail(a, VMS_EUNSUPPORTED, "iterative section '%s' has no "
                        "decoder", rec->idstr);
        }
        if ((e = need_desc(a, rec)) || (e = section_key(a, rec))) {
            return e;
        }
        return device_section(a, rec);
    }
    return 0;
}

static int part_section(analyze *a, const vms_record *rec)
{
    enum vms_section_kind k = vms_section_kind(rec->idstr, rec->instance_id);

    if (k == VMS_SECTION_RAM) {
        return ram_section(a, rec);
    }
    return vms_section_read(a->s, rec, k, a->err);
}

static int pass(analyze *a)
{
    vms_record rec;
    int e;

    for (;;) {
        tick(a);
        if ((e = vms_stream_next(a->s, &rec, &a->cfg, a->err))) {
            return e;
        }
        switch (rec.type) {
        case VMS_REC_EOF:
            return ram_json_end(a);
        case VMS_REC_CONFIGURATION:
            a->have_cfg = true;
            if (a->cfg.target_page_bits && !a->vd) {
                a->page_size = 1u << a->cfg.target_page_bits;
            }
            continue;
        case VMS_REC_COMMAND:
            continue;
        case VMS_REC_SECTION_START:
        case VMS_REC_SECTION_FULL:
            e = start_section(a, &rec);
            break;
        default:
            e = part_section(a, &rec);
            break;
        }
        if (e || (e = vms_stream_end_section(a->s, &rec, a->err))) {
            return e;
        }
    }
}

/*
 * -m on a file: a pass without output (see analyze.prescan), then the
 * stream from its start again. A pipe has one pass: every page is kept
 * for XBZRLE deltas, up to VMS_LIMIT_XBZRLE_CACHE.
 */

/* The caller's input options (version 5 on), else the process default. */
static const vms_input_opts *input_of(const vms_analyze_opts *o)
{
    return o->version >= 5 ? o->input : NULL;
}

static int first_pass(analyze *a)
{
    int e;

    a->prescan = true;
    e = pass(a);
    a->prescan = false;
    vms_ram_free(a->ram);
    a->ram = NULL;
    a->ram_seen = false;
    a->ram_id = 0;
    a->have_cfg = false;
    memset(&a->cfg, 0, sizeof(a->cfg));
    vms_stream_close(a->s);
    a->s = NULL;
    if (e) {
        return e;
    }
    /* "-" is a seekable file here (seekable streams start at offset 0):
       the stream reads a dup of it, which shares the offset */
    if (strcmp(a->o->file, "-") == 0 && lseek(0, 0, SEEK_SET) != 0) {
        return vms_error_set(a->err, VMS_EIO, "cannot read the standard "
                             "input again: %s", strerror(errno));
    }
    if (!(a->s = vms_stream_open_input(a->o->file, input_of(a->o), a->err))) {
        return a->err ? a->err->code : VMS_EIO;
    }
    a->prescanned = true;
    return 0;
}

static int open_outdir(analyze *a)
{
    const char *dir = a->o->outdir ? a->o->outdir : ".";

    /* -C DIR makes DIR when it is missing, as unpack does */
    if (a->o->outdir && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        vms_error_set_file(a->err, dir);
        return vms_error_set(a->err, VMS_EIO, "cannot create directory: %s",
                             strerror(errno));
    }
    a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (a->dirfd < 0) {
        vms_error_set_file(a->err, dir);
        return vms_error_set(a->err, VMS_EIO, "cannot open directory: %s",
                             strerror(errno));
    }
    return 0;
}

static int run(analyze *a)
{
    const vms_analyze_opts *o = a->o;
    const char *text;
    size_t len;
    int e;

    if (!(a->s = vms_stream_open_input(o->file, input_of(o), a->err))) {
        return a->err ? a->err->code : VMS_EIO;
    }
    if (o->version >= 3 && o->dump_file &&
        (e = vms_dump_load(o->dump_file, &a->dump, a->err))) {
        return e;
    }
    if (o->desc_file) {
        if ((e = vms_vmdesc_load_file(o->desc_file, &a->vd, a->err))) {
            return e;
        }
        /* a borrowed description must prove it fits this stream */
        vms_stream_require_fit(a->s, true);
    } else if ((text = vms_stream_vmdesc(a->s, &len))) {
        if ((e = vms_vmdesc_parse(text, len, o->file, &a->vd, a->err))) {
            if (a->err) {
                a->err->has_offset = 1;
                a->err->offset = vms_stream_vmdesc_offset(a->s) + 5;
                vms_error_set_file(a->err, o->file);
            }
            return e;
        }
        a->vd_from_stream = true;
    }
    a->page_size = a->vd && vms_vmdesc_page_size(a->vd)
                       ? vms_vmdesc_page_size(a->vd) : 4096;

    if (o->mode == VMS_ANALYZE_DESC) {
        if (!a->vd && !vms_stream_seekable(a->s) && (e = pass(a))) {
            return e;
        }
        if (!a->vd) {
            return fail(a, VMS_ENOTFOUND, "the stream has no JSON "
                        "description (old machine type or suppress-vmdesc)");
        }
        if ((e = open_output(a))) {
            return e;
        }
        /* a write error is sticky: release_output reports it */
        if (!vms_vmdesc_write(a->vd, a->w)) {
            vms_jsonw_text(a->w, "\n", 1);
        }
        return release_output(a);
    }
    if (o->mode == VMS_ANALYZE_EXTRACT) {
        if ((e = open_outdir(a)) || (e = write_desc_file(a))) {
            return e;
        }
        if ((e = vms_outfile_open(&a->state_out, a->dirfd, "state.json",
                                  a->out_flags, a->err))) {
            vms__error_outfile(a->err, a->o->outdir, "state.json");
            return e;
        }
        a->state_open = true;
        if (!(a->state_w = vms_writer_fd(a->state_out.fd, "state.json",
                                         a->err))) {
            return a->err ? a->err->code : VMS_ENOMEM;
        }
        a->out = a->state_w;
    }
    if (o->memory && vms_stream_seekable(a->s) && (e = first_pass(a))) {
        return e;
    }
    if ((e = open_output(a)) || vms_jsonw_begin_object(a->w)) {
        return e ? e : release_output(a);
    }
    if ((e = pass(a))) {
        return e;
    }
    vms_jsonw_end_object(a->w);
    if (o->mode != VMS_ANALYZE_EXTRACT) {
        vms_jsonw_text(a->w, "\n", 1);
    }
    if ((e = release_output(a))) {
        return e;
    }
    if (o->mode == VMS_ANALYZE_EXTRACT) {
        if ((e = commit_blocks(a)) || (e = write_desc_file(a))) {
            return e;
        }
        a->state_open = false;
        e = vms_writer_close(a->state_w, a->err);
        a->state_w = NULL;
        if (e) {
            vms_outfile_abort(&a->state_out);
            return e;
        }
        if ((e = vms_outfile_commit(&a->state_out, a->out_flags, a->err))) {
            return e;
        }
        say_file(a, "state.json");
    }
    return 0;
}

int vms_analyze(const vms_analyze_opts *opts, vms_error *err)
{
    vms_analyze_opts copy;
    const vms_analyze_opts *o = &copy;
    analyze a;
    int e;

    memset(&a, 0, sizeof(a));
    /*
     * Version 4 replaced out_fd by out in place: an older struct cannot be
     * read, so it is refused rather than misread.
     */
    /* 5 added input at the end: 4 is read as it was */
    if (!opts || opts->version < 4 ||
        opts->version > VMS_ANALYZE_OPTS_VERSION) {
        return vms_error_set(err, VMS_EINVAL, "analyze options version %d "
                             "(this library reads %d)",
                             opts ? opts->version : 0,
                             VMS_ANALYZE_OPTS_VERSION);
    }
    if (!opts->file || (!opts->out && opts->mode != VMS_ANALYZE_EXTRACT)) {
        return vms_error_set(err, VMS_EINVAL, "analyze needs a file and, "
                             "but for -x, an output");
    }
    copy = *opts;
    /* python's -x ignores -m: the pages go to the files instead */
    copy.memory = copy.memory && copy.mode == VMS_ANALYZE_STATE;
    a.o = o;
    a.err = err;
    a.dirfd = -1;
    a.out = o->out;
    a.out_flags = o->force ? VMS_OUT_FORCE : 0;
    a.holding = true;
    e = run(&a);
    /* What is still buffered goes before the files it goes to close. */
    vms_jsonw_free(a.w);
    vms_writer_close(a.held, NULL);
    vms_writer_close(a.state_w, NULL);
    a.w = NULL;
    /* Never leave a half-written file behind: uncommitted ones go. */
    vms__ramfiles_free(a.rf);
    if (e) {
        if (a.state_open) {
            vms_outfile_abort(&a.state_out);
        }
        if (a.err && !a.err->code) {
            a.err->code = e;
        }
    }
    vms_buf_free(&a.hold);
    for (unsigned i = 0; i < a.nblocks; i++) {
        if (a.blocks[i].cache) {
            for (uint64_t c = 0; c <= a.blocks[i].npages / CACHE_CHUNK; c++) {
                if (a.blocks[i].cache[c]) {
                    for (unsigned p = 0; p < CACHE_CHUNK; p++) {
                        free(a.blocks[i].cache[c][p]);
                    }
                    free(a.blocks[i].cache[c]);
                }
            }
            free(a.blocks[i].cache);
        }
        if (a.blocks[i].need) {
            for (uint64_t c = 0; c <= a.blocks[i].npages / CACHE_CHUNK; c++) {
                free(a.blocks[i].need[c]);
            }
            free(a.blocks[i].need);
        }
        free(a.blocks[i].name);
    }
    free(a.blocks);
    for (size_t i = 0; i < a.npending; i++) {
        free(a.pending[i]);
    }
    free(a.pending);
    vms_ram_free(a.ram);
    vms_vmdesc_free(a.vd);
    vms_dump_free(a.dump);
    vms_stream_close(a.s);
    if (a.dirfd >= 0) {
        close(a.dirfd);
    }
    return e;
}
