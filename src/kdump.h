/*
 * libvmstate internals: the kdump-compressed format (makedumpfile's
 * "diskdump" layout, header version 6, zlib pages) that crash and
 * libkdumpfile read. Never installed.
 */
#ifndef VMS__KDUMP_H
#define VMS__KDUMP_H

#include <stddef.h>
#include <stdint.h>
#include "memmap.h"
#include "vmstate/common.h"
#include "vmstate/error.h"

typedef struct vms__kdump_in {
    const vms__memmap *map;   /* r[i].file_off: where src_fd holds range i */
    int src_fd;
    const uint8_t *notes;     /* the ELF notes (each CPU's registers) */
    size_t notes_size;
    unsigned ncpus;
    const char *uname_machine;    /* "x86_64", "aarch64" */
    uint32_t page_size;       /* block size: the dump's page size */
    uint64_t phys_base;
    vms_progress_fn progress; /* pages done / total */
    void *progress_opaque;
} vms__kdump_in;

/* len bytes at off of fd, whole or an error naming name (EINTR retried). */
int vms__pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
                    const char *name, vms_error *err);
/* The same for n pieces in a row (iov is consumed by a short write). */
struct iovec;
int vms__pwritev_all(int fd, struct iovec *iov, int n, uint64_t off,
                     const char *name, vms_error *err);

/* Write the dump to out_fd (an empty file); errors name out_name. */
int vms__kdump_write(const vms__kdump_in *in, int out_fd,
                     const char *out_name, vms_error *err);

#endif
