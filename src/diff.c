/*
 * libvmstate: diff of two migration streams (see diff.h).
 *
 * One reader per stream, in two threads: each collects its sections (with
 * device state as analyze's JSON, parsed back into a small jansson tree)
 * and, per RAM page, a hash of the final content. The report is written
 * afterwards, so an input error prints nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "vmstate/diff.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "vmstate/dump.h"
#include "vmstate/json.h"
#include "table.h"
#include "jsonw.h"
#include "stream_priv.h"
#include "analyze_priv.h"
#include "writer.h"

/* Pages rebuilt from XBZRLE deltas (or zlib) kept for later deltas. */
#define CACHE_MAX (256u << 20)
/* More target pages than this in one block is not a guest we can index. */
#define MAX_PAGES (1ull << 32)
/* Real streams have a few hundred sections; matching them is quadratic. */
#define MAX_SECTIONS 65536

/* Where a page's current content can be found again (struct page.src). */
enum { SRC_ZERO = 0, SRC_FILE = 1, SRC_FILL = 2, SRC_CACHE = 3 };
#define SRC_LOST (~(uint64_t)0)

struct block {
    char name[256];
    uint64_t length;
    uint64_t npages;
    uint64_t *hash;            /* 0: never sent (zero on the destination) */
    uint64_t *src;             /* value << 2 | SRC_* */
};

struct section {
    char idstr[256];
    uint32_t instance_id;
    uint32_t version_id;
    enum vms_section_kind kind;
    json_t *state;             /* device sections */
    uint8_t *raw;              /* ... and their bytes, when readable */
    size_t rawlen;
    bool matched;
};

struct side {
    const char *path;
    const vms_input_opts *input;    /* NULL: the process default */
    bool want_pages;
    vms_stream *s;
    vms_vmdesc *vd;
    vms_dump *dump;            /* each side its own: built lazily */
    vms_config cfg;
    bool has_cfg;              /* a configuration record was read */
    bool page_size_known;      /* from the vmdesc or the configuration */
    uint32_t page_size;
    uint64_t zero_hash;        /* page_hash of a zero page */
    uint64_t fill_hashes[256]; /* of pages of one byte value, 0: not yet */
    vms_ram *ram;
    uint32_t ram_id;
    struct section *secs;
    size_t nsecs;
    struct block *blocks;
    unsigned nblocks;
    uint8_t **cache;           /* slots of decoded pages */
    size_t ncache, capcache;
    size_t *free_slots;
    size_t nfree;
    vms_error err;
    int rc;
    /* progress: both sides publish, the side that reports adds them up */
    const vms_diff_opts *o;
    struct side *peer;
    bool reporter;
    _Atomic uint64_t done, size;
};

/* ---- page hashes -------------------------------------------------------- */

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/*
 * Two multiply-rotate lanes over 16-byte steps: several GB/s, so the hash
 * costs less than reading the page. Never 0 (that means "never sent").
 */
static uint64_t page_hash(const uint8_t *p, size_t n)
{
    uint64_t h1 = 0x9e3779b97f4a7c15ull, h2 = 0xc2b2ae3d27d4eb4full;

    for (size_t i = 0; i + 16 <= n; i += 16) {
        uint64_t a, b;
        memcpy(&a, p + i, 8);
        memcpy(&b, p + i + 8, 8);
        h1 = rotl((h1 ^ a) * 0x87c37b91114253d5ull, 31);
        h2 = rotl((h2 ^ b) * 0x4cf5ad432745937full, 33);
    }
    h1 ^= rotl(h2, 17) ^ n;
    h1 ^= h1 >> 33;
    h1 *= 0xff51afd7ed558ccdull;
    h1 ^= h1 >> 33;
    return h1 | 1;
}

/* The hash of a page of fill bytes; a zero page is 0, as never sent. */
static uint64_t fill_hash(struct side *sd, uint8_t fill)
{
    uint8_t *p;

    if (fill == 0 || sd->fill_hashes[fill]) {
        return fill ? sd->fill_hashes[fill] : 0;
    }
    if (!(p = malloc(sd->page_size))) {
        return 0;
    }
    memset(p, fill, sd->page_size);
    sd->fill_hashes[fill] = page_hash(p, sd->page_size);
    free(p);
    return sd->fill_hashes[fill];
}

/* ---- one stream ---------------------------------------------------------- */

