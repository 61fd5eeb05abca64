/*
 * libvmstate: library version and the stream formats it understands.
 */
#ifndef VMSTATE_VERSION_H
#define VMSTATE_VERSION_H

#include "common.h"

/*
 * The version of these headers, for #if: VMS_VERSION_HEX is 0xMMmmpp, so
 * "#if VMS_VERSION_HEX >= 0x000200" asks for 0.2.0 or later.
 * vms_version() says which library runs (the same unless it was replaced
 * after the program was built). meson checks these against
 * project(version:).
 */
#define VMS_VERSION_MAJOR 0
#define VMS_VERSION_MINOR 1
#define VMS_VERSION_PATCH 0
#define VMS_VERSION_HEX ((VMS_VERSION_MAJOR << 16) | \
                         (VMS_VERSION_MINOR << 8) | VMS_VERSION_PATCH)

/* The QEMU_VM_FILE_VERSION values we read and write. */
#define VMS_STREAM_VERSION 3

/* "0.1.0" */
VMS_API const char *vms_version(void);

#endif
