/*
 * libvmstate: QEMU migration stream container reader.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vmstate/stream.h"
#include "vmstate/input.h"
#include "vmstate/pack.h"
#include "vmstate/version.h"
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "bytes.h"
#include "table.h"
#include "stream_priv.h"
#include "reader.h"

/* Backward scan window for the vmdesc header on seekable inputs. */
#define SCAN_CHUNK (1u << 20)

struct vms_stream {
    vms_reader *file;       /* the input */
    vms_reader *tail;       /* pipes: the buffered tail, once read */
    vms_reader *cur;        /* file or tail */
    uint64_t tail_base;     /* input offset of tail[0] */
    uint8_t *tail_buf;
    size_t tail_all;        /* bytes buffered, the vmdesc included */
    size_t tail_len;        /* ... of which records */
    vms_input *input;       /* the container the stream came in */
    int fd;                 /* a bare stream's fd; else -1 */
    int64_t size;           /* -1 for pipes */
    char *vmdesc;           /* NUL-terminated */
    size_t vmdesc_len;
    uint64_t vmdesc_off;    /* 0: none */
    bool vmdesc_known;      /* the search was done */
    bool vmdesc_capped;     /* ... over the last VMS_LIMIT_VMDESC_SIZE only */
    bool footers;           /* a footer has been seen */
    bool ended;             /* EOF record read */
    /*
     * What the reader is inside, for the one truncation message: the
     * stream header, a record header, a section body or footer, or the
     * bytes after the end marker.
     */
    enum { CTX_HEADER, CTX_RECORD, CTX_BODY, CTX_FOOTER, CTX_TAIL } ctx;
    uint64_t ctx_off;       /* offset of the record being read */
    uint32_t ctx_id;
    char ctx_idstr[256];
    enum vms_stream_tail tail_kind;
    enum vms_stream_tail probed_tail;  /* what vms__stream_probe_end saw */
    uint64_t eof_off;       /* offset of the end marker, once read */
    uint64_t tail_at;       /* vms__stream_tail_at() */
    uint64_t tail_desc_len;
    /* The fit proof (vms_stream_require_fit): on, and what it names. */
    bool fit;
    char machine[256];      /* from the configuration record, if any */
    char last_idstr[256];   /* the last section whose end was checked */
    uint64_t last_off;
    /* idstr/instance/version of every started section, for PART/END. */
    struct sec_info {
        uint32_t id;
        uint32_t instance_id, version_id;
        char idstr[256];
    } *secs;
    size_t nsecs, capsecs;
    /*
     * Section id -> index in secs + 1 (0: free), open addressing over
     * 2 * capsecs slots: a hostile stream may start a million sections,
     * and a linear search for each would take hours.
     */
    uint32_t *index;
    char name[VMS_ERROR_FILE_MAX];
};

int vms_stream_fail(vms_stream *s, vms_error *err, int code, uint64_t off,
                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv_at(err, code, off, fmt, ap);
    va_end(ap);
    vms_error_set_file(err, s->name);
    return code;
}

/*
 * The truncation rule, in one place: every read of the stream's input that
 * meets its end (VMS_ETRUNC from the reader, whatever decoder asked) is
 * reported as "truncated", with what was expected at that offset and
 * where the input ends. The offset stays the one the read started at.
 */
static void trunc_message(vms_stream *s, vms_error *err, const char *why)
{
    char expected[400], ends[80];

    switch (s->ctx) {
    case CTX_HEADER:
        snprintf(expected, sizeof(expected), "the stream header (magic and "
                 "version)");
        break;
    case CTX_RECORD:
        snprintf(expected, sizeof(expected), "the record header at offset "
                 "0x%" PRIx64 " (a section, or the end marker 0x00)",
                 s->ctx_off);
        break;
    case CTX_BODY:
        snprintf(expected, sizeof(expected), "the rest of section '%.200s' "
                 "(id %u, record at offset 0x%" PRIx64 ") and its footer",
                 s->ctx_idstr, s->ctx_id, s->ctx_off);
        break;
    case CTX_FOOTER:
        snprintf(expected, sizeof(expected), "the footer of section "
                 "'%.200s' (id %u)", s->ctx_idstr, s->ctx_id);
        break;
    default:
        snprintf(expected, sizeof(expected), "the JSON description after "
                 "the end marker at offset 0x%" PRIx64, s->eof_off);
        break;
    }
    if (s->size >= 0 || s->tail) {
        snprintf(ends, sizeof(ends), "the input ends at offset 0x%" PRIx64,
                 s->size >= 0 ? (uint64_t)s->size
                              : s->tail_base + s->tail_all);
    } else {
        snprintf(ends, sizeof(ends), "the input ends there");
    }
    vms_error_set(err, VMS_ETRUNC, "truncated: expected %s; %s%s%s",
                  expected, ends, why ? ": " : "", why ? why : "");
}

static void on_trunc(void *opaque, vms_error *err)
{
    trunc_message(opaque, err, NULL);
}

/* A truncation found by peeking (no reader error): the same message. */
static int fail_trunc_why(vms_stream *s, vms_error *err, uint64_t off,
                          const char *why)
{
    if (err) {
        trunc_message(s, err, why);
        err->has_offset = 1;
        err->offset = off;
        vms_error_set_file(err, s->name);
    }
    return VMS_ETRUNC;
}

static int fail_trunc(vms_stream *s, vms_error *err, uint64_t off)
{
    return fail_trunc_why(s, err, off, NULL);
}

uint64_t vms__stream_tail_at(const vms_stream *s, uint64_t *desc_len)
{
    if (desc_len) {
        *desc_len = s->tail_desc_len;
    }
    return s->tail_at;
}

