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
#include "common.h"
#include "error.h"
#include "dump.h"
#include "io.h"

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
    VMS_FINDING_LOAD_CHECK,          /* "load_check" */
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
    /*
     * Listed in the options' baseline (an earlier JSON report): neither
     * printed as text nor counted in errors.
     */
    bool accepted;
} vms_finding;

VMS_API const char *vms_finding_kind_name(enum vms_finding_kind kind);
/* One sentence saying what the kind means (SARIF rule descriptions). */
VMS_API const char *vms_finding_kind_summary(enum vms_finding_kind kind);

/*
 * The bytes QEMU's checker prints for f: message and a newline, except the
 * uncounted section-level minimum version error ('Section "S" ', no
 * newline). Returns 0 or the writer's error, with err filled.
 */
VMS_API int vms_finding_write_text(const vms_finding *f, vms_writer *w,
                                   vms_error *err);

/*
 * Rules: the tolerances of one release of QEMU's checker, as data (the
 * schema is vmstate-rules(5)): section renames, field renames per key, and
 * how an "unused" gap's size is compared. A set is built from built-in
 * tables ("qemu-7.2", "qemu-10.0", "qemu-10.2") and users' JSON files,
 * each added on top of the previous ones.
 */
typedef struct vms_check_rules vms_check_rules;
/* The built-in names, NULL-terminated; the last one is the default. */
VMS_API const char *const *vms_check_rules_builtin_names(void);
#define VMS_CHECK_RULES_DEFAULT "qemu-10.2"
/*
 * An empty set (no renames, unused compared as size x num), or NULL with
 * err filled (VMS_ENOMEM).
 */
VMS_API vms_check_rules *vms_check_rules_new(vms_error *err);
/* Adds a built-in table; VMS_ENOTFOUND for an unknown name. */
VMS_API int vms_check_rules_add_builtin(vms_check_rules *rules,
                                        const char *name, vms_error *err);
/*
 * Adds a rules file; a malformed one is VMS_EFORMAT with err naming the
 * file and the JSON path ("$.field_renames.apic[1]") or line and column.
 */
VMS_API int vms_check_rules_add_file(vms_check_rules *rules,
                                     const char *path, vms_error *err);
/* The same from memory; origin names it in errors. */
VMS_API int vms_check_rules_add_json(vms_check_rules *rules,
                                     const char *text, size_t len,
                                     const char *origin, vms_error *err);
/* The names of what was added, joined by '+' (for reports). */
VMS_API const char *vms_check_rules_name(const vms_check_rules *rules);
VMS_API void vms_check_rules_free(vms_check_rules *rules);

/* Called for each finding in walk order; non-zero stops the walk. */
typedef int (*vms_finding_fn)(void *opaque, const vms_finding *f);

/*
 * Walk src against dest (QEMU's direction: can a src machine migrate to
 * dest?) under rules (NULL = the default built-in). Calls fn per finding;
 * *errors receives the error count capped at 255 (QEMU's exit status).
 * Returns 0, VMS_ENOMEM, or fn's non-zero value.
 */
VMS_API int vms_check_dumps(const vms_dump *src, const vms_dump *dest,
                            const vms_check_rules *rules, vms_finding_fn fn,
                            void *opaque, int *errors, vms_error *err);

/*
 * Accepted findings: an earlier --format json report (of one pair or of a
 * matrix). A finding matches an entry of the same kind and location
 * (section, description, field, and the missing section, entry or
 * subsection's name), never by message; each entry accepts one finding.
 */
typedef struct vms_check_baseline vms_check_baseline;
VMS_API int vms_check_baseline_load(const char *path,
                                    vms_check_baseline **out,
                                    vms_error *err);
VMS_API void vms_check_baseline_free(vms_check_baseline *baseline);

typedef struct vms_check_options {
    int version;                 /* VMS_CHECK_OPTIONS_VERSION */
    bool reverse;                /* swap src and dest after loading */
    /* version 2: */
    const vms_check_rules *rules;        /* NULL = the default built-in */
    const vms_check_baseline *baseline;  /* NULL = none */
} vms_check_options;
#define VMS_CHECK_OPTIONS_VERSION 2
#define VMS_CHECK_OPTIONS_INIT { .version = VMS_CHECK_OPTIONS_VERSION }

