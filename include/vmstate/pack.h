/*
 * libvmstate: a migration stream taken apart and put back together.
 *
 * The unpacked model of a stream is the sequence of its records, each with
 * what is needed to write its bytes again:
 *
 *   - the configuration record (its bytes, and decoded for people);
 *   - every section record (START/PART/END/FULL with section_id, and for
 *     START/FULL idstr, instance_id, version_id) whose body is one of
 *       DEVICE: decoded through a description built from the stream's
 *               vmdesc (vmdesc.h) into a state buffer: any output visitor
 *               encodes it (JSON state for unpack, BER for convert), and
 *               the wire output visitor writes it back;
 *       RAM:    the RAM section's records (ram.h: vms_ram_entry and
 *               vms_ram_record, delivered to the caller's vms_ram_sink):
 *               zero pages, data pages, zlib bytes of compressed pages,
 *               XBZRLE deltas, each in stream order, repeated sends too;
 *       RAW:    input bytes, for the iterative sections that have no
 *               description (spapr/htab, s390 storage attributes and keys,
 *               block migration, dirty bitmaps) and for device sections
 *               without one (no vmdesc, or one that does not cover the
 *               data, or whose re-encoding would differ);
 *     and whether a footer followed it;
 *   - commands, EOF, and the vmdesc JSON text.
 *
 * vms_unpack_read() delivers that model, one record at a time, so that
 * gigabytes of RAM pass in constant memory. vms_unpack() writes it into a
 * directory (stream.json, RAM block files, a page log, raw bytes, the
 * vmdesc: see doc/vmstate-unpack.1) and vms_pack() writes the stream back
 * from such a directory, byte for byte when nothing was edited.
 */
#ifndef VMSTATE_PACK_H
#define VMSTATE_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "desc.h"
#include "io.h"
#include "ram.h"
#include "stream.h"
#include "dump.h"
#include "input.h"

enum vms_unpack_body {
    VMS_BODY_NONE = 0,   /* configuration, command, EOF */
    VMS_BODY_DEVICE,
    VMS_BODY_RAM,
    VMS_BODY_RAW,
    /*
     * Everything from this record's first byte to the end of the input:
     * a device section that can be neither decoded nor bounded (a stream
     * without vmdesc and without a footer so far, as machine types before
     * 2.3 write) leaves no way to find where it ends. In a stream with
     * either, such a section is an error instead.
     */
    VMS_BODY_TAIL,
};

/* One record of the model. Pointers are valid during the callback only. */
typedef struct vms_unpack_item {
    vms_record rec;                 /* type, offset, ids as read */
    enum vms_unpack_body body;
    /* VMS_REC_CONFIGURATION: decoded, and the input bytes of its body. */
    const vms_config *cfg;
    /* DEVICE: walk desc over state with any output visitor. */
    const vms_desc *desc;
    void *state;
    size_t state_size;
    /*
     * Where the body lies in the input (RAW and CONFIGURATION: copy it
     * with vms_stream_copy).
     */
    uint64_t body_off, body_len;
    bool footer;                    /* sections: a footer followed */
    /*
     * RAW device sections that a dump described (ops->dump): why its
     * description was not used (one line); NULL otherwise.
     */
    const char *note;
    /* EOF: the vmdesc JSON text as the stream holds it (NULL: none). */
    const char *vmdesc;
    size_t vmdesc_len;
} vms_unpack_item;

typedef struct vms_unpack_ops {
    void *opaque;
    /* Every record, in stream order, once its body has been read. */
    int (*item)(void *opaque, const vms_unpack_item *it, vms_error *err);
    /*
     * RAM sections: the decoder's sink (ram.h). want_data is forced on;
     * its entry and record callbacks see every RAM record before the
     * item of the section chunk that holds them. May be NULL.
     */
    const vms_ram_sink *ram;
    /* Before the first RAM callback: the page size the decoder uses. */
    int (*ram_begin)(void *opaque, uint32_t page_size, vms_error *err);
    /*
     * Optional: the -dump-vmstate dump of the QEMU that wrote the stream,
     * describing device sections the vmdesc does not (vms_dump_device);
     * they are DEVICE only when the decode ends at the section's footer.
     */
    vms_dump *dump;
} vms_unpack_ops;

/*
 * Read the stream s (opened by the caller with vms_stream_open; a regular
 * file, since raw bodies are copied from it with vms_stream_copy) and
 * deliver its model to ops. Device sections whose description would not
 * write the same bytes again (through JSON and back, too) come as RAW,
 * and bytes after EOF that are not a vmdesc are an error, so that a
 * writer of the model always reproduces the stream. err names the file
 * and offset.
 */
VMS_API int vms_unpack_read(vms_stream *s, const vms_unpack_ops *ops,
                            vms_error *err);

/* ---- writing records back (the inverse of stream.h / ram.h readers) --- */

