/*
 * Pieces of vmstate analyze on synthetic input: XBZRLE deltas, where the
 * vmdesc sits, and a vmdesc-built description walked from wire bytes into
 * python's JSON shapes (merged names, signedness by type name, subsections
 * present or not).
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
#include "jsonw.h"

static void xbzrle_applies_runs(void **state)
{
    uint8_t page[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                         16 };
    /* skip 2, write 2 bytes, skip 10, write 1 byte, (1 left unchanged) */
    const uint8_t delta[] = { 2, 2, 0xaa, 0xbb, 10, 1, 0xcc };
    const uint8_t want[16] = { 1, 2, 0xaa, 0xbb, 5, 6, 7, 8, 9, 10, 11, 12,
                               13, 14, 0xcc, 16 };

    (void)state;
    assert_int_equal(vms_xbzrle_decode(delta, sizeof(delta), page, 16), 0);
    assert_memory_equal(page, want, 16);
}

static void xbzrle_refuses_overruns(void **state)
{
    uint8_t page[16] = { 0 };
    const uint8_t past_end[] = { 15, 2, 1, 2 };
    const uint8_t short_data[] = { 0, 5, 1, 2 };
    const uint8_t long_uleb[] = { 0x80, 0x80, 0x80, 0x80, 0x01 };

    (void)state;
    assert_int_equal(vms_xbzrle_decode(past_end, 4, page, 16), -1);
    assert_int_equal(vms_xbzrle_decode(short_data, 4, page, 16), -1);
    assert_int_equal(vms_xbzrle_decode(long_uleb, 5, page, 16), -1);
}

static void vmdesc_is_found_by_its_length(void **state)
{
    /* records ... EOF, 0x06, be32 len, JSON */
    uint8_t buf[64] = { 0x04, 0x06, 0x00, 0x00, 0x00, 0x02, 0x00 };
    const char *json = "{\"a\": 6}";
    size_t n = 7, j = strlen(json);

    (void)state;
    buf[n++] = 0x06;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = (uint8_t)j;
    memcpy(buf + n, json, j);
    n += j;
    /* the decoy at index 1 has the wrong length; the real one is at 7 */
    assert_int_equal(vms_stream_find_vmdesc(buf, n), 7);
    assert_int_equal(vms_stream_find_vmdesc(buf, n - 1), -1);
    assert_int_equal(vms_stream_find_vmdesc(buf, 3), -1);
}

static const char *vmdesc_text =
    "{\"page_size\": 4096, \"devices\": [{\"name\": \"dev\", "
    "\"instance_id\": 0, \"vmsd_name\": \"dev\", \"version\": 1, "
    "\"fields\": ["
    "{\"name\": \"a\", \"type\": \"uint8 equal\", \"size\": 1},"
    "{\"name\": \"r\", \"array_len\": 2, \"type\": \"uint16\", \"size\": 2},"
    "{\"name\": \"b\", \"type\": \"bool\", \"size\": 1},"
    "{\"name\": \"a\", \"type\": \"int32 le\", \"size\": 4},"
    "{\"name\": \"s\", \"type\": \"struct\", \"size\": 4, \"struct\": "
    "{\"vmsd_name\": \"in\", \"version\": 1, \"fields\": ["
    "{\"name\": \"x\", \"type\": \"pci config\", \"size\": 2}]}}],"
    "\"subsections\": [{\"vmsd_name\": \"dev/sub\", \"version\": 1, "
    "\"fields\": [{\"name\": \"y\", \"type\": \"int8\", \"size\": 1}]}]}]}";

static int decode(const uint8_t *wire, size_t n, vms_buf *out, vms_error *err)
{
    vms_vmdesc *vd;
    const vms_desc *d;
    size_t size;
    vms_reader *r;
    vms_jsonw *w;
    vms_visitor *in, *o;
    uint8_t *st;
    int e;

    assert_int_equal(vms_vmdesc_parse(vmdesc_text, strlen(vmdesc_text), "t",
                                      &vd, err), 0);
    assert_int_equal(vms_vmdesc_device(vd, "dev", 0, &d, &size, err), 0);
    st = calloc(1, size);
    r = vms_reader_mem(wire, n, "wire", err);
    w = vms__jsonw_buf(out, VMS_JSONW_COMPACT, 0, NULL);
    in = vms_wire_input_new(r, err);
    o = vms_json_state_output_new(w, err);
    e = vms_walk(in, d, st, 1, err);
    if (!e) {
        e = vms_walk(o, d, st, 0, err);
    }
    vms_jsonw_free(w);
    vms_visitor_free(in);
    vms_visitor_free(o);
    vms_reader_close(r);
    free(st);
    vms_vmdesc_free(vd);
    return e;
}

static void vmdesc_device_prints_python_shapes(void **state)
{
    const uint8_t wire[] = {
        0xff,                   /* a: "uint8 equal" is signed in python */
        0x00, 0x01, 0xff, 0xfe, /* r[0], r[1] */
        0x02,                   /* b */
        0xff, 0xff, 0xff, 0xfe, /* a again: "int32 le" read big-endian */
        0xab, 0xcd,             /* s.x */
        0x05, 7, 'd', 'e', 'v', '/', 's', 'u', 'b', 0, 0, 0, 1,
        0x80,                   /* y */
    };
    vms_buf out = { 0 };
    vms_error err;

    (void)state;
    vms_error_clear(&err);
    assert_int_equal(decode(wire, sizeof(wire), &out, &err), 0);
    assert_string_equal(out.data,
        "{\"a\":[\"0xff (-1)\",\"0xfffffffe (-2)\"],"
        "\"r\":[\"0x0001\",\"0xfffe\"],\"b\":true,"
        "\"s\":{\"x\":\"ab cd\"},\"dev/sub\":{\"y\":\"0x80 (-128)\"}}");
    vms_buf_free(&out);
}

