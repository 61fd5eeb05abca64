/*
 * libvmstate: device-state descriptions.
 *
 * A description says, as data, what a device's migration state is: named
 * fields with their wire type, size, place in the device struct and the
 * version that introduced them, plus optional subsections. One description
 * drives saving, loading, JSON, trace, the vmdesc written after a stream
 * and the -dump-vmstate export (QEMU's VMStateDescription idea). Whether a
 * description is written in C with the macros below or built at run time
 * from a stream's vmdesc makes no difference to anything that walks it.
 */
#ifndef VMSTATE_DESC_H
#define VMSTATE_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"

/*
 * Wire types. In memory a value is the natural C type (listed); on the wire
 * it is what QEMU writes. Types marked "bytes" are copied as they are.
 */
typedef enum vms_type {
    VMS_TYPE_BOOL,      /* bool; 1 byte 0/1 */
    VMS_TYPE_INT8,      /* int8_t..uint64_t; big-endian */
    VMS_TYPE_INT16,
    VMS_TYPE_INT32,
    VMS_TYPE_INT64,
    VMS_TYPE_UINT8,
    VMS_TYPE_UINT16,
    VMS_TYPE_UINT32,
    VMS_TYPE_UINT64,
    VMS_TYPE_INT32_LE,  /* int32_t; be32. QEMU's "int32 le" (VMSTATE_INT32_
                           POSITIVE_LE): "less or equal", not an endianness:
                           load accepts 0 <= value <= the value in memory */
    VMS_TYPE_FLOAT64,   /* double; be64 of its IEEE bits */
    VMS_TYPE_TIMER,     /* int64_t expiry in ns, -1 = not armed; be64 */
    VMS_TYPE_BITMAP,    /* uint64_t words; be64 each (size % 8 == 0) */
    VMS_TYPE_BUFFER,    /* bytes */
    VMS_TYPE_UNUSED,    /* bytes; zeros on save, skipped on load, unless
                           the field has storage (see VMS_NO_STORAGE) */
    VMS_TYPE_RAW,       /* bytes of a type we do not interpret (QEMU's
                           "pci config", "virtio", ...): type_name says */
    VMS_TYPE_STRUCT,    /* a nested description (field->vmsd) */
    VMS_TYPE__COUNT
} vms_type;

/* Field layout and behaviour flags. */
enum {
    VMS_F_ARRAY = 1u << 0,       /* num elements at offset */
    VMS_F_VARRAY_U8 = 1u << 1,   /* element count is the uint8 at num_offset */
    VMS_F_VARRAY_U16 = 1u << 2,  /* ... uint16 */
    VMS_F_VARRAY_U32 = 1u << 3,  /* ... uint32 */
    VMS_F_VARRAY_I32 = 1u << 4,  /* ... int32 (negative counts are errors) */
    VMS_F_POINTER = 1u << 5,     /* offset holds a pointer to the data */
    VMS_F_ARRAY_OF_POINTER = 1u << 6, /* each element is a pointer; a NULL
                                         one travels as the nullptr marker */
    VMS_F_EQUAL = 1u << 7,       /* load checks the value equals the one in
                                    memory instead of storing it */
    VMS_F_DUMP_SIZE = 1u << 8,   /* -dump-vmstate reports dump_size */
    VMS_F_VMDESC_NAME = 1u << 9, /* name is already as a vmdesc gives it
                                    (descriptions built from a vmdesc) */
};
#define VMS_F_VARRAY_ANY (VMS_F_VARRAY_U8 | VMS_F_VARRAY_U16 | \
                          VMS_F_VARRAY_U32 | VMS_F_VARRAY_I32)

/* The byte QEMU sends in place of a NULL element of an array of pointers. */
#define VMS_NULLPTR_MARKER 0x30
/* The subsection marker byte on the wire. */
#define VMS_SUBSECTION_MARKER 0x05
/* offset of a VMS_TYPE_UNUSED field that has no memory behind it. */
#define VMS_NO_STORAGE SIZE_MAX

