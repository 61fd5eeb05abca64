/*
 * libvmstate: the device and RAM state of a qcow2 internal snapshot
 * (savevm), read only.
 *
 * No Debian library reads it: libqcow (libqcow-dev 20201213) opens the
 * disk's current data but has no snapshot or vmstate API, and qemu-img,
 * qemu-nbd and qemu-io only export disk data. So this is a small reader of
 * QEMU's docs/interop/qcow2.txt: the header (v2, v3), the snapshot table,
 * the snapshot's L1 table and L2 tables (standard and extended), and
 * compressed clusters (deflate, zstd).
 *
 * Where the state lives (QEMU block/qcow2.c, qcow2_vm_state_offset): at the
 * virtual offset l1_vm_state_index << (cluster_bits + l2_bits), where
 * l1_vm_state_index = size_to_l1(disk size): the first L1 entry past the
 * disk. savevm writes it through the active L1 and the snapshot copies
 * that L1 (qcow2_snapshot_create), and loadvm first reverts the disk to
 * the snapshot's size (qcow2_snapshot_goto), so the snapshot's disk_size
 * and its own L1 table find it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "container.h"
#include "bytes.h"
#include "reader.h"

#define QCOW2_MAGIC 0x514649fbu             /* "QFI\xfb" */
#define L1E_OFFSET_MASK 0x00fffffffffffe00ull
#define L2E_OFFSET_MASK 0x00fffffffffffe00ull
#define L2E_COMPRESSED (1ull << 62)
#define L2E_ZERO 1ull
/* incompatible feature bits (qcow2.txt) */
#define INCOMPAT_DIRTY 1ull
#define INCOMPAT_CORRUPT 2ull
#define INCOMPAT_DATA_FILE 4ull
#define INCOMPAT_COMPRESSION 8ull
#define INCOMPAT_EXTL2 16ull
/* Bounds on what a header may make us allocate. */
#define SNAPSHOTS_MAX 65536u        /* QEMU's QCOW_MAX_SNAPSHOTS */
#define SNAPSHOT_EXTRA_MAX 1024u    /* QEMU's QCOW_MAX_SNAPSHOT_EXTRA_DATA */

typedef struct qc {
    vms_reader *in;
    char file[VMS_ERROR_FILE_MAX];
    unsigned cluster_bits;
    uint64_t cluster_size;
    bool extl2;
    uint32_t ctype;
    int64_t file_size;
    uint64_t *l1;           /* the snapshot's L1 table, host order */
    uint32_t l1_size;
    uint64_t l2_bits;       /* log2 of entries per L2 table */
    uint64_t state_off;     /* virtual offset of the state */
    uint64_t state_len;
    uint8_t *l2;            /* one cached L2 table */
    uint64_t l2_at;         /* its host offset, 0: none */
    uint8_t *cbuf, *cdata;  /* compressed cluster: input, output */
    uint64_t c_at;          /* host descriptor of cdata, 0: none */
    ZSTD_DCtx *zctx;
} qc;

static int qfail(const char *file, vms_error *err, int code, uint64_t off,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int qfail(const char *file, vms_error *err, int code, uint64_t off,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv_at(err, code, off, fmt, ap);
    va_end(ap);
    vms_error_set_file(err, file);
    return code;
}

static int rd(qc *q, void *buf, size_t n, uint64_t off, const char *what,
              vms_error *err)
{
    if (q->file_size >= 0 &&
        (off > (uint64_t)q->file_size || n > (uint64_t)q->file_size - off)) {
        return qfail(q->file, err, VMS_ETRUNC, off, "%s (%zu bytes) lies "
                     "past the end of the image (%" PRId64 " bytes)", what, n,
                     q->file_size);
    }
    return vms__reader_pread(q->in, buf, n, off, err);
}

static int inflate_cluster(qc *q, const uint8_t *in, size_t inlen,
                           uint8_t *out, vms_error *err, uint64_t at)
{
    if (q->ctype == 1) {
        /* qcow2_zstd_decompress: frames until the cluster is full */
        ZSTD_inBuffer ib = { in, inlen, 0 };
        ZSTD_outBuffer ob = { out, q->cluster_size, 0 };
        if (!q->zctx && !(q->zctx = ZSTD_createDCtx())) {
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
        ZSTD_DCtx_reset(q->zctx, ZSTD_reset_session_only);
        while (ob.pos < ob.size) {
            size_t rc = ZSTD_decompressStream(q->zctx, &ob, &ib);
            if (ZSTD_isError(rc)) {
                return qfail(q->file, err, VMS_EFORMAT, at, "corrupt zstd "
                             "compressed cluster: %s", ZSTD_getErrorName(rc));
            }
            if (ib.pos == ib.size && ob.pos < ob.size) {
                break;
            }
        }
        if (ob.pos != ob.size) {
            return qfail(q->file, err, VMS_EFORMAT, at, "zstd compressed "
                         "cluster decompresses to fewer bytes than a cluster");
        }
        return 0;
    }
    /* qcow2_zlib_decompress: raw deflate, window 4 KiB (-12) */
    z_stream z;
    int rc;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -12) != Z_OK) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)inlen;
    z.next_out = out;
    z.avail_out = (uInt)q->cluster_size;
    rc = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    /* QEMU accepts a full cluster with input left (sector padding). */
    if ((rc != Z_STREAM_END && rc != Z_BUF_ERROR) || z.avail_out != 0) {
        return qfail(q->file, err, VMS_EFORMAT, at, "corrupt deflate "
                     "compressed cluster");
    }
    return 0;
}

