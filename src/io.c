/*
 * libvmstate: buffered big-endian readers and writers, safe output files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vmstate/io.h"
#include "bytes.h"
#include "reader.h"
#include "fileio.h"
#include "writer.h"

/*
 * The buffer is twice the largest piece vms_read_ptr hands out, so that a
 * piece straddling the end of one refill always fits after compaction.
 */
#define READER_BUF (2 * VMS_READER_WINDOW)

struct vms_reader {
    int fd;             /* -1 for memory and sources */
    bool has_src;       /* bytes come from src (a container's stream) */
    vms__source src;
    bool own_fd;
    bool eof;           /* the fd returned 0 */
    const uint8_t *mem; /* memory input, or our buffer */
    uint8_t *buf;
    size_t pos, fill;   /* unread bytes are buf[pos..fill) */
    uint64_t base;      /* input offset of buf[0] */
    uint64_t origin;    /* file offset of input offset 0 (vms__reader_rebase) */
    int64_t size;
    char name[VMS_ERROR_FILE_MAX];
    /* Called on every end-of-input error: the stream's truncation rule. */
    void (*on_trunc)(void *opaque, vms_error *err);
    void *trunc_opaque;
    /* Called before the buffer's bytes move (vms__reader_on_refill). */
    int (*on_refill)(void *opaque, vms_error *err);
    void *refill_opaque;
};

static vms_reader *reader_new(const char *name, vms_error *err)
{
    vms_reader *r = calloc(1, sizeof(*r));

    if (!r) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    r->fd = -1;
    r->size = -1;
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    return r;
}

/* A reader with its own buffer (fd and source readers). */
static vms_reader *buffered_new(const char *name, vms_error *err)
{
    vms_reader *r = reader_new(name, err);

    if (!r) {
        return NULL;
    }
    r->buf = malloc(READER_BUF);
    if (!r->buf) {
        free(r);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    r->mem = r->buf;
    return r;
}

vms_reader *vms_reader_fd(int fd, const char *name, vms_error *err)
{
    struct stat st;
    vms_reader *r;

    if (fd < 0) {
        vms_error_set(err, VMS_EINVAL, "no file descriptor to read");
        return NULL;
    }
    r = buffered_new(name, err);

    if (!r) {
        return NULL;
    }
    r->fd = fd;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t cur = lseek(fd, 0, SEEK_CUR);
        r->size = st.st_size;
        r->base = cur > 0 ? (uint64_t)cur : 0;
    }
    return r;
}

vms_reader *vms__reader_source(const vms__source *src, const char *name,
                               vms_error *err)
{
    vms_reader *r = buffered_new(name, err);

    if (!r) {
        return NULL;
    }
    r->has_src = true;
    r->src = *src;
    r->size = src->pread ? src->size : -1;
    return r;
}

vms_reader *vms_reader_open(const char *path, vms_error *err)
{
    int fd;
    vms_reader *r;
    struct stat st;

    if (!path) {
        vms_error_set(err, VMS_EINVAL, "no file to read");
        return NULL;
    }

    if (strcmp(path, "-") == 0) {
        return vms_reader_fd(0, "-", err);
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vms_error_set_file(err, path);
        vms_error_set(err, errno == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                      "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        vms_error_set_file(err, path);
        vms_error_set(err, VMS_EINVAL, "is a directory");
        return NULL;
    }
    r = vms_reader_fd(fd, path, err);
    if (!r) {
        close(fd);
        return NULL;
    }
    r->own_fd = true;
    return r;
}

vms_reader *vms_reader_mem(const void *buf, size_t len, const char *name,
                           vms_error *err)
{
    return vms_reader_mem_at(buf, len, 0, name, err);
}

vms_reader *vms_reader_mem_at(const void *buf, size_t len, uint64_t base,
                              const char *name, vms_error *err)
{
    vms_reader *r;

    if (!buf && len) {
        vms_error_set(err, VMS_EINVAL, "no memory to read");
        return NULL;
    }
    r = reader_new(name, err);

    if (r) {
        r->mem = buf;
        r->fill = len;
        r->base = base;
        r->size = (int64_t)(base + len);
        r->eof = true;
    }
    return r;
}

void vms_reader_close(vms_reader *r)
{
    if (r) {
        if (r->own_fd) {
            close(r->fd);
        }
        if (r->has_src && r->src.close) {
            r->src.close(r->src.opaque);
        }
        free(r->buf);
        free(r);
    }
}

int vms__reader_fd(const vms_reader *r)
{
    return r->has_src || r->origin ? -1 : r->fd;
}

const char *vms_reader_name(const vms_reader *r)
{
    return r->name;
}

uint64_t vms_reader_offset(const vms_reader *r)
{
    return r->base + r->pos;
}

int64_t vms_reader_size(const vms_reader *r)
{
    return r->size;
}

static int fail_at(vms_reader *r, vms_error *err, int code, const char *what)
{
    vms_error_set_file(err, r->name);
    vms_error_set_at(err, code, vms_reader_offset(r), "%s", what);
    if (code == VMS_ETRUNC && r->on_trunc && err) {
        r->on_trunc(r->trunc_opaque, err);
    }
    return code;
}

/* The unread bytes move to the buffer's start. */
static void compact(vms_reader *r)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
        r->base += r->pos;
        r->fill -= r->pos;
        r->pos = 0;
    }
}

