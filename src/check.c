/*
 * libvmstate: the static checker.
 *
 * A line-by-line transcription of the walk of QEMU's
 * scripts/vmstate-static-checker.py, including its quirks (python
 * truthiness of empty names, the unterminated section-level minimum
 * version line, the space in 'near " F"'), because users diff our output
 * against it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "vmstate/check.h"
#include "vmstate/version.h"
#include "table.h"
#include "dump_priv.h"
#include "check_priv.h"
#include "check_baseline.h"
#include "check_rules.h"

/* ---- findings ---- */

typedef struct walker {
    const vms_check_rules *rules;
    vms_finding_fn fn;
    void *opaque;
    int taint;
    int stop;                   /* fn's non-zero value, or VMS_ENOMEM */
} walker;

/* python's "if desc:": None and "" are both false. */
static bool truthy(const char *s)
{
    return s && *s;
}

static void emit(walker *w, vms_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit(walker *w, vms_finding *f, const char *fmt, ...)
{
    char *msg;
    va_list ap;
    int r;

    if (w->stop) {
        return;
    }
    va_start(ap, fmt);
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        w->stop = VMS_ENOMEM;
        return;
    }
    f->message = msg;
    if (f->counted && w->taint < 255) {
        w->taint++;
    }
    w->stop = w->fn(w->opaque, f);
    free(msg);
}

static void finding_init(vms_finding *f, enum vms_finding_kind kind,
                         const char *sec, const char *desc,
                         const char *field)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->counted = kind != VMS_FINDING_MACHINE_TYPE;
    f->section = sec;
    f->description = desc;
    f->field = field;
}

static void set_numbers(vms_finding *f, char sbuf[24], char dbuf[24],
                        int64_t s, int64_t d)
{
    snprintf(sbuf, 24, "%" PRId64, s);
    snprintf(dbuf, 24, "%" PRId64, d);
    f->src = sbuf;
    f->dest = dbuf;
    f->src_is_number = f->dest_is_number = true;
}

/* check_version(); field is extra context for JSON only. */
static void check_version(walker *w, int64_t s_ver, int64_t d_ver,
                          bool d_has_min, int64_t d_min, const char *sec,
                          const char *desc, const char *field)
{
    char sb[24], db[24];
    vms_finding f;

    if (!truthy(desc)) {
        desc = NULL;
    }
    if (s_ver > d_ver) {
        finding_init(&f, VMS_FINDING_VERSION, sec, desc, field);
        set_numbers(&f, sb, db, s_ver, d_ver);
        if (desc) {
            emit(w, &f, "Section \"%s\" Description \"%s\": version error: "
                 "%" PRId64 " > %" PRId64, sec, desc, s_ver, d_ver);
        } else {
            emit(w, &f, "Section \"%s\" version error: %" PRId64 " > %"
                 PRId64, sec, s_ver, d_ver);
        }
    }
    if (d_has_min && s_ver < d_min) {
        finding_init(&f, VMS_FINDING_MIN_VERSION, sec, desc, field);
        set_numbers(&f, sb, db, s_ver, d_min);
        f.counted = desc != NULL;
        if (desc) {
            emit(w, &f, "Section \"%s\" Description \"%s\": minimum version "
                 "error: %" PRId64 " < %" PRId64, sec, desc, s_ver, d_min);
        } else {
            emit(w, &f, "Section \"%s\" minimum version error: %" PRId64
                 " < %" PRId64, sec, s_ver, d_min);
        }
    }
}

static void check_descriptions(walker *w, const vms_dump_desc *s,
                               const vms_dump_desc *d, const char *sec);

