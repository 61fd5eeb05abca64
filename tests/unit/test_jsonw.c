/*
 * The streaming writer must print exactly what python's
 * json.dumps(indent=4) prints (ensure_ascii), since our outputs are diffed
 * against QEMU's python tools. jansson's JSON_INDENT(4)|JSON_ENSURE_ASCII
 * layout is the same, so jansson is the oracle for trees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>
#include "vmstate/json.h"
#include "jsonw.h"

static void emit_json(vms_jsonw *w, json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        vms_jsonw_begin_object(w);
        json_object_foreach(v, k, x) {
            vms_jsonw_key(w, k);
            emit_json(w, x);
        }
        vms_jsonw_end_object(w);
        break;
    case JSON_ARRAY:
        vms_jsonw_begin_array(w);
        json_array_foreach(v, i, x) {
            emit_json(w, x);
        }
        vms_jsonw_end_array(w);
        break;
    case JSON_STRING:
        vms_jsonw_string_len(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        vms_jsonw_int(w, json_integer_value(v));
        break;
    case JSON_TRUE:
        vms_jsonw_bool(w, true);
        break;
    case JSON_FALSE:
        vms_jsonw_bool(w, false);
        break;
    default:
        vms_jsonw_null(w);
        break;
    }
}

static void check_same_as_jansson(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_PRESERVE_ORDER, &jerr);
    vms_buf out = { 0 };
    vms_jsonw *w = vms__jsonw_buf(&out, VMS_JSONW_PRETTY, 4, NULL);
    char *ref;

    assert_non_null(v);
    emit_json(w, v);
    assert_int_equal(vms_jsonw_free(w), 0);
    ref = json_dumps(v, JSON_INDENT(4) | JSON_ENSURE_ASCII |
                        JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    assert_string_equal(out.data, ref);
    free(ref);
    json_decref(v);
    vms_buf_free(&out);
}

static void test_layout(void **state)
{
    (void)state;
    check_same_as_jansson("{\"a\": 1, \"b\": [1, 2, {}], \"c\": {\"d\": []},"
                          " \"e\": true, \"f\": null, \"g\": -5}");
    check_same_as_jansson("[]");
    check_same_as_jansson("[[[]], {\"x\": {\"y\": {\"z\": \"w\"}}}]");
}

static void test_escapes(void **state)
{
    /* python's json.dumps output, hex digits in lower case (jansson's differ) */
    static const char in[] = "q\"b\\n\n\t\r\b\f\x01\x1f\xc3\xa9\xe4\xb8\xad"
                             "\xf0\x9f\x98\x80";
    vms_buf out = { 0 };
    vms_jsonw *w = vms__jsonw_buf(&out, VMS_JSONW_PRETTY, 4, NULL);

    (void)state;
    vms_jsonw_begin_array(w);
    vms_jsonw_string_len(w, in, sizeof(in) - 1);
    vms_jsonw_end_array(w);
    assert_int_equal(vms_jsonw_free(w), 0);
    assert_string_equal(out.data,
        "[\n    \"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u001f\\u00e9\\u4e2d"
        "\\ud83d\\ude00\"\n]");
    vms_buf_free(&out);
}

static void test_del_is_escaped(void **state)
{
    /* python escapes everything outside ' '..'~', DEL included. */
    vms_buf out = { 0 };
    vms_jsonw *w = vms__jsonw_buf(&out, VMS_JSONW_PRETTY, 4, NULL);

    (void)state;
    vms_jsonw_string_len(w, "a\x7f", 2);
    assert_int_equal(vms_jsonw_free(w), 0);
    assert_string_equal(out.data, "\"a\\u007f\"");
    vms_buf_free(&out);
}

static void test_spaced_and_hex(void **state)
{
    vms_buf out = { 0 };
    vms_jsonw *w = vms__jsonw_buf(&out, VMS_JSONW_SPACED, 0, NULL);
    static const uint8_t bytes[] = { 0x00, 0xab, 0x10 };

    (void)state;
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "a");
    vms_jsonw_hex_bytes(w, bytes, sizeof(bytes));
    vms_jsonw_key(w, "b");
    vms_jsonw_begin_array(w);
    vms_jsonw_uint(w, UINT64_MAX);
    vms_jsonw_int(w, INT64_MIN);
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    assert_int_equal(vms_jsonw_free(w), 0);
    assert_string_equal(out.data, "{\"a\": \"00 ab 10\", \"b\": "
                        "[18446744073709551615, -9223372036854775808]}");
    vms_buf_free(&out);
}

static void test_long_hex_streams(void **state)
{
    /* Longer than the internal buffer: output is cut into sink calls. */
    size_t n = 200000, i;
    uint8_t *p = malloc(n);
    vms_buf out = { 0 };
    vms_jsonw *w = vms__jsonw_buf(&out, VMS_JSONW_PRETTY, 4, NULL);

    (void)state;
    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 7);
    }
    vms_jsonw_hex_bytes(w, p, n);
    assert_int_equal(vms_jsonw_free(w), 0);
    assert_int_equal(out.len, 3 * n - 1 + 2);
    for (i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(out.data + 1 + 3 * i, "%2x", &v), 1);
        assert_int_equal(v, p[i]);
    }
    free(p);
    vms_buf_free(&out);
}

