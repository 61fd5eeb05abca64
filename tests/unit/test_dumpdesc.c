/*
 * Descriptions built from a -dump-vmstate dump (vms_dump_device) on real
 * data: QEMU 10.0's dump and a stream of the same QEMU with vmdesc and
 * footers. Every device section is decoded through the dump's description
 * as well: where that decode ends exactly at the section's end it must
 * write the same bytes again and give every leaf the bytes the vmdesc's
 * description gives it; the number of such sections is known, and the
 * others are the ones unpack reports (unit-tested here through
 * vms_unpack_read with ops.dump on the stream as it is).
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
#include "vmstate/dump.h"
#include "vmstate/pack.h"
#include "vmstate/sections.h"
#include "vmstate/visitor.h"
#include "bytes.h"
#include "table.h"
#include "walk.h"
#include "dumpdesc.h"
#include "writer.h"

#define STREAM "/testdata/streams/qemu10.0-x86_64-pc-i440fx-devices.mig"
#define DUMP "/testdata/checker/qemu10.0-x86_64-pc-i440fx-7.2.json"
/* Device sections of that stream the dump describes exactly. */
#define EXPECT_FULL 23

static char stream_path[4096], dump_path[4096];

static bool have_data(void)
{
    const char *sh = getenv("VMS_SHARED");

    if (!sh) {
        return false;
    }
    snprintf(stream_path, sizeof(stream_path), "%s" STREAM, sh);
    snprintf(dump_path, sizeof(dump_path), "%s" DUMP, sh);
    return access(stream_path, R_OK) == 0 && access(dump_path, R_OK) == 0;
}

/* Every leaf element's wire bytes, in walk order, concatenated with sizes. */
typedef struct leaves {
    vms_visitor v;
    vms_buf bytes;
    size_t sizes[65536];
    size_t n;
} leaves;

static int l_leaf(vms_visitor *v, const vms_field *f, void *elem,
                  size_t size)
{
    leaves *l = (leaves *)v;
    uint8_t *tmp = malloc(size ? size : 1);
    int e;

    if (!tmp || l->n == VMS__ARRAY_SIZE(l->sizes)) {
        free(tmp);
        return VMS_ELIMIT;
    }
    vms_leaf_to_wire(f, elem, size, tmp);
    l->sizes[l->n++] = size;
    e = vms__buf_append(&l->bytes, tmp, size) ? VMS_ENOMEM : 0;
    free(tmp);
    return e;
}

static const vms_visit_ops leaf_ops = {
    .leaf = l_leaf,
    .free = vms__visitor_free_plain,
};

static leaves *collect(const vms_desc *d, void *state)
{
    leaves *l = (leaves *)vms__visitor_alloc(sizeof(*l), &leaf_ops, false,
                                            NULL);
    assert_non_null(l);
    assert_int_equal(vms_walk(&l->v, d, state, 0, NULL), 0);
    return l;
}

/* The same leaves: as many, each of the same size and bytes. */
static void same_leaves(const leaves *a, const leaves *b, const char *what)
{
    if (a->n != b->n || memcmp(a->sizes, b->sizes, a->n * sizeof(size_t))) {
        print_error("%s: %zu leaves through the dump, %zu through the "
                    "vmdesc, or sizes differ\n", what, a->n, b->n);
        fail();
    }
    assert_int_equal(a->bytes.len, b->bytes.len);
    if (a->bytes.len) {
        assert_memory_equal(a->bytes.data, b->bytes.data, a->bytes.len);
    }
}

typedef struct ctx {
    vms_stream *s;
    vms_dump *dump;
    unsigned devices, full, first_alt, noted, decoded_with_dump;
} ctx;