struct vms_desc;

typedef struct vms_field {
    const char *name;
    vms_type type;
    /* Name in vmdesc and dumps; NULL means the type's own (see
       vms_field_type_name), e.g. "int32 equal" for INT32 + VMS_F_EQUAL. */
    const char *type_name;
    size_t offset;           /* into the device struct */
    /* Leaves: bytes of one element, on the wire and in memory alike (every
       in-memory form above has its wire size). STRUCT: sizeof the struct,
       the stride of an array of them. */
    size_t size;
    unsigned flags;          /* VMS_F_* */
    uint32_t num;            /* VMS_F_ARRAY: element count; VMS_F_VARRAY_*:
                                the elements the memory holds (0: not
                                checked), a count above it is an error */
    size_t num_offset;       /* VMS_F_VARRAY_*: offset of the count */
    int version_id;          /* first version that carries the field */
    /* When set, decides existence instead of version_id. */
    bool (*field_exists)(void *opaque, int version_id);
    const struct vms_desc *vmsd;  /* VMS_TYPE_STRUCT */
    uintptr_t user;          /* free for whoever built the description */
    /*
     * With VMS_F_DUMP_SIZE: the "size" -dump-vmstate shows, when QEMU's
     * field->size is not the wire size of an element (QEMU's sizeof of a
     * nested struct, 0 for a buffer sized by another field). Only dumps
     * use it, so a description can match QEMU's dump byte for byte.
     */
    size_t dump_size;
} vms_field;

typedef struct vms_desc {
    const char *name;
    int version_id;
    int minimum_version_id;
    const vms_field *fields;
    size_t n_fields;
    /* Subsections, sent after the fields when needed() says so. */
    const struct vms_desc *const *subsections;
    size_t n_subsections;
    /* Hooks; self lets one function serve many (run-time) descriptions. */
    bool (*needed)(void *opaque, const struct vms_desc *self);
    int (*pre_save)(void *opaque, const struct vms_desc *self);
    /* Before a load reads the fields (QEMU's pre_load). */
    int (*pre_load)(void *opaque, const struct vms_desc *self);
    int (*post_load)(void *opaque, int version_id,
                     const struct vms_desc *self);
    uintptr_t user;          /* free for whoever built the description */
} vms_desc;

/* "uint32", "int32 equal", "struct", or field->type_name when set. */
VMS_API const char *vms_field_type_name(const vms_field *f);

/*
 * The field's name in a vmdesc, and so in the JSON state: QEMU makes a
 * name that occurs more than once in d's fields unique as "name[n]", n
 * counting the same-named fields before f (not for VMS_F_VMDESC_NAME
 * fields, named by a vmdesc already). Returns f->name or buf.
 */
VMS_API const char *vms_field_vmdesc_name(const vms_desc *d,
                                          const vms_field *f, char *buf,
                                          size_t len);

/* Fixed wire size of one element of a scalar type, 0 for sized types. */
VMS_API size_t vms_type_fixed_size(vms_type t);

/* Does the field travel in a stream of version_id for this state? */
VMS_API bool vms_field_exists(const vms_field *f, void *opaque,
                              int version_id);

/*
 * Element count of the field for this state: 1 for single fields, num for
 * arrays, the count field's value for variable arrays. Returns 0 or a
 * negative VMS_E* (a negative int32 count is VMS_EFORMAT).
 */
VMS_API int vms_field_count(const vms_field *f, const void *opaque,
                            uint32_t *count);

/*
 * Check a description and everything it reaches for mistakes a compiler
 * cannot see (missing names, zero sizes, a struct without vmsd, varray
 * flags combined, versions below minimum): what QEMU asserts at run time.
 */
struct vms_error;
VMS_API int vms_desc_validate(const vms_desc *d, struct vms_error *err);