enum vms_stream_tail vms_stream_tail(const vms_stream *s, uint64_t *eof_off)
{
    if (eof_off) {
        *eof_off = s->eof_off;
    }
    return s->tail_kind;
}

int64_t vms_stream_find_vmdesc(const uint8_t *buf, size_t len)
{
    size_t p;

    /* The JSON runs to the very end: its length fixes where 0x06 must be. */
    for (p = len >= 5 ? len - 5 : 0; len >= 6 && p >= 1; p--) {
        /* Before the match: a file's search stops at the same size. */
        if (len - p - 5 > VMS_LIMIT_VMDESC_SIZE) {
            break;
        }
        if (buf[p] == VMS_REC_VMDESC && buf[p - 1] == VMS_REC_EOF &&
            vms__get_be32(buf + p + 1) == len - p - 5) {
            return (int64_t)p;
        }
    }
    return -1;
}

static int pread_full(vms_stream *s, void *buf, size_t n, uint64_t off,
                      vms_error *err)
{
    int e = vms__reader_pread(s->file, buf, n, off, err);

    /* the one truncation message, for reads by offset too */
    return e == VMS_ETRUNC ? fail_trunc(s, err, off) : e;
}

static int take_vmdesc(vms_stream *s, const uint8_t *json, size_t len,
                       uint64_t off)
{
    s->vmdesc = malloc(len + 1);
    if (!s->vmdesc) {
        return VMS_ENOMEM;
    }
    memcpy(s->vmdesc, json, len);
    s->vmdesc[len] = 0;
    s->vmdesc_len = len;
    s->vmdesc_off = off;
    return 0;
}

/*
 * Scan backwards in windows (constant memory): the header must sit where
 * its length says, and right after the EOF byte.
 */
static int locate_vmdesc_seekable(vms_stream *s, vms_error *err)
{
    uint64_t size = (uint64_t)s->size;
    uint64_t lo = size > VMS_LIMIT_VMDESC_SIZE + 6 ? size - VMS_LIMIT_VMDESC_SIZE - 6 : 0;
    uint8_t *buf = malloc(SCAN_CHUNK + 8);
    uint64_t end = size;
    int e = 0;

    if (!buf) {
        return vms_stream_fail(s, err, VMS_ENOMEM, 0, "out of memory");
    }
    s->vmdesc_known = true;
    s->vmdesc_capped = lo > 0;
    while (end > lo + 6 && end > 8) {
        uint64_t start = end > SCAN_CHUNK + lo ? end - SCAN_CHUNK : lo;
        size_t n = (size_t)(end - start);
        size_t extra = size - end < 5 ? (size_t)(size - end) : 5;

        e = pread_full(s, buf, n + extra, start, err);
        if (e) {
            break;
        }
        for (size_t i = n; i-- > 1;) {
            uint64_t p = start + i;
            if (buf[i] == VMS_REC_VMDESC && buf[i - 1] == VMS_REC_EOF &&
                p + 5 <= size && i + 5 <= n + extra &&
                vms__get_be32(buf + i + 1) == size - p - 5) {
                size_t len = (size_t)(size - p - 5);
                char *json = malloc(len ? len : 1);
                if (!json) {
                    e = vms_stream_fail(s, err, VMS_ENOMEM, p, "out of memory");
                    goto out;
                }
                e = pread_full(s, json, len, p + 5, err);
                if (!e && take_vmdesc(s, (uint8_t *)json, len, p)) {
                    e = vms_stream_fail(s, err, VMS_ENOMEM, p, "out of memory");
                }
                free(json);
                goto out;
            }
        }
        /* Keep one byte of overlap so that the EOF byte is seen. */
        end = start + 1;
        if (start == lo) {
            break;
        }
    }
out:
    free(buf);
    return e;
}

vms_stream *vms_stream_open(const char *path, vms_error *err)
{
    return vms_stream_open_input(path, NULL, err);
}

vms_stream *vms_stream_open_input(const char *path, const vms_input_opts *o,
                                  vms_error *err)
{
    vms_stream *s = calloc(1, sizeof(*s));
    uint32_t magic, version;

    if (!s) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    /* The one place streams are opened: a container's stream too. */
    s->input = vms_input_open(path, o, err);
    if (!s->input) {
        free(s);
        return NULL;
    }
    s->file = vms_input_take_reader(s->input);
    snprintf(s->name, sizeof(s->name), "%s", vms_reader_name(s->file));
    s->fd = vms__reader_fd(s->file);
    s->size = -1;
    s->cur = s->file;
    s->ctx = CTX_HEADER;
    vms__reader_on_trunc(s->file, on_trunc, s);
    if (vms_reader_size(s->file) >= 0 && vms_reader_offset(s->file) == 0) {
        s->size = vms_reader_size(s->file);
    }
    if (vms_read_be32(s->file, &magic, err) ||
        vms_read_be32(s->file, &version, err)) {
        vms_stream_close(s);
        return NULL;
    }
    if (magic != VMS_STREAM_MAGIC) {
        vms_stream_fail(s, err, VMS_EFORMAT, 0,
             "not a QEMU migration stream (magic 0x%08x)", magic);
        vms_stream_close(s);
        return NULL;
    }
    if (version != VMS_STREAM_VERSION) {
        vms_stream_fail(s, err, VMS_EVERSION, 4, "unsupported stream version %u",
             version);
        vms_stream_close(s);
        return NULL;
    }
    if (s->size >= 0 && locate_vmdesc_seekable(s, err)) {
        vms_stream_close(s);
        return NULL;
    }
    return s;
}

void vms_stream_close(vms_stream *s)
{
    if (s) {
        vms_reader_close(s->file);
        vms_reader_close(s->tail);
        vms_input_close(s->input);
        free(s->tail_buf);
        free(s->vmdesc);
        free(s->secs);
        free(s->index);
        free(s);
    }
}

