/*
 * Unit tests of the stream container reader (stream.h) on streams the
 * library writes itself (the example machine, fixture.h), so that they
 * run without ../shared: the records come in the order and with the
 * headers vms_vm_save wrote them, the configuration decodes (its
 * subsections too: page bits, capabilities, uuid), the end
 * marker and what follows it are classified (description, nothing, a cut
 * description, other bytes), every cut before the end marker is
 * VMS_ETRUNC with the one truncation message naming where the input
 * ends, and the fit proof (vms_stream_require_fit) turns a section
 * decoded short and bytes after the end marker into VMS_EMISMATCH.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "vmstate/vmstate.h"
#include "fixture.h"

/* The stream of every device, without RAM: small, with a description. */
static fx_machine src;

static int setup(void **state)
{
    (void)state;
    fx_tmp_make("stream");
    fx_machine_init(&src, 1, EX_DEV_ALL, 0, 7);
    fx_machine_save(&src, fx_at("pc.mig"), 0);
    fx_machine_save(&src, fx_at("bare.mig"), VMS_SAVE_NO_VMDESC);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_machine_free(&src);
    return fx_tmp_remove();
}

/* What walking a stream saw. */
typedef struct walked {
    int e;                      /* the first error, 0 at a clean end */
    vms_error err;
    size_t n;                   /* records read */
    vms_record rec[16];
    vms_config cfg;
    uint64_t body_end[16];      /* offset after each section's footer */
    enum vms_stream_tail tail;
    uint64_t eof_off;
} walked;

/*
 * Read every record of path, loading each device section into a machine
 * of the same devices (the real decoder, vms_vm_load_section), as every
 * command does, until the end marker or the first error.
 */
static void walk(const char *path, bool fit, walked *w)
{
    fx_machine dst;
    vms_stream *s;
    vms_record rec;

    memset(w, 0, sizeof(*w));
    if (!(s = vms_stream_open(path, &w->err))) {
        w->e = w->err.code;
        assert_true(w->e < 0);
        return;
    }
    vms_stream_require_fit(s, fit);
    fx_machine_init(&dst, 1, EX_DEV_ALL, 0, 0);
    for (;;) {
        w->e = vms_stream_next(s, &rec, &w->cfg, &w->err);
        if (!w->e || rec.type == VMS_REC_EOF) {
            assert_true(w->n < 16);
            w->rec[w->n++] = rec;
        }
        if (w->e || rec.type == VMS_REC_EOF) {
            break;
        }
        if (rec.type == VMS_REC_SECTION_FULL) {
            w->e = vms_vm_load_section(dst.vm, rec.idstr, rec.instance_id,
                                       (int)rec.version_id,
                                       vms_stream_reader(s), &w->err);
            w->e = w->e ? w->e : vms_stream_end_section(s, &rec, &w->err);
            if (w->e) {
                break;
            }
            w->body_end[w->n - 1] = vms_stream_offset(s);
        }
    }
    w->tail = vms_stream_tail(s, &w->eof_off);
    vms_stream_close(s);
    fx_machine_free(&dst);
}

