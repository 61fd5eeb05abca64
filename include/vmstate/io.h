/*
 * libvmstate: byte I/O shared by every parser and writer.
 *
 * vms_reader reads big-endian wire data from a file, a pipe or memory
 * through one large buffer (no per-field syscalls, constant memory) and
 * knows the byte offset of everything it hands out, so that every error can
 * name it. vms_writer is its mirror, and the one output of the library:
 * every public function that writes bytes (wire data, JSON, reports) takes
 * a vms_writer, which wraps a file descriptor, a growing memory buffer or
 * the caller's own callback. vms_outfile writes a file under a temporary
 * name and renames it only when complete.
 */
#ifndef VMSTATE_IO_H
#define VMSTATE_IO_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "common.h"
#include "error.h"

typedef struct vms_reader vms_reader;

/* Largest n vms_read_ptr can hand out in one piece. */
#define VMS_READER_WINDOW (1u << 20)

/* path "-" means standard input. The name is kept for error messages. */
VMS_API vms_reader *vms_reader_open(const char *path, vms_error *err);
/* Reads fd (not closed by vms_reader_close). */
VMS_API vms_reader *vms_reader_fd(int fd, const char *name, vms_error *err);
/* Reads len bytes at buf (not copied: buf must outlive the reader). */
VMS_API vms_reader *vms_reader_mem(const void *buf, size_t len,
                                   const char *name, vms_error *err);
/*
 * As vms_reader_mem, for bytes that sat at offset base of a larger input
 * (a buffered tail of a pipe): offsets and errors name the input's offsets.
 */
VMS_API vms_reader *vms_reader_mem_at(const void *buf, size_t len,
                                      uint64_t base, const char *name,
                                      vms_error *err);
VMS_API void vms_reader_close(vms_reader *r);

VMS_API const char *vms_reader_name(const vms_reader *r);
/* Offset of the next byte to be read, from the start of the input. */
VMS_API uint64_t vms_reader_offset(const vms_reader *r);
/* Total size for regular files and memory, -1 for pipes. */
VMS_API int64_t vms_reader_size(const vms_reader *r);
/* true when the input ended and every byte was consumed. */
VMS_API bool vms_reader_at_eof(vms_reader *r);
/* Random access, only when vms_reader_size() >= 0. */
VMS_API int vms_reader_seek(vms_reader *r, uint64_t offset, vms_error *err);

/*
 * All reads fail with VMS_ETRUNC (offset and file recorded in err) when the
 * input ends early; nothing is consumed then.
 */
VMS_API int vms_read_u8(vms_reader *r, uint8_t *v, vms_error *err);
VMS_API int vms_read_be16(vms_reader *r, uint16_t *v, vms_error *err);
VMS_API int vms_read_be32(vms_reader *r, uint32_t *v, vms_error *err);
VMS_API int vms_read_be64(vms_reader *r, uint64_t *v, vms_error *err);
VMS_API int vms_read_bytes(vms_reader *r, void *dst, size_t n, vms_error *err);
VMS_API int vms_read_skip(vms_reader *r, uint64_t n, vms_error *err);
/* One length byte then that many bytes, copied NUL-terminated to s[256]. */
VMS_API int vms_read_str8(vms_reader *r, char s[256], uint8_t *len,
                          vms_error *err);
/*
 * Zero-copy: *p points at the next n bytes (n <= VMS_READER_WINDOW) inside
 * the reader's buffer, valid until the next call on r. Consumes them.
 */
VMS_API int vms_read_ptr(vms_reader *r, size_t n, const uint8_t **p,
                         vms_error *err);
/* As vms_read_ptr without consuming; may return fewer (*got) at EOF. */
VMS_API int vms_read_peek(vms_reader *r, size_t n, const uint8_t **p,
                          size_t *got, vms_error *err);

typedef struct vms_writer vms_writer;