/* Up to the end of one cluster of the state at virtual offset v. */
static int64_t read_cluster(qc *q, uint8_t *buf, size_t n, uint64_t v,
                            vms_error *err)
{
    uint64_t in_cl = v & (q->cluster_size - 1);
    uint64_t l2_entries = 1ull << q->l2_bits;
    uint64_t l1i = v >> (q->cluster_bits + q->l2_bits);
    uint64_t l2i = (v >> q->cluster_bits) & (l2_entries - 1);
    size_t esz = q->extl2 ? 16 : 8;
    uint64_t l2e, bitmap = 0, host;
    int e;

    if (n > q->cluster_size - in_cl) {
        n = (size_t)(q->cluster_size - in_cl);
    }
    if (l1i >= q->l1_size) {
        return qfail(q->file, err, VMS_ETRUNC, v - q->state_off,
                     "the snapshot's state is shorter than its header says: "
                     "its L1 table (%u entries) ends before the state does",
                     q->l1_size);
    }
    uint64_t l2_at = q->l1[l1i] & L1E_OFFSET_MASK;
    if (!l2_at) {
        memset(buf, 0, n);      /* unallocated: reads as zeros */
        return (int64_t)n;
    }
    if (l2_at != q->l2_at) {
        if ((e = rd(q, q->l2, q->cluster_size, l2_at, "an L2 table", err))) {
            return e;
        }
        q->l2_at = l2_at;
    }
    l2e = vms__get_be64(q->l2 + l2i * esz);
    if (q->extl2) {
        bitmap = vms__get_be64(q->l2 + l2i * esz + 8);
    }
    if (l2e & L2E_COMPRESSED) {
        /* qcow2.txt: x = 62 - (cluster_bits - 8) offset bits, then the
         * count of additional 512-byte sectors. */
        unsigned x = 62 - (q->cluster_bits - 8);
        uint64_t coff = l2e & ((1ull << x) - 1);
        uint64_t nsec = ((l2e & ~L2E_COMPRESSED) >> x) &
                        ((1ull << (62 - x)) - 1);
        uint64_t clen = (nsec + 1) * 512 - (coff & 511);
        if (q->c_at != l2e) {
            if (clen > 2 * q->cluster_size) {
                return qfail(q->file, err, VMS_EFORMAT, coff, "compressed "
                             "cluster of %" PRIu64 " bytes", clen);
            }
            /* The last sectors may run past a file QEMU left unpadded. */
            if (q->file_size >= 0 && coff < (uint64_t)q->file_size &&
                clen > (uint64_t)q->file_size - coff) {
                clen = (uint64_t)q->file_size - coff;
            }
            if ((e = rd(q, q->cbuf, (size_t)clen, coff, "a compressed cluster",
                        err)) ||
                (e = inflate_cluster(q, q->cbuf, (size_t)clen, q->cdata, err,
                                     coff))) {
                return e;
            }
            q->c_at = l2e;
        }
        memcpy(buf, q->cdata + in_cl, n);
        return (int64_t)n;
    }
    host = l2e & L2E_OFFSET_MASK;
    if (q->extl2) {
        /* 32 subclusters: bit i allocated, bit 32 + i reads as zeros */
        uint64_t sub = q->cluster_size / 32;
        unsigned si = (unsigned)(in_cl / sub);
        uint64_t left = sub - (in_cl % sub);
        if (n > left) {
            n = (size_t)left;
        }
        if ((bitmap >> (32 + si)) & 1 || !((bitmap >> si) & 1)) {
            memset(buf, 0, n);
            return (int64_t)n;
        }
    } else if ((l2e & L2E_ZERO) || !host) {
        memset(buf, 0, n);
        return (int64_t)n;
    }
    if ((e = rd(q, buf, n, host + in_cl, "a data cluster", err))) {
        return e;
    }
    return (int64_t)n;
}