static int item(void *opaque, const vms_unpack_item *it, vms_error *err)
{
    ctx *c = opaque;
    const vms_record *r = &it->rec;
    vms_buf body = { 0 }, again = { 0 };
    vms_writer *w;
    vms_reader *rd;
    vms_visitor *in, *out;
    const vms_desc *d;
    size_t size;
    uint8_t *state;
    vms_error e2 = { 0 };
    char why[600];
    uint64_t at;
    bool ends;

    (void)err;
    if (r->type != VMS_REC_SECTION_FULL ||
        vms_section_kind(r->idstr, r->instance_id) != VMS_SECTION_DEVICE) {
        return 0;
    }
    c->devices++;
    /* the vmdesc describes all of this stream's device sections */
    assert_int_equal(it->body, VMS_BODY_DEVICE);
    w = vms_writer_buf(&body, NULL);
    assert_int_equal(vms_stream_copy(c->s, it->body_off, it->body_len, w,
                                     NULL), 0);
    assert_int_equal(vms_writer_close(w, NULL), 0);
    /* the rule the commands use, at the body as they call it */
    at = vms_stream_offset(c->s);
    assert_int_equal(vms_reader_seek(vms_stream_reader(c->s), it->body_off,
                                     NULL), 0);
    if (vms__dump_section_pick(c->s, c->dump, r, &d, &size, why,
                               sizeof(why), &e2)) {
        assert_int_equal(e2.code, VMS_ENOTFOUND);
        assert_int_equal(vms_reader_seek(vms_stream_reader(c->s), at, NULL),
                         0);
        vms_buf_free(&body);
        return 0;
    }
    assert_int_equal(vms_stream_offset(c->s), it->body_off);
    assert_int_equal(vms_reader_seek(vms_stream_reader(c->s), at, NULL), 0);
    {
        /* what the first alternative (every field present) gives */
        const vms_desc *d0;
        size_t size0;
        assert_int_equal(vms_dump_device(c->dump, r->idstr, r->version_id,
                                         &d0, &size0, NULL), 0);
        c->first_alt += d == d0;
    }
    if (!d) {
        assert_true(why[0] != 0);   /* a raw section says why */
        vms_buf_free(&body);
        return 0;
    }
    assert_true(d->user != 0);      /* to be checked against the footer */
    state = calloc(1, size ? size : 1);
    rd = vms_reader_mem(body.data ? body.data : (const void *)"", body.len,
                        "body", NULL);
    in = vms_wire_input_new(rd, NULL);
    ends = vms_walk(in, d, state, (int)r->version_id, &e2) == 0 &&
           vms_reader_offset(rd) == body.len;
    vms_visitor_free(in);
    vms_reader_close(rd);
    /* accepted means: the decode ends at the footer, leaf for leaf */
    assert_true(ends);
    {
        leaves *a, *b;
        c->full++;
        w = vms_writer_buf(&again, NULL);
        out = vms_wire_output_new(w, NULL);
        assert_int_equal(vms_walk(out, d, state, 0, NULL), 0);
        vms_visitor_free(out);
        assert_int_equal(vms_writer_close(w, NULL), 0);
        assert_int_equal(again.len, body.len);
        if (body.len) {
            assert_memory_equal(again.data, body.data, body.len);
        }
        a = collect(d, state);
        b = collect(it->desc, it->state);
        same_leaves(a, b, r->idstr);
        vms_buf_free(&a->bytes);
        vms_buf_free(&b->bytes);
        vms_visitor_free(&a->v);
        vms_visitor_free(&b->v);
    }
    free(state);
    vms_buf_free(&body);
    vms_buf_free(&again);
    return 0;
}

static void every_device_section(void **unused)
{
    ctx c = { 0 };
    vms_error err = { 0 };
    vms_unpack_ops ops = { .opaque = &c, .item = item };

    (void)unused;
    if (!have_data()) {
        skip();
    }
    assert_int_equal(vms_dump_load(dump_path, &c.dump, &err), 0);
    assert_non_null(c.s = vms_stream_open(stream_path, &err));
    assert_int_equal(vms_unpack_read(c.s, &ops, &err), 0);
    print_message("# %u device sections, %u decoded exactly through the "
                  "dump (%u with every field_exists field present)\n",
                  c.devices, c.full, c.first_alt);
    assert_int_equal(c.devices, 37);
    assert_int_equal(c.full, EXPECT_FULL);
    /* the alternatives are what decodes the PCI devices */
    assert_true(c.first_alt < c.full);
    vms_stream_close(c.s);
    vms_dump_free(c.dump);
}

/* The stream as it is, with the dump as well: the vmdesc still wins. */
static int count_notes(void *opaque, const vms_unpack_item *it,
                       vms_error *err)
{
    ctx *c = opaque;

    (void)err;
    c->noted += it->note != NULL;
    c->decoded_with_dump += it->body == VMS_BODY_DEVICE;
    return 0;
}

