/*
 * libvmstate: a libvirt save image's stream compressed again, for pack.
 *
 * libvirt 9.0 pipes QEMU's stream through "gzip -c", "bzip2 -c", "xz -c"
 * or "lzop -c" (qemuSaveImageGetCompressionProgram, qemu_saveimage.c;
 * later ones add "zstd -c") and, on restore, back through "PROG -dc"
 * (qemuSaveImageGetCompressionCommand, "--ignore-warn" for lzop). So what
 * pack writes must be each program's file format, which the libraries
 * write: zlib (a gzip member: deflateInit2 with 16 + 15 window bits),
 * libbz2, liblzma (an .xz stream with CRC64, as xz -c), libzstd (one
 * frame); lzop's container is written here, laid out as lzop 1.04's
 * p_header/x_compress write it (the reader in decompress.c parses the
 * same), each 256 KiB block through liblzo2's LZO1X-1 as lzop's default
 * level does. The bytes differ from the programs' own (other encoders,
 * no time stamp); what "PROG -dc" reads back is the same stream.
 */
#include <bzlib.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "container.h"
#include "vmstate/json.h"
#include "writer.h"

#define OUT_BUF (256u << 10)
/* lzop's default BLOCK_SIZE (lzop 1.04 conf.h). */
#define LZOP_BLOCK (256u << 10)

struct vms__compressor {
    uint32_t method;
    int fd;
    z_stream z;
    bz_stream bz;
    lzma_stream xz;
    ZSTD_CStream *zs;
    bool begun;
    uint8_t *out;
    /* lzop: the block being filled, its compressed form, lzo's memory */
    uint8_t *blk, *cblk, *wrk;
    size_t blk_len;
};

static int put(vms__compressor *c, const void *p, size_t n)
{
    return vms__fd_write_all(c->fd, p, n);
}

static void be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/*
 * lzop 1.04's header for "lzop -c" of standard input: version 0x1040,
 * the library's version, version needed 0x0940, method 1 (LZO1X-1),
 * level 5 (its default -3 is stored as such), flags F_ADLER32_D |
 * F_STDIN | F_STDOUT | F_OS_UNIX, mode 0, mtime 0 (no file), no name,
 * and the adler32 of the header after the magic.
 */
static int lzop_header(vms__compressor *c)
{
    static const uint8_t magic[9] = { 0x89, 'L', 'Z', 'O', 0, '\r', '\n',
                                      0x1a, '\n' };
    uint8_t h[64];
    size_t n = 0;
    unsigned lib = (unsigned)lzo_version() & 0xffffu;

    memcpy(h, magic, 9);
    n = 9;
    h[n++] = 0x10;
    h[n++] = 0x40;
    h[n++] = (uint8_t)(lib >> 8);
    h[n++] = (uint8_t)lib;
    h[n++] = 0x09;
    h[n++] = 0x40;
    h[n++] = 1;                       /* M_LZO1X_1 */
    h[n++] = 5;
    be32(h + n, 0x0300000du);         /* F_OS_UNIX|F_STDOUT|F_STDIN|F_ADLER32_D */
    n += 4;
    memset(h + n, 0, 12);             /* mode, mtime_low, mtime_high */
    n += 12;
    h[n++] = 0;                       /* no name */
    be32(h + n, lzo_adler32(1, h + 9, n - 9));
    n += 4;
    return put(c, h, n);
}

static int lzop_flush_block(vms__compressor *c)
{
    uint8_t h[12];
    lzo_uint clen = 0;
    int e;

    if (!c->blk_len) {
        return 0;
    }
    if (lzo1x_1_compress(c->blk, c->blk_len, c->cblk, &clen, c->wrk) !=
        LZO_E_OK) {
        return VMS_EINVAL;
    }
    be32(h, (uint32_t)c->blk_len);
    /* a block that does not shrink is stored (lzop: src_len == dst_len) */
    if (clen >= c->blk_len) {
        clen = c->blk_len;
    }
    be32(h + 4, (uint32_t)clen);
    be32(h + 8, lzo_adler32(1, c->blk, c->blk_len));
    e = put(c, h, 12);
    e = e ? e : put(c, clen < c->blk_len ? c->cblk : c->blk, clen);
    c->blk_len = 0;
    return e;
}