static int64_t qc_pread(void *opaque, void *buf, size_t n, uint64_t off,
                        vms_error *err)
{
    qc *q = opaque;
    size_t done = 0;

    if (off >= q->state_len) {
        return 0;
    }
    if (n > q->state_len - off) {
        n = (size_t)(q->state_len - off);
    }
    while (done < n) {
        int64_t k = read_cluster(q, (uint8_t *)buf + done, n - done,
                                 q->state_off + off + done, err);
        if (k < 0) {
            return k;
        }
        done += (size_t)k;
    }
    return (int64_t)done;
}

static void qc_close(void *opaque)
{
    qc *q = opaque;

    vms_reader_close(q->in);
    free(q->l1);
    free(q->l2);
    free(q->cbuf);
    free(q->cdata);
    ZSTD_freeDCtx(q->zctx);
    free(q);
}

static char *dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);

    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static int read_snapshots(qc *q, uint64_t at, uint32_t count,
                          vms_input_info *info, vms_error *err)
{
    info->snapshots = calloc(count ? count : 1, sizeof(*info->snapshots));
    if (!info->snapshots) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < count; i++) {
        vms_qcow2_snapshot *sn = &info->snapshots[i];
        uint8_t h[40], extra[SNAPSHOT_EXTRA_MAX], str[2 * 65536];
        uint16_t idlen, namelen;
        uint32_t extra_len;
        int e;

        if ((e = rd(q, h, sizeof(h), at, "a snapshot table entry", err))) {
            return e;
        }
        sn->l1_table_offset = vms__get_be64(h);
        sn->l1_size = vms__get_be32(h + 8);
        idlen = vms__get_be16(h + 12);
        namelen = vms__get_be16(h + 14);
        sn->date_sec = vms__get_be32(h + 16);
        sn->date_nsec = vms__get_be32(h + 20);
        sn->vm_clock_nsec = vms__get_be64(h + 24);
        sn->vm_state_size = vms__get_be32(h + 32);
        extra_len = vms__get_be32(h + 36);
        sn->disk_size = info->disk_size;
        if (extra_len > SNAPSHOT_EXTRA_MAX) {
            return qfail(q->file, err, VMS_EFORMAT, at + 36, "snapshot "
                         "extra data of %u bytes (QEMU allows %u)", extra_len,
                         SNAPSHOT_EXTRA_MAX);
        }
        if (extra_len &&
            (e = rd(q, extra, extra_len, at + 40, "snapshot extra data",
                    err))) {
            return e;
        }
        /* extra data: vm_state_size_large, disk_size, icount (qcow2.txt) */
        if (extra_len >= 8) {
            sn->vm_state_size = vms__get_be64(extra);
        }
        if (extra_len >= 16) {
            sn->disk_size = vms__get_be64(extra + 8);
        }
        if ((e = rd(q, str, (size_t)idlen + namelen, at + 40 + extra_len,
                    "a snapshot's id and name", err))) {
            return e;
        }
        if (!(sn->id = dup_n(str, idlen)) ||
            !(sn->name = dup_n(str + idlen, namelen))) {
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
        info->nsnapshots = i + 1;
        at += 40 + extra_len + idlen + namelen;
        at = (at + 7) & ~7ull;
    }
    return 0;
}

/* "1 (s1), 2 (s2)" into buf. */
static void list_snapshots(const vms_input_info *info, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = 0;
    for (size_t i = 0; i < info->nsnapshots && n + 1 < len; i++) {
        int k = snprintf(buf + n, len - n, "%s%s '%s'%s", i ? ", " : "",
                         info->snapshots[i].id, info->snapshots[i].name,
                         info->snapshots[i].vm_state_size ? "" :
                         " (disk only)");
        if (k < 0) {
            break;
        }
        n += (size_t)k;
    }
    if (n >= len - 1 && len > 4) {
        strcpy(buf + len - 4, "...");
    }
}