static int side_fail(struct side *sd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int side_fail(struct side *sd, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv_at(&sd->err, code, vms_stream_offset(sd->s), fmt, ap);
    va_end(ap);
    vms_error_set_file(&sd->err, vms_stream_name(sd->s));
    return code;
}

static void slot_free(struct side *sd, uint64_t *src)
{
    if ((*src & 3) == SRC_CACHE && *src != SRC_LOST) {
        sd->free_slots[sd->nfree++] = (size_t)(*src >> 2);
    }
    *src = SRC_ZERO;
}

static int ram_block(void *opaque, unsigned idx, const char *name,
                     uint64_t length, vms_error *err)
{
    struct side *sd = opaque;
    struct block *b;

    (void)err;
    if (vms__table_fit(&sd->blocks, &sd->nblocks, idx, sizeof(*b))) {
        return side_fail(sd, VMS_ENOMEM, "out of memory");
    }
    b = &sd->blocks[idx];
    if (b->name[0]) {
        return 0;   /* announced again by a later MEM_SIZE */
    }
    snprintf(b->name, sizeof(b->name), "%s", name);
    b->length = length;
    b->npages = (length + sd->page_size - 1) / sd->page_size;
    if (!sd->want_pages) {
        return 0;
    }
    if (b->npages > MAX_PAGES) {
        return side_fail(sd, VMS_ELIMIT, "RAM block '%s' of 0x%" PRIx64
                         " bytes is too big to index", name, length);
    }
    b->hash = calloc(b->npages ? b->npages : 1, sizeof(*b->hash));
    b->src = calloc(b->npages ? b->npages : 1, sizeof(*b->src));
    if (!b->hash || !b->src) {
        return side_fail(sd, VMS_ENOMEM, "out of memory indexing RAM block "
                         "'%s' (0x%" PRIx64 " bytes)", name, length);
    }
    return 0;
}

/* A decoded page: into a cache slot while the cache has room. */
static void keep_decoded(struct side *sd, uint64_t *src, const uint8_t *data)
{
    size_t ps = sd->page_size, slot;

    if ((*src & 3) == SRC_CACHE && *src != SRC_LOST) {
        memcpy(sd->cache[*src >> 2], data, ps);
        return;
    }
    if (sd->nfree) {
        slot = sd->free_slots[--sd->nfree];
    } else {
        if ((sd->ncache + 1) * ps > CACHE_MAX) {
            *src = SRC_LOST;
            return;
        }
        if (sd->ncache == sd->capcache) {
            size_t c = sd->capcache ? 2 * sd->capcache : 256;
            uint8_t **n = realloc(sd->cache, c * sizeof(*n));
            size_t *f = realloc(sd->free_slots, c * sizeof(*f));
            if (n) {
                sd->cache = n;
            }
            if (f) {
                sd->free_slots = f;
            }
            if (!n || !f) {
                *src = SRC_LOST;
                return;
            }
            sd->capcache = c;
        }
        if (!(sd->cache[sd->ncache] = malloc(ps))) {
            *src = SRC_LOST;
            return;
        }
        slot = sd->ncache++;
    }
    memcpy(sd->cache[slot], data, ps);
    *src = (uint64_t)slot << 2 | SRC_CACHE;
}

static int ram_page(void *opaque, unsigned idx, uint64_t addr,
                    const uint8_t *data, uint8_t fill, vms_error *err)
{
    struct side *sd = opaque;
    struct block *b = idx < sd->nblocks ? &sd->blocks[idx] : NULL;
    uint64_t pg = addr / sd->page_size, off;

    (void)err;
    if (!sd->want_pages) {
        return 0;   /* fill pages come even without want_data */
    }
    if (!b || !b->hash || pg >= b->npages) {
        return side_fail(sd, VMS_EFORMAT, "RAM page 0x%" PRIx64 " outside "
                         "its block", addr);
    }
    if (!data) {
        slot_free(sd, &b->src[pg]);
        b->hash[pg] = fill_hash(sd, fill);
        if (fill && !b->hash[pg]) {
            return side_fail(sd, VMS_ENOMEM, "out of memory");
        }
        b->src[pg] = (uint64_t)fill << 2 | SRC_FILL;
        return 0;
    }
    b->hash[pg] = page_hash(data, sd->page_size);
    if (b->hash[pg] == sd->zero_hash) {
        b->hash[pg] = 0;
    }
    off = vms_ram_page_offset(sd->ram);
    if (off) {
        slot_free(sd, &b->src[pg]);
        b->src[pg] = off << 2 | SRC_FILE;
    } else {
        keep_decoded(sd, &b->src[pg], data);
    }
    return 0;
}

static int ram_old_page(void *opaque, unsigned idx, uint64_t addr,
                        uint8_t *buf, vms_error *err)
{
    struct side *sd = opaque;
    struct block *b = idx < sd->nblocks ? &sd->blocks[idx] : NULL;
    uint64_t pg = addr / sd->page_size, src;
    size_t ps = sd->page_size;

    (void)err;
    if (!b || !b->src || pg >= b->npages) {
        return side_fail(sd, VMS_EFORMAT, "XBZRLE page 0x%" PRIx64
                         " outside its block", addr);
    }
    src = b->src[pg];
    if (src == SRC_LOST) {
        return side_fail(sd, VMS_ELIMIT, "XBZRLE page needs more than %u MiB "
                         "of earlier decoded pages", CACHE_MAX >> 20);
    }
    switch (src & 3) {
    case SRC_ZERO:
        memset(buf, 0, ps);
        return 0;
    case SRC_FILL:
        memset(buf, (int)(src >> 2), ps);
        return 0;
    case SRC_CACHE:
        memcpy(buf, sd->cache[src >> 2], ps);
        return 0;
    }
    if (!vms_stream_seekable(sd->s)) {
        return side_fail(sd, VMS_EUNSUPPORTED, "an XBZRLE page refers to an "
                         "earlier page: diff needs a file, not a pipe");
    }
    if (vms_stream_pread(sd->s, buf, ps, src >> 2, NULL)) {
        return side_fail(sd, VMS_EIO, "cannot read back the page at offset "
                         "0x%" PRIx64, src >> 2);
    }
    return 0;
}

static void side_tick(void *opaque)
{
    struct side *sd = opaque;
    uint64_t sa, sb;

    atomic_store_explicit(&sd->done, vms_stream_offset(sd->s),
                          memory_order_relaxed);
    if (!sd->reporter || !sd->o->progress) {
        return;
    }
    sa = atomic_load_explicit(&sd->size, memory_order_relaxed);
    sb = atomic_load_explicit(&sd->peer->size, memory_order_relaxed);
    sd->o->progress(sd->o->progress_opaque,
                    atomic_load_explicit(&sd->done, memory_order_relaxed) +
                    atomic_load_explicit(&sd->peer->done,
                                         memory_order_relaxed),
                    sa && sb ? sa + sb : 0);
}

static int ram_section(struct side *sd, const vms_record *rec)
{
    if (!sd->ram) {
        uint8_t *zero = calloc(1, sd->page_size);
        if (!zero) {
            return side_fail(sd, VMS_ENOMEM, "out of memory");
        }
        sd->zero_hash = page_hash(zero, sd->page_size);
        free(zero);
        vms_ram_opts ro = {
            .page_size = sd->page_size,
            .ignore_shared = vms__config_has_cap(&sd->cfg, "x-ignore-shared"),
            .mapped_ram = vms__config_has_cap(&sd->cfg, "mapped-ram"),
        };
        vms_ram_sink sink = {
            .opaque = sd,
            .want_data = sd->want_pages,
            .block = ram_block,
            .page = ram_page,
            .old_page = ram_old_page,
            .tick = side_tick,
        };
        if (!(sd->ram = vms_ram_new(&ro, &sink, &sd->err))) {
            return side_fail(sd, sd->err.code ? sd->err.code : VMS_ENOMEM,
                             "%s", sd->err.message);
        }
        sd->ram_id = rec->section_id;
    }
    if (rec->section_id != sd->ram_id) {
        return side_fail(sd, VMS_EFORMAT, "a second RAM section (id %u)",
                         rec->section_id);
    }
    return vms_ram_read(sd->ram, sd->s, rec->version_id, &sd->err);
}

static int device_state(struct side *sd, const vms_record *rec, json_t **out)
{
    vms_buf buf = { 0 };
    vms_jsonw *w;
    json_error_t je;
    int e;

    if (!sd->dump && (e = vms__stream_need_vmdesc(sd->s, &sd->vd, rec,
                                                  NULL, &sd->err))) {
        return e;
    }
    if (!(w = vms__jsonw_buf(&buf, VMS_JSONW_COMPACT, 0, &sd->err))) {
        return side_fail(sd, VMS_ENOMEM, "out of memory");
    }
    e = vms__device_json(sd->s, sd->vd, sd->dump, rec, w, &sd->err);
    if (vms_jsonw_free(w) && !e) {
        e = side_fail(sd, VMS_ENOMEM, "out of memory");
    }
    if (!e) {
        /* Our own writer's output: a failure here is memory, not input. */
        *out = json_loadb(buf.data, buf.len, JSON_DECODE_ANY, &je);
        if (!*out) {
            e = side_fail(sd, VMS_ENOMEM, "section '%s': %s", rec->idstr,
                          je.text);
        }
    }
    vms_buf_free(&buf);
    return e;
}

static int start_section(struct side *sd, const vms_record *rec)
{
    enum vms_section_kind k = vms_section_kind(rec->idstr, rec->instance_id);
    struct section *n, *sec;
    const vms_desc *d;
    size_t sz;

    /* A description entry wins over a built-in decoder, as in analyze. */
    if (sd->vd && k != VMS_SECTION_DEVICE &&
        vms_vmdesc_device(sd->vd, rec->idstr, rec->instance_id, &d, &sz,
                          NULL) == 0) {
        k = VMS_SECTION_DEVICE;
    }
    if (sd->nsecs >= MAX_SECTIONS) {
        return side_fail(sd, VMS_ELIMIT, "more than %u sections",
                         MAX_SECTIONS);
    }
    /* Doubling at powers of two keeps the appends linear. */
    if ((sd->nsecs & (sd->nsecs - 1)) == 0) {
        n = realloc(sd->secs, (sd->nsecs ? 2 * sd->nsecs : 64) * sizeof(*n));
        if (!n) {
            return side_fail(sd, VMS_ENOMEM, "out of memory");
        }
        sd->secs = n;
    }
    sec = &sd->secs[sd->nsecs++];
    memset(sec, 0, sizeof(*sec));
    snprintf(sec->idstr, sizeof(sec->idstr), "%s", rec->idstr);
    sec->instance_id = rec->instance_id;
    sec->version_id = rec->version_id;
    sec->kind = k;
    switch (k) {
    case VMS_SECTION_RAM:
        return ram_section(sd, rec);
    case VMS_SECTION_DEVICE:
        if (rec->type == VMS_REC_SECTION_START) {
            return side_fail(sd, VMS_EUNSUPPORTED, "iterative section '%s' "
                             "has no decoder", rec->idstr);
        }
    {
        uint64_t body = vms_stream_offset(sd->s);
        vms_error tmp;
        int e = device_state(sd, rec, &sec->state);
        uint64_t end = vms_stream_offset(sd->s);
        /*
         * The bytes, for a section one side decodes and the other prints
         * raw (a dump that does not decode it): compared as bytes then.
         * A pipe's bytes may be gone: the values are compared instead.
         */
        if (!e && end >= body && end - body <= VMS_LIMIT_STATE_SIZE &&
            vms__stream_bytes(sd->s, body, (size_t)(end - body), &sec->raw,
                              &tmp) == 0) {
            sec->rawlen = (size_t)(end - body);
        }
        return e;
    }
    default:
        return vms_section_read(sd->s, rec, k, &sd->err);
    }
}

static int side_pass(struct side *sd)
{
    const char *text;
    vms_record rec;
    size_t len;
    int e;

    if (!(sd->s = vms_stream_open_input(sd->path, sd->input, &sd->err))) {
        return sd->err.code ? sd->err.code : VMS_EIO;
    }
    {
        int64_t size = vms_reader_size(vms_stream_reader(sd->s));

        atomic_store(&sd->size, size > 0 ? (uint64_t)size : 0);
    }
    if ((text = vms_stream_vmdesc(sd->s, &len)) &&
        (e = vms_vmdesc_parse(text, len, sd->path, &sd->vd, &sd->err))) {
        sd->err.has_offset = 1;
        sd->err.offset = vms_stream_vmdesc_offset(sd->s) + 5;
        vms_error_set_file(&sd->err, sd->path);
        return e;
    }
    /* a dump's descriptions are borrowed: they must prove they fit */
    vms_stream_require_fit(sd->s, sd->dump && !sd->vd);
    sd->page_size_known = sd->vd && vms_vmdesc_page_size(sd->vd);
    sd->page_size = sd->page_size_known ? vms_vmdesc_page_size(sd->vd)
                                        : 4096;
    for (;;) {
        if ((e = vms_stream_next(sd->s, &rec, &sd->cfg, &sd->err))) {
            return e;
        }
        side_tick(sd);
        switch (rec.type) {
        case VMS_REC_EOF:
            atomic_store(&sd->done, vms_stream_offset(sd->s));
            return 0;
        case VMS_REC_CONFIGURATION:
            sd->has_cfg = true;
            if (sd->cfg.target_page_bits && !sd->vd &&
                sd->cfg.target_page_bits >= 9 &&
                sd->cfg.target_page_bits <= 20) {
                sd->page_size = 1u << sd->cfg.target_page_bits;
                sd->page_size_known = true;
            }
            continue;
        case VMS_REC_COMMAND:
            continue;
        case VMS_REC_SECTION_START:
        case VMS_REC_SECTION_FULL:
            e = start_section(sd, &rec);
            break;
        default:
            e = vms_section_kind(rec.idstr, rec.instance_id) ==
                VMS_SECTION_RAM ? ram_section(sd, &rec)
                : vms_section_read(sd->s, &rec,
                                   vms_section_kind(rec.idstr,
                                                    rec.instance_id),
                                   &sd->err);
            break;
        }
        if (e || (e = vms_stream_end_section(sd->s, &rec, &sd->err))) {
            return e;
        }
    }
}

static void *side_thread(void *opaque)
{
    struct side *sd = opaque;

    sd->rc = side_pass(sd);
    if (sd->rc && !sd->err.code) {
        sd->err.code = sd->rc;
    }
    return NULL;
}

static void side_free(struct side *sd)
{
    for (size_t i = 0; i < sd->nsecs; i++) {
        json_decref(sd->secs[i].state);
        free(sd->secs[i].raw);
    }
    free(sd->secs);
    for (unsigned i = 0; i < sd->nblocks; i++) {
        free(sd->blocks[i].hash);
        free(sd->blocks[i].src);
    }
    free(sd->blocks);
    for (size_t i = 0; i < sd->ncache; i++) {
        free(sd->cache[i]);
    }
    free(sd->cache);
    free(sd->free_slots);
    vms_ram_free(sd->ram);
    vms_vmdesc_free(sd->vd);
    vms_dump_free(sd->dump);
    vms_stream_close(sd->s);
}

/* ---- the report ---------------------------------------------------------- */

typedef struct report {
    const vms_diff_opts *o;
    struct side *a, *b;
    vms_jsonw *w;             /* JSON, onto o->out */
    bool differ;
    int e;
} report;

/* A value as analyze prints it (JSON); caller frees. */
static char *render(const json_t *v)
{
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static void text(report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text(report *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (!r->e) {
        /* the writer keeps the failure's record for vms_diff's flush */
        r->e = vms__write_vprintf(r->o->out, NULL, fmt, ap);
    }
    va_end(ap);
}

static void json_raw_value(report *r, const char *key, const json_t *v)
{
    char *s;

    vms_jsonw_key(r->w, key);
    if (!v) {
        vms_jsonw_null(r->w);
        return;
    }
    if (!(s = render(v))) {
        r->e = VMS_ENOMEM;
        vms_jsonw_null(r->w);
        return;
    }
    vms_jsonw_raw(r->w, s, strlen(s));
    free(s);
}

/*
 * A subsection is an object under its own name, which QEMU makes
 * "parent/name": the only '/' a field name never has.
 */
static bool is_subsection(const char *path, const json_t *v)
{
    const char *dot = strrchr(path, '.');

    return json_is_object(v) && dot && strchr(dot, '/');
}

/* A field (or subsection) whose values differ; a or b NULL: absent. */
static void field_diff(report *r, const char *path, const json_t *a,
                       const json_t *b)
{
    bool sub = (!a || !b) && is_subsection(path, a ? a : b);

    r->differ = true;
    if (r->w) {
        vms_jsonw_begin_object(r->w);
        vms__jsonw_kv_str(r->w, 0, "kind", sub ? "subsection" : "field");
        vms__jsonw_kv_str(r->w, 0, "path", path);
        json_raw_value(r, "a", a);
        json_raw_value(r, "b", b);
        vms_jsonw_end_object(r->w);
        return;
    }
    char *sa = a ? render(a) : NULL, *sb = b ? render(b) : NULL;
    if ((a && !sa) || (b && !sb)) {
        r->e = VMS_ENOMEM;
    } else if (!a) {
        text(r, "only in B: %s%s = %s\n", sub ? "subsection " : "", path,
             sb);
    } else if (!b) {
        text(r, "only in A: %s%s = %s\n", sub ? "subsection " : "", path,
             sa);
    } else {
        text(r, "%s: %s != %s\n", path, sa, sb);
    }
    free(sa);
    free(sb);
}

#define PATH_MAX_LEN 4096

/*
 * The bytes a leaf stands for: raw bytes ("0a 1b", what a field without a
 * known type prints) or an integer ("0x0a1b", its width in its digits,
 * big-endian as on the wire; a " (-1)" note after it ignored). false for
 * anything else.
 */
static bool leaf_bytes(const json_t *v, uint8_t *buf, size_t cap, size_t *n)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t k = 0;

    if (!s) {
        return false;
    }
    if (s[0] == '0' && s[1] == 'x') {
        size_t d = strspn(s + 2, "0123456789abcdef");
        if (!d || d % 2 || d / 2 > cap || (s[2 + d] && s[2 + d] != ' ')) {
            return false;
        }
        for (size_t i = 0; i < d / 2; i++) {
            unsigned x;
            if (sscanf(s + 2 + 2 * i, "%2x", &x) != 1) {
                return false;
            }
            buf[k++] = (uint8_t)x;
        }
        *n = k;
        return true;
    }
    for (;;) {
        unsigned x;
        if (strspn(s, "0123456789abcdef") != 2 || k == cap ||
            sscanf(s, "%2x", &x) != 1) {
            return false;
        }
        buf[k++] = (uint8_t)x;
        s += 2;
        if (!*s) {
            break;
        }
        if (*s++ != ' ') {
            return false;
        }
    }
    *n = k;
    return true;
}

/*
 * One side decoded through a dump may print a field as raw bytes where
 * the other's description gives it a type ("00" and "0x00"): the same
 * bytes are the same value.
 */
static bool same_bytes(const json_t *a, const json_t *b)
{
    uint8_t ba[64], bb[64];
    size_t na, nb;

    return leaf_bytes(a, ba, sizeof(ba), &na) &&
           leaf_bytes(b, bb, sizeof(bb), &nb) && na == nb &&
           memcmp(ba, bb, na) == 0;
}

static void tree_diff(report *r, char *path, size_t len, const json_t *a,
                      const json_t *b, int depth)
{
    if (r->e) {
        return;
    }
    if (depth > 200 || len > PATH_MAX_LEN - 300) {
        /* analyze's trees are far shallower: compare whole */
        if (!json_equal(a, b)) {
            field_diff(r, path, a, b);
        }
        return;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        json_t *va;

        json_object_foreach((json_t *)a, key, va) {
            json_t *vb = json_object_get(b, key);
            int n = snprintf(path + len, PATH_MAX_LEN - len, ".%s", key);
            size_t nl = n < 0 ? len : len + (size_t)n;
            if (nl >= PATH_MAX_LEN) {
                nl = PATH_MAX_LEN - 1;
            }
            if (vb) {
                tree_diff(r, path, nl, va, vb, depth + 1);
            } else {
                field_diff(r, path, va, NULL);
            }
            path[len] = '\0';
        }
        json_object_foreach((json_t *)b, key, va) {
            if (!json_object_get(a, key)) {
                snprintf(path + len, PATH_MAX_LEN - len, ".%s", key);
                field_diff(r, path, NULL, va);
                path[len] = '\0';
            }
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);

        for (size_t i = 0; i < na || i < nb; i++) {
            int n = snprintf(path + len, PATH_MAX_LEN - len, "[%zu]", i);
            size_t nl = n < 0 ? len : len + (size_t)n;
            if (nl >= PATH_MAX_LEN) {
                nl = PATH_MAX_LEN - 1;
            }
            if (i < na && i < nb) {
                tree_diff(r, path, nl, json_array_get(a, i),
                          json_array_get(b, i), depth + 1);
            } else {
                field_diff(r, path, i < na ? json_array_get(a, i) : NULL,
                           i < nb ? json_array_get(b, i) : NULL);
            }
            path[len] = '\0';
        }
        return;
    }
    if (!json_equal(a, b) && !same_bytes(a, b)) {
        field_diff(r, path, a, b);
    }
}

static size_t section_name(const struct section *s, char *buf, size_t len)
{
    int n = s->instance_id
        ? snprintf(buf, len, "%s@%" PRIu32, s->idstr, s->instance_id)
        : snprintf(buf, len, "%s", s->idstr);

    return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

static struct section *find_section(struct side *sd, const struct section *s)
{
    for (size_t i = 0; i < sd->nsecs; i++) {
        struct section *t = &sd->secs[i];
        if (!t->matched && t->instance_id == s->instance_id &&
            strcmp(t->idstr, s->idstr) == 0) {
            return t;
        }
    }
    return NULL;
}

static void section_only(report *r, const struct section *s, const char *side)
{
    r->differ = true;
    if (r->w) {
        vms_jsonw_begin_object(r->w);
        vms__jsonw_kv_str(r->w, 0, "kind", "section");
        vms__jsonw_kv_str(r->w, 0, "section", s->idstr);
        vms__jsonw_kv_int(r->w, 0, "instance_id", s->instance_id);
        vms__jsonw_kv_str(r->w, 0, "only_in", side);
        vms__jsonw_kv_int(r->w, 0, "version", s->version_id);
        vms_jsonw_end_object(r->w);
    } else {
        text(r, "only in %s: section '%s' instance %" PRIu32 " version %"
             PRIu32 "\n", side[0] == 'a' ? "A" : "B", s->idstr,
             s->instance_id, s->version_id);
    }
}

static void bytes_diff(report *r, const char *path, const struct section *a,
                       const struct section *b)
{
    size_t n = a->rawlen < b->rawlen ? a->rawlen : b->rawlen, at = 0;

    while (at < n && a->raw[at] == b->raw[at]) {
        at++;
    }
    if (at == n && a->rawlen == b->rawlen) {
        return;
    }
    r->differ = true;
    if (r->w) {
        vms_jsonw_begin_object(r->w);
        vms__jsonw_kv_str(r->w, 0, "kind", "bytes");
        vms__jsonw_kv_str(r->w, 0, "path", path);
        vms__jsonw_kv_int(r->w, 0, "a_length", (int64_t)a->rawlen);
        vms__jsonw_kv_int(r->w, 0, "b_length", (int64_t)b->rawlen);
        vms__jsonw_kv_int(r->w, 0, "first_difference", (int64_t)at);
        vms_jsonw_end_object(r->w);
    } else {
        text(r, "%s: bytes differ (%s raw): %zu != %zu bytes, first "
             "difference at byte %zu\n", path,
             json_is_string(a->state) ? "A" : "B", a->rawlen, b->rawlen, at);
    }
}

/*
 * The configuration record (machine type, page size, capabilities):
 * first, since a difference there explains many below it.
 */
static void config_diff(report *r)
{
    const struct side *a = r->a, *b = r->b;

    if (a->has_cfg != b->has_cfg) {
        r->differ = true;
        if (r->w) {
            vms_jsonw_begin_object(r->w);
            vms__jsonw_kv_str(r->w, 0, "field", "configuration");
            vms__jsonw_kv_str(r->w, 0, "only_in", a->has_cfg ? "a" : "b");
            vms_jsonw_end_object(r->w);
        } else {
            text(r, "only in %s: configuration section (machine type '%s')\n",
                 a->has_cfg ? "A" : "B",
                 a->has_cfg ? a->cfg.machine : b->cfg.machine);
        }
    } else if (a->has_cfg && strcmp(a->cfg.machine, b->cfg.machine) != 0) {
        r->differ = true;
        if (r->w) {
            vms_jsonw_begin_object(r->w);
            vms__jsonw_kv_str(r->w, 0, "field", "machine");
            vms__jsonw_kv_str(r->w, 0, "a", a->cfg.machine);
            vms__jsonw_kv_str(r->w, 0, "b", b->cfg.machine);
            vms_jsonw_end_object(r->w);
        } else {
            text(r, "configuration: machine: \"%s\" != \"%s\"\n",
                 a->cfg.machine, b->cfg.machine);
        }
    }
    if (a->page_size_known && b->page_size_known &&
        a->page_size != b->page_size) {
        r->differ = true;
        if (r->w) {
            vms_jsonw_begin_object(r->w);
            vms__jsonw_kv_str(r->w, 0, "field", "page_size");
            vms__jsonw_kv_int(r->w, 0, "a", a->page_size);
            vms__jsonw_kv_int(r->w, 0, "b", b->page_size);
            vms_jsonw_end_object(r->w);
        } else {
            text(r, "configuration: page size: %u != %u\n", a->page_size,
                 b->page_size);
        }
    }
    /* capabilities as sets: the order is QEMU's enum order, not a choice */
    for (int side = 0; side < 2; side++) {
        const struct side *x = side ? b : a, *y = side ? a : b;
        for (uint32_t i = 0; i < x->cfg.ncaps; i++) {
            if (vms__config_has_cap(&y->cfg, x->cfg.caps[i])) {
                continue;
            }
            r->differ = true;
            if (r->w) {
                vms_jsonw_begin_object(r->w);
                vms__jsonw_kv_str(r->w, 0, "field", "capability");
                vms__jsonw_kv_str(r->w, 0, "name", x->cfg.caps[i]);
                vms__jsonw_kv_str(r->w, 0, "only_in", side ? "b" : "a");
                vms_jsonw_end_object(r->w);
            } else {
                text(r, "configuration: only in %s: capability %s\n",
                     side ? "B" : "A", x->cfg.caps[i]);
            }
        }
    }
}

static void sections_diff(report *r)
{
    char path[PATH_MAX_LEN];

    for (size_t i = 0; i < r->a->nsecs && !r->e; i++) {
        struct section *sa = &r->a->secs[i], *sb;
        size_t len;

        if (sa->matched) {
            continue;   /* a START already matched; PARTs add nothing */
        }
        sb = find_section(r->b, sa);
        sa->matched = true;
        if (!sb) {
            section_only(r, sa, "a");
            continue;
        }
        sb->matched = true;
        len = section_name(sa, path, sizeof(path));
        if (sa->version_id != sb->version_id) {
            r->differ = true;
            if (r->w) {
                vms_jsonw_begin_object(r->w);
                vms__jsonw_kv_str(r->w, 0, "kind", "version");
                vms__jsonw_kv_str(r->w, 0, "path", path);
                vms__jsonw_kv_int(r->w, 0, "a", sa->version_id);
                vms__jsonw_kv_int(r->w, 0, "b", sb->version_id);
                vms_jsonw_end_object(r->w);
            } else {
                text(r, "version: %s: %" PRIu32 " != %" PRIu32 "\n", path,
                     sa->version_id, sb->version_id);
            }
        }
        if (sa->raw && sb->raw && sa->rawlen == sb->rawlen &&
            sa->version_id == sb->version_id && !r->a->vd != !r->b->vd &&
            memcmp(sa->raw, sb->raw, sa->rawlen) == 0) {
            /*
             * The same bytes are the same state: one side decoded through
             * its vmdesc, the other through a dump, which names some
             * fields differently ("state" and "serial"). Two vmdescs are
             * compared by name: a field renamed between QEMU versions is
             * worth a line.
             */
            continue;
        }
        if (sa->state && sb->state &&
            json_is_string(sa->state) != json_is_string(sb->state) &&
            sa->raw && sb->raw) {
            /* one side is raw: its bytes are all there is to compare */
            bytes_diff(r, path, sa, sb);
        } else if (sa->state && sb->state) {
            tree_diff(r, path, len, sa->state, sb->state, 0);
        }
    }
    for (size_t i = 0; i < r->b->nsecs && !r->e; i++) {
        if (!r->b->secs[i].matched) {
            r->b->secs[i].matched = true;
            section_only(r, &r->b->secs[i], "b");
        }
    }
}

static struct block *find_block(struct side *sd, const char *name)
{
    for (unsigned i = 0; i < sd->nblocks; i++) {
        if (strcmp(sd->blocks[i].name, name) == 0) {
            return &sd->blocks[i];
        }
    }
    return NULL;
}

static void block_only(report *r, const struct block *b, const char *side)
{
    r->differ = true;
    if (r->w) {
        char v[24];
        vms_jsonw_begin_object(r->w);
        vms__jsonw_kv_str(r->w, 0, "block", b->name);
        vms__jsonw_kv_str(r->w, 0, "only_in", side);
        snprintf(v, sizeof(v), "0x%016" PRIx64, b->length);
        vms__jsonw_kv_str(r->w, 0, "length", v);
        vms_jsonw_end_object(r->w);
    } else {
        text(r, "only in %s: ram block '%s' (0x%" PRIx64 " bytes)\n",
             side[0] == 'a' ? "A" : "B", b->name, b->length);
    }
}

static void block_diff(report *r, const struct block *a, const struct block *b)
{
    uint64_t n = 0, np = a->npages < b->npages ? a->npages : b->npages;
    unsigned first = r->o->first ? r->o->first : 8, shown = 0;
    bool pages = r->o->ram == VMS_DIFF_RAM_PAGES;
    /* Pages of different sizes (two targets) have nothing to compare. */
    bool cmp = r->o->ram != VMS_DIFF_RAM_NONE && a->hash && b->hash &&
               r->a->page_size == r->b->page_size;
    char v[24];

    if (r->w) {
        vms_jsonw_begin_object(r->w);
        vms__jsonw_kv_str(r->w, 0, "block", a->name);
        snprintf(v, sizeof(v), "0x%016" PRIx64, a->length);
        vms__jsonw_kv_str(r->w, 0, "length_a", v);
        snprintf(v, sizeof(v), "0x%016" PRIx64, b->length);
        vms__jsonw_kv_str(r->w, 0, "length_b", v);
        if (cmp) {
            vms_jsonw_key(r->w, pages ? "pages" : "first");
            vms_jsonw_begin_array(r->w);
        }
    } else if (a->length != b->length) {
        text(r, "ram: %s: length 0x%" PRIx64 " != 0x%" PRIx64 "\n", a->name,
             a->length, b->length);
    }
    if (a->length != b->length) {
        r->differ = true;
    }
    if (r->a->page_size != r->b->page_size) {
        r->differ = true;
        if (!r->w) {
            text(r, "ram: %s: page size %u != %u\n", a->name,
                 r->a->page_size, r->b->page_size);
        }
    }
    for (uint64_t p = 0; cmp && p < np && !r->e; p++) {
        uint64_t ha = a->hash[p], hb = b->hash[p];

        if (ha == hb) {
            continue;
        }
        n++;
        if (!pages && shown >= first) {
            continue;
        }
        shown++;
        snprintf(v, sizeof(v), "0x%" PRIx64, p * r->a->page_size);
        if (r->w) {
            vms_jsonw_string(r->w, v);
        } else if (pages) {
            text(r, "ram: %s: %s\n", a->name, v);
        }
    }
    if (n) {
        r->differ = true;
    }
    if (r->w) {
        if (cmp) {
            vms_jsonw_end_array(r->w);
            vms_jsonw_key(r->w, "differing_pages");
            vms_jsonw_uint(r->w, n);
        }
        vms_jsonw_end_object(r->w);
    } else if (n && !pages) {
        text(r, "ram: %s: %" PRIu64 " pages differ (of %" PRIu64 "); first:",
             a->name, n, np);
        shown = 0;
        for (uint64_t p = 0; p < np && shown < first; p++) {
            if (a->hash[p] != b->hash[p]) {
                text(r, " 0x%" PRIx64, p * r->a->page_size);
                shown++;
            }
        }
        text(r, "\n");
    }
}

static void ram_diff(report *r)
{
    for (unsigned i = 0; i < r->a->nblocks && !r->e; i++) {
        struct block *a = &r->a->blocks[i];
        struct block *b = a->name[0] ? find_block(r->b, a->name) : NULL;

        if (!a->name[0]) {
            continue;
        }
        if (b) {
            block_diff(r, a, b);
        } else {
            block_only(r, a, "a");
        }
    }
    for (unsigned i = 0; i < r->b->nblocks && !r->e; i++) {
        struct block *b = &r->b->blocks[i];
        if (b->name[0] && !find_block(r->a, b->name)) {
            block_only(r, b, "b");
        }
    }
}

static int write_report(report *r, vms_error *err)
{
    const vms_diff_opts *o = r->o;
    int e;

    if (o->format == VMS_DIFF_JSON) {
        r->w = vms_jsonw_new(o->out, VMS_JSONW_PRETTY, 4, err);
        if (!r->w) {
            return err ? err->code : VMS_ENOMEM;
        }
        vms_jsonw_begin_object(r->w);
        vms__jsonw_kv_str(r->w, 0, "a", o->a);
        vms__jsonw_kv_str(r->w, 0, "b", o->b);
        vms_jsonw_key(r->w, "configuration");
        vms_jsonw_begin_array(r->w);
        config_diff(r);
        vms_jsonw_end_array(r->w);
        vms_jsonw_key(r->w, "differences");
        vms_jsonw_begin_array(r->w);
        sections_diff(r);
        vms_jsonw_end_array(r->w);
        vms_jsonw_key(r->w, "ram");
        vms_jsonw_begin_array(r->w);
        ram_diff(r);
        vms_jsonw_end_array(r->w);
        vms_jsonw_key(r->w, "equal");
        vms_jsonw_bool(r->w, !r->differ);
        vms_jsonw_end_object(r->w);
        vms_jsonw_text(r->w, "\n", 1);
        vms_jsonw_free(r->w);
    } else {
        config_diff(r);
        sections_diff(r);
        ram_diff(r);
    }
    /* a write failure's record is the writer's */
    e = vms_writer_flush(o->out, err);
    if (r->e && !e) {
        e = vms_error_set(err, r->e, "cannot write the report: %s",
                          vms_strerror(r->e));
    }
    return e;
}

int vms_diff(const vms_diff_opts *o, vms_error *err)
{
    struct side a = { 0 }, b = { 0 };
    report r = { 0 };
    pthread_t t;
    bool threaded;
    int e;

    vms_error_clear(err);
    /* version 3 replaced out_fd by out in place: older ones are refused */
    /* 4 added input_a/input_b at the end: 3 is read as it was */
    if (!o || o->version < 3 || o->version > VMS_DIFF_OPTS_VERSION ||
        !o->a || !o->b ||
        !o->out) {
        return vms_error_set(err, VMS_EINVAL, "bad options");
    }
    if (strcmp(o->a, "-") == 0 && strcmp(o->b, "-") == 0) {
        return vms_error_set(err, VMS_EINVAL, "only one of the streams can "
                             "be standard input");
    }
    if (o->dump_file &&
        strcmp(o->dump_file, "-") == 0) {
        /* each side reads its own copy */
        return vms_error_set(err, VMS_EINVAL, "the dump cannot be standard "
                             "input");
    }
    if (o->dump_file &&
        ((e = vms_dump_load(o->dump_file, &a.dump, err)) ||
         (e = vms_dump_load(o->dump_file, &b.dump, err)))) {
        vms_dump_free(a.dump);
        return e;
    }
    a.path = o->a;
    b.path = o->b;
    if (o->version >= 4) {
        a.input = o->input_a;
        b.input = o->input_b;
    }
    a.want_pages = b.want_pages = o->ram != VMS_DIFF_RAM_NONE;
    a.o = b.o = o;
    a.peer = &b;
    b.peer = &a;
    /* This thread's side reports: the callback never runs concurrently. */
    a.reporter = true;
    /* jansson seeds its hash on first use: do it before the threads. */
    json_object_seed(0);
    /* The two passes are independent: on two cores they cost one. */
    threaded = pthread_create(&t, NULL, side_thread, &b) == 0;
    side_thread(&a);
    if (threaded) {
        pthread_join(t, NULL);
    } else {
        side_thread(&b);
    }
    if (a.rc || b.rc) {
        if (err) {
            *err = a.rc ? a.err : b.err;
        }
        e = a.rc ? a.rc : b.rc;
    } else {
        r.o = o;
        r.a = &a;
        r.b = &b;
        if (!(e = write_report(&r, err))) {
            e = r.differ ? 1 : 0;
        }
    }
    side_free(&a);
    side_free(&b);
    return e;
}
