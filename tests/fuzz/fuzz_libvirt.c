/*
 * libFuzzer target: the input layer's libvirt save image header and the
 * decompressors behind it (gzip, bzip2, xz, lzop, zstd): seeded with
 * such files; the body is fuzz_input.h's.
 */
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_input_layer(data, size);
}
