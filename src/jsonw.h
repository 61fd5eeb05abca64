/*
 * libvmstate internals of the JSON writer (jsonw.c). Never installed.
 */
#ifndef VMS__JSONW_H
#define VMS__JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include "vmstate/json.h"

/* Two lower-case hex digits per byte, one space between: 3n-1 chars. */
extern const char vms__hex_digits[16];

/*
 * "key": value pairs for chains of JSON writes: e is the error so far,
 * nothing is written once it is set.
 */
int vms__jsonw_kv_str(vms_jsonw *j, int e, const char *key,
                      const char *value);
int vms__jsonw_kv_int(vms_jsonw *j, int e, const char *key, int64_t value);
/*
 * Inside a string (vms_jsonw_string_begin), n bytes as
 * vms_jsonw_hex_bytes writes them, a space first unless first: a long
 * buffer written in pieces. The writer's error.
 */
int vms__jsonw_hex_append(vms_jsonw *w, const uint8_t *p, size_t n,
                          bool first);

/*
 * A JSON writer appending to b, for the library's own documents in memory;
 * vms_jsonw_free closes the writer under it. NULL with err filled.
 */
vms_jsonw *vms__jsonw_buf(vms_buf *b, enum vms_jsonw_style style, int indent,
                          vms_error *err);

#endif
