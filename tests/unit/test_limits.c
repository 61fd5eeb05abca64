/*
 * The caps of limits.h, one by one: a synthetic input just past each cap is
 * refused with VMS_ELIMIT, a message naming the cap, the input's name and
 * (for stream inputs) the byte offset of the record that carries it; an
 * input just under it goes through. The section and device lookups must
 * stay linear: a million sections would take hours with a linear search,
 * far past the test's timeout.
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

/* ---- a growing byte buffer and a temporary stream file ----------------- */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put8(bytes *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put32(bytes *b, uint32_t v)
{
    uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };
    put(b, x, 4);
}

static void put64(bytes *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

static void putstr(bytes *b, const char *s)
{
    put8(b, (uint8_t)strlen(s));
    put(b, s, strlen(s));
}

static void header(bytes *b)
{
    put(b, "QEVM\0\0\0\3", 8);
}

static char *to_file(const bytes *b)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/vms-test-limits-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
    close(fd);
    return path;
}

/* The error is a cap hit naming cap, the file and (if at >= 0) offset at. */
static void expect_cap(const vms_error *err, int rc, const char *cap,
                       const char *file, int64_t at)
{
    char line[1024];

    vms_error_format(err, line, sizeof(line));
    print_message("# %s\n", line);
    assert_int_equal(rc, VMS_ELIMIT);
    assert_int_equal(err->code, VMS_ELIMIT);
    assert_non_null(strstr(err->message, cap));
    if (file) {
        assert_string_equal(err->file, file);
    }
    if (at >= 0) {
        assert_true(err->has_offset);
        assert_int_equal(err->offset, (uint64_t)at);
    }
}

/*
 * Every test here writes the stream header and a body of records to a file
 * and reads it with one decoder: a reader is that decoder, arg its setup.
 */
typedef int (*reader)(vms_stream *s, const void *arg, vms_error *err);

/*
 * The header and body (then freed) in a file that read() reads: it must
 * succeed when cap is NULL, else hit cap at the file offset at.
 */
static void expect_read(bytes *body, reader read, const void *arg,
                        const char *cap, int64_t at)
{
    bytes b = { 0 };
    vms_error err;
    vms_stream *s;
    char *path;
    int e;

    header(&b);
    put(&b, body->p, body->n);
    free(body->p);
    *body = (bytes){ 0 };
    path = to_file(&b);
    free(b.p);
    vms_error_clear(&err);
    s = vms_stream_open(path, &err);
    assert_non_null(s);
    e = read(s, arg, &err);
    vms_stream_close(s);
    if (cap) {
        expect_cap(&err, e, cap, path, at);
    } else {
        assert_int_equal(e, 0);
    }
    unlink(path);
}

/* Reads every record of the stream; returns the first error. */
static int read_records(vms_stream *s, const void *arg, vms_error *err)
{
    vms_record rec;
    vms_config cfg;
    int e;

    (void)arg;
    for (;;) {
        e = vms_stream_next(s, &rec, &cfg, err);
        if (e || rec.type == VMS_REC_EOF) {
            break;
        }
        if ((rec.type == VMS_REC_SECTION_START ||
             rec.type == VMS_REC_SECTION_FULL) &&
            (e = vms_stream_end_section(s, &rec, err))) {
            break;
        }
    }
    return e;
}

/* ---- the stream container --------------------------------------------- */

static void capabilities(uint32_t n, bytes *b)
{
    put8(b, VMS_REC_CONFIGURATION);
    put32(b, 2);
    put(b, "pc", 2);
    put8(b, VMS_REC_SUBSECTION);
    putstr(b, "configuration/capabilities");
    put32(b, 1);
    put32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        putstr(b, "x-cap");
    }
    put8(b, VMS_REC_EOF);
}

static void cap_capabilities(void **state)
{
    bytes b = { 0 };

    (void)state;
    capabilities(VMS_LIMIT_CAPABILITIES, &b);
    expect_read(&b, read_records, NULL, NULL, -1);
    capabilities(VMS_LIMIT_CAPABILITIES + 1, &b);
    /* the count sits after 8 + 1 + 4 + 2 + 1 + 27 + 4 bytes */
    expect_read(&b, read_records, NULL, "VMS_LIMIT_CAPABILITIES", 47);
}

