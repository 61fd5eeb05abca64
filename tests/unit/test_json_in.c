/*
 * The JSON state input visitor: what the JSON state output writes loads
 * back into the same state, so that wire -> JSON -> wire is byte-identical
 * for the engine's PC devices and, through descriptions built from the
 * vmdesc, for every device section of real QEMU streams; bad values fail
 * with their JSON path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "vmstate/vmstate.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "jsonw.h"
#include "../../examples/pc.h"

static void fail_err(const char *what, const vms_error *err)
{
    char buf[1024];

    fail_msg("%s: %s", what, vms_error_format(err, buf, sizeof(buf)));
}

static void wire_save(const vms_desc *d, void *opaque, vms_buf *out)
{
    vms_error err = { 0 };
    vms_writer *w = vms_writer_buf(out, &err);
    vms_visitor *v = vms_wire_output_new(w, &err);

    if (vms_walk(v, d, opaque, d->version_id, &err)) {
        fail_err("wire save", &err);
    }
    vms_visitor_free(v);
    assert_int_equal(vms_writer_close(w, &err), 0);
}

static void json_save(const vms_desc *d, void *opaque, vms_buf *out)
{
    vms_error err = { 0 };
    vms_jsonw *j = vms__jsonw_buf(out, VMS_JSONW_PRETTY, 4, NULL);
    vms_visitor *v = vms_json_state_output_new(j, &err);

    if (vms_walk(v, d, opaque, 0, &err)) {
        fail_err("json save", &err);
    }
    vms_visitor_free(v);
    assert_int_equal(vms_jsonw_free(j), 0);
}

static int json_load(const vms_desc *d, void *opaque, int version,
                     const vms_buf *text, vms_error *err)
{
    vms_visitor *v = vms_json_state_input_text(text->data, text->len,
                                               "state.json", err);
    int e;

    if (!v) {
        return err->code;
    }
    e = vms_walk(v, d, opaque, version, err);
    vms_visitor_free(v);
    return e;
}

struct dev {
    const vms_desc *d;
    void *a, *b;
};

static size_t pc_devices(ex_pc *a, ex_pc *b, struct dev *out)
{
    const vms_desc *pic = a->variant == 2 ? &ex_pic_desc_v2
                                          : &ex_pic_desc_v1;
    const vms_desc *pit = a->variant == 2 ? &ex_pit_desc_v2
                                          : &ex_pit_desc_v1;
    size_t n = 0;

    out[n++] = (struct dev){ pic, &a->pic[0], &b->pic[0] };
    out[n++] = (struct dev){ pic, &a->pic[1], &b->pic[1] };
    out[n++] = (struct dev){ &ex_rtc_desc, &a->rtc, &b->rtc };
    out[n++] = (struct dev){ &ex_serial_desc, &a->serial, &b->serial };
    out[n++] = (struct dev){ pit, &a->pit, &b->pit };
    out[n++] = (struct dev){ &ex_piix3_desc, &a->piix3, &b->piix3 };
    out[n++] = (struct dev){ &ex_e1000_desc, a->e1000, b->e1000 };
    return n;
}

static void engine_devices_round_trip(void **state)
{
    (void)state;
    for (int variant = 1; variant <= 2; variant++) {
        for (uint64_t seed = 1; seed <= 8; seed++) {
            ex_pc a, b;
            struct dev devs[8];
            vms_error err = { 0 };
            size_t n;

            assert_int_equal(ex_pc_init(&a, variant, 0, &err), 0);
            assert_int_equal(ex_pc_init(&b, variant, 0, &err), 0);
            ex_pc_randomize(&a, seed);
            if (variant == 2) {
                a.pic[seed % 2].irq_count[seed % 8] = seed;
            }
            n = pc_devices(&a, &b, devs);
            for (size_t i = 0; i < n; i++) {
                vms_buf w1 = { 0 }, w2 = { 0 }, j1 = { 0 }, j2 = { 0 };
                wire_save(devs[i].d, devs[i].a, &w1);
                json_save(devs[i].d, devs[i].a, &j1);
                if (json_load(devs[i].d, devs[i].b, devs[i].d->version_id,
                              &j1, &err)) {
                    fail_err(devs[i].d->name, &err);
                }
                wire_save(devs[i].d, devs[i].b, &w2);
                json_save(devs[i].d, devs[i].b, &j2);
                assert_int_equal(w1.len, w2.len);
                assert_memory_equal(w1.data, w2.data, w1.len);
                assert_int_equal(j1.len, j2.len);
                assert_memory_equal(j1.data, j2.data, j1.len);
                vms_buf_free(&w1);
                vms_buf_free(&w2);
                vms_buf_free(&j1);
                vms_buf_free(&j2);
            }
            ex_pc_free(&a);
            ex_pc_free(&b);
        }
    }
}

/* Load text into a PIC; returns the error, formatted, in buf. */
static int pic_load(const char *text, char *buf, size_t len)
{
    ex_pic pic;
    vms_error err = { 0 };
    vms_buf t = { (char *)text, strlen(text), 0 };
    int e;

    memset(&pic, 0, sizeof(pic));
    e = json_load(&ex_pic_desc_v1, &pic, ex_pic_desc_v1.version_id, &t,
                  &err);
    buf[0] = 0;
    if (e) {
        vms_error_format(&err, buf, len);
    }
    return e;
}

