/*
 * Unit tests of vms_verify on what the library writes itself (the example
 * machine's stream and its -dump-vmstate, fixture.h), so that they run
 * without ../shared: the stream against its own machine's dump has no
 * finding; against a dump changed the way a destination QEMU differs
 * (device version lower, minimum version raised, a field's size changed,
 * a subsection removed, another machine type, a device missing) it has
 * exactly the one finding QEMU's loader would fail on, counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "vmstate/vmstate.h"
#include "fixture.h"

static json_t *dump;    /* the machine's own -dump-vmstate */

static int setup(void **state)
{
    fx_machine m;
    size_t len;
    char *text;

    (void)state;
    fx_tmp_make("verify");
    fx_machine_init(&m, 1, EX_DEV_ALL, 0, 7);
    fx_machine_save(&m, fx_at("pc.mig"), 0);
    fx_machine_save(&m, fx_at("bare.mig"), VMS_SAVE_NO_VMDESC);
    text = fx_machine_dump(&m, &len);
    assert_non_null(dump = json_loadb(text, len, 0, NULL));
    free(text);
    fx_machine_free(&m);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(dump);
    return fx_tmp_remove();
}

/* Verify stream against dest (written to a file); *r the report. */
static void verify(const char *stream, json_t *dest, vms_check_report **r)
{
    vms_verify_opts o = { .version = VMS_VERIFY_OPTS_VERSION };
    vms_error err = { 0 };

    assert_int_equal(json_dump_file(dest, fx_at("dest.json"), 0), 0);
    o.stream = stream;
    o.dest = fx_at("dest.json");
    assert_int_equal(vms_verify(&o, r, &err), 0);
    assert_non_null(*r);
    assert_string_equal((*r)->src_file, stream);
}

/* The one finding of r: its kind, section, and words of its message. */
static const vms_finding *one(const vms_check_report *r,
                              enum vms_finding_kind kind, const char *section,
                              const char *says)
{
    const vms_finding *f;

    if (r->n_findings != 1) {
        for (size_t i = 0; i < r->n_findings; i++) {
            print_error("%s\n", r->findings[i].message);
        }
    }
    assert_int_equal(r->n_findings, 1);
    f = &r->findings[0];
    assert_string_equal(vms_finding_kind_name(f->kind),
                        vms_finding_kind_name(kind));
    assert_true(f->counted);
    assert_int_equal(r->errors, 1);
    if (section) {
        assert_non_null(f->section);
        assert_string_equal(f->section, section);
    }
    assert_non_null(strstr(f->message, says));
    return f;
}

/* A deep copy of the dump with entry key's Description to edit. */
static json_t *edited(const char *key, json_t **desc)
{
    json_t *d = json_deep_copy(dump);

    *desc = json_object_get(json_object_get(d, key), "Description");
    assert_non_null(*desc);
    return d;
}

/* The version of entry key in dump d: the entry's and its Description's. */
static void set_version(json_t *d, const char *key, int v)
{
    json_t *e = json_object_get(d, key);

    json_object_set_new(e, "version_id", json_integer(v));
    json_object_set_new(json_object_get(e, "Description"), "version_id",
                        json_integer(v));
}

static json_t *field(json_t *desc, const char *name)
{
    json_t *f;
    size_t i;

    json_array_foreach(json_object_get(desc, "Fields"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "field")),
                   name) == 0) {
            return f;
        }
    }
    fail_msg("no field %s", name);
    return NULL;
}

static void fits(void **state)
{
    vms_check_report *r;

    (void)state;
    verify(fx_at("pc.mig"), dump, &r);
    assert_int_equal(r->n_findings, 0);
    assert_int_equal(r->errors, 0);
    vms_check_report_free(r);
}

/* The stream's mc146818rtc is version 3: a destination at 2 refuses it. */
static void version_newer_than_dest(void **state)
{
    vms_check_report *r;
    json_t *desc, *d = edited("mc146818rtc", &desc);

    (void)state;
    set_version(d, "mc146818rtc", 2);
    verify(fx_at("pc.mig"), d, &r);
    one(r, VMS_FINDING_VERSION, "mc146818rtc", "version 3 is newer than "
        "DEST's \"mc146818rtc\" (version_id 2)");
    vms_check_report_free(r);
    json_decref(d);
}

