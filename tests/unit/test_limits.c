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

/* Reads every record of the stream; returns the first error. */
static int read_all(const char *path, vms_error *err)
{
    vms_stream *s = vms_stream_open(path, err);
    vms_record rec;
    vms_config cfg;
    int e;

    assert_non_null(s);
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
    vms_stream_close(s);
    return e;
}

/* ---- the stream container --------------------------------------------- */

static void capabilities(uint32_t n, bytes *b)
{
    header(b);
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
    bytes ok = { 0 }, bad = { 0 };
    vms_error err;
    char *path;

    (void)state;
    capabilities(VMS_LIMIT_CAPABILITIES, &ok);
    path = to_file(&ok);
    vms_error_clear(&err);
    assert_int_equal(read_all(path, &err), 0);
    unlink(path);
    capabilities(VMS_LIMIT_CAPABILITIES + 1, &bad);
    path = to_file(&bad);
    vms_error_clear(&err);
    /* the count sits after 8 + 1 + 4 + 2 + 1 + 27 + 4 bytes */
    expect_cap(&err, read_all(path, &err), "VMS_LIMIT_CAPABILITIES", path,
               47);
    unlink(path);
    free(ok.p);
    free(bad.p);
}

static void cap_sections(void **state)
{
    bytes b = { 0 };
    vms_error err;
    char *path;
    uint64_t last = 0;

    (void)state;
    header(&b);
    /* Empty FULL sections with distinct ids, one past the cap. */
    for (uint32_t i = 0; i <= VMS_LIMIT_SECTIONS; i++) {
        last = b.n;
        put8(&b, VMS_REC_SECTION_FULL);
        put32(&b, i * 7919u);
        putstr(&b, "s");
        put32(&b, 0);
        put32(&b, 1);
        put8(&b, VMS_REC_FOOTER);
        put32(&b, i * 7919u);
    }
    put8(&b, VMS_REC_EOF);
    path = to_file(&b);
    vms_error_clear(&err);
    expect_cap(&err, read_all(path, &err), "VMS_LIMIT_SECTIONS", path,
               (int64_t)last);
    unlink(path);
    free(b.p);
}

/* ---- RAM ---------------------------------------------------------------- */

static int ram_run(const bytes *body, uint32_t page_size, bool mapped,
                   bool want, vms_error *err, char **pathp)
{
    bytes b = { 0 };
    vms_ram_opts o = { .page_size = page_size, .mapped_ram = mapped };
    vms_ram_sink sink = { .want_data = want };
    vms_stream *s;
    vms_ram *ram;
    int e;

    header(&b);
    put(&b, body->p, body->n);
    *pathp = to_file(&b);
    free(b.p);
    vms_error_clear(err);
    s = vms_stream_open(*pathp, err);
    assert_non_null(s);
    ram = vms_ram_new(&o, &sink, err);
    assert_non_null(ram);
    e = vms_ram_read(ram, s, 4, err);
    vms_ram_free(ram);
    vms_stream_close(s);
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
    bytes ok = { 0 }, bad = { 0 };
    vms_error err;
    char *path;

    (void)state;
    blocks(&ok, VMS_LIMIT_RAM_BLOCKS, 4096);
    assert_int_equal(ram_run(&ok, 4096, false, false, &err, &path), 0);
    unlink(path);
    blocks(&bad, VMS_LIMIT_RAM_BLOCKS + 1, 4096);
    /* the last entry ("b4096", length) ends 8 bytes before the EOS */
    int rc = ram_run(&bad, 4096, false, false, &err, &path);
    expect_cap(&err, rc, "VMS_LIMIT_RAM_BLOCKS", path, (int64_t)bad.n - 14);
    unlink(path);
    free(ok.p);
    free(bad.p);
}

static void cap_ram_block_size(void **state)
{
    bytes ok = { 0 }, bad = { 0 };
    vms_error err;
    char *path;

    (void)state;
    blocks(&ok, 1, VMS_LIMIT_RAM_BLOCK_SIZE);
    assert_int_equal(ram_run(&ok, 4096, false, false, &err, &path), 0);
    unlink(path);
    blocks(&bad, 1, VMS_LIMIT_RAM_BLOCK_SIZE + 4096);
    int rc = ram_run(&bad, 4096, false, false, &err, &path);
    expect_cap(&err, rc, "VMS_LIMIT_RAM_BLOCK_SIZE", path, 16);
    unlink(path);
    free(ok.p);
    free(bad.p);
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
    bytes b = { 0 };
    vms_error err;
    char *path;
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
    int rc = ram_run(&b, 512, true, true, &err, &path);
    expect_cap(&err, rc, "VMS_LIMIT_MAPPED_BITMAP", path, 31);
    unlink(path);
    free(b.p);
}

/* ---- other iterative sections ----------------------------------------- */