vms_reader *vms_stream_reader(vms_stream *s)
{
    return s->cur;
}

uint64_t vms_stream_offset(vms_stream *s)
{
    return vms_reader_offset(s->cur);
}

bool vms_stream_seekable(const vms_stream *s)
{
    return s->size >= 0;
}

const char *vms_stream_name(const vms_stream *s)
{
    return s->name;
}

int vms_stream_fd(const vms_stream *s)
{
    return s->size >= 0 ? s->fd : -1;
}

int vms_stream_pread(vms_stream *s, void *buf, size_t n, uint64_t off,
                     vms_error *err)
{
    if (s->size < 0) {
        return vms_stream_fail(s, err, VMS_EUNSUPPORTED, off,
                               "input is not seekable");
    }
    return vms__reader_pread(s->file, buf, n, off, err);
}

const vms_input_info *vms_stream_input_info(const vms_stream *s)
{
    return vms_input_get_info(s->input);
}

const char *vms_stream_vmdesc(const vms_stream *s, size_t *len)
{
    if (len) {
        *len = s->vmdesc_len;
    }
    return s->vmdesc;
}

uint64_t vms_stream_vmdesc_offset(const vms_stream *s)
{
    return s->vmdesc_off;
}

bool vms__stream_vmdesc_capped(const vms_stream *s)
{
    return s->vmdesc_capped;
}

int vms_stream_buffer_tail(vms_stream *s, vms_error *err)
{
    size_t len = 0, cap = 1u << 20;
    uint8_t *buf;
    int64_t p;

    if (s->size >= 0 || s->tail) {
        return 0;
    }
    s->tail_base = vms_reader_offset(s->file);
    buf = malloc(cap);
    if (!buf) {
        return vms_stream_fail(s, err, VMS_ENOMEM, s->tail_base, "out of memory");
    }
    for (;;) {
        const uint8_t *p8;
        size_t got;
        int e = vms_read_peek(s->file, VMS_READER_WINDOW, &p8, &got, err);
        if (e) {
            free(buf);
            return e;
        }
        if (!got) {
            break;
        }
        if (len + got > VMS_STREAM_TAIL_MAX) {
            free(buf);
            return vms_stream_fail(s, err, VMS_ELIMIT, s->tail_base,
                        "device state after the RAM exceeds "
                        "VMS_LIMIT_STREAM_TAIL (%u MiB; read the stream "
                        "from a file instead)", VMS_LIMIT_STREAM_TAIL >> 20);
        }
        if (len + got > cap) {
            while (cap < len + got) {
                cap *= 2;
            }
            uint8_t *n = realloc(buf, cap);
            if (!n) {
                free(buf);
                return vms_stream_fail(s, err, VMS_ENOMEM, s->tail_base,
                            "out of memory");
            }
            buf = n;
        }
        memcpy(buf + len, p8, got);
        len += got;
        vms_read_skip(s->file, got, NULL);
    }
    s->tail_buf = buf;
    s->tail_all = len;
    s->vmdesc_known = true;
    s->vmdesc_capped = len > VMS_LIMIT_VMDESC_SIZE + 5;
    p = vms_stream_find_vmdesc(buf, len);
    if (p >= 0) {
        if (take_vmdesc(s, buf + p + 5, len - (size_t)p - 5, 0)) {
            return vms_stream_fail(s, err, VMS_ENOMEM, s->tail_base, "out of memory");
        }
        s->vmdesc_off = s->tail_base + (uint64_t)p;
        len = (size_t)p;   /* the records end where the vmdesc starts */
    }
    s->tail = vms_reader_mem_at(buf, len, s->tail_base, s->name, err);
    if (!s->tail) {
        return VMS_ENOMEM;
    }
    s->tail_len = len;
    vms__reader_on_trunc(s->tail, on_trunc, s);
    s->cur = s->tail;
    return 0;
}

static size_t sec_slot(const vms_stream *s, uint32_t id)
{
    size_t mask = 2 * s->capsecs - 1;
    size_t i = (id * 2654435761u) & mask;

    while (s->index[i] && s->secs[s->index[i] - 1].id != id) {
        i = (i + 1) & mask;
    }
    return i;
}

static struct sec_info *find_sec(vms_stream *s, uint32_t id)
{
    size_t i;

    if (!s->capsecs) {
        return NULL;
    }
    i = sec_slot(s, id);
    return s->index[i] ? &s->secs[s->index[i] - 1] : NULL;
}

/* Room for one more section: secs and its index grow together. */
static int grow_secs(vms_stream *s)
{
    size_t c = s->capsecs ? 2 * s->capsecs : 64;
    struct sec_info *n = realloc(s->secs, c * sizeof(*s->secs));
    uint32_t *idx;

    if (!n) {
        return VMS_ENOMEM;
    }
    s->secs = n;
    idx = calloc(2 * c, sizeof(*idx));
    if (!idx) {
        return VMS_ENOMEM;
    }
    free(s->index);
    s->index = idx;
    s->capsecs = c;
    for (size_t i = 0; i < s->nsecs; i++) {
        s->index[sec_slot(s, s->secs[i].id)] = (uint32_t)i + 1;
    }
    return 0;
}