/* Magic and version. */
VMS_API int vms_stream_put_header(vms_writer *w, vms_error *err);
/*
 * The header of a section record: type byte and section_id, and for
 * START/FULL the idstr, instance_id and version_id of rec.
 */
VMS_API int vms_stream_put_section(vms_writer *w, const vms_record *rec,
                                   vms_error *err);
/* 0x7e and the section id. */
VMS_API int vms_stream_put_footer(vms_writer *w, uint32_t section_id,
                                  vms_error *err);
/* EOF, then the vmdesc record when json is not NULL. */
VMS_API int vms_stream_put_eof(vms_writer *w, const char *json, size_t len,
                               vms_error *err);
/* One MEM_SIZE entry (name, length, mr_addr when ignore_shared). */
VMS_API int vms_ram_put_entry(vms_writer *w, const char *name,
                              uint64_t length, bool ignore_shared,
                              uint64_t mr_addr, vms_error *err);
/*
 * One RAM record: its word, the block name when r->named, the payload
 * (ZERO: r->fill; PAGE: payload_len page bytes; XBZRLE: encoding byte,
 * be16 length, delta; COMPRESS_PAGE: be32 length, zlib bytes). MEM_SIZE
 * entries are written by the caller after the word (vms_ram_put_entry):
 * pass r->word alone for them, as for EOS and MULTIFD_FLUSH.
 */
VMS_API int vms_ram_put_record(vms_writer *w, const vms_ram_record *r,
                               const char *block_name, uint32_t page_size,
                               vms_error *err);

/* ---- the directory form -------------------------------------------------- */

enum {
    VMS_PACK_FORCE = 1u << 0,    /* write into a non-empty DIR / over STREAM */
};

/*
 * Options of vms_unpack (libgit2's pattern: start from
 * VMS_UNPACK_OPTS_INIT, set what you need; a later library reads an
 * older version's struct as it was). NULL options are the defaults.
 */
typedef struct vms_unpack_opts {
    int version;                  /* VMS_UNPACK_OPTS_VERSION */
    unsigned flags;               /* VMS_PACK_FORCE */
    /*
     * A -dump-vmstate JSON of the QEMU that wrote the stream (NULL: none),
     * as a second source of device descriptions (vms_unpack_ops.dump).
     * DIR then holds a copy of it (dump.json), which pack uses the same
     * way; a bad dump is an error naming dump_file.
     */
    const char *dump_file;
    vms_progress_fn progress;     /* optional: stream bytes read */
    void *progress_opaque;
    /*
     * Version 2: how the input is opened (input.h: the qcow2 snapshot);
     * NULL: the process default (vms_input_set_default). A compressed
     * libvirt image is always read as VMS_INPUT_SEEKABLE.
     */
    const vms_input_opts *input;
} vms_unpack_opts;
#define VMS_UNPACK_OPTS_VERSION 2
#define VMS_UNPACK_OPTS_INIT { VMS_UNPACK_OPTS_VERSION, 0, NULL, NULL, NULL, \
                               NULL }

/*
 * Write the model of stream into directory dir (created when missing;
 * the stream may sit in a container, input.h: a libvirt image's domain
 * XML goes to domain.xml, its cookie to cookie.xml and its header's
 * facts to container.json, which vms_pack writes back; a qcow2
 * snapshot's are noted in container.json, and pack writes a bare stream;
 * without VMS_PACK_FORCE an existing non-empty one is VMS_EEXIST). Every
 * file is written under a temporary name and renamed at the end; on error
 * nothing written remains.
 */
VMS_API int vms_unpack(const char *stream, const char *dir,
                       const vms_unpack_opts *opts, vms_error *err);

/* Options of vms_pack (as vms_unpack_opts). */
typedef struct vms_pack_opts {
    int version;                  /* VMS_PACK_OPTS_VERSION */
    unsigned flags;               /* VMS_PACK_FORCE */
    /* optional: stream bytes written (total unknown: 0) */
    vms_progress_fn progress;
    void *progress_opaque;
} vms_pack_opts;
#define VMS_PACK_OPTS_VERSION 1
#define VMS_PACK_OPTS_INIT { VMS_PACK_OPTS_VERSION, 0, NULL, NULL }

/*
 * Write the stream described by directory dir to path stream (temporary
 * name, renamed when complete; an existing file needs VMS_PACK_FORCE;
 * "-" is standard output). Device sections are encoded again from
 * stream.json through the JSON state input and wire output visitors, RAM
 * pages from the block files (a zero, compressed or XBZRLE page whose
 * content changed goes as a data page). The configuration record is sent
 * as unpack kept it, with the machine name of "machine" when that was
 * edited. Errors name the file and the JSON path or offset.
 */
VMS_API int vms_pack(const char *dir, const char *stream,
                     const vms_pack_opts *opts, vms_error *err);

#endif
