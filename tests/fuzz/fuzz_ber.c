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

#include "ber_all.h"

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
