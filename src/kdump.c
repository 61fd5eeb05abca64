/*
 * The kdump-compressed format: makedumpfile's "diskdump" file (header
 * version 6), which crash and libkdumpfile read. Layout, in blocks of the
 * dump's page size:
 *   block 0        disk_dump_header ("KDUMP   ", utsname.machine, status
 *                  = zlib, block_size, sub_hdr_size, bitmap_blocks,
 *                  max_mapnr, nr_cpus)
 *   block 1...     kdump_sub_header (phys_base, dump_level, note offset
 *                  and size, 64-bit max_mapnr) followed by the ELF notes
 *   bitmaps        two copies of one bit per page frame up to max_mapnr:
 *                  set for every frame guest RAM covers
 *   descriptors    one page_desc per set bit, in frame order: offset,
 *                  size, flags (zlib or raw), page_flags
 *   page data      one shared zero page, then each other page, zlib-
 *                  compressed when that makes it smaller
 * as QEMU's dump-guest-memory -z writes it (dump/dump.c, create_header64,
 * write_dump_bitmap, write_dump_pages; include/sysemu/dump.h for the
 * structures), except that QEMU writes the "flattened" variant for pipes,
 * which crash reads only after "makedumpfile -R"; this is the plain file.
 *
 * Everything streams: the bitmaps are made a block at a time from the
 * ranges, descriptors and data go through two buffers, pages are read
 * back from the finished ELF core (src_fd) in frame order.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <endian.h>
#include <zlib.h>
#include "kdump.h"

#define HDR_SIZE 464          /* disk_dump_header (packed) */
#define SUB_SIZE 104          /* kdump_sub_header (packed) */
#define DESC_SIZE 24          /* page_desc */
#define ZLIB 0x1              /* DUMP_DH_COMPRESSED_ZLIB */
#define BUF_MAX (1u << 20)

static void le32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void le64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

typedef struct kout {
    int fd;
    const char *name;
    vms_error *err;
} kout;

int vms__pwritev_all(int fd, struct iovec *iov, int n, uint64_t off,
                     const char *name, vms_error *err)
{
    while (n > 0) {
        ssize_t k = pwritev(fd, iov, n, (off_t)off);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return vms_error_set(err, VMS_EIO, "%s: %s", name,
                                 k < 0 ? strerror(errno) : "short write");
        }
        off += (uint64_t)k;
        /* a short write: on from where it stopped */
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

int vms__pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
                    const char *name, vms_error *err)
{
    struct iovec one = { (void *)buf, len };
    return vms__pwritev_all(fd, &one, len ? 1 : 0, off, name, err);
}

static int put(kout *o, const void *buf, size_t len, uint64_t off)
{
    return vms__pwrite_all(o->fd, buf, len, off, o->name, o->err);
}

/* A sequential region written through a buffer. */
typedef struct seq {
    uint8_t *buf;
    size_t len;
    uint64_t off;             /* where buf[0] goes */
} seq;