/* ---- convenience macros, in the spirit of QEMU's VMSTATE_* ---------- */

/*
 * Compile-time type check: the macros below take the member's name and
 * fail to compile when the member is not of the C type the wire type needs.
 */
/* A negative array size stops the build when the types differ. */
#define VMS__SAME(a, b) \
    (0 * sizeof(char[__builtin_types_compatible_p(a, b) ? 1 : -1]))
#define VMS__CHECK(state, member, ctype)                                   \
    VMS__SAME(__typeof__(((state *)0)->member), ctype)
#define VMS__CHECK_ARRAY(state, member, ctype, n)                          \
    VMS__SAME(__typeof__(((state *)0)->member), ctype[n])
#define VMS__OFF(state, member) offsetof(state, member)

#define VMS__SCALAR(state, member, vtype, ctype, ver, fl)                  \
    { .name = #member, .type = (vtype),                                    \
      .offset = VMS__OFF(state, member) +                                  \
                VMS__CHECK(state, member, ctype),                          \
      .size = sizeof(ctype), .flags = (fl), .version_id = (ver) }

/* One scalar of wire type VMS_TYPE_T held in a ctype member. */
#define VMS__S(T, ctype, m, s, v, fl) \
    VMS__SCALAR(s, m, VMS_TYPE_##T, ctype, v, fl)

#define VMS_BOOL_V(m, s, v)     VMS__S(BOOL, bool, m, s, v, 0)
#define VMS_INT8_V(m, s, v)     VMS__S(INT8, int8_t, m, s, v, 0)
#define VMS_INT16_V(m, s, v)    VMS__S(INT16, int16_t, m, s, v, 0)
#define VMS_INT32_V(m, s, v)    VMS__S(INT32, int32_t, m, s, v, 0)
#define VMS_INT64_V(m, s, v)    VMS__S(INT64, int64_t, m, s, v, 0)
#define VMS_UINT8_V(m, s, v)    VMS__S(UINT8, uint8_t, m, s, v, 0)
#define VMS_UINT16_V(m, s, v)   VMS__S(UINT16, uint16_t, m, s, v, 0)
#define VMS_UINT32_V(m, s, v)   VMS__S(UINT32, uint32_t, m, s, v, 0)
#define VMS_UINT64_V(m, s, v)   VMS__S(UINT64, uint64_t, m, s, v, 0)
#define VMS_INT32_LE_V(m, s, v) VMS__S(INT32_LE, int32_t, m, s, v, 0)
#define VMS_FLOAT64_V(m, s, v)  VMS__S(FLOAT64, double, m, s, v, 0)
#define VMS_TIMER_V(m, s, v)    VMS__S(TIMER, int64_t, m, s, v, 0)

#define VMS_BOOL(m, s)     VMS_BOOL_V(m, s, 0)
#define VMS_INT8(m, s)     VMS_INT8_V(m, s, 0)
#define VMS_INT16(m, s)    VMS_INT16_V(m, s, 0)
#define VMS_INT32(m, s)    VMS_INT32_V(m, s, 0)
#define VMS_INT64(m, s)    VMS_INT64_V(m, s, 0)
#define VMS_UINT8(m, s)    VMS_UINT8_V(m, s, 0)
#define VMS_UINT16(m, s)   VMS_UINT16_V(m, s, 0)
#define VMS_UINT32(m, s)   VMS_UINT32_V(m, s, 0)
#define VMS_UINT64(m, s)   VMS_UINT64_V(m, s, 0)
#define VMS_INT32_LE(m, s) VMS_INT32_LE_V(m, s, 0)
#define VMS_FLOAT64(m, s)  VMS_FLOAT64_V(m, s, 0)
#define VMS_TIMER(m, s)    VMS_TIMER_V(m, s, 0)

/* Validated on load: the stream must carry the value already in memory. */
#define VMS_INT32_EQUAL(m, s)   VMS__S(INT32, int32_t, m, s, 0, VMS_F_EQUAL)
#define VMS_UINT8_EQUAL(m, s)   VMS__S(UINT8, uint8_t, m, s, 0, VMS_F_EQUAL)
#define VMS_UINT16_EQUAL(m, s)  VMS__S(UINT16, uint16_t, m, s, 0, VMS_F_EQUAL)
#define VMS_UINT32_EQUAL(m, s)  VMS__S(UINT32, uint32_t, m, s, 0, VMS_F_EQUAL)
#define VMS_INT64_EQUAL(m, s)   VMS__S(INT64, int64_t, m, s, 0, VMS_F_EQUAL)

/* Fixed arrays of scalars: member must be ctype[n]. */
#define VMS__ARRAY(state, member, n, vtype, ctype, ver)                    \
    { .name = #member, .type = (vtype),                                    \
      .offset = VMS__OFF(state, member) +                                  \
                VMS__CHECK_ARRAY(state, member, ctype, n),                 \
      .size = sizeof(ctype), .flags = VMS_F_ARRAY, .num = (n),             \
      .version_id = (ver) }

/* n scalars of wire type VMS_TYPE_T in a ctype[n] member. */
#define VMS__A(T, ctype, m, s, n, v) \
    VMS__ARRAY(s, m, n, VMS_TYPE_##T, ctype, v)
#define VMS_BOOL_ARRAY_V(m, s, n, v)   VMS__A(BOOL, bool, m, s, n, v)
#define VMS_UINT8_ARRAY_V(m, s, n, v)  VMS__A(UINT8, uint8_t, m, s, n, v)
#define VMS_UINT16_ARRAY_V(m, s, n, v) VMS__A(UINT16, uint16_t, m, s, n, v)
#define VMS_UINT32_ARRAY_V(m, s, n, v) VMS__A(UINT32, uint32_t, m, s, n, v)
#define VMS_UINT64_ARRAY_V(m, s, n, v) VMS__A(UINT64, uint64_t, m, s, n, v)
#define VMS_INT16_ARRAY_V(m, s, n, v)  VMS__A(INT16, int16_t, m, s, n, v)
#define VMS_INT32_ARRAY_V(m, s, n, v)  VMS__A(INT32, int32_t, m, s, n, v)
#define VMS_INT64_ARRAY_V(m, s, n, v)  VMS__A(INT64, int64_t, m, s, n, v)
#define VMS_TIMER_ARRAY_V(m, s, n, v)  VMS__A(TIMER, int64_t, m, s, n, v)
#define VMS_UINT8_ARRAY(m, s, n)  VMS_UINT8_ARRAY_V(m, s, n, 0)
#define VMS_UINT16_ARRAY(m, s, n) VMS_UINT16_ARRAY_V(m, s, n, 0)
#define VMS_UINT32_ARRAY(m, s, n) VMS_UINT32_ARRAY_V(m, s, n, 0)
#define VMS_UINT64_ARRAY(m, s, n) VMS_UINT64_ARRAY_V(m, s, n, 0)
#define VMS_INT32_ARRAY(m, s, n)  VMS_INT32_ARRAY_V(m, s, n, 0)
#define VMS_INT64_ARRAY(m, s, n)  VMS_INT64_ARRAY_V(m, s, n, 0)

/* A byte buffer member (uint8_t[N]) sent whole, as QEMU's VMSTATE_BUFFER. */
#define VMS_BUFFER_V(m, s, v)                                              \
    { .name = #m, .type = VMS_TYPE_BUFFER,                                 \
      .offset = VMS__OFF(s, m) +                                           \
                VMS__CHECK_ARRAY(s, m, uint8_t, sizeof(((s *)0)->m)),      \
      .size = sizeof(((s *)0)->m), .version_id = (v) }
#define VMS_BUFFER(m, s) VMS_BUFFER_V(m, s, 0)

/* Bytes sent as zeros and ignored on load (QEMU's VMSTATE_UNUSED). */
#define VMS_UNUSED_V(v, n)                                                 \
    { .name = "unused", .type = VMS_TYPE_UNUSED,                           \
      .offset = VMS_NO_STORAGE, .size = (n), .version_id = (v) }
#define VMS_UNUSED(n) VMS_UNUSED_V(0, n)

/* A nested struct member described by vmsd_. */
#define VMS_STRUCT_V(m, s, v, vmsd_, mtype)                                \
    { .name = #m, .type = VMS_TYPE_STRUCT,                                 \
      .offset = VMS__OFF(s, m) + VMS__CHECK(s, m, mtype),                  \
      .size = sizeof(mtype), .version_id = (v), .vmsd = &(vmsd_) }
#define VMS_STRUCT(m, s, vmsd_, mtype) VMS_STRUCT_V(m, s, 0, vmsd_, mtype)

/* An array of n nested structs: member must be mtype[n]. */
#define VMS_STRUCT_ARRAY_V(m, s, n, v, vmsd_, mtype)                       \
    { .name = #m, .type = VMS_TYPE_STRUCT,                                 \
      .offset = VMS__OFF(s, m) + VMS__CHECK_ARRAY(s, m, mtype, n),         \
      .size = sizeof(mtype), .flags = VMS_F_ARRAY, .num = (n),             \
      .version_id = (v), .vmsd = &(vmsd_) }
#define VMS_STRUCT_ARRAY(m, s, n, vmsd_, mtype) \
    VMS_STRUCT_ARRAY_V(m, s, n, 0, vmsd_, mtype)

/*
 * A variable array of ctype whose element count is the member count_m of
 * the same struct (uint8_t/uint16_t/uint32_t/int32_t, flag says which);
 * member m points to the elements (ctype *). Loading trusts the count the
 * stream sent: set .num to the capacity to bound it.
 */
#define VMS__VARRAY(s, m, count_m, cflag, ctypecount, vtype, ctype, v)     \
    { .name = #m, .type = (vtype),                                         \
      .offset = VMS__OFF(s, m) + VMS__CHECK(s, m, ctype *),                \
      .size = sizeof(ctype), .flags = VMS_F_POINTER | (cflag),             \
      .num_offset = VMS__OFF(s, count_m) +                                 \
                    VMS__CHECK(s, count_m, ctypecount),                    \
      .version_id = (v) }
#define VMS_VARRAY_UINT32_V(m, s, count_m, v, vtype, ctype)                \
    VMS__VARRAY(s, m, count_m, VMS_F_VARRAY_U32, uint32_t, vtype, ctype, v)
#define VMS_VARRAY_UINT16_V(m, s, count_m, v, vtype, ctype)                \
    VMS__VARRAY(s, m, count_m, VMS_F_VARRAY_U16, uint16_t, vtype, ctype, v)
#define VMS_VARRAY_UINT8_V(m, s, count_m, v, vtype, ctype)                 \
    VMS__VARRAY(s, m, count_m, VMS_F_VARRAY_U8, uint8_t, vtype, ctype, v)
#define VMS_VARRAY_INT32_V(m, s, count_m, v, vtype, ctype)                 \
    VMS__VARRAY(s, m, count_m, VMS_F_VARRAY_I32, int32_t, vtype, ctype, v)

/* The end of a field list written with the macros; see VMS_DESC_FIELDS. */
#define VMS_FIELDS(...)                                                    \
    .fields = (const vms_field[]){ __VA_ARGS__ },                         \
    .n_fields = sizeof((const vms_field[]){ __VA_ARGS__ }) /               \
                sizeof(vms_field)
#define VMS_SUBSECTIONS(...)                                               \
    .subsections = (const vms_desc *const[]){ __VA_ARGS__ },              \
    .n_subsections = sizeof((const vms_desc *const[]){ __VA_ARGS__ }) /    \
                     sizeof(const vms_desc *)

#endif
