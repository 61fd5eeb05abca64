/*
 * libvmstate: what a saved-VM file is, as qemu-img info says for disks.
 *
 * The container (a bare stream, a libvirt save image with its version,
 * compression and was_running flag, a qcow2 image with its snapshot
 * table), the domain's name, UUID and machine from a libvirt image's
 * domain XML, and from the stream's first records and its JSON
 * description: the machine type, the target page size, the RAM blocks
 * and their sizes, the device sections the description lists, whether
 * there is a description, and what the machine type says of the QEMU
 * that wrote it. Reads the stream only as far as its RAM block list (and
 * its description at the end when the input is seekable).
 */
#ifndef VMSTATE_INFO_H
#define VMSTATE_INFO_H

#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "input.h"
#include "io.h"

#define VMS_INFO_OPTS_VERSION 2
typedef struct vms_info_opts {
    unsigned version;
    const char *file;               /* "-" = standard input */
    const vms_input_opts *input;    /* NULL: the process default */
    bool json;                      /* else text */
    vms_writer *out;                /* version 2 (it was int out_fd) */
} vms_info_opts;
#define VMS_INFO_OPTS_INIT { .version = VMS_INFO_OPTS_VERSION }

/*
 * Writes the report to o->out (and flushes it); nothing on error. Another
 * options version, or no file or out, is VMS_EINVAL.
 */
VMS_API int vms_info(const vms_info_opts *o, vms_error *err);

#endif
