/*
 * libvmstate: RAM section decoder.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "vmstate/ram.h"
#include "vmstate/limits.h"
#include "vmstate/pack.h"
#include "reader.h"

#define XBZRLE_ENCODING 0x01
#define MAPPED_RUN (1u << 20)

struct ram_block {
    char name[256];
    uint64_t length;
    uint64_t mr_addr;
};

struct vms_ram {
    vms_ram_opts o;
    vms_ram_sink sink;
    struct ram_block *blocks;
    unsigned nblocks;
    int cur;                 /* block of the last record, -1 none */
    uint8_t *page;           /* page_size scratch (XBZRLE, zlib) */
    uint8_t *zbuf;
    z_stream z;
    bool z_ready;
    uint64_t data_off;       /* see vms_ram_page_offset */
};

vms_ram *vms_ram_new(const vms_ram_opts *opts, const vms_ram_sink *sink,
                     vms_error *err)
{
    vms_ram *ram;

    if (opts->page_size < 512 || opts->page_size > VMS_LIMIT_PAGE_SIZE ||
        (opts->page_size & (opts->page_size - 1))) {
        vms_error_set(err, opts->page_size > VMS_LIMIT_PAGE_SIZE
                      ? VMS_ELIMIT : VMS_EINVAL, "RAM page size %u is not a "
                      "power of two between 512 and VMS_LIMIT_PAGE_SIZE "
                      "(%u)", opts->page_size, VMS_LIMIT_PAGE_SIZE);
        return NULL;
    }
    ram = calloc(1, sizeof(*ram));
    if (ram) {
        ram->page = malloc(opts->page_size);
        ram->zbuf = malloc(compressBound(opts->page_size));
    }
    if (!ram || !ram->page || !ram->zbuf) {
        vms_ram_free(ram);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    ram->o = *opts;
    ram->sink = *sink;
    ram->cur = -1;
    return ram;
}

void vms_ram_free(vms_ram *ram)
{
    if (ram) {
        if (ram->z_ready) {
            inflateEnd(&ram->z);
        }
        free(ram->blocks);
        free(ram->page);
        free(ram->zbuf);
        free(ram);
    }
}

unsigned vms_ram_nblocks(const vms_ram *ram)
{
    return ram->nblocks;
}

const char *vms_ram_block_name(const vms_ram *ram, unsigned idx)
{
    return idx < ram->nblocks ? ram->blocks[idx].name : "";
}

static int find_block(vms_ram *ram, const char *name)
{
    for (unsigned i = 0; i < ram->nblocks; i++) {
        if (strcmp(ram->blocks[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* QEMU's ULEB128 runs are at most a page long: refuse anything wider. */
static int uleb(const uint8_t *p, size_t n, size_t *i, uint32_t *v)
{
    uint32_t x = 0;

    for (unsigned shift = 0; shift < 28; shift += 7) {
        if (*i >= n) {
            return -1;
        }
        uint8_t b = p[(*i)++];
        x |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int vms_xbzrle_decode(const uint8_t *src, size_t slen, uint8_t *page,
                      size_t plen)
{
    size_t i = 0, d = 0;

    while (i < slen) {
        uint32_t zrun, nzrun;

        if (uleb(src, slen, &i, &zrun) || zrun > plen - d) {
            return -1;
        }
        d += zrun;
        if (i == slen) {
            break;      /* a trailing unchanged run carries no bytes */
        }
        if (uleb(src, slen, &i, &nzrun) || nzrun > plen - d ||
            nzrun > slen - i) {
            return -1;
        }
        memcpy(page + d, src + i, nzrun);
        i += nzrun;
        d += nzrun;
    }
    return 0;
}

static int read_name(vms_ram *ram, vms_stream *s, uint64_t flags,
                     uint64_t rec_off, vms_ram_record *rr, vms_error *err)
{
    char name[256];
    uint8_t len;
    int e, b;

    if (flags & VMS_RAM_CONTINUE) {
        if (ram->cur < 0) {
            return vms_stream_fail(s, err, VMS_EFORMAT, rec_off,
                        "RAM page continues a block but none was named");
        }
        rr->block = (unsigned)ram->cur;
        return 0;
    }
    if ((e = vms_read_str8(vms_stream_reader(s), name, &len, err))) {
        return e;
    }
    b = find_block(ram, name);
    if (b < 0) {
        return vms_stream_fail(s, err, VMS_EFORMAT, rec_off,
                    "RAM page for unknown block '%s'", name);
    }
    ram->cur = b;
    rr->block = (unsigned)b;
    rr->named = true;
    return 0;
}

static int check_addr(vms_ram *ram, vms_stream *s, uint64_t addr,
                      uint64_t rec_off, vms_error *err)
{
    struct ram_block *b = &ram->blocks[ram->cur];

    if (addr >= b->length) {
        return vms_stream_fail(s, err, VMS_EFORMAT, rec_off,
                    "RAM page at 0x%" PRIx64 " beyond the end of block "
                    "'%s' (0x%" PRIx64 " bytes)", addr, b->name, b->length);
    }
    return 0;
}

static int mapped_ram_block(vms_ram *ram, vms_stream *s, unsigned idx,
                            vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    struct ram_block *b = &ram->blocks[idx];
    uint64_t at = vms_stream_offset(s);
    uint32_t version;
    uint64_t psize, bitmap_off, pages_off, npages, size, origin;
    uint8_t *bitmap = NULL, *run = NULL;
    int e;

    if ((e = vms_read_be32(r, &version, err)) ||
        (e = vms_read_be64(r, &psize, err)) ||
        (e = vms_read_be64(r, &bitmap_off, err)) ||
        (e = vms_read_be64(r, &pages_off, err))) {
        return e;
    }
    if (version != 1) {
        return vms_stream_fail(s, err, VMS_EVERSION, at,
                    "mapped-ram header version %u", version);
    }
    if (psize != ram->o.page_size) {
        return vms_stream_fail(s, err, VMS_EFORMAT, at, "mapped-ram page size %" PRIu64
                    " differs from the target page size %u",
                    psize, ram->o.page_size);
    }
    if (ram->o.ignore_shared && bitmap_off == 0 && pages_off == 0) {
        return 0;   /* a shared block: its pages stayed in shared memory */
    }
    if (!vms_stream_seekable(s)) {
        return vms_stream_fail(s, err, VMS_EUNSUPPORTED, at,
                    "mapped-ram streams keep pages at file offsets: read "
                    "the stream from a file, not a pipe");
    }
    /*
     * QEMU records both offsets from the channel's position in the whole
     * file (mapped_ram_setup_ramblock in migration/ram.c takes it from
     * qemu_get_offset in migration/qemu-file.c, a SEEK_CUR of the
     * channel, which migration/file.c first seeks to the URI's offset=N),
     * so in a libvirt 'sparse' image they count from the image's first
     * byte while the reader counts from the stream's: shift them by the
     * reader's origin (0 for a bare stream).
     */
    origin = vms__reader_origin(r);
    if (bitmap_off < origin || pages_off < origin) {
        bool bm = bitmap_off < origin;
        return vms_stream_fail(s, err, VMS_EFORMAT, at, "mapped-ram %s of "
                    "block '%s' at file offset 0x%" PRIx64 ", before the "
                    "stream's start (file offset 0x%" PRIx64 ")",
                    bm ? "bitmap" : "pages", b->name,
                    bm ? bitmap_off : pages_off, origin);
    }
    bitmap_off -= origin;
    pages_off -= origin;
    size = (uint64_t)vms_reader_size(r);
    npages = b->length / psize;
    if (ram->sink.want_data && (npages + 7) / 8 > VMS_LIMIT_MAPPED_BITMAP) {
        return vms_stream_fail(s, err, VMS_ELIMIT, at, "mapped-ram "
                    "bitmap of %" PRIu64 " bytes exceeds "
                    "VMS_LIMIT_MAPPED_BITMAP (%u)", (npages + 7) / 8,
                    VMS_LIMIT_MAPPED_BITMAP);
    }
    /*
     * The pages follow the header: a region that starts behind it would
     * send the reader back over this block entry, for ever when the
     * block is empty.
     */
    if (pages_off < vms_stream_offset(s)) {
        return vms_stream_fail(s, err, VMS_EFORMAT, at, "mapped-ram pages "
                    "of block '%s' at 0x%" PRIx64 ", before the header's "
                    "end", b->name, pages_off);
    }
    if (pages_off > size || b->length > size - pages_off ||
        bitmap_off > size || (npages + 7) / 8 > size - bitmap_off) {
        return vms_stream_fail(s, err, VMS_EFORMAT, at,
                    "mapped-ram regions of block '%s' lie beyond the end "
                    "of the file", b->name);
    }
    /* Nobody to hand the pages to (a sink that only wants records). */
    if (ram->sink.want_data && ram->sink.page && npages) {
        size_t blen = (size_t)((npages + 7) / 8);
        bitmap = malloc(blen);
        run = malloc(MAPPED_RUN);
        if (!bitmap || !run) {
            e = vms_stream_fail(s, err, VMS_ENOMEM, at, "out of memory");
            goto out;
        }
        if (vms_stream_pread(s, bitmap, blen, bitmap_off, NULL)) {
            e = vms_stream_fail(s, err, VMS_EIO, bitmap_off, "cannot read the "
                     "mapped-ram bitmap");
            goto out;
        }
        for (uint64_t p = 0; p < npages;) {
            if (!((bitmap[p / 8] >> (p % 8)) & 1)) {
                ram->data_off = 0;
                e = ram->sink.page(ram->sink.opaque, idx, p * psize, NULL, 0,
                                   err);
                if (e) {
                    goto out;
                }
                p++;
                continue;
            }
            /* A run of present pages: one pread for all of them. */
            uint64_t q = p, max = MAPPED_RUN / psize;
            while (q < npages && q - p < max &&
                   ((bitmap[q / 8] >> (q % 8)) & 1)) {
                q++;
            }
            size_t n = (size_t)((q - p) * psize);
            if (vms_stream_pread(s, run, n, pages_off + p * psize, NULL)) {
                e = vms_stream_fail(s, err, VMS_EIO, pages_off + p * psize,
                         "cannot read mapped-ram pages");
                goto out;
            }
            for (uint64_t i = p; i < q; i++) {
                ram->data_off = pages_off + i * psize;
                e = ram->sink.page(ram->sink.opaque, idx, i * psize,
                                   run + (i - p) * psize, 0, err);
                if (e) {
                    goto out;
                }
            }
            p = q;
        }
    }
    e = vms_reader_seek(r, pages_off + b->length, err);
out:
    free(bitmap);
    free(run);
    return e;
}

static int mem_size(vms_ram *ram, vms_stream *s, uint64_t total,
                    uint64_t rec_off, vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    int e;

    while (total > 0) {
        char name[256];
        uint8_t len;
        uint64_t length, mr_addr = 0;
        uint64_t at = vms_stream_offset(s);
        int b;

        if ((e = vms_read_str8(r, name, &len, err)) ||
            (e = vms_read_be64(r, &length, err))) {
            return e;
        }
        if (length > total) {
            return vms_stream_fail(s, err, VMS_EFORMAT, at,
                        "RAM block '%s' (0x%" PRIx64 " bytes) exceeds the "
                        "announced total (0x%" PRIx64 " left)",
                        name, length, total);
        }
        if (length > VMS_LIMIT_RAM_BLOCK_SIZE) {
            return vms_stream_fail(s, err, VMS_ELIMIT, at,
                        "RAM block '%s' (0x%" PRIx64 " bytes) exceeds "
                        "VMS_LIMIT_RAM_BLOCK_SIZE (0x%llx)", name, length,
                        VMS_LIMIT_RAM_BLOCK_SIZE);
        }
        if (memchr(name, 0, len) || len == 0) {
            return vms_stream_fail(s, err, VMS_EFORMAT, at,
                        "RAM block name is empty or contains a NUL byte");
        }
        total -= length;
        if (ram->o.ignore_shared &&
            (e = vms_read_be64(r, &mr_addr, err))) {
            return e;
        }
        b = find_block(ram, name);
        if (b < 0) {
            if (ram->nblocks >= VMS_LIMIT_RAM_BLOCKS) {
                return vms_stream_fail(s, err, VMS_ELIMIT, at, "more than "
                            "VMS_LIMIT_RAM_BLOCKS (%u) RAM blocks",
                            VMS_LIMIT_RAM_BLOCKS);
            }
            struct ram_block *n = realloc(ram->blocks, (ram->nblocks + 1) *
                                          sizeof(*n));
            if (!n) {
                return vms_stream_fail(s, err, VMS_ENOMEM, at, "out of memory");
            }
            ram->blocks = n;
            b = (int)ram->nblocks++;
        }
        snprintf(ram->blocks[b].name, sizeof(ram->blocks[b].name), "%s",
                 name);
        ram->blocks[b].length = length;
        ram->blocks[b].mr_addr = mr_addr;
        if (ram->sink.block &&
            (e = ram->sink.block(ram->sink.opaque, (unsigned)b, name, length,
                                 err))) {
            return e;
        }
        vms_ram_entry ent = { ram->o.page_size, (unsigned)b,
                              ram->blocks[b].name, length, mr_addr, 0, 0 };
        if (ram->o.mapped_ram) {
            ent.mapped_off = vms_stream_offset(s);
            if ((e = mapped_ram_block(ram, s, (unsigned)b, err))) {
                return e;
            }
            ent.mapped_len = vms_stream_offset(s) - ent.mapped_off;
        }
        if (ram->sink.entry &&
            (e = ram->sink.entry(ram->sink.opaque, &ent, err))) {
            return e;
        }
    }
    (void)rec_off;
    return 0;
}

static int inflate_page(vms_ram *ram, vms_stream *s, const uint8_t *src,
                        uint32_t len, uint64_t at, vms_error *err)
{
    int zr;

    if (!ram->z_ready) {
        memset(&ram->z, 0, sizeof(ram->z));
        if (inflateInit(&ram->z) != Z_OK) {
            return vms_stream_fail(s, err, VMS_ENOMEM, at, "zlib initialisation failed");
        }
        ram->z_ready = true;
    } else {
        inflateReset(&ram->z);
    }
    ram->z.next_in = (Bytef *)src;
    ram->z.avail_in = len;
    ram->z.next_out = ram->page;
    ram->z.avail_out = ram->o.page_size;
    zr = inflate(&ram->z, Z_FINISH);
    if (zr != Z_STREAM_END || ram->z.avail_out != 0) {
        return vms_stream_fail(s, err, VMS_EFORMAT, at,
                    "compressed page does not inflate to one page (zlib %d)",
                    zr);
    }
    return 0;
}

int vms_ram_read(vms_ram *ram, vms_stream *s, uint32_t version_id,
                 vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    uint64_t mask = ram->o.page_size - 1;
    int e;

    if (version_id != 4) {
        return vms_stream_fail(s, err, VMS_EVERSION, vms_stream_offset(s),
                    "RAM section version %u (only 4 is known)", version_id);
    }
    for (unsigned n = 0;; n++) {
        uint64_t at = vms_stream_offset(s);
        uint64_t word, addr, flags;
        const uint8_t *p;
        vms_ram_record rr;

        ram->data_off = 0;

        if (ram->sink.tick && (n & 4095) == 4095) {
            ram->sink.tick(ram->sink.opaque);
        }

        if ((e = vms_read_be64(r, &word, err))) {
            return e;
        }
        flags = word & mask;
        addr = word & ~mask;
        memset(&rr, 0, sizeof(rr));
        rr.offset = at;
        rr.word = word;
        if (flags & VMS_RAM_MEM_SIZE) {
            if ((e = mem_size(ram, s, addr, at, err))) {
                return e;
            }
            flags &= ~(uint64_t)VMS_RAM_MEM_SIZE;
        }
        if (flags & VMS_RAM_ZERO) {
            uint8_t fill;
            if ((e = read_name(ram, s, flags, at, &rr, err)) ||
                (e = check_addr(ram, s, addr, at, err)) ||
                (e = vms_read_u8(r, &fill, err))) {
                return e;
            }
            if (ram->sink.page &&
                (e = ram->sink.page(ram->sink.opaque, (unsigned)ram->cur,
                                    addr, NULL, fill, err))) {
                return e;
            }
            rr.fill = fill;
            flags &= ~(uint64_t)(VMS_RAM_ZERO | VMS_RAM_CONTINUE);
        } else if (flags & VMS_RAM_PAGE) {
            if ((e = read_name(ram, s, flags, at, &rr, err)) ||
                (e = check_addr(ram, s, addr, at, err))) {
                return e;
            }
            if (ram->sink.want_data) {
                ram->data_off = vms_stream_offset(s);
                if ((e = vms_read_ptr(r, ram->o.page_size, &p, err)) ||
                    (ram->sink.page &&
                     (e = ram->sink.page(ram->sink.opaque, (unsigned)ram->cur,
                                         addr, p, 0, err)))) {
                    return e;
                }
                rr.payload = rr.data = p;
                rr.payload_len = ram->o.page_size;
            } else if ((e = vms_read_skip(r, ram->o.page_size, err))) {
                return e;
            }
            flags &= ~(uint64_t)(VMS_RAM_PAGE | VMS_RAM_CONTINUE);
        } else if (flags & VMS_RAM_XBZRLE) {
            uint8_t enc;
            uint16_t len;
            if ((e = read_name(ram, s, flags, at, &rr, err)) ||
                (e = check_addr(ram, s, addr, at, err)) ||
                (e = vms_read_u8(r, &enc, err)) ||
                (e = vms_read_be16(r, &len, err))) {
                return e;
            }
            if (enc != XBZRLE_ENCODING) {
                return vms_stream_fail(s, err, VMS_EFORMAT, at,
                            "XBZRLE page with encoding 0x%02x", enc);
            }
            if (len > ram->o.page_size) {
                return vms_stream_fail(s, err, VMS_EFORMAT, at,
                            "XBZRLE delta of %u bytes exceeds a page", len);
            }
            if ((e = vms_read_ptr(r, len, &p, err))) {
                return e;
            }
            if (ram->sink.want_data) {
                if (ram->sink.old_page) {
                    e = ram->sink.old_page(ram->sink.opaque,
                                           (unsigned)ram->cur, addr,
                                           ram->page, err);
                    if (e) {
                        return e;
                    }
                } else {
                    memset(ram->page, 0, ram->o.page_size);
                }
                if (vms_xbzrle_decode(p, len, ram->page, ram->o.page_size)) {
                    return vms_stream_fail(s, err, VMS_EFORMAT, at,
                                "XBZRLE delta overruns the page");
                }
                if (ram->sink.page &&
                    (e = ram->sink.page(ram->sink.opaque, (unsigned)ram->cur,
                                        addr, ram->page, 0, err))) {
                    return e;
                }
                rr.data = ram->page;
            }
            rr.payload = p;
            rr.payload_len = len;
            flags &= ~(uint64_t)(VMS_RAM_XBZRLE | VMS_RAM_CONTINUE);
        } else if (flags & VMS_RAM_COMPRESS_PAGE) {
            uint32_t len;
            if ((e = read_name(ram, s, flags, at, &rr, err)) ||
                (e = check_addr(ram, s, addr, at, err)) ||
                (e = vms_read_be32(r, &len, err))) {
                return e;
            }
            if (len > compressBound(ram->o.page_size)) {
                return vms_stream_fail(s, err, VMS_EFORMAT, at,
                            "compressed page of %u bytes is larger than "
                            "zlib can make of one page", len);
            }
            if ((e = vms_read_ptr(r, len, &p, err))) {
                return e;
            }
            if (ram->sink.want_data) {
                if ((e = inflate_page(ram, s, p, len, at, err)) ||
                    (ram->sink.page &&
                     (e = ram->sink.page(ram->sink.opaque, (unsigned)ram->cur,
                                         addr, ram->page, 0, err)))) {
                    return e;
                }
                rr.data = ram->page;
            }
            rr.payload = p;
            rr.payload_len = len;
            flags &= ~(uint64_t)(VMS_RAM_COMPRESS_PAGE | VMS_RAM_CONTINUE);
        } else if (flags & VMS_RAM_HOOK) {
            return vms_stream_fail(s, err, VMS_EUNSUPPORTED, at,
                        "RAM hook record (RDMA): meaningless in a stream "
                        "file");
        }
        if (ram->sink.record &&
            !(flags & ~(uint64_t)(VMS_RAM_MULTIFD_FLUSH | VMS_RAM_EOS)) &&
            (e = ram->sink.record(ram->sink.opaque, &rr, err))) {
            return e;
        }
        if (flags & VMS_RAM_MULTIFD_FLUSH) {
            flags &= ~(uint64_t)VMS_RAM_MULTIFD_FLUSH;
            if (!flags) {
                continue;
            }
        }
        if (flags & VMS_RAM_EOS) {
            flags &= ~(uint64_t)VMS_RAM_EOS;
            if (flags) {
                return vms_stream_fail(s, err, VMS_EFORMAT, at,
                            "unknown RAM flags 0x%" PRIx64, flags);
            }
            return 0;
        }
        if (flags) {
            return vms_stream_fail(s, err, VMS_EFORMAT, at,
                        "unknown RAM flags 0x%" PRIx64, flags);
        }
    }
}

uint64_t vms_ram_page_offset(const vms_ram *ram)
{
    return ram->data_off;
}

int vms_ram_put_entry(vms_writer *w, const char *name, uint64_t length,
                      bool ignore_shared, uint64_t mr_addr, vms_error *err)
{
    int e = vms_write_str8(w, name, strlen(name), err);

    e = e ? e : vms_write_be64(w, length, err);
    if (!e && ignore_shared) {
        e = vms_write_be64(w, mr_addr, err);
    }
    return e;
}

int vms_ram_put_record(vms_writer *w, const vms_ram_record *r,
                       const char *block_name, uint32_t page_size,
                       vms_error *err)
{
    uint64_t flags = r->word & (uint64_t)(page_size - 1);
    int e = vms_write_be64(w, r->word, err);

    if (e || !(flags & (VMS_RAM_ZERO | VMS_RAM_PAGE | VMS_RAM_XBZRLE |
                        VMS_RAM_COMPRESS_PAGE))) {
        return e;
    }
    if (r->named) {
        e = vms_write_str8(w, block_name, strlen(block_name), err);
    }
    if (e) {
        return e;
    }
    if (flags & VMS_RAM_ZERO) {
        return vms_write_u8(w, r->fill, err);
    }
    if (flags & VMS_RAM_PAGE) {
        return vms_write_bytes(w, r->payload, r->payload_len, err);
    }
    if (flags & VMS_RAM_XBZRLE) {
        if (r->payload_len > UINT16_MAX) {
            return vms_error_set(err, VMS_EINVAL, "XBZRLE delta of %zu "
                                 "bytes", r->payload_len);
        }
        e = vms_write_u8(w, XBZRLE_ENCODING, err);
        e = e ? e : vms_write_be16(w, (uint16_t)r->payload_len, err);
    } else {
        if (r->payload_len > UINT32_MAX) {
            return vms_error_set(err, VMS_EINVAL, "compressed page of %zu "
                                 "bytes", r->payload_len);
        }
        e = vms_write_be32(w, (uint32_t)r->payload_len, err);
    }
    return e ? e : vms_write_bytes(w, r->payload, r->payload_len, err);
}
