/*
 * libvmstate: accepted findings (vmstate check --baseline).
 *
 * A baseline is an earlier --format json report, of one pair
 * ({"findings": [...]}) or of a matrix ({"pairs": [{"findings": [...]}]}).
 * Its findings are matched by kind and location only — section,
 * description, field, and for a missing section, entry or subsection its
 * name — never by message text, so that a reworded message does not reopen
 * an accepted break. Each entry accepts one finding (the same break twice
 * is two findings). Findings of any pair match: a baseline names breaks,
 * not files, so a matrix over renamed dumps keeps its baseline.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "vmstate/check.h"
#include "fileio.h"
#include "check_baseline.h"
#include "check_rules.h"

/* A baseline is a report: the size of the largest dumps' reports. */
#define BASELINE_MAX_BYTES (256u << 20)

typedef struct entry {
    char *kind, *section, *description, *field, *name;
} entry;

struct vms_check_baseline {
    size_t n;
    entry *e;
};

/* The kinds whose src value names what is missing: part of the location. */
static bool src_is_location(const char *kind)
{
    return kind && (strcmp(kind, "section_missing") == 0 ||
                    strcmp(kind, "entry_missing") == 0 ||
                    strcmp(kind, "subsection_missing") == 0);
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void vms_check_baseline_free(vms_check_baseline *b)
{
    if (!b) {
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        free(b->e[i].kind);
        free(b->e[i].section);
        free(b->e[i].description);
        free(b->e[i].field);
        free(b->e[i].name);
    }
    free(b->e);
    free(b);
}

static int str_member(json_t *o, const char *key, char **out,
                      const char *path, const char *file, vms_error *err)
{
    json_t *v = json_object_get(o, key);

    *out = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        vms_error_set(err, VMS_EFORMAT, "\"%s\": expected a string or null",
                      key);
        vms_error_set_file(err, file);
        vms_error_set_path(err, path);
        return VMS_EFORMAT;
    }
    *out = strdup(json_string_value(v));
    return *out ? 0 : vms_error_set(err, VMS_ENOMEM, "out of memory");
}

static int add_findings(vms_check_baseline *b, json_t *list,
                        const char *where, const char *file, vms_error *err)
{
    char path[VMS_ERROR_PATH_MAX];
    size_t i;
    json_t *f;
    void *a;

    if (!json_is_array(list)) {
        vms_error_set(err, VMS_EFORMAT, "expected an array of findings");
        vms_error_set_file(err, file);
        vms_error_set_path(err, where);
        return VMS_EFORMAT;
    }
    a = realloc(b->e, (b->n + json_array_size(list) + 1) * sizeof(*b->e));
    if (!a) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    b->e = a;
    json_array_foreach(list, i, f) {
        entry *e = &b->e[b->n];
        char *src = NULL;
        int r;

        snprintf(path, sizeof(path), "%s[%zu]", where, i);
        memset(e, 0, sizeof(*e));
        if (!json_is_object(f) || !json_is_string(json_object_get(f,
                                                                  "kind"))) {
            vms_error_set(err, VMS_EFORMAT,
                          "expected a finding object with a \"kind\"");
            vms_error_set_file(err, file);
            vms_error_set_path(err, path);
            return VMS_EFORMAT;
        }
        b->n++;
        if ((r = str_member(f, "kind", &e->kind, path, file, err)) ||
            (r = str_member(f, "section", &e->section, path, file, err)) ||
            (r = str_member(f, "description", &e->description, path, file,
                            err)) ||
            (r = str_member(f, "field", &e->field, path, file, err))) {
            return r;
        }
        if (src_is_location(e->kind)) {
            if ((r = str_member(f, "src", &src, path, file, err))) {
                return r;
            }
            e->name = src;
        }
    }
    return 0;
}

int vms_check_baseline_load(const char *path, vms_check_baseline **out,
                            vms_error *err)
{
    vms_check_baseline *b;
    json_t *root, *pairs;
    char *text;
    size_t len;
    int e;

    *out = NULL;
    vms_error_clear(err);
    e = vms__read_file(path, BASELINE_MAX_BYTES, "baseline", "256 MiB",
                       &text, &len, err);
    if (e) {
        return e;
    }
    root = vms__check_json_parse(text, len, 0, path, err);
    free(text);
    if (!root) {
        return VMS_EFORMAT;
    }
    b = calloc(1, sizeof(*b));
    if (!b) {
        json_decref(root);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    pairs = json_is_object(root) ? json_object_get(root, "pairs") : NULL;
    if (pairs && json_is_array(pairs)) {
        size_t i;
        json_t *p;

        json_array_foreach(pairs, i, p) {
            char where[64];

            snprintf(where, sizeof(where), "$.pairs[%zu].findings", i);
            if ((e = add_findings(b, json_object_get(p, "findings"), where,
                                  path, err))) {
                break;
            }
        }
    } else if (json_is_object(root) && json_object_get(root, "findings")) {
        e = add_findings(b, json_object_get(root, "findings"), "$.findings",
                         path, err);
    } else {
        vms_error_set(err, VMS_EFORMAT, "expected a vmstate check --format "
                      "json report (\"findings\" or \"pairs\")");
        vms_error_set_file(err, path);
        vms_error_set_path(err, "$");
        e = VMS_EFORMAT;
    }
    json_decref(root);
    if (e) {
        vms_check_baseline_free(b);
        return e;
    }
    *out = b;
    return 0;
}

/*
 * Marks r's findings that b accepts and recounts r->errors. Entries are
 * used once; b is copied per call (a matrix applies one baseline to many
 * reports from several threads).
 */
int vms__check_baseline_apply(const vms_check_baseline *b,
                              vms_check_report *r)
{
    bool *used;

    if (!b) {
        return 0;
    }
    used = calloc(b->n + 1, sizeof(*used));
    if (!used) {
        return VMS_ENOMEM;
    }
    r->errors = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        vms_finding *f = &r->findings[i];
        const char *kind = vms_finding_kind_name(f->kind);
        const char *name = src_is_location(kind) ? f->src : NULL;

        for (size_t j = 0; j < b->n; j++) {
            const entry *e = &b->e[j];

            if (!used[j] && strcmp(e->kind, kind) == 0 &&
                same(e->section, f->section) &&
                same(e->description, f->description) &&
                same(e->field, f->field) && same(e->name, name)) {
                used[j] = true;
                f->accepted = true;
                break;
            }
        }
        if (f->counted && !f->accepted && r->errors < 255) {
            r->errors++;
        }
    }
    free(used);
    return 0;
}