static void cap_sections(void **state)
{
    bytes b = { 0 };
    uint64_t last = 0;

    (void)state;
    /* Empty FULL sections with distinct ids, one past the cap. */
    for (uint32_t i = 0; i <= VMS_LIMIT_SECTIONS; i++) {
        last = 8 + b.n;             /* the header's 8 bytes come first */
        put8(&b, VMS_REC_SECTION_FULL);
        put32(&b, i * 7919u);
        putstr(&b, "s");
        put32(&b, 0);
        put32(&b, 1);
        put8(&b, VMS_REC_FOOTER);
        put32(&b, i * 7919u);
    }
    put8(&b, VMS_REC_EOF);
    expect_read(&b, read_records, NULL, "VMS_LIMIT_SECTIONS", (int64_t)last);
}

/* ---- RAM ---------------------------------------------------------------- */

typedef struct ram_setup {
    vms_ram_opts opts;
    vms_ram_sink sink;
} ram_setup;

static const ram_setup plain_ram = { .opts = { .page_size = 4096 } };

/* One chunk of the RAM section (version 4) read as setup arg says. */
static int read_ram(vms_stream *s, const void *arg, vms_error *err)
{
    const ram_setup *setup = arg;
    vms_ram *ram = vms_ram_new(&setup->opts, &setup->sink, err);
    int e;

    assert_non_null(ram);
    e = vms_ram_read(ram, s, 4, err);
    vms_ram_free(ram);
    return e;
}

static void blocks(bytes *b, unsigned n, uint64_t length)
{
    put64(b, (uint64_t)n * length | VMS_RAM_MEM_SIZE);
    for (unsigned i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "b%u", i);
        putstr(b, name);
        put64(b, length);
    }
    put64(b, VMS_RAM_EOS);
}

static void cap_ram_blocks(void **state)
{
    bytes b = { 0 };

    (void)state;
    blocks(&b, VMS_LIMIT_RAM_BLOCKS, 4096);
    expect_read(&b, read_ram, &plain_ram, NULL, -1);
    blocks(&b, VMS_LIMIT_RAM_BLOCKS + 1, 4096);
    /* the last entry ("b4096", length) ends 8 bytes before the EOS */
    expect_read(&b, read_ram, &plain_ram, "VMS_LIMIT_RAM_BLOCKS",
                (int64_t)b.n - 14);
}

static void cap_ram_block_size(void **state)
{
    bytes b = { 0 };

    (void)state;
    blocks(&b, 1, VMS_LIMIT_RAM_BLOCK_SIZE);
    expect_read(&b, read_ram, &plain_ram, NULL, -1);
    blocks(&b, 1, VMS_LIMIT_RAM_BLOCK_SIZE + 4096);
    expect_read(&b, read_ram, &plain_ram, "VMS_LIMIT_RAM_BLOCK_SIZE", 16);
}

static void cap_page_size(void **state)
{
    vms_ram_opts o = { .page_size = VMS_LIMIT_PAGE_SIZE * 2 };
    vms_ram_sink sink = { 0 };
    vms_error err;
    vms_ram *ram;

    (void)state;
    vms_error_clear(&err);
    assert_null(vms_ram_new(&o, &sink, &err));
    expect_cap(&err, err.code, "VMS_LIMIT_PAGE_SIZE", NULL, -1);
    o.page_size = VMS_LIMIT_PAGE_SIZE;
    ram = vms_ram_new(&o, &sink, &err);
    assert_non_null(ram);
    vms_ram_free(ram);
}

static void cap_mapped_bitmap(void **state)
{
    static const ram_setup mapped = {
        .opts = { .page_size = 512, .mapped_ram = true },
        .sink = { .want_data = true },
    };
    bytes b = { 0 };
    /* 512-byte pages: one bitmap byte per 4 KiB of block */
    uint64_t len = (uint64_t)(VMS_LIMIT_MAPPED_BITMAP + 1) * 8 * 512;

    (void)state;
    put64(&b, len | VMS_RAM_MEM_SIZE);
    putstr(&b, "pc.ram");
    put64(&b, len);
    put32(&b, 1);       /* mapped-ram header: version, page size, offsets */
    put64(&b, 512);
    put64(&b, 0);
    put64(&b, 0);
    put64(&b, VMS_RAM_EOS);
    expect_read(&b, read_ram, &mapped, "VMS_LIMIT_MAPPED_BITMAP", 31);
}