static char *pic_json(const char *edit_key, const char *edit_val)
{
    ex_pc a;
    vms_error err = { 0 };
    vms_buf j = { 0 };
    char *p, *text;

    assert_int_equal(ex_pc_init(&a, 1, 0, &err), 0);
    ex_pc_demo_state(&a);
    json_save(&ex_pic_desc_v1, &a.pic[0], &j);
    ex_pc_free(&a);
    text = calloc(1, j.len + 256);
    memcpy(text, j.data, j.len);
    vms_buf_free(&j);
    if (edit_key) {
        /* replace "key": "value" by edit_val (which may rename the key) */
        char pat[64];
        snprintf(pat, sizeof(pat), "\"%s\": ", edit_key);
        p = strstr(text, pat);
        assert_non_null(p);
        char *end = strchr(p + strlen(pat) + 1, '"') + 1;
        char rest[4096];
        snprintf(rest, sizeof(rest), "%s", end);
        sprintf(p, "%s%s", edit_val, rest);
    }
    return text;
}

static void bad_values_name_their_path(void **state)
{
    char buf[1024], *t;

    (void)state;
    t = pic_json(NULL, NULL);
    assert_int_equal(pic_load(t, buf, sizeof(buf)), 0);
    free(t);

    t = pic_json("imr", "\"imr\": \"0x1ff\"");
    assert_int_not_equal(pic_load(t, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "state.json: imr: 0x1ff does not fit uint8");
    free(t);

    t = pic_json("imr", "\"imr\": 256");
    assert_int_not_equal(pic_load(t, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "state.json: imr: 256 does not fit uint8");
    free(t);

    t = pic_json("imr", "\"imr\": 17");
    assert_int_equal(pic_load(t, buf, sizeof(buf)), 0);
    free(t);

    t = pic_json("imr", "\"imr\": \"seventeen\"");
    assert_int_not_equal(pic_load(t, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf, "state.json: imr: \"seventeen\" is not"));
    free(t);

    t = pic_json("imr", "\"imx\": \"0x01\"");
    assert_int_not_equal(pic_load(t, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "state.json: imr: missing (the description "
                        "of i8259 has it)");
    free(t);

    t = pic_json("elcr", "\"elcr\": \"0x01\", \"extra\": true");
    assert_int_not_equal(pic_load(t, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "state.json: extra: no field or subsection "
                        "of that name in i8259");
    free(t);

    t = pic_json("elcr", "\"elcr\": [\"0x01\", \"0x02\"]");
    assert_int_not_equal(pic_load(t, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "state.json: elcr: 2 values where the "
                        "description has 1");
    free(t);
}

static void bytes_and_lists_are_checked(void **state)
{
    ex_pc a;
    vms_error err = { 0 };
    vms_buf j = { 0 };
    char buf[1024], *p;

    (void)state;
    assert_int_equal(ex_pc_init(&a, 1, 0, &err), 0);
    json_save(&ex_piix3_desc, &a.piix3, &j);
    p = memmem(j.data, j.len, "\"pci_irq_levels_vmstate\": [", 27);
    assert_non_null(p);
    /* the first element of the merged list: "0x00000000" becomes 2^32 */
    p = strchr(p + 27, '"');
    assert_non_null(p);
    memcpy(p, "  4294967296", 12);
    {
        vms_visitor *v = vms_json_state_input_text(j.data, j.len,
                                                   "s.json", &err);
        assert_non_null(v);
        assert_int_not_equal(vms_walk(v, &ex_piix3_desc, &a.piix3,
                                      ex_piix3_desc.version_id, &err), 0);
        vms_error_format(&err, buf, sizeof(buf));
        vms_visitor_free(v);
    }
    assert_string_equal(buf, "s.json: pci_irq_levels_vmstate[0]: "
                        "4294967296 does not fit int32");
    vms_buf_free(&j);
    ex_pc_free(&a);
}

/* ---- real streams through their vmdesc --------------------------------- */

typedef struct real {
    vms_stream *s;
    vms_vmdesc *vd;
    vms_ram *ram;
    uint32_t page_size;
    vms_config cfg;
    int fd;
    unsigned devices, raw;
} real;

static bool has_cap(const vms_config *c, const char *cap)
{
    for (uint32_t i = 0; i < c->ncaps; i++) {
        if (strcmp(c->caps[i], cap) == 0) {
            return true;
        }
    }
    return false;
}

static void device_round_trip(real *r, const vms_record *rec)
{
    const vms_desc *d;
    size_t size;
    vms_error err = { 0 };
    uint64_t body = vms_stream_offset(r->s), end;
    uint8_t *st, *st2, *orig;
    vms_visitor *in;
    vms_buf j = { 0 }, w = { 0 };

    if (vms_vmdesc_device(r->vd, rec->idstr, rec->instance_id, &d, &size,
                          &err)) {
        fail_err(rec->idstr, &err);
    }
    st = calloc(1, size + 1);
    st2 = calloc(1, size + 1);
    in = vms_wire_input_new(vms_stream_reader(r->s), &err);
    int bad = vms_walk(in, d, st, (int)rec->version_id, &err);
    const uint8_t *p;
    size_t got;

    vms_visitor_free(in);
    end = vms_stream_offset(r->s);
    if (!bad && d->user) {
        /* the walk may stop short: the footer must follow */
        assert_int_equal(vms_read_peek(vms_stream_reader(r->s), 5, &p, &got,
                                       &err), 0);
        bad = got < 5 || p[0] != VMS_REC_FOOTER;
    }
    if (bad) {
        /* the one known description that does not cover its data */
        size_t n;
        assert_true(d->user);
        free(st);
        free(st2);
        assert_int_equal(vms_reader_seek(vms_stream_reader(r->s), body,
                                         &err), 0);
        assert_int_equal(vms_stream_body_to_footer(r->s, rec, &n, &err), 0);
        assert_int_equal(vms_read_skip(vms_stream_reader(r->s), n, &err), 0);
        r->raw++;
        return;
    }
    json_save(d, st, &j);
    if (json_load(d, st2, (int)rec->version_id, &j, &err)) {
        fail_err(rec->idstr, &err);
    }
    wire_save(d, st2, &w);
    orig = malloc(end - body + 1);
    assert_int_equal(pread(r->fd, orig, end - body, (off_t)body),
                     (ssize_t)(end - body));
    if (w.len != end - body || memcmp(w.data, orig, w.len) != 0) {
        fail_msg("%s (%u): wire -> JSON -> wire differs (%zu vs %llu bytes)",
                 rec->idstr, rec->section_id, w.len,
                 (unsigned long long)(end - body));
    }
    r->devices++;
    free(orig);
    free(st);
    free(st2);
    vms_buf_free(&j);
    vms_buf_free(&w);
}

static void one_stream(const char *path, unsigned *devices)
{
    real r = { 0 };
    vms_error err = { 0 };
    vms_record rec;
    const char *text;
    size_t len;

    r.s = vms_stream_open(path, &err);
    if (!r.s) {
        fail_err(path, &err);
    }
    r.fd = open(path, O_RDONLY);
    text = vms_stream_vmdesc(r.s, &len);
    if (!text) {
        vms_stream_close(r.s);
        close(r.fd);
        return;                 /* no description: nothing to round-trip */
    }
    assert_int_equal(vms_vmdesc_parse(text, len, path, &r.vd, &err), 0);
    r.page_size = vms_vmdesc_page_size(r.vd);
    for (;;) {
        int e = vms_stream_next(r.s, &rec, &r.cfg, &err);
        if (e) {
            fail_err(path, &err);
        }
        if (rec.type == VMS_REC_EOF) {
            break;
        }
        if (rec.type == VMS_REC_CONFIGURATION) {
            if (!r.page_size && r.cfg.target_page_bits) {
                r.page_size = 1u << r.cfg.target_page_bits;
            }
            continue;
        }
        if (rec.type == VMS_REC_COMMAND) {
            continue;
        }
        switch (vms_section_kind(rec.idstr, rec.instance_id)) {
        case VMS_SECTION_RAM:
            if (!r.ram) {
                vms_ram_opts o = {
                    .page_size = r.page_size ? r.page_size : 4096,
                    .ignore_shared = has_cap(&r.cfg, "x-ignore-shared"),
                    .mapped_ram = has_cap(&r.cfg, "mapped-ram"),
                };
                vms_ram_sink sink = { 0 };
                r.ram = vms_ram_new(&o, &sink, &err);
                assert_non_null(r.ram);
            }
            e = vms_ram_read(r.ram, r.s, rec.version_id, &err);
            break;
        case VMS_SECTION_HTAB:
            e = vms_htab_read(r.s, rec.version_id, &err);
            break;
        case VMS_SECTION_STATTR:
            e = vms_stattr_read(r.s, rec.version_id, &err);
            break;
        case VMS_SECTION_BLOCK:
            e = vms_block_read(r.s, rec.version_id, &err);
            break;
        case VMS_SECTION_DIRTY_BITMAP:
            e = vms_dirty_bitmap_read(r.s, rec.version_id, &err);
            break;
        default:
            device_round_trip(&r, &rec);
            e = 0;
            break;
        }
        if (e) {
            fail_err(path, &err);
        }
        if (vms_stream_end_section(r.s, &rec, &err)) {
            /* a raw section: skip to its footer as the analyzer does */
            fail_err(path, &err);
        }
    }
    *devices += r.devices;
    vms_ram_free(r.ram);
    vms_vmdesc_free(r.vd);
    vms_stream_close(r.s);
    close(r.fd);
}

static void real_streams_round_trip(void **state)
{
    const char *shared = getenv("VMS_SHARED");
    char dir[1024];
    struct dirent *de;
    unsigned devices = 0, streams = 0;
    DIR *dp = NULL;

    (void)state;
    snprintf(dir, sizeof(dir), "%s/testdata/streams", shared ? shared : "");
    if (!shared || !(dp = opendir(dir))) {
        skip();
    }
    while ((de = readdir(dp))) {
        char path[2048];
        size_t n = strlen(de->d_name);
        if (n < 4 || strcmp(de->d_name + n - 4, ".mig") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        one_stream(path, &devices);
        streams++;
    }
    closedir(dp);
    print_message("# %u device sections of %u streams: wire -> JSON -> "
                  "wire identical\n", devices, streams);
    assert_true(streams >= 8);
    assert_true(devices > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(engine_devices_round_trip),
        cmocka_unit_test(bad_values_name_their_path),
        cmocka_unit_test(bytes_and_lists_are_checked),
        cmocka_unit_test(real_streams_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
