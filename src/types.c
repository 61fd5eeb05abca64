/*
 * libvmstate: the one table of wire types (types.h). QEMU's names are
 * those of migration/vmstate-types.c (VMStateInfo.name); python's quirks
 * are those of scripts/analyze-migration.py's vmsd_field_readers.
 */
#include <string.h>
#include "types.h"
#include "table.h"

#define INT(t, n, sz, sgn, py) \
    [t] = { n, t, false, sz, VMS__VAL_INT, sgn, false, py }
#define EQUAL(i, t, n, sz, sgn, py) \
    [VMS_TYPE__COUNT + i] = { n, t, true, sz, VMS__VAL_INT, sgn, false, py }
#define BYTES(t, n, sz, b) \
    [t] = { n, t, false, sz, VMS__VAL_OCTETS, false, b, VMS__PY_AS_TYPE }

/* Rows by vms_type first (so vms__type_of indexes), then the "equal"s. */
static const vms__type_info types[VMS_TYPE__COUNT + 8] = {
    [VMS_TYPE_BOOL] = { "bool", VMS_TYPE_BOOL, false, 1, VMS__VAL_BOOL,
                        false, false, VMS__PY_AS_TYPE },
    INT(VMS_TYPE_INT8, "int8", 1, true, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_INT16, "int16", 2, true, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_INT32, "int32", 4, true, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_INT64, "int64", 8, true, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_UINT8, "uint8", 1, false, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_UINT16, "uint16", 2, false, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_UINT32, "uint32", 4, false, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_UINT64, "uint64", 8, false, VMS__PY_AS_TYPE),
    INT(VMS_TYPE_INT32_LE, "int32 le", 4, true, VMS__PY_AS_TYPE),
    /* python has no reader for timers: generic bytes */
    INT(VMS_TYPE_TIMER, "timer", 8, true, VMS__PY_HEX),
    BYTES(VMS_TYPE_FLOAT64, "float64", 8, false),
    BYTES(VMS_TYPE_BITMAP, "bitmap", 0, false),
    BYTES(VMS_TYPE_BUFFER, "buffer", 0, true),
    BYTES(VMS_TYPE_UNUSED, "unused_buffer", 0, true),
    BYTES(VMS_TYPE_RAW, "raw", 0, true),
    [VMS_TYPE_STRUCT] = { "struct", VMS_TYPE_STRUCT, false, 0,
                          VMS__VAL_OCTETS, false, false, VMS__PY_AS_TYPE },
    /*
     * QEMU names its validating integer types "<type> equal"; python
     * reads "uint8 equal" and "uint16 equal" as signed and has no reader
     * for "int8 equal", "int16 equal" and "uint64 equal".
     */
    EQUAL(0, VMS_TYPE_INT8, "int8 equal", 1, true, VMS__PY_HEX),
    EQUAL(1, VMS_TYPE_INT16, "int16 equal", 2, true, VMS__PY_HEX),
    EQUAL(2, VMS_TYPE_INT32, "int32 equal", 4, true, VMS__PY_AS_TYPE),
    EQUAL(3, VMS_TYPE_INT64, "int64 equal", 8, true, VMS__PY_AS_TYPE),
    EQUAL(4, VMS_TYPE_UINT8, "uint8 equal", 1, false, VMS__PY_SIGNED),
    EQUAL(5, VMS_TYPE_UINT16, "uint16 equal", 2, false, VMS__PY_SIGNED),
    EQUAL(6, VMS_TYPE_UINT32, "uint32 equal", 4, false, VMS__PY_AS_TYPE),
    EQUAL(7, VMS_TYPE_UINT64, "uint64 equal", 8, false, VMS__PY_HEX),
};

const vms__type_info *vms__type_of(vms_type t, bool equal)
{
    if ((unsigned)t >= VMS_TYPE__COUNT) {
        return NULL;
    }
    if (!equal) {
        return &types[t];
    }
    for (size_t i = VMS_TYPE__COUNT; i < VMS__ARRAY_SIZE(types); i++) {
        if (types[i].type == t) {
            return &types[i];
        }
    }
    return NULL;
}

const vms__type_info *vms__type_named(const char *name)
{
    for (size_t i = 0; i < VMS__ARRAY_SIZE(types); i++) {
        if (strcmp(types[i].name, name) == 0) {
            return &types[i];
        }
    }
    return NULL;
}

const vms__type_info *vms__type_uint(size_t size)
{
    static const vms_type uints[] = {
        VMS_TYPE_UINT8, VMS_TYPE_UINT16, VMS_TYPE_UINT32, VMS_TYPE_UINT64,
    };

    for (size_t i = 0; i < VMS__ARRAY_SIZE(uints); i++) {
        if (types[uints[i]].size == size) {
            return &types[uints[i]];
        }
    }
    return NULL;
}

enum vms__raw_kind vms__raw_scalar(const vms_field *f, size_t size,
                                   bool *is_signed)
{
    const vms__type_info *t;

    if (f->type != VMS_TYPE_RAW || !f->type_name ||
        !(t = vms__type_named(f->type_name)) || t->size != size) {
        return VMS__RAW_BYTES;
    }
    /* float64: the be64 of its IEEE bits */
    if (t->type == VMS_TYPE_FLOAT64) {
        *is_signed = false;
        return VMS__RAW_FLOAT;
    }
    if (t->value == VMS__VAL_OCTETS) {
        return VMS__RAW_BYTES;
    }
    *is_signed = t->is_signed;
    return t->value == VMS__VAL_BOOL ? VMS__RAW_BOOL : VMS__RAW_INT;
}