/* Every finding of one check, with the dumps it points into. */
typedef struct vms_check_report {
    const char *tool;            /* "vmstate check" or "vmstate verify" */
    const char *src_file;        /* the side used as src (after reverse) */
    const char *dest_file;
    int errors;                  /* capped at 255, as the exit status */
    size_t n_findings;
    vms_finding *findings;
    vms_dump *src, *dest;        /* owned (NULL in a matrix's pairs) */
    char **strings;              /* owned messages */
    const char *rules;           /* the rules' names ("qemu-10.2") */
} vms_check_report;

/*
 * Load both files (in parallel) and check them. On an input error returns
 * its VMS_E* code with err naming the file, line and column; *out is NULL.
 */
VMS_API int vms_check_files(const char *src_path, const char *dest_path,
                            const vms_check_options *opts,
                            vms_check_report **out, vms_error *err);
VMS_API void vms_check_report_free(vms_check_report *report);

/*
 * How a report or a matrix is written (the --format values of vmstate
 * check and vmstate verify).
 *
 * VMS_CHECK_TEXT: QEMU's text output, byte for byte (accepted findings
 * left out); for a matrix, the table (rows = source, columns =
 * destination, cells = errors, "-" on the diagonal, "." for dumps of
 * different targets), then each pair's lines under
 * "== SRC -> DEST: N error(s)".
 *
 * VMS_CHECK_JSON: the document {"src", "dest", "errors", "findings":
 * [{"kind", "counted", "section", "description", "field", "src", "dest",
 * "message", "accepted"}], "rules"}, absent values as null; for a matrix
 * {"rules", "errors", "dumps": [{"file", "target"}], "pairs": [{"src",
 * "dest", "errors", "findings"}]} with findings as in a pair's report.
 * Python's json.dumps(indent=4) layout and a final newline.
 *
 * VMS_CHECK_GITHUB: GitHub Actions workflow commands, one per finding in
 * the text order: "::error file=DEST,title=TOOL (KIND)::MESSAGE" (warning
 * for the findings QEMU does not count); a matrix's say the pair in the
 * title.
 *
 * VMS_CHECK_SARIF: a SARIF 2.1.0 log: one run of the report's tool as
 * driver with a rule per finding kind, a result per finding (ruleId, level
 * error/warning, message.text, the destination dump as location and
 * section.description.field as logical location); a matrix's results say
 * their pair in message and properties.
 */
enum vms_check_format {
    VMS_CHECK_TEXT = 0,
    VMS_CHECK_JSON,
    VMS_CHECK_GITHUB,
    VMS_CHECK_SARIF,
};

/*
 * Write report to w in format. Returns 0, VMS_EINVAL for an unknown
 * format, or the writer's error; err filled either way.
 */
VMS_API int vms_check_report_write(const vms_check_report *report,
                                   enum vms_check_format format,
                                   vms_writer *w, vms_error *err);
/*
 * A matrix: every ordered pair of dumps of one target, each dump parsed
 * once, the pairs checked in parallel threads.
 */
typedef struct vms_check_pair {
    size_t src, dest;            /* indexes into files */
    vms_check_report *report;    /* its src/dest are the matrix's */
} vms_check_pair;

typedef struct vms_check_matrix {
    size_t n_dumps;
    const char **files;          /* as given */
    /*
     * Per dump, its target: "x86", "arm", "ppc64" or "s390x" from a
     * section only that QEMU target has (ioapic, arm_gic,
     * spapr-pci-host-bridge, s390-ipl), else "machine:FAMILY" from
     * vmschkmachine's name without its version ("machine:virt").
     */
    const char **targets;
    vms_dump **dumps;            /* owned */
    size_t n_pairs;
    vms_check_pair *pairs;       /* by src index, then dest index */
    int errors;                  /* all pairs' errors, capped at 255 */
    const char *rules;
} vms_check_matrix;

VMS_API int vms_check_matrix_files(const char *const *paths, size_t n,
                                   const vms_check_options *opts,
                                   vms_check_matrix **out, vms_error *err);
VMS_API void vms_check_matrix_free(vms_check_matrix *matrix);
/* The same as vms_check_report_write for a matrix. */
VMS_API int vms_check_matrix_write(const vms_check_matrix *m,
                                   enum vms_check_format format,
                                   vms_writer *w, vms_error *err);

/*
 * The JSON document for an input error: {"src", "dest", "error": {...}}
 * with what's code, message, file, offset, line, column and path, in the
 * VMS_CHECK_JSON layout. err receives a failure to write it.
 */
VMS_API int vms_check_write_json_error(const char *src_path,
                                       const char *dest_path,
                                       const vms_error *what, vms_writer *w,
                                       vms_error *err);

#endif
