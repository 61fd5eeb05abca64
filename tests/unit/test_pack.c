/*
 * Unit tests of pack, unpack and convert on the example VMM's stream (what
 * "vmstate demo" writes: seven devices with random state and a RAM block
 * with data and zero pages), made here, so that they run without
 * ../shared: the round trips are byte-identical, an edited machine lands,
 * pack writes to standard output, and the options structs are checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>
#include <jansson.h>
#include "vmstate/vmstate.h"
#include "fixture.h"

static int setup(void **state)
{
    (void)state;
    fx_tmp_make("pack");
    fx_demo_stream(fx_at("demo.mig"), 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fx_tmp_remove();
}

static void unpack_pack_is_identical(void **state)
{
    vms_error err = { 0 };
    vms_pack_opts po = VMS_PACK_OPTS_INIT;

    (void)state;
    assert_int_equal(vms_unpack(fx_at("demo.mig"), fx_at("d"), NULL, &err),
                     0);
    assert_int_equal(vms_pack(fx_at("d"), fx_at("out.mig"), NULL, &err), 0);
    fx_assert_same_file(fx_at("demo.mig"), fx_at("out.mig"));
    /* an existing stream needs VMS_PACK_FORCE */
    assert_int_equal(vms_pack(fx_at("d"), fx_at("out.mig"), NULL, &err),
                     VMS_EEXIST);
    po.flags = VMS_PACK_FORCE;
    vms_error_clear(&err);
    assert_int_equal(vms_pack(fx_at("d"), fx_at("out.mig"), &po, &err), 0);
    fx_assert_same_file(fx_at("demo.mig"), fx_at("out.mig"));
}

static void pack_writes_an_edited_machine(void **state)
{
    vms_error err = { 0 };
    vms_unpack_opts uo = VMS_UNPACK_OPTS_INIT;
    vms_pack_opts po = VMS_PACK_OPTS_INIT;
    json_error_t je;
    json_t *root, *secs;
    vms_stream *s;
    vms_record rec;
    vms_config cfg;
    size_t i;

    (void)state;
    uo.flags = VMS_PACK_FORCE;
    assert_int_equal(vms_unpack(fx_at("demo.mig"), fx_at("m"), &uo, &err),
                     0);
    assert_non_null(root = json_load_file(fx_at("m/stream.json"), 0, &je));
    secs = json_object_get(root, "sections");
    json_array_foreach(secs, i, secs) {
        if (json_object_get(secs, "machine")) {
            assert_string_equal(json_string_value(json_object_get(secs,
                                "machine")), "pc-i440fx-7.2");
            json_object_set_new(secs, "machine",
                                json_string("pc-q35-a-longer-name"));
            break;
        }
    }
    assert_int_equal(json_dump_file(root, fx_at("m/stream.json"), 0), 0);
    json_decref(root);
    po.flags = VMS_PACK_FORCE;
    assert_int_equal(vms_pack(fx_at("m"), fx_at("m.mig"), &po, &err), 0);
    assert_non_null(s = vms_stream_open(fx_at("m.mig"), &err));
    do {
        assert_int_equal(vms_stream_next(s, &rec, &cfg, &err), 0);
    } while (rec.type != VMS_REC_CONFIGURATION && rec.type != VMS_REC_EOF);
    assert_int_equal(rec.type, VMS_REC_CONFIGURATION);
    assert_string_equal(cfg.machine, "pc-q35-a-longer-name");
    vms_stream_close(s);
    /* Nothing else changed: the name's length and bytes, in place. */
    {
        static const char was[] = "\0\0\0\x0d" "pc-i440fx-7.2";
        static const char now[] = "\0\0\0\x14" "pc-q35-a-longer-name";
        size_t lo, ln, k;
        char *o = fx_slurp(fx_at("demo.mig"), &lo);
        char *n = fx_slurp(fx_at("m.mig"), &ln);

        for (k = 0; k + sizeof(was) - 1 <= lo &&
                    memcmp(o + k, was, sizeof(was) - 1); k++) {
        }
        assert_int_equal(ln, lo + sizeof(now) - sizeof(was));
        assert_memory_equal(n, o, k);
        assert_memory_equal(n + k, now, sizeof(now) - 1);
        assert_memory_equal(n + k + sizeof(now) - 1, o + k + sizeof(was) - 1,
                            lo - k - (sizeof(was) - 1));
        free(o);
        free(n);
    }
}

static void convert_round_trips(void **state)
{
    static const struct { vms_encoding to; const char *name; } encs[] = {
        { VMS_ENC_BER, "s.der" }, { VMS_ENC_JSON, "s.json" },
    };
    vms_convert_opts co = VMS_CONVERT_OPTS_INIT;
    vms_error err = { 0 };

    (void)state;
    co.flags = VMS_CONVERT_FORCE;
    for (size_t i = 0; i < 2; i++) {
        vms_error_clear(&err);
        assert_int_equal(vms_convert(fx_at("demo.mig"), fx_at(encs[i].name),
                                     encs[i].to, &co, &err), 0);
        assert_int_equal(vms_convert(fx_at(encs[i].name), fx_at("back.mig"),
                                     VMS_ENC_WIRE, &co, &err), 0);
        fx_assert_same_file(fx_at("demo.mig"), fx_at("back.mig"));
    }
}

/* An options struct of a version the library does not know: refused. */
static void unknown_options_version_is_refused(void **state)
{
    vms_unpack_opts uo = VMS_UNPACK_OPTS_INIT;
    vms_pack_opts po = VMS_PACK_OPTS_INIT;
    vms_convert_opts co = VMS_CONVERT_OPTS_INIT;
    vms_error err = { 0 };

    (void)state;
    uo.version = po.version = co.version = 99;
    assert_int_equal(vms_unpack(fx_at("demo.mig"), fx_at("v"), &uo, &err),
                     VMS_EINVAL);
    assert_non_null(strstr(err.message, "vms_unpack_opts version 99"));
    vms_error_clear(&err);
    assert_int_equal(vms_pack(fx_at("d"), fx_at("v.mig"), &po, &err),
                     VMS_EINVAL);
    vms_error_clear(&err);
    assert_int_equal(vms_convert(fx_at("demo.mig"), fx_at("v.der"),
                                 VMS_ENC_BER, &co, &err), VMS_EINVAL);
    assert_int_equal(access(fx_at("v"), F_OK), -1);
    assert_int_equal(access(fx_at("v.der"), F_OK), -1);
    assert_true(VMS_VERSION_HEX == ((VMS_VERSION_MAJOR << 16) |
                                    (VMS_VERSION_MINOR << 8) |
                                    VMS_VERSION_PATCH));
    {
        char v[32];
        snprintf(v, sizeof(v), "%d.%d.%d", VMS_VERSION_MAJOR,
                 VMS_VERSION_MINOR, VMS_VERSION_PATCH);
        assert_string_equal(vms_version(), v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unpack_pack_is_identical),
        cmocka_unit_test(pack_writes_an_edited_machine),
        cmocka_unit_test(convert_round_trips),
        cmocka_unit_test(unknown_options_version_is_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