static int read_config(vms_stream *s, vms_config *cfg, vms_error *err)
{
    vms_reader *r = s->cur;
    vms_config dummy;
    uint32_t len;
    int e;

    if (!cfg) {
        cfg = &dummy;
    }
    memset(cfg, 0, sizeof(*cfg));
    if ((e = vms_read_be32(r, &len, err))) {
        return e;
    }
    if (len > 255) {
        return vms_stream_fail(s, err, VMS_EFORMAT, vms_stream_offset(s) - 4,
                    "machine name length %u is implausible", len);
    }
    if ((e = vms_read_bytes(r, cfg->machine, len, err))) {
        return e;
    }
    cfg->machine[len] = 0;
    memcpy(s->machine, cfg->machine, sizeof(s->machine));
    /* Subsections, each introduced by 0x05, until something else comes. */
    for (;;) {
        const uint8_t *p;
        size_t got;
        char name[256];
        uint8_t nlen;
        uint32_t ver;
        uint64_t at;

        if ((e = vms_read_peek(r, 1, &p, &got, err))) {
            return e;
        }
        if (got == 0 || p[0] != VMS_REC_SUBSECTION) {
            return 0;
        }
        at = vms_stream_offset(s);
        vms_read_skip(r, 1, NULL);
        if ((e = vms_read_str8(r, name, &nlen, err)) ||
            (e = vms_read_be32(r, &ver, err))) {
            return e;
        }
        if (strcmp(name, "configuration/target-page-bits") == 0) {
            e = vms_read_be32(r, &cfg->target_page_bits, err);
            if (!e && (cfg->target_page_bits < 9 ||
                       cfg->target_page_bits > 30)) {
                return vms_stream_fail(s, err, VMS_EFORMAT, vms_stream_offset(s) - 4,
                            "target page bits %u out of range",
                            cfg->target_page_bits);
            }
        } else if (strcmp(name, "configuration/capabilities") == 0) {
            uint32_t n;
            e = vms_read_be32(r, &n, err);
            if (!e && n > VMS_LIMIT_CAPABILITIES) {
                return vms_stream_fail(s, err, VMS_ELIMIT,
                            vms_stream_offset(s) - 4, "capability count %u "
                            "exceeds VMS_LIMIT_CAPABILITIES (%u)", n,
                            VMS_LIMIT_CAPABILITIES);
            }
            for (uint32_t i = 0; !e && i < n; i++) {
                char cap[256];
                uint8_t cl;
                e = vms_read_str8(r, cap, &cl, err);
                if (!e && i < VMS__ARRAY_SIZE(cfg->caps)) {
                    snprintf(cfg->caps[i], sizeof(cfg->caps[i]), "%.63s",
                             cap);
                }
            }
            cfg->ncaps = n < VMS__ARRAY_SIZE(cfg->caps)
                             ? n : (uint32_t)VMS__ARRAY_SIZE(cfg->caps);
        } else if (strcmp(name, "configuration/uuid") == 0) {
            e = vms_read_bytes(r, cfg->uuid, 16, err);
            cfg->has_uuid = true;
        } else {
            return vms_stream_fail(s, err, VMS_EUNSUPPORTED, at,
                        "unknown configuration subsection '%s'", name);
        }
        if (e) {
            return e;
        }
    }
}

static struct sec_info *find_sec(vms_stream *s, uint32_t id);

static void enter_body(vms_stream *s, const vms_record *rec)
{
    s->ctx = CTX_BODY;
    s->ctx_off = rec->offset;
    s->ctx_id = rec->section_id;
    memcpy(s->ctx_idstr, rec->idstr, sizeof(s->ctx_idstr));
}

void vms_stream_require_fit(vms_stream *s, bool on)
{
    s->fit = on;
}

int vms_stream_misfit(vms_stream *s, const char *idstr, uint64_t rec_off,
                      uint64_t at, const char *why, vms_error *err)
{
    char m[280];

    if (s->machine[0]) {
        snprintf(m, sizeof(m), "%.200s", s->machine);
    } else {
        snprintf(m, sizeof(m), "<its machine type>");
    }
    vms_stream_fail(s, err, VMS_EMISMATCH, at, "section '%.60s' (record at "
                    "0x%" PRIx64 ") does not fit the borrowed description: "
                    "%.90s; the same QEMU and devices with -M %.40s,"
                    "suppress-vmdesc=off write a twin stream whose "
                    "'-d desc' fits", idstr, rec_off, why, m);
    return VMS_EMISMATCH;
}

int vms__stream_misfit_error(vms_stream *s, const vms_record *rec, int e,
                             vms_error *err)
{
    char why[120];

    /* the misfit was named already, or it is no fault of the input */
    if (e == VMS_ENOMEM || e == VMS_EIO || !err ||
        strstr(err->message, "does not fit the borrowed description")) {
        return e;
    }
    snprintf(why, sizeof(why), "decoding it: %.100s", err->message);
    return vms_stream_misfit(s, rec->idstr, rec->offset,
                             err->has_offset ? err->offset : rec->offset,
                             why, err);
}

/*
 * Without footers, where a section ends must be where a record starts:
 * the end marker, a FULL/START header whose id is new and whose name is
 * printable, or a PART/END of a started section (savevm.c gives every
 * SaveStateEntry its own section_id and sends each device once).
 */
static bool record_starts(vms_stream *s, const uint8_t *p, size_t got)
{
    uint32_t id;
    size_t n;

    if (!got) {
        return false;   /* the end marker is missing */
    }
    switch (p[0]) {
    case VMS_REC_EOF:
        return true;
    case VMS_REC_COMMAND:
        return got >= 5 && vms__get_be16(p + 1) == VMS_CMD_SWITCHOVER_START &&
               vms__get_be16(p + 3) == 0;
    case VMS_REC_SECTION_PART:
    case VMS_REC_SECTION_END:
        return got >= 5 && find_sec(s, vms__get_be32(p + 1)) != NULL;
    case VMS_REC_SECTION_START:
    case VMS_REC_SECTION_FULL:
        if (got < 6) {
            return false;
        }
        id = vms__get_be32(p + 1);
        n = p[5];
        if (find_sec(s, id) || !n || got < 6 + n + 8) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (p[6 + i] < 0x20 || p[6 + i] > 0x7e) {
                return false;
            }
        }
        return true;
    default:
        return false;
    }
}

