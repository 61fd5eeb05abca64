/*
 * The BER visitors on the example PC devices: wire -> BER -> wire is
 * byte-identical and the loaded state equal whichever encoding it came
 * through (the seeds' three forms: new save / new load, old release save /
 * new load, new save / old release load); hostile documents fail with a
 * path and an offset; the DER is accepted by openssl and by libtasn1
 * against doc/vmstate.asn1.
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
#include <dirent.h>
#include "vmstate/vmstate.h"
#include "jsonw.h"
#include "pc.h"

typedef struct dev {
    const char *name;
    const vms_desc *d;
    void *opaque;
    size_t size;
} dev;

static size_t devices(ex_pc *pc, dev *out)
{
    const vms_desc *pic = pc->variant == 2 ? &ex_pic_desc_v2
                                           : &ex_pic_desc_v1;
    const vms_desc *pit = pc->variant == 2 ? &ex_pit_desc_v2
                                           : &ex_pit_desc_v1;
    size_t n = 0;

    out[n++] = (dev){ "pic0", pic, &pc->pic[0], sizeof(pc->pic[0]) };
    out[n++] = (dev){ "pic1", pic, &pc->pic[1], sizeof(pc->pic[1]) };
    out[n++] = (dev){ "rtc", &ex_rtc_desc, &pc->rtc, sizeof(pc->rtc) };
    out[n++] = (dev){ "pit", pit, &pc->pit, sizeof(pc->pit) };
    out[n++] = (dev){ "piix3", &ex_piix3_desc, &pc->piix3,
                      sizeof(pc->piix3) };
    out[n++] = (dev){ "e1000", &ex_e1000_desc, pc->e1000,
                      sizeof(*pc->e1000) };
    out[n++] = (dev){ "serial", &ex_serial_desc, &pc->serial,
                      sizeof(pc->serial) };
    return n;
}

enum { WIRE, BER, JSON };

static void save(int enc, const vms_desc *d, void *opaque, vms_buf *out)
{
    vms_error err = { 0 };
    vms_writer *w = vms_writer_buf(out, &err);
    vms_visitor *v;
    char buf[1024];

    assert_non_null(w);
    if (enc == JSON) {
        vms_jsonw *j = vms__jsonw_buf(out, VMS_JSONW_PRETTY, 4, NULL);
        v = vms_json_state_output_new(j, &err);
        if (vms_walk(v, d, opaque, d->version_id, &err)) {
            fail_msg("save %s: %s", d->name,
                     vms_error_format(&err, buf, sizeof(buf)));
        }
        vms_visitor_free(v);
        assert_int_equal(vms_jsonw_free(j), 0);
        assert_int_equal(vms_writer_close(w, &err), 0);
        return;
    }
    v = enc == BER ? vms_ber_output_new(w, &err) : vms_wire_output_new(w, &err);
    assert_non_null(v);
    if (vms_walk(v, d, opaque, d->version_id, &err)) {
        fail_msg("save %s: %s", d->name,
                 vms_error_format(&err, buf, sizeof(buf)));
    }
    vms_visitor_free(v);
    assert_int_equal(vms_writer_close(w, &err), 0);
}

/* version_id < 0: the document's own (BER) or the description's (wire). */
static int load(int enc, const vms_desc *d, void *opaque, const vms_buf *in,
                int version_id, vms_error *err)
{
    vms_reader *r;
    vms_visitor *v;
    int e;

    if (enc == JSON) {
        /* the JSON state keeps no version: the description's own */
        v = vms_json_state_input_text(in->data, in->len, "doc", err);
        if (!v) {
            return err->code;
        }
        e = vms_walk(v, d, opaque, version_id < 0 ? d->version_id
                                                  : version_id, err);
        vms_visitor_free(v);
        return e;
    }
    r = vms_reader_mem(in->data, in->len, "doc", err);
    assert_non_null(r);
    v = enc == BER ? vms_ber_input_new(r, err) : vms_wire_input_new(r, err);
    assert_non_null(v);
    if (version_id < 0 && enc == BER) {
        char name[256];
        uint32_t ver;
        e = vms_ber_peek_state(r, name, &ver, err);
        if (e) {
            goto out;
        }
        version_id = (int)ver;
    } else if (version_id < 0) {
        version_id = d->version_id;
    }
    e = vms_walk(v, d, opaque, version_id, err);
    if (!e && !vms_reader_at_eof(r)) {
        e = vms_error_set(err, VMS_EFORMAT, "trailing bytes");
    }
out:
    vms_visitor_free(v);
    vms_reader_close(r);
    return e;
}

