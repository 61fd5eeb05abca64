/*
 * Unit tests of the RAM section reader (ram.h) on streams made here, so
 * that they run without ../shared: the example machine's RAM comes back
 * byte for byte (PAGE and ZERO records, the block list, the input offset
 * of each page's bytes); a section written record by record with the
 * library's writers (pack.h) decodes every kind a file holds (named and
 * continued PAGE, ZERO with a fill byte, XBZRLE over the old page, zlib
 * COMPRESS_PAGE, MULTIFD_FLUSH, EOS; blocks over START/PART/END); mapped-
 * ram's bitmap and page region are read from their file offsets; and bad
 * records (unknown flags, a page of no block, beyond its block, a wrong
 * XBZRLE encoding, RDMA hooks, another section version, a cut page) fail
 * with their code, message and the offset of the record's word.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include "vmstate/vmstate.h"
#include "fixture.h"

#define PAGE 4096u

/* What the sink saw: the blocks, their memory, the records. */
typedef struct mem {
    vms_ram *ram;
    unsigned nblocks;
    char name[4][64];
    uint64_t len[4];
    uint8_t *data[4];
    unsigned pages, fills, records;
    vms_ram_record rec[32];         /* word, named, fill, payload_len */
    uint64_t data_off[32];          /* vms_ram_page_offset per page */
    uint64_t fill_addr[32];
    uint8_t fill[32];
    const char *file;               /* to read back a page's offset */
} mem;

static int on_block(void *opaque, unsigned idx, const char *name,
                    uint64_t length, vms_error *err)
{
    mem *m = opaque;

    (void)err;
    assert_int_equal(idx, m->nblocks);
    assert_true(idx < 4);
    snprintf(m->name[idx], sizeof(m->name[idx]), "%s", name);
    m->len[idx] = length;
    assert_non_null(m->data[idx] = calloc(1, length));
    m->nblocks++;
    return 0;
}

static int on_page(void *opaque, unsigned idx, uint64_t addr,
                   const uint8_t *data, uint8_t fill, vms_error *err)
{
    mem *m = opaque;

    (void)err;
    assert_true(idx < m->nblocks);
    assert_int_equal(addr % PAGE, 0);
    assert_true(addr < m->len[idx]);
    if (data) {
        if (m->pages < 32) {
            m->data_off[m->pages] = vms_ram_page_offset(m->ram);
        }
        memcpy(m->data[idx] + addr, data, PAGE);
        m->pages++;
    } else {
        if (m->fills < 32) {
            m->fill_addr[m->fills] = addr;
            m->fill[m->fills] = fill;
        }
        memset(m->data[idx] + addr, fill, PAGE);
        m->fills++;
    }
    return 0;
}

static int on_old_page(void *opaque, unsigned idx, uint64_t addr,
                       uint8_t *buf, vms_error *err)
{
    mem *m = opaque;

    (void)err;
    memcpy(buf, m->data[idx] + addr, PAGE);
    return 0;
}

static int on_record(void *opaque, const vms_ram_record *r, vms_error *err)
{
    mem *m = opaque;

    (void)err;
    if (m->records < 32) {
        m->rec[m->records] = *r;
        m->rec[m->records].payload = NULL;
        m->rec[m->records].data = NULL;
    }
    m->records++;
    return 0;
}

static void mem_free(mem *m)
{
    for (unsigned i = 0; i < m->nblocks; i++) {
        free(m->data[i]);
    }
    vms_ram_free(m->ram);
}

/*
 * Read path's RAM sections into m, skipping device sections, to the end
 * marker; returns the first error (err filled).
 */
static int read_ram(const char *path, bool mapped, mem *m, vms_error *err)
{
    vms_ram_sink sink = { .opaque = m, .want_data = true,
                          .block = on_block, .page = on_page,
                          .old_page = on_old_page, .record = on_record };
    vms_ram_opts o = { .page_size = PAGE, .mapped_ram = mapped };
    vms_stream *s;
    vms_record rec;
    int e;

    memset(m, 0, sizeof(*m));
    m->file = path;
    assert_non_null(m->ram = vms_ram_new(&o, &sink, err));
    if (!(s = vms_stream_open(path, err))) {
        return err->code;
    }
    while (!(e = vms_stream_next(s, &rec, NULL, err)) &&
           rec.type != VMS_REC_EOF) {
        if (rec.type == VMS_REC_CONFIGURATION) {
            continue;
        }
        if (strcmp(rec.idstr, "ram") == 0) {
            e = vms_ram_read(m->ram, s, rec.version_id, err);
        } else {
            size_t len;
            e = vms_stream_body_to_footer(s, &rec, &len, err);
            e = e ? e : vms_read_skip(vms_stream_reader(s), len, err);
        }
        if (e || (e = vms_stream_end_section(s, &rec, err))) {
            break;
        }
    }
    vms_stream_close(s);
    return e;
}