int vms__reader_rebase(vms_reader *r, const char *name, vms_error *err)
{
    uint64_t at = vms_reader_offset(r);

    if (r->fd < 0 || r->has_src) {
        return fail_at(r, err, VMS_EUNSUPPORTED, "input is not a file");
    }
    /* The bytes before the new start leave the buffer; the rest stays. */
    compact(r);
    r->base = 0;
    r->origin += at;
    if (r->size >= 0) {
        r->size -= (int64_t)at;
    }
    snprintf(r->name, sizeof(r->name), "%s", name);
    return 0;
}

uint64_t vms__reader_origin(const vms_reader *r)
{
    return r->origin;
}

void vms__reader_on_trunc(vms_reader *r, void (*fn)(void *, vms_error *),
                          void *opaque)
{
    r->on_trunc = fn;
    r->trunc_opaque = opaque;
}

void vms__reader_on_refill(vms_reader *r,
                           int (*fn)(void *opaque, vms_error *err),
                           void *opaque)
{
    r->on_refill = fn;
    r->refill_opaque = opaque;
}

bool vms__reader_holds(const vms_reader *r, const void *p, size_t n)
{
    const uint8_t *q = p;
    return q >= r->mem && q <= r->mem + r->fill &&
           n <= (size_t)(r->mem + r->fill - q);
}

/* The buffer's bytes are about to move: tell who holds pointers to them. */
static int refilling(vms_reader *r, vms_error *err)
{
    return r->on_refill ? r->on_refill(r->refill_opaque, err) : 0;
}

/* Make at least n unread bytes available (n <= READER_BUF/2); 0 or error. */
static int fill(vms_reader *r, size_t n, vms_error *err)
{
    int e;

    if (r->fill - r->pos >= n) {
        return 0;
    }
    if ((r->fd < 0 && !r->has_src) || r->eof) {
        return fail_at(r, err, VMS_ETRUNC, "unexpected end of input");
    }
    if ((e = refilling(r, err))) {
        return e;
    }
    compact(r);
    while (r->fill < n) {
        ssize_t k;

        if (r->has_src) {
            /* The source names its own errors (a compressed file's offset). */
            int64_t got = r->src.pread
                ? r->src.pread(r->src.opaque, r->buf + r->fill,
                               READER_BUF - r->fill, r->base + r->fill, err)
                : r->src.read(r->src.opaque, r->buf + r->fill,
                              READER_BUF - r->fill, err);
            if (got < 0) {
                /*
                 * A container cut short is a broken container, not the
                 * stream's end: peek must not take it for one.
                 */
                if (got == VMS_ETRUNC && err) {
                    err->code = VMS_EFORMAT;
                }
                return got == VMS_ETRUNC ? VMS_EFORMAT : (int)got;
            }
            k = (ssize_t)got;
        } else {
            k = read(r->fd, r->buf + r->fill, READER_BUF - r->fill);
        }
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            vms_error_set_file(err, r->name);
            return vms_error_set_at(err, VMS_EIO, vms_reader_offset(r),
                                    "read failed: %s", strerror(errno));
        }
        if (k == 0) {
            r->eof = true;
            return fail_at(r, err, VMS_ETRUNC, "unexpected end of input");
        }
        r->fill += (size_t)k;
    }
    return 0;
}