static void pc_init(ex_pc *pc, int variant)
{
    vms_error err = { 0 };

    assert_int_equal(ex_pc_init(pc, variant, 0, &err), 0);
}

/*
 * A machine of release from randomized by seed, and three of release to
 * in their initial state to load it into (one for each encoding), each
 * with its devices (the same list in the same order).
 */
typedef struct machines {
    ex_pc src, dst[3];
    dev src_dev[8], dst_dev[3][8];
    size_t n;
} machines;

static void machines_init(machines *m, int from, int to, uint64_t seed)
{
    pc_init(&m->src, from);
    ex_pc_randomize(&m->src, seed);
    m->n = devices(&m->src, m->src_dev);
    for (int k = 0; k < 3; k++) {
        pc_init(&m->dst[k], to);
        devices(&m->dst[k], m->dst_dev[k]);
    }
}

static void machines_free(machines *m)
{
    ex_pc_free(&m->src);
    for (int k = 0; k < 3; k++) {
        ex_pc_free(&m->dst[k]);
    }
}

static void test_round_trips(void **state)
{
    (void)state;
    for (int variant = 1; variant <= 2; variant++) {
        for (uint64_t seed = 1; seed <= 6; seed++) {
            machines m;
            dev *da = m.src_dev, *db = m.dst_dev[0], *dc = m.dst_dev[1];
            dev *dj = m.dst_dev[2];

            machines_init(&m, variant, variant, seed);
            if (variant == 2) {
                m.src.pic[seed % 2].irq_count[seed % 8] = seed << 40;
            }
            for (size_t i = 0; i < m.n; i++) {
                vms_buf w1 = { 0 }, b1 = { 0 }, b2 = { 0 }, w2 = { 0 };
                vms_buf j1 = { 0 }, w3 = { 0 };
                vms_error err = { 0 };
                char buf[1024];

                save(WIRE, da[i].d, da[i].opaque, &w1);
                save(BER, da[i].d, da[i].opaque, &b1);
                /* BER -> state: the same struct as the one saved */
                if (load(BER, db[i].d, db[i].opaque, &b1, -1, &err)) {
                    fail_msg("%s: %s", da[i].name,
                             vms_error_format(&err, buf, sizeof(buf)));
                }
                /* ... which saves the same wire bytes */
                save(WIRE, db[i].d, db[i].opaque, &w2);
                assert_int_equal(w1.len, w2.len);
                assert_memory_equal(w1.data, w2.data, w1.len);
                /* wire -> state -> BER: the same DER (one encoding) */
                assert_int_equal(load(WIRE, dc[i].d, dc[i].opaque, &w1, -1,
                                      &err), 0);
                save(BER, dc[i].d, dc[i].opaque, &b2);
                /* the same state whichever encoding it came through */
                assert_memory_equal(db[i].opaque, dc[i].opaque, db[i].size);
                /* wire -> state -> JSON -> state -> wire, the same again */
                save(JSON, dc[i].d, dc[i].opaque, &j1);
                if (load(JSON, dj[i].d, dj[i].opaque, &j1, -1, &err)) {
                    fail_msg("%s: %s", da[i].name,
                             vms_error_format(&err, buf, sizeof(buf)));
                }
                assert_memory_equal(dj[i].opaque, dc[i].opaque, dj[i].size);
                save(WIRE, dj[i].d, dj[i].opaque, &w3);
                assert_int_equal(w1.len, w3.len);
                assert_memory_equal(w1.data, w3.data, w1.len);
                vms_buf_free(&j1);
                vms_buf_free(&w3);
                assert_int_equal(b1.len, b2.len);
                assert_memory_equal(b1.data, b2.data, b1.len);
                vms_buf_free(&w1);
                vms_buf_free(&w2);
                vms_buf_free(&b1);
                vms_buf_free(&b2);
            }
            machines_free(&m);
        }
    }
}

