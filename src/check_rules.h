/*
 * The checker's rules (check_rules.c), private to the library: the
 * built-in tables compiled from data/rules/ (embed.py) and the lookups the
 * walk makes.
 */
#ifndef VMS__CHECK_RULES_H
#define VMS__CHECK_RULES_H

#include <stdbool.h>
#include "vmstate/check.h"

struct vms__builtin_rules {
    const char *name;
    const char *text;            /* the JSON file, verbatim */
};
/* The data/rules JSON files in meson's order, ended by { NULL, NULL }. */
extern const struct vms__builtin_rules vms__builtin_rules[];

/* The default built-in, parsed once; NULL only when out of memory. */
const vms_check_rules *vms__check_rules_default(void);
/*
 * check_fields_match(): s and d are equal or both in a rename list under
 * key (one list per key and file: lists of two files do not mix).
 */
bool vms__rules_names_match(const vms_check_rules *r, const char *key,
                            const char *s, const char *d);
/* get_changed_sec_name(): the other name of sec, "" when none. */
const char *vms__rules_section_rename(const vms_check_rules *r,
                                      const char *sec);
/* Whether an unused gap's size is size x num (QEMU >= 8.1's script). */
bool vms__rules_unused_num(const vms_check_rules *r);

/*
 * A rules file or baseline parsed by jansson; NULL with err naming origin
 * and the line and column of the syntax error.
 */
struct json_t;
struct json_t *vms__check_json_parse(const char *text, size_t len,
                                     size_t flags, const char *origin,
                                     vms_error *err);

/*
 * QEMU checker's rename tables under the default rules: field names s and
 * d of description key match; the other name of a renamed section, ""
 * when none.
 */
bool vms__check_names_match(const char *key, const char *s, const char *d);
const char *vms__check_section_rename(const char *sec);

#endif