bool vms_reader_at_eof(vms_reader *r)
{
    if (r->pos < r->fill) {
        return false;
    }
    return fill(r, 1, NULL) != 0;
}

int vms_reader_seek(vms_reader *r, uint64_t offset, vms_error *err)
{
    if (r->size < 0) {
        return fail_at(r, err, VMS_EUNSUPPORTED, "input is not seekable");
    }
    if ((int64_t)offset > r->size) {
        return fail_at(r, err, VMS_ETRUNC, "seek past the end of input");
    }
    if (r->fd < 0 && !r->has_src) {
        if (offset < r->base) {
            return fail_at(r, err, VMS_EINVAL, "seek before the buffer");
        }
        r->pos = (size_t)(offset - r->base);
        return 0;
    }
    if (offset >= r->base && offset <= r->base + r->fill) {
        r->pos = (size_t)(offset - r->base);
        return 0;
    }
    int e = refilling(r, err);
    if (e) {
        return e;
    }
    if (!r->has_src &&
        lseek(r->fd, (off_t)(offset + r->origin), SEEK_SET) < 0) {
        vms_error_set_file(err, r->name);
        return vms_error_set_at(err, VMS_EIO, offset, "seek failed: %s",
                                strerror(errno));
    }
    r->base = offset;
    r->pos = r->fill = 0;
    r->eof = false;
    return 0;
}

int vms_read_peek(vms_reader *r, size_t n, const uint8_t **p, size_t *got,
                  vms_error *err)
{
    if (n > VMS_READER_WINDOW) {
        return fail_at(r, err, VMS_EINVAL, "read larger than the window");
    }
    int e = fill(r, n, err);
    if (e && e != VMS_ETRUNC) {
        return e;
    }
    if (e) {
        vms_error_clear(err);
    }
    *p = r->mem + r->pos;
    *got = r->fill - r->pos < n ? r->fill - r->pos : n;
    return 0;
}

int vms_read_ptr(vms_reader *r, size_t n, const uint8_t **p, vms_error *err)
{
    int e;

    if (n > VMS_READER_WINDOW) {
        return fail_at(r, err, VMS_EINVAL, "read larger than the window");
    }
    e = fill(r, n, err);
    if (e) {
        return e;
    }
    *p = r->mem + r->pos;
    r->pos += n;
    return 0;
}

int vms_read_bytes(vms_reader *r, void *dst, size_t n, vms_error *err)
{
    uint8_t *d = dst;
    uint64_t start = vms_reader_offset(r);

    /* Large copies go piecewise so that dst may exceed the window. */
    while (n) {
        size_t k = n < VMS_READER_WINDOW ? n : VMS_READER_WINDOW;
        const uint8_t *p;
        int e = vms_read_ptr(r, k, &p, err);
        if (e) {
            if (err) {
                err->offset = start;
            }
            return e;
        }
        memcpy(d, p, k);
        d += k;
        n -= k;
    }
    return 0;
}

int vms_read_skip(vms_reader *r, uint64_t n, vms_error *err)
{
    uint64_t target = vms_reader_offset(r) + n;

    if (r->size >= 0 && (r->fd >= 0 || r->has_src) && n > READER_BUF) {
        if ((int64_t)target > r->size) {
            return fail_at(r, err, VMS_ETRUNC, "unexpected end of input");
        }
        return vms_reader_seek(r, target, err);
    }
    while (n) {
        size_t k = n < VMS_READER_WINDOW ? (size_t)n : VMS_READER_WINDOW;
        const uint8_t *p;
        int e = vms_read_ptr(r, k, &p, err);
        if (e) {
            return e;
        }
        n -= k;
    }
    return 0;
}

