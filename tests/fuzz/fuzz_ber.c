/* libFuzzer target: the BER document reader (see fuzz_convert.h). */
#include "fuzz_convert.h"
