/*
 * libvmstate internals of byte output (io.c): the growing buffer, whole
 * writes to a file descriptor, and printf onto a vms_writer. Never
 * installed.
 */
#ifndef VMS__WRITER_H
#define VMS__WRITER_H

#include <stdarg.h>
#include <stddef.h>
#include "vmstate/io.h"

/* Append n bytes at p to b, kept NUL-terminated: 0 or VMS_ENOMEM. */
int vms__buf_append(vms_buf *b, const void *p, size_t n);

/* write(2) all n bytes to fd, again after EINTR: 0 or VMS_EIO (errno set). */
int vms__fd_write_all(int fd, const void *p, size_t n);

/*
 * printf onto w, any length (a long name is never cut). 0, or the
 * writer's error, or VMS_EINVAL for a format vsnprintf refuses; err filled.
 */
int vms__write_printf(vms_writer *w, vms_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vms__write_vprintf(vms_writer *w, vms_error *err, const char *fmt,
                       va_list ap) __attribute__((format(printf, 3, 0)));

#endif
