/*
 * vmstate diff and verify on streams and dumps the engine writes (vm.h):
 * a changed field, a changed page, a subsection sent by one side only are
 * found and nothing else; a destination whose description is older,
 * lacks a subsection or reads a field of another size is refused with the
 * matching finding kind, and one built from the same descriptions is not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "vmstate/vmstate.h"

#define PAGE 4096u
#define NPAGES 16u

typedef struct dev {
    uint32_t counter;
    uint16_t r[2];
    uint8_t flag;
    uint32_t extra;
    bool sub_on;
} dev;

typedef struct dev16 {
    uint16_t counter;
    uint16_t r[2];
    uint8_t flag;
} dev16;

static bool sub_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((dev *)opaque)->sub_on;
}

static const vms_desc sub_desc = {
    .name = "dev/extra", .version_id = 1, .minimum_version_id = 1,
    .needed = sub_needed,
    VMS_FIELDS(VMS_UINT32(extra, dev)),
};

static const vms_desc dev_v2 = {
    .name = "dev", .version_id = 2, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT32(counter, dev), VMS_UINT16_ARRAY(r, dev, 2),
               VMS_UINT8_V(flag, dev, 2)),
    VMS_SUBSECTIONS(&sub_desc),
};

/* The same device as an older release knows it. */
static const vms_desc dev_v1 = {
    .name = "dev", .version_id = 1, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT32(counter, dev), VMS_UINT16_ARRAY(r, dev, 2)),
};

/* A release that made the counter 16 bits wide without a new version. */
static const vms_desc dev_narrow = {
    .name = "dev", .version_id = 2, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT16(counter, dev16), VMS_UINT16_ARRAY(r, dev16, 2),
               VMS_UINT8_V(flag, dev16, 2)),
    VMS_SUBSECTIONS(&sub_desc),
};

/* A release without the subsection. */
static const vms_desc no_sub = {
    .name = "dev", .version_id = 2, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT32(counter, dev), VMS_UINT16_ARRAY(r, dev, 2),
               VMS_UINT8_V(flag, dev, 2)),
};

/* A release that renamed the counter (names do not travel). */
typedef struct dev_renamed {
    uint32_t count;
    uint16_t r[2];
    uint8_t flag;
} dev_renamed;

static const vms_desc dev_rename = {
    .name = "dev", .version_id = 2, .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT32(count, dev_renamed),
               VMS_UINT16_ARRAY(r, dev_renamed, 2),
               VMS_UINT8_V(flag, dev_renamed, 2)),
    VMS_SUBSECTIONS(&sub_desc),
};

typedef struct side {
    dev d;
    uint8_t *ram;
    vms_vm *vm;
    char path[64];
} side;

static void side_init(side *s, const vms_desc *d, void *opaque)
{
    vms_error err = { 0 };

    memset(s, 0, sizeof(*s));
    s->ram = calloc(NPAGES, PAGE);
    assert_non_null(s->ram);
    s->vm = vms_vm_new("pc-i440fx-7.2", PAGE, &err);
    assert_non_null(s->vm);
    assert_int_equal(vms_vm_register(s->vm, "0000:00:03.0/dev", 0, "dev-pci",
                                     d, opaque ? opaque : &s->d, &err), 0);
    assert_int_equal(vms_vm_add_ram(s->vm, "pc.ram", s->ram,
                                    NPAGES * PAGE, &err), 0);
}