/*
 * After the end marker: a whole description (found by its exact length
 * when the stream was opened, or the tail was buffered), nothing, a
 * description cut short (0x06 and fewer bytes than its length says), or
 * other bytes. QEMU reads nothing past the end marker (qemu_loadvm_state
 * stops at QEMU_VM_EOF; the vmdesc is only skipped by the source's tools),
 * so a cut description is a truncation for us, which verify may weigh
 * differently (vms_stream_tail()).
 */
static int classify_tail(vms_stream *s, vms_error *err)
{
    uint64_t at = s->eof_off + 1;
    uint64_t left;
    uint8_t b = 0;
    int e;

    if (s->size < 0 && !s->tail && (e = vms_stream_buffer_tail(s, err))) {
        return e;
    }
    if (s->vmdesc_off) {
        if (s->vmdesc_off != at) {
            return vms_stream_fail(s, err, VMS_EFORMAT, s->eof_off,
                        "EOF record %" PRIu64 " bytes before the "
                        "description (the stream is out of step)",
                        s->vmdesc_off - at);
        }
        s->tail_kind = VMS_TAIL_DESC;
        return 0;
    }
    if (s->size >= 0) {
        left = (uint64_t)s->size - at;
        if (left && (e = pread_full(s, &b, 1, at, err))) {
            return e;
        }
    } else {
        left = s->tail_base + s->tail_all - at;
        b = left ? s->tail_buf[at - s->tail_base] : 0;
    }
    if (!left) {
        s->tail_kind = VMS_TAIL_NONE;
        return 0;
    }
    s->tail_at = at;
    if (b == VMS_REC_VMDESC) {
        /* its header: 0x06, then the JSON's be32 length */
        uint8_t h[4];
        uint64_t n = 0;

        if (left >= 5) {
            if (s->size >= 0) {
                if ((e = pread_full(s, h, 4, at + 1, err))) {
                    return e;
                }
            } else {
                memcpy(h, s->tail_buf + (at + 1 - s->tail_base), 4);
            }
            n = vms__get_be32(h);
        }
        if (left >= 5 && n > VMS_LIMIT_VMDESC_SIZE) {
            /* not read: the cap, not the stream, stops us */
            s->tail_kind = VMS_TAIL_OVERSIZE;
            s->tail_desc_len = n;
        } else if (left < 5 || left - 5 < n) {
            /* a whole one would have been found by its length */
            s->tail_kind = VMS_TAIL_CUT;
            s->tail_at = 0;
            char why[128];
            snprintf(why, sizeof(why), "%" PRIu64 " bytes follow the end "
                     "marker, fewer than the description's length says",
                     left);
            fail_trunc_why(s, err, at, why);
            return VMS_ETRUNC;
        } else {
            /* a whole description, then other bytes */
            s->tail_kind = VMS_TAIL_OTHER;
            s->tail_at = at + 5 + n;
        }
    } else {
        /* QEMU ignores them too: the commands that copy the tail say so */
        s->tail_kind = VMS_TAIL_OTHER;
    }
    if (s->fit && s->last_idstr[0]) {
        /* a borrowed description stopped a section early */
        char why[120];
        snprintf(why, sizeof(why), "an end marker at 0x%" PRIx64 " has %"
                 PRIu64 " bytes after it that are no description",
                 s->eof_off, left);
        return vms_stream_misfit(s, s->last_idstr, s->last_off, s->eof_off,
                                 why, err);
    }
    return 0;
}

static int next(vms_stream *s, vms_record *rec, vms_config *cfg,
                vms_error *err)
{
    vms_reader *r = s->cur;
    uint8_t t;
    uint8_t len;
    int e;

    memset(rec, 0, sizeof(*rec));
    rec->offset = vms_stream_offset(s);
    s->ctx = CTX_RECORD;
    s->ctx_off = rec->offset;
    if (s->ended) {
        return vms_stream_fail(s, err, VMS_EINVAL, rec->offset, "read past EOF");
    }
    if ((e = vms_read_u8(r, &t, err))) {
        return e;
    }
    rec->type = t;
    switch (t) {
    case VMS_REC_EOF:
        s->ended = true;
        s->eof_off = rec->offset;
        s->ctx = CTX_TAIL;
        if (s->vmdesc_off && vms_stream_offset(s) != s->vmdesc_off) {
            return vms_stream_fail(s, err, VMS_EFORMAT, rec->offset,
                        "EOF record %" PRIu64 " bytes before the "
                        "description (the stream is out of step)",
                        s->vmdesc_off - vms_stream_offset(s));
        }
        return classify_tail(s, err);
    case VMS_REC_CONFIGURATION:
        return read_config(s, cfg, err);
    case VMS_REC_COMMAND:
        if ((e = vms_read_be16(r, &rec->command, err)) ||
            (e = vms_read_be16(r, &rec->command_len, err))) {
            return e;
        }
        if (rec->command != VMS_CMD_SWITCHOVER_START) {
            return vms_stream_fail(s, err, VMS_EUNSUPPORTED, rec->offset,
                        "unknown QEMU_VM_COMMAND 0x%x", rec->command);
        }
        if (rec->command_len != 0) {
            return vms_stream_fail(s, err, VMS_EFORMAT, rec->offset,
                        "switchover-start command with length %u",
                        rec->command_len);
        }
        return 0;
    case VMS_REC_SECTION_START:
    case VMS_REC_SECTION_FULL: {
        struct sec_info *si;
        if ((e = vms_read_be32(r, &rec->section_id, err)) ||
            (e = vms_read_str8(r, rec->idstr, &len, err)) ||
            (e = vms_read_be32(r, &rec->instance_id, err)) ||
            (e = vms_read_be32(r, &rec->version_id, err))) {
            return e;
        }
        if (memchr(rec->idstr, 0, len)) {
            return vms_stream_fail(s, err, VMS_EFORMAT, rec->offset + 5,
                        "section name contains a NUL byte");
        }
        si = find_sec(s, rec->section_id);
        if (!si) {
            if (s->nsecs >= VMS_LIMIT_SECTIONS) {
                return vms_stream_fail(s, err, VMS_ELIMIT, rec->offset,
                            "more than VMS_LIMIT_SECTIONS (%u) sections",
                            VMS_LIMIT_SECTIONS);
            }
            if (s->nsecs == s->capsecs && grow_secs(s)) {
                return vms_stream_fail(s, err, VMS_ENOMEM, rec->offset,
                            "out of memory");
            }
            si = &s->secs[s->nsecs++];
            si->id = rec->section_id;
            s->index[sec_slot(s, rec->section_id)] = (uint32_t)s->nsecs;
        }
        si->id = rec->section_id;
        si->instance_id = rec->instance_id;
        si->version_id = rec->version_id;
        memcpy(si->idstr, rec->idstr, sizeof(si->idstr));
        enter_body(s, rec);
        return 0;
    }
    case VMS_REC_SECTION_PART:
    case VMS_REC_SECTION_END: {
        struct sec_info *si;
        if ((e = vms_read_be32(r, &rec->section_id, err))) {
            return e;
        }
        si = find_sec(s, rec->section_id);
        if (!si) {
            return vms_stream_fail(s, err, VMS_EFORMAT, rec->offset,
                        "section %u continued but never started",
                        rec->section_id);
        }
        memcpy(rec->idstr, si->idstr, sizeof(rec->idstr));
        rec->instance_id = si->instance_id;
        rec->version_id = si->version_id;
        enter_body(s, rec);
        return 0;
    }
    default:
        return vms_stream_fail(s, err, VMS_EFORMAT, rec->offset,
                    "unknown record type 0x%02x", t);
    }
}