/* ---- other iterative sections ----------------------------------------- */

static int read_stattr(vms_stream *s, const void *arg, vms_error *err)
{
    (void)arg;
    return vms_stattr_read(s, 0, err);
}

static int read_dirty_bitmap(vms_stream *s, const void *arg, vms_error *err)
{
    (void)arg;
    return vms_dirty_bitmap_read(s, 1, err);
}

static void cap_stattr_count(void **state)
{
    bytes b = { 0 };

    (void)state;
    put64(&b, 0x02);                /* MORE */
    put64(&b, VMS_LIMIT_STATTR_COUNT + 1ull);
    expect_read(&b, read_stattr, NULL, "VMS_LIMIT_STATTR_COUNT", 8);
}

static void cap_dirty_bitmap_chunk(void **state)
{
    bytes b = { 0 };

    (void)state;
    put8(&b, 0x40);                 /* BITS */
    put64(&b, 0);
    put32(&b, 1);
    put64(&b, VMS_LIMIT_DIRTY_BITMAP_CHUNK + 1ull);
    expect_read(&b, read_dirty_bitmap, NULL, "VMS_LIMIT_DIRTY_BITMAP_CHUNK",
                8);
}

/* ---- descriptions ------------------------------------------------------- */

/*
 * A description of one device "dev" with these fields: it must load when
 * cap is NULL, else hit cap (a description names no offset).
 */
static void expect_device(const char *fields, const char *cap)
{
    char *json = NULL;
    size_t len;
    vms_vmdesc *vd;
    const vms_desc *d;
    size_t size;
    vms_error err;
    int e;

    len = (size_t)asprintf(&json, "{\"devices\": [{\"name\": \"dev\", "
                           "\"instance_id\": 0, \"version\": 1, \"fields\": "
                           "[%s]}]}", fields);
    vms_error_clear(&err);
    assert_int_equal(vms_vmdesc_parse(json, len, "desc.json", &vd, &err), 0);
    e = vms_vmdesc_device(vd, "dev", 0, &d, &size, &err);
    vms_vmdesc_free(vd);
    free(json);
    if (cap) {
        expect_cap(&err, e, cap, NULL, -1);
    } else {
        assert_int_equal(e, 0);
    }
}

static void cap_desc_depth(void **state)
{
    char fields[8192] = "";

    (void)state;
    /* VMS_LIMIT_DESC_DEPTH + 1 nested structs */
    for (int i = 0; i <= VMS_LIMIT_DESC_DEPTH; i++) {
        strcat(fields, "{\"name\": \"s\", \"type\": \"struct\", \"size\": 1, "
                       "\"struct\": {\"vmsd_name\": \"n\", \"fields\": [");
    }
    strcat(fields, "{\"name\": \"x\", \"type\": \"uint8\", \"size\": 1}");
    for (int i = 0; i <= VMS_LIMIT_DESC_DEPTH; i++) {
        strcat(fields, "]}}");
    }
    expect_device(fields, "VMS_LIMIT_DESC_DEPTH");
}

/*
 * The caps a description's fields meet, a test each (the table's name):
 * fields is a format for n; cap NULL means the description loads.
 */
typedef struct desc_case {
    const char *name, *cap, *fields;
    unsigned n;
} desc_case;

#define U8_ARRAY "{\"name\": \"a\", \"type\": \"uint8\", \"size\": 1, " \
                 "\"array_len\": %u}"
#define BUFFER "{\"name\": \"b\", \"type\": \"buffer\", \"size\": %u}"