static void records_are_those_written(void **state)
{
    static const struct {
        const char *idstr;
        uint32_t instance, version;
    } dev[] = {
        { "i8259", 0, 1 }, { "i8259", 1, 1 }, { "mc146818rtc", 0, 3 },
        { "i8254", 0, 3 }, { "0000:00:01.0/PIIX3", 0, 3 },
        { "0000:00:02.0/e1000", 0, 2 }, { "serial", 0, 3 },
    };
    size_t len, dlen;
    char *bytes = fx_slurp(fx_at("pc.mig"), &len);
    vms_error err = { 0 };
    const char *desc;
    vms_stream *s;
    json_t *j;
    walked w;

    (void)state;
    walk(fx_at("pc.mig"), false, &w);
    assert_int_equal(w.e, 0);
    /* the configuration, the seven devices in registration order, EOF */
    assert_int_equal(w.n, 9);
    assert_int_equal(w.rec[0].type, VMS_REC_CONFIGURATION);
    assert_int_equal(w.rec[0].offset, 8);       /* after magic + version */
    assert_string_equal(w.cfg.machine, "pc-i440fx-7.2");
    /* as QEMU 7.2's x86: no page bits, capabilities nor uuid */
    assert_int_equal(w.cfg.target_page_bits, 0);
    assert_int_equal(w.cfg.ncaps, 0);
    assert_false(w.cfg.has_uuid);
    for (size_t i = 0; i < 7; i++) {
        const vms_record *r = &w.rec[1 + i];

        assert_int_equal(r->type, VMS_REC_SECTION_FULL);
        assert_string_equal(r->idstr, dev[i].idstr);
        assert_int_equal(r->instance_id, dev[i].instance);
        assert_int_equal(r->version_id, dev[i].version);
        assert_int_equal((uint8_t)bytes[r->offset], VMS_REC_SECTION_FULL);
        /* each section's footer ends where the next record starts */
        assert_int_equal(w.body_end[1 + i], w.rec[2 + i].offset);
        assert_int_equal((uint8_t)bytes[w.body_end[1 + i] - 5],
                         VMS_REC_FOOTER);
    }
    assert_int_equal(w.rec[8].type, VMS_REC_EOF);
    assert_int_equal(bytes[w.rec[8].offset], 0);
    /* the end marker, then the whole description */
    assert_int_equal(w.tail, VMS_TAIL_DESC);
    assert_int_equal(w.eof_off, w.rec[8].offset);

    assert_non_null(s = vms_stream_open(fx_at("pc.mig"), &err));
    assert_int_equal(vms_stream_vmdesc_offset(s), w.eof_off + 1);
    assert_non_null(desc = vms_stream_vmdesc(s, &dlen));
    assert_int_equal(w.eof_off + 1 + 1 + 4 + dlen, len);
    assert_non_null(j = json_loadb(desc, dlen, 0, NULL));
    assert_int_equal(json_array_size(json_object_get(j, "devices")), 7);
    json_decref(j);
    assert_int_equal(vms_stream_find_vmdesc((const uint8_t *)bytes, len),
                     (int64_t)(w.eof_off + 1));
    vms_stream_close(s);
    free(bytes);
}

/* A stream without configuration (old machine types) starts with RAM. */
static void no_configuration(void **state)
{
    fx_machine m;
    walked w;

    (void)state;
    fx_machine_init(&m, 1, EX_DEV_PIC, 8192, 0);
    fx_machine_save(&m, fx_at("nocfg.mig"), VMS_SAVE_NO_CONFIGURATION);
    fx_machine_free(&m);
    walk(fx_at("nocfg.mig"), false, &w);
    /* stops at the RAM section, which walk leaves undecoded */
    assert_true(w.n >= 1);
    assert_int_equal(w.rec[0].type, VMS_REC_SECTION_START);
    assert_int_equal(w.rec[0].offset, 8);
    assert_string_equal(w.rec[0].idstr, "ram");
    assert_string_equal(w.cfg.machine, "");
}

/*
 * Every cut before the end marker is truncated: VMS_ETRUNC, "truncated:
 * expected ...; the input ends at offset CUT", err->offset at or before
 * the cut, and never a crash. Cuts: around every record start and footer,
 * and a stride through the section bodies.
 */
static void cut_streams_are_truncated(void **state)
{
    size_t len, ncut = 0;
    char *bytes = fx_slurp(fx_at("pc.mig"), &len);
    uint64_t cuts[600];
    walked full, w;
    char want[96];

    (void)state;
    walk(fx_at("pc.mig"), false, &full);
    for (uint64_t c = 0; c < 12; c++) {
        cuts[ncut++] = c;
    }
    for (size_t i = 0; i < full.n; i++) {
        for (int d = -1; d <= 6; d++) {
            uint64_t at = full.rec[i].offset + (uint64_t)d;

            if (at > 11 && at <= full.eof_off) {
                cuts[ncut++] = at;
            }
            if (full.body_end[i] && d < 5) {
                cuts[ncut++] = full.body_end[i] - 5 + (uint64_t)d;
            }
        }
    }
    for (uint64_t at = 13; at < full.eof_off && ncut < 600; at += 997) {
        cuts[ncut++] = at;
    }
    for (size_t i = 0; i < ncut; i++) {
        walked *p = &w;

        fx_spit(fx_at("cut.mig"), bytes, cuts[i]);
        walk(fx_at("cut.mig"), false, p);
        if (p->e != VMS_ETRUNC) {
            print_error("cut at %" PRIu64 ": %d %s\n", cuts[i], p->e,
                        p->err.message);
        }
        assert_int_equal(p->e, VMS_ETRUNC);
        assert_non_null(strstr(p->err.message, "truncated: expected "));
        snprintf(want, sizeof(want), "; the input ends at offset 0x%" PRIx64,
                 cuts[i]);
        assert_non_null(strstr(p->err.message, want));
        assert_true(p->err.has_offset);
        assert_true(p->err.offset <= cuts[i]);
        assert_string_equal(p->err.file, fx_at("cut.mig"));
        assert_int_equal(p->tail, VMS_TAIL_UNKNOWN);
    }
    free(bytes);
}

