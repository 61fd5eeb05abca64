/*
 * libvmstate: pack (pack.h: vms_pack), a stream written from a directory
 * of unpack: device sections encoded again from stream.json, RAM replayed
 * from the page log and the block files, the rest copied from raw.bin.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <jansson.h>
#include "vmstate/pack.h"
#include "vmstate/vmdesc.h"
#include "vmstate/visitor.h"
#include "bytes.h"
#include "table.h"
#include "walk.h"
#include "dumpdesc.h"
#include "visit_json.h"
#include "opts.h"
#include "container.h"
#include "fileio.h"
#include "pagelog.h"

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
    uint64_t origin;           /* the output file's offset of the stream */
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
    size_t sub = strlen(VMS__RAM_SUBDIR "/");

    if (allow_ram && strncmp(name, VMS__RAM_SUBDIR "/", sub) == 0) {
        c = name + sub;
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
    if (!vms__log_check(p->log.map, p->log.size, &p->nlog)) {
        vms_error_set_file(p->err, p->log.name);
        return vms_error_set(p->err, VMS_EFORMAT, "not a page log of "
                             "version %d", VMS__LOG_VERSION);
    }
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
                         "%s/" VMS__RAM_SUBDIR, p->dir, p->dir);
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

/*
 * A mapped-ram block entry (header, bitmap, pages) goes back as it came,
 * and QEMU finds the bitmap and the pages at the file offsets its header
 * records: mapped_ram_setup_ramblock (migration/ram.c) puts the bitmap
 * right after the 28-byte header and counts from the file's first byte
 * (qemu_get_offset, migration/qemu-file.c), a libvirt 'sparse' image's
 * head included. Written anywhere else, the entry would point elsewhere:
 * refused rather than written wrong.
 */
