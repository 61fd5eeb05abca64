/*
 * libvmstate: the static checker's report writers (QEMU's text lines,
 * JSON, GitHub workflow commands, SARIF), for one pair and for a matrix.
 * The comparison itself is check.c; colour is the command's (tools/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/check.h"
#include "vmstate/json.h"
#include "vmstate/version.h"
#include "table.h"
#include "writer.h"

static const char *const kind_names[] = {
    [VMS_FINDING_VERSION] = "version",
    [VMS_FINDING_MIN_VERSION] = "min_version",
    [VMS_FINDING_SECTION_MISSING] = "section_missing",
    [VMS_FINDING_ENTRY_MISSING] = "entry_missing",
    [VMS_FINDING_DESCRIPTION_RENAMED] = "description_renamed",
    [VMS_FINDING_FIELD_MISMATCH] = "field_mismatch",
    [VMS_FINDING_NO_MORE_FIELDS] = "no_more_fields",
    [VMS_FINDING_SIZE] = "size",
    [VMS_FINDING_UNUSED_SIZE] = "unused_size",
    [VMS_FINDING_SUBSECTION_MISSING] = "subsection_missing",
    [VMS_FINDING_DESCRIPTION_MISSING] = "description_missing",
    [VMS_FINDING_MACHINE_TYPE] = "machine_type",
    [VMS_FINDING_NO_VMDESC] = "no_vmdesc",
    [VMS_FINDING_NOT_IN_DUMP] = "not_in_dump",
    [VMS_FINDING_LOAD_CHECK] = "load_check",
};

/* What each kind means, for SARIF rules and --help-like listings. */
static const char *const kind_summaries[] = {
    [VMS_FINDING_VERSION] = "The source sends a newer version than the "
        "destination accepts",
    [VMS_FINDING_MIN_VERSION] = "The source sends a version older than "
        "the destination's minimum",
    [VMS_FINDING_SECTION_MISSING] = "The destination has no such device "
        "section",
    [VMS_FINDING_ENTRY_MISSING] = "An entry (Fields, Subsections, "
        "Description, ...) is missing in the destination",
    [VMS_FINDING_DESCRIPTION_RENAMED] = "The destination describes the "
        "section under another name",
    [VMS_FINDING_FIELD_MISMATCH] = "The destination expects a different "
        "field at this place",
    [VMS_FINDING_NO_MORE_FIELDS] = "The destination ends before the "
        "source's fields do",
    [VMS_FINDING_SIZE] = "A field's size differs",
    [VMS_FINDING_UNUSED_SIZE] = "An unused buffer does not cover the same "
        "bytes as the fields it replaces",
    [VMS_FINDING_SUBSECTION_MISSING] = "The destination lacks a subsection "
        "the source may send",
    [VMS_FINDING_DESCRIPTION_MISSING] = "A nested struct has no "
        "description in the destination",
    [VMS_FINDING_MACHINE_TYPE] = "The two dumps are of different machine "
        "types",
    [VMS_FINDING_NO_VMDESC] = "The stream carries no JSON description: "
        "only section names and versions were verified",
    [VMS_FINDING_NOT_IN_DUMP] = "The section is registered outside any "
        "device class, so no -dump-vmstate shows it: not verified",
    [VMS_FINDING_LOAD_CHECK] = "A check the destination's loader makes "
        "beyond the description (a post_load hook, a capability) fails "
        "against what the reference stream shows of the destination",
};

const char *vms_finding_kind_summary(enum vms_finding_kind kind)
{
    if ((unsigned)kind >= VMS__ARRAY_SIZE(kind_summaries)) {
        return "unknown";
    }
    return kind_summaries[kind];
}

const char *vms_finding_kind_name(enum vms_finding_kind kind)
{
    if ((unsigned)kind >= VMS__ARRAY_SIZE(kind_names)) {
        return "unknown";
    }
    return kind_names[kind];
}

/*
 * The writers below write on and check once at the end: a vms_writer's
 * error is sticky and its flush fills err with the first failure.
 */
static void put(vms_writer *w, const char *s)
{
    vms_write_bytes(w, s, strlen(s), NULL);
}