int vms_stream_next(vms_stream *s, vms_record *rec, vms_config *cfg,
                    vms_error *err)
{
    int e = next(s, rec, cfg, err);

    if (e && err && !err->has_offset) {
        err->has_offset = 1;
        err->offset = rec->offset;
    }
    return e;
}

int vms_stream_end_section(vms_stream *s, const vms_record *rec,
                           vms_error *err)
{
    const uint8_t *p;
    size_t got;
    uint64_t at = vms_stream_offset(s);
    int e;

    s->ctx = CTX_FOOTER;
    e = vms_read_peek(s->cur, 5, &p, &got, err);
    if (e) {
        return e;
    }
    if (got < 5 && (got == 0 || p[0] == VMS_REC_FOOTER)) {
        /* a footer or the next record must follow a section */
        return fail_trunc(s, err, at);
    }
    snprintf(s->last_idstr, sizeof(s->last_idstr), "%s", rec->idstr);
    s->last_off = rec->offset;
    if (got >= 1 && p[0] == VMS_REC_FOOTER) {
        uint32_t id;
        id = vms__get_be32(p + 1);
        if (id != rec->section_id && s->fit) {
            return vms_stream_misfit(s, rec->idstr, rec->offset, at,
                                     "its footer does not follow it", err);
        }
        if (id != rec->section_id) {
            return vms_stream_fail(s, err, VMS_EMISMATCH, at,
                        "section footer for %u after section %u ('%s'): "
                        "the section was not decoded in step",
                        id, rec->section_id, rec->idstr);
        }
        vms_read_skip(s->cur, 5, NULL);
        s->footers = true;
        return 0;
    }
    if (s->footers && s->fit) {
        return vms_stream_misfit(s, rec->idstr, rec->offset, at,
                                 "its footer does not follow it", err);
    }
    if (s->footers) {
        return vms_stream_fail(s, err, VMS_EFORMAT, at,
                    "missing footer after section %u ('%s'): found byte "
                    "0x%02x, the section was not decoded in step",
                    rec->section_id, rec->idstr, got ? p[0] : 0);
    }
    if (s->fit) {
        const uint8_t *q;
        size_t n;
        if ((e = vms_read_peek(s->cur, 6 + 255 + 8, &q, &n, err))) {
            return e;
        }
        if (!record_starts(s, q, n)) {
            char why[80];
            snprintf(why, sizeof(why), "no record starts where it ends "
                     "(0x%" PRIx64 ")", at);
            return vms_stream_misfit(s, rec->idstr, rec->offset, at, why,
                                     err);
        }
    }
    return 0;
}

/*
 * The footer of rec (0x7e, its id, then a record type or the input's end)
 * at or after from, however far: 1 with *pos, 0 when the input ends
 * first, -1 when the bytes cannot be read back (a pipe not buffered).
 * For sections larger than the reader's window (ppc64's spapr_iommu).
 */
int vms__stream_probe_end(vms_stream *s, const vms_record *rec, bool *unsure,
                          vms_error *err);


/*
 * Without a description, a section's body ends at the first footer (0x7e
 * and its section id) followed by a record type. Device data can hold
 * those 6 bytes by chance (a clock value ending in 0x7e before a field of
 * zeros, in a section whose id is 0: seen in QEMU 10.0's 'timer'), so a
 * candidate is weighed by what follows it. q: the record type after the
 * footer, of which avail bytes are known.
 * 1 (plausible, or not decidable from these bytes) or 0 (implausible: an
 * end marker followed by neither the description nor the input's end; a
 * section start whose name is not printable; a part or end of a section
 * that never started). Callers take the first plausible candidate, else
 * the first one at all, so that a stream whose end marker is followed by
 * garbage still ends there.
 */