/* A growing memory buffer; data is always NUL-terminated once non-empty. */
typedef struct vms_buf {
    char *data;
    size_t len, cap;
} vms_buf;
VMS_API void vms_buf_free(vms_buf *b);

/*
 * The caller's own output: receives the bytes in large chunks; returns 0,
 * or a VMS_E* code that stops the writer (the writer's error then says
 * "write failed" and the code).
 */
typedef int (*vms_sink_fn)(void *opaque, const void *buf, size_t len);

/*
 * Constructors: each returns the writer, or NULL with err filled (only
 * VMS_ENOMEM). name is the output's name for error messages.
 */
/* Writes to fd (not closed by vms_writer_close). */
VMS_API vms_writer *vms_writer_fd(int fd, const char *name, vms_error *err);
/* Appends to buf. */
VMS_API vms_writer *vms_writer_buf(vms_buf *buf, vms_error *err);
/* Hands the bytes to sink(opaque, ...). */
VMS_API vms_writer *vms_writer_sink(vms_sink_fn sink, void *opaque,
                                    const char *name, vms_error *err);
/*
 * Errors are sticky: after the first failure every write returns the same
 * code, and vms_writer_flush and vms_writer_close fill err with the first
 * failure's record (output name, offset, message) when err holds none, so
 * that a layer above that wrote without an error record (vms_jsonw) loses
 * no detail.
 */
/* Flushes and frees; returns the first error met. NULL is allowed. */
VMS_API int vms_writer_close(vms_writer *w, vms_error *err);
VMS_API uint64_t vms_writer_offset(const vms_writer *w);
VMS_API int vms_write_u8(vms_writer *w, uint8_t v, vms_error *err);
VMS_API int vms_write_be16(vms_writer *w, uint16_t v, vms_error *err);
VMS_API int vms_write_be32(vms_writer *w, uint32_t v, vms_error *err);
VMS_API int vms_write_be64(vms_writer *w, uint64_t v, vms_error *err);
VMS_API int vms_write_bytes(vms_writer *w, const void *p, size_t n,
                            vms_error *err);
/* Fails with VMS_EINVAL when len > 255. */
VMS_API int vms_write_str8(vms_writer *w, const char *s, size_t len,
                           vms_error *err);
VMS_API int vms_writer_flush(vms_writer *w, vms_error *err);

/* Output files: complete or absent, never half-written. */
enum {
    VMS_OUT_FORCE = 1,   /* replace an existing regular file */
};
typedef struct vms_outfile {
    int fd;
    int dirfd;
    int own_dirfd;       /* vms_outfile_create: closed by commit/abort */
    char name[256];      /* final name inside dirfd */
    char tmp[280];       /* temporary name inside dirfd */
} vms_outfile;

/*
 * Create name inside directory dirfd (AT_FDCWD for the current one) under a
 * temporary name. name must be a single path component (see
 * vms_safe_filename); a planted symlink is never followed. Without
 * VMS_OUT_FORCE an existing name is VMS_EEXIST.
 */
VMS_API int vms_outfile_open(vms_outfile *o, int dirfd, const char *name,
                             unsigned flags, vms_error *err);
/*
 * The same for a path the user gave (an OUT operand): its directory is
 * opened here and closed by commit or abort. The last component is the
 * name, and must not be "." or "..".
 */
VMS_API int vms_outfile_create(vms_outfile *o, const char *path,
                               unsigned flags, vms_error *err);
/* fsync-free rename into place; the outfile is closed either way. */
VMS_API int vms_outfile_commit(vms_outfile *o, unsigned flags,
                               vms_error *err);
/* Close and delete the temporary file. Safe to call twice. */
VMS_API void vms_outfile_abort(vms_outfile *o);

/*
 * Turn bytes from untrusted input (a RAM block name) into one safe path
 * component: '/', NUL, control bytes and a leading '.' become '_'; never
 * empty, "." or "..". Returns out.
 */
VMS_API char *vms_safe_filename(const char *in, size_t len, char *out,
                                size_t outlen);

#endif
