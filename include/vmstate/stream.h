/*
 * libvmstate: QEMU migration stream container reader.
 *
 * An event reader: vms_stream_next() returns one record header at a time
 * (configuration, section START/PART/END/FULL, command, EOF); the caller
 * reads the section body from vms_stream_reader() with whatever decoder the
 * section needs, then calls vms_stream_end_section() to check the footer.
 * The JSON description QEMU appends after EOF (vmdesc) is located without
 * guessing: on a seekable input from the end, where a 0x06 byte and a be32
 * length match the remaining size exactly after an EOF byte; on a pipe, by
 * buffering the (small) device-section tail when the caller asks.
 */
#ifndef VMSTATE_STREAM_H
#define VMSTATE_STREAM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "io.h"
#include "limits.h"

#define VMS_STREAM_MAGIC 0x5145564du

enum vms_record_type {
    VMS_REC_EOF = 0x00,
    VMS_REC_SECTION_START = 0x01,
    VMS_REC_SECTION_PART = 0x02,
    VMS_REC_SECTION_END = 0x03,
    VMS_REC_SECTION_FULL = 0x04,
    VMS_REC_SUBSECTION = 0x05,
    VMS_REC_VMDESC = 0x06,
    VMS_REC_CONFIGURATION = 0x07,
    VMS_REC_COMMAND = 0x08,
    VMS_REC_FOOTER = 0x7e,
};

/* QEMU_VM_COMMAND values that may appear in a precopy file. */
#define VMS_CMD_SWITCHOVER_START 0x0b

typedef struct vms_record {
    int type;                 /* enum vms_record_type */
    uint64_t offset;          /* of the type byte */
    uint32_t section_id;      /* sections */
    char idstr[256];          /* START/FULL; PART/END: from the START */
    uint32_t instance_id;     /* START/FULL; PART/END: from the START */
    uint32_t version_id;      /* START/FULL; PART/END: from the START */
    uint16_t command;         /* COMMAND */
    uint16_t command_len;     /* COMMAND: its data is skipped */
} vms_record;

/*
 * The truncation rule (every command that reads a stream): a stream that
 * stops before its end marker (the EOF record, 0x00), or whose JSON
 * description after it is cut short, is truncated. Every read that meets
 * the end of the input fails with VMS_ETRUNC and one message,
 * "truncated: expected WHAT; the input ends at offset END", err->offset
 * being where WHAT was to be read; whichever decoder was reading.
 *
 * vms_stream_next() reads the end marker and then looks at what follows:
 * vms_stream_tail() says which, with the end marker's offset. A cut
 * description (VMS_TAIL_CUT) makes vms_stream_next() return VMS_ETRUNC
 * with rec->type == VMS_REC_EOF: QEMU itself reads nothing after the end
 * marker and loads such a stream, so verify may treat it as a warning;
 * every other command fails.
 */
enum vms_stream_tail {
    VMS_TAIL_UNKNOWN = 0,  /* the end marker was not read (yet) */
    VMS_TAIL_DESC,         /* end marker, then a whole JSON description */
    VMS_TAIL_NONE,         /* end marker and nothing after it */
    VMS_TAIL_CUT,          /* end marker, then a description cut short */
    VMS_TAIL_OTHER,        /* end marker, then bytes no description starts
                              (or a whole description, then other bytes) */
    VMS_TAIL_OVERSIZE,     /* end marker, then a description header whose
                              length is over VMS_LIMIT_VMDESC_SIZE: not read */
};

/* The configuration record, decoded without a description. */
typedef struct vms_config {
    char machine[256];
    uint32_t target_page_bits;    /* 0 when absent */
    uint32_t ncaps;
    char caps[32][64];            /* capability names (first 32) */
    bool has_uuid;
    uint8_t uuid[16];
} vms_config;

typedef struct vms_stream vms_stream;

/*
 * Open path ("-" = standard input), check magic and version, and on a
 * seekable input locate the vmdesc. Returns NULL with err filled.
 */
VMS_API vms_stream *vms_stream_open(const char *path, vms_error *err);
VMS_API void vms_stream_close(vms_stream *s);

/* The reader positioned at the current record's body. */
VMS_API vms_reader *vms_stream_reader(vms_stream *s);
/* Offset in the input of the next byte (also while reading a buffered tail). */
VMS_API uint64_t vms_stream_offset(vms_stream *s);
VMS_API bool vms_stream_seekable(const vms_stream *s);
/* The input's file name as given, for messages. */
VMS_API const char *vms_stream_name(const vms_stream *s);

/*
 * The vmdesc JSON text (not NUL-terminated unless said: it is), or NULL
 * when the stream has none or it is not known yet (pipe before
 * vms_stream_buffer_tail()).
 */