int vms_finding_write_text(const vms_finding *f, vms_writer *w,
                           vms_error *err)
{
    if (f->kind == VMS_FINDING_MIN_VERSION && !f->counted) {
        return vms__write_printf(w, err, "Section \"%s\" ", f->section);
    }
    return vms__write_printf(w, err, "%s\n", f->message);
}

static int write_text(const vms_check_report *r, vms_writer *w,
                      vms_error *err)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        if (r->findings[i].accepted) {
            continue;
        }
        if (vms_finding_write_text(&r->findings[i], w, err)) {
            return vms_writer_flush(w, err);
        }
    }
    return vms_writer_flush(w, err);
}

static void json_str_or_null(vms_jsonw *w, const char *key, const char *s)
{
    vms_jsonw_key(w, key);
    if (s) {
        vms_jsonw_string(w, s);
    } else {
        vms_jsonw_null(w);
    }
}

static void json_value(vms_jsonw *w, const char *key, const char *s,
                       bool is_number)
{
    if (s && is_number) {
        vms_jsonw_key(w, key);
        vms_jsonw_raw(w, s, strlen(s));
    } else {
        json_str_or_null(w, key, s);
    }
}

/* "src", "dest", "errors" and "findings" of one pair. */
static void write_pair_json(vms_jsonw *w, const vms_check_report *r)
{
    json_str_or_null(w, "src", r->src_file);
    json_str_or_null(w, "dest", r->dest_file);
    vms_jsonw_key(w, "errors");
    vms_jsonw_int(w, r->errors);
    vms_jsonw_key(w, "findings");
    vms_jsonw_begin_array(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];

        vms_jsonw_begin_object(w);
        json_str_or_null(w, "kind", vms_finding_kind_name(f->kind));
        vms_jsonw_key(w, "counted");
        vms_jsonw_bool(w, f->counted);
        json_str_or_null(w, "section", f->section);
        json_str_or_null(w, "description", f->description);
        json_str_or_null(w, "field", f->field);
        json_value(w, "src", f->src, f->src_is_number);
        json_value(w, "dest", f->dest, f->dest_is_number);
        json_str_or_null(w, "message", f->message);
        vms_jsonw_key(w, "accepted");
        vms_jsonw_bool(w, f->accepted);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
}

static int write_json(const vms_check_report *r, vms_jsonw *w)
{
    vms_jsonw_begin_object(w);
    write_pair_json(w, r);
    if (r->rules) {
        json_str_or_null(w, "rules", r->rules);
    }
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}

