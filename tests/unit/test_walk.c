/*
 * The walk with the wire visitor: exact bytes QEMU would send for each
 * layout, QEMU's load rules, and errors that name the field and offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vmstate/vmstate.h"

typedef struct inner {
    uint16_t a;
    int32_t le;
    bool sub_on;
    uint8_t extra;
} inner;

typedef struct dev {
    uint8_t u8;
    int16_t s16;
    uint32_t u32;
    int64_t s64;
    bool flag;
    double d;
    int64_t timer;
    uint8_t buf[5];
    uint32_t regs[3];
    uint8_t nvar;
    uint16_t *var;
    inner in;
    inner *ptrs[2];
    uint64_t bitmap[2];
    int32_t magic;
    uint32_t v2only;
    bool need_sub;
    uint32_t subval;
} dev;

static bool inner_sub_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((inner *)opaque)->sub_on;
}

static const vms_desc inner_sub = {
    .name = "inner/extra",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = inner_sub_needed,
    VMS_FIELDS(VMS_UINT8(extra, inner), VMS_BOOL(sub_on, inner)),
};

static const vms_desc inner_desc = {
    .name = "inner",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT16(a, inner), VMS_INT32_LE(le, inner)),
    VMS_SUBSECTIONS(&inner_sub),
};

static bool dev_sub_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((dev *)opaque)->need_sub;
}

static int post_loads;

static int dev_post_load(void *opaque, int version_id, const vms_desc *self)
{
    (void)opaque;
    (void)version_id;
    (void)self;
    post_loads++;
    return 0;
}

static const vms_desc dev_sub = {
    .name = "dev/sub",
    .version_id = 2,
    .minimum_version_id = 1,
    .needed = dev_sub_needed,
    VMS_FIELDS(VMS_UINT32(subval, dev), VMS_BOOL(need_sub, dev)),
};

static const vms_desc dev_desc = {
    .name = "dev",
    .version_id = 2,
    .minimum_version_id = 1,
    .post_load = dev_post_load,
    VMS_FIELDS(
        VMS_UINT8(u8, dev),
        VMS_INT16(s16, dev),
        VMS_UINT32(u32, dev),
        VMS_INT64(s64, dev),
        VMS_BOOL(flag, dev),
        VMS_FLOAT64(d, dev),
        VMS_TIMER(timer, dev),
        VMS_BUFFER(buf, dev),
        VMS_UINT32_ARRAY(regs, dev, 3),
        VMS_UINT8(nvar, dev),
        VMS_VARRAY_UINT8_V(var, dev, nvar, 0, VMS_TYPE_UINT16, uint16_t),
        VMS_UNUSED(2),
        VMS_STRUCT(in, dev, inner_desc, inner),
        { .name = "ptrs", .type = VMS_TYPE_STRUCT, .vmsd = &inner_desc,
          .offset = offsetof(dev, ptrs), .size = sizeof(inner),
          .flags = VMS_F_ARRAY | VMS_F_ARRAY_OF_POINTER, .num = 2 },
        { .name = "bitmap", .type = VMS_TYPE_BITMAP,
          .offset = offsetof(dev, bitmap), .size = 16 },
        VMS_INT32_EQUAL(magic, dev),
        VMS_UINT32_V(v2only, dev, 2),
    ),
    VMS_SUBSECTIONS(&dev_sub),
};

static uint16_t var_store[4];
static inner ptr0;

static void fill_dev(dev *d)
{
    memset(d, 0, sizeof(*d));
    d->u8 = 0xab;
    d->s16 = -2;
    d->u32 = 0x01020304;
    d->s64 = -1;
    d->flag = true;
    d->d = 1.0;
    d->timer = 0x1122334455667788;
    memcpy(d->buf, "hello", 5);
    d->regs[0] = 1;
    d->regs[1] = 2;
    d->regs[2] = 3;
    d->nvar = 2;
    var_store[0] = 0xaaaa;
    var_store[1] = 0xbbbb;
    d->var = var_store;
    d->in.a = 0x1234;
    d->in.le = 0x01020304;
    d->in.sub_on = true;
    d->in.extra = 0x77;
    ptr0.a = 0x4321;
    ptr0.le = 5;
    d->ptrs[0] = &ptr0;
    d->ptrs[1] = NULL;
    d->bitmap[0] = 0x8000000000000001ull;
    d->bitmap[1] = 2;
    d->magic = 42;
    d->v2only = 0xcafe;
    d->need_sub = true;
    d->subval = 9;
}

static const uint8_t expected_wire[] = {
    0xab,                                   /* u8 */
    0xff, 0xfe,                             /* s16 */
    0x01, 0x02, 0x03, 0x04,                 /* u32 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* s64 */
    0x01,                                   /* flag */
    0x3f, 0xf0, 0, 0, 0, 0, 0, 0,           /* 1.0 */
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* timer */
    'h', 'e', 'l', 'l', 'o',                /* buf */
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,     /* regs */
    0x02,                                   /* nvar */
    0xaa, 0xaa, 0xbb, 0xbb,                 /* var[2] */
    0, 0,                                   /* unused */
    0x12, 0x34, 0x01, 0x02, 0x03, 0x04,     /* in.a, in.le */
    0x05, 11, 'i', 'n', 'n', 'e', 'r', '/', 'e', 'x', 't', 'r', 'a',
    0, 0, 0, 1, 0x77, 0x01,                 /* inner/extra v1 */
    0x43, 0x21, 0, 0, 0, 5,                 /* ptrs[0], no subsection */
    0x30,                                   /* ptrs[1]: nullptr */
    0x80, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02, /* bitmap */
    0, 0, 0, 42,                            /* magic */
    0, 0, 0xca, 0xfe,                       /* v2only */
    0x05, 7, 'd', 'e', 'v', '/', 's', 'u', 'b', 0, 0, 0, 2,
    0, 0, 0, 9, 0x01,                       /* dev/sub v2 */
};

