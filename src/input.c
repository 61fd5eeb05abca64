/*
 * libvmstate: which container a file is, and the stream inside it.
 *
 * libvirt's save image (src/qemu/qemu_saveimage.h, virQEMUSaveHeader;
 * written by qemuSaveImageCreate and virQEMUSaveDataWrite in
 * qemu_saveimage.c): a 92-byte host-endian header (magic
 * "LibvirtQemudSave", or "LibvirtQemudPart" until the save finished;
 * version, data_len, was_running, compressed, cookieOffset, 14 unused
 * words), the domain XML from byte 92 (NUL-terminated), the cookie at
 * 92 + cookieOffset, zero padding, and the stream from 92 + data_len.
 * libvirt writes it in host byte order and reads a byte-swapped version
 * as such (qemuSaveImageOpen: bswap_header when version is 2 << 24),
 * so both orders are accepted here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/input.h"
#include "container.h"
#include "bytes.h"
#include "reader.h"

#define LIBVIRT_MAGIC "LibvirtQemudSave"
#define LIBVIRT_PARTIAL "LibvirtQemudPart"
/* libvirt's own cap on the XML (qemuSaveImageOpen: QEMU_SAVE_XML_MAX?) is
 * its generic 10 MiB; data_len beyond this is not an image we trust. */
#define LIBVIRT_DATA_MAX (64u << 20)

struct vms_input {
    vms_reader *r;          /* the stream's reader until taken */
    vms_input_info info;
};

static vms_input_opts default_opts = VMS_INPUT_OPTS_INIT;

void vms_input_set_default(const vms_input_opts *o)
{
    if (o) {
        default_opts = *o;
    } else {
        vms_input_opts d = VMS_INPUT_OPTS_INIT;
        default_opts = d;
    }
}

void vms__input_opts_seekable(const vms_input_opts *o, vms_input_opts *out)
{
    vms_input_opts d = VMS_INPUT_OPTS_INIT;

    if (!o) {
        o = &default_opts;
    }
    /* an older caller's struct: only what its version had */
    d.snapshot = o->version >= 1 ? o->snapshot : NULL;
    d.flags = (o->version >= 2 ? o->flags : 0) | VMS_INPUT_SEEKABLE;
    *out = d;
}

static uint32_t get_u32(const uint8_t *p, bool swap)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