/* What follows the end marker: a cut description, nothing, other bytes. */
static void after_the_end_marker(void **state)
{
    size_t len, blen;
    char *bytes = fx_slurp(fx_at("pc.mig"), &len);
    char *bare = fx_slurp(fx_at("bare.mig"), &blen);
    char *junk;
    walked full, w;

    (void)state;
    walk(fx_at("pc.mig"), false, &full);
    /* the description cut anywhere: ETRUNC at the end marker's record */
    for (uint64_t at = full.eof_off + 2; at < len; at += (len - at) / 3 + 1) {
        fx_spit(fx_at("cut.mig"), bytes, at);
        walk(fx_at("cut.mig"), false, &w);
        assert_int_equal(w.e, VMS_ETRUNC);
        assert_int_equal(w.rec[w.n - 1].type, VMS_REC_EOF);
        assert_int_equal(w.tail, VMS_TAIL_CUT);
        assert_int_equal(w.eof_off, full.eof_off);
        assert_non_null(strstr(w.err.message, "truncated: expected "));
    }
    /* the end marker and nothing after it (suppress-vmdesc) */
    fx_spit(fx_at("cut.mig"), bytes, full.eof_off + 1);
    walk(fx_at("cut.mig"), false, &w);
    assert_int_equal(w.e, 0);
    assert_int_equal(w.tail, VMS_TAIL_NONE);
    walk(fx_at("bare.mig"), false, &w);
    assert_int_equal(w.e, 0);
    assert_int_equal(w.tail, VMS_TAIL_NONE);
    assert_int_equal(w.eof_off, blen - 1);
    /* other bytes: QEMU ignores them, so do we, unless proving a fit */
    junk = malloc(blen + 3);
    memcpy(junk, bare, blen);
    memcpy(junk + blen, "xyz", 3);
    fx_spit(fx_at("junk.mig"), junk, blen + 3);
    walk(fx_at("junk.mig"), false, &w);
    assert_int_equal(w.e, 0);
    assert_int_equal(w.tail, VMS_TAIL_OTHER);
    walk(fx_at("junk.mig"), true, &w);
    assert_int_equal(w.e, VMS_EMISMATCH);
    assert_non_null(strstr(w.err.message, "does not fit the borrowed "
                                          "description"));
    assert_non_null(strstr(w.err.message, "3 bytes after it"));
    /* the fit proof accepts the stream as written */
    walk(fx_at("bare.mig"), true, &w);
    assert_int_equal(w.e, 0);
    walk(fx_at("pc.mig"), true, &w);
    assert_int_equal(w.e, 0);
    free(junk);
    free(bare);
    free(bytes);
}

/*
 * A section decoded short (one byte of the second i8259 read): without
 * the fit proof a missing footer (VMS_EFORMAT), with it VMS_EMISMATCH
 * naming the section and the machine type to ask QEMU for.
 */
static void section_decoded_short(void **state)
{
    for (int fit = 0; fit <= 1; fit++) {
        vms_error err = { 0 };
        const uint8_t *p;
        vms_stream *s;
        vms_record rec;
        fx_machine dst;
        size_t got;
        uint8_t b;
        int e = 0;

        (void)state;
        fx_machine_init(&dst, 1, EX_DEV_ALL, 0, 0);
        assert_non_null(s = vms_stream_open(fx_at("pc.mig"), &err));
        vms_stream_require_fit(s, fit);
        for (int n = 0; !e; n++) {
            assert_int_equal(vms_stream_next(s, &rec, NULL, &err), 0);
            if (rec.type != VMS_REC_SECTION_FULL) {
                continue;
            }
            if (rec.instance_id == 0) {
                assert_int_equal(vms_vm_load_section(dst.vm, rec.idstr, 0,
                                 (int)rec.version_id, vms_stream_reader(s),
                                 &err), 0);
                assert_int_equal(vms_stream_end_section(s, &rec, &err), 0);
                continue;
            }
            assert_string_equal(rec.idstr, "i8259");
            assert_int_equal(vms_read_u8(vms_stream_reader(s), &b, &err), 0);
            /* the case under test needs a byte that is no footer next */
            assert_int_equal(vms_read_peek(vms_stream_reader(s), 1, &p, &got,
                                           &err), 0);
            assert_true(got == 1 && p[0] != VMS_REC_FOOTER);
            e = vms_stream_end_section(s, &rec, &err);
        }
        if (fit) {
            assert_int_equal(e, VMS_EMISMATCH);
            assert_non_null(strstr(err.message, "section 'i8259'"));
            assert_non_null(strstr(err.message, "its footer does not "
                                                "follow it"));
            assert_non_null(strstr(err.message, "-M pc-i440fx-7.2"));
        } else {
            assert_int_equal(e, VMS_EFORMAT);
            assert_non_null(strstr(err.message, "missing footer after "
                                                "section"));
        }
        assert_true(err.has_offset);
        assert_int_equal(err.offset, rec.offset + 1 + 4 + 1 + 5 + 4 + 4 + 1);
        vms_stream_close(s);
        fx_machine_free(&dst);
    }
}

