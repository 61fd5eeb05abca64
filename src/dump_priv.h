/*
 * libvmstate internals of the dump reader (dump.c): the slot that keeps
 * a cache of the layer above with the dump, and the choice of JSON
 * reader. Never installed.
 */
#ifndef VMS__DUMP_PRIV_H
#define VMS__DUMP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include "vmstate/dump.h"

/*
 * The dump's slot for a cache that a layer above keeps with it (dumpdesc.c:
 * the descriptions it built), freed with the dump by free(data) when
 * set: the dump need not know what the layer above builds.
 */
typedef struct vms__dump_cache {
    void *data;
    void (*free)(void *data);
} vms__dump_cache;
vms__dump_cache *vms__dump_cache_of(vms_dump *d);

/*
 * The dump reader's event sources, for tests that compare them: yajl on
 * the text as it is (the one that locates errors), yajl on the text
 * without QEMU's indentation, simdjson (text that may be read 64 bytes
 * past its end, or not: then simdjson copies it). No fallback here: a
 * simdjson failure is VMS_EFORMAT without a position. Without the meson
 * feature "simdjson", the simdjson readers always fail.
 */
enum vms__dump_reader {
    VMS__DUMP_YAJL, VMS__DUMP_YAJL_SQUEEZED, VMS__DUMP_SIMDJSON,
    VMS__DUMP_SIMDJSON_PADDED,
};
int vms__dump_parse(const void *data, size_t len, const char *name,
                    enum vms__dump_reader reader, vms_dump **out,
                    vms_error *err);
bool vms__dump_have_simdjson(void);
/*
 * Whether two dumps load faster in two threads than one after the other.
 * Not with simdjson: each thread keeps one parser whose buffers the next
 * load reuses, while two threads fault in two sets (measured on the
 * aarch64 pair: 8.9 ms of CPU in two threads, 6.3 ms in one, and two busy
 * threads on our 2-vCPU machines run at about half speed each).
 */
bool vms__dump_parallel_pays(void);

#endif