static int matrix_json(const vms_check_matrix *m, vms_jsonw *w)
{
    vms_jsonw_begin_object(w);
    json_str_or_null(w, "rules", m->rules);
    vms_jsonw_key(w, "errors");
    vms_jsonw_int(w, m->errors);
    vms_jsonw_key(w, "dumps");
    vms_jsonw_begin_array(w);
    for (size_t i = 0; i < m->n_dumps; i++) {
        vms_jsonw_begin_object(w);
        json_str_or_null(w, "file", m->files[i]);
        json_str_or_null(w, "target", m->targets[i]);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
    vms_jsonw_key(w, "pairs");
    vms_jsonw_begin_array(w);
    for (size_t i = 0; i < m->n_pairs; i++) {
        vms_jsonw_begin_object(w);
        write_pair_json(w, m->pairs[i].report);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}

/*
 * A JSON document onto out in python's indent=4 layout: fn writes it, the
 * writer's flush says whether it got there.
 */
static int with_json(vms_writer *out, vms_error *err,
                     int (*fn)(const void *what, vms_jsonw *w),
                     const void *what)
{
    vms_jsonw *w = vms_jsonw_new(out, VMS_JSONW_PRETTY, 4, err);
    int e, f;

    if (!w) {
        return err ? err->code : VMS_ENOMEM;
    }
    e = fn(what, w);
    f = vms_jsonw_free(w);
    if (e && e != f) {
        /* not the writer's: sarif_results' allocation */
        return vms_error_set(err, e, "cannot write the report: %s",
                             vms_strerror(e));
    }
    return vms_writer_flush(out, err);
}

struct json_error_doc {
    const char *src, *dest;
    const vms_error *what;
};

static int json_error_doc(const void *p, vms_jsonw *w)
{
    const struct json_error_doc *d = p;
    const char *src_path = d->src, *dest_path = d->dest;
    const vms_error *err = d->what;
    char buf[1024];

    vms_jsonw_begin_object(w);
    json_str_or_null(w, "src", src_path);
    json_str_or_null(w, "dest", dest_path);
    vms_jsonw_key(w, "error");
    vms_jsonw_begin_object(w);
    json_str_or_null(w, "file", err->file[0] ? err->file : NULL);
    vms_jsonw_key(w, "line");
    if (err->line > 0) {
        vms_jsonw_int(w, err->line);
    } else {
        vms_jsonw_null(w);
    }
    vms_jsonw_key(w, "column");
    if (err->line > 0) {
        vms_jsonw_int(w, err->column);
    } else {
        vms_jsonw_null(w);
    }
    json_str_or_null(w, "code", vms_strerror(err->code));
    json_str_or_null(w, "message", err->message);
    json_str_or_null(w, "text", vms_error_format(err, buf, sizeof(buf)));
    vms_jsonw_end_object(w);
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}

int vms_check_write_json_error(const char *src_path, const char *dest_path,
                               const vms_error *what, vms_writer *w,
                               vms_error *err)
{
    struct json_error_doc d = { src_path, dest_path, what };

    if (!what || !w) {
        return vms_error_set(err, VMS_EINVAL, "no error or no output");
    }
    return with_json(w, err, json_error_doc, &d);
}

/*
 * GitHub's workflow commands end at a newline and split properties at
 * ',' and ':', so those are percent-encoded (as its toolkit does).
 */
static void github_escape(vms_writer *out, const char *s, bool property)
{
    for (; *s; s++) {
        switch (*s) {
        case '%': put(out, "%25"); break;
        case '\r': put(out, "%0D"); break;
        case '\n': put(out, "%0A"); break;
        case ':': put(out, property ? "%3A" : ":"); break;
        case ',': put(out, property ? "%2C" : ","); break;
        default: vms_write_bytes(out, s, 1, NULL); break;
        }
    }
}

static void write_github(const vms_check_report *r, const char *pair,
                         vms_writer *out)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];
        char title[1024];

        if (f->accepted) {
            continue;
        }
        snprintf(title, sizeof(title), "%s (%s)%s%s",
                 r->tool ? r->tool : "vmstate check",
                 vms_finding_kind_name(f->kind), pair ? " " : "",
                 pair ? pair : "");
        put(out, f->counted ? "::error file=" : "::warning file=");
        github_escape(out, r->dest_file ? r->dest_file : "", true);
        put(out, ",title=");
        github_escape(out, title, true);
        put(out, "::");
        github_escape(out, f->message, false);
        put(out, "\n");
    }
}

static void pair_name(const vms_check_report *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s -> %s", r->src_file ? r->src_file : "",
             r->dest_file ? r->dest_file : "");
}

static void matrix_github(const vms_check_matrix *m, vms_writer *out)
{
    char pair[1024];

    for (size_t i = 0; i < m->n_pairs; i++) {
        pair_name(m->pairs[i].report, pair, sizeof(pair));
        write_github(m->pairs[i].report, pair, out);
    }
}

/* The finding's place as one dotted name: section.description.field. */
static void logical_name(const vms_finding *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", f->section ? f->section : "",
             f->description ? "." : "", f->description ? f->description : "",
             f->field ? "." : "", f->field ? f->field : "");
}

static void sarif_begin(vms_jsonw *w, const char *tool)
{
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "$schema");
    vms_jsonw_string(w, "https://json.schemastore.org/sarif-2.1.0.json");
    vms_jsonw_key(w, "version");
    vms_jsonw_string(w, "2.1.0");
    vms_jsonw_key(w, "runs");
    vms_jsonw_begin_array(w);
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "tool");
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "driver");
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "name");
    vms_jsonw_string(w, tool ? tool : "vmstate check");
    vms_jsonw_key(w, "version");
    vms_jsonw_string(w, vms_version());
    vms_jsonw_key(w, "rules");
    vms_jsonw_begin_array(w);
    for (size_t k = 0; k < VMS__ARRAY_SIZE(kind_names); k++) {
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "id");
        vms_jsonw_string(w, kind_names[k]);
        vms_jsonw_key(w, "shortDescription");
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "text");
        vms_jsonw_string(w, kind_summaries[k]);
        vms_jsonw_end_object(w);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    vms_jsonw_end_object(w);
    vms_jsonw_key(w, "results");
    vms_jsonw_begin_array(w);
}