static void check_size(walker *w, const vms_dump_field *s,
                       const vms_dump_field *d, const char *sec,
                       const char *desc)
{
    char sb[24], db[24];
    vms_finding f;

    if (s->size == d->size) {
        return;
    }
    finding_init(&f, VMS_FINDING_SIZE, sec, desc, s->name);
    set_numbers(&f, sb, db, s->size, d->size);
    emit(w, &f, "Section \"%s\"%s%s%s%s%s%s size mismatch: %" PRId64
         " , %" PRId64, sec,
         truthy(desc) ? " Description \"" : "", truthy(desc) ? desc : "",
         truthy(desc) ? "\"" : "",
         truthy(s->name) ? " Field \"" : "",
         truthy(s->name) ? s->name : "", truthy(s->name) ? "\"" : "",
         s->size, d->size);
}

static void check_description_in_list(walker *w, const vms_dump_field *s,
                                      const vms_dump_field *d,
                                      const char *sec, const char *desc)
{
    vms_finding f;

    if (!s->desc) {
        return;
    }
    if (!d->desc) {
        finding_init(&f, VMS_FINDING_DESCRIPTION_MISSING, sec, desc,
                     s->name);
        emit(w, &f, "Section \"%s\", Description \"%s\", Field \"%s\": "
             "missing description", sec, desc, s->name);
        return;
    }
    check_descriptions(w, s->desc, d->desc, sec);
}

static bool exists_in_substruct(walker *w, const vms_dump_field *fld,
                                const char *item)
{
    if (!fld->desc || !fld->desc->has_fields || !fld->desc->fields) {
        return false;
    }
    return vms__rules_names_match(w->rules, fld->desc->name,
                                  fld->desc->fields->name, item);
}

/* size_total() of QEMU >= 8.1's script; QEMU 7.2's compares size alone. */
static __int128 size_total(walker *w, const vms_dump_field *f)
{
    return f->has_num && vms__rules_unused_num(w->rules)
               ? (__int128)f->size * f->num : f->size;
}

static void unused_mismatch(walker *w, const char *sec, const char *desc,
                            const char *field)
{
    vms_finding f;

    finding_init(&f, VMS_FINDING_UNUSED_SIZE, sec, desc, field);
    emit(w, &f, "Section \"%s\", Description \"%s\": unused size mismatch "
         "near \" %s\"", sec, desc, field);
}

/* python's next(iterator): NULL when exhausted. */
static const vms_dump_field *next_item(const vms_dump_field **it)
{
    const vms_dump_field *f = *it;

    if (f) {
        *it = f->next;
    }
    return f;
}

/*
 * check_fields(): two iterators, each with a stack of outer iterators for
 * fields folded into (or out of) a substructure. Stack depth is bounded by
 * the nesting the loader accepts.
 */
