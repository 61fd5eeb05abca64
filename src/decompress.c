/*
 * libvmstate: the compressed streams of libvirt save images, decompressed
 * as they are read (constant memory, no temporary file, pipes work).
 *
 * libvirt 9.0 pipes QEMU's stream through an external program
 * (qemuSaveImageGetCompressionProgram in src/qemu/qemu_saveimage.c:
 * "gzip -c", "bzip2 -c", "xz -c", "lzop -c"; later versions add
 * "zstd -c"), so the bytes are each program's file format: zlib, libbz2,
 * liblzma and libzstd read theirs; lzop's container is parsed here (its
 * header and block layout as lzop 1.04's p_header/x_decompress write them)
 * and each block goes to liblzo2's lzo1x decompressor.
 */
#include <bzlib.h>
#include <inttypes.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "container.h"
#include "bytes.h"
#include "reader.h"

/*
 * The names of the compressions (input.h); here, beside the decoders,
 * so that the input layer calls down into decompression and not back.
 */
static const char *const comp_names[] = {
    "raw", "gzip", "bzip2", "xz", "lzop", "zstd", "sparse",
};

const char *vms_compression_name(uint32_t id)
{
    return id < sizeof(comp_names) / sizeof(comp_names[0]) ? comp_names[id]
                                                           : NULL;
}

