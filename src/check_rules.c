/*
 * libvmstate: the static checker's rules as data.
 *
 * QEMU's scripts/vmstate-static-checker.py keeps its tolerances in code:
 * get_changed_sec_name()'s section renames, check_fields_match()'s
 * changed_names (field renames per description or section key) and, since
 * QEMU 8.1, size_total() (an unused gap is size x num). Each release ships
 * its own copy, so one pair of dumps gets different answers from different
 * QEMU trees. Here each release's tables are a JSON file (data/rules/,
 * schema in vmstate-rules(5)), built into the library and extensible by
 * users' files.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "vmstate/check.h"
#include "check_rules.h"
#include "table.h"
#include "fileio.h"

/* Rules files are a few KiB; a cap keeps a wrong file from filling memory. */
#define RULES_MAX_BYTES (16u << 20)

typedef struct rename_group {
    char *key;
    char **names;
    size_t n;
} rename_group;

struct vms_check_rules {
    bool unused_num;
    size_t n_sec;
    char *(*sec)[2];
    size_t n_groups;
    rename_group *groups;
    char *name;                  /* "qemu-10.2+mine.json" */
};

static const char *builtin_names[16];

static void builtin_names_init(void)
{
    for (size_t i = 0; vms__builtin_rules[i].name &&
                       i + 1 < VMS__ARRAY_SIZE(builtin_names); i++) {
        builtin_names[i] = vms__builtin_rules[i].name;
    }
}

const char *const *vms_check_rules_builtin_names(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, builtin_names_init);
    return builtin_names;
}

vms_check_rules *vms_check_rules_new(vms_error *err)
{
    vms_check_rules *r = calloc(1, sizeof(*r));

    if (!r) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    /* QEMU's checker compares size x num since 8.1: the newer default. */
    r->unused_num = true;
    return r;
}

void vms_check_rules_free(vms_check_rules *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n_sec; i++) {
        free(r->sec[i][0]);
        free(r->sec[i][1]);
    }
    free(r->sec);
    for (size_t i = 0; i < r->n_groups; i++) {
        for (size_t j = 0; j < r->groups[i].n; j++) {
            free(r->groups[i].names[j]);
        }
        free(r->groups[i].names);
        free(r->groups[i].key);
    }
    free(r->groups);
    free(r->name);
    free(r);
}

const char *vms_check_rules_name(const vms_check_rules *r)
{
    return r && r->name ? r->name : "";
}