/*
 * Across releases each encoding must behave as the wire does: the same
 * state loaded, or the same refusal.
 */
static void cross(int from, int to, uint64_t seed, bool irq_count)
{
    machines m;
    dev *da = m.src_dev, *dw = m.dst_dev[0], *dbr = m.dst_dev[1];
    dev *djs = m.dst_dev[2];

    machines_init(&m, from, to, seed);
    if (irq_count) {
        m.src.pic[1].irq_count[3] = 7;
    }
    for (size_t i = 0; i < m.n; i++) {
        vms_buf w = { 0 }, b = { 0 }, j = { 0 };
        vms_error ew = { 0 }, eb = { 0 }, ej = { 0 };
        int rw, rb, rj;

        save(WIRE, da[i].d, da[i].opaque, &w);
        save(BER, da[i].d, da[i].opaque, &b);
        /* the wire carries the version in its section header */
        rw = load(WIRE, dw[i].d, dw[i].opaque, &w, da[i].d->version_id, &ew);
        rb = load(BER, dbr[i].d, dbr[i].opaque, &b, -1, &eb);
        /*
         * JSON keeps no version: it loads in the description's own, so
         * only a change of content (not of version) is refused there.
         */
        save(JSON, da[i].d, da[i].opaque, &j);
        rj = load(JSON, djs[i].d, djs[i].opaque, &j,
                  da[i].d->version_id < djs[i].d->version_id
                      ? da[i].d->version_id : -1, &ej);
        if (rw != rb) {
            char b1[512], b2[512];
            fail_msg("%s: wire %d (%s), BER %d (%s)", da[i].name, rw,
                     vms_error_format(&ew, b1, sizeof(b1)), rb,
                     vms_error_format(&eb, b2, sizeof(b2)));
        }
        if (!rw) {
            assert_memory_equal(dw[i].opaque, dbr[i].opaque, dw[i].size);
            assert_int_equal(rj, 0);
            assert_memory_equal(dw[i].opaque, djs[i].opaque, dw[i].size);
        } else {
            assert_string_equal(ew.path, eb.path);
            assert_true(eb.has_offset);
        }
        vms_buf_free(&w);
        vms_buf_free(&b);
        vms_buf_free(&j);
    }
    machines_free(&m);
}

static void test_releases(void **state)
{
    (void)state;
    cross(1, 2, 3, false);      /* old release save, new load */
    cross(2, 1, 4, false);      /* new save, old load: the PIT refuses */
    cross(2, 1, 5, true);       /* ... and the unknown subsection */
    cross(2, 2, 6, true);
}

/* A byte string inside a document, for the mutations below. */
static size_t find(const vms_buf *b, const void *needle, size_t n)
{
    for (size_t i = 0; i + n <= b->len; i++) {
        if (memcmp(b->data + i, needle, n) == 0) {
            return i;
        }
    }
    fail_msg("pattern not found");
    return 0;
}

static void expect_error(const vms_buf *doc, int code, const char *path,
                         uint64_t offset, const char *msg)
{
    ex_pc b;
    vms_error err = { 0 };
    char buf[1024];

    pc_init(&b, 1);
    assert_int_equal(load(BER, &ex_pic_desc_v1, &b.pic[0], doc, -1, &err),
                     code);
    vms_error_format(&err, buf, sizeof(buf));
    if (strcmp(err.path, path) != 0 || !err.has_offset ||
        err.offset != offset || !strstr(err.message, msg) ||
        strcmp(err.file, "doc") != 0) {
        fail_msg("got \"%s\"", buf);
    }
    ex_pc_free(&b);
}

