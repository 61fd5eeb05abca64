/*
 * libvmstate: static migration-compatibility check of two -dump-vmstate
 * files, with exactly the semantics of QEMU's
 * scripts/vmstate-static-checker.py (walk, rename tables, quirks).
 *
 * Findings are structured records; the text rendering of each is the line
 * QEMU's checker prints, byte for byte, in the same order.
 */
#ifndef VMSTATE_CHECK_H
#define VMSTATE_CHECK_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "common.h"
#include "error.h"
#include "dump.h"
#include "json.h"

/* Stable: the names (vms_finding_kind_name) are a documented interface. */
enum vms_finding_kind {
    VMS_FINDING_VERSION,             /* "version" */
    VMS_FINDING_MIN_VERSION,         /* "min_version" */
    VMS_FINDING_SECTION_MISSING,     /* "section_missing" */
    VMS_FINDING_ENTRY_MISSING,       /* "entry_missing" */
    VMS_FINDING_DESCRIPTION_RENAMED, /* "description_renamed" */
    VMS_FINDING_FIELD_MISMATCH,      /* "field_mismatch" */
    VMS_FINDING_NO_MORE_FIELDS,      /* "no_more_fields" */
    VMS_FINDING_SIZE,                /* "size" */
    VMS_FINDING_UNUSED_SIZE,         /* "unused_size" */
    VMS_FINDING_SUBSECTION_MISSING,  /* "subsection_missing" */
    VMS_FINDING_DESCRIPTION_MISSING, /* "description_missing" */
    VMS_FINDING_MACHINE_TYPE,        /* "machine_type" */
    /* vmstate verify (verify.h) only: */
    VMS_FINDING_NO_VMDESC,           /* "no_vmdesc" */
    VMS_FINDING_NOT_IN_DUMP,         /* "not_in_dump" */
};

/*
 * One finding. Strings point into the dumps or the report and live as long
 * as they do. src/dest are the two sides' differing values (names, or
 * numbers when *_is_number), NULL when the finding has none.
 */
typedef struct vms_finding {
    enum vms_finding_kind kind;
    /*
     * Whether it adds to the error count (the exit status). QEMU does not
     * count the machine-type warning, nor a section-level minimum version
     * error (it prints only 'Section "S" ' for it, with no newline).
     */
    bool counted;
    bool src_is_number, dest_is_number;
    const char *section;         /* section key, NULL for machine_type */
    const char *description;     /* description name, or NULL */
    const char *field;           /* field name, or NULL */
    const char *src;
    const char *dest;
    const char *message;         /* QEMU's line, without the newline */
} vms_finding;

VMS_API const char *vms_finding_kind_name(enum vms_finding_kind kind);
/* One sentence saying what the kind means (SARIF rule descriptions). */
VMS_API const char *vms_finding_kind_summary(enum vms_finding_kind kind);

/*
 * The bytes QEMU's checker prints for f: message and a newline, except the
 * uncounted section-level minimum version error ('Section "S" ', no
 * newline). Returns 0 or VMS_EIO.
 */
VMS_API int vms_finding_write_text(const vms_finding *f, FILE *out);

/* Called for each finding in walk order; non-zero stops the walk. */
typedef int (*vms_finding_fn)(void *opaque, const vms_finding *f);

/*
 * Walk src against dest (QEMU's direction: can a src machine migrate to
 * dest?). Calls fn per finding; *errors receives the error count capped at
 * 255 (QEMU's exit status). Returns 0, VMS_ENOMEM, or fn's non-zero value.
 */
VMS_API int vms_check_dumps(const vms_dump *src, const vms_dump *dest,
                            vms_finding_fn fn, void *opaque, int *errors,
                            vms_error *err);

typedef struct vms_check_options {
    int version;                 /* VMS_CHECK_OPTIONS_VERSION */
    bool reverse;                /* swap src and dest after loading */
} vms_check_options;
#define VMS_CHECK_OPTIONS_VERSION 1

/* Every finding of one check, with the dumps it points into. */
typedef struct vms_check_report {
    const char *tool;            /* "vmstate check" or "vmstate verify" */
    const char *src_file;        /* the side used as src (after reverse) */
    const char *dest_file;
    int errors;                  /* capped at 255, as the exit status */
    size_t n_findings;
    vms_finding *findings;
    vms_dump *src, *dest;        /* owned */
    char **strings;              /* owned messages */
} vms_check_report;

/*
 * Load both files (in parallel) and check them. On an input error returns
 * its VMS_E* code with err naming the file, line and column; *out is NULL.
 */
VMS_API int vms_check_files(const char *src_path, const char *dest_path,
                            const vms_check_options *opts,
                            vms_check_report **out, vms_error *err);
VMS_API void vms_check_report_free(vms_check_report *report);

/* QEMU's text output. Returns 0 or VMS_EIO. */
VMS_API int vms_check_report_write_text(const vms_check_report *report,
                                        FILE *out);
/*
 * The same lines for a person at a terminal: errors in red, the
 * machine-type warning in yellow (ANSI escapes; the bytes between them
 * are QEMU's). Returns 0 or VMS_EIO.
 */
VMS_API int vms_check_report_write_color(const vms_check_report *report,
                                         FILE *out);
/*
 * The JSON document {"src", "dest", "errors", "findings": [{"kind",
 * "counted", "section", "description", "field", "src", "dest",
 * "message"}]}, absent values as null. Returns the writer's status.
 */
VMS_API int vms_check_report_write_json(const vms_check_report *report,
                                        vms_jsonw *w);
/*
 * GitHub Actions workflow commands, one per finding in the text order:
 * "::error file=DEST,title=TOOL (KIND)::MESSAGE" (warning for the
 * findings QEMU does not count). Returns 0 or VMS_EIO.
 */
VMS_API int vms_check_report_write_github(const vms_check_report *report,
                                          FILE *out);
/*
 * A SARIF 2.1.0 log: one run of the report's tool as driver with a rule per
 * finding kind, a result per finding (ruleId, level error/warning,
 * message.text, the destination dump as location and
 * section.description.field as logical location).
 */
VMS_API int vms_check_report_write_sarif(const vms_check_report *report,
                                         vms_jsonw *w);
/* The document for an input error: {"src", "dest", "error": {...}}. */
VMS_API int vms_check_write_json_error(const char *src_path,
                                       const char *dest_path,
                                       const vms_error *err, vms_jsonw *w);

#endif