static int p_mapped(packer *p, const char *block, uint64_t off, uint64_t len)
{
    uint64_t where = p->origin + vms_writer_offset(p->w);
    const uint8_t *h = at(&p->data, off, len);
    uint64_t bitmap = len >= 28 ? vms__get_be64(h + 12) : 0;
    uint64_t pages = len >= 28 ? vms__get_be64(h + 20) : 0;

    if (len >= 28 && (bitmap || pages) && bitmap != where + 28) {
        vms_error_set_file(p->err, p->data.name);
        return vms_error_set_at(p->err, VMS_EFORMAT, off, "the mapped-ram "
                                "header of block '%s' has its bitmap at file "
                                "offset 0x%" PRIx64 ", but pack writes it at "
                                "0x%" PRIx64 ": the stream before it or the "
                                "image's data_len changed length", block,
                                bitmap, where + 28);
    }
    return p_copy(p, &p->data, off, len);
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
        vms__log_entry l;
        vms_ram_record rr;
        pblock *b;
        uint64_t addr;

        if (p->progress && (k & 4095) == 4095) {
            p->progress(p->progress_opaque, vms_writer_offset(p->w), 0);
        }
        vms__log_get(p->log.map, (size_t)k, &l);
        if (l.kind == VMS__LK_WORD) {
            e = vms_write_be64(p->w, l.word, p->err);
            if (!e && (l.word & mask & VMS_RAM_MEM_SIZE)) {
                for (size_t i = 0; !e && i < p->npending; i++) {
                    vms__log_entry pe;
                    vms__log_get(p->log.map, p->pending[i], &pe);
                    e = vms_ram_put_entry(p->w, p->blocks[pe.block].name,
                                          pe.aux, pe.flags & VMS__LF_SHARED,
                                          pe.aux2, p->err);
                    if (!e && pe.extra_len) {
                        e = p_mapped(p, p->blocks[pe.block].name,
                                     pe.extra_off, pe.extra_len);
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
        if (l.kind == VMS__LK_ENTRY) {
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
        case VMS__LK_ZERO:
            /* A zero page inside a hole of the file is still zero. */
            if ((l.flags & VMS__LF_LAST) &&
                (l.fill || has_data(b, addr, p->page_size))) {
                if (!(page = block_page(p, b, addr))) {
                    return VMS_EIO;
                }
                if (!vms__all_bytes(page, p->page_size, l.fill)) {
                    rr.word = (l.word & ~(uint64_t)VMS_RAM_ZERO) |
                              VMS_RAM_PAGE;
                    rr.payload = page;
                    rr.payload_len = p->page_size;
                }
            }
            break;
        case VMS__LK_PAGE:
            rr.payload_len = p->page_size;
            if (!(l.flags & VMS__LF_SUPERSEDED)) {
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
        case VMS__LK_XBZRLE:
        case VMS__LK_COMPRESS:
            rr.payload = at(&p->data, l.extra_off, l.extra_len);
            rr.payload_len = (size_t)l.extra_len;
            if (l.flags & VMS__LF_LAST) {
                if (!(page = block_page(p, b, addr))) {
                    return VMS_EIO;
                }
                if (vms__page_hash(page, p->page_size) != l.aux) {
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
    vms__json_src js = { json_object_get(sec, "fields"), where };
    vms__state_try t = { .input = vms__json_input, .opaque = &js };
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
        e = vms__state_try_load(&t, d, size, p->err);
    } else if (e == VMS_ENOTFOUND && p->dump) {
        /* which of the dump's alternatives: the one the fields load in */
        vms_error_clear(&why);
        e = vms__dump_section_load(p->dump, rec, vms__state_try_load, &t, &d,
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

    for (size_t i = 0; i < VMS__ARRAY_SIZE(types); i++) {
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

/*
 * The configuration record: its bytes as unpack kept them, but with the
 * machine name of "machine" when that was edited. QEMU's "configuration"
 * vmstate starts with the name (be32 length, the bytes: migration/
 * savevm.c, vmstate_configuration), so the rest is copied as it was. The
 * other decoded values are for people (unpack(1) says so).
 */
static int p_config(packer *p, const json_t *sec)
{
    uint64_t off, len, old;
    const char *machine = NULL;
    const uint8_t *raw;
    size_t n;
    int e;

    if ((e = get_range(p, sec, "raw", &p->raw, &off, &len)) ||
        (json_object_get(sec, "machine") &&
         (e = get_str(p, sec, "machine", 255, &machine)))) {
        return e;
    }
    raw = at(&p->raw, off, len);
    old = len >= 4 ? vms__get_be32(raw) : UINT64_MAX;
    if (machine && (old > len - 4 || old > 255)) {
        return pfail(p, VMS_EFORMAT, "raw", "does not start with a machine "
                     "name, so \"machine\" cannot be written");
    }
    e = vms_write_u8(p->w, VMS_REC_CONFIGURATION, p->err);
    if (e || !machine || (strlen(machine) == old &&
                          memcmp(machine, raw + 4, (size_t)old) == 0)) {
        return e ? e : p_copy(p, &p->raw, off, len);
    }
    if (!(n = strlen(machine))) {
        return pfail(p, VMS_EFORMAT, "machine", "must not be empty");
    }
    e = vms_write_be32(p->w, (uint32_t)n, p->err);
    e = e ? e : vms_write_bytes(p->w, machine, n, p->err);
    return e ? e : p_copy(p, &p->raw, off + 4 + old, len - 4 - old);
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
            e = p_config(p, sec);
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

int vms_pack(const char *dir, const char *stream, const vms_pack_opts *opts,
             vms_error *err)
{
    static const vms_pack_opts defaults = VMS_PACK_OPTS_INIT;
    const vms_pack_opts *o = opts ? opts : &defaults;
    packer p = { .err = err, .dir = dir, .dirfd = -1,
                 .progress = o->progress,
                 .progress_opaque = o->progress_opaque };
    vms_outfile of;
    bool of_open = false;
    json_error_t je;
    struct stat jst;
    bool to_stdout = strcmp(stream, "-") == 0;
    unsigned oflags = (o->flags & VMS_PACK_FORCE) ? VMS_OUT_FORCE : 0;
    const json_t *fmt;
    vms__container cont;
    int e, fd;

    if ((e = vms__opts_version(o->version, VMS_PACK_OPTS_VERSION,
                               "vms_pack_opts", err))) {
        return e;
    }
    memset(&cont, 0, sizeof(cont));
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
    /*
     * Whole, then parsed: jansson's json_loadfd reads one byte per
     * read(2) (1.8 million system calls for a 64 MiB guest's file).
     */
    {
        char *text;
        size_t len;
        e = vms__read_all(fd, p.json_name, VMS_LIMIT_PACK_JSON,
                          "stream.json", "VMS_LIMIT_PACK_JSON", &text, &len,
                          err);
        close(fd);
        if (e) {
            goto out;
        }
        p.root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        free(text);
    }
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
    if ((e = p_files(&p)) || (e = p_vmdesc(&p)) || (e = p_dump(&p)) ||
        (e = vms__container_load(p.dirfd, dir, &cont, err))) {
        goto out;
    }
    /*
     * "-" is standard output (as for convert); any other stream goes
     * beside its final name, renamed when complete.
     */
    if (!to_stdout) {
        if ((e = vms_outfile_create(&of, stream, oflags, err))) {
            vms_error_set_file(err, stream);
            goto out;
        }
        of_open = true;
    }
    /* a libvirt image's header and XML first; the stream compressed */
    if ((e = vms__container_begin(&cont, to_stdout ? 1 : of.fd, stream,
                                  &p.w, err))) {
        goto out;
    }
    if (cont.libvirt) {
        p.origin = VMS_LIBVIRT_HEADER_SIZE + (uint64_t)cont.data_len;
    }
    e = p_records(&p);
    {
        int c = vms__container_end(&cont, p.w, stream, !e, err);
        e = e ? e : c;
    }
    p.w = NULL;
    if (!e && of_open) {
        of_open = false;
        e = vms_outfile_commit(&of, oflags, err);
    }
out:
    if (p.w) {
        vms__container_end(&cont, p.w, stream, false, NULL);
    }
    vms__container_free(&cont);
    if (of_open) {
        vms_outfile_abort(&of);
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