static void save(dev *d, vms_buf *out)
{
    vms_error err = { 0 };
    vms_writer *w = vms_writer_buf(out, &err);
    vms_visitor *v = vms_wire_output_new(w, &err);

    assert_non_null(v);
    assert_int_equal(vms_walk(v, &dev_desc, d, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    vms_visitor_free(v);
}

static int load(dev *d, const void *data, size_t len, int version,
                vms_error *err)
{
    vms_reader *r = vms_reader_mem(data, len, "dev.bin", err);
    vms_visitor *v = vms_wire_input_new(r, err);
    int e = vms_walk(v, &dev_desc, d, version, err);

    vms_visitor_free(v);
    vms_reader_close(r);
    return e;
}

/*
 * What a load test starts from: device d saved into saved, and a zeroed
 * destination e whose pointers have room (var, p0), whose "equal" field
 * holds the saved value and whose "int32 le" fields take any value they
 * are sent (they load 0..current).
 */
typedef struct loading {
    vms_buf saved;
    vms_error err;
    dev e;
    uint16_t var[4];
    inner p0;
} loading;

static void loading_init(loading *t, dev *d)
{
    memset(t, 0, sizeof(*t));
    save(d, &t->saved);
    t->e.var = t->var;
    t->e.ptrs[0] = &t->p0;
    t->e.magic = 42;
    t->e.in.le = INT32_MAX;
    t->p0.le = INT32_MAX;
}

/* load() of the first len bytes saved into t's destination. */
static int load_saved(loading *t, size_t len, int version)
{
    return load(&t->e, t->saved.data, len, version, &t->err);
}

static void test_validate(void **state)
{
    vms_error err = { 0 };

    (void)state;
    assert_int_equal(vms_desc_validate(&dev_desc, &err), 0);
}

static void test_save_bytes(void **state)
{
    vms_buf out = { 0 };
    dev d;

    (void)state;
    fill_dev(&d);
    save(&d, &out);
    assert_int_equal(out.len, sizeof(expected_wire));
    assert_memory_equal(out.data, expected_wire, sizeof(expected_wire));
    vms_buf_free(&out);
}

static void test_round_trip(void **state)
{
    vms_buf b = { 0 };
    loading t;
    dev d;

    (void)state;
    fill_dev(&d);
    loading_init(&t, &d);
    post_loads = 0;
    assert_int_equal(load_saved(&t, t.saved.len, 2), 0);
    assert_int_equal(post_loads, 1);
    assert_int_equal(t.e.s16, -2);
    assert_true(t.e.d == 1.0);
    assert_int_equal(t.e.nvar, 2);
    assert_int_equal(t.var[1], 0xbbbb);
    assert_int_equal(t.e.in.le, 0x01020304);
    assert_int_equal(t.e.in.extra, 0x77);
    assert_int_equal(t.p0.le, 5);
    assert_int_equal(t.e.bitmap[0], 0x8000000000000001ull);
    assert_int_equal(t.e.subval, 9);
    save(&t.e, &b);
    assert_int_equal(t.saved.len, b.len);
    assert_memory_equal(t.saved.data, b.data, t.saved.len);
    vms_buf_free(&t.saved);
    vms_buf_free(&b);
}

static void test_version_gating(void **state)
{
    loading t;
    dev d;

    (void)state;
    /* A version-1 stream: no v2only, and the subsection is optional. */
    fill_dev(&d);
    d.need_sub = false;
    loading_init(&t, &d);
    /* drop v2only (4 bytes before the end, no subsection follows) */
    t.e.v2only = 7;
    assert_int_equal(load_saved(&t, t.saved.len - 4, 1), 0);
    assert_int_equal(t.e.v2only, 7);   /* kept its default */
    vms_buf_free(&t.saved);
}

static void test_load_errors(void **state)
{
    loading t;
    dev d;
    uint8_t *bad;

    (void)state;
    fill_dev(&d);
    loading_init(&t, &d);

    assert_int_equal(load_saved(&t, t.saved.len, 3), VMS_EVERSION);
    assert_non_null(strstr(t.err.message, "newer"));
    vms_error_clear(&t.err);
    assert_int_equal(load_saved(&t, t.saved.len, 0), VMS_EVERSION);
    vms_error_clear(&t.err);

    /* truncated inside the nested struct: path and offset are exact */
    assert_int_equal(load_saved(&t, 60, 2), VMS_ETRUNC);
    assert_string_equal(t.err.path, "dev.in.le");
    assert_int_equal(t.err.offset, 58);
    assert_string_equal(t.err.file, "dev.bin");
    vms_error_clear(&t.err);

    /* "int32 le" above the destination's value */
    t.e.in.le = 0x01020303;
    assert_int_equal(load_saved(&t, t.saved.len, 2), VMS_EFORMAT);
    assert_string_equal(t.err.path, "dev.in.le");
    assert_non_null(strstr(t.err.message, "16909060 is not in 0..16909059"));
    t.e.in.le = INT32_MAX;
    vms_error_clear(&t.err);

    /* "equal" field that disagrees */
    t.e.magic = 41;
    assert_int_equal(load_saved(&t, t.saved.len, 2), VMS_EMISMATCH);
    assert_string_equal(t.err.path, "dev.magic");
    assert_non_null(strstr(t.err.message, "expected 0x29, got 0x2a"));
    t.e.magic = 42;
    vms_error_clear(&t.err);

    /* an unknown subsection of ours is rejected, naming it */
    bad = malloc(t.saved.len);
    memcpy(bad, t.saved.data, t.saved.len);
    memcpy(bad + t.saved.len - 16, "dev/xyz", 7);
    assert_int_equal(load(&t.e, bad, t.saved.len, 2, &t.err), VMS_ENOTFOUND);
    assert_non_null(strstr(t.err.message, "\"dev/xyz\""));
    vms_error_clear(&t.err);

    /* the nullptr marker must be there */
    memcpy(bad, t.saved.data, t.saved.len);
    bad[87] = 0x31;
    assert_int_equal(load(&t.e, bad, t.saved.len, 2, &t.err), VMS_EFORMAT);
    assert_string_equal(t.err.path, "dev.ptrs[1]");
    assert_int_equal(t.err.offset, 87);
    free(bad);
    vms_buf_free(&t.saved);
}

typedef struct capdev {
    uint8_t n;
    uint16_t *p;
} capdev;

static const vms_desc cap_desc = {
    .name = "cap",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_UINT8(n, capdev),
        { .name = "p", .type = VMS_TYPE_UINT16, .size = 2,
          .offset = offsetof(capdev, p), .num_offset = offsetof(capdev, n),
          .flags = VMS_F_POINTER | VMS_F_VARRAY_U8, .num = 4 },
    ),
};

/* A variable array's count comes from the stream: bounded by .num. */
static void test_varray_capacity(void **state)
{
    static const uint8_t ok4[] = { 4, 0, 1, 0, 2, 0, 3, 0, 4 };
    static const uint8_t over[] = { 5, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5 };
    uint16_t *mem = calloc(4, sizeof(uint16_t));
    vms_error err = { 0 };
    capdev d = { 0, mem };
    vms_reader *r;
    vms_visitor *v;

    (void)state;
    r = vms_reader_mem(ok4, sizeof(ok4), "cap.bin", &err);
    v = vms_wire_input_new(r, &err);
    assert_int_equal(vms_walk(v, &cap_desc, &d, 1, &err), 0);
    assert_int_equal(mem[3], 4);
    vms_visitor_free(v);
    vms_reader_close(r);

    r = vms_reader_mem(over, sizeof(over), "cap.bin", &err);
    v = vms_wire_input_new(r, &err);
    assert_int_equal(vms_walk(v, &cap_desc, &d, 1, &err), VMS_ELIMIT);
    assert_string_equal(err.path, "cap.p");
    assert_int_equal(err.offset, 1);
    assert_non_null(strstr(err.message, "5 elements, room for 4"));
    vms_visitor_free(v);
    vms_reader_close(r);
    free(mem);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(vms_field_type_name(&dev_desc.fields[15]),
                        "int32 equal");
    assert_string_equal(vms_field_type_name(&dev_desc.fields[11]),
                        "unused_buffer");
    assert_string_equal(vms_field_type_name(&dev_desc.fields[12]), "struct");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_save_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_version_gating),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_varray_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
