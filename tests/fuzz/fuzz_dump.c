/*
 * libFuzzer target: the -dump-vmstate reader and the checker on what it
 * accepts (a dump checked against itself and against an empty one walks
 * every finding path without needing two related inputs). And simdjson's
 * reader against yajl's: what simdjson accepts, yajl must accept with the
 * same model (large inputs trust simdjson's success).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "vmstate/vmstate.h"
#include "internal.h"
#include "../dump_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore(void *opaque, const vms_finding *f)
{
    (void)opaque;
    (void)f;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char empty[] = "{\"vmschkmachine\": {\"Name\": \"x\"}}";
    vms_dump *d = NULL, *e = NULL;
    vms_error err = { 0 };
    int errors;

    if (vms_dump_load_buffer(data, size, "fuzz.json", &d, &err) == 0 &&
        vms_dump_load_buffer(empty, sizeof(empty) - 1, "empty.json", &e,
                             &err) == 0) {
        vms_check_dumps(d, d, ignore, NULL, &errors, &err);
        vms_check_dumps(d, e, ignore, NULL, &errors, &err);
        vms_check_dumps(e, d, ignore, NULL, &errors, &err);
    }
    vms_dump_free(d);
    vms_dump_free(e);
    if (vms__dump_have_simdjson() &&
        vms__dump_parse(data, size, "fuzz.json", VMS_DUMP_SIMDJSON, &e,
                        &err) == 0) {
        if (vms__dump_parse(data, size, "fuzz.json", VMS_DUMP_YAJL, &d,
                            &err) != 0 || !same_dump(d, e)) {
            abort();
        }
        vms_dump_free(d);
        vms_dump_free(e);
    }
    return 0;
}