static int section_run(const bytes *body, int (*fn)(vms_stream *, uint32_t,
                                                    vms_error *),
                       uint32_t version, vms_error *err, char **pathp)
{
    bytes b = { 0 };
    vms_stream *s;
    int e;

    header(&b);
    put(&b, body->p, body->n);
    *pathp = to_file(&b);
    free(b.p);
    vms_error_clear(err);
    s = vms_stream_open(*pathp, err);
    assert_non_null(s);
    e = fn(s, version, err);
    vms_stream_close(s);
    return e;
}

static void cap_stattr_count(void **state)
{
    bytes b = { 0 };
    vms_error err;
    char *path;

    (void)state;
    put64(&b, 0x02);                /* MORE */
    put64(&b, VMS_LIMIT_STATTR_COUNT + 1ull);
    int rc = section_run(&b, vms_stattr_read, 0, &err, &path);
    expect_cap(&err, rc, "VMS_LIMIT_STATTR_COUNT", path, 8);
    unlink(path);
    free(b.p);
}

static void cap_dirty_bitmap_chunk(void **state)
{
    bytes b = { 0 };
    vms_error err;
    char *path;

    (void)state;
    put8(&b, 0x40);                 /* BITS */
    put64(&b, 0);
    put32(&b, 1);
    put64(&b, VMS_LIMIT_DIRTY_BITMAP_CHUNK + 1ull);
    int rc = section_run(&b, vms_dirty_bitmap_read, 1, &err, &path);
    expect_cap(&err, rc, "VMS_LIMIT_DIRTY_BITMAP_CHUNK", path, 8);
    unlink(path);
    free(b.p);
}

/* ---- descriptions ------------------------------------------------------- */

static int device(const char *fields, vms_error *err)
{
    char *json = NULL;
    size_t len;
    vms_vmdesc *vd;
    const vms_desc *d;
    size_t size;
    int e;

    len = (size_t)asprintf(&json, "{\"devices\": [{\"name\": \"dev\", "
                           "\"instance_id\": 0, \"version\": 1, \"fields\": "
                           "[%s]}]}", fields);
    vms_error_clear(err);
    assert_int_equal(vms_vmdesc_parse(json, len, "desc.json", &vd, err), 0);
    e = vms_vmdesc_device(vd, "dev", 0, &d, &size, err);
    vms_vmdesc_free(vd);
    free(json);
    return e;
}

static void cap_desc_depth(void **state)
{
    char fields[8192] = "";
    vms_error err;

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
    expect_cap(&err, device(fields, &err), "VMS_LIMIT_DESC_DEPTH", NULL, -1);
}

static void cap_array_len(void **state)
{
    char f[256];
    vms_error err;

    (void)state;
    snprintf(f, sizeof(f), "{\"name\": \"a\", \"type\": \"uint8\", "
             "\"size\": 1, \"array_len\": %u}", VMS_LIMIT_ARRAY_LEN);
    assert_int_equal(device(f, &err), 0);
    snprintf(f, sizeof(f), "{\"name\": \"a\", \"type\": \"uint8\", "
             "\"size\": 1, \"array_len\": %u}", VMS_LIMIT_ARRAY_LEN + 1);
    expect_cap(&err, device(f, &err), "VMS_LIMIT_ARRAY_LEN", NULL, -1);
}

static void cap_field_size(void **state)
{
    char f[256];
    vms_error err;

    (void)state;
    snprintf(f, sizeof(f), "{\"name\": \"b\", \"type\": \"buffer\", "
             "\"size\": %u}", VMS_LIMIT_FIELD_SIZE + 1);
    expect_cap(&err, device(f, &err), "VMS_LIMIT_FIELD_SIZE", NULL, -1);
}

static void cap_state_size(void **state)
{
    char f[256];
    vms_error err;

    (void)state;
    snprintf(f, sizeof(f), "{\"name\": \"b\", \"type\": \"buffer\", "
             "\"size\": %u}, {\"name\": \"c\", \"type\": \"uint8\", "
             "\"size\": 1}", VMS_LIMIT_FIELD_SIZE);
    expect_cap(&err, device(f, &err), "VMS_LIMIT_STATE_SIZE", NULL, -1);
}

static void cap_desc_elements(void **state)
{
    char f[512];
    vms_error err;

    (void)state;
    /* 4096 x 4096 elements of size 0: no state, and 2^24 steps of work */
    snprintf(f, sizeof(f), "{\"name\": \"s\", \"type\": \"struct\", "
             "\"array_len\": 4096, \"size\": 0, \"struct\": {\"vmsd_name\": "
             "\"n\", \"fields\": [{\"name\": \"z\", \"type\": \"unused\", "
             "\"size\": 0, \"array_len\": 4096}]}}");
    expect_cap(&err, device(f, &err), "VMS_LIMIT_DESC_ELEMENTS", NULL, -1);
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
        cmocka_unit_test(cap_array_len),
        cmocka_unit_test(cap_field_size),
        cmocka_unit_test(cap_state_size),
        cmocka_unit_test(cap_desc_elements),
        cmocka_unit_test(many_devices_are_found_fast),
        cmocka_unit_test(cap_dump_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