static void check_fields(walker *w, const vms_dump_field *src_fields,
                         const vms_dump_field *dest_fields, const char *desc,
                         const char *sec)
{
    const vms_dump_field *s_stack[VMS_DUMP_MAX_DEPTH];
    const vms_dump_field *d_stack[VMS_DUMP_MAX_DEPTH];
    const vms_dump_field *s_iter = src_fields, *d_iter = dest_fields;
    const vms_dump_field *s_item = NULL, *d_item = NULL;
    size_t s_n = 0, d_n = 0;
    bool advance_src = true, advance_dest = true;
    __int128 unused_count = 0;
    vms_finding f;

    while (!w->stop) {
        if (advance_src) {
            const vms_dump_field *n = next_item(&s_iter);

            if (!n) {
                if (s_n == 0) {
                    break;
                }
                s_iter = s_stack[--s_n];
                continue;
            }
            s_item = n;
        } else if (unused_count == 0) {
            /* Not advancing just once: entering or leaving a substruct. */
            advance_src = true;
        }

        if (advance_dest) {
            const vms_dump_field *n = next_item(&d_iter);

            if (!n) {
                if (d_n == 0) {
                    finding_init(&f, VMS_FINDING_NO_MORE_FIELDS, sec, desc,
                                 s_item->name);
                    f.src = s_item->name;
                    emit(w, &f, "Section \"%s\", Description \"%s\": "
                         "expected field \"%s\", while dest has no further "
                         "fields", sec, desc, s_item->name);
                    break;
                }
                d_iter = d_stack[--d_n];
                advance_src = false;
                continue;
            }
            d_item = n;
        } else if (unused_count == 0) {
            advance_dest = true;
        }

        if (unused_count != 0 && (!advance_dest || !advance_src)) {
            /* The side not held by the unused buffer pays it off. */
            const vms_dump_field *item = advance_dest ? d_item : s_item;
            bool *held = advance_dest ? &advance_src : &advance_dest;

            unused_count -= item->size;
            if (unused_count == 0) {
                *held = true;
            } else if (unused_count < 0) {
                unused_mismatch(w, sec, desc, item->name);
                break;
            }
            continue;
        }

        if (!vms__rules_names_match(w->rules, desc, s_item->name, d_item->name)) {
            if (exists_in_substruct(w, d_item, s_item->name)) {
                if (d_n == VMS__ARRAY_SIZE(d_stack)) {
                    break;
                }
                d_stack[d_n++] = d_iter;
                d_iter = d_item->desc->fields;
                advance_src = false;
                continue;
            }
            /* Backward migration: src has a substruct dest removed. */
            if (exists_in_substruct(w, s_item, d_item->name)) {
                if (s_n == VMS__ARRAY_SIZE(s_stack)) {
                    break;
                }
                s_stack[s_n++] = s_iter;
                s_iter = s_item->desc->fields;
                advance_dest = false;
                continue;
            }
            if (strcmp(s_item->name, "unused") == 0 ||
                strcmp(d_item->name, "unused") == 0) {
                __int128 s_size = size_total(w, s_item);
                __int128 d_size = size_total(w, d_item);

                if (s_size == d_size) {
                    continue;
                }
                if (strcmp(d_item->name, "unused") == 0) {
                    advance_dest = false;
                    unused_count = d_size - s_size;
                    continue;
                }
                advance_src = false;
                unused_count = s_size - d_size;
                continue;
            }
            finding_init(&f, VMS_FINDING_FIELD_MISMATCH, sec, desc,
                         s_item->name);
            f.src = s_item->name;
            f.dest = d_item->name;
            emit(w, &f, "Section \"%s\", Description \"%s\": expected field "
                 "\"%s\", got \"%s\"; skipping rest", sec, desc,
                 s_item->name, d_item->name);
            break;
        }

        check_version(w, s_item->version_id, d_item->version_id,
                      d_item->has_minimum_version_id,
                      d_item->minimum_version_id, sec, desc, s_item->name);
        if (!s_item->desc) {
            /* Struct fields are compared through their descriptions. */
            check_size(w, s_item, d_item, sec, desc);
        }
        check_description_in_list(w, s_item, d_item, sec, desc);
    }
}

static void check_subsections(walker *w, const vms_dump_desc *src,
                              const vms_dump_desc *dest, const char *desc,
                              const char *sec)
{
    for (const vms_dump_desc *s = src; s && !w->stop; s = s->next) {
        bool found = false;
        vms_finding f;

        for (const vms_dump_desc *d = dest; d; d = d->next) {
            if (strcmp(s->name, d->name) == 0) {
                found = true;
                check_descriptions(w, s, d, sec);
            }
        }
        if (!found) {
            finding_init(&f, VMS_FINDING_SUBSECTION_MISSING, sec, desc,
                         NULL);
            f.src = s->name;
            emit(w, &f, "Section \"%s\", Description \"%s\": Subsection "
                 "\"%s\" not found", sec, desc, s->name);
        }
    }
}

