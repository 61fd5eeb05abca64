/*
 * libvmstate internals of the reader (io.c): readers over sources other
 * than a file descriptor, and what the stream asks of its reader. Never
 * installed.
 */
#ifndef VMS__READER_H
#define VMS__READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmstate/io.h"

/*
 * A reader's bytes from somewhere other than a file descriptor: the
 * stream inside a container (input.c). Sequential sources (decompressors)
 * set read and leave pread NULL: the reader is then a pipe to its users.
 * Seekable ones (a window of a file, a qcow2 snapshot's state) set pread
 * and size. Both return the bytes read, 0 at the end, or a negative
 * VMS_E* with err filled (naming the container and its own offsets).
 */
typedef struct vms__source {
    int64_t (*read)(void *opaque, void *buf, size_t n, vms_error *err);
    int64_t (*pread)(void *opaque, void *buf, size_t n, uint64_t off,
                     vms_error *err);
    void (*close)(void *opaque);
    void *opaque;
    int64_t size;
} vms__source;
vms_reader *vms__reader_source(const vms__source *src, const char *name,
                               vms_error *err);
/* A reader's file descriptor; -1 for memory and sources. */
int vms__reader_fd(const vms_reader *r);
/*
 * A file reader's input starts anew at its current offset, under a new
 * name: a raw container's stream read with the same read() calls and the
 * same buffer as a bare one (offsets and errors are the stream's, and
 * vms__reader_fd is -1, since file offsets are no longer the reader's).
 */
int vms__reader_rebase(vms_reader *r, const char *name, vms_error *err);
/*
 * The file offset of a rebased reader's offset 0 (0 for any other): the
 * shift from the file offsets a stream records (mapped-ram's, which QEMU
 * takes from the channel's position in the whole file: qemu_get_offset
 * in migration/qemu-file.c) to the reader's.
 */
uint64_t vms__reader_origin(const vms_reader *r);
/* n bytes at off of a seekable reader, without moving it. */
int vms__reader_pread(vms_reader *r, void *buf, size_t n, uint64_t off,
                      vms_error *err);
/*
 * The reader calls fn(opaque, err) after filling err for an end of input
 * (VMS_ETRUNC): the stream rewrites it into its one truncation message.
 */
void vms__reader_on_trunc(vms_reader *r,
                          void (*fn)(void *opaque, vms_error *err),
                          void *opaque);
/*
 * The pointers vms_read_ptr hands out stay valid until the reader's
 * buffer moves: fn(opaque, err) is called right before (a refill, a seek
 * out of the buffer), so that a caller may keep them until then (core's
 * writes straight from the input's buffer); its error is the read's.
 * vms__reader_holds says whether [p, p + n) is such a pointer.
 */
void vms__reader_on_refill(vms_reader *r,
                           int (*fn)(void *opaque, vms_error *err),
                           void *opaque);
bool vms__reader_holds(const vms_reader *r, const void *p, size_t n);

#endif
