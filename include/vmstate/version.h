/*
 * libvmstate: library version and the stream formats it understands.
 */
#ifndef VMSTATE_VERSION_H
#define VMSTATE_VERSION_H

#include "common.h"

/* The QEMU_VM_FILE_VERSION values we read and write. */
#define VMS_STREAM_VERSION 3

/* "0.1.0" */
VMS_API const char *vms_version(void);

#endif