int vms_compression_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(comp_names) / sizeof(comp_names[0]); i++) {
        if (strcmp(name, comp_names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* lzop's MAX_BLOCK_SIZE: no block it writes decompresses to more. */
#define LZOP_BLOCK_MAX (64u << 20)

/* lzop header flags (lzop's conf.h). */
#define LZOP_F_ADLER32_D 0x1u
#define LZOP_F_ADLER32_C 0x2u
#define LZOP_F_H_EXTRA_FIELD 0x40u
#define LZOP_F_CRC32_D 0x100u
#define LZOP_F_CRC32_C 0x200u
#define LZOP_F_H_FILTER 0x800u

typedef struct dz {
    vms_reader *in;
    uint32_t method;
    bool ended, begun;
    z_stream z;
    bz_stream bz;
    lzma_stream xz;
    ZSTD_DStream *zs;
    /* lzop: one decompressed block, handed out piecewise */
    uint32_t lzo_flags;
    uint8_t *blk, *cblk;
    size_t blk_len, blk_pos;
    char file[VMS_ERROR_FILE_MAX];
} dz;

static const char *method_name(uint32_t m)
{
    return vms_compression_name(m) ? vms_compression_name(m) : "?";
}

static int corrupt(dz *d, vms_error *err, uint64_t off, const char *why)
{
    vms_error_set_file(err, d->file);
    return vms_error_set_at(err, VMS_EFORMAT, off,
                            "corrupt %s data in the libvirt image (%s)",
                            method_name(d->method), why);
}

static int ends_early(dz *d, vms_error *err)
{
    vms_error_set_file(err, d->file);
    return vms_error_set_at(err, VMS_ETRUNC, vms_reader_offset(d->in),
                            "the %s data ends before its end marker (the "
                            "image is cut short)", method_name(d->method));
}

/* One step of a streaming library: in[0..inlen) -> out; 0 or error. */
static int step(dz *d, const uint8_t *in, size_t inlen, uint8_t *out,
                size_t outlen, size_t *used, size_t *made, bool *done,
                vms_error *err)
{
    uint64_t at = vms_reader_offset(d->in);

    *done = false;
    switch (d->method) {
    case VMS_COMPRESS_GZIP: {
        int rc;
        d->z.next_in = (Bytef *)in;
        d->z.avail_in = (uInt)(inlen > UINT32_MAX ? UINT32_MAX : inlen);
        d->z.next_out = out;
        d->z.avail_out = (uInt)(outlen > UINT32_MAX ? UINT32_MAX : outlen);
        rc = inflate(&d->z, Z_NO_FLUSH);
        *used = (size_t)(d->z.next_in - in);
        *made = (size_t)(d->z.next_out - out);
        if (rc == Z_STREAM_END) {
            *done = true;
        } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && (*used || *made))) {
            return corrupt(d, err, at + *used,
                           d->z.msg ? d->z.msg : "zlib error");
        }
        return 0;
    }
    case VMS_COMPRESS_BZIP2: {
        int rc;
        d->bz.next_in = (char *)in;
        d->bz.avail_in = (unsigned)(inlen > UINT32_MAX ? UINT32_MAX : inlen);
        d->bz.next_out = (char *)out;
        d->bz.avail_out = (unsigned)(outlen > UINT32_MAX ? UINT32_MAX
                                                         : outlen);
        rc = BZ2_bzDecompress(&d->bz);
        *used = (size_t)((const uint8_t *)d->bz.next_in - in);
        *made = (size_t)((uint8_t *)d->bz.next_out - out);
        if (rc == BZ_STREAM_END) {
            *done = true;
        } else if (rc != BZ_OK) {
            return corrupt(d, err, at + *used, "libbz2 error");
        }
        return 0;
    }
    case VMS_COMPRESS_XZ: {
        lzma_ret rc;
        d->xz.next_in = in;
        d->xz.avail_in = inlen;
        d->xz.next_out = out;
        d->xz.avail_out = outlen;
        rc = lzma_code(&d->xz, LZMA_RUN);
        *used = (size_t)(d->xz.next_in - in);
        *made = (size_t)(d->xz.next_out - out);
        if (rc == LZMA_STREAM_END) {
            *done = true;
        } else if (rc != LZMA_OK) {
            return corrupt(d, err, at + *used,
                           rc == LZMA_DATA_ERROR ? "liblzma: data error" :
                           rc == LZMA_FORMAT_ERROR ? "liblzma: not xz" :
                           rc == LZMA_MEM_ERROR ? "liblzma: out of memory" :
                           "liblzma error");
        }
        return 0;
    }
    case VMS_COMPRESS_ZSTD: {
        ZSTD_inBuffer ib = { in, inlen, 0 };
        ZSTD_outBuffer ob = { out, outlen, 0 };
        size_t rc = ZSTD_decompressStream(d->zs, &ob, &ib);
        *used = ib.pos;
        *made = ob.pos;
        if (ZSTD_isError(rc)) {
            return corrupt(d, err, at + *used, ZSTD_getErrorName(rc));
        }
        /* 0: a frame is complete and fully flushed. */
        *done = rc == 0;
        return 0;
    }
    }
    return VMS_EINVAL;
}

/* ---- lzop ------------------------------------------------------------- */

static int take(dz *d, void *dst, size_t n, vms_error *err)
{
    int e = vms_read_bytes(d->in, dst, n, err);

    if (e == VMS_ETRUNC) {
        return ends_early(d, err);
    }
    return e;
}

static int take_be32(dz *d, uint32_t *v, vms_error *err)
{
    uint8_t b[4];
    int e = take(d, b, 4, err);

    if (!e) {
        *v = vms__get_be32(b);
    }
    return e;
}

/*
 * lzop's file header (lzop 1.04 p_header): magic, version, lib_version,
 * [version_needed, >= 0x0940], method, [level, >= 0x0940], flags,
 * [filter, F_H_FILTER], mode, mtime_low, [mtime_high, >= 0x0940], name
 * (length byte + bytes), header checksum, [extra field, F_H_EXTRA_FIELD].
 */
static int lzop_header(dz *d, vms_error *err)
{
    static const uint8_t magic[9] = { 0x89, 'L', 'Z', 'O', 0, '\r', '\n',
                                      0x1a, '\n' };
    uint8_t b[16], method, namelen;
    uint64_t at = vms_reader_offset(d->in);
    uint16_t version;
    uint32_t flags, skip;
    int e;

    if ((e = take(d, b, 9, err))) {
        return e;
    }
    if (memcmp(b, magic, 9) != 0) {
        return corrupt(d, err, at, "no lzop magic");
    }
    if ((e = take(d, b, 4, err))) {
        return e;
    }
    version = vms__get_be16(b);
    if (version < 0x0900) {
        return corrupt(d, err, at + 9, "lzop format older than 0.90");
    }
    if (version >= 0x0940 && (e = take(d, b, 2, err))) {
        return e;
    }
    if ((e = take(d, &method, 1, err))) {
        return e;
    }
    /* 1, 2, 3: LZO1X-1, LZO1X-1(15), LZO1X-999: one decompressor. */
    if (method < 1 || method > 3) {
        return corrupt(d, err, vms_reader_offset(d->in) - 1,
                       "lzop method not LZO1X");
    }
    if (version >= 0x0940 && (e = take(d, b, 1, err))) {
        return e;
    }
    if ((e = take_be32(d, &flags, err))) {
        return e;
    }
    if ((flags & LZOP_F_H_FILTER) && (e = take(d, b, 4, err))) {
        return e;
    }
    /* mode, mtime_low, [mtime_high] */
    if ((e = take(d, b, version >= 0x0940 ? 12 : 8, err)) ||
        (e = take(d, &namelen, 1, err)) ||
        (e = vms_read_skip(d->in, namelen, err)) ||
        (e = take(d, b, 4, err))) {
        return e == VMS_ETRUNC ? ends_early(d, err) : e;
    }
    if (flags & LZOP_F_H_EXTRA_FIELD) {
        if ((e = take_be32(d, &skip, err)) ||
            (e = vms_read_skip(d->in, skip, err)) ||
            (e = take(d, b, 4, err))) {
            return e == VMS_ETRUNC ? ends_early(d, err) : e;
        }
    }
    d->lzo_flags = flags;
    return 0;
}

/* The next block into d->blk; d->ended at the zero-length end mark. */
static int lzop_block(dz *d, vms_error *err)
{
    uint64_t at = vms_reader_offset(d->in);
    uint32_t dst_len, src_len, dsum = 0, v;
    bool dsum_adler = false, dsum_crc = false;
    lzo_uint out_len;
    int e;

    if ((e = take_be32(d, &dst_len, err))) {
        return e;
    }
    if (dst_len == 0) {
        d->ended = true;
        return 0;
    }
    if ((e = take_be32(d, &src_len, err))) {
        return e;
    }
    if (dst_len > LZOP_BLOCK_MAX || src_len > dst_len || src_len == 0) {
        return corrupt(d, err, at, "impossible lzop block lengths");
    }
    if (d->lzo_flags & LZOP_F_ADLER32_D) {
        if ((e = take_be32(d, &dsum, err))) {
            return e;
        }
        dsum_adler = true;
    }
    if (d->lzo_flags & LZOP_F_CRC32_D) {
        if ((e = take_be32(d, &v, err))) {
            return e;
        }
        if (!dsum_adler) {
            dsum = v;
            dsum_crc = true;
        }
    }
    if (src_len < dst_len &&
        (((d->lzo_flags & LZOP_F_ADLER32_C) && (e = take_be32(d, &v, err))) ||
         ((d->lzo_flags & LZOP_F_CRC32_C) && (e = take_be32(d, &v, err))))) {
        return e;
    }
    if (!d->blk) {
        d->blk = malloc(LZOP_BLOCK_MAX);
        d->cblk = malloc(LZOP_BLOCK_MAX);
        if (!d->blk || !d->cblk) {
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
    }
    at = vms_reader_offset(d->in);
    if (src_len == dst_len) {       /* stored: lzop found it incompressible */
        if ((e = take(d, d->blk, src_len, err))) {
            return e;
        }
    } else {
        if ((e = take(d, d->cblk, src_len, err))) {
            return e;
        }
        out_len = dst_len;
        if (lzo1x_decompress_safe(d->cblk, src_len, d->blk, &out_len,
                                  NULL) != LZO_E_OK || out_len != dst_len) {
            return corrupt(d, err, at, "liblzo2: lzo1x block does not "
                           "decompress");
        }
    }
    if ((dsum_adler && lzo_adler32(1, d->blk, dst_len) != dsum) ||
        (dsum_crc && lzo_crc32(0, d->blk, dst_len) != dsum)) {
        return corrupt(d, err, at, "lzop block checksum mismatch");
    }
    d->blk_len = dst_len;
    d->blk_pos = 0;
    return 0;
}

static int64_t lzop_read(dz *d, uint8_t *buf, size_t n, vms_error *err)
{
    int e;

    if (!d->begun) {
        d->begun = true;
        if ((e = lzop_header(d, err))) {
            return e;
        }
    }
    while (d->blk_pos == d->blk_len) {
        if (d->ended) {
            return 0;
        }
        if ((e = lzop_block(d, err))) {
            return e;
        }
    }
    if (n > d->blk_len - d->blk_pos) {
        n = d->blk_len - d->blk_pos;
    }
    memcpy(buf, d->blk + d->blk_pos, n);
    d->blk_pos += n;
    return (int64_t)n;
}

/* ---- the source ------------------------------------------------------- */

static int reset(dz *d)
{
    switch (d->method) {
    case VMS_COMPRESS_GZIP:
        /* 15 + 32: a gzip (or zlib) header, as gzip -d reads it. */
        return inflateReset2(&d->z, 15 + 32) == Z_OK ? 0 : VMS_ENOMEM;
    case VMS_COMPRESS_ZSTD:
        return ZSTD_isError(ZSTD_DCtx_reset(d->zs, ZSTD_reset_session_only))
                   ? VMS_ENOMEM : 0;
    }
    return 0;
}

static int64_t dz_read(void *opaque, void *buf, size_t n, vms_error *err)
{
    dz *d = opaque;
    size_t made = 0;

    if (d->method == VMS_COMPRESS_LZOP) {
        return lzop_read(d, buf, n, err);
    }
    while (made == 0 && n) {
        const uint8_t *p;
        size_t got, used = 0;
        bool done;
        int e;

        if (d->ended) {
            return 0;
        }
        if ((e = vms_read_peek(d->in, VMS_READER_WINDOW, &p, &got, err))) {
            return e;
        }
        if (got == 0) {
            return ends_early(d, err);
        }
        if ((e = step(d, p, got, buf, n, &used, &made, &done, err))) {
            return e;
        }
        vms_read_skip(d->in, used, NULL);
        if (done) {
            /*
             * gzip -d and zstd -d read concatenated members on: so do
             * we. Anything else after the end is not ours to judge.
             */
            const uint8_t *q;
            size_t k;
            if (vms_read_peek(d->in, 4, &q, &k, err) == 0 &&
                ((d->method == VMS_COMPRESS_GZIP && k >= 2 && q[0] == 0x1f &&
                  q[1] == 0x8b) ||
                 (d->method == VMS_COMPRESS_ZSTD && k == 4 &&
                  q[0] == 0x28 && q[1] == 0xb5 && q[2] == 0x2f &&
                  q[3] == 0xfd))) {
                if (reset(d)) {
                    return vms_error_set(err, VMS_ENOMEM, "out of memory");
                }
            } else {
                d->ended = true;
            }
        } else if (used == 0 && made == 0) {
            return corrupt(d, err, vms_reader_offset(d->in),
                           "the decompressor made no progress");
        }
    }
    return (int64_t)made;
}

static void dz_free(dz *d, bool close_in)
{
    switch (d->method) {
    case VMS_COMPRESS_GZIP:
        inflateEnd(&d->z);
        break;
    case VMS_COMPRESS_BZIP2:
        BZ2_bzDecompressEnd(&d->bz);
        break;
    case VMS_COMPRESS_XZ:
        lzma_end(&d->xz);
        break;
    case VMS_COMPRESS_ZSTD:
        ZSTD_freeDStream(d->zs);
        break;
    }
    if (close_in) {
        vms_reader_close(d->in);
    }
    free(d->blk);
    free(d->cblk);
    free(d);
}

static void dz_close(void *opaque)
{
    dz_free(opaque, true);
}

/* A decompressor of method reading in (not taken over); NULL on error. */
static dz *dz_new(vms_reader *in, uint32_t method, const char *file,
                  vms_error *err)
{
    dz *d = calloc(1, sizeof(*d));
    bool ok = false;

    if (!d) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    d->method = method;
    snprintf(d->file, sizeof(d->file), "%s", file);
    switch (method) {
    case VMS_COMPRESS_GZIP:
        ok = inflateInit2(&d->z, 15 + 32) == Z_OK;
        break;
    case VMS_COMPRESS_BZIP2:
        ok = BZ2_bzDecompressInit(&d->bz, 0, 0) == BZ_OK;
        break;
    case VMS_COMPRESS_XZ:
        /* No memory limit beyond xz's own: xz -c wrote it with defaults. */
        ok = lzma_stream_decoder(&d->xz, UINT64_MAX, 0) ==
             LZMA_OK;
        break;
    case VMS_COMPRESS_ZSTD:
        ok = (d->zs = ZSTD_createDStream()) != NULL;
        break;
    case VMS_COMPRESS_LZOP:
        ok = lzo_init() == LZO_E_OK;
        break;
    default:
        free(d);
        vms_error_set_file(err, file);
        vms_error_set(err, VMS_EUNSUPPORTED, "compression id %u is not one "
                      "this reader decompresses", method);
        return NULL;
    }
    if (!ok) {
        free(d);
        vms_error_set(err, VMS_ENOMEM, "cannot start the %s decompressor",
                      method_name(method));
        return NULL;
    }
    d->in = in;
    return d;
}

int vms__decompress_source(vms_reader *in, uint32_t method, const char *file,
                           vms__source *out, vms_error *err)
{
    dz *d = dz_new(in, method, file, err);

    if (!d) {
        return err && err->code ? err->code : VMS_ENOMEM;
    }
    *out = (vms__source){ .read = dz_read, .close = dz_close, .opaque = d,
                          .size = -1 };
    return 0;
}

/* ---- the seekable form: decompress again when reading back ----------- */

/*
 * The last RING bytes made stay readable: unpack reads a body back right
 * after the walk passed it, and the description search reads the last
 * megabytes; both are served from here without starting over.
 */
#define RING (16u << 20)

typedef struct sdz {
    vms_reader *in;         /* the image (seekable), owned */
    uint64_t start;         /* where the compressed data starts in it */
    uint32_t method;
    dz *d;                  /* decompressing from start */
    uint64_t pos;           /* stream offset of the next byte d makes */
    uint64_t have;          /* bytes before pos still in ring */
    uint8_t *ring;          /* offset o at ring[o % RING] */
    char file[VMS_ERROR_FILE_MAX];
} sdz;

static int sdz_restart(sdz *z, vms_error *err)
{
    int e;

    if (z->d) {
        dz_free(z->d, false);
        z->d = NULL;
    }
    if ((e = vms_reader_seek(z->in, z->start, err))) {
        return e;
    }
    if (!(z->d = dz_new(z->in, z->method, z->file, err))) {
        return err && err->code ? err->code : VMS_ENOMEM;
    }
    z->pos = 0;
    z->have = 0;
    return 0;
}

/* Decompress the next bytes into the ring: their count, 0 at the end. */
static int64_t sdz_more(sdz *z, vms_error *err)
{
    size_t at = (size_t)(z->pos % RING);
    size_t room = RING - at;
    int64_t got = dz_read(z->d, z->ring + at,
                          room < VMS_READER_WINDOW ? room : VMS_READER_WINDOW,
                          err);

    if (got > 0) {
        z->pos += (uint64_t)got;
        z->have = z->have + (uint64_t)got > RING ? RING
                                                 : z->have + (uint64_t)got;
    }
    return got;
}

static int64_t sdz_pread(void *opaque, void *buf, size_t n, uint64_t off,
                         vms_error *err)
{
    sdz *z = opaque;
    uint8_t *b = buf;
    size_t done = 0;
    int e;

    if (off < z->pos - z->have && (e = sdz_restart(z, err))) {
        return e;
    }
    while (done < n) {
        if (off < z->pos) {
            size_t at = (size_t)(off % RING);
            uint64_t k = z->pos - off;
            if (k > n - done) {
                k = n - done;
            }
            if (k > RING - at) {
                k = RING - at;
            }
            memcpy(b + done, z->ring + at, (size_t)k);
            done += (size_t)k;
            off += k;
        } else {
            int64_t got = sdz_more(z, err);
            if (got < 0) {
                return got;
            }
            if (got == 0) {
                break;
            }
        }
    }
    return (int64_t)done;
}

static void sdz_close(void *opaque)
{
    sdz *z = opaque;

    if (z->d) {
        dz_free(z->d, false);
    }
    vms_reader_close(z->in);
    free(z->ring);
    free(z);
}

int vms__decompress_seekable(vms_reader *in, uint32_t method,
                             const char *file, vms__source *out,
                             vms_error *err)
{
    sdz *z = calloc(1, sizeof(*z));
    int64_t got;
    int e;

    if (!z || !(z->ring = malloc(RING))) {
        free(z);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    z->in = in;
    z->start = vms_reader_offset(in);
    z->method = method;
    snprintf(z->file, sizeof(z->file), "%s", file);
    /* The first pass: the size, and every corrupt byte found before use. */
    if ((e = sdz_restart(z, err))) {
        goto fail;
    }
    while ((got = sdz_more(z, err)) > 0) {
    }
    if (got < 0) {
        e = (int)got;
        goto fail;
    }
    *out = (vms__source){ .pread = sdz_pread, .close = sdz_close,
                          .opaque = z, .size = (int64_t)z->pos };
    return 0;
fail:
    /* in stays the caller's on failure */
    if (z->d) {
        dz_free(z->d, false);
    }
    free(z->ring);
    free(z);
    return e;
}