static void absent_subsection_is_not_printed(void **state)
{
    const uint8_t wire[] = { 1, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0 };
    vms_buf out = { 0 };
    vms_error err;

    (void)state;
    vms_error_clear(&err);
    assert_int_equal(decode(wire, sizeof(wire), &out, &err), 0);
    assert_null(strstr(out.data, "dev/sub"));
    vms_buf_free(&out);
}

static void short_wire_names_field_and_offset(void **state)
{
    const uint8_t wire[] = { 1, 0, 1 };
    vms_buf out = { 0 };
    vms_error err;
    char line[512];

    (void)state;
    vms_error_clear(&err);
    assert_int_equal(decode(wire, sizeof(wire), &out, &err), VMS_ETRUNC);
    vms_error_format(&err, line, sizeof(line));
    assert_non_null(strstr(line, "offset 0x"));
    assert_non_null(strstr(line, "dev.r[1]"));
    vms_buf_free(&out);
}

/* A stream with only a dirty-bitmap section, through vms_analyze(). */
static void dirty_bitmap_section_decodes(void **state)
{
    static const uint8_t stream[] = {
        'Q', 'E', 'V', 'M', 0, 0, 0, 3,
        0x01, 0, 0, 0, 0, 12, 'd', 'i', 'r', 't', 'y', '-', 'b', 'i', 't',
        'm', 'a', 'p', 0, 0, 0, 0, 0, 0, 0, 1,
        0x1c, 2, 'n', '0', 2, 'b', '0', 0, 1, 0, 0, 1,   /* START */
        0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128,       /* zero BITS */
        0x40, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8,         /* BITS */
        0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0x0f,
        0x21,                                             /* COMPLETE+EOS */
        0x7e, 0, 0, 0, 0,
        0x00,
    };
    char path[] = "/tmp/vms-test-dbm-XXXXXX";
    char outp[] = "/tmp/vms-test-out-XXXXXX";
    int fd = mkstemp(path), ofd = mkstemp(outp);
    vms_analyze_opts o = {
        .version = VMS_ANALYZE_OPTS_VERSION, .file = path,
    };
    char buf[256] = { 0 };
    vms_error err;

    (void)state;
    assert_true(fd >= 0 && ofd >= 0);
    assert_int_equal(write(fd, stream, sizeof(stream)), sizeof(stream));
    close(fd);
    vms_error_clear(&err);
    assert_non_null(o.out = vms_writer_fd(ofd, "out", &err));
    assert_int_equal(vms_analyze(&o, &err), 0);
    assert_int_equal(vms_writer_close(o.out, &err), 0);
    assert_true(pread(ofd, buf, sizeof(buf) - 1, 0) > 0);
    assert_string_equal(buf, "{\n    \"dirty-bitmap (0)\": \"\"\n}\n");
    close(ofd);
    unlink(path);
    unlink(outp);
}

/*
 * The options structs whose out_fd became a vms_writer in place refuse
 * their older versions (they cannot be read) and an operation without an
 * output, each saying so in err rather than writing to a stale fd.
 */
static void old_or_outputless_options_are_refused(void **state)
{
    vms_analyze_opts a = VMS_ANALYZE_OPTS_INIT;
    vms_diff_opts d = VMS_DIFF_OPTS_INIT;
    vms_info_opts in = VMS_INFO_OPTS_INIT;
    vms_error err;

    (void)state;
    a.file = d.a = d.b = in.file = "/nonexistent.mig";
    vms_error_clear(&err);
    assert_int_equal(vms_analyze(&a, &err), VMS_EINVAL);   /* no out */
    assert_int_equal(err.code, VMS_EINVAL);
    a.version = 3;
    vms_error_clear(&err);
    assert_int_equal(vms_analyze(&a, &err), VMS_EINVAL);
    assert_non_null(strstr(err.message, "version 3"));
    vms_error_clear(&err);
    assert_int_equal(vms_diff(&d, &err), VMS_EINVAL);
    assert_int_equal(err.code, VMS_EINVAL);
    d.version = 2;
    vms_error_clear(&err);
    assert_int_equal(vms_diff(&d, &err), VMS_EINVAL);
    vms_error_clear(&err);
    assert_int_equal(vms_info(&in, &err), VMS_EINVAL);
    assert_int_equal(err.code, VMS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xbzrle_applies_runs),
        cmocka_unit_test(xbzrle_refuses_overruns),
        cmocka_unit_test(vmdesc_is_found_by_its_length),
        cmocka_unit_test(vmdesc_device_prints_python_shapes),
        cmocka_unit_test(absent_subsection_is_not_printed),
        cmocka_unit_test(short_wire_names_field_and_offset),
        cmocka_unit_test(dirty_bitmap_section_decodes),
        cmocka_unit_test(old_or_outputless_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
