/*
 * libvmstate: "vmstate analyze", QEMU's analyze-migration.py as a library
 * call: a migration stream to JSON (state or description), with the RAM
 * contents (-m) or extracted into files (-x).
 */
#ifndef VMSTATE_ANALYZE_H
#define VMSTATE_ANALYZE_H

#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "io.h"
#include "input.h"

enum vms_analyze_mode {
    VMS_ANALYZE_STATE = 0,    /* -d state: one JSON object, every section */
    VMS_ANALYZE_DESC,         /* -d desc: the stream's vmdesc */
    VMS_ANALYZE_EXTRACT,      /* -x: desc.json, RAM block files, state.json */
};

typedef struct vms_analyze_opts {
    int version;              /* VMS_ANALYZE_OPTS_VERSION */
    const char *file;         /* "-" = standard input */
    enum vms_analyze_mode mode;
    bool memory;              /* -m: RAM pages in the state output */
    const char *outdir;       /* -x: directory (NULL = ".") */
    const char *desc_file;    /* --desc: a vmdesc for streams without one */
    vms_progress_fn progress; /* optional: input bytes read so far */
    void *progress_opaque;
    /*
     * Since version 4 (it was int out_fd): the JSON, and -x's file names,
     * go here; the caller flushes or closes it. -x only: NULL prints no
     * names.
     */
    vms_writer *out;
    /* -x replaces existing files */
    bool force;
    /*
     * --dump, a -dump-vmstate JSON of the QEMU that wrote
     * the stream, for device sections its vmdesc does not describe (a
     * stream without one): decoded through vms_dump_device when the decode
     * ends at the section's footer, else printed as raw bytes with a
     * warning on stderr saying why
     */
    const char *dump_file;
    /* since version 5: the input's options (input.h); NULL: the default */
    const vms_input_opts *input;
} vms_analyze_opts;
#define VMS_ANALYZE_OPTS_VERSION 5
#define VMS_ANALYZE_OPTS_INIT { .version = VMS_ANALYZE_OPTS_VERSION }

/*
 * Run the analysis. Output files are complete or absent; an existing file
 * is VMS_EEXIST unless o->force. On error, err names the input and the
 * offset, and the output on out may stop short (python's tool prints
 * nothing then: up to 8 MiB are held back until the end; callers writing
 * to a file should write to a temporary one). An options version other
 * than VMS_ANALYZE_OPTS_VERSION is VMS_EINVAL.
 */
VMS_API int vms_analyze(const vms_analyze_opts *o, vms_error *err);

#endif