/* A destination whose minimum version was raised past the stream's. */
static void version_older_than_dest_minimum(void **state)
{
    vms_check_report *r;
    json_t *desc, *d = edited("mc146818rtc", &desc);

    (void)state;
    set_version(d, "mc146818rtc", 5);
    json_object_set_new(desc, "minimum_version_id", json_integer(4));
    verify(fx_at("pc.mig"), d, &r);
    one(r, VMS_FINDING_MIN_VERSION, "mc146818rtc",
        "version 3 is older than DEST's \"mc146818rtc\" accepts "
        "(minimum_version_id 4)");
    vms_check_report_free(r);
    json_decref(d);
}

/* cmos_index is one byte in the stream; the destination reads two. */
static void field_size_changed(void **state)
{
    vms_check_report *r;
    const vms_finding *f;
    json_t *desc, *d = edited("mc146818rtc", &desc);

    (void)state;
    json_object_set_new(field(desc, "cmos_index"), "size", json_integer(2));
    verify(fx_at("pc.mig"), d, &r);
    f = one(r, VMS_FINDING_SIZE, "mc146818rtc",
            "field \"cmos_index\" is 1 bytes in the stream, DEST reads 2");
    assert_string_equal(f->field, "cmos_index");
    vms_check_report_free(r);
    json_decref(d);
}

/* The stream sends PIIX3/rcr; a destination without it cannot load it. */
static void subsection_missing(void **state)
{
    vms_check_report *r;
    const vms_finding *f;
    json_t *desc, *d = edited("PIIX3", &desc);

    (void)state;
    assert_int_equal(json_object_del(desc, "Subsections"), 0);
    verify(fx_at("pc.mig"), d, &r);
    f = one(r, VMS_FINDING_SUBSECTION_MISSING, "0000:00:01.0/PIIX3",
            "subsection \"PIIX3/rcr\" is unknown to DEST");
    assert_string_equal(f->field, "PIIX3/rcr");
    vms_check_report_free(r);
    json_decref(d);
}

/* A device the destination lacks; another machine type. */
static void device_and_machine(void **state)
{
    vms_check_report *r;
    json_t *d = json_deep_copy(dump);

    (void)state;
    assert_int_equal(json_object_del(d, "isa-pit"), 0);
    verify(fx_at("pc.mig"), d, &r);
    one(r, VMS_FINDING_SECTION_MISSING, "i8254", "i8254");
    vms_check_report_free(r);
    json_decref(d);

    d = json_deep_copy(dump);
    json_object_set_new(json_object_get(d, "vmschkmachine"), "Name",
                        json_string("pc-q35-7.2"));
    verify(fx_at("pc.mig"), d, &r);
    one(r, VMS_FINDING_MACHINE_TYPE, NULL, "pc-q35-7.2");
    vms_check_report_free(r);
    json_decref(d);
}

/*
 * Without a description in the stream only names and versions can be
 * verified: a first, uncounted no_vmdesc finding says so, and a changed
 * field size goes unseen while a version is still caught.
 */
static void stream_without_description(void **state)
{
    vms_check_report *r;
    json_t *desc, *d = edited("mc146818rtc", &desc);

    (void)state;
    json_object_set_new(field(desc, "cmos_index"), "size", json_integer(2));
    verify(fx_at("bare.mig"), d, &r);
    assert_int_equal(r->n_findings, 1);
    assert_int_equal(r->findings[0].kind, VMS_FINDING_NO_VMDESC);
    assert_false(r->findings[0].counted);
    assert_int_equal(r->errors, 0);
    vms_check_report_free(r);

    set_version(d, "mc146818rtc", 2);
    verify(fx_at("bare.mig"), d, &r);
    assert_int_equal(r->n_findings, 2);
    assert_int_equal(r->findings[0].kind, VMS_FINDING_NO_VMDESC);
    assert_int_equal(r->findings[1].kind, VMS_FINDING_VERSION);
    assert_int_equal(r->errors, 1);
    vms_check_report_free(r);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fits),
        cmocka_unit_test(version_newer_than_dest),
        cmocka_unit_test(version_older_than_dest_minimum),
        cmocka_unit_test(field_size_changed),
        cmocka_unit_test(subsection_missing),
        cmocka_unit_test(device_and_machine),
        cmocka_unit_test(stream_without_description),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