static int seq_add(kout *o, seq *s, const void *p, size_t n)
{
    int e;

    if (s->len + n > BUF_MAX) {
        if ((e = put(o, s->buf, s->len, s->off))) {
            return e;
        }
        s->off += s->len;
        s->len = 0;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

static int seq_flush(kout *o, seq *s)
{
    int e = put(o, s->buf, s->len, s->off);
    s->off += s->len;
    s->len = 0;
    return e;
}

/* The frames guest RAM covers, in order, each once. */
typedef struct frames {
    const vms__memmap *map;
    uint32_t ps;
    size_t i;                 /* current range */
    uint64_t next;            /* next frame to consider */
} frames;

static bool frame_next(frames *f, uint64_t *pfn)
{
    while (f->i < f->map->n) {
        const vms__mm_range *r = &f->map->r[f->i];
        uint64_t first = r->paddr / f->ps, last = (r->paddr + r->size - 1) / f->ps;
        if (f->next < first) {
            f->next = first;
        }
        if (f->next <= last) {
            *pfn = f->next++;
            return true;
        }
        f->i++;
    }
    return false;
}

/* Frame pfn's bytes from the core (zeros where no range covers them). */
static int read_frame(const vms__kdump_in *in, kout *o, uint64_t pfn,
                      uint8_t *page)
{
    uint64_t a0 = pfn * in->page_size, a1 = a0 + in->page_size;

    memset(page, 0, in->page_size);
    for (size_t i = 0; i < in->map->n; i++) {
        const vms__mm_range *r = &in->map->r[i];
        uint64_t a = r->paddr > a0 ? r->paddr : a0;
        uint64_t b = r->paddr + r->size < a1 ? r->paddr + r->size : a1;
        if (a >= b) {
            continue;
        }
        size_t n = (size_t)(b - a), got = 0;
        while (got < n) {
            ssize_t k = pread(in->src_fd, page + (a - a0) + got, n - got,
                              (off_t)(r->file_off + (a - r->paddr) + got));
            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k <= 0) {
                return vms_error_set(o->err, VMS_EIO, "%s: cannot read "
                                     "back the memory: %s", o->name,
                                     k < 0 ? strerror(errno) : "short file");
            }
            got += (size_t)k;
        }
    }
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

int vms__kdump_write(const vms__kdump_in *in, int out_fd,
                     const char *out_name, vms_error *err)
{
    kout o = { out_fd, out_name, err };
    uint32_t bs = in->page_size;
    uint64_t max_mapnr, ndump = 0, pfn, bitmap_len, sub_blocks, off_bitmap;
    uint64_t off_desc, off_data, done = 0;
    uint8_t *hdr = NULL, *page = NULL, *zpage = NULL, *chunk = NULL;
    seq desc = { 0 }, data = { 0 };
    uLongf zcap;
    frames f = { in->map, bs, 0, 0 };
    int e = 0;

    if (!in->map->n || bs < 512 || (bs & (bs - 1))) {
        return vms_error_set(err, VMS_EINVAL, "kdump: no memory or a bad "
                             "page size");
    }
    max_mapnr = (in->map->r[in->map->n - 1].paddr +
                 in->map->r[in->map->n - 1].size + bs - 1) / bs;
    while (frame_next(&f, &pfn)) {
        ndump++;
    }
    bitmap_len = ((max_mapnr + 7) / 8 + bs - 1) / bs * bs;
    sub_blocks = (SUB_SIZE + in->notes_size + bs - 1) / bs;
    off_bitmap = (1 + sub_blocks) * bs;
    off_desc = off_bitmap + 2 * bitmap_len;
    off_data = off_desc + ndump * DESC_SIZE;
    zcap = compressBound(bs);

    hdr = calloc(1, (size_t)((1 + sub_blocks) * bs));
    page = malloc(bs);
    zpage = malloc(zcap);
    chunk = malloc(bs);
    desc.buf = malloc(BUF_MAX);
    data.buf = malloc(BUF_MAX);
    if (!hdr || !page || !zpage || !chunk || !desc.buf || !data.buf) {
        e = vms_error_set(err, VMS_ENOMEM, "out of memory");
        goto out;
    }

    /* disk_dump_header */
    memcpy(hdr, "KDUMP   ", 8);
    le32(hdr + 8, 6);                              /* header_version */
    /* utsname: 6 fields of 65 bytes from offset 12; machine is the 5th */
    strncpy((char *)hdr + 12 + 4 * 65, in->uname_machine, 64);
    le32(hdr + 424, ZLIB);                         /* status */
    le32(hdr + 428, bs);                           /* block_size */
    le32(hdr + 432, (uint32_t)sub_blocks);         /* sub_hdr_size */
    le32(hdr + 436, (uint32_t)(2 * bitmap_len / bs));  /* bitmap_blocks */
    le32(hdr + 440, max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)max_mapnr);
    le32(hdr + 460, in->ncpus);                    /* nr_cpus */
    /* kdump_sub_header, then the notes */
    uint8_t *sub = hdr + bs;
    le64(sub + 0, in->phys_base);
    le32(sub + 8, 1);                              /* dump_level */
    le64(sub + 48, (uint64_t)bs + SUB_SIZE);       /* offset_note */
    le64(sub + 56, in->notes_size);
    le64(sub + 96, max_mapnr);                     /* max_mapnr_64 */
    memcpy(sub + SUB_SIZE, in->notes, in->notes_size);
    if ((e = put(&o, hdr, (size_t)((1 + sub_blocks) * bs), 0))) {
        goto out;
    }

    /* the two bitmaps, a block at a time */
    for (uint64_t c = 0; c < bitmap_len / bs; c++) {
        uint64_t p0 = c * bs * 8, p1 = p0 + (uint64_t)bs * 8;
        memset(chunk, 0, bs);
        for (size_t i = 0; i < in->map->n; i++) {
            const vms__mm_range *r = &in->map->r[i];
            uint64_t a = r->paddr / bs, b = (r->paddr + r->size - 1) / bs + 1;
            a = a > p0 ? a : p0;
            b = b < p1 ? b : p1;
            for (uint64_t q = a; q < b; q++) {
                chunk[(q - p0) / 8] |= (uint8_t)(1u << ((q - p0) % 8));
            }
        }
        if ((e = put(&o, chunk, bs, off_bitmap + c * bs)) ||
            (e = put(&o, chunk, bs, off_bitmap + bitmap_len + c * bs))) {
            goto out;
        }
    }

    /* descriptors and data: the shared zero page first */
    desc.off = off_desc;
    data.off = off_data;
    memset(page, 0, bs);
    if ((e = seq_add(&o, &data, page, bs))) {
        goto out;
    }
    uint64_t data_at = off_data + bs;
    f = (frames){ in->map, bs, 0, 0 };
    while (frame_next(&f, &pfn)) {
        uint8_t d[DESC_SIZE] = { 0 };
        if ((e = read_frame(in, &o, pfn, page))) {
            goto out;
        }
        if (all_zero(page, bs)) {
            le64(d, off_data);
            le32(d + 8, bs);
        } else {
            uLongf zl = zcap;
            const uint8_t *src = page;
            uint32_t len = bs, flags = 0;
            if (compress2(zpage, &zl, page, bs, Z_BEST_SPEED) == Z_OK &&
                zl < bs) {
                src = zpage;
                len = (uint32_t)zl;
                flags = ZLIB;
            }
            le64(d, data_at);
            le32(d + 8, len);
            le32(d + 12, flags);
            if ((e = seq_add(&o, &data, src, len))) {
                goto out;
            }
            data_at += len;
        }
        if ((e = seq_add(&o, &desc, d, sizeof(d)))) {
            goto out;
        }
        if (in->progress && (++done & 1023) == 0) {
            in->progress(in->progress_opaque, done, ndump);
        }
    }
    if (!(e = seq_flush(&o, &desc))) {
        e = seq_flush(&o, &data);
    }
out:
    free(hdr);
    free(page);
    free(zpage);
    free(chunk);
    free(desc.buf);
    free(data.buf);
    return e;
}
