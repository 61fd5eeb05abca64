/*
 * libFuzzer target: the input layer's qcow2 reader (header, snapshot
 * table, L1/L2 tables, compressed and extended-L2 clusters): seeded with
 * such files; the body is fuzz_input.h's.
 */
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_input_layer(data, size);
}
