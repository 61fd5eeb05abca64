/*
 * libvmstate internals: bytes as QEMU writes them: big-endian numbers
 * (the migration stream's byte order), runs of one byte value, and the
 * string hash of the lookup tables. Never installed.
 */
#ifndef VMS__BYTES_H
#define VMS__BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t vms__get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vms__get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t vms__get_be64(const uint8_t *p)
{
    return ((uint64_t)vms__get_be32(p) << 32) | vms__get_be32(p + 4);
}

static inline void vms__put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void vms__put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void vms__put_be64(uint8_t *p, uint64_t v)
{
    vms__put_be32(p, (uint32_t)(v >> 32));
    vms__put_be32(p + 4, (uint32_t)v);
}

/* Whether all n bytes at p are v (a RAM page sent as one byte value). */
static inline bool vms__all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    return n == 0 || (p[0] == v && memcmp(p, p + 1, n - 1) == 0);
}

/* FNV-1a of a NUL-terminated string, from seed (2166136261u to start). */
static inline size_t vms__hash_str(const char *s, size_t seed)
{
    size_t h = seed;

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

#endif