VMS_API const char *vms_stream_vmdesc(const vms_stream *s, size_t *len);
/*
 * How the stream ended (see the truncation rule above); *eof_off (may be
 * NULL) receives the end marker's offset once it was read.
 */
VMS_API enum vms_stream_tail vms_stream_tail(const vms_stream *s,
                                             uint64_t *eof_off);
/* Offset of the vmdesc record (0x06 byte), 0 when none. */
VMS_API uint64_t vms_stream_vmdesc_offset(const vms_stream *s);

/*
 * Read the next record header. Section records leave the reader at the
 * section body. The configuration record is decoded into cfg when cfg is
 * not NULL (skipped otherwise). After EOF, checks that nothing but the
 * vmdesc follows.
 */
VMS_API int vms_stream_next(vms_stream *s, vms_record *rec, vms_config *cfg,
                            vms_error *err);

/*
 * After a section body: consume and check the footer (0x7e + section id).
 * Footers are optional only in streams that never carry one (old machine
 * types); once seen, every section must have its own.
 */
VMS_API int vms_stream_end_section(vms_stream *s, const vms_record *rec,
                                   vms_error *err);

/*
 * The fit proof for a borrowed description (--desc, --dump-vmstate): a
 * description that is not the stream's own must show it fits. With it on,
 * every section must end exactly where a record starts (its footer, where
 * the stream has footers; else a valid record header) and the stream must
 * end exactly at its end marker (nothing after it but a whole
 * description). A misfit is VMS_EMISMATCH from vms_stream_end_section()
 * or vms_stream_next() naming the first section that does not fit, with
 * how to get a description that does.
 */
VMS_API void vms_stream_require_fit(vms_stream *s, bool on);
/*
 * The misfit error itself, for a decoder that failed inside section
 * idstr (record at rec_off) under a borrowed description: why says what
 * went wrong at offset at. Returns VMS_EMISMATCH.
 */
VMS_API int vms_stream_misfit(vms_stream *s, const char *idstr,
                              uint64_t rec_off, uint64_t at, const char *why,
                              vms_error *err);

/*
 * For a section body that no decoder covers: *len receives the bytes from
 * the reader's position up to the section's footer (0x7e, the section id,
 * then a record type byte), found within VMS_READER_WINDOW bytes; nothing
 * is consumed. VMS_EFORMAT when no footer bounds it there. Of several
 * candidates the first one a plausible record follows is taken (an end
 * marker followed by the description or the input's end, a section start
 * with a printable name, a part or end of a started section), else the
 * first: device data may hold a footer's bytes by chance.
 */
VMS_API int vms_stream_body_to_footer(vms_stream *s, const vms_record *rec,
                                      size_t *len, vms_error *err);

/*
 * Pipes: read everything left (at most VMS_STREAM_TAIL_MAX bytes) into
 * memory, locate the vmdesc in it, and continue from memory. A no-op on
 * seekable inputs.
 */
#define VMS_STREAM_TAIL_MAX VMS_LIMIT_STREAM_TAIL
VMS_API int vms_stream_buffer_tail(vms_stream *s, vms_error *err);

/*
 * Locate a vmdesc record at the end of the len bytes at buf: returns the
 * index of its 0x06 byte, or -1. Exposed for tests.
 */
VMS_API int64_t vms_stream_find_vmdesc(const uint8_t *buf, size_t len);

/*
 * The stream's file descriptor and size (seekable inputs only, else -1),
 * for decoders of pages stored at fixed offsets (mapped-ram).
 */
VMS_API int vms_stream_fd(const vms_stream *s);
/*
 * n stream bytes at off (seekable inputs, bare or inside a container:
 * vms_stream_fd is -1 for the latter), without moving the reader.
 */
VMS_API int vms_stream_pread(vms_stream *s, void *buf, size_t n,
                             uint64_t off, vms_error *err);

/*
 * vms_stream_open reads the stream inside whatever holds it (input.h):
 * this is vms_stream_open with the container's options; o NULL = the
 * process default. vms_stream_input_info says what held it.
 */
struct vms_input_opts;
struct vms_input_info;
VMS_API vms_stream *vms_stream_open_input(const char *path,
                                          const struct vms_input_opts *o,
                                          vms_error *err);
VMS_API const struct vms_input_info *vms_stream_input_info(
    const vms_stream *s);

/*
 * Copy len input bytes at offset off (seekable inputs) to w, in large
 * reads, without moving the reader.
 */
VMS_API int vms_stream_copy(vms_stream *s, uint64_t off, uint64_t len,
                            vms_writer *w, vms_error *err);

/*
 * Record an error about the stream at input offset off (file name
 * included) and return code: for decoders of section bodies.
 */
VMS_API int vms_stream_fail(vms_stream *s, vms_error *err, int code,
                            uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
