/*
 * libvmstate internals shared between src/ files (never installed).
 */
#ifndef VMS_INTERNAL_H
#define VMS_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

static inline uint16_t vms_get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vms_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t vms_get_be64(const uint8_t *p)
{
    return ((uint64_t)vms_get_be32(p) << 32) | vms_get_be32(p + 4);
}

static inline void vms_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void vms_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void vms_put_be64(uint8_t *p, uint64_t v)
{
    vms_put_be32(p, (uint32_t)(v >> 32));
    vms_put_be32(p + 4, (uint32_t)v);
}

/* Two lower-case hex digits per byte, one space between: 3n-1 chars. */
extern const char vms_hex_digits[16];

#define VMS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
