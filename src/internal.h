/*
 * libvmstate internals shared between src/ files (never installed).
 */
#ifndef VMS_INTERNAL_H
#define VMS_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdbool.h>

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

/* FNV-1a of a NUL-terminated string, from seed (2166136261u to start). */
static inline size_t vms_hash_str(const char *s, size_t seed)
{
    size_t h = seed;

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

#define VMS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A zeroed visitor of size bytes (a struct whose first member is the
 * vms_visitor) with its ops and direction set; NULL and err set when out
 * of memory. vms_visitor_free_plain is the ops->free of such visitors.
 */
struct vms_visitor;
struct vms_visit_ops;
struct vms_error;
struct vms_visitor *vms_visitor_alloc(size_t size,
                                      const struct vms_visit_ops *ops,
                                      bool input, struct vms_error *err);
void vms_visitor_free_plain(struct vms_visitor *v);

/*
 * "key": value pairs for chains of JSON writes: e is the error so far,
 * nothing is written once it is set.
 */
struct vms_jsonw;
int vms_jsonw_kv_str(struct vms_jsonw *j, int e, const char *key,
                     const char *value);
int vms_jsonw_kv_int(struct vms_jsonw *j, int e, const char *key,
                     int64_t value);

#endif
