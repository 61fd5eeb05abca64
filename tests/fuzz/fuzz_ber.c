/*
 * libFuzzer target: the BER input visitor on a description with every
 * layout the walk knows (integers of each size and sign, bool, float64,
 * timer, bitmap, buffer, a variable array bounded by its capacity, an
 * array of pointers with a NULL, unused bytes, a nested struct, a
 * subsection), loading into fresh state each time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "vmstate/vmstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint16_t var[4];
    static part p0, p2;
    all a = { .var = var, .ptrs = { &p0, NULL, &p2 }, .one = { 0, 1000 } };
    vms_error err = { 0 };
    vms_reader *r = vms_reader_mem(data, size, "fuzz.der", &err);
    vms_visitor *v = r ? vms_ber_input_new(r, &err) : NULL;
    char name[256];
    uint32_t version;

    p0.le = p2.le = 1000;
    if (v && vms_ber_peek_state(r, name, &version, &err) == 0 &&
        version <= INT32_MAX) {
        vms_walk(v, &all_desc, &a, (int)version, &err);
    }
    vms_visitor_free(v);
    vms_reader_close(r);
    return 0;
}
