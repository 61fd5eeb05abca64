/*
 * libFuzzer target: the vmdesc parser, the descriptions built from it and
 * the device decoding they drive (wire input visitor, then the JSON state
 * output visitor), the way "vmstate analyze" decodes a device section.
 * Input: be32 length L, L bytes of vmdesc JSON, one byte choosing the
 * device (index into "devices", modulo their number), then the section
 * body that device's description reads.
 */
#include <jansson.h>
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

static int null_sink(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    (void)len;
    return 0;
}

/* One writer for every run: the output is thrown away. */
static vms_writer *null_out(void)
{
    static vms_writer *w;

    if (!w && !(w = vms_writer_sink(null_sink, NULL, "/dev/null", NULL))) {
        abort();
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vms_vmdesc *vd = NULL;
    vms_error err;
    size_t len;
    json_t *root = NULL, *devs, *dev;
    const vms_desc *d;
    size_t state_size;
    const char *name;
    json_int_t inst, ver;
    vms_jsonw *w = NULL;

    if (size < 5) {
        return 0;
    }
    len = ((size_t)data[0] << 24) | ((size_t)data[1] << 16) |
          ((size_t)data[2] << 8) | data[3];
    if (len > size - 5) {
        return 0;
    }
    vms_error_clear(&err);
    if (vms_vmdesc_parse((const char *)data + 4, len, "fuzz", &vd, &err)) {
        if (err.code == 0) {
            abort();
        }
        return 0;
    }
    w = vms_jsonw_new(null_out(), VMS_JSONW_PRETTY, 4, NULL);
    if (!w) {
        abort();
    }
    vms_vmdesc_write(vd, w);
    vms_jsonw_free(w);
    /* jansson again only to pick a device: the library has no list call. */
    root = json_loadb((const char *)data + 4, len, 0, NULL);
    devs = json_object_get(root, "devices");
    if (json_array_size(devs) == 0) {
        goto out;
    }
    dev = json_array_get(devs, data[4 + len] % json_array_size(devs));
    name = json_string_value(json_object_get(dev, "name"));
    inst = json_integer_value(json_object_get(dev, "instance_id"));
    ver = json_integer_value(json_object_get(dev, "version"));
    if (!name || inst < 0 || inst > UINT32_MAX || ver < 0 || ver > 1000000) {
        goto out;
    }
    if (vms_vmdesc_device(vd, name, (uint32_t)inst, &d, &state_size,
                          &err) == 0) {
        vms_reader *r = vms_reader_mem(data + 5 + len, size - 5 - len,
                                       "fuzz", &err);
        uint8_t *state = calloc(1, state_size ? state_size : 1);
        vms_visitor *in = r ? vms_wire_input_new(r, &err) : NULL;
        if (!r || !state || !in) {
            abort();
        }
        w = vms_jsonw_new(null_out(), VMS_JSONW_PRETTY, 4, NULL);
        vms_visitor *out = w ? vms_json_state_output_new(w, &err) : NULL;
        if (!out) {
            abort();
        }
        if (vms_walk(in, d, state, (int)ver, &err) == 0) {
            vms_jsonw_begin_object(w);
            vms_jsonw_key(w, name);
            vms_walk(out, d, state, 0, &err);
            vms_jsonw_end_object(w);
        } else if (err.code == 0) {
            abort();
        }
        vms_visitor_free(in);
        vms_visitor_free(out);
        vms_jsonw_free(w);
        vms_reader_close(r);
        free(state);
    }
out:
    json_decref(root);
    vms_vmdesc_free(vd);
    return 0;
}