static int footer_plausible(vms_stream *s, const uint8_t *q, size_t avail)
{
    switch (q[0]) {
    case VMS_REC_EOF:
        if (avail >= 2) {
            return q[1] == VMS_REC_VMDESC;
        }
        return 1;      /* at the input's end, or not seen: undecided */
    case VMS_REC_SECTION_START:
    case VMS_REC_SECTION_FULL:
        if (avail < 6 || avail < 6u + q[5]) {
            return 1;
        }
        if (q[5] == 0) {
            return 0;
        }
        for (size_t i = 0; i < q[5]; i++) {
            if (q[6 + i] < 0x20 || q[6 + i] > 0x7e) {
                return 0;
            }
        }
        return 1;
    case VMS_REC_SECTION_PART:
    case VMS_REC_SECTION_END:
        return avail < 5 || find_sec(s, vms__get_be32(q + 1)) != NULL;
    default:
        return 1;
    }
}

static int footer_beyond(vms_stream *s, const vms_record *rec, uint64_t from,
                         uint64_t *pos)
{
    uint64_t end, weak = 0;
    uint8_t *buf;
    int found = 0;
    bool have_weak = false;

    if (s->size >= 0 && s->cur == s->file) {
        end = (uint64_t)s->size;
    } else if (s->tail && s->cur == s->tail) {
        end = s->tail_base + s->tail_len;
    } else {
        return -1;
    }
    if (!(buf = malloc(SCAN_CHUNK + 6))) {
        return -1;
    }
    while (from + 5 <= end && !found) {
        size_t n = end - from > SCAN_CHUNK + 6 ? SCAN_CHUNK + 6
                                               : (size_t)(end - from);
        if (s->cur == s->file) {
            if (pread_full(s, buf, n, from, NULL)) {
                found = -1;
                break;
            }
        } else {
            memcpy(buf, s->tail_buf + (from - s->tail_base), n);
        }
        for (size_t i = 0; i + 5 <= n; i++) {
            if (buf[i] == VMS_REC_FOOTER &&
                vms__get_be32(buf + i + 1) == rec->section_id &&
                (i + 5 < n ? buf[i + 5] <= VMS_REC_COMMAND
                           : from + n == end)) {
                if (i + 5 == n ||
                    footer_plausible(s, buf + i + 5, n - i - 5)) {
                    *pos = from + i;
                    found = 1;
                    break;
                }
                if (!have_weak) {
                    have_weak = true;
                    weak = from + i;
                }
            }
        }
        if (n < SCAN_CHUNK + 6) {
            break;
        }
        from += SCAN_CHUNK;    /* 6 bytes of overlap: a footer across */
    }
    free(buf);
    if (!found && have_weak) {
        *pos = weak;
        found = 2;     /* only implausible ones: the first of them */
    }
    return found;
}

int vms_stream_body_to_footer(vms_stream *s, const vms_record *rec,
                              size_t *len, vms_error *err)
{
    uint64_t at = vms_stream_offset(s);
    const uint8_t *p;
    size_t got, n, weak = SIZE_MAX;
    int e;

    if ((e = vms_read_peek(s->cur, VMS_READER_WINDOW, &p, &got, err))) {
        return e;
    }

    for (n = 0; n + 5 <= got; n++) {
        /* a footer the input ends after: what follows is missing, not it */
        if (p[n] == VMS_REC_FOOTER && vms__get_be32(p + n + 1) ==
            rec->section_id && (n + 5 < got ? p[n + 5] <= VMS_REC_COMMAND
                                            : got < VMS_READER_WINDOW)) {
            if (n + 5 == got ||
                footer_plausible(s, p + n + 5, got - n - 5)) {
                *len = n;
                return 0;
            }
            if (weak == SIZE_MAX) {
                weak = n;
            }
        }
    }
    if (weak != SIZE_MAX && (got < VMS_READER_WINDOW || !s->footers)) {
        *len = weak;   /* no plausible one in the whole rest: the first */
        return 0;
    }
    if (got < VMS_READER_WINDOW && s->footers) {
        /* the input ends within the window, before any footer */
        return fail_trunc(s, err, at + got);
    }
    if (got == VMS_READER_WINDOW && s->footers) {
        uint64_t pos;
        bool unsure;
        int f = footer_beyond(s, rec, at + got - 5, &pos);
        if (weak != SIZE_MAX && f != 1) {
            /* no plausible footer after the window: its first candidate */
            *len = weak;
            return 0;
        }
        if (f == 0) {
            /* no footer anywhere after it: the input was cut */
            return fail_trunc(s, err, at);
        }
        /* the truncation rule first: a cut further on is what to say */
        if (f > 0 && (e = vms__stream_probe_end(s, rec, &unsure, err))) {
            return e;
        }
        if (f > 0 && pos - at <= SIZE_MAX) {
            /*
             * Larger than the reader's window (ppc64's spapr_iommu, whose
             * TCE table is 2 MiB for the default DMA window): the caller
             * skips or reads it in windows.
             */
            *len = (size_t)(pos - at);
            return 0;
        }
    }
    return vms_stream_fail(s, err, VMS_EFORMAT, at, "section '%s' does not "
                           "match its description and no footer bounds it",
                           rec->idstr);
}

enum vms_stream_tail vms__stream_probed_tail(const vms_stream *s)
{
    return s->probed_tail;
}