/* Run the library over in[0..n) (n == 0 and finish: end the stream). */
static int pump(vms__compressor *c, const uint8_t *in, size_t n, bool finish)
{
    for (;;) {
        size_t made;
        bool done = false;
        int e;

        switch (c->method) {
        case VMS_COMPRESS_GZIP: {
            int rc;
            c->z.next_in = (Bytef *)in;
            c->z.avail_in = (uInt)n;
            c->z.next_out = c->out;
            c->z.avail_out = OUT_BUF;
            rc = deflate(&c->z, finish ? Z_FINISH : Z_NO_FLUSH);
            if (rc == Z_STREAM_ERROR) {
                return VMS_EINVAL;
            }
            made = OUT_BUF - c->z.avail_out;
            in = c->z.next_in;
            n = c->z.avail_in;
            done = finish ? rc == Z_STREAM_END : n == 0 && c->z.avail_out;
            break;
        }
        case VMS_COMPRESS_BZIP2: {
            int rc;
            c->bz.next_in = (char *)in;
            c->bz.avail_in = (unsigned)n;
            c->bz.next_out = (char *)c->out;
            c->bz.avail_out = OUT_BUF;
            rc = BZ2_bzCompress(&c->bz, finish ? BZ_FINISH : BZ_RUN);
            if (rc < 0) {
                return VMS_EINVAL;
            }
            made = OUT_BUF - c->bz.avail_out;
            in = (const uint8_t *)c->bz.next_in;
            n = c->bz.avail_in;
            done = finish ? rc == BZ_STREAM_END : n == 0;
            break;
        }
        case VMS_COMPRESS_XZ: {
            lzma_ret rc;
            c->xz.next_in = in;
            c->xz.avail_in = n;
            c->xz.next_out = c->out;
            c->xz.avail_out = OUT_BUF;
            rc = lzma_code(&c->xz, finish ? LZMA_FINISH : LZMA_RUN);
            if (rc != LZMA_OK && rc != LZMA_STREAM_END) {
                return rc == LZMA_MEM_ERROR ? VMS_ENOMEM : VMS_EINVAL;
            }
            made = OUT_BUF - c->xz.avail_out;
            in = c->xz.next_in;
            n = c->xz.avail_in;
            done = finish ? rc == LZMA_STREAM_END : n == 0;
            break;
        }
        case VMS_COMPRESS_ZSTD: {
            ZSTD_inBuffer ib = { in, n, 0 };
            ZSTD_outBuffer ob = { c->out, OUT_BUF, 0 };
            size_t rc = ZSTD_compressStream2(c->zs, &ob, &ib,
                                             finish ? ZSTD_e_end
                                                    : ZSTD_e_continue);
            if (ZSTD_isError(rc)) {
                return VMS_EINVAL;
            }
            made = ob.pos;
            /* in is NULL when finishing: no pointer arithmetic on it */
            if (ib.pos) {
                in += ib.pos;
                n -= ib.pos;
            }
            done = finish ? rc == 0 : n == 0;
            break;
        }
        default:
            return VMS_EINVAL;
        }
        if (made && (e = put(c, c->out, made))) {
            return e;
        }
        if (done) {
            return 0;
        }
    }
}

int vms__compressor_sink(void *opaque, const void *buf, size_t len)
{
    vms__compressor *c = opaque;
    const uint8_t *p = buf;
    int e;

    if (c->method != VMS_COMPRESS_LZOP) {
        return len ? pump(c, p, len, false) : 0;
    }
    if (!c->begun) {
        c->begun = true;
        if ((e = lzop_header(c))) {
            return e;
        }
    }
    while (len) {
        size_t k = LZOP_BLOCK - c->blk_len;
        if (k > len) {
            k = len;
        }
        memcpy(c->blk + c->blk_len, p, k);
        c->blk_len += k;
        p += k;
        len -= k;
        if (c->blk_len == LZOP_BLOCK && (e = lzop_flush_block(c))) {
            return e;
        }
    }
    return 0;
}