static int pick(qc *q, const char *want, vms_input_info *info, vms_error *err)
{
    char list[200];
    size_t with_state = 0;
    int found = -1;

    list_snapshots(info, list, sizeof(list));
    if (info->nsnapshots == 0) {
        return qfail(q->file, err, VMS_ENOTFOUND, 0, "a qcow2 image without "
                     "snapshots: no saved VM state to read");
    }
    if (want) {
        /* bdrv_snapshot_find's order: an id first, then a name */
        for (size_t i = 0; i < info->nsnapshots && found < 0; i++) {
            if (strcmp(info->snapshots[i].id, want) == 0) {
                found = (int)i;
            }
        }
        for (size_t i = 0; i < info->nsnapshots && found < 0; i++) {
            if (strcmp(info->snapshots[i].name, want) == 0) {
                found = (int)i;
            }
        }
        if (found < 0) {
            return qfail(q->file, err, VMS_ENOTFOUND, 0, "no snapshot '%s' "
                         "in this qcow2 image; it has %s", want, list);
        }
    } else {
        for (size_t i = 0; i < info->nsnapshots; i++) {
            if (info->snapshots[i].vm_state_size) {
                with_state++;
                found = (int)i;
            }
        }
        if (with_state != 1) {
            return qfail(q->file, err, VMS_EINVAL, 0, "%s: choose one "
                         "with --snapshot ID|NAME; this qcow2 image has %s",
                         with_state ? "several snapshots with VM state"
                                    : "no snapshot with VM state", list);
        }
    }
    if (!info->snapshots[found].vm_state_size) {
        return qfail(q->file, err, VMS_ENOTFOUND, 0, "snapshot %s '%s' is "
                     "disk-only: it holds no VM state",
                     info->snapshots[found].id, info->snapshots[found].name);
    }
    info->snapshot = found;
    return 0;
}