int vms__reader_pread(vms_reader *r, void *buf, size_t n, uint64_t off,
                      vms_error *err)
{
    uint8_t *d = buf;

    if (r->size < 0) {
        return fail_at(r, err, VMS_EUNSUPPORTED, "input is not seekable");
    }
    if (off > (uint64_t)r->size || n > (uint64_t)r->size - off) {
        vms_error_set_file(err, r->name);
        return vms_error_set_at(err, VMS_ETRUNC, off,
                                "read past the end of input");
    }
    if (r->fd < 0 && !r->has_src) {
        if (off < r->base || off + n > r->base + r->fill) {
            vms_error_set_file(err, r->name);
            return vms_error_set_at(err, VMS_EINVAL, off,
                                    "read outside the buffer");
        }
        memcpy(d, r->mem + (off - r->base), n);
        return 0;
    }
    while (n) {
        int64_t k;

        if (r->has_src) {
            k = r->src.pread(r->src.opaque, d, n, off, err);
            if (k < 0) {
                return (int)k;
            }
        } else {
            k = pread(r->fd, d, n, (off_t)(off + r->origin));
            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k < 0) {
                vms_error_set_file(err, r->name);
                return vms_error_set_at(err, VMS_EIO, off, "read failed: %s",
                                        strerror(errno));
            }
        }
        if (k == 0) {
            vms_error_set_file(err, r->name);
            return vms_error_set_at(err, VMS_ETRUNC, off,
                                    "unexpected end of input");
        }
        d += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

int vms_read_u8(vms_reader *r, uint8_t *v, vms_error *err)
{
    const uint8_t *p;
    int e = vms_read_ptr(r, 1, &p, err);
    if (!e) {
        *v = p[0];
    }
    return e;
}

int vms_read_be16(vms_reader *r, uint16_t *v, vms_error *err)
{
    const uint8_t *p;
    int e = vms_read_ptr(r, 2, &p, err);
    if (!e) {
        *v = vms__get_be16(p);
    }
    return e;
}

int vms_read_be32(vms_reader *r, uint32_t *v, vms_error *err)
{
    const uint8_t *p;
    int e = vms_read_ptr(r, 4, &p, err);
    if (!e) {
        *v = vms__get_be32(p);
    }
    return e;
}

int vms_read_be64(vms_reader *r, uint64_t *v, vms_error *err)
{
    const uint8_t *p;
    int e = vms_read_ptr(r, 8, &p, err);
    if (!e) {
        *v = vms__get_be64(p);
    }
    return e;
}

int vms_read_str8(vms_reader *r, char s[256], uint8_t *len, vms_error *err)
{
    const uint8_t *p;
    int e = fill(r, 1, err);

    if (!e) {
        e = fill(r, 1u + r->mem[r->pos], err);
    }
    if (e) {
        return e;
    }
    p = r->mem + r->pos;
    memcpy(s, p + 1, p[0]);
    s[p[0]] = 0;
    if (len) {
        *len = p[0];
    }
    r->pos += 1u + p[0];
    return 0;
}

/* ---- writer ---------------------------------------------------------- */

#define WRITER_BUF (1u << 20)
/* Pieces this large bypass the buffer (see vms_write_bytes). */
#define WRITER_DIRECT (32u << 10)

struct vms_writer {
    /*
     * What every vms_write_* touches comes first, in one cache line (the
     * failure record below is 880 bytes).
     */
    int error;
    size_t len;
    size_t cap;        /* buf's size; 0: every piece goes straight out */
    uint64_t offset;   /* bytes accepted so far */
    uint8_t *buf;
    vms_sink_fn sink;
    void *opaque;
    int fd;            /* the fd writer's opaque */
    vms_error fail;    /* the first failure's record (see io.h) */
    char name[VMS_ERROR_FILE_MAX];
};

int vms__fd_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return VMS_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int vms__buf_append(vms_buf *b, const void *buf, size_t len)
{
    if (len > SIZE_MAX / 2 - b->len) {
        return VMS_ENOMEM;
    }
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1) {
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (!d) {
            return VMS_ENOMEM;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, len);
    b->len += len;
    b->data[b->len] = 0;   /* always a C string, for tests and messages */
    return 0;
}

void vms_buf_free(vms_buf *b)
{
    if (b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
    }
}

static int sink_fd(void *opaque, const void *buf, size_t len)
{
    return vms__fd_write_all(*(const int *)opaque, buf, len);
}

static int sink_buf(void *opaque, const void *buf, size_t len)
{
    return vms__buf_append(opaque, buf, len);
}

static vms_writer *writer_new(vms_sink_fn sink, void *opaque,
                              const char *name, size_t cap, vms_error *err)
{
    vms_writer *w;

    if (!sink) {
        vms_error_set(err, VMS_EINVAL, "a writer needs a sink function");
        return NULL;
    }
    w = calloc(1, sizeof(*w));
    if (w && cap) {
        w->buf = malloc(cap);
    }
    if (!w || (cap && !w->buf)) {
        free(w);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    w->cap = cap;
    w->sink = sink;
    w->opaque = opaque;
    w->fd = -1;
    snprintf(w->name, sizeof(w->name), "%s", name ? name : "");
    return w;
}

vms_writer *vms_writer_sink(vms_sink_fn sink, void *opaque, const char *name,
                            vms_error *err)
{
    return writer_new(sink, opaque, name, WRITER_BUF, err);
}

vms_writer *vms_writer_fd(int fd, const char *name, vms_error *err)
{
    vms_writer *w;

    if (fd < 0) {
        vms_error_set(err, VMS_EINVAL, "no file descriptor to write to");
        return NULL;
    }
    w = vms_writer_sink(sink_fd, NULL, name, err);
    if (w) {
        w->fd = fd;
        w->opaque = &w->fd;
    }
    return w;
}

vms_writer *vms_writer_buf(vms_buf *buf, vms_error *err)
{
    if (!buf) {
        vms_error_set(err, VMS_EINVAL, "no buffer to write to");
        return NULL;
    }
    /*
     * Memory needs no staging: a 1 MiB buffer only copied every byte once
     * more, and allocating and freeing it cost a program that saves often
     * 3 ms a save (its pages faulted in anew each time).
     */
    return writer_new(sink_buf, buf, "(memory)", 0, err);
}

uint64_t vms_writer_offset(const vms_writer *w)
{
    return w->offset;
}

/* The first failure's record, for a caller who has none yet. */
static int writer_failed(vms_writer *w, vms_error *err)
{
    if (err && !err->code) {
        *err = w->fail;
    }
    return w->error;
}

/* n bytes at p, which start at offset at of the output. */
static int writer_emit(vms_writer *w, const void *p, size_t n, uint64_t at,
                       vms_error *err)
{
    if (w->error) {
        return writer_failed(w, err);
    }
    w->error = w->sink(w->opaque, p, n);
    if (w->error) {
        vms_error_clear(&w->fail);
        vms_error_set_file(&w->fail, w->name);
        vms_error_set_at(&w->fail, w->error, at, "write failed: %s",
                         w->error == VMS_EIO ? strerror(errno)
                                             : vms_strerror(w->error));
        return writer_failed(w, err);
    }
    return 0;
}

int vms_writer_flush(vms_writer *w, vms_error *err)
{
    int e = 0;

    if (w->len) {
        e = writer_emit(w, w->buf, w->len, w->offset - w->len, err);
        w->len = 0;
    }
    return e ? e : w->error ? writer_failed(w, err) : 0;
}

int vms_write_bytes(vms_writer *w, const void *p, size_t n, vms_error *err)
{
    if (w->error) {
        return writer_failed(w, err);
    }
    if (!n) {
        return 0;   /* a memory writer has no buffer to copy nothing into */
    }
    if (n > w->cap - w->len || (w->len == 0 && n >= WRITER_DIRECT)) {
        if (vms_writer_flush(w, err)) {
            return writer_failed(w, err);
        }
        /*
         * A large piece (a vms_jsonw's buffer, a page run) goes straight
         * out: copying it into this buffer first would only cost time.
         */
        if (n >= WRITER_DIRECT || n > w->cap) {
            if (writer_emit(w, p, n, w->offset, err)) {
                return writer_failed(w, err);
            }
            w->offset += n;
            return 0;
        }
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    w->offset += n;
    return 0;
}

int vms_write_u8(vms_writer *w, uint8_t v, vms_error *err)
{
    return vms_write_bytes(w, &v, 1, err);
}

int vms_write_be16(vms_writer *w, uint16_t v, vms_error *err)
{
    uint8_t b[2];
    vms__put_be16(b, v);
    return vms_write_bytes(w, b, 2, err);
}

int vms_write_be32(vms_writer *w, uint32_t v, vms_error *err)
{
    uint8_t b[4];
    vms__put_be32(b, v);
    return vms_write_bytes(w, b, 4, err);
}

int vms_write_be64(vms_writer *w, uint64_t v, vms_error *err)
{
    uint8_t b[8];
    vms__put_be64(b, v);
    return vms_write_bytes(w, b, 8, err);
}

int vms_write_str8(vms_writer *w, const char *s, size_t len, vms_error *err)
{
    uint8_t l = (uint8_t)len;

    if (len > 255) {
        return vms_error_set(err, VMS_EINVAL,
                             "string of %zu bytes does not fit a str8", len);
    }
    if (vms_write_bytes(w, &l, 1, err)) {
        return writer_failed(w, err);
    }
    return vms_write_bytes(w, s, len, err);
}

int vms__write_vprintf(vms_writer *w, vms_error *err, const char *fmt,
                       va_list ap)
{
    char line[512], *p = line;
    va_list again;
    int n, e;

    va_copy(again, ap);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n >= 0 && (size_t)n >= sizeof(line)) {
        /* longer than a line: the exact size, on the heap */
        if ((p = malloc((size_t)n + 1))) {
            vsnprintf(p, (size_t)n + 1, fmt, again);
        }
    }
    va_end(again);
    if (n < 0) {
        return vms_error_set(err, VMS_EINVAL, "cannot format '%s'", fmt);
    }
    if (!p) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    e = vms_write_bytes(w, p, (size_t)n, err);
    if (p != line) {
        free(p);
    }
    return e;
}

int vms__write_printf(vms_writer *w, vms_error *err, const char *fmt, ...)
{
    va_list ap;
    int e;

    va_start(ap, fmt);
    e = vms__write_vprintf(w, err, fmt, ap);
    va_end(ap);
    return e;
}

int vms_writer_close(vms_writer *w, vms_error *err)
{
    int e;

    if (!w) {
        return 0;
    }
    e = vms_writer_flush(w, err);
    free(w->buf);
    free(w);
    return e;
}

/* ---- output files ---------------------------------------------------- */

char *vms_safe_filename(const char *in, size_t len, char *out, size_t outlen)
{
    size_t i, n = 0;

    if (outlen < 2) {
        return out;
    }
    for (i = 0; i < len && n + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f ||
            (n == 0 && c == '.')) {
            c = '_';
        }
        out[n++] = (char)c;
    }
    if (n == 0) {
        out[n++] = '_';
    }
    out[n] = 0;
    return out;
}

static bool single_component(const char *name)
{
    return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0 && strlen(name) < 256;
}

int vms_outfile_open(vms_outfile *o, int dirfd, const char *name,
                     unsigned flags, vms_error *err)
{
    struct stat st;
    unsigned i;

    o->fd = -1;
    o->dirfd = dirfd;
    o->own_dirfd = -1;
    o->tmp[0] = 0;
    if (!single_component(name)) {
        vms_error_set_file(err, name);
        return vms_error_set(err, VMS_EINVAL,
                             "refusing an output name that is not a plain "
                             "file name");
    }
    snprintf(o->name, sizeof(o->name), "%s", name);
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!(flags & VMS_OUT_FORCE)) {
            vms_error_set_file(err, name);
            return vms_error_set(err, VMS_EEXIST,
                                 "exists (use --force to replace it)");
        }
        if (!S_ISREG(st.st_mode)) {
            vms_error_set_file(err, name);
            return vms_error_set(err, VMS_EEXIST,
                                 "exists and is not a regular file");
        }
    }
    for (i = 0; i < 100; i++) {
        /* A 255-byte name leaves no room for a suffix: cut it. */
        snprintf(o->tmp, sizeof(o->tmp), ".%.200s.%ld.%u.tmp", name,
                 (long)getpid(), i);
        o->fd = openat(dirfd, o->tmp,
                       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0644);
        if (o->fd >= 0 || errno != EEXIST) {
            break;
        }
    }
    if (o->fd < 0) {
        o->tmp[0] = 0;
        vms_error_set_file(err, name);
        return vms_error_set(err, VMS_EIO, "cannot create: %s",
                             strerror(errno));
    }
    return 0;
}

