/*
 * libvmstate internals of the reader (io.c): readers over sources other
 * than a file descriptor, and what the stream asks of its reader. Never
 * installed.
 */
#ifndef VMS__READER_H
#define VMS__READER_H

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

#endif
