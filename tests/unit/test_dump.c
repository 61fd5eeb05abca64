/*
 * The dump loader on hand-made input: the model keeps file order and
 * python's dict semantics, and hostile input is refused with a position.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "vmstate/dump.h"

static vms_dump *load(const char *text, vms_error *err)
{
    vms_dump *d = NULL;
    int r = vms_dump_load_buffer(text, strlen(text), "t.json", &d, err);

    assert_true(r == 0 ? d != NULL : d == NULL);
    return d;
}

static void test_model(void **state)
{
    static const char text[] =
        "{\"vmschkmachine\": {\"Name\": \"m\"},\n"
        " \"b\": {\"version_id\": 3, \"zz\": 1, \"Description\":\n"
        "  {\"name\": \"b\", \"version_id\": 3, \"minimum_version_id\": 2,\n"
        "   \"Fields\": [{\"field\": \"x\", \"version_id\": 0, \"size\": 4,"
        " \"num\": 3, \"field_exists\": true},\n"
        "              {\"field\": \"s\", \"version_id\": 1, \"size\": 8,\n"
        "               \"Description\": {\"name\": \"in\", \"version_id\": 1,"
        " \"Fields\": []}}],\n"
        "   \"Subsections\": [{\"name\": \"b/1\", \"version_id\": 1},"
        " {\"name\": \"b/2\", \"version_id\": -2}]}},\n"
        " \"a\": {\"version_id\": 1}}\n";
    vms_error err;
    vms_dump *d = load(text, &err);
    const vms_dump_section *s;
    const vms_dump_field *f;
    const vms_dump_key *k;

    (void)state;
    assert_non_null(d);
    assert_string_equal(vms_dump_machine(d), "m");
    assert_int_equal(vms_dump_section_count(d), 3);
    s = vms_dump_sections(d);
    assert_string_equal(s->key, "vmschkmachine");
    s = s->next;
    assert_string_equal(s->key, "b");
    assert_ptr_equal(vms_dump_find(d, "b"), s);
    assert_null(vms_dump_find(d, "c"));
    k = s->keys;
    assert_string_equal(k->name, "version_id");
    assert_string_equal(k->next->name, "zz");
    assert_string_equal(k->next->next->name, "Description");
    assert_null(k->next->next->next);
    assert_int_equal(s->desc->minimum_version_id, 2);
    assert_true(s->desc->has_minimum_version_id);
    f = s->desc->fields;
    assert_string_equal(f->name, "x");
    assert_true(f->has_num && f->num == 3 && f->field_exists);
    f = f->next;
    assert_string_equal(f->desc->name, "in");
    assert_true(f->desc->has_fields);
    assert_null(f->desc->fields);
    assert_null(f->next);
    assert_string_equal(s->desc->subsections->next->name, "b/2");
    assert_int_equal(s->desc->subsections->next->version_id, -2);
    assert_string_equal(s->next->key, "a");
    vms_dump_free(d);
}

/* python's json: a repeated key keeps its first place and its last value. */
static void test_duplicates(void **state)
{
    vms_error err;
    vms_dump *d = load("{\"a\": {\"version_id\": 1},"
                       " \"vmschkmachine\": {\"Name\": \"m\"},"
                       " \"a\": {\"version_id\": 2, \"version_id\": 5}}",
                       &err);

    (void)state;
    assert_non_null(d);
    assert_int_equal(vms_dump_section_count(d), 2);
    assert_string_equal(vms_dump_sections(d)->key, "a");
    assert_int_equal(vms_dump_sections(d)->version_id, 5);
    assert_null(vms_dump_sections(d)->keys->next);
    vms_dump_free(d);
}

static void expect_error(const char *text, int code, int line, int column,
                         const char *msg)
{
    vms_error err;

    assert_null(load(text, &err));
    if (err.code != code) {
        fail_msg("code %d, want %d: %s", err.code, code, err.message);
    }
    assert_string_equal(err.file, "t.json");
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    if (!strstr(err.message, msg)) {
        fail_msg("\"%s\" lacks \"%s\"", err.message, msg);
    }
}

