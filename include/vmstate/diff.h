/*
 * libvmstate: "vmstate diff", what differs between two migration streams.
 *
 * Each stream is read once, both at the same time. Device sections are
 * decoded by the one walk and rendered exactly as "vmstate analyze" prints
 * them, then compared value by value; sections are matched by (idstr,
 * instance_id). RAM is compared by final page content: a page may be sent
 * several times, in any order, as a plain page, a fill (zero) page, an
 * XBZRLE delta or a zlib page, and only what the destination would hold at
 * the end counts. Memory stays constant in the size of the streams: per
 * page a 64-bit hash of its final content and where to find it again (16
 * bytes per target page; pages rebuilt from XBZRLE deltas are kept, up to
 * 256 MiB).
 */
#ifndef VMSTATE_DIFF_H
#define VMSTATE_DIFF_H

#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "io.h"
#include "input.h"

enum vms_diff_format {
    VMS_DIFF_TEXT = 0,        /* one line per difference */
    VMS_DIFF_JSON,            /* one document */
};

enum vms_diff_ram {
    VMS_DIFF_RAM_SUMMARY = 0, /* per block: count and the first addresses */
    VMS_DIFF_RAM_PAGES,       /* every differing page, streamed */
    VMS_DIFF_RAM_NONE,        /* pages not compared (blocks still are) */
};

typedef struct vms_diff_opts {
    int version;              /* VMS_DIFF_OPTS_VERSION */
    const char *a, *b;        /* the streams; one of them may be "-" */
    enum vms_diff_format format;
    enum vms_diff_ram ram;
    unsigned first;           /* summary: addresses shown per block; 0 = 8 */
    vms_writer *out;          /* where the report goes (version 3; it was
                                 int out_fd); flushed by vms_diff */
    vms_progress_fn progress; /* optional: bytes of both streams read */
    void *progress_opaque;    /* (called from the calling thread only) */
    /*
     * Optional: the -dump-vmstate JSON of the QEMU that
     * wrote the streams, describing (for both) the device sections their
     * vmdesc does not, by the rule of vms_unpack_opts.dump_file; a section it does
     * not decode is compared as its bytes (hex).
     */
    const char *dump_file;
    /*
     * since version 4: how a and b are opened (input.h: the qcow2
     * snapshot; a per-call choice, so one program may read two snapshots);
     * NULL: the process default (vms_input_set_default)
     */
    const vms_input_opts *input_a, *input_b;
} vms_diff_opts;
#define VMS_DIFF_OPTS_VERSION 4
#define VMS_DIFF_OPTS_INIT { .version = VMS_DIFF_OPTS_VERSION }

/*
 * Compare the two streams. Another options version, or no a, b or out, is
 * VMS_EINVAL. Returns 0 when they hold the same state
 * (nothing printed in text format), 1 when they differ (the report
 * printed), or a negative VMS_E* with err naming the file and offset;
 * nothing is printed then, since both streams are read completely before
 * the report starts.
 *
 * Text lines, in this order: the configuration (machine type, page size,
 * capabilities), per section of A in stream order, then the sections only
 * B has, then RAM:
 *   configuration: machine: "MA" != "MB"
 *   configuration: page size: PA != PB   (when both streams say it)
 *   configuration: only in A: capability NAME
 *   only in A: configuration section (machine type 'M')
 *   only in A: section 'IDSTR' instance N version V
 *   version: PATH: VA != VB
 *   PATH: VALUE_A != VALUE_B
 *   only in A: PATH = VALUE          (a field B lacks)
 *   only in A: subsection PATH = VALUE
 *   ram: BLOCK: N pages differ (of M); first: 0xADDR ...
 *   ram: BLOCK: 0xADDR               (--ram pages, one line per page)
 *   ram: BLOCK: length 0xLA != 0xLB / only in A: ram block 'BLOCK'
 *   PATH: bytes differ (A raw): NA != NB bytes, first difference at byte K
 * A section whose bytes are the same on both sides holds the same state,
 * however each side decoded it (vmdesc, dump, raw): nothing is printed.
 * When one side could only print a section raw, its bytes are compared;
 * a raw leaf ("00") and an integer ("0x00") of the same bytes are equal.
 * JSON: {"a", "b", "configuration": [{"field": "machine"|"page_size"|
 * "capability"|"configuration", "a", "b" | "name", "only_in"}],
 * "differences": [...], "ram": [...], "equal"}.
 * PATH is "section.field[index].sub", the section named by its idstr,
 * with "@N" appended for instance N != 0. Values are JSON, as analyze
 * prints them.
 */
VMS_API int vms_diff(const vms_diff_opts *o, vms_error *err);

#endif
