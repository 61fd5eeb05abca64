/*
 * libvmstate internals: simdjson as a second event source for the dump
 * reader (src/dump.c), built only with the meson feature "simdjson".
 */
#ifndef VMS__DUMP_SIMDJSON_H
#define VMS__DUMP_SIMDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_parse.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse len bytes at data with simdjson and replay the document to cb as
 * yajl would have, in document order (integers, which simdjson has
 * already parsed, to integer; callbacks, not calls into dump.c, so that
 * the reader does not depend on its user).
 * padded: the SIMDJSON_PADDING (64) bytes after data may be read;
 * otherwise simdjson works on a copy. Returns 0 when the document parsed
 * and every callback returned non-zero; -1 otherwise, without saying why:
 * the caller parses again with yajl, whose message and position are the
 * ones reported.
 */
int vms__dump_simdjson(const void *data, size_t len, bool padded,
                       const yajl_callbacks *cb,
                       int (*integer)(void *ctx, int64_t v), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
