/*
 * libvmstate: the files people hold a saved VM in.
 *
 * A QEMU migration stream comes bare (migrate "exec:cat > F"), inside a
 * libvirt save image (virsh save, managedsave, an external snapshot's
 * memory file; raw or compressed by the program qemu.conf's
 * save_image_format names), or as the state of an internal snapshot of a
 * qcow2 disk (savevm). vms_input_open recognizes which by the content,
 * never by the name, and hands out a vms_reader of the stream inside:
 * decompression streams (constant memory, pipes work); a raw libvirt
 * image and a qcow2 snapshot stay seekable. Offsets the reader reports
 * (and errors of the stream's decoders) are offsets in the stream; errors
 * about the container name the container's own offsets.
 *
 * vms_stream_open goes through here, so every command takes these files.
 */
#ifndef VMSTATE_INPUT_H
#define VMSTATE_INPUT_H

#include <stdint.h>
#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "io.h"

typedef enum vms_container {
    VMS_CONTAINER_STREAM = 0,   /* a bare migration stream (or unknown) */
    VMS_CONTAINER_LIBVIRT,      /* libvirt's "LibvirtQemudSave" image */
    VMS_CONTAINER_QCOW2,        /* a qcow2 internal snapshot's state */
} vms_container;

/*
 * libvirt's compression ids (the header's "compressed" word, called
 * "format" in libvirt 10.x): src/qemu/qemu_saveimage.h, virQEMUSaveFormat.
 * The numbers are on-disk ABI. 5 (zstd) and 6 (sparse: QEMU's mapped-ram
 * written at fixed offsets) came after libvirt 9.0.
 */
typedef enum vms_compression {
    VMS_COMPRESS_RAW = 0,
    VMS_COMPRESS_GZIP = 1,
    VMS_COMPRESS_BZIP2 = 2,
    VMS_COMPRESS_XZ = 3,
    VMS_COMPRESS_LZOP = 4,
    VMS_COMPRESS_ZSTD = 5,
    VMS_COMPRESS_SPARSE = 6,
} vms_compression;

/* "raw", "gzip", ..., NULL for an unknown id. */
VMS_API const char *vms_compression_name(uint32_t id);
/* The id of a name above; -1 when unknown. */
VMS_API int vms_compression_from_name(const char *name);

/* libvirt's header: 92 bytes, host-endian. */
#define VMS_LIBVIRT_HEADER_SIZE 92

typedef struct vms_qcow2_snapshot {
    char *id;                   /* "1", ... */
    char *name;                 /* "s1", ... */
    uint64_t vm_state_size;     /* 0: a disk-only snapshot */
    uint64_t disk_size;         /* the virtual disk size when taken */
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t l1_table_offset;
    uint32_t l1_size;
} vms_qcow2_snapshot;

typedef struct vms_input_info {
    vms_container container;
    /* libvirt */
    uint32_t libvirt_version;
    uint32_t data_len;
    uint32_t was_running;
    uint32_t compression;       /* a vms_compression */
    uint32_t cookie_offset;
    char *xml;                  /* NUL-terminated domain XML, or NULL */
    char *cookie;               /* NUL-terminated cookie XML, or NULL */
    uint64_t stream_offset;     /* where the stream (compressed or not) starts */
    /* qcow2 */
    uint32_t qcow2_version;
    uint32_t cluster_bits;
    uint64_t disk_size;
    uint32_t compression_type;  /* 0 zlib, 1 zstd */
    bool extended_l2;
    size_t nsnapshots;
    vms_qcow2_snapshot *snapshots;
    int snapshot;               /* the one read, index in snapshots; -1 */
    uint64_t state_offset;      /* its virtual offset in the image */
    /* every container */
    int64_t file_size;          /* -1 for pipes */
    int64_t stream_size;        /* the stream's size when known, else -1 */
} vms_input_info;

enum {
    /*
     * A compressed libvirt image in a regular file is made seekable: a
     * first pass decompresses it all (its size, and every corrupt byte
     * found before any output), reads going back start over. For readers
     * that read back (unpack, convert); constant memory, no temporary
     * file. Without it, compressed streams are read once, forward.
     */
    VMS_INPUT_SEEKABLE = 1u << 0,
};

#define VMS_INPUT_OPTS_VERSION 2
typedef struct vms_input_opts {
    unsigned version;
    /* qcow2: the snapshot (its id, else its name); NULL: the only one. */
    const char *snapshot;
    /* version 2: VMS_INPUT_* */
    unsigned flags;
} vms_input_opts;
#define VMS_INPUT_OPTS_INIT { .version = VMS_INPUT_OPTS_VERSION }

typedef struct vms_input vms_input;

/*
 * Open path ("-" = standard input) and find the stream in it. A file that
 * is none of the containers above is handed on as a bare stream: the
 * stream's reader says what is wrong with it. o may be NULL (the process
 * default, vms_input_set_default).
 */
VMS_API vms_input *vms_input_open(const char *path, const vms_input_opts *o,
                                  vms_error *err);
VMS_API const vms_input_info *vms_input_get_info(const vms_input *in);
/* The stream's reader; the caller owns it from now on (once). */
VMS_API vms_reader *vms_input_take_reader(vms_input *in);
VMS_API void vms_input_close(vms_input *in);

/*
 * The options vms_input_open(path, NULL, ...) and so vms_stream_open use,
 * and every command's options whose input field is NULL. Per-call
 * options are better (each command's opts has an input field, so one
 * program may read two snapshots at once; the vmstate command passes
 * its --snapshot that way): this process-wide default is for programs
 * that want one. The strings are not copied. Not thread-safe.
 */
VMS_API void vms_input_set_default(const vms_input_opts *o);

/*
 * Parse a libvirt header (len >= VMS_LIBVIRT_HEADER_SIZE bytes at buf)
 * into info; errors name file. Exposed for the fuzz target and tests.
 */
VMS_API int vms_libvirt_header_parse(const uint8_t *buf, size_t len,
                                     int64_t file_size, const char *file,
                                     vms_input_info *info, vms_error *err);

#endif