int vms__compressor_finish(vms__compressor *c, const char *file,
                           vms_error *err)
{
    int e;

    if (c->method == VMS_COMPRESS_LZOP) {
        uint8_t zero[4] = { 0 };
        e = c->begun ? 0 : (c->begun = true, lzop_header(c));
        e = e ? e : lzop_flush_block(c);
        e = e ? e : put(c, zero, 4);     /* lzop's end of file: dst_len 0 */
    } else {
        e = pump(c, NULL, 0, true);
    }
    if (e) {
        vms_error_set_file(err, file);
        return vms_error_set(err, e, "cannot finish the %s data: %s",
                             vms_compression_name(c->method),
                             e == VMS_EIO ? "write failed" : vms_strerror(e));
    }
    return 0;
}

void vms__compressor_free(vms__compressor *c)
{
    if (!c) {
        return;
    }
    switch (c->method) {
    case VMS_COMPRESS_GZIP:
        deflateEnd(&c->z);
        break;
    case VMS_COMPRESS_BZIP2:
        BZ2_bzCompressEnd(&c->bz);
        break;
    case VMS_COMPRESS_XZ:
        lzma_end(&c->xz);
        break;
    case VMS_COMPRESS_ZSTD:
        ZSTD_freeCStream(c->zs);
        break;
    }
    free(c->out);
    free(c->blk);
    free(c->cblk);
    free(c->wrk);
    free(c);
}

vms__compressor *vms__compressor_new(int fd, uint32_t method,
                                     const char *file, vms_error *err)
{
    vms__compressor *c = calloc(1, sizeof(*c));
    bool ok = false;

    if (!c || !(c->out = malloc(OUT_BUF))) {
        free(c);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    c->method = method;
    c->fd = fd;
    switch (method) {
    case VMS_COMPRESS_GZIP:
        /* 16 + 15: a gzip member, as gzip -c writes; gzip's default -6 */
        ok = deflateInit2(&c->z, 6, Z_DEFLATED, 16 + 15, 8,
                          Z_DEFAULT_STRATEGY) == Z_OK;
        break;
    case VMS_COMPRESS_BZIP2:
        ok = BZ2_bzCompressInit(&c->bz, 9, 0, 0) == BZ_OK;  /* bzip2's -9 */
        break;
    case VMS_COMPRESS_XZ:
        ok = lzma_easy_encoder(&c->xz, 6, LZMA_CHECK_CRC64) == LZMA_OK;
        break;
    case VMS_COMPRESS_ZSTD:
        ok = (c->zs = ZSTD_createCStream()) != NULL &&
             !ZSTD_isError(ZSTD_CCtx_setParameter(c->zs,
                                                  ZSTD_c_compressionLevel,
                                                  3)) &&
             !ZSTD_isError(ZSTD_CCtx_setParameter(c->zs, ZSTD_c_checksumFlag,
                                                  1));
        break;
    case VMS_COMPRESS_LZOP:
        ok = lzo_init() == LZO_E_OK &&
             (c->blk = malloc(LZOP_BLOCK)) != NULL &&
             /* lzo's worst case: n + n/16 + 64 + 3 */
             (c->cblk = malloc(LZOP_BLOCK + LZOP_BLOCK / 16 + 67)) != NULL &&
             (c->wrk = malloc(LZO1X_1_MEM_COMPRESS)) != NULL;
        break;
    default:
        vms__compressor_free(c);
        vms_error_set_file(err, file);
        vms_error_set(err, VMS_EUNSUPPORTED, "compression %u cannot be "
                      "written", method);
        return NULL;
    }
    if (!ok) {
        vms__compressor_free(c);
        vms_error_set(err, VMS_ENOMEM, "cannot start the %s compressor",
                      vms_compression_name(method));
        return NULL;
    }
    return c;
}