int vms__stream_probe_end(vms_stream *s, const vms_record *rec, bool *unsure,
                          vms_error *err)
{
    uint64_t back = vms_stream_offset(s);
    bool ended = s->ended, footers = s->footers;
    size_t nsecs = s->nsecs;
    vms_record cur = *rec, nr;
    vms_error tmp;
    int e = 0;

    *unsure = false;
    /* without footers nothing bounds a section body */
    if (!s->footers || (!vms_stream_seekable(s) && !s->tail)) {
        *unsure = true;
        return 0;
    }
    for (;;) {
        if (cur.type == VMS_REC_SECTION_START || cur.type == VMS_REC_SECTION_FULL ||
            cur.type == VMS_REC_SECTION_PART || cur.type == VMS_REC_SECTION_END) {
            uint64_t pos;
            int f = footer_beyond(s, &cur, vms_stream_offset(s), &pos);
            vms_error_clear(&tmp);
            if (f < 0) {
                *unsure = true;
                break;
            }
            if (f == 0) {
                s->ctx = CTX_BODY;
                e = fail_trunc(s, &tmp, vms_stream_offset(s));
                break;
            }
            if ((e = vms_reader_seek(s->cur, pos + 5, &tmp))) {
                *unsure = true;
                break;
            }
        }
        vms_error_clear(&tmp);
        e = next(s, &nr, NULL, &tmp);
        if (e || nr.type == VMS_REC_EOF) {
            *unsure = e && e != VMS_ETRUNC;
            break;
        }
        cur = nr;
    }
    if (e == VMS_ETRUNC && err) {
        *err = tmp;
    }
    s->ended = ended;
    s->footers = footers;
    s->probed_tail = s->tail_kind;
    s->tail_kind = VMS_TAIL_UNKNOWN;
    /* forget the sections the walk started: they have not been read yet */
    if (s->nsecs != nsecs) {
        s->nsecs = nsecs;
        memset(s->index, 0, 2 * s->capsecs * sizeof(*s->index));
        for (size_t i = 0; i < s->nsecs; i++) {
            s->index[sec_slot(s, s->secs[i].id)] = (uint32_t)i + 1;
        }
    }
    enter_body(s, rec);
    if (vms_reader_seek(s->cur, back, NULL) != 0) {
        return vms_stream_fail(s, err, VMS_EIO, back, "cannot seek back");
    }
    return e == VMS_ETRUNC ? e : 0;
}

int vms__stream_bytes(vms_stream *s, uint64_t off, size_t len,
                      uint8_t **out, vms_error *err)
{
    uint8_t *b = malloc(len ? len : 1);
    int e = 0;

    *out = NULL;
    if (!b) {
        return vms_stream_fail(s, err, VMS_ENOMEM, off, "out of memory");
    }
    if (s->size >= 0) {
        e = pread_full(s, b, len, off, err);
    } else if (s->tail && off >= s->tail_base &&
               off - s->tail_base + len <= s->tail_all) {
        memcpy(b, s->tail_buf + (off - s->tail_base), len);
    } else {
        e = vms_stream_fail(s, err, VMS_EUNSUPPORTED, off,
                            "cannot read back from a pipe");
    }
    if (e) {
        free(b);
        return e;
    }
    *out = b;
    return 0;
}

int vms_stream_copy(vms_stream *s, uint64_t off, uint64_t len, vms_writer *w,
                    vms_error *err)
{
    size_t cap = len < (1u << 20) ? (size_t)len : (1u << 20);
    uint8_t *buf;
    int e = 0;

    if (s->size < 0) {
        return vms_stream_fail(s, err, VMS_EUNSUPPORTED, off,
                               "cannot read back from a pipe");
    }
    if (off > (uint64_t)s->size || len > (uint64_t)s->size - off) {
        return vms_stream_fail(s, err, VMS_ETRUNC, off,
                               "%" PRIu64 " bytes beyond the end", len);
    }
    if (!len) {
        return 0;
    }
    if (!(buf = malloc(cap))) {
        return vms_stream_fail(s, err, VMS_ENOMEM, off, "out of memory");
    }
    while (!e && len) {
        size_t n = len < cap ? (size_t)len : cap;
        e = pread_full(s, buf, n, off, err);
        e = e ? e : vms_write_bytes(w, buf, n, err);
        off += n;
        len -= n;
    }
    free(buf);
    return e;
}

int vms_stream_put_header(vms_writer *w, vms_error *err)
{
    int e = vms_write_be32(w, VMS_STREAM_MAGIC, err);

    return e ? e : vms_write_be32(w, VMS_STREAM_VERSION, err);
}

int vms_stream_put_section(vms_writer *w, const vms_record *rec,
                           vms_error *err)
{
    int e = vms_write_u8(w, (uint8_t)rec->type, err);

    e = e ? e : vms_write_be32(w, rec->section_id, err);
    if (e || (rec->type != VMS_REC_SECTION_START &&
              rec->type != VMS_REC_SECTION_FULL)) {
        return e;
    }
    e = vms_write_str8(w, rec->idstr, strlen(rec->idstr), err);
    e = e ? e : vms_write_be32(w, rec->instance_id, err);
    return e ? e : vms_write_be32(w, rec->version_id, err);
}

int vms_stream_put_footer(vms_writer *w, uint32_t section_id, vms_error *err)
{
    int e = vms_write_u8(w, VMS_REC_FOOTER, err);

    return e ? e : vms_write_be32(w, section_id, err);
}

int vms_stream_put_eof(vms_writer *w, const char *json, size_t len,
                       vms_error *err)
{
    int e = vms_write_u8(w, VMS_REC_EOF, err);

    if (e || !json) {
        return e;
    }
    if (len > UINT32_MAX) {
        return vms_error_set(err, VMS_ELIMIT, "vmdesc over 4 GiB");
    }
    e = vms_write_u8(w, VMS_REC_VMDESC, err);
    e = e ? e : vms_write_be32(w, (uint32_t)len, err);
    return e ? e : vms_write_bytes(w, json, len, err);
}