/* The example machine's 2 MiB, with data, zero pages and one 0x5a page. */
static void machine_ram_round_trip(void **state)
{
    vms_error err = { 0 };
    size_t flen, data_pages = 0;
    fx_machine m;
    char *file;
    mem r;

    (void)state;
    fx_machine_init(&m, 1, EX_DEV_ALL, 2u << 20, 0);
    memset(m.pc.ram + 7 * PAGE, 0x5a, PAGE);
    fx_machine_save(&m, fx_at("pc.mig"), 0);
    assert_int_equal(read_ram(fx_at("pc.mig"), false, &r, &err), 0);
    assert_int_equal(r.nblocks, 1);
    assert_int_equal(vms_ram_nblocks(r.ram), 1);
    assert_string_equal(r.name[0], "pc.ram");
    assert_string_equal(vms_ram_block_name(r.ram, 0), "pc.ram");
    assert_string_equal(vms_ram_block_name(r.ram, 1), "");
    assert_int_equal(r.len[0], 2u << 20);
    /* every byte as the machine had it, the demo's words included */
    assert_memory_equal(r.data[0], m.pc.ram, 2u << 20);
    assert_memory_equal(r.data[0] + 0x2000, "libvmstate demo", 15);
    for (size_t p = 0; p < (2u << 20) / PAGE; p++) {
        const uint8_t *pg = m.pc.ram + p * PAGE;
        data_pages += memcmp(pg, pg + 1, PAGE - 1) != 0;
    }
    assert_true(data_pages >= 2);
    assert_int_equal(r.pages, data_pages);
    assert_int_equal(r.pages + r.fills, (2u << 20) / PAGE);
    /* a page of one byte value is a ZERO record carrying the byte */
    for (unsigned i = 0; i < r.fills && i < 32; i++) {
        assert_int_equal(r.fill[i], r.fill_addr[i] == 7 * PAGE ? 0x5a : 0);
    }
    /* PAGE records: the page's bytes are in the input at their offset */
    file = fx_slurp(fx_at("pc.mig"), &flen);
    assert_true(r.pages <= 32);
    for (unsigned i = 0; i < r.pages; i++) {
        assert_true(r.data_off[i] > 0 && r.data_off[i] + PAGE <= flen);
    }
    assert_memory_equal(file + r.data_off[0], m.pc.ram + 0x2000, PAGE);
    free(file);
    mem_free(&r);
    fx_machine_free(&m);
}

/* A stream with one RAM section, written record by record. */
typedef struct builder {
    vms_buf buf;
    vms_writer *w;
    vms_error err;
} builder;

static void b_open(builder *b)
{
    memset(b, 0, sizeof(*b));
    assert_non_null(b->w = vms_writer_buf(&b->buf, &b->err));
    assert_int_equal(vms_stream_put_header(b->w, &b->err), 0);
}

static void b_section(builder *b, int type, uint32_t version)
{
    vms_record rec = { .type = type, .section_id = 2, .version_id = version };

    snprintf(rec.idstr, sizeof(rec.idstr), "ram");
    assert_int_equal(vms_stream_put_section(b->w, &rec, &b->err), 0);
}

static void b_end_section(builder *b)
{
    assert_int_equal(vms_stream_put_footer(b->w, 2, &b->err), 0);
}

static void b_word(builder *b, uint64_t word)
{
    assert_int_equal(vms_write_be64(b->w, word, &b->err), 0);
}

static uint64_t b_offset(builder *b)
{
    assert_int_equal(vms_writer_flush(b->w, &b->err), 0);
    return b->buf.len;
}

static void b_record(builder *b, uint64_t word, bool named, const char *blk,
                     const void *payload, size_t len, uint8_t fill)
{
    vms_ram_record r = { .word = word, .named = named, .fill = fill,
                         .payload = payload, .payload_len = len };

    assert_int_equal(vms_ram_put_record(b->w, &r, blk, PAGE, &b->err), 0);
}

