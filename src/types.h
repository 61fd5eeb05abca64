/*
 * libvmstate internals: what a wire type is, in one table (types.c): its
 * QEMU name, size, signedness, whether memory holds its wire bytes, and
 * how QEMU's analyze-migration.py renders it. Never installed.
 */
#ifndef VMS__TYPES_H
#define VMS__TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmstate/desc.h"

/* What a value of the type is, whatever its layout in memory. */
enum vms__value {
    VMS__VAL_INT,       /* an integer (BER INTEGER) */
    VMS__VAL_BOOL,
    VMS__VAL_OCTETS,    /* bytes: float64 and bitmaps as their wire bytes
                           too, exact, no rounding */
};

/*
 * How analyze-migration.py prints a leaf. Its reader table
 * (vmsd_field_readers) is keyed by type name and differs from what the
 * type is: VMS__PY_AS_TYPE follows the type, the others are its quirks,
 * written out per name.
 */
enum vms__python {
    VMS__PY_AS_TYPE,    /* an integer of the type's signedness, bool, or
                           hex bytes */
    VMS__PY_SIGNED,     /* an unsigned type read as VMSDFieldInt */
    VMS__PY_HEX,        /* an integer type missing from the table: bytes */
};

typedef struct vms__type_info {
    const char *name;       /* QEMU's name in vmdesc and dumps */
    vms_type type;
    bool equal;             /* the validating "<type> equal" variant */
    uint8_t size;           /* wire bytes of one element; 0: any */
    uint8_t value;          /* enum vms__value */
    bool is_signed;
    bool bytes;             /* memory holds the wire bytes as they are */
    uint8_t python;         /* enum vms__python */
} vms__type_info;

/* The row of type t (its "equal" variant when equal; NULL: none). */
const vms__type_info *vms__type_of(vms_type t, bool equal);
/* The row named name (QEMU's type names; NULL: not a type of ours). */
const vms__type_info *vms__type_named(const char *name);
/* The plain unsigned integer type of size bytes (NULL: none). */
const vms__type_info *vms__type_uint(size_t size);

/*
 * A field of a vmdesc keeps its wire bytes (VMS_TYPE_RAW) and QEMU's type
 * name; what those size bytes are when the name says one value ("uint64"
 * of 8 bytes: one big-endian number): VMS__RAW_BYTES when it says none
 * (buffers, unknown names, a size that does not fit the name).
 */
enum vms__raw_kind { VMS__RAW_BYTES, VMS__RAW_INT, VMS__RAW_BOOL,
                     VMS__RAW_FLOAT };
enum vms__raw_kind vms__raw_scalar(const vms_field *f, size_t size,
                                   bool *is_signed);

#endif