int vms__qcow2_source(vms_reader *in, const char *file, const char *snapshot,
                      vms_input_info *info, vms__source *out, vms_error *err)
{
    qc *q = calloc(1, sizeof(*q));
    uint8_t h[112];
    uint64_t incompat = 0, snap_off, l1_bytes;
    uint32_t nsnap, hdr_len = 72, crypt;
    vms_qcow2_snapshot *sn;
    int e;

    if (!q) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    q->in = in;
    q->file_size = vms_reader_size(in);
    snprintf(q->file, sizeof(q->file), "%s", file);
    info->container = VMS_CONTAINER_QCOW2;
    info->snapshot = -1;
    if (q->file_size < 0) {
        e = qfail(file, err, VMS_EUNSUPPORTED, 0, "a qcow2 image is read "
                  "by offset: give a file, not a pipe");
        goto fail;
    }
    memset(h, 0, sizeof(h));
    if ((e = rd(q, h, 72, 0, "the qcow2 header", err))) {
        goto fail;
    }
    info->qcow2_version = vms__get_be32(h + 4);
    if (info->qcow2_version != 2 && info->qcow2_version != 3) {
        e = qfail(file, err, VMS_EVERSION, 4, "qcow2 version %u (this "
                  "reader knows 2 and 3)", info->qcow2_version);
        goto fail;
    }
    if (info->qcow2_version == 3) {
        if ((e = rd(q, h + 72, 32, 72, "the qcow2 v3 header", err))) {
            goto fail;
        }
        hdr_len = vms__get_be32(h + 100);
        if (hdr_len >= 105 &&
            (e = rd(q, h + 104, 1, 104, "the qcow2 header", err))) {
            goto fail;
        }
        incompat = vms__get_be64(h + 72);
    }
    q->cluster_bits = vms__get_be32(h + 20);
    info->cluster_bits = q->cluster_bits;
    info->disk_size = vms__get_be64(h + 24);
    crypt = vms__get_be32(h + 32);
    nsnap = vms__get_be32(h + 60);
    snap_off = vms__get_be64(h + 64);
    /* QEMU's MIN_CLUSTER_BITS 9, MAX_CLUSTER_BITS 21 */
    if (q->cluster_bits < 9 || q->cluster_bits > 21) {
        e = qfail(file, err, VMS_EFORMAT, 20, "cluster_bits %u (QEMU allows "
                  "9 to 21)", q->cluster_bits);
        goto fail;
    }
    q->cluster_size = 1ull << q->cluster_bits;
    if (crypt) {
        e = qfail(file, err, VMS_EUNSUPPORTED, 32, "an encrypted qcow2 "
                  "image (crypt_method %u): not supported; decrypt it with "
                  "qemu-img convert first", crypt);
        goto fail;
    }
    if (incompat & INCOMPAT_DATA_FILE) {
        e = qfail(file, err, VMS_EUNSUPPORTED, 72, "a qcow2 image with an "
                  "external data file: not supported");
        goto fail;
    }
    if (incompat & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION |
                     INCOMPAT_EXTL2)) {
        e = qfail(file, err, VMS_EUNSUPPORTED, 72, "qcow2 incompatible "
                  "feature bits 0x%" PRIx64 " this reader does not know",
                  incompat);
        goto fail;
    }
    if (incompat & INCOMPAT_COMPRESSION) {
        q->ctype = hdr_len >= 105 ? h[104] : 0;
        if (q->ctype > 1) {
            e = qfail(file, err, VMS_EUNSUPPORTED, 104, "qcow2 compression "
                      "type %u (0 zlib and 1 zstd are known)", q->ctype);
            goto fail;
        }
    }
    q->extl2 = (incompat & INCOMPAT_EXTL2) != 0;
    if (q->extl2 && q->cluster_bits < 14) {
        e = qfail(file, err, VMS_EFORMAT, 20, "extended L2 entries with "
                  "clusters under 16 KiB");
        goto fail;
    }
    info->compression_type = q->ctype;
    info->extended_l2 = q->extl2;
    if (nsnap > SNAPSHOTS_MAX) {
        e = qfail(file, err, VMS_EFORMAT, 60, "%u snapshots (QEMU allows "
                  "%u)", nsnap, SNAPSHOTS_MAX);
        goto fail;
    }
    if ((e = read_snapshots(q, snap_off, nsnap, info, err)) ||
        (e = pick(q, snapshot, info, err))) {
        goto fail;
    }
    sn = &info->snapshots[info->snapshot];
    q->l2_bits = q->cluster_bits - (q->extl2 ? 4 : 3);
    {
        /* size_to_l1: the L1 entries the disk needs, rounded up */
        unsigned shift = q->cluster_bits + (unsigned)q->l2_bits;
        uint64_t l1_index = sn->disk_size >> shift;
        if (sn->disk_size & ((1ull << shift) - 1)) {
            l1_index++;
        }
        q->state_off = l1_index << shift;
        if (shift + 64 - __builtin_clzll(l1_index | 1) > 63) {
            e = qfail(file, err, VMS_EFORMAT, 0, "snapshot disk size "
                      "%" PRIu64 " out of range", sn->disk_size);
            goto fail;
        }
    }
    q->state_len = sn->vm_state_size;
    q->l1_size = sn->l1_size;
    l1_bytes = (uint64_t)sn->l1_size * 8;
    if (l1_bytes > (uint64_t)q->file_size) {
        e = qfail(file, err, VMS_EFORMAT, sn->l1_table_offset, "snapshot "
                  "'%s': L1 table of %u entries is larger than the image",
                  sn->name, sn->l1_size);
        goto fail;
    }
    q->l1 = malloc(l1_bytes ? l1_bytes : 1);
    q->l2 = malloc(q->cluster_size);
    q->cbuf = malloc(2 * q->cluster_size);
    q->cdata = malloc(q->cluster_size);
    if (!q->l1 || !q->l2 || !q->cbuf || !q->cdata) {
        e = vms_error_set(err, VMS_ENOMEM, "out of memory");
        goto fail;
    }
    if ((e = rd(q, q->l1, l1_bytes, sn->l1_table_offset,
                "the snapshot's L1 table", err))) {
        goto fail;
    }
    for (uint32_t i = 0; i < q->l1_size; i++) {
        q->l1[i] = vms__get_be64((uint8_t *)&q->l1[i]);
    }
    /* The L1 table must reach the state's last byte. */
    {
        unsigned shift = q->cluster_bits + (unsigned)q->l2_bits;
        uint64_t last = q->state_off + q->state_len - 1;
        if ((last >> shift) >= q->l1_size) {
            e = qfail(file, err, VMS_ETRUNC, sn->l1_table_offset,
                      "snapshot '%s': the state is shorter than its header "
                      "says (%" PRIu64 " bytes): the snapshot's L1 table "
                      "ends before", sn->name, q->state_len);
            goto fail;
        }
    }
    info->state_offset = q->state_off;
    info->stream_size = (int64_t)q->state_len;
    *out = (vms__source){ .pread = qc_pread, .close = qc_close, .opaque = q,
                          .size = (int64_t)q->state_len };
    return 0;
fail:
    q->in = NULL;           /* the caller keeps in on failure */
    qc_close(q);
    return e;
}