int vms_libvirt_header_parse(const uint8_t *buf, size_t len,
                             int64_t file_size, const char *file,
                             vms_input_info *info, vms_error *err)
{
    bool swap;

    if (len < VMS_LIBVIRT_HEADER_SIZE) {
        vms_error_set_file(err, file);
        return vms_error_set_at(err, VMS_ETRUNC, len, "the libvirt save "
                                "image header needs %u bytes, the file has "
                                "%zu", VMS_LIBVIRT_HEADER_SIZE, len);
    }
    if (memcmp(buf, LIBVIRT_PARTIAL, 16) == 0) {
        vms_error_set_file(err, file);
        return vms_error_set_at(err, VMS_EFORMAT, 0, "an unfinished libvirt "
                                "save image (magic %s): the save did not "
                                "finish, so the image holds no complete "
                                "state", LIBVIRT_PARTIAL);
    }
    if (memcmp(buf, LIBVIRT_MAGIC, 16) != 0) {
        vms_error_set_file(err, file);
        return vms_error_set_at(err, VMS_EFORMAT, 0, "not a libvirt save "
                                "image (no %s magic)", LIBVIRT_MAGIC);
    }
    info->container = VMS_CONTAINER_LIBVIRT;
    info->libvirt_version = get_u32(buf + 16, false);
    swap = info->libvirt_version == (2u << 24);
    info->libvirt_version = get_u32(buf + 16, swap);
    info->data_len = get_u32(buf + 20, swap);
    info->was_running = get_u32(buf + 24, swap);
    info->compression = get_u32(buf + 28, swap);
    info->cookie_offset = get_u32(buf + 32, swap);
    info->stream_offset = VMS_LIBVIRT_HEADER_SIZE + (uint64_t)info->data_len;
    vms_error_set_file(err, file);
    /* qemuSaveImageOpen refuses versions above QEMU_SAVE_VERSION (2); 1
     * has no cookie. */
    if (info->libvirt_version < 1 || info->libvirt_version > 2) {
        return vms_error_set_at(err, VMS_EVERSION, 16, "libvirt save image "
                                "version %u (1 and 2 are known)",
                                info->libvirt_version);
    }
    if (file_size >= 0 && info->stream_offset > (uint64_t)file_size) {
        return vms_error_set_at(err, VMS_ETRUNC, 20, "libvirt header data "
                                "length %u runs past the end of the file "
                                "(%" PRId64 " bytes)", info->data_len,
                                file_size);
    }
    if (info->data_len == 0 || info->data_len > LIBVIRT_DATA_MAX) {
        return vms_error_set_at(err, VMS_EFORMAT, 20, "libvirt header data "
                                "length %u (the domain XML's room) is not "
                                "plausible", info->data_len);
    }
    if (info->libvirt_version >= 2 && info->cookie_offset &&
        info->cookie_offset >= info->data_len) {
        return vms_error_set_at(err, VMS_EFORMAT, 32, "libvirt cookie offset "
                                "%u lies past the data length %u",
                                info->cookie_offset, info->data_len);
    }
    if (!vms_compression_name(info->compression)) {
        return vms_error_set_at(err, VMS_EUNSUPPORTED, 28, "unknown libvirt "
                                "compression id %u (known: 0 raw, 1 gzip, 2 "
                                "bzip2, 3 xz, 4 lzop, 5 zstd, 6 sparse)",
                                info->compression);
    }
    vms_error_clear(err);
    return 0;
}

static int libvirt_open(vms_input *in, vms_reader *r, const char *path,
                        unsigned flags, vms__source *src, vms_error *err)
{
    vms_input_info *info = &in->info;
    uint8_t hdr[VMS_LIBVIRT_HEADER_SIZE];
    size_t n;
    char *data;
    int e;

    e = vms_read_bytes(r, hdr, sizeof(hdr), err);
    if (e == VMS_ETRUNC) {
        const uint8_t *p;
        vms_read_peek(r, sizeof(hdr), &p, &n, NULL);
        return vms_libvirt_header_parse(p, n, info->file_size, path, info,
                                        err);
    }
    if (e || (e = vms_libvirt_header_parse(hdr, sizeof(hdr), info->file_size,
                                           path, info, err))) {
        return e;
    }
    if (info->compression == VMS_COMPRESS_SPARSE && vms_reader_size(r) < 0) {
        /*
         * libvirt's "sparse" format (qemuSaveImageCreate in
         * src/qemu/qemu_saveimage.c) has no decompressor: QEMU migrates
         * into the image's own fd with the mapped-ram capability at the
         * file offset after libvirt's data (migrate "file:...,offset=N"),
         * and mapped-ram keeps every RAM block's pages at file offsets
         * (migration/ram.c, mapped_ram_setup_ramblock). Those are read
         * back, which a pipe cannot do.
         */
        vms_error_set_file(err, path);
        return vms_error_set_at(err, VMS_EUNSUPPORTED, 28, "a libvirt "
                                "'sparse' (mapped-ram) save image keeps its "
                                "pages at file offsets: read it from a "
                                "file, not a pipe");
    }
    data = malloc((size_t)info->data_len + 1);
    if (!data) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    if ((e = vms_read_bytes(r, data, info->data_len, err))) {
        free(data);
        if (e == VMS_ETRUNC) {
            vms_error_set_file(err, path);
            return vms_error_set_at(err, VMS_ETRUNC, 20, "libvirt header "
                                    "data length %u runs past the end of "
                                    "the input", info->data_len);
        }
        return e;
    }
    data[info->data_len] = 0;
    info->xml = strdup(data);
    if (info->libvirt_version >= 2 && info->cookie_offset) {
        info->cookie = strdup(data + info->cookie_offset);
    }
    free(data);
    if (!info->xml || (info->cookie_offset && info->libvirt_version >= 2 &&
                       !info->cookie)) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    memset(src, 0, sizeof(*src));
    if (info->compression != VMS_COMPRESS_RAW &&
        info->compression != VMS_COMPRESS_SPARSE) {
        if ((flags & VMS_INPUT_SEEKABLE) && vms_reader_size(r) >= 0) {
            e = vms__decompress_seekable(r, info->compression, path, src,
                                         err);
            info->stream_size = e ? -1 : src->size;
            return e;
        }
        return vms__decompress_source(r, info->compression, path, src, err);
    }
    /*
     * A raw image's stream is the rest of the file: the same reader reads
     * it (vms__reader_rebase), with the read() calls and the buffer of a
     * bare stream's, so that an image costs what its stream does. A
     * sparse image's too: its mapped-ram offsets are file offsets, which
     * ram.c turns into the stream's with vms__reader_origin.
     */
    return 0;
}

