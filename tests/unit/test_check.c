/*
 * The checker through the library API: --format json parsed back with
 * jansson must hold the same findings, in the same order, as QEMU's text;
 * python-only corners (truthiness of "", the "" section lookup) behave as
 * in QEMU's script.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>
#include "vmstate/check.h"
#include "writer.h"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void test_json_matches_text(void **state)
{
    static const char *const kinds[] = {
        "machine_type", "section_missing", "version", "field_mismatch",
        "entry_missing", "description_missing", "entry_missing",
        "no_more_fields", "min_version", "entry_missing",
        "description_renamed", "version", "subsection_missing", "size",
    };
    const char *shared = getenv("VMS_SHARED");
    char src[512], dest[512], exp[512];
    vms_check_report *r;
    vms_buf text = { 0 }, js = { 0 };
    json_error_t jerr;
    vms_writer *w;
    vms_error err;
    json_t *doc, *findings;
    char *want;

    (void)state;
    snprintf(src, sizeof(src), "%s/testdata/checker/dump1.json", shared);
    snprintf(dest, sizeof(dest), "%s/testdata/checker/dump2.json", shared);
    snprintf(exp, sizeof(exp), "%s/testdata/checker/expected/"
             "dump1__dump2.out", shared);
    want = read_text(exp);
    if (!shared || !want) {
        skip();
    }
    assert_int_equal(vms_check_files(src, dest, NULL, &r, &err), 0);
    assert_int_equal(r->errors, 13);
    assert_int_equal(r->n_findings, sizeof(kinds) / sizeof(kinds[0]));

    w = vms_writer_buf(&text, &err);
    assert_int_equal(vms_check_report_write(r, VMS_CHECK_TEXT, w, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    assert_string_equal(text.data, want);

    w = vms_writer_buf(&js, &err);
    assert_int_equal(vms_check_report_write(r, VMS_CHECK_JSON, w, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    /* an unknown format is the caller's mistake, said in err */
    vms_error_clear(&err);
    w = vms_writer_buf(&js, &err);
    assert_int_equal(vms_check_report_write(r, (enum vms_check_format)9, w,
                                            &err), VMS_EINVAL);
    assert_int_equal(err.code, VMS_EINVAL);
    assert_int_equal(vms_writer_close(w, NULL), 0);
    doc = json_loadb(js.data, js.len, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "src")), src);
    assert_int_equal(json_integer_value(json_object_get(doc, "errors")), 13);
    findings = json_object_get(doc, "findings");
    assert_int_equal(json_array_size(findings), sizeof(kinds) / sizeof(kinds[0]));
    /* One finding per text line, same order, same words. */
    {
        char *line = text.data;

        for (size_t i = 0; i < json_array_size(findings); i++) {
            json_t *f = json_array_get(findings, i);
            const char *msg = json_string_value(json_object_get(f,
                                                                "message"));
            char *nl = strchr(line, '\n');

            assert_non_null(nl);
            *nl = 0;
            assert_string_equal(msg, line);
            line = nl + 1;
            assert_string_equal(json_string_value(json_object_get(f,
                                "kind")), kinds[i]);
            assert_true(json_is_boolean(json_object_get(f, "counted")));
        }
    }
    /* Typed values: numbers stay numbers. */
    {
        json_t *size = json_array_get(findings, 13);

        assert_int_equal(json_integer_value(json_object_get(size, "src")), 4);
        assert_int_equal(json_integer_value(json_object_get(size, "dest")),
                         2);
        assert_string_equal(json_string_value(json_object_get(size, "field")),
                            "kbd.keycodes");
    }
    json_decref(doc);
    free(text.data);
    vms_buf_free(&js);
    free(want);
    vms_check_report_free(r);
}

typedef struct lines {
    char buf[4096];
    size_t len;
    int n;
} lines;

static int add_line(void *opaque, const vms_finding *f)
{
    lines *l = opaque;
    vms_buf b = { 0 };
    vms_writer *w = vms_writer_buf(&b, NULL);

    assert_non_null(w);
    assert_int_equal(vms_finding_write_text(f, w, NULL), 0);
    assert_int_equal(vms_writer_close(w, NULL), 0);
    assert_true(b.len < sizeof(l->buf) - l->len);
    memcpy(l->buf + l->len, b.data, b.len);
    l->len += b.len;
    l->buf[l->len] = '\0';
    vms_buf_free(&b);
    l->n++;
    return 0;
}

static int add_line_count(void *opaque, const vms_finding *f)
{
    (void)f;
    ((lines *)opaque)->n++;
    return 0;
}

static void run(const char *a, const char *b, const char *want, int errors)
{
    vms_dump *s, *d;
    vms_error err;
    lines l = { .len = 0 };
    int n = -1;

    assert_int_equal(vms_dump_load_buffer(a, strlen(a), "a", &s, &err), 0);
    assert_int_equal(vms_dump_load_buffer(b, strlen(b), "b", &d, &err), 0);
    assert_int_equal(vms_check_dumps(s, d, NULL, add_line, &l, &n, &err), 0);
    l.buf[l.len] = 0;
    assert_string_equal(l.buf, want);
    assert_int_equal(n, errors);
    vms_dump_free(s);
    vms_dump_free(d);
}

#define M "{\"vmschkmachine\": {\"Name\": \"m\"}, "

static void test_python_corners(void **state)
{
    (void)state;
    /* An empty description name is false in python: no Description part. */
    run(M "\"s\": {\"version_id\": 1, \"Description\": {\"name\": \"\","
        " \"version_id\": 2}}}",
        M "\"s\": {\"version_id\": 1, \"Description\": {\"name\": \"\","
        " \"version_id\": 1, \"minimum_version_id\": 3}}}",
        "Section \"s\" version error: 2 > 1\nSection \"s\" ", 1);
    /* A section missing from dest is looked up again as "". */
    run(M "\"s\": {\"version_id\": 2}}",
        M "\"\": {\"version_id\": 1}}",
        "Section \"s\" version error: 2 > 1\n", 1);
    /* The error count stops at 255, findings do not. */
    {
        char a[20000], b[100];
        size_t n = (size_t)snprintf(a, sizeof(a), M);

        for (int i = 0; i < 300; i++) {
            n += (size_t)snprintf(a + n, sizeof(a) - n,
                                  "\"s%d\": {\"version_id\": 1}, ", i);
        }
        snprintf(a + n - 2, sizeof(a) - n + 2, "}");
        snprintf(b, sizeof(b), M "\"x\": {\"version_id\": 1}}");
        {
            vms_dump *s, *d;
            vms_error err;
            lines l = { .len = 0 };
            int errors;

            assert_int_equal(vms_dump_load_buffer(a, strlen(a), "a", &s,
                                                  &err), 0);
            assert_int_equal(vms_dump_load_buffer(b, strlen(b), "b", &d,
                                                  &err), 0);
            l.len = 0;
            assert_int_equal(vms_check_dumps(s, d, NULL, add_line_count, &l,
                                             &errors, &err), 0);
            assert_int_equal(errors, 255);
            assert_int_equal(l.n, 300);
            vms_dump_free(s);
            vms_dump_free(d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_matches_text),
        cmocka_unit_test(test_python_corners),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