void vms__error_outfile(vms_error *err, const char *dir, const char *name)
{
    if (!err) {
        return;
    }
    if (dir && strcmp(dir, ".") != 0) {
        size_t n = strlen(dir);
        snprintf(err->file, sizeof(err->file), "%s%s%s", dir,
                 n && dir[n - 1] == '/' ? "" : "/", name);
    } else {
        snprintf(err->file, sizeof(err->file), "%s", name);
    }
}

int vms_outfile_create(vms_outfile *o, const char *path, unsigned flags,
                       vms_error *err)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    int dirfd, e;

    o->fd = -1;
    o->own_dirfd = -1;
    o->tmp[0] = 0;
    if (!slash) {
        return vms_outfile_open(o, AT_FDCWD, path, flags, err);
    }
    if ((size_t)(slash - path) >= sizeof(dir)) {
        vms_error_set_file(err, path);
        return vms_error_set(err, VMS_ELIMIT, "path too long");
    }
    /* "/x" lives in "/", not in "". */
    snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
             path);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        vms_error_set_file(err, path);
        return vms_error_set(err, VMS_EIO, "cannot open its directory: %s",
                             strerror(errno));
    }
    e = vms_outfile_open(o, dirfd, slash + 1, flags, err);
    if (e) {
        vms__error_outfile(err, NULL, path);   /* the path, not its base */
        close(dirfd);
        return e;
    }
    o->own_dirfd = dirfd;
    return 0;
}