static void check_descriptions(walker *w, const vms_dump_desc *s,
                               const vms_dump_desc *d, const char *sec)
{
    vms_finding f;

    check_version(w, s->version_id, d->version_id, d->has_minimum_version_id,
                  d->minimum_version_id, sec, s->name, NULL);
    if (!vms__rules_names_match(w->rules, sec, s->name, d->name)) {
        finding_init(&f, VMS_FINDING_DESCRIPTION_RENAMED, sec, s->name,
                     NULL);
        f.src = s->name;
        f.dest = d->name;
        emit(w, &f, "Section \"%s\": Description \"%s\" missing, got \"%s\" "
             "instead; skipping", sec, s->name, d->name);
        return;
    }
    for (const vms_dump_key *k = s->keys; k && !w->stop; k = k->next) {
        if (!vms_dump_has_key(d->keys, k->name)) {
            finding_init(&f, VMS_FINDING_ENTRY_MISSING, sec, s->name, NULL);
            f.src = k->name;
            emit(w, &f, "Section \"%s\" Description \"%s\": Entry \"%s\" "
                 "missing", sec, s->name, k->name);
            continue;
        }
        if (strcmp(k->name, "Fields") == 0) {
            check_fields(w, s->fields, d->fields, s->name, sec);
        } else if (strcmp(k->name, "Subsections") == 0) {
            check_subsections(w, s->subsections, d->subsections, s->name,
                              sec);
        }
    }
}

int vms_check_dumps(const vms_dump *src, const vms_dump *dest,
                    const vms_check_rules *rules, vms_finding_fn fn,
                    void *opaque, int *errors, vms_error *err)
{
    walker w = { .rules = rules ? rules : vms__check_rules_default(),
                 .fn = fn, .opaque = opaque };

    if (!w.rules) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }

    for (const vms_dump_section *s = vms_dump_sections(src); s && !w.stop;
         s = s->next) {
        const vms_dump_section *d = vms_dump_find(dest, s->key);
        vms_finding f;

        if (!d) {
            /* Either the section was renamed or dest lacks it. */
            d = vms_dump_find(dest, vms__rules_section_rename(w.rules, s->key));
            if (!d) {
                finding_init(&f, VMS_FINDING_SECTION_MISSING, s->key, NULL,
                             NULL);
                f.src = s->key;
                emit(&w, &f, "Section \"%s\" does not exist in dest",
                     s->key);
                continue;
            }
        }
        if (strcmp(s->key, "vmschkmachine") == 0) {
            if (strcmp(s->name, d->name) != 0) {
                finding_init(&f, VMS_FINDING_MACHINE_TYPE, NULL, NULL, NULL);
                f.src = s->name;
                f.dest = d->name;
                emit(&w, &f, "Warning: checking incompatible machine types: "
                     "\"%s\", \"%s\"", s->name, d->name);
            }
            continue;
        }
        check_version(&w, s->version_id, d->version_id,
                      d->has_minimum_version_id, d->minimum_version_id,
                      s->key, NULL, NULL);
        for (const vms_dump_key *k = s->keys; k && !w.stop; k = k->next) {
            if (!vms_dump_has_key(d->keys, k->name)) {
                finding_init(&f, VMS_FINDING_ENTRY_MISSING, s->key, NULL,
                             NULL);
                f.src = k->name;
                emit(&w, &f, "Section \"%s\": Entry \"%s\" missing", s->key,
                     k->name);
                continue;
            }
            if (strcmp(k->name, "Description") == 0) {
                check_descriptions(&w, s->desc, d->desc, s->key);
            }
        }
    }
    if (errors) {
        *errors = w.taint;
    }
    if (w.stop == VMS_ENOMEM) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    return w.stop;
}

/* ---- reports ---- */

/* A copy of s owned by the report (NULL stays NULL). */
static const char *keep(vms_check_report *r, const char *s, int *e)
{
    size_t n = 0;
    char **a, *copy;

    if (!s) {
        return NULL;
    }
    while (r->strings && r->strings[n]) {
        n++;
    }
    /* Doubling at powers of two: strings[] is NULL-terminated. */
    if ((n & (n + 1)) == 0 || !r->strings) {
        a = realloc(r->strings, (2 * n + 2) * sizeof(*a));
        if (!a) {
            *e = VMS_ENOMEM;
            return NULL;
        }
        r->strings = a;
    }
    copy = strdup(s);
    if (!copy) {
        *e = VMS_ENOMEM;
        return NULL;
    }
    r->strings[n] = copy;
    r->strings[n + 1] = NULL;
    return copy;
}

