/*
 * The BER fixture that the fuzz target (fuzz_ber.c) and the unit test
 * (tests/unit/test_ber.c) share: a description with every layout the walk
 * knows (integers of each size and sign, bool, float64, timer, bitmap,
 * buffer, a variable array behind a pointer bounded by its capacity, an
 * array of pointers with a NULL, unused bytes, a nested struct, a
 * subsection). One copy, so that what is fuzzed is what is tested.
 */
#ifndef VMS_TEST_BER_ALL_H
#define VMS_TEST_BER_ALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmstate/vmstate.h"

typedef struct part {
    uint16_t a;
    int32_t le;
} part;

typedef struct all {
    bool flag;
    int8_t s8;
    int64_t s64;
    uint64_t u64;
    double d;
    int64_t timer;
    uint64_t bitmap[2];
    uint8_t buf[3];
    uint8_t n;
    uint16_t *var;
    part *ptrs[3];
    part one;
    uint32_t subval;
} all;

static const vms_desc part_desc = {
    .name = "part", .version_id = 1, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT16(a, part), VMS_INT32_LE(le, part)),
};

static const vms_desc all_sub = {
    .name = "all/sub", .version_id = 3, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT32(subval, all)),
};

static const vms_desc all_desc = {
    .name = "all", .version_id = 2, .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_BOOL(flag, all),
        VMS_INT8(s8, all),
        VMS_INT64(s64, all),
        VMS_UINT64(u64, all),
        VMS_FLOAT64(d, all),
        VMS_TIMER(timer, all),
        { .name = "bitmap", .type = VMS_TYPE_BITMAP,
          .offset = offsetof(all, bitmap), .size = 16 },
        VMS_BUFFER(buf, all),
        VMS_UINT8(n, all),
        { .name = "var", .type = VMS_TYPE_UINT16,
          .offset = offsetof(all, var), .size = 2,
          .flags = VMS_F_POINTER | VMS_F_VARRAY_U8, .num = 4,
          .num_offset = offsetof(all, n) },
        { .name = "ptrs", .type = VMS_TYPE_STRUCT, .vmsd = &part_desc,
          .offset = offsetof(all, ptrs), .size = sizeof(part),
          .flags = VMS_F_ARRAY | VMS_F_ARRAY_OF_POINTER, .num = 3 },
        VMS_UNUSED(2),
        VMS_STRUCT(one, all, part_desc, part),
    ),
    VMS_SUBSECTIONS(&all_sub),
};

#endif