static int sarif_results(vms_jsonw *w, const vms_check_report *r,
                         const char *pair)
{
    char name[1024];

    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];

        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "ruleId");
        vms_jsonw_string(w, vms_finding_kind_name(f->kind));
        vms_jsonw_key(w, "level");
        vms_jsonw_string(w, f->counted ? "error" : "warning");
        vms_jsonw_key(w, "message");
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "text");
        if (pair) {
            char *text;

            if (asprintf(&text, "%s: %s", pair, f->message) < 0) {
                return VMS_ENOMEM;
            }
            vms_jsonw_string(w, text);
            free(text);
        } else {
            vms_jsonw_string(w, f->message);
        }
        vms_jsonw_end_object(w);
        if (pair) {
            vms_jsonw_key(w, "properties");
            vms_jsonw_begin_object(w);
            json_str_or_null(w, "src", r->src_file);
            json_str_or_null(w, "dest", r->dest_file);
            vms_jsonw_end_object(w);
        }
        if (f->accepted) {
            /* SARIF's way to keep a known result without failing on it. */
            vms_jsonw_key(w, "suppressions");
            vms_jsonw_begin_array(w);
            vms_jsonw_begin_object(w);
            vms_jsonw_key(w, "kind");
            vms_jsonw_string(w, "external");
            vms_jsonw_key(w, "justification");
            vms_jsonw_string(w, "listed in the --baseline report");
            vms_jsonw_end_object(w);
            vms_jsonw_end_array(w);
        }
        vms_jsonw_key(w, "locations");
        vms_jsonw_begin_array(w);
        vms_jsonw_begin_object(w);
        if (r->dest_file) {
            vms_jsonw_key(w, "physicalLocation");
            vms_jsonw_begin_object(w);
            vms_jsonw_key(w, "artifactLocation");
            vms_jsonw_begin_object(w);
            vms_jsonw_key(w, "uri");
            vms_jsonw_string(w, r->dest_file);
            vms_jsonw_end_object(w);
            vms_jsonw_end_object(w);
        }
        logical_name(f, name, sizeof(name));
        vms_jsonw_key(w, "logicalLocations");
        vms_jsonw_begin_array(w);
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "fullyQualifiedName");
        vms_jsonw_string(w, name[0] ? name : "vmschkmachine");
        vms_jsonw_end_object(w);
        vms_jsonw_end_array(w);
        vms_jsonw_end_object(w);
        vms_jsonw_end_array(w);
        vms_jsonw_end_object(w);
    }
    return 0;
}

static int sarif_end(vms_jsonw *w)
{
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}

static int write_sarif(const vms_check_report *r, vms_jsonw *w)
{
    int e;

    sarif_begin(w, r->tool);
    e = sarif_results(w, r, NULL);
    return e ? e : sarif_end(w);
}

static int matrix_sarif(const vms_check_matrix *m, vms_jsonw *w)
{
    char pair[1024];
    int e = 0;

    sarif_begin(w, "vmstate check");
    for (size_t i = 0; i < m->n_pairs && !e; i++) {
        pair_name(m->pairs[i].report, pair, sizeof(pair));
        e = sarif_results(w, m->pairs[i].report, pair);
    }
    return e ? e : sarif_end(w);
}

/* Whether r's text ends without a newline (QEMU's unterminated quirk). */
static bool text_open(const vms_check_report *r)
{
    for (size_t i = r->n_findings; i-- > 0;) {
        const vms_finding *f = &r->findings[i];

        if (!f->accepted) {
            return f->kind == VMS_FINDING_MIN_VERSION && !f->counted;
        }
    }
    return false;
}