int vms__check_report_add(vms_check_report *r, const vms_finding *f)
{
    vms_finding *nf, *a;
    int e = 0;

    /* Doubling at powers of two keeps the appends linear. */
    if ((r->n_findings & (r->n_findings - 1)) == 0) {
        a = realloc(r->findings, (r->n_findings ? 2 * r->n_findings : 16) *
                                     sizeof(*a));
        if (!a) {
            return VMS_ENOMEM;
        }
        r->findings = a;
    }
    nf = &r->findings[r->n_findings];
    *nf = *f;
    nf->section = keep(r, f->section, &e);
    nf->description = keep(r, f->description, &e);
    nf->field = keep(r, f->field, &e);
    nf->src = keep(r, f->src, &e);
    nf->dest = keep(r, f->dest, &e);
    nf->message = keep(r, f->message, &e);
    if (e) {
        return e;
    }
    r->n_findings++;
    if (f->counted && r->errors < 255) {
        r->errors++;
    }
    return 0;
}

static int collect(void *opaque, const vms_finding *f)
{
    return vms__check_report_add(opaque, f);
}

void vms_check_report_free(vms_check_report *r)
{
    if (!r) {
        return;
    }
    for (char **s = r->strings; s && *s; s++) {
        free(*s);
    }
    free(r->strings);
    free(r->findings);
    vms_dump_free(r->src);
    vms_dump_free(r->dest);
    free(r);
}

int vms__check_report_fill(vms_check_report *r,
                           const vms_check_options *opts, vms_error *err)
{
    const vms_check_rules *rules = NULL;
    const vms_check_baseline *baseline = NULL;
    int code = 0;

    if (opts && opts->version >= 2) {
        rules = opts->rules;
        baseline = opts->baseline;
    }
    r->rules = keep(r, vms_check_rules_name(rules ? rules
                                          : vms__check_rules_default()),
                    &code);
    if (code) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    code = vms_check_dumps(r->src, r->dest, rules, collect, r,
                                 &r->errors, err);
    if (code) {
        return code == VMS_ENOMEM ? code
             : vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    if (vms__check_baseline_apply(baseline, r)) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    return 0;
}

typedef struct load_job {
    const char *path;
    vms_dump *dump;
    vms_error err;
    int code;
} load_job;

static void *load_thread(void *opaque)
{
    load_job *j = opaque;

    j->code = vms_dump_load(j->path, &j->dump, &j->err);
    return NULL;
}

int vms_check_files(const char *src_path, const char *dest_path,
                    const vms_check_options *opts, vms_check_report **out,
                    vms_error *err)
{
    load_job jobs[2] = { { .path = src_path }, { .path = dest_path } };
    vms_check_report *r;
    pthread_t t;
    bool threaded;
    int code;

    *out = NULL;
    vms_error_clear(err);
    /* The two parses are independent: on two cores they may cost one. */
    threaded = vms__dump_parallel_pays() &&
               pthread_create(&t, NULL, load_thread, &jobs[1]) == 0;
    load_thread(&jobs[0]);
    if (threaded) {
        pthread_join(t, NULL);
    } else {
        load_thread(&jobs[1]);
    }
    /* python loads src first: its error is the one reported. */
    for (int i = 0; i < 2; i++) {
        if (jobs[i].code) {
            if (err) {
                *err = jobs[i].err;
            }
            code = jobs[i].code;
            vms_dump_free(jobs[0].dump);
            vms_dump_free(jobs[1].dump);
            return code;
        }
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        vms_dump_free(jobs[0].dump);
        vms_dump_free(jobs[1].dump);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    if (opts && opts->reverse) {
        r->src = jobs[1].dump;
        r->dest = jobs[0].dump;
    } else {
        r->src = jobs[0].dump;
        r->dest = jobs[1].dump;
    }
    r->src_file = vms_dump_file(r->src);
    r->dest_file = vms_dump_file(r->dest);
    r->tool = "vmstate check";
    code = vms__check_report_fill(r, opts, err);
    if (code) {
        vms_check_report_free(r);
        return code;
    }
    *out = r;
    return 0;
}