static void test_hex_int(void **state)
{
    /* the renderings seen in QEMU's own analyze-migration.py output */
    vms_buf out = { 0 };
    vms_jsonw *w = vms__jsonw_buf(&out, VMS_JSONW_COMPACT, 0, NULL);

    (void)state;
    vms_jsonw_begin_array(w);
    vms_jsonw_hex_int(w, 0xffffffff, 4, true);
    vms_jsonw_hex_int(w, UINT64_MAX, 8, true);
    vms_jsonw_hex_int(w, 0x7f, 1, true);
    vms_jsonw_hex_int(w, 0x80, 1, false);
    vms_jsonw_hex_int(w, 0x1407c1433, 8, false);
    vms_jsonw_end_array(w);
    assert_int_equal(vms_jsonw_free(w), 0);
    assert_string_equal(out.data,
        "[\"0xffffffff (-1)\",\"0xffffffffffffffff (-1)\",\"0x7f\","
        "\"0x80\",\"0x00000001407c1433\"]");
    vms_buf_free(&out);
}

static int failing_sink(void *opaque, const void *buf, size_t len)
{
    (void)opaque; (void)buf; (void)len;
    return VMS_EIO;
}

static void test_sticky_error(void **state)
{
    vms_error err = { 0 };
    vms_writer *out = vms_writer_sink(failing_sink, NULL, "out.json", &err);
    vms_jsonw *w = vms_jsonw_new(out, VMS_JSONW_PRETTY, 4, &err);

    (void)state;
    assert_non_null(w);
    vms_jsonw_begin_array(w);
    vms_jsonw_end_array(w);
    assert_int_equal(vms_jsonw_flush(w), VMS_EIO);
    assert_int_equal(vms_jsonw_null(w), VMS_EIO);
    assert_int_equal(vms_jsonw_free(w), VMS_EIO);
    /* the writer kept the failure's record: its close hands it over */
    assert_int_equal(err.code, 0);
    assert_int_equal(vms_writer_close(out, &err), VMS_EIO);
    assert_int_equal(err.code, VMS_EIO);
    assert_string_equal(err.file, "out.json");
    assert_non_null(strstr(err.message, "write failed"));
}

/* Every constructor that fails says why in the caller's vms_error. */
static void test_constructors_fill_error(void **state)
{
    vms_buf b = { 0 };
    vms_error err;
    vms_writer *out;

    (void)state;
    vms_error_clear(&err);
    assert_null(vms_jsonw_new(NULL, VMS_JSONW_PRETTY, 4, &err));
    assert_int_equal(err.code, VMS_EINVAL);
    assert_true(err.message[0] != '\0');

    out = vms_writer_buf(&b, &err);
    assert_non_null(out);
    vms_error_clear(&err);
    assert_null(vms_jsonw_new(out, (enum vms_jsonw_style)7, 4, &err));
    assert_int_equal(err.code, VMS_EINVAL);
    assert_non_null(strstr(err.message, "style"));
    vms_error_clear(&err);
    assert_null(vms_jsonw_new(out, VMS_JSONW_PRETTY, -1, &err));
    assert_int_equal(err.code, VMS_EINVAL);
    assert_non_null(strstr(err.message, "indent"));
    assert_int_equal(vms_writer_close(out, &err), 0);

    vms_error_clear(&err);
    assert_null(vms_writer_fd(-1, "x", &err));
    assert_int_equal(err.code, VMS_EINVAL);
    vms_error_clear(&err);
    assert_null(vms_writer_buf(NULL, &err));
    assert_int_equal(err.code, VMS_EINVAL);
    vms_error_clear(&err);
    assert_null(vms_writer_sink(NULL, NULL, "x", &err));
    assert_int_equal(err.code, VMS_EINVAL);
    /* a NULL error record is allowed: NULL is the answer still */
    assert_null(vms_jsonw_new(NULL, VMS_JSONW_PRETTY, 4, NULL));
}

/* A vms_writer over a buffer gets what a JSON writer writes. */
static void test_json_onto_writer(void **state)
{
    vms_buf b = { 0 };
    vms_error err = { 0 };
    vms_writer *out = vms_writer_buf(&b, &err);
    vms_jsonw *w = vms_jsonw_new(out, VMS_JSONW_COMPACT, 0, &err);

    (void)state;
    assert_non_null(w);
    vms_jsonw_begin_array(w);
    vms_jsonw_int(w, 1);
    vms_jsonw_end_array(w);
    assert_int_equal(vms_jsonw_free(w), 0);
    assert_int_equal(vms_writer_close(out, &err), 0);
    assert_string_equal(b.data, "[1]");
    vms_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_del_is_escaped),
        cmocka_unit_test(test_spaced_and_hex),
        cmocka_unit_test(test_long_hex_streams),
        cmocka_unit_test(test_sticky_error),
        cmocka_unit_test(test_constructors_fill_error),
        cmocka_unit_test(test_json_onto_writer),
        cmocka_unit_test(test_hex_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