static void vmdesc_wins(void **unused)
{
    ctx c = { 0 };
    vms_error err = { 0 };
    vms_unpack_ops ops = { .opaque = &c, .item = count_notes };

    (void)unused;
    if (!have_data()) {
        skip();
    }
    assert_int_equal(vms_dump_load(dump_path, &c.dump, &err), 0);
    ops.dump = c.dump;
    assert_non_null(c.s = vms_stream_open(stream_path, &err));
    assert_int_equal(vms_unpack_read(c.s, &ops, &err), 0);
    assert_int_equal(c.noted, 0);
    assert_int_equal(c.decoded_with_dump, 37);
    vms_stream_close(c.s);
    vms_dump_free(c.dump);
}

static void lookup_and_versions(void **unused)
{
    vms_dump *dump;
    vms_error err = { 0 };
    const vms_desc *d, *d2;
    size_t size;

    (void)unused;
    if (!have_data()) {
        skip();
    }
    assert_int_equal(vms_dump_load(dump_path, &dump, &err), 0);
    /* the vmsd name is the idstr's last part */
    assert_int_equal(vms_dump_device(dump, "0000:00:01.0/PIIX3", 3, &d,
                                     &size, &err), 0);
    assert_string_equal(d->name, "PIIX3");
    assert_int_equal(vms_dump_device(dump, "0000:00:01.0/PIIX3", 3, &d2,
                                     &size, &err), 0);
    assert_ptr_equal(d, d2);        /* built once */
    /* i8259 v1: 16 fields of one byte, integers */
    assert_int_equal(vms_dump_device(dump, "i8259", 1, &d, &size, &err), 0);
    assert_int_equal(d->n_fields, 16);
    assert_string_equal(vms_field_type_name(&d->fields[2]), "uint8");
    assert_string_equal(d->fields[2].name, "imr");
    assert_int_equal(vms_dump_device(dump, "i8259", 2, &d, &size, &err),
                     VMS_EVERSION);
    assert_non_null(strstr(err.message, "i8259"));
    assert_int_equal(vms_dump_device(dump, "no-such-thing", 1, &d, &size,
                                     &err), VMS_ENOTFOUND);
    assert_non_null(strstr(err.message, "no-such-thing"));
    vms_dump_free(dump);
}

/* A hostile dump: sizes and counts the builder must refuse. */
static void hostile_dump(void **unused)
{
    static const char *const bad[] = {
        "{\"vmschkmachine\": {\"Name\": \"m\"}, \"x\": {\"Name\": \"x\", "
        "\"version_id\": 1, \"Description\": {\"name\": \"x\", "
        "\"version_id\": 1, \"Fields\": [{\"field\": \"a\", \"version_id\": "
        "0, \"field_exists\": false, \"size\": -1}]}}}",
        "{\"vmschkmachine\": {\"Name\": \"m\"}, \"x\": {\"Name\": \"x\", "
        "\"version_id\": 1, \"Description\": {\"name\": \"x\", "
        "\"version_id\": 1, \"Fields\": [{\"field\": \"a\", \"version_id\": "
        "0, \"field_exists\": false, \"size\": 4096, \"num\": 4000000000}]}}}",
        "{\"vmschkmachine\": {\"Name\": \"m\"}, \"x\": {\"Name\": \"x\", "
        "\"version_id\": 1, \"Description\": {\"name\": \"x\", "
        "\"version_id\": 1, \"Fields\": [{\"field\": \"a\", \"version_id\": "
        "0, \"field_exists\": false, \"size\": 1048576, \"num\": 1048576}]}}}",
    };

    (void)unused;
    for (size_t i = 0; i < VMS__ARRAY_SIZE(bad); i++) {
        vms_dump *dump;
        vms_error err = { 0 };
        const vms_desc *d;
        size_t size;
        assert_int_equal(vms_dump_load_buffer(bad[i], strlen(bad[i]), "bad",
                                              &dump, &err), 0);
        assert_true(vms_dump_device(dump, "x", 1, &d, &size, &err) < 0);
        assert_true(err.message[0] != 0);
        vms_dump_free(dump);
    }
}

/*
 * Inputs fuzz_dump found (tests/fuzz/regressions/dump-*): a name that is
 * not UTF-8 once leaked the half-built vmdesc form. Leaks show under the
 * sanitizer build's LSan.
 */