/* START: blocks "a" (4 pages) and "b" (2 pages), EOS. */
static void b_blocks_v(builder *b, uint32_t version)
{
    b_section(b, VMS_REC_SECTION_START, version);
    b_word(b, 6 * PAGE | VMS_RAM_MEM_SIZE);
    assert_int_equal(vms_ram_put_entry(b->w, "a", 4 * PAGE, false, 0,
                                       &b->err), 0);
    assert_int_equal(vms_ram_put_entry(b->w, "b", 2 * PAGE, false, 0,
                                       &b->err), 0);
    b_word(b, VMS_RAM_EOS);
    b_end_section(b);
}

static void b_blocks(builder *b)
{
    b_blocks_v(b, 4);
}

static void b_close(builder *b, const char *path)
{
    assert_int_equal(vms_stream_put_eof(b->w, NULL, 0, &b->err), 0);
    assert_int_equal(vms_writer_close(b->w, &b->err), 0);
    fx_spit(path, b->buf.data, b->buf.len);
    vms_buf_free(&b->buf);
}

static void every_record_kind(void **state)
{
    static const uint8_t delta[] = { 100, 3, 'x', 'y', 'z' };
    uint8_t p0[PAGE], p1[PAGE], p2[PAGE], want[PAGE];
    uint8_t z[PAGE + 64];
    uLongf zlen = sizeof(z);
    vms_error err = { 0 };
    uint64_t page_at;
    builder b;
    mem r;

    (void)state;
    for (unsigned i = 0; i < PAGE; i++) {
        p0[i] = (uint8_t)(i * 7);
        p1[i] = (uint8_t)(i ^ 0xa5);
        p2[i] = (uint8_t)(i / 16);
    }
    assert_int_equal(compress2(z, &zlen, p2, PAGE, 6), Z_OK);
    b_open(&b);
    b_blocks(&b);
    b_section(&b, VMS_REC_SECTION_PART, 4);
    b_record(&b, 0 | VMS_RAM_PAGE, true, "a", p0, PAGE, 0);
    page_at = b_offset(&b) - PAGE;
    b_record(&b, 1 * PAGE | VMS_RAM_ZERO | VMS_RAM_CONTINUE, false, "a",
             NULL, 0, 0x33);
    b_record(&b, 0 | VMS_RAM_PAGE, true, "b", p1, PAGE, 0);
    /* the delta rewrites bytes 100..102 of the page "a"@0 holds */
    b_record(&b, 0 | VMS_RAM_XBZRLE, true, "a", delta, sizeof(delta), 0);
    b_record(&b, 2 * PAGE | VMS_RAM_COMPRESS_PAGE | VMS_RAM_CONTINUE, false,
             "a", z, zlen, 0);
    b_word(&b, VMS_RAM_MULTIFD_FLUSH);
    b_word(&b, VMS_RAM_EOS);
    b_end_section(&b);
    b_section(&b, VMS_REC_SECTION_END, 4);
    b_record(&b, 1 * PAGE | VMS_RAM_PAGE, true, "b", p0, PAGE, 0);
    b_word(&b, VMS_RAM_EOS);
    b_end_section(&b);
    b_close(&b, fx_at("kinds.mig"));

    assert_int_equal(read_ram(fx_at("kinds.mig"), false, &r, &err), 0);
    assert_int_equal(r.nblocks, 2);
    assert_string_equal(r.name[0], "a");
    assert_string_equal(r.name[1], "b");
    assert_int_equal(r.len[0], 4 * PAGE);
    assert_int_equal(r.len[1], 2 * PAGE);
    memcpy(want, p0, PAGE);
    memcpy(want + 100, "xyz", 3);
    assert_memory_equal(r.data[0], want, PAGE);
    memset(want, 0x33, PAGE);
    assert_memory_equal(r.data[0] + PAGE, want, PAGE);
    assert_memory_equal(r.data[0] + 2 * PAGE, p2, PAGE);
    memset(want, 0, PAGE);
    assert_memory_equal(r.data[0] + 3 * PAGE, want, PAGE);
    assert_memory_equal(r.data[1], p1, PAGE);
    assert_memory_equal(r.data[1] + PAGE, p0, PAGE);
    /* PAGE records point at their bytes; decoded ones do not */
    assert_int_equal(r.pages, 5);
    assert_int_equal(r.data_off[0], page_at);
    assert_int_equal(r.data_off[2], 0);     /* XBZRLE */
    assert_int_equal(r.data_off[3], 0);     /* zlib */
    /* the records as sent: MEM_SIZE, EOS, 5 pages + FLUSH + EOS, 1 + EOS */
    assert_int_equal(r.records, 11);
    assert_int_equal(r.rec[0].word, 6 * PAGE | VMS_RAM_MEM_SIZE);
    assert_true(r.rec[2].named);
    assert_false(r.rec[3].named);
    assert_int_equal(r.rec[3].fill, 0x33);
    assert_int_equal(r.rec[5].payload_len, sizeof(delta));
    assert_int_equal(r.rec[6].payload_len, zlen);
    assert_int_equal(r.rec[7].word, VMS_RAM_MULTIFD_FLUSH);
    assert_int_equal(r.rec[9].block, 1);
    mem_free(&r);
}

