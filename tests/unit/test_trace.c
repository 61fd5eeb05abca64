/*
 * The trace visitor against a golden file: a PIIX3-like device (PCI
 * config as bytes, an int32 array, a struct array, a subsection) must
 * print exactly the seeds' line format; a description made from a
 * stream's vmdesc (QEMU's type names over wire bytes) prints the same
 * shape: one line per number, bytes only for byte types.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vmstate/vmstate.h"
#include "fixture.h"

typedef struct pcidev {
    int32_t version_id;
    uint8_t config[256];
    uint8_t irq_state[16];
} pcidev;

typedef struct chan {
    int32_t count;
    bool gate;
} chan;

typedef struct piix3 {
    pcidev dev;
    int32_t pci_irq_levels_vmstate[4];
    chan ch[2];
    double f;
    uint64_t bitmap[1];
    uint8_t rcr;
} piix3;

static const vms_desc pcidev_desc = {
    .name = "PCIDevice",
    .version_id = 2,
    .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_INT32_LE(version_id, pcidev),
        { .name = "config", .type = VMS_TYPE_RAW, .type_name = "pci config",
          .offset = offsetof(pcidev, config), .size = 256 },
        { .name = "irq_state", .type = VMS_TYPE_RAW,
          .type_name = "pci irq state", .offset = offsetof(pcidev, irq_state),
          .size = 16, .version_id = 2 },
    ),
};

static const vms_desc chan_desc = {
    .name = "chan",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(VMS_INT32(count, chan), VMS_BOOL(gate, chan)),
};

static bool rcr_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((piix3 *)opaque)->rcr != 0;
}

static const vms_desc rcr_desc = {
    .name = "PIIX3/rcr",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = rcr_needed,
    VMS_FIELDS(VMS_UINT8(rcr, piix3)),
};

static const vms_desc piix3_desc = {
    .name = "PIIX3",
    .version_id = 3,
    .minimum_version_id = 2,
    VMS_FIELDS(
        VMS_STRUCT(dev, piix3, pcidev_desc, pcidev),
        VMS_INT32_ARRAY_V(pci_irq_levels_vmstate, piix3, 4, 3),
        VMS_STRUCT_ARRAY(ch, piix3, 2, chan_desc, chan),
        VMS_FLOAT64(f, piix3),
        { .name = "bitmap", .type = VMS_TYPE_BITMAP,
          .offset = offsetof(piix3, bitmap), .size = 8 },
    ),
    VMS_SUBSECTIONS(&rcr_desc),
};

static void test_golden(void **state)
{
    const char *src = getenv("VMS_SRCDIR");
    vms_error err = { 0 };
    vms_buf out = { 0 };
    char path[1024];
    size_t len;
    char *want;
    piix3 d;

    (void)state;
    memset(&d, 0, sizeof(d));
    d.dev.version_id = 2;
    d.dev.config[0] = 0x86;
    d.dev.config[1] = 0x80;
    d.dev.irq_state[3] = 1;
    d.pci_irq_levels_vmstate[1] = -1;
    d.ch[1].count = 0x10000;
    d.ch[1].gate = true;
    d.f = 0.5;
    d.bitmap[0] = 0x8000000000000001ull;
    d.rcr = 4;

    vms_writer *w = vms_writer_buf(&out, &err);
    vms_visitor *v = vms_trace_output_new(w, &err);
    assert_non_null(v);
    assert_int_equal(vms_walk(v, &piix3_desc, &d, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    vms_visitor_free(v);

    if (getenv("VMS_TRACE_PRINT")) {
        fwrite(out.data, 1, out.len, stdout);
    }
    snprintf(path, sizeof(path), "%s/tests/data/piix3.trace",
             src ? src : ".");
    want = fx_slurp(path, &len);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
    /* The seeds' example line, verbatim. */
    assert_non_null(strstr(out.data,
        "\nPIIX3.PCIDevice.config(256)(1).[255] = (uint8) 0x0\n"));
    free(want);
    vms_buf_free(&out);
}

/*
 * QEMU's vmdesc of an i8259-like device: every field type name QEMU
 * writes for one number, an array of uint64 (array_len), a buffer, and
 * a size that does not fit its name (kept as bytes).
 */
static void test_vmdesc_shape(void **state)
{
    static const char vmdesc[] =
        "{\"page_size\": 4096, \"devices\": [{\"name\": \"i8259\", "
        "\"instance_id\": 0, \"vmsd_name\": \"i8259\", \"version\": 3, "
        "\"fields\": ["
        "{\"name\": \"imr\", \"type\": \"uint8\", \"size\": 1},"
        "{\"name\": \"regs\", \"array_len\": 2, \"type\": \"uint64\", "
        "\"size\": 8},"
        "{\"name\": \"elcr\", \"type\": \"uint8 equal\", \"size\": 1},"
        "{\"name\": \"v\", \"type\": \"int32 le\", \"size\": 4},"
        "{\"name\": \"on\", \"type\": \"bool\", \"size\": 1},"
        "{\"name\": \"t\", \"type\": \"timer\", \"size\": 8},"
        "{\"name\": \"f\", \"type\": \"float64\", \"size\": 8},"
        "{\"name\": \"buf\", \"type\": \"buffer\", \"size\": 2},"
        "{\"name\": \"odd\", \"type\": \"uint32\", \"size\": 2}"
        "]}]}";
    /* the state of a vmdesc description is the fields' wire bytes */
    static const uint8_t wire[] = {
        0xb8,
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
        0, 0, 0, 0, 0, 0, 0, 0x2a,
        0xff,
        0xff, 0xff, 0xff, 0xfe,
        1,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x3f, 0xe0, 0, 0, 0, 0, 0, 0,
        0xab, 0xcd,
        0x12, 0x34,
    };
    static const char want[] =
        "i8259.imr = (uint8) 0xb8\n"
        "i8259.regs(2)(8).[0] = (uint64) 0x1122334455667788\n"
        "i8259.regs(2)(8).[1] = (uint64) 0x2a\n"
        "i8259.elcr = (uint8 equal) 0xff\n"
        "i8259.v = (int32 le) 0xfffffffe\n"
        "i8259.on = (bool) true\n"
        "i8259.t = (timer) 0xffffffffffffffff\n"
        "i8259.f = (float64) 0.5\n"
        "i8259.buf(2)(1).[0] = (uint8) 0xab\n"
        "i8259.buf(2)(1).[1] = (uint8) 0xcd\n"
        "i8259.odd(2)(1).[0] = (uint8) 0x12\n"
        "i8259.odd(2)(1).[1] = (uint8) 0x34\n";
    vms_error err = { 0 };
    vms_buf out = { 0 };
    vms_vmdesc *vd = NULL;
    const vms_desc *d;
    size_t size;
    uint8_t *st;

    (void)state;
    assert_int_equal(vms_vmdesc_parse(vmdesc, sizeof(vmdesc) - 1, "t",
                                      &vd, &err), 0);
    assert_int_equal(vms_vmdesc_device(vd, "i8259", 0, &d, &size, &err), 0);
    assert_true(size >= sizeof(wire));
    st = calloc(1, size);
    memcpy(st, wire, sizeof(wire));

    vms_writer *w = vms_writer_buf(&out, &err);
    vms_visitor *v = vms_trace_output_new(w, &err);
    assert_non_null(v);
    assert_int_equal(vms_walk(v, d, st, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    vms_visitor_free(v);
    assert_int_equal(out.len, sizeof(want) - 1);
    assert_memory_equal(out.data, want, out.len);
    vms_buf_free(&out);
    free(st);
    vms_vmdesc_free(vd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_vmdesc_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