static void fuzz_regressions(void **unused)
{
    static const char *const names[] = { "dump-nonutf8-name-leak" };
    const char *src = getenv("VMS_SRCDIR");

    (void)unused;
    if (!src) {
        skip();
    }
    for (size_t i = 0; i < VMS__ARRAY_SIZE(names); i++) {
        char path[4096];
        vms_dump *dump;
        vms_error err = { 0 };
        snprintf(path, sizeof(path), "%s/tests/fuzz/regressions/%s", src,
                 names[i]);
        assert_int_equal(vms_dump_load(path, &dump, &err), 0);
        for (const vms_dump_section *s = vms_dump_sections(dump); s;
             s = s->next) {
            const vms_desc *d;
            size_t size;
            if (s->desc && s->desc->name && s->version_id >= 0 &&
                s->version_id <= INT32_MAX) {
                vms_dump_device(dump, s->desc->name,
                                (uint32_t)s->version_id, &d, &size, &err);
            }
        }
        vms_dump_free(dump);
    }
}

/* A stream of one FULL section "x" version 1 with body, and a footer. */
static char *one_section(const void *body, size_t len)
{
    static char path[64];
    uint8_t b[256];
    size_t n = 0;
    int fd;

    memcpy(b, "QEVM\0\0\0\3", 8);
    n = 8;
    b[n++] = VMS_REC_SECTION_FULL;
    vms__put_be32(b + n, 1);
    n += 4;
    b[n++] = 1;
    b[n++] = 'x';
    vms__put_be32(b + n, 0);             /* instance */
    n += 4;
    vms__put_be32(b + n, 1);             /* version */
    n += 4;
    memcpy(b + n, body, len);
    n += len;
    b[n++] = VMS_REC_FOOTER;
    vms__put_be32(b + n, 1);
    n += 4;
    b[n++] = VMS_REC_EOF;
    snprintf(path, sizeof(path), "/tmp/vms-test-dumpdesc-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
    return path;
}

/*
 * vms__dump_section_pick on "x" of the stream with body, the dump text:
 * the decoding description's field count, -1 when it stays raw.
 */
static int pick(const char *dump_text, const void *body,
                            size_t len, char *why, size_t why_len)
{
    char *path = one_section(body, len);
    vms_dump *dump;
    vms_stream *s;
    vms_record rec;
    vms_error err = { 0 };
    const vms_desc *d;
    size_t size;
    unsigned n_fields = 0;

    assert_int_equal(vms_dump_load_buffer(dump_text, strlen(dump_text),
                                          "dump", &dump, &err), 0);
    assert_non_null(s = vms_stream_open(path, &err));
    assert_int_equal(vms_stream_next(s, &rec, NULL, &err), 0);
    assert_string_equal(rec.idstr, "x");
    assert_int_equal(vms__dump_section_pick(s, dump, &rec, &d, &size, why,
                                            why_len, &err), 0);
    n_fields = d ? (unsigned)d->n_fields : 0;
    print_message("# %zu bytes: %s%u fields; %s\n", len, d ? "" : "raw, ",
                  n_fields, why);
    vms_stream_close(s);
    vms_dump_free(dump);        /* owns d: only its field count is used */
    unlink(path);
    return d ? (int)n_fields : -1;
}

#define DUMP_HEAD "{\"vmschkmachine\": {\"Name\": \"m\"}, \"x\": {\"Name\": " \
    "\"x\", \"version_id\": 1, \"Description\": {\"name\": \"x\", " \
    "\"version_id\": 1, \"minimum_version_id\": 1, \"Fields\": ["
#define FIELD(name, size, exists) "{\"field\": \"" name "\", " \
    "\"version_id\": 0, \"field_exists\": " exists ", \"size\": " \
    #size ", \"num\": 1}"

/*
 * a, then b and c that are each sent only when a predicate says so: 1
 * byte is a alone, 3 bytes all three, and 2 bytes either a+b or a+c,
 * which nothing tells apart: raw, "ambiguous".
 */
static void predicates_tried_both_ways(void **unused)
{
    static const char dump[] = DUMP_HEAD FIELD("a", 1, "false") ", "
        FIELD("b", 1, "true") ", " FIELD("c", 1, "true") "]}}}";
    char why[600];

    (void)unused;
    assert_int_equal(pick(dump, "\1", 1, why, sizeof(why)), 1);
    assert_int_equal(pick(dump, "\1\2\3", 3, why, sizeof(why)), 3);
    assert_int_equal(pick(dump, "\1\2", 2, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "ambiguous"));
    assert_non_null(strstr(why, "b, c"));
    assert_int_equal(pick(dump, "\1\2\3\4", 4, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no mix"));
}

/*
 * More than 2^4 mixes: not tried, raw with a note that says so, even
 * though all fields present would fit.
 */
static void too_many_predicates(void **unused)
{
    static const char dump[] = DUMP_HEAD FIELD("a", 1, "true") ", "
        FIELD("b", 1, "true") ", " FIELD("c", 1, "true") ", "
        FIELD("d", 1, "true") ", " FIELD("e", 1, "true") "]}}}";
    char why[600];

    (void)unused;
    assert_int_equal(pick(dump, "\1\2\3\4\5", 5, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "5 fields"));
}

/*
 * The note blames a field the decode reached: z, whose length the dump
 * does not give, is in a subsection this section does not send, so it is
 * not the reason; y (same problem) at the top level is.
 */
static void note_names_a_reached_field(void **unused)
{
    static const char unreached[] = DUMP_HEAD FIELD("a", 1, "false") "], "
        "\"Subsections\": [{\"name\": \"x/s\", \"version_id\": 1, "
        "\"Fields\": [" FIELD("z", 0, "false") "]}]}}}";
    static const char reached[] = DUMP_HEAD FIELD("a", 1, "false") ", "
        FIELD("y", 0, "false") "], "
        "\"Subsections\": [{\"name\": \"x/s\", \"version_id\": 1, "
        "\"Fields\": [" FIELD("z", 0, "false") "]}]}}}";
    static const char in_array[] = DUMP_HEAD "{\"field\": \"s\", "
        "\"version_id\": 0, \"field_exists\": false, \"size\": 1, "
        "\"num\": 2, \"Description\": {\"name\": \"sub\", \"version_id\": 1, "
        "\"Fields\": [" FIELD("g", 1, "false") ", " FIELD("q", 0, "false")
        "]}}]}}}";
    char why[600];

    (void)unused;
    assert_int_equal(pick(unreached, "\1\2", 2, why, sizeof(why)), -1);
    assert_null(strstr(why, "field z"));
    assert_int_equal(pick(reached, "\1\2", 2, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "field y"));
    /* inside an array of structs: the walk's "x.s[1].q" is field s.q */
    assert_int_equal(pick(in_array, "\1\2\3", 3, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "field q"));
}


/*
 * A doubtful field deep in nested structs, its path longer than a doubt
 * used to hold (160 bytes; the walk names paths up to 255): it is still
 * the one blamed, also past the walk's bound, where both paths are cut.
 * levels structs of 40-character names, then g (1 byte) and the doubtful
 * field, whose length the dump does not give.
 */
static void long_paths_blamed(unsigned levels)
{
    char dump[4096], name[41], why[600];
    size_t n;

    n = (size_t)snprintf(dump, sizeof(dump), "%s", DUMP_HEAD);
    for (unsigned i = 0; i < levels; i++) {
        memset(name, 'a' + (int)i, 40);
        name[40] = 0;
        n += (size_t)snprintf(dump + n, sizeof(dump) - n,
                              "{\"field\": \"%s\", \"version_id\": 0, "
                              "\"field_exists\": false, \"size\": 2, "
                              "\"num\": 1, \"Description\": {\"name\": "
                              "\"d%u\", \"version_id\": 1, \"Fields\": [",
                              name, i);
    }
    memset(name, 'y', 40);
    name[40] = 0;
    n += (size_t)snprintf(dump + n, sizeof(dump) - n,
                          FIELD("g", 1, "false") ", {\"field\": \"%s\", "
                          "\"version_id\": 0, \"field_exists\": false, "
                          "\"size\": 0, \"num\": 1}", name);
    for (unsigned i = 0; i < levels; i++) {
        n += (size_t)snprintf(dump + n, sizeof(dump) - n, "]}}");
    }
    n += (size_t)snprintf(dump + n, sizeof(dump) - n, "]}}}");
    assert_true(n < sizeof(dump));
    assert_int_equal(pick(dump, "\1\2", 2, why, sizeof(why)), -1);
    assert_non_null(strstr(why, name));
}

static void long_paths(void **unused)
{
    (void)unused;
    long_paths_blamed(3);       /* "x.aaa….bbb….ccc….yyy…": 165 bytes */
    long_paths_blamed(7);       /* 329 bytes: cut on both sides */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostile_dump),
        cmocka_unit_test(lookup_and_versions),
        cmocka_unit_test(every_device_section),
        cmocka_unit_test(vmdesc_wins),
        cmocka_unit_test(fuzz_regressions),
        cmocka_unit_test(predicates_tried_both_ways),
        cmocka_unit_test(too_many_predicates),
        cmocka_unit_test(note_names_a_reached_field),
        cmocka_unit_test(long_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