static void release_dir(vms_outfile *o)
{
    if (o->own_dirfd >= 0) {
        close(o->own_dirfd);
        o->own_dirfd = -1;
    }
}

int vms_outfile_commit(vms_outfile *o, unsigned flags, vms_error *err)
{
    int e = 0;

    if (o->fd >= 0 && close(o->fd) != 0) {
        e = vms_error_set(err, VMS_EIO, "close failed: %s", strerror(errno));
    }
    o->fd = -1;
    if (!e && !(flags & VMS_OUT_FORCE)) {
        /* renameat2(NOREPLACE) closes the race with a file created since. */
        int rc = renameat2(o->dirfd, o->tmp, o->dirfd, o->name,
                           RENAME_NOREPLACE);
        if (rc != 0 && errno == EINVAL) {
            /* Filesystem without NOREPLACE: link(2) also refuses to replace. */
            rc = linkat(o->dirfd, o->tmp, o->dirfd, o->name, 0);
            if (rc == 0) {
                unlinkat(o->dirfd, o->tmp, 0);
            }
        }
        if (rc != 0) {
            e = vms_error_set(err, errno == EEXIST ? VMS_EEXIST : VMS_EIO,
                              "cannot rename into place: %s",
                              strerror(errno));
        }
    } else if (!e && renameat(o->dirfd, o->tmp, o->dirfd, o->name) != 0) {
        e = vms_error_set(err, VMS_EIO, "cannot rename into place: %s",
                          strerror(errno));
    }
    if (e) {
        vms_error_set_file(err, o->name);
        unlinkat(o->dirfd, o->tmp, 0);
    }
    o->tmp[0] = 0;
    release_dir(o);
    return e;
}