static const desc_case desc_cases[] = {
    { "cap_array_len_fits", NULL, U8_ARRAY, VMS_LIMIT_ARRAY_LEN },
    { "cap_array_len", "VMS_LIMIT_ARRAY_LEN", U8_ARRAY,
      VMS_LIMIT_ARRAY_LEN + 1 },
    { "cap_field_size", "VMS_LIMIT_FIELD_SIZE", BUFFER,
      VMS_LIMIT_FIELD_SIZE + 1 },
    /* a field of the largest size and one byte more */
    { "cap_state_size", "VMS_LIMIT_STATE_SIZE",
      BUFFER ", {\"name\": \"c\", \"type\": \"uint8\", \"size\": 1}",
      VMS_LIMIT_FIELD_SIZE },
    /* 4096 x 4096 elements of size 0: no state, and 2^24 steps of work */
    { "cap_desc_elements", "VMS_LIMIT_DESC_ELEMENTS",
      "{\"name\": \"s\", \"type\": \"struct\", \"array_len\": 4096, "
      "\"size\": 0, \"struct\": {\"vmsd_name\": \"n\", \"fields\": "
      "[{\"name\": \"z\", \"type\": \"unused\", \"size\": 0, "
      "\"array_len\": %u}]}}", 4096 },
};

static void cap_desc_case(void **state)
{
    const desc_case *c = *state;
    char fields[512];

    snprintf(fields, sizeof(fields), c->fields, c->n);
    expect_device(fields, c->cap);
}

/* A million devices looked up a million times stays fast. */
static void many_devices_are_found_fast(void **state)
{
    enum { N = 200000 };
    bytes b = { 0 };
    vms_vmdesc *vd;
    vms_error err;

    (void)state;
    put(&b, "{\"devices\": [", 13);
    for (unsigned i = 0; i < N; i++) {
        char one[96];
        int n = snprintf(one, sizeof(one), "%s{\"name\": \"d%u\", "
                         "\"instance_id\": %u, \"fields\": []}",
                         i ? ", " : "", i % 1000, i / 1000);
        put(&b, one, (size_t)n);
    }
    put(&b, "]}", 2);
    vms_error_clear(&err);
    assert_int_equal(vms_vmdesc_parse((char *)b.p, b.n, "d.json", &vd, &err),
                     0);
    for (unsigned i = 0; i < N; i++) {
        char name[16];
        const vms_desc *d;
        size_t size;
        snprintf(name, sizeof(name), "d%u", i % 1000);
        assert_int_equal(vms_vmdesc_device(vd, name, i / 1000, &d, &size,
                                           &err), 0);
    }
    assert_int_equal(vms_vmdesc_device(vd, "d1", N, NULL, NULL, &err),
                     VMS_ENOTFOUND);
    vms_vmdesc_free(vd);
    free(b.p);
}

/* ---- dumps ---------------------------------------------------------------- */

static void cap_dump_size(void **state)
{
    static const char text[] = "{}";
    vms_dump *d;
    vms_error err;

    (void)state;
    vms_error_clear(&err);
    /* refused on its length alone, before a byte is read */
    expect_cap(&err, vms_dump_load_buffer(text, VMS_LIMIT_DUMP_SIZE + 1ull,
                                          "big.json", &d, &err),
               "VMS_LIMIT_DUMP_SIZE", "big.json", -1);
    assert_null(d);
}

/* A cmocka test of desc_cases[i], named by it. */
#define DESC_CASE(i) { .name = desc_cases[i].name, \
                       .test_func = cap_desc_case, \
                       .initial_state = (void *)&desc_cases[i] }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cap_capabilities),
        cmocka_unit_test(cap_sections),
        cmocka_unit_test(cap_ram_blocks),
        cmocka_unit_test(cap_ram_block_size),
        cmocka_unit_test(cap_page_size),
        cmocka_unit_test(cap_mapped_bitmap),
        cmocka_unit_test(cap_stattr_count),
        cmocka_unit_test(cap_dirty_bitmap_chunk),
        cmocka_unit_test(cap_desc_depth),
        DESC_CASE(0), DESC_CASE(1), DESC_CASE(2), DESC_CASE(3), DESC_CASE(4),
        cmocka_unit_test(many_devices_are_found_fast),
        cmocka_unit_test(cap_dump_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
