/*
 * libvmstate: error records.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include "vmstate/error.h"
#include "opts.h"

void vms_error_clear(vms_error *err)
{
    if (err) {
        memset(err, 0, sizeof(*err));
    }
}

int vms_error_setv(vms_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        /* Messages quote input (names, JSON): keep them on one line. */
        for (char *c = err->message; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                *c = '?';
            }
        }
    }
    return code;
}

int vms_error_set(vms_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int vms_error_setv_at(vms_error *err, int code, uint64_t offset,
                      const char *fmt, va_list ap)
{
    vms_error_setv(err, code, fmt, ap);
    if (err) {
        err->has_offset = 1;
        err->offset = offset;
    }
    return code;
}

int vms_error_set_at(vms_error *err, int code, uint64_t offset,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv_at(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

void vms_error_set_file(vms_error *err, const char *file)
{
    if (err && file && !err->file[0]) {
        snprintf(err->file, sizeof(err->file), "%s", file);
    }
}

void vms_error_set_path(vms_error *err, const char *path)
{
    if (err) {
        snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
    }
}

const char *vms_strerror(int code)
{
    switch (code) {
    case VMS_OK: return "success";
    case VMS_EIO: return "I/O error";
    case VMS_ETRUNC: return "unexpected end of input";
    case VMS_EFORMAT: return "malformed input";
    case VMS_ENOMEM: return "out of memory";
    case VMS_EINVAL: return "invalid argument";
    case VMS_ELIMIT: return "limit exceeded";
    case VMS_EVERSION: return "unsupported version";
    case VMS_ENOTFOUND: return "not found";
    case VMS_EEXIST: return "file exists";
    case VMS_EUNSUPPORTED: return "not supported";
    case VMS_EMISMATCH: return "value mismatch";
    }
    return "unknown error";
}

char *vms_error_format(const vms_error *err, char *buf, size_t len)
{
    size_t n = 0;

    if (!len) {
        return buf;
    }
    buf[0] = 0;
#define APPEND(...)                                                     \
    do {                                                                \
        if (n < len) {                                                  \
            int k_ = snprintf(buf + n, len - n, __VA_ARGS__);           \
            n += k_ > 0 ? (size_t)k_ : 0;                               \
        }                                                               \
    } while (0)
    if (err->file[0]) {
        APPEND("%s: ", err->file);
    }
    if (err->line > 0) {
        APPEND("line %d column %d: ", err->line, err->column);
    } else if (err->has_offset) {
        APPEND("offset 0x%" PRIx64 ": ", err->offset);
    }
    if (err->path[0]) {
        APPEND("%s: ", err->path);
    }
    APPEND("%s", err->message[0] ? err->message : vms_strerror(err->code));
#undef APPEND
    return buf;
}

int vms__opts_version(int version, int known, const char *name,
                      vms_error *err)
{
    if (version >= 1 && version <= known) {
        return 0;
    }
    return vms_error_set(err, VMS_EINVAL, "%s version %d is not one this "
                         "library knows (1 to %d): start from its _INIT",
                         name, version, known);
}
