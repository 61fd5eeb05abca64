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
#include "io.h"

typedef struct vms_jsonw vms_jsonw;

enum vms_jsonw_style {
    VMS_JSONW_PRETTY = 0,   /* python indent=N: ",\n", ": " */
    VMS_JSONW_SPACED = 1,   /* one line, ", " and ": " (QEMU's vmdesc) */
    VMS_JSONW_COMPACT = 2,  /* one line, "," and ":" */
};

/*
 * A JSON writer onto out (borrowed: it must outlive the vms_jsonw, and the
 * caller flushes or closes it after vms_jsonw_free). indent is used by
 * VMS_JSONW_PRETTY only. Returns NULL with err filled: VMS_EINVAL for a
 * NULL out, an unknown style or an indent outside 0..64, VMS_ENOMEM.
 */
VMS_API vms_jsonw *vms_jsonw_new(vms_writer *out, enum vms_jsonw_style style,
                                 int indent, vms_error *err);

/*
 * Each call returns 0 or the writer's first error (errors are sticky: once
 * the output failed, every later call returns the same code; its record,
 * with the output's name and offset, is what vms_writer_flush or
 * vms_writer_close on out fill in).
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
/* Hand buffered output to out (and flush out). */
VMS_API int vms_jsonw_flush(vms_jsonw *w);
/* Flushes and frees; returns the sticky error code. NULL is allowed. */
VMS_API int vms_jsonw_free(vms_jsonw *w);

#endif
