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
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "vmstate/dump.h"
#include "dump_priv.h"
#include "../dump_same.h"

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
    /*
     * Large inputs take the fast reader (simdjson, or yajl without
     * indentation): blanks after the error make this one large, and the
     * fast reader's failure must come out as the same located message.
     */
    if (code != VMS_ETRUNC) {
        size_t n = strlen(text), big = n + 70000;
        char *t = malloc(big);
        vms_error e2;
        vms_dump *d = NULL;

        assert_non_null(t);
        memcpy(t, text, n);
        memset(t + n, '\n', big - n);
        assert_int_equal(vms_dump_load_buffer(t, big, "t.json", &d, &e2),
                         code);
        assert_null(d);
        assert_int_equal(e2.line, line);
        assert_int_equal(e2.column, column);
        assert_string_equal(e2.message, err.message);
        free(t);
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

/*
 * Every reader on text (simdjson with and without readable padding after
 * it); each must succeed and agree with yajl on the text as it is. The
 * counts of sections and of the machine's keys are checked by the caller.
 */
static vms_dump *readers_agree(const char *text, size_t len)
{
    static const enum vms__dump_reader readers[] = {
        VMS__DUMP_YAJL_SQUEEZED, VMS__DUMP_SIMDJSON, VMS__DUMP_SIMDJSON_PADDED,
    };
    char *padded = malloc(len + 64);
    vms_dump *ref, *d;
    vms_error err;

    assert_non_null(padded);
    memcpy(padded, text, len);
    memset(padded + len, 0, 64);
    assert_int_equal(vms__dump_parse(text, len, "t", VMS__DUMP_YAJL, &ref,
                                     &err), 0);
    for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
        if (readers[i] != VMS__DUMP_YAJL_SQUEEZED &&
            !vms__dump_have_simdjson()) {
            continue;
        }
        if (vms__dump_parse(readers[i] == VMS__DUMP_SIMDJSON_PADDED ? padded
                            : text, len, "t", readers[i], &d, &err)) {
            fail_msg("reader %d: %s", (int)readers[i], err.message);
        }
        assert_true(same_dump(ref, d));
        vms_dump_free(d);
    }
    free(padded);
    return ref;
}

/* What a reader could decode its own way: escapes, numbers, repeats. */
static void test_readers_agree(void **state)
{
    static const char text[] =
        "{\"vmschkmachine\": {\"Name\": \"m\\u00e9\\ud83d\\ude00\\n\\\"\\/\","
        " \"extra\": [1.5, -0, 1e3, 18446744073709551615, true, null,"
        " {\"a\": [[]]}, \"\\u0041\"]},\n"
        " \"s\\\\q\": {\"version_id\": -0, \"minimum_version_id\":"
        " -9223372036854775808, \"x\": 1.5e3, \"Name\": \"\\u00e9\","
        " \"y\": 18446744073709551615, \"version_id\": 9223372036854775807,"
        " \"Description\": {\"name\": \"d\\tx\", \"version_id\": 2,"
        " \"Fields\": [{\"field\": \"f\", \"version_id\": 0, \"size\": 4,"
        " \"num\": 0, \"field_exists\": false, \"z\": {\"q\": -1.0E-2}},"
        " {\"field\": \"g\", \"version_id\": 1, \"size\": 8,"
        " \"Description\": {\"name\": \"in\", \"version_id\": 1}}],"
        " \"Fields\": [], \"Subsections\": [{\"name\": \"s1\","
        " \"version_id\": 3, \"Fields\": []}]}},\n"
        " \"s\\\\q\": {\"version_id\": 7}, \"t\": {\"version_id\": 1}}";
    vms_dump *d;

    (void)state;
    if (!vms__dump_have_simdjson()) {
        print_message("# SKIP simdjson: built without it\n");
    }
    d = readers_agree(text, sizeof(text) - 1);
    assert_string_equal(vms_dump_machine(d), "m\xc3\xa9\xf0\x9f\x98\x80\n\"/");
    assert_int_equal(vms_dump_section_count(d), 3);
    assert_int_equal(vms_dump_find(d, "s\\q")->version_id, 7);
    vms_dump_free(d);
}

