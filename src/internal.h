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

/*
 * Stream passes (analyze.c) shared by analyze, diff and verify. A stream's
 * vmdesc, parsed into *vd on first need (a pipe buffers its tail then);
 * hint (NULL: no --desc advice) ends the "has none" message. And one
 * device section decoded by the
 * one walk and written as its JSON state value through w (NULL: decode
 * only), exactly as analyze prints it.
 */
struct vms_stream;
struct vms_vmdesc;
struct vms_record;
int vms__stream_need_vmdesc(struct vms_stream *s, struct vms_vmdesc **vd,
                            const char *idstr, const char *hint,
                            struct vms_error *err);
int vms__device_json(struct vms_stream *s, struct vms_vmdesc *vd,
                     const struct vms_record *rec, struct vms_jsonw *w,
                     struct vms_error *err);

/*
 * check.c, shared with verify: QEMU checker's rename tables (field names
 * s and d of description key match; the other name of a renamed section,
 * "" when none), and a finding appended to a report with every string
 * copied (counted ones add to r->errors, capped at 255).
 */
struct vms_check_report;
struct vms_finding;
bool vms__check_names_match(const char *key, const char *s, const char *d);
const char *vms__check_section_rename(const char *sec);
int vms__check_report_add(struct vms_check_report *r,
                          const struct vms_finding *f);

#endif
