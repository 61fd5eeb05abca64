/* libFuzzer target: the BER document reader of vmstate convert (see
 * fuzz_convert.h; fuzz_ber is the BER input visitor alone). */
#include "fuzz_convert.h"