/*
 * A configuration with the subsections QEMU may send after the machine
 * name (migration/savevm.c vmstate_configuration: target-page-bits,
 * capabilities as u8-length names, uuid), written here byte by byte.
 */
static void config_stream(const char *path, const char *sub, uint32_t bits)
{
    static const uint8_t uuid[16] = { 0x4b, 0x1c, 0x6e, 0x36, 1, 2, 3, 4,
                                      5, 6, 7, 8, 9, 10, 11, 0xab };
    static const char *caps[] = { "x-ignore-shared", "mapped-ram" };
    vms_error err = { 0 };
    vms_buf b = { 0 };
    vms_writer *w;

    assert_non_null(w = vms_writer_buf(&b, &err));
    assert_int_equal(vms_stream_put_header(w, &err), 0);
    assert_int_equal(vms_write_u8(w, VMS_REC_CONFIGURATION, &err), 0);
    assert_int_equal(vms_write_be32(w, 10, &err), 0);
    assert_int_equal(vms_write_bytes(w, "pc-q35-9.0", 10, &err), 0);
    assert_int_equal(vms_write_u8(w, VMS_REC_SUBSECTION, &err), 0);
    assert_int_equal(vms_write_str8(w, sub, strlen(sub), &err), 0);
    assert_int_equal(vms_write_be32(w, 1, &err), 0);
    assert_int_equal(vms_write_be32(w, bits, &err), 0);
    assert_int_equal(vms_write_u8(w, VMS_REC_SUBSECTION, &err), 0);
    assert_int_equal(vms_write_str8(w, "configuration/capabilities", 26,
                                    &err), 0);
    assert_int_equal(vms_write_be32(w, 1, &err), 0);
    assert_int_equal(vms_write_be32(w, 2, &err), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(vms_write_str8(w, caps[i], strlen(caps[i]), &err),
                         0);
    }
    assert_int_equal(vms_write_u8(w, VMS_REC_SUBSECTION, &err), 0);
    assert_int_equal(vms_write_str8(w, "configuration/uuid", 18, &err), 0);
    assert_int_equal(vms_write_be32(w, 1, &err), 0);
    assert_int_equal(vms_write_bytes(w, uuid, 16, &err), 0);
    assert_int_equal(vms_stream_put_eof(w, NULL, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    fx_spit(path, b.data, b.len);
    vms_buf_free(&b);
}

static void configuration_subsections(void **state)
{
    walked w;

    (void)state;
    config_stream(fx_at("cfg.mig"), "configuration/target-page-bits", 12);
    walk(fx_at("cfg.mig"), false, &w);
    assert_int_equal(w.e, 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.rec[0].type, VMS_REC_CONFIGURATION);
    assert_int_equal(w.rec[1].type, VMS_REC_EOF);
    assert_string_equal(w.cfg.machine, "pc-q35-9.0");
    assert_int_equal(w.cfg.target_page_bits, 12);
    assert_int_equal(w.cfg.ncaps, 2);
    assert_string_equal(w.cfg.caps[0], "x-ignore-shared");
    assert_string_equal(w.cfg.caps[1], "mapped-ram");
    assert_true(w.cfg.has_uuid);
    assert_int_equal(w.cfg.uuid[0], 0x4b);
    assert_int_equal(w.cfg.uuid[15], 0xab);
    assert_int_equal(w.tail, VMS_TAIL_NONE);

    /* a page size no target has; a subsection QEMU does not send */
    config_stream(fx_at("cfg.mig"), "configuration/target-page-bits", 40);
    walk(fx_at("cfg.mig"), false, &w);
    assert_int_equal(w.e, VMS_EFORMAT);
    assert_non_null(strstr(w.err.message, "target page bits 40"));
    /* the value: after header, record type, name, 0x05, name, version */
    assert_int_equal(w.err.offset, 8 + 1 + 4 + 10 + 1 + 31 + 4);
    config_stream(fx_at("cfg.mig"), "configuration/other", 12);
    walk(fx_at("cfg.mig"), false, &w);
    assert_int_equal(w.e, VMS_EUNSUPPORTED);
    assert_non_null(strstr(w.err.message, "unknown configuration "
                                          "subsection 'configuration/other'"));
    assert_int_equal(w.err.offset, 8 + 1 + 4 + 10);
}

/*
 * A footer's 6 bytes inside device data: QEMU's 'timer' is section 0, and
 * its first field (a clock offset) ends in 0x7e one time in 256, before a
 * field of zeros: 7e 00 00 00 00 then 00, a footer of section 0 and an end
 * marker. Without a description the body must still end at the real
 * footer (the next section's printable name follows it), not there.
 */
static void footer_bytes_in_the_data(void **state)
{
    static const vms_record timer = { .type = VMS_REC_SECTION_FULL,
                                      .section_id = 0, .idstr = "timer",
                                      .version_id = 2 };
    static const vms_record dev = { .type = VMS_REC_SECTION_FULL,
                                    .section_id = 1, .idstr = "dev",
                                    .version_id = 1 };
    vms_error err = { 0 };
    vms_buf b = { 0 };
    vms_writer *w;
    vms_stream *s;
    vms_record rec;
    size_t len;

    (void)state;
    assert_non_null(w = vms_writer_buf(&b, &err));
    assert_int_equal(vms_stream_put_header(w, &err), 0);
    assert_int_equal(vms_write_u8(w, VMS_REC_CONFIGURATION, &err), 0);
    assert_int_equal(vms_write_be32(w, 14, &err), 0);
    assert_int_equal(vms_write_bytes(w, "pc-i440fx-10.0", 14, &err), 0);
    assert_int_equal(vms_stream_put_section(w, &timer, &err), 0);
    assert_int_equal(vms_write_be64(w, 0xfccae27eu, &err), 0);
    assert_int_equal(vms_write_be64(w, 0, &err), 0);
    assert_int_equal(vms_write_be64(w, 0x789ae1bau, &err), 0);
    assert_int_equal(vms_stream_put_footer(w, 0, &err), 0);
    assert_int_equal(vms_stream_put_section(w, &dev, &err), 0);
    assert_int_equal(vms_write_be32(w, 0xdeadbeefu, &err), 0);
    assert_int_equal(vms_stream_put_footer(w, 1, &err), 0);
    assert_int_equal(vms_stream_put_eof(w, NULL, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    fx_spit(fx_at("fake-footer.mig"), b.data, b.len);
    vms_buf_free(&b);

    assert_non_null(s = vms_stream_open(fx_at("fake-footer.mig"), &err));
    assert_int_equal(vms_stream_next(s, &rec, NULL, &err), 0);
    assert_int_equal(rec.type, VMS_REC_CONFIGURATION);
    assert_int_equal(vms_stream_next(s, &rec, NULL, &err), 0);
    assert_string_equal(rec.idstr, "timer");
    assert_int_equal(vms_stream_body_to_footer(s, &rec, &len, &err), 0);
    assert_int_equal(len, 24);
    vms_stream_close(s);
}

/* Not a stream: bad magic, an unknown version. */
static void not_a_stream(void **state)
{
    static const char magic[] = "QEVX\0\0\0\3\0";
    static const char version[] = "QEVM\0\0\0\2\0";
    vms_error err = { 0 };

    (void)state;
    fx_spit(fx_at("x.mig"), magic, sizeof(magic) - 1);
    assert_null(vms_stream_open(fx_at("x.mig"), &err));
    assert_int_equal(err.code, VMS_EFORMAT);
    assert_true(err.has_offset);
    assert_int_equal(err.offset, 0);
    vms_error_clear(&err);
    fx_spit(fx_at("x.mig"), version, sizeof(version) - 1);
    assert_null(vms_stream_open(fx_at("x.mig"), &err));
    assert_int_equal(err.code, VMS_EVERSION);
    assert_non_null(strstr(err.message, "unsupported stream version 2"));
    assert_true(err.has_offset);
    assert_int_equal(err.offset, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_are_those_written),
        cmocka_unit_test(no_configuration),
        cmocka_unit_test(configuration_subsections),
        cmocka_unit_test(cut_streams_are_truncated),
        cmocka_unit_test(after_the_end_marker),
        cmocka_unit_test(section_decoded_short),
        cmocka_unit_test(footer_bytes_in_the_data),
        cmocka_unit_test(not_a_stream),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