static void side_save(side *s)
{
    vms_error err = { 0 };
    int fd;
    vms_writer *w;

    snprintf(s->path, sizeof(s->path), "/tmp/vms-test-diff-XXXXXX");
    fd = mkstemp(s->path);
    assert_true(fd >= 0);
    w = vms_writer_fd(fd, s->path, &err);
    assert_non_null(w);
    assert_int_equal(vms_vm_save(s->vm, w, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    close(fd);
}

static void side_dump(side *s, char *path, size_t len)
{
    vms_error err = { 0 };
    vms_buf b = { 0 };
    vms_writer *w;
    FILE *f;
    int fd;

    snprintf(path, len, "/tmp/vms-test-dump-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_non_null(w = vms_writer_buf(&b, &err));
    assert_int_equal(vms_vm_dump_vmstate(s->vm, w, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    vms_buf_free(&b);
}

static void side_free(side *s)
{
    if (s->path[0]) {
        unlink(s->path);
    }
    vms_vm_free(s->vm);
    free(s->ram);
}

/* vms_diff's status and text output. */
static int run_diff(const char *a, const char *b, enum vms_diff_ram ram,
                    char *out, size_t len)
{
    vms_diff_opts o = { .version = VMS_DIFF_OPTS_VERSION, .a = a, .b = b,
                        .ram = ram };
    vms_error err = { 0 };
    FILE *f = tmpfile();
    size_t n;
    int r;

    assert_non_null(f);
    o.out = vms_writer_fd(fileno(f), "out", &err);
    assert_non_null(o.out);
    r = vms_diff(&o, &err);
    assert_int_equal(vms_writer_close(o.out, &err), 0);
    rewind(f);
    n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
    return r;
}

static void diff_finds_what_changed(void **state)
{
    side a, b;
    char out[4096];

    (void)state;
    side_init(&a, &dev_v2, NULL);
    side_init(&b, &dev_v2, NULL);
    a.d.counter = b.d.counter = 7;
    a.d.r[1] = 1;
    b.d.r[1] = 2;
    b.d.sub_on = true;
    b.d.extra = 0x55;
    for (unsigned p = 0; p < NPAGES; p++) {
        /* the same pages on both sides: fills and data */
        memset(a.ram + p * PAGE, p % 3 ? (int)p : 0, PAGE);
        a.ram[p * PAGE + 17] = (uint8_t)(p * 3);
    }
    memcpy(b.ram, a.ram, NPAGES * PAGE);
    b.ram[5 * PAGE + 100] ^= 1;
    b.ram[11 * PAGE] ^= 0x80;
    side_save(&a);
    side_save(&b);

    assert_int_equal(run_diff(a.path, a.path, VMS_DIFF_RAM_SUMMARY, out,
                              sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(run_diff(a.path, b.path, VMS_DIFF_RAM_SUMMARY, out,
                              sizeof(out)), 1);
    assert_string_equal(out,
        "0000:00:03.0/dev.r[1]: \"0x0001\" != \"0x0002\"\n"
        "only in B: subsection 0000:00:03.0/dev.dev/extra = "
        "{\"extra\":\"0x00000055\"}\n"
        "ram: pc.ram: 2 pages differ (of 16); first: 0x5000 0xb000\n");
    assert_int_equal(run_diff(a.path, b.path, VMS_DIFF_RAM_PAGES, out,
                              sizeof(out)), 1);
    assert_non_null(strstr(out, "ram: pc.ram: 0x5000\nram: pc.ram: 0xb000\n"));
    assert_int_equal(run_diff(a.path, b.path, VMS_DIFF_RAM_NONE, out,
                              sizeof(out)), 1);
    assert_null(strstr(out, "ram:"));
    side_free(&a);
    side_free(&b);
}

/*
 * verify a's stream against b's dump; the kinds of the counted findings,
 * in order. The uncounted ones must be exactly what no dump can show: the
 * engine's RAM section, listed once as "not_in_dump".
 */
static int run_verify(side *a, side *b, char *kinds, size_t len)
{
    char unverified[128] = "";
    vms_verify_opts o = { .version = VMS_VERIFY_OPTS_VERSION };
    vms_check_report *r;
    vms_error err = { 0 };
    char dump[64];
    int errors;

    side_dump(b, dump, sizeof(dump));
    o.stream = a->path;
    o.dest = dump;
    assert_int_equal(vms_verify(&o, &r, &err), 0);
    kinds[0] = '\0';
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];
        if (f->counted) {
            snprintf(kinds + strlen(kinds), len - strlen(kinds), "%s%s",
                     kinds[0] ? " " : "", vms_finding_kind_name(f->kind));
        } else {
            snprintf(unverified + strlen(unverified),
                     sizeof(unverified) - strlen(unverified), "%s%s:%s",
                     unverified[0] ? " " : "",
                     vms_finding_kind_name(f->kind),
                     f->section ? f->section : "");
        }
    }
    assert_string_equal(unverified, "not_in_dump:ram");
    errors = r->errors;
    vms_check_report_free(r);
    unlink(dump);
    return errors;
}

static void verify_finds_what_would_not_load(void **state)
{
    side a, same, old, narrow, renamed;
    dev16 d16 = { 0 };
    dev_renamed dr = { 0 };
    char kinds[256];

    (void)state;
    side_init(&a, &dev_v2, NULL);
    side_init(&same, &dev_v2, NULL);
    side_init(&old, &dev_v1, NULL);
    side_init(&narrow, &dev_narrow, &d16);
    side_init(&renamed, &dev_rename, &dr);
    side_save(&a);
    assert_int_equal(run_verify(&a, &renamed, kinds, sizeof(kinds)), 0);
    assert_int_equal(run_verify(&a, &same, kinds, sizeof(kinds)), 0);
    assert_string_equal(kinds, "");
    assert_int_equal(run_verify(&a, &old, kinds, sizeof(kinds)), 1);
    assert_string_equal(kinds, "version");
    assert_int_equal(run_verify(&a, &narrow, kinds, sizeof(kinds)), 1);
    assert_string_equal(kinds, "size");
    side_free(&a);

    /* the subsection is checked only when the stream carries it */
    side_init(&a, &dev_v2, NULL);
    a.d.sub_on = true;
    side_save(&a);
    assert_int_equal(run_verify(&a, &same, kinds, sizeof(kinds)), 0);
    side_free(&a);
    side_init(&a, &dev_v1, NULL);
    side_save(&a);
    /* an older stream into a newer destination: loads */
    assert_int_equal(run_verify(&a, &same, kinds, sizeof(kinds)), 0);
    side_free(&a);
    side_free(&same);
    side_free(&old);
    side_free(&narrow);
    side_free(&renamed);
}

static void verify_finds_unknown_subsection(void **state)
{
    side a, b;
    char kinds[256];

    (void)state;
    side_init(&a, &dev_v2, NULL);
    side_init(&b, &no_sub, NULL);
    side_save(&a);
    assert_int_equal(run_verify(&a, &b, kinds, sizeof(kinds)), 0);
    side_free(&a);
    side_init(&a, &dev_v2, NULL);
    a.d.sub_on = true;
    side_save(&a);
    assert_int_equal(run_verify(&a, &b, kinds, sizeof(kinds)), 1);
    assert_string_equal(kinds, "subsection_missing");
    side_free(&a);
    side_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diff_finds_what_changed),
        cmocka_unit_test(verify_finds_what_would_not_load),
        cmocka_unit_test(verify_finds_unknown_subsection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