/* A malformed file: "FILE: $.path: what". */
static int bad(vms_error *err, const char *origin, const char *path,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad(vms_error *err, const char *origin, const char *path,
               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(err, VMS_EFORMAT, fmt, ap);
    va_end(ap);
    vms_error_set_file(err, origin);
    vms_error_set_path(err, path);
    return VMS_EFORMAT;
}

static int parse_section_renames(vms_check_rules *r, json_t *v,
                                 const char *origin, vms_error *err)
{
    char path[VMS_ERROR_PATH_MAX];
    size_t i;
    json_t *pair;
    void *a;

    if (!json_is_array(v)) {
        return bad(err, origin, "$.section_renames",
                   "expected an array of [name, name] pairs");
    }
    a = realloc(r->sec, (r->n_sec + json_array_size(v) + 1) *
                            sizeof(*r->sec));
    if (!a) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    r->sec = a;
    json_array_foreach(v, i, pair) {
        snprintf(path, sizeof(path), "$.section_renames[%zu]", i);
        if (!json_is_array(pair) || json_array_size(pair) != 2 ||
            !json_is_string(json_array_get(pair, 0)) ||
            !json_is_string(json_array_get(pair, 1))) {
            return bad(err, origin, path,
                       "expected a pair of section names [\"old\", \"new\"]");
        }
        r->sec[r->n_sec][0] = strdup(json_string_value(json_array_get(pair,
                                                                      0)));
        r->sec[r->n_sec][1] = strdup(json_string_value(json_array_get(pair,
                                                                      1)));
        r->n_sec++;
        if (!r->sec[r->n_sec - 1][0] || !r->sec[r->n_sec - 1][1]) {
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static int parse_field_renames(vms_check_rules *r, json_t *v,
                               const char *origin, vms_error *err)
{
    char path[VMS_ERROR_PATH_MAX];
    const char *key;
    json_t *list;
    void *a;

    if (!json_is_object(v)) {
        return bad(err, origin, "$.field_renames",
                   "expected an object of key: [names]");
    }
    a = realloc(r->groups, (r->n_groups + json_object_size(v) + 1) *
                               sizeof(*r->groups));
    if (!a) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    r->groups = a;
    json_object_foreach(v, key, list) {
        rename_group *g = &r->groups[r->n_groups];
        size_t i;
        json_t *name;

        snprintf(path, sizeof(path), "$.field_renames.%s", key);
        if (!json_is_array(list) || json_array_size(list) < 2) {
            return bad(err, origin, path,
                       "expected an array of at least two names");
        }
        memset(g, 0, sizeof(*g));
        g->key = strdup(key);
        g->names = calloc(json_array_size(list), sizeof(*g->names));
        r->n_groups++;
        if (!g->key || !g->names) {
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
        json_array_foreach(list, i, name) {
            if (!json_is_string(name)) {
                snprintf(path, sizeof(path), "$.field_renames.%s[%zu]", key,
                         i);
                return bad(err, origin, path, "expected a string");
            }
            g->names[i] = strdup(json_string_value(name));
            if (!g->names[i]) {
                return vms_error_set(err, VMS_ENOMEM, "out of memory");
            }
            g->n++;
        }
    }
    return 0;
}

static int append_name(vms_check_rules *r, const char *name, vms_error *err)
{
    size_t old = r->name ? strlen(r->name) + 1 : 0;
    char *n = realloc(r->name, old + strlen(name) + 1);

    if (!n) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    if (old) {
        n[old - 1] = '+';
    }
    strcpy(n + old, name);
    r->name = n;
    return 0;
}

json_t *vms__check_json_parse(const char *text, size_t len, size_t flags,
                              const char *origin, vms_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, flags, &je);

    if (!root) {
        vms_error_set(err, VMS_EFORMAT, "%s", je.text);
        vms_error_set_file(err, origin);
        if (err) {
            err->line = je.line > 0 ? je.line : 0;
            err->column = je.column > 0 ? je.column : 0;
        }
    }
    return root;
}

int vms_check_rules_add_json(vms_check_rules *r, const char *text,
                             size_t len, const char *origin, vms_error *err)
{
    json_t *root, *v;
    const char *key, *name = origin;
    int e = 0;

    vms_error_clear(err);
    root = vms__check_json_parse(text, len, JSON_REJECT_DUPLICATES, origin,
                                 err);
    if (!root) {
        return VMS_EFORMAT;
    }
    if (!json_is_object(root)) {
        e = bad(err, origin, "$", "expected an object (vmstate-rules(5))");
        goto out;
    }
    /* Unknown keys are refused: a misspelt table would silently do nothing. */
    json_object_foreach(root, key, v) {
        char path[VMS_ERROR_PATH_MAX];

        snprintf(path, sizeof(path), "$.%s", key);
        if (strcmp(key, "name") == 0 || strcmp(key, "about") == 0) {
            if (!json_is_string(v)) {
                e = bad(err, origin, path, "expected a string");
                goto out;
            }
            if (strcmp(key, "name") == 0) {
                name = json_string_value(v);
            }
        } else if (strcmp(key, "unused_size") == 0) {
            const char *s = json_is_string(v) ? json_string_value(v) : "";

            if (strcmp(s, "size") != 0 && strcmp(s, "size*num") != 0) {
                e = bad(err, origin, path,
                        "expected \"size\" or \"size*num\"");
                goto out;
            }
        } else if (strcmp(key, "section_renames") != 0 &&
                   strcmp(key, "field_renames") != 0) {
            e = bad(err, origin, path, "unknown key (expected name, about, "
                    "unused_size, section_renames, field_renames)");
            goto out;
        }
    }
    if ((v = json_object_get(root, "section_renames")) &&
        (e = parse_section_renames(r, v, origin, err))) {
        goto out;
    }
    if ((v = json_object_get(root, "field_renames")) &&
        (e = parse_field_renames(r, v, origin, err))) {
        goto out;
    }
    if ((v = json_object_get(root, "unused_size"))) {
        r->unused_num = strcmp(json_string_value(v), "size*num") == 0;
    }
    e = append_name(r, name ? name : "rules", err);
out:
    json_decref(root);
    return e;
}

int vms_check_rules_add_builtin(vms_check_rules *r, const char *name,
                                vms_error *err)
{
    for (size_t i = 0; vms__builtin_rules[i].name; i++) {
        if (strcmp(vms__builtin_rules[i].name, name) == 0) {
            return vms_check_rules_add_json(r, vms__builtin_rules[i].text,
                                            strlen(vms__builtin_rules[i].text),
                                            name, err);
        }
    }
    return vms_error_set(err, VMS_ENOTFOUND, "no built-in rules named '%s'",
                         name);
}

int vms_check_rules_add_file(vms_check_rules *r, const char *path,
                             vms_error *err)
{
    char *text;
    size_t len;
    int e;

    e = vms__read_file(path, RULES_MAX_BYTES, "rules file", "16 MiB", &text,
                       &len, err);
    if (e) {
        return e;
    }
    e = vms_check_rules_add_json(r, text, len, path, err);
    free(text);
    return e;
}

static vms_check_rules *default_rules;

static void default_init(void)
{
    vms_check_rules *r = vms_check_rules_new(NULL);

    if (r) {
        if (vms_check_rules_add_builtin(r, VMS_CHECK_RULES_DEFAULT, NULL)) {
            vms_check_rules_free(r);
            r = NULL;
        }
        default_rules = r;
    }
}

const vms_check_rules *vms__check_rules_default(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, default_init);
    return default_rules;
}

static bool in_group(const rename_group *g, const char *s)
{
    for (size_t i = 0; i < g->n; i++) {
        if (strcmp(g->names[i], s) == 0) {
            return true;
        }
    }
    return false;
}

bool vms__rules_names_match(const vms_check_rules *r, const char *key,
                            const char *s, const char *d)
{
    if (strcmp(s, d) == 0) {
        return true;
    }
    for (size_t i = 0; r && i < r->n_groups; i++) {
        if (strcmp(r->groups[i].key, key) == 0 &&
            in_group(&r->groups[i], s) && in_group(&r->groups[i], d)) {
            return true;
        }
    }
    return false;
}

const char *vms__rules_section_rename(const vms_check_rules *r,
                                      const char *sec)
{
    for (size_t i = 0; r && i < r->n_sec; i++) {
        if (strcmp(r->sec[i][0], sec) == 0) {
            return r->sec[i][1];
        }
        if (strcmp(r->sec[i][1], sec) == 0) {
            return r->sec[i][0];
        }
    }
    return "";
}

bool vms__rules_unused_num(const vms_check_rules *r)
{
    return !r || r->unused_num;
}

/* verify.c's lookups: the default rules. */
bool vms__check_names_match(const char *key, const char *s, const char *d)
{
    return vms__rules_names_match(vms__check_rules_default(), key, s, d);
}

const char *vms__check_section_rename(const char *sec)
{
    return vms__rules_section_rename(vms__check_rules_default(), sec);
}