static void test_errors(void **state)
{
    ex_pc a;
    vms_buf doc = { 0 };
    size_t at;

    (void)state;
    pc_init(&a, 1);
    ex_pc_randomize(&a, 11);
    a.pic[0].imr = 0xf0;
    save(BER, &ex_pic_desc_v1, &a.pic[0], &doc);

    /* a renamed field */
    at = find(&doc, "\x0c\x03irr", 5);
    doc.data[at + 4] = 'x';
    expect_error(&doc, VMS_EMISMATCH, "i8259.irr", at,
                 "field \"irx\" where the description has \"irr\"");
    doc.data[at + 4] = 'r';
    /* a type that is not the field's */
    at = find(&doc, "\x0c\x03imr\x0c\x05uint8", 12);
    doc.data[at + 11] = '6';
    expect_error(&doc, VMS_EMISMATCH, "i8259.imr", at + 5,
                 "type \"uint6\" where the description has \"uint8\"");
    doc.data[at + 11] = '8';
    /* a size that is not the field's */
    at = find(&doc, "\x0c\x03imr\x0c\x05uint8\x02\x01\x01", 15);
    doc.data[at + 14] = 2;
    expect_error(&doc, VMS_EMISMATCH, "i8259.imr", at + 12,
                 "size 2 where the description has 1");
    doc.data[at + 14] = 1;
    /* a value out of its field's range: 0xf0 is -16 as a DER INTEGER */
    at = find(&doc, "\x0c\x03imr\x0c\x05uint8\x02\x01\x01\x02\x02\x00\xf0",
              19);
    doc.data[at + 17] = 0x01;   /* 0x01f0 */
    expect_error(&doc, VMS_EFORMAT, "i8259.imr", at + 15,
                 "value does not fit 1 bytes");
    doc.data[at + 17] = 0x00;
    /* a length longer than what encloses it */
    doc.data[at + 16] = 0x7f;
    expect_error(&doc, VMS_EFORMAT, "i8259.imr", at + 15, "runs past");
    doc.data[at + 16] = 0x02;
    ex_pc_free(&a);

    /* every prefix and every flipped byte: an error or a load, no crash */
    for (size_t len = 0; len < doc.len; len++) {
        vms_buf cut = { .data = doc.data, .len = len };
        vms_error err = { 0 };
        ex_pc b;
        pc_init(&b, 1);
        assert_true(load(BER, &ex_pic_desc_v1, &b.pic[0], &cut, -1,
                         &err) < 0);
        assert_true(err.has_offset);
        ex_pc_free(&b);
    }
    for (size_t i = 0; i < doc.len; i++) {
        vms_error err = { 0 };
        ex_pc b;
        pc_init(&b, 1);
        doc.data[i] ^= 0xff;
        (void)load(BER, &ex_pic_desc_v1, &b.pic[0], &doc, -1, &err);
        doc.data[i] ^= 0xff;
        ex_pc_free(&b);
    }
    vms_buf_free(&doc);
}

static bool have(const char *prog)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

/* Independent decoders accept every device state of both releases. */
static void test_oracles(void **state)
{
    const char *src = getenv("VMS_SRCDIR");
    char dir[] = "/tmp/vms-test-ber-XXXXXX";

    (void)state;
    if (!src || !have("openssl") || !have("asn1Decoding")) {
        printf("# SKIP openssl or asn1Decoding (libtasn1-bin) missing\n");
        skip();
    }
    assert_non_null(mkdtemp(dir));
    for (int variant = 1; variant <= 2; variant++) {
        ex_pc a;
        dev da[8];
        size_t n;

        pc_init(&a, variant);
        ex_pc_randomize(&a, 40 + (uint64_t)variant);
        if (variant == 2) {
            a.pic[0].irq_count[1] = 1;
        }
        n = devices(&a, da);
        for (size_t i = 0; i < n; i++) {
            vms_buf b = { 0 };
            char path[512], cmd[2048];
            FILE *f;

            save(BER, da[i].d, da[i].opaque, &b);
            snprintf(path, sizeof(path), "%s/%s-%d.der", dir, da[i].name,
                     variant);
            f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
            fclose(f);
            snprintf(cmd, sizeof(cmd), "openssl asn1parse -inform DER "
                     "-in %s >/dev/null", path);
            if (system(cmd) != 0) {
                fail_msg("openssl rejects %s", path);
            }
            snprintf(cmd, sizeof(cmd), "asn1Decoding %s/doc/vmstate.asn1 "
                     "%s VMState.State >%s.out 2>&1 && grep -q "
                     "'Decoding: SUCCESS' %s.out", src, path, path, path);
            if (system(cmd) != 0) {
                fail_msg("asn1Decoding rejects %s", path);
            }
            unlink(path);
            strcat(path, ".out");
            unlink(path);
            vms_buf_free(&b);
        }
        ex_pc_free(&a);
    }
    rmdir(dir);
}