static void info_free(vms_input_info *info)
{
    free(info->xml);
    free(info->cookie);
    for (size_t i = 0; i < info->nsnapshots; i++) {
        free(info->snapshots[i].id);
        free(info->snapshots[i].name);
    }
    free(info->snapshots);
    memset(info, 0, sizeof(*info));
}

vms_input *vms_input_open(const char *path, const vms_input_opts *o,
                          vms_error *err)
{
    vms_input *in = calloc(1, sizeof(*in));
    vms_reader *r;
    const uint8_t *p;
    size_t got;
    vms__source src;
    char name[VMS_ERROR_FILE_MAX];
    int e;

    if (!o) {
        o = &default_opts;
    }
    if (!in) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    in->info.snapshot = -1;
    in->info.stream_size = -1;
    r = vms_reader_open(path, err);
    if (!r) {
        free(in);
        return NULL;
    }
    in->info.file_size = vms_reader_size(r);
    if ((e = vms_read_peek(r, 16, &p, &got, err))) {
        goto fail;
    }
    if (got >= 16 && (memcmp(p, LIBVIRT_MAGIC, 16) == 0 ||
                      memcmp(p, LIBVIRT_PARTIAL, 16) == 0)) {
        if ((e = libvirt_open(in, r, path,
                              o->version >= 2 ? o->flags : 0, &src, err))) {
            goto fail;
        }
        snprintf(name, sizeof(name), "%.200s (its %s stream)", path,
                 vms_compression_name(in->info.compression));
        if (!src.read && !src.pread) {
            if ((e = vms__reader_rebase(r, name, err))) {
                goto fail;
            }
            in->info.stream_size = vms_reader_size(r);
            in->r = r;
            return in;
        }
    } else if (got >= 4 && vms__get_be32(p) == 0x514649fbu) {
        const char *want = o->version >= 1 ? o->snapshot : NULL;
        if ((e = vms__qcow2_source(r, path, want, &in->info, &src, err))) {
            goto fail;
        }
        snprintf(name, sizeof(name), "%.200s (snapshot %.20s state)", path,
                 in->info.snapshots[in->info.snapshot].id);
    } else {
        in->info.container = VMS_CONTAINER_STREAM;
        in->info.stream_size = in->info.file_size;
        in->r = r;
        return in;
    }
    in->r = vms__reader_source(&src, name, err);
    if (!in->r) {
        src.close(src.opaque);
        info_free(&in->info);
        free(in);
        return NULL;
    }
    return in;
fail:
    vms_reader_close(r);
    /* keep the snapshot list for the caller? errors already list them */
    info_free(&in->info);
    free(in);
    return NULL;
}

const vms_input_info *vms_input_get_info(const vms_input *in)
{
    return &in->info;
}

vms_reader *vms_input_take_reader(vms_input *in)
{
    vms_reader *r = in->r;

    in->r = NULL;
    return r;
}

void vms_input_close(vms_input *in)
{
    if (in) {
        vms_reader_close(in->r);
        info_free(&in->info);
        free(in);
    }
}
