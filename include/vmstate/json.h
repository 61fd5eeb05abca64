/*
 * libvmstate: streaming JSON writer.
 *
 * Writes as it goes, in constant memory, so gigabytes of "-m" page dumps
 * never sit in a tree. The pretty layout is byte-identical to python's
 * json.dumps(obj, indent=N) with ensure_ascii (what QEMU's python tools
 * print), which is what our users diff against.
 */
#ifndef VMSTATE_JSON_H
#define VMSTATE_JSON_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "common.h"
#include "error.h"

typedef struct vms_jsonw vms_jsonw;

/* Receives output; returns 0, or a VMS_E* code that stops the writer. */
typedef int (*vms_sink_fn)(void *opaque, const void *buf, size_t len);

enum vms_jsonw_style {
    VMS_JSONW_PRETTY = 0,   /* python indent=N: ",\n", ": " */
    VMS_JSONW_SPACED = 1,   /* one line, ", " and ": " (QEMU's vmdesc) */
    VMS_JSONW_COMPACT = 2,  /* one line, "," and ":" */
};

/*
 * indent is used by VMS_JSONW_PRETTY only. The writer buffers internally and
 * calls sink with large chunks. Returns NULL on allocation failure.
 */
VMS_API vms_jsonw *vms_jsonw_new(vms_sink_fn sink, void *opaque,
                                 enum vms_jsonw_style style, int indent);
/* Sink that write(2)s to the file descriptor passed as opaque (intptr_t). */
VMS_API int vms_sink_fd(void *opaque, const void *buf, size_t len);
/* Sink that appends to a growing vms_buf (see below). */
VMS_API int vms_sink_buf(void *opaque, const void *buf, size_t len);

typedef struct vms_buf {
    char *data;
    size_t len, cap;
} vms_buf;
VMS_API void vms_buf_free(vms_buf *b);

/*
 * Each call returns 0 or the writer's first error (errors are sticky: once
 * the sink failed, every later call returns the same code).
 */
VMS_API int vms_jsonw_begin_object(vms_jsonw *w);
VMS_API int vms_jsonw_end_object(vms_jsonw *w);
VMS_API int vms_jsonw_begin_array(vms_jsonw *w);
VMS_API int vms_jsonw_end_array(vms_jsonw *w);
VMS_API int vms_jsonw_key(vms_jsonw *w, const char *key);
VMS_API int vms_jsonw_key_len(vms_jsonw *w, const char *key, size_t len);
VMS_API int vms_jsonw_string(vms_jsonw *w, const char *s);
/* s holds len bytes of UTF-8 (invalid bytes are escaped as \u00XX). */
VMS_API int vms_jsonw_string_len(vms_jsonw *w, const char *s, size_t len);
VMS_API int vms_jsonw_int(vms_jsonw *w, int64_t v);
VMS_API int vms_jsonw_uint(vms_jsonw *w, uint64_t v);
VMS_API int vms_jsonw_bool(vms_jsonw *w, bool v);
VMS_API int vms_jsonw_null(vms_jsonw *w);
/* A value already in JSON syntax (a number's text), written as is. */
VMS_API int vms_jsonw_raw(vms_jsonw *w, const char *text, size_t len);
/* The string "aa bb cc": bytes as two-digit lower-case hex, spaces between. */
VMS_API int vms_jsonw_hex_bytes(vms_jsonw *w, const uint8_t *p, size_t n);
/*
 * An integer field as QEMU's analyze-migration.py renders it: the string
 * "0x%0*x" with 2*size digits, and for a negative signed value its two's
 * complement followed by " (-N)". value holds the size bytes as read
 * (zero-extended); size is 1..8.
 */
VMS_API int vms_jsonw_hex_int(vms_jsonw *w, uint64_t value, unsigned size,
                              bool is_signed);
/*
 * A string value written in pieces (a page dump too long to hold):
 * string_begin, any number of string_append (already-safe ASCII that needs
 * no escaping), string_end.
 */
VMS_API int vms_jsonw_string_begin(vms_jsonw *w);
VMS_API int vms_jsonw_string_append(vms_jsonw *w, const char *s, size_t len);
VMS_API int vms_jsonw_string_end(vms_jsonw *w);
/* Bytes appended verbatim outside any value (e.g. the final newline). */
VMS_API int vms_jsonw_text(vms_jsonw *w, const char *s, size_t len);
/* Hand buffered output to the sink. */
VMS_API int vms_jsonw_flush(vms_jsonw *w);
/* Flushes and frees; returns the sticky error code. NULL is allowed. */
VMS_API int vms_jsonw_free(vms_jsonw *w);

#endif