/* ---- every layout the walk knows, with exact DER ------------------------ */

#include "../fuzz/ber_all.h"

static void test_layouts(void **state)
{
    static uint16_t var1[2] = { 0x8000, 7 }, var2[2];
    static part p0 = { 0xffff, 0 }, p2 = { 1, 5 }, q0, q2 = { 0, 10 };
    all a = { .flag = true, .s8 = -128, .s64 = -1, .u64 = UINT64_MAX,
              .d = -0.5, .timer = -1, .bitmap = { 1, 1ull << 63 },
              .buf = { 'a', 'b', 'c' }, .n = 2, .var = var1,
              .ptrs = { &p0, NULL, &p2 }, .one = { 2, 3 }, .subval = 9 };
    all b = { .var = var2, .ptrs = { &q0, NULL, &q2 },
              .one = { 0, 3 } };
    vms_buf w1 = { 0 }, d = { 0 }, w2 = { 0 };
    vms_error err = { 0 };
    char buf[1024];
    /* Field name, type, size, then the value, as DER */
    static const struct {
        const char *what;
        const char *der;
        size_t len;
    } expect[] = {
        { "bool TRUE is 0xff", "\x0c\x04" "flag" "\x0c\x04" "bool"
          "\x02\x01\x01" "\x01\x01\xff", 17 },
        { "int8 -128: one byte", "\x0c\x04" "int8" "\x02\x01\x01"
          "\x02\x01\x80", 12 },
        { "int64 -1: one byte", "\x0c\x05" "int64" "\x02\x01\x08"
          "\x02\x01\xff", 13 },
        { "uint64 max: a leading zero", "\x0c\x06" "uint64" "\x02\x01\x08"
          "\x02\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff", 22 },
        { "float64: its wire bytes", "\x0c\x07" "float64" "\x02\x01\x08"
          "\x04\x08\xbf\xe0\x00\x00\x00\x00\x00\x00", 22 },
        { "bitmap: be64 words", "\x04\x10\x00\x00\x00\x00\x00\x00\x00\x01"
          "\x80\x00\x00\x00\x00\x00\x00\x00", 18 },
        { "varray: [1] of two INTEGERs", "\xa1\x08\x02\x03\x00\x80\x00"
          "\x02\x01\x07", 9 },
        { "a NULL pointer between two states", "\x05\x00\xa0", 3 },
        { "unused bytes: zeros", "\x0c\x06" "unused" "\x0c\x0d"
          "unused_buffer" "\x02\x01\x02" "\x04\x02\x00\x00", 30 },
        { "the subsection with its version", "\x0c\x07" "all/sub"
          "\x02\x01\x03\x30", 13 },
    };

    (void)state;
    save(WIRE, &all_desc, &a, &w1);
    save(BER, &all_desc, &a, &d);
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        bool found = false;
        for (size_t k = 0; !found && k + expect[i].len <= d.len; k++) {
            found = memcmp(d.data + k, expect[i].der, expect[i].len) == 0;
        }
        if (!found) {
            fail_msg("DER lacks: %s", expect[i].what);
        }
    }
    if (load(BER, &all_desc, &b, &d, -1, &err)) {
        fail_msg("%s", vms_error_format(&err, buf, sizeof(buf)));
    }
    save(WIRE, &all_desc, &b, &w2);
    assert_int_equal(w1.len, w2.len);
    assert_memory_equal(w1.data, w2.data, w1.len);
    assert_true(b.flag && b.s8 == -128 && b.s64 == -1 &&
                b.u64 == UINT64_MAX && b.d == -0.5 && b.timer == -1);
    assert_int_equal(var2[0], 0x8000);
    assert_int_equal(q2.le, 5);
    assert_int_equal(b.subval, 9);
    vms_buf_free(&w1);
    vms_buf_free(&w2);
    vms_buf_free(&d);
}

