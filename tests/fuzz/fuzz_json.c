/* libFuzzer target: the JSON document and state loader (see fuzz_convert.h). */
#include "fuzz_convert.h"