void vms_outfile_abort(vms_outfile *o)
{
    if (o->fd >= 0) {
        close(o->fd);
        o->fd = -1;
    }
    if (o->tmp[0]) {
        unlinkat(o->dirfd, o->tmp, 0);
        o->tmp[0] = 0;
    }
    release_dir(o);
}

int vms__read_all(int fd, const char *path, size_t limit, const char *what,
                  const char *limit_name, char **out, size_t *out_len,
                  vms_error *err)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);

    *out = NULL;
    *out_len = 0;
    for (;;) {
        ssize_t k;

        if (!buf) {
            vms_error_set_file(err, path);
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
        if (len == cap) {
            char *n = realloc(buf, 2 * cap + 1);

            if (!n) {
                free(buf);
            }
            buf = n;
            cap *= 2;
            continue;
        }
        k = read(fd, buf + len, cap - len);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            int e = errno;

            free(buf);
            vms_error_set_file(err, path);
            return vms_error_set(err, VMS_EIO, "cannot read: %s",
                                 strerror(e));
        }
        if (k == 0) {
            break;
        }
        len += (size_t)k;
        /* Checked as it grows: a pipe may never end. */
        if (len > limit) {
            free(buf);
            vms_error_set_file(err, path);
            return vms_error_set(err, VMS_ELIMIT, "%s exceeds %s (%zu)",
                                 what, limit_name, limit);
        }
    }
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    return 0;
}

int vms__read_file(const char *path, size_t limit, const char *what,
                   const char *limit_name, char **out, size_t *out_len,
                   vms_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int e;

    if (fd < 0) {
        *out = NULL;
        *out_len = 0;
        vms_error_set_file(err, path);
        return vms_error_set(err, errno == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                             "cannot open: %s", strerror(errno));
    }
    e = vms__read_all(fd, path, limit, what, limit_name, out, out_len, err);
    close(fd);
    return e;
}
