/*
 * libvmstate internals of core (core.c), shared with verify. Never
 * installed.
 */
#ifndef VMS__CORE_PRIV_H
#define VMS__CORE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

/*
 * A state's number: "0x…" (maybe followed by " (-1)"), "00 00 03 c5"
 * (big-endian bytes) or a JSON integer.
 */
bool vms__json_u64(const json_t *v, uint64_t *out);

#endif