/*
 * mapped-ram (QEMU 9.0+ file migration, migration/ram.c
 * mapped_ram_setup_ramblock): after each MEM_SIZE entry a header (be32
 * version 1, be64 page size, be64 bitmap offset, be64 pages offset); the
 * dirty bitmap and the pages live at those file offsets, the reader
 * continues after the pages. Pages 0 and 2 present, 1 and 3 holes.
 */
static void mapped_ram(void **state)
{
    uint8_t pages[4 * PAGE], zero[PAGE] = { 0 };
    uint64_t hdr_end, bitmap_off, pages_off;
    vms_error err = { 0 };
    builder b;
    mem r;

    (void)state;
    for (unsigned i = 0; i < sizeof(pages); i++) {
        pages[i] = (uint8_t)(i * 13 + 1);
    }
    b_open(&b);
    b_section(&b, VMS_REC_SECTION_START, 4);
    b_word(&b, 4 * PAGE | VMS_RAM_MEM_SIZE);
    assert_int_equal(vms_ram_put_entry(b.w, "m", 4 * PAGE, false, 0,
                                       &b.err), 0);
    hdr_end = b_offset(&b) + 4 + 8 + 8 + 8;
    bitmap_off = hdr_end;
    pages_off = (hdr_end + 1 + PAGE - 1) / PAGE * PAGE;
    assert_int_equal(vms_write_be32(b.w, 1, &b.err), 0);
    b_word(&b, PAGE);
    b_word(&b, bitmap_off);
    b_word(&b, pages_off);
    assert_int_equal(vms_write_u8(b.w, 0x05, &b.err), 0);
    assert_int_equal(vms_write_bytes(b.w, zero, pages_off - hdr_end - 1,
                                     &b.err), 0);
    assert_int_equal(b_offset(&b), pages_off);
    assert_int_equal(vms_write_bytes(b.w, pages, sizeof(pages), &b.err), 0);
    b_word(&b, VMS_RAM_EOS);
    b_end_section(&b);
    b_close(&b, fx_at("mapped.mig"));

    assert_int_equal(read_ram(fx_at("mapped.mig"), true, &r, &err), 0);
    assert_int_equal(r.nblocks, 1);
    assert_int_equal(r.pages, 2);
    assert_int_equal(r.fills, 2);
    assert_memory_equal(r.data[0], pages, PAGE);
    assert_memory_equal(r.data[0] + PAGE, zero, PAGE);
    assert_memory_equal(r.data[0] + 2 * PAGE, pages + 2 * PAGE, PAGE);
    assert_memory_equal(r.data[0] + 3 * PAGE, zero, PAGE);
    assert_int_equal(r.data_off[0], pages_off);
    assert_int_equal(r.data_off[1], pages_off + 2 * PAGE);
    mem_free(&r);

    /* without the capability the header is read as the next record */
    assert_int_not_equal(read_ram(fx_at("mapped.mig"), false, &r, &err), 0);
    mem_free(&r);
}