static void test_errors(void **state)
{
    char deep[1200];

    (void)state;
    expect_error("", VMS_ETRUNC, 1, 1, "empty");
    expect_error("{\"vmschkmachine\": {\"Name\": \"m\"}", VMS_ETRUNC, 1, 32,
                 "premature EOF");
    expect_error("{\n  \"vmschkmachine\": {\"Name\": 1}}", VMS_EFORMAT, 2,
                 29, "\"Name\" is an integer, not a string");
    expect_error("{\"vmschkmachine\": {\"Name\": \"m\"},\n"
                 " \"s\": {\"Name\": \"s\"}}", VMS_EFORMAT, 2, 7,
                 "section \"s\" has no \"version_id\"");
    expect_error("{\"vmschkmachine\": {\"Name\": \"m\"}, \"s\": {\"version_id\":"
                 " 1, \"Description\": {\"name\": \"d\", \"version_id\": 1,"
                 " \"Fields\": [{\"field\": \"f\", \"version_id\": 1}]}}}",
                 VMS_EFORMAT, 1, 114, "field \"f\" has no \"size\"");
    expect_error("{\"vmschkmachine\": {\"Name\": \"m\"}, \"s\": "
                 "{\"version_id\": 1e3}}", VMS_EFORMAT, 1, 54, "1e3");
    expect_error("{\"vmschkmachine\": {\"Name\": \"m\"}, \"s\": "
                 "{\"version_id\": -9223372036854775809}}", VMS_EFORMAT, 1,
                 54, "not a 64-bit integer");
    expect_error("{\"vmschkmachine\": {\"Name\": \"a\\u0000\"}}", VMS_EFORMAT,
                 1, 28, "NUL");
    expect_error("\"x\"", VMS_EFORMAT, 1, 1, "top level is a string");
    /* An ignored key's value is still bounded in depth. */
    {
        size_t n = (size_t)snprintf(deep, sizeof(deep),
                                    "{\"s\": {\"x\": ");

        memset(deep + n, '[', 300);
        memset(deep + n + 300, ']', 300);
        snprintf(deep + n + 600, sizeof(deep) - n - 600, "}}");
    }
    expect_error(deep, VMS_ELIMIT, 1, 267, "nesting deeper");
}

/*
 * Large inputs are parsed without their indentation first; an error must
 * still name the line and column of the original text.
 */
static void test_large_input_positions(void **state)
{
    size_t cap = 200000, n;
    char *big = malloc(cap);
    vms_error err;
    vms_dump *d;
    const char *tail;
    int line = 2;

    (void)state;
    n = (size_t)snprintf(big, cap, "{\n  \"vmschkmachine\": {\"Name\": \"m\"}");
    while (n < cap - 200) {
        n += (size_t)snprintf(big + n, cap - n,
                              ",\n        \"s%d\": {\"version_id\": 1}",
                              line);
        line++;
    }
    tail = ",\n      \"bad\": {\"version_id\": true}}";
    memcpy(big + n, tail, strlen(tail));
    assert_int_equal(vms_dump_load_buffer(big, n + strlen(tail), "big", &d,
                                          &err), VMS_EFORMAT);
    assert_int_equal(err.line, line + 1);
    assert_int_equal(err.column, 29);
    /* And the same text without the error loads. */
    memcpy(big + n, "}\n", 3);
    assert_int_equal(vms_dump_load_buffer(big, n + 2, "big", &d, &err), 0);
    assert_int_equal(vms_dump_section_count(d), (size_t)line - 1);
    vms_dump_free(d);
    free(big);
}

static void test_file_errors(void **state)
{
    vms_error err;
    vms_dump *d;

    (void)state;
    assert_int_equal(vms_dump_load("/nonexistent/x.json", &d, &err),
                     VMS_ENOTFOUND);
    assert_null(d);
    assert_string_equal(err.file, "/nonexistent/x.json");
    assert_int_equal(vms_dump_load("/", &d, &err), VMS_EINVAL);
    assert_null(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_large_input_positions),
        cmocka_unit_test(test_file_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
