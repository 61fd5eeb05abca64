/*
 * libFuzzer target: the -dump-vmstate reader and the checker on what it
 * accepts (a dump checked against itself and against an empty one walks
 * every finding path without needing two related inputs), the run-time
 * descriptions built from it (vms_dump_device) for every Description,
 * walked over the input's own bytes as wire data, and simdjson's reader
 * against yajl's: what simdjson accepts, yajl must accept with the same
 * model (large inputs trust simdjson's success).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "vmstate/vmstate.h"
#include "vmstate/dump.h"
#include "vmstate/visitor.h"
#include "dump_priv.h"
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
        vms_check_dumps(d, d, NULL, ignore, NULL, &errors, &err);
        vms_check_dumps(d, e, NULL, ignore, NULL, &errors, &err);
        vms_check_dumps(e, d, NULL, ignore, NULL, &errors, &err);
        for (const vms_dump_section *s = vms_dump_sections(d); s;
             s = s->next) {
            const vms_desc *desc;
            size_t sz;
            if (s->desc && s->desc->name && s->version_id >= 0 &&
                s->version_id <= INT32_MAX &&
                vms_dump_device(d, s->desc->name, (uint32_t)s->version_id,
                                &desc, &sz, &err) == 0) {
                /* the input's own bytes as a section body */
                vms_reader *r = vms_reader_mem(data, size, "body", NULL);
                vms_visitor *in = r ? vms_wire_input_new(r, NULL) : NULL;
                void *state = calloc(1, sz ? sz : 1);
                if (in && state) {
                    vms_walk(in, desc, state, (int)s->version_id, NULL);
                }
                free(state);
                vms_visitor_free(in);
                vms_reader_close(r);
            }
        }
    }
    vms_dump_free(d);
    vms_dump_free(e);
    if (vms__dump_have_simdjson() &&
        vms__dump_parse(data, size, "fuzz.json", VMS__DUMP_SIMDJSON, &e,
                        &err) == 0) {
        if (vms__dump_parse(data, size, "fuzz.json", VMS__DUMP_YAJL, &d,
                            &err) != 0 || !same_dump(d, e)) {
            abort();
        }
        vms_dump_free(d);
        vms_dump_free(e);
    }
    return 0;
}