/* ---- real QEMU device sections, through their vmdesc ------------------- */

typedef struct real {
    const char *path;
    unsigned devices;
} real;

/*
 * Each device section the unpacked model decodes (those whose wire bytes
 * its description reproduces): loaded from BER and from JSON it is the
 * same state buffer, which writes the same wire bytes.
 */
static int real_item(void *opaque, const vms_unpack_item *it, vms_error *e)
{
    real *r = opaque;
    vms_buf w0 = { 0 }, b = { 0 }, j = { 0 }, wb = { 0 }, wj = { 0 };
    uint8_t *sb, *sj;
    vms_error err = { 0 };
    char buf[1024];

    (void)e;
    if (it->body != VMS_BODY_DEVICE) {
        return 0;
    }
    sb = calloc(1, it->state_size + 1);
    sj = calloc(1, it->state_size + 1);
    assert_non_null(sb);
    assert_non_null(sj);
    save(WIRE, it->desc, it->state, &w0);
    save(BER, it->desc, it->state, &b);
    save(JSON, it->desc, it->state, &j);
    if (load(BER, it->desc, sb, &b, -1, &err) ||
        load(JSON, it->desc, sj, &j, -1, &err)) {
        fail_msg("%s: %s (%u): %s", r->path, it->rec.idstr,
                 it->rec.section_id, vms_error_format(&err, buf,
                                                       sizeof(buf)));
    }
    assert_memory_equal(it->state, sb, it->state_size);
    assert_memory_equal(it->state, sj, it->state_size);
    save(WIRE, it->desc, sb, &wb);
    save(WIRE, it->desc, sj, &wj);
    assert_int_equal(w0.len, wb.len);
    assert_memory_equal(w0.data, wb.data, w0.len);
    assert_int_equal(w0.len, wj.len);
    assert_memory_equal(w0.data, wj.data, w0.len);
    r->devices++;
    free(sb);
    free(sj);
    vms_buf_free(&w0);
    vms_buf_free(&b);
    vms_buf_free(&j);
    vms_buf_free(&wb);
    vms_buf_free(&wj);
    return 0;
}

static int no_page(void *opaque, unsigned idx, uint64_t addr,
                   const uint8_t *data, uint8_t fill, vms_error *err)
{
    (void)opaque, (void)idx, (void)addr, (void)data, (void)fill, (void)err;
    return 0;
}

static void test_real_sections(void **state)
{
    static const vms_ram_sink pages = { .page = no_page };
    const char *shared = getenv("VMS_SHARED");
    char dir[1024];
    struct dirent *de;
    unsigned streams = 0, devices = 0;
    DIR *dp = NULL;

    (void)state;
    snprintf(dir, sizeof(dir), "%s/testdata/streams", shared ? shared : "");
    if (!shared || !(dp = opendir(dir))) {
        printf("# SKIP no ../shared/testdata/streams\n");
        skip();
    }
    while ((de = readdir(dp))) {
        size_t n = strlen(de->d_name);
        char path[2048];
        real r = { .path = path };
        vms_unpack_ops ops = { .opaque = &r, .item = real_item,
                               .ram = &pages };
        vms_error err = { 0 };
        vms_stream *s;

        if (n < 4 || strcmp(de->d_name + n - 4, ".mig") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        s = vms_stream_open(path, &err);
        assert_non_null(s);
        if (vms_unpack_read(s, &ops, &err)) {
            char buf[1024];
            fail_msg("%s", vms_error_format(&err, buf, sizeof(buf)));
        }
        vms_stream_close(s);
        devices += r.devices;
        streams++;
    }
    closedir(dp);
    printf("# %u device sections of %u streams: BER and JSON load the "
           "same state, which saves the same bytes\n", devices, streams);
    assert_true(streams >= 8);
    assert_true(devices > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_releases),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_oracles),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_real_sections),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