static int matrix_text(const vms_check_matrix *m, vms_writer *out,
                       vms_error *err)
{
    const vms_check_pair *p = m->pairs;
    size_t np = m->n_pairs;
    int w = 3;

    vms__write_printf(out, err, "errors per pair (rows: source, columns: "
                      "destination; rules %s)\n", m->rules ? m->rules : "");
    vms__write_printf(out, err, "%6s", "");
    for (size_t j = 0; j < m->n_dumps; j++) {
        char h[32];

        snprintf(h, sizeof(h), "[%zu]", j + 1);
        vms__write_printf(out, err, " %*s", w + 2, h);
    }
    put(out, "\n");
    for (size_t i = 0; i < m->n_dumps; i++) {
        char h[32];

        snprintf(h, sizeof(h), "[%zu]", i + 1);
        vms__write_printf(out, err, "%6s", h);
        for (size_t j = 0; j < m->n_dumps; j++) {
            const vms_check_pair *c = NULL;

            for (size_t k = 0; k < np && !c; k++) {
                if (p[k].src == i && p[k].dest == j) {
                    c = &p[k];
                }
            }
            if (i == j) {
                vms__write_printf(out, err, " %*s", w + 2, "-");
            } else if (!c) {
                vms__write_printf(out, err, " %*s", w + 2, ".");
            } else {
                vms__write_printf(out, err, " %*d", w + 2,
                                  c->report->errors);
            }
        }
        put(out, "\n");
    }
    for (size_t i = 0; i < m->n_dumps; i++) {
        vms__write_printf(out, err, "[%zu] %s (%s)\n", i + 1, m->files[i],
                          m->targets[i]);
    }
    for (size_t k = 0; k < np; k++) {
        const vms_check_report *r = p[k].report;

        vms__write_printf(out, err, "\n== [%zu] %s -> [%zu] %s: %d error%s "
                          "==\n", p[k].src + 1, m->files[p[k].src],
                          p[k].dest + 1, m->files[p[k].dest], r->errors,
                          r->errors == 1 ? "" : "s");
        if (write_text(r, out, err)) {
            break;
        }
        if (text_open(r)) {
            put(out, "\n");
        }
    }
    return vms_writer_flush(out, err);
}

static int report_json(const void *r, vms_jsonw *w)
{
    return write_json(r, w);
}

static int report_sarif(const void *r, vms_jsonw *w)
{
    return write_sarif(r, w);
}

static int matrix_json_doc(const void *m, vms_jsonw *w)
{
    return matrix_json(m, w);
}

static int matrix_sarif_doc(const void *m, vms_jsonw *w)
{
    return matrix_sarif(m, w);
}

int vms_check_report_write(const vms_check_report *report,
                           enum vms_check_format format, vms_writer *w,
                           vms_error *err)
{
    if (!report || !w) {
        return vms_error_set(err, VMS_EINVAL, "no report or no output");
    }
    switch (format) {
    case VMS_CHECK_TEXT:
        return write_text(report, w, err);
    case VMS_CHECK_JSON:
        return with_json(w, err, report_json, report);
    case VMS_CHECK_GITHUB:
        write_github(report, NULL, w);
        return vms_writer_flush(w, err);
    case VMS_CHECK_SARIF:
        return with_json(w, err, report_sarif, report);
    }
    return vms_error_set(err, VMS_EINVAL, "unknown report format %d",
                         (int)format);
}

int vms_check_matrix_write(const vms_check_matrix *m,
                           enum vms_check_format format, vms_writer *w,
                           vms_error *err)
{
    if (!m || !w) {
        return vms_error_set(err, VMS_EINVAL, "no matrix or no output");
    }
    switch (format) {
    case VMS_CHECK_TEXT:
        return matrix_text(m, w, err);
    case VMS_CHECK_JSON:
        return with_json(w, err, matrix_json_doc, m);
    case VMS_CHECK_GITHUB:
        matrix_github(m, w);
        return vms_writer_flush(w, err);
    case VMS_CHECK_SARIF:
        return with_json(w, err, matrix_sarif_doc, m);
    }
    return vms_error_set(err, VMS_EINVAL, "unknown report format %d",
                         (int)format);
}
