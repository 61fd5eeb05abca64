/*
 * libvmstate: shared definitions (export macro, return codes).
 */
#ifndef VMSTATE_COMMON_H
#define VMSTATE_COMMON_H

#if defined(VMS_BUILDING_LIBRARY)
#define VMS_API __attribute__((visibility("default")))
#else
#define VMS_API
#endif

/*
 * Every libvmstate function that can fail returns 0 on success or one of
 * these negative codes; the detail (message, byte offset, field path) goes
 * to the caller-owned vms_error passed as the last argument.
 */
enum vms_code {
    VMS_OK = 0,
    VMS_EIO = -1,        /* the operating system refused a read or write */
    VMS_ETRUNC = -2,     /* input ended before a complete record */
    VMS_EFORMAT = -3,    /* input is not what the format allows */
    VMS_ENOMEM = -4,     /* allocation failed */
    VMS_EINVAL = -5,     /* the caller passed something unusable */
    VMS_ELIMIT = -6,     /* a documented cap was hit (see doc/limits.md) */
    VMS_EVERSION = -7,   /* version outside what the description accepts */
    VMS_ENOTFOUND = -8,  /* a named section, field or file does not exist */
    VMS_EEXIST = -9,     /* refusing to overwrite an existing file */
    VMS_EUNSUPPORTED = -10, /* valid input we deliberately do not handle */
    VMS_EMISMATCH = -11, /* an "equal" field or footer did not match */
};

#include <stdint.h>

/*
 * Long operations (analyze, unpack, pack, diff) report how far they are:
 * done and total in input bytes, total 0 when unknown (a pipe). Called
 * often (every few thousand records): the callee rate-limits its drawing.
 * Drawing is the caller's business, never the library's: a library does
 * not know whether its stderr is a terminal someone watches.
 */
typedef void (*vms_progress_fn)(void *opaque, uint64_t done, uint64_t total);

#endif
