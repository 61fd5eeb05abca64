/*
 * libvmstate: error records.
 *
 * The caller owns a vms_error and passes it as the last argument of any
 * call that can fail (jansson's json_error_t model): no globals, no
 * thread-local state, and every failure can name the file, the byte offset
 * in it and the field path where it happened.
 */
#ifndef VMSTATE_ERROR_H
#define VMSTATE_ERROR_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "common.h"

#define VMS_ERROR_MSG_MAX 320
#define VMS_ERROR_PATH_MAX 256
#define VMS_ERROR_FILE_MAX 256

typedef struct vms_error {
    int code;                         /* a VMS_E* code, 0 when clear */
    char message[VMS_ERROR_MSG_MAX];  /* what is wrong, one line, no file name */
    char file[VMS_ERROR_FILE_MAX];    /* input it is about, "" when none */
    char path[VMS_ERROR_PATH_MAX];    /* field path "section.field[3].sub", "" when none */
    int has_offset;                   /* offset is meaningful */
    uint64_t offset;                  /* byte offset in file */
    int line, column;                 /* JSON inputs: 1-based, 0 when unknown */
} vms_error;

/* Reset to "no error". Safe on a NULL pointer. */
VMS_API void vms_error_clear(vms_error *err);

/*
 * Record an error and return code, so that callers can write
 * "return vms_error_set(err, VMS_EFORMAT, ...)". A NULL err is allowed.
 * Does not touch file/path/offset: set those with the helpers below.
 */
VMS_API int vms_error_set(vms_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
VMS_API int vms_error_setv(vms_error *err, int code, const char *fmt,
                           va_list ap);

/* As vms_error_set, and records the byte offset. */
VMS_API int vms_error_set_at(vms_error *err, int code, uint64_t offset,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
VMS_API int vms_error_setv_at(vms_error *err, int code, uint64_t offset,
                              const char *fmt, va_list ap);

/* Name the input the error is about (kept if already set). */
VMS_API void vms_error_set_file(vms_error *err, const char *file);
/* Record the field path (overwrites). */
VMS_API void vms_error_set_path(vms_error *err, const char *path);

/* Static English text for a code. */
VMS_API const char *vms_strerror(int code);

/*
 * One line for humans: "FILE: offset 0x1a2b: path: message" with the parts
 * that are known. Returns buf.
 */
VMS_API char *vms_error_format(const vms_error *err, char *buf, size_t len);

#endif
