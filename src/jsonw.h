/*
 * libvmstate internals of the JSON writer (jsonw.c). Never installed.
 */
#ifndef VMS__JSONW_H
#define VMS__JSONW_H

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

#endif