/* One bad record after a valid block list: code, words, its offset. */
static void bad_record(int kind, int code, const char *says)
{
    static const uint8_t page[PAGE];
    vms_error err = { 0 };
    uint64_t at;
    builder b;
    mem r;

    b_open(&b);
    if (kind == 5) {
        /* PART and END are read at the version their START gave */
        b_section(&b, VMS_REC_SECTION_START, 3);
        at = b_offset(&b);
        b_word(&b, VMS_RAM_EOS);
        b_end_section(&b);
        b_close(&b, fx_at("bad.mig"));
    } else {
        b_blocks(&b);
        b_section(&b, VMS_REC_SECTION_END, 4);
        at = b_offset(&b);
    }
    switch (kind) {
    case 0:
        b_word(&b, 0x400);
        break;
    case 1:
        b_record(&b, VMS_RAM_PAGE | VMS_RAM_CONTINUE, false, "a", page,
                 PAGE, 0);
        break;
    case 2:
        b_record(&b, VMS_RAM_PAGE, true, "nope", page, PAGE, 0);
        break;
    case 3:
        b_record(&b, 4 * PAGE | VMS_RAM_ZERO, true, "a", NULL, 0, 0);
        break;
    case 4:
        b_word(&b, VMS_RAM_XBZRLE);
        assert_int_equal(vms_write_str8(b.w, "a", 1, &b.err), 0);
        assert_int_equal(vms_write_u8(b.w, 2, &b.err), 0);
        assert_int_equal(vms_write_be16(b.w, 0, &b.err), 0);
        break;
    case 5:
        break;
    case 6:
        b_word(&b, VMS_RAM_HOOK);
        break;
    case 7:     /* a page cut short: the stream ends in it */
        b_word(&b, VMS_RAM_PAGE | 0);
        assert_int_equal(vms_write_str8(b.w, "a", 1, &b.err), 0);
        assert_int_equal(vms_write_bytes(b.w, page, 100, &b.err), 0);
        assert_int_equal(vms_writer_close(b.w, &b.err), 0);
        fx_spit(fx_at("bad.mig"), b.buf.data, b.buf.len);
        vms_buf_free(&b.buf);
        at = b.buf.len;
        break;
    }
    if (kind != 7 && kind != 5) {
        b_word(&b, VMS_RAM_EOS);
        b_end_section(&b);
        b_close(&b, fx_at("bad.mig"));
    }
    assert_int_equal(read_ram(fx_at("bad.mig"), false, &r, &err), code);
    if (!strstr(err.message, says)) {
        print_error("kind %d: %s\n", kind, err.message);
    }
    assert_non_null(strstr(err.message, says));
    assert_string_equal(err.file, fx_at("bad.mig"));
    assert_true(err.has_offset);
    if (kind != 7) {
        assert_int_equal(err.offset, at);
    }
    mem_free(&r);
}

static void bad_records(void **state)
{
    (void)state;
    bad_record(0, VMS_EFORMAT, "unknown RAM flags 0x400");
    bad_record(1, VMS_EFORMAT, "continues a block but none was named");
    bad_record(2, VMS_EFORMAT, "RAM page for unknown block 'nope'");
    bad_record(3, VMS_EFORMAT, "beyond the end of block 'a'");
    bad_record(4, VMS_EFORMAT, "XBZRLE page with encoding 0x02");
    bad_record(5, VMS_EVERSION, "RAM section version 3");
    bad_record(6, VMS_EUNSUPPORTED, "RAM hook record");
    bad_record(7, VMS_ETRUNC, "truncated: expected ");
}

static void xbzrle_decode(void **state)
{
    /* zero run 2, 2 new bytes, zero run 1, 1 new byte */
    static const uint8_t d[] = { 2, 2, 0xaa, 0xbb, 1, 1, 0xcc };
    static const uint8_t over[] = { 6, 3, 1, 2, 3 };
    uint8_t pg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const uint8_t want[8] = { 1, 2, 0xaa, 0xbb, 5, 0xcc, 7, 8 };

    (void)state;
    assert_int_equal(vms_xbzrle_decode(d, sizeof(d), pg, sizeof(pg)), 0);
    assert_memory_equal(pg, want, 8);
    assert_int_not_equal(vms_xbzrle_decode(over, sizeof(over), pg, 8), 0);
}

static int setup(void **state)
{
    (void)state;
    fx_tmp_make("ram");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fx_tmp_remove();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(machine_ram_round_trip),
        cmocka_unit_test(every_record_kind),
        cmocka_unit_test(mapped_ram),
        cmocka_unit_test(bad_records),
        cmocka_unit_test(xbzrle_decode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
