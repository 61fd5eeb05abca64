/*
 * The trace visitor against a golden file: a PIIX3-like device (PCI
 * config as bytes, an int32 array, a struct array, a subsection) must
 * print exactly the seeds' line format.
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

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

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
    want = read_all(path, &len);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
    /* The seeds' example line, verbatim. */
    assert_non_null(strstr(out.data,
        "\nPIIX3.PCIDevice.config(256)(1).[255] = (uint8) 0x0\n"));
    free(want);
    vms_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