/* The real dumps in ../shared: the models are equal. */
static void test_readers_agree_real(void **state)
{
    static const char *const files[] = {
        "dump1.json", "dump2.json", "qemu7.2-x86_64-pc-i440fx-7.2.json",
        "qemu10.0-x86_64-pc-i440fx-7.2.json",
    };
    const char *shared = getenv("VMS_SHARED");

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        FILE *f;
        char *text;
        long len;
        vms_dump *d;

        snprintf(path, sizeof(path), "%s/testdata/checker/%s",
                 shared ? shared : "", files[i]);
        f = shared ? fopen(path, "rb") : NULL;
        if (!f) {
            print_message("# SKIP %s: no ../shared\n", files[i]);
            skip();
        }
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        rewind(f);
        text = malloc((size_t)len);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        d = readers_agree(text, (size_t)len);
        assert_true(vms_dump_section_count(d) > 10);
        vms_dump_free(d);
        free(text);
    }
}

/*
 * Text that simdjson refuses and yajl takes (as the reader configures
 * it): the large-input path must fall back and load it, as yajl does.
 */
static void test_fast_path_fallback(void **state)
{
    static const char *const docs[] = {
        /* invalid UTF-8 in a name */
        "{\"vmschkmachine\": {\"Name\": \"m\xff\"}}",
        /* \v and \f as blanks */
        "{\"vmschkmachine\":\v{\"Name\":\f\"m\"}}",
        /* a number beyond double, where values are ignored */
        "{\"vmschkmachine\": {\"Name\": \"m\", \"x\": 1e400}}",
        ("{\"vmschkmachine\": {\"Name\": \"m\", \"x\": "
         "123456789012345678901234567890}}"),
    };

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        size_t n = strlen(docs[i]), big = n + 70000;
        char *t = malloc(big);
        vms_dump *d = NULL, *ref = NULL;
        vms_error err;

        assert_non_null(t);
        memcpy(t, docs[i], n);
        memset(t + n, ' ', big - n);
        if (vms_dump_load_buffer(t, big, "t.json", &d, &err)) {
            fail_msg("doc %zu: %s", i, err.message);
        }
        assert_int_equal(vms__dump_parse(t, big, "t.json", VMS__DUMP_YAJL,
                                         &ref, &err), 0);
        assert_true(same_dump(ref, d));
        vms_dump_free(d);
        vms_dump_free(ref);
        free(t);
    }
}

/*
 * A file is mapped with a page of zeros after it for simdjson to read
 * past its end: a size that fills its last page exactly must load too.
 */
static void test_file_page_multiple(void **state)
{
    static const char head[] = "{\"vmschkmachine\": {\"Name\": \"m\"},"
                               " \"s\": {\"version_id\": 4}}";
    size_t len = 2 * 65536;
    char *text = malloc(len), path[] = "/tmp/test_dump_XXXXXX";
    int fd = mkstemp(path);
    vms_error err;
    vms_dump *d;

    (void)state;
    assert_non_null(text);
    assert_true(fd >= 0);
    memcpy(text, head, sizeof(head) - 1);
    memset(text + sizeof(head) - 1, ' ', len - (sizeof(head) - 1));
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    assert_int_equal(vms_dump_load(path, &d, &err), 0);
    assert_int_equal(vms_dump_find(d, "s")->version_id, 4);
    vms_dump_free(d);
    /* And its error is the one yajl words, from the text's end. */
    text[len - 1] = '}';
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    assert_int_equal(vms_dump_load(path, &d, &err), VMS_EFORMAT);
    assert_null(d);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, (int)len);
    unlink(path);
    free(text);
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
        cmocka_unit_test(test_readers_agree),
        cmocka_unit_test(test_readers_agree_real),
        cmocka_unit_test(test_fast_path_fallback),
        cmocka_unit_test(test_file_page_multiple),
        cmocka_unit_test(test_file_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
