/*
 * Whether two dump models are equal, member by member and in order: the
 * readers (yajl, yajl without indentation, simdjson) must build the same
 * one. Shared by tests/unit/test_dump.c and tests/fuzz/fuzz_dump.c.
 */
#ifndef VMS_TESTS_DUMP_SAME_H
#define VMS_TESTS_DUMP_SAME_H

#include <stdbool.h>
#include <string.h>
#include "vmstate/dump.h"

static inline bool same_str(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

static inline bool same_keys(const vms_dump_key *a, const vms_dump_key *b)
{
    for (; a && b; a = a->next, b = b->next) {
        if (!same_str(a->name, b->name)) {
            return false;
        }
    }
    return a == b;
}

static inline bool same_versions(int64_t va, int64_t vb, bool ha, bool hb,
                                 int64_t ma, int64_t mb)
{
    return va == vb && ha == hb && (!ha || ma == mb);
}

static inline bool same_desc(const vms_dump_desc *a, const vms_dump_desc *b);

static inline bool same_fields(const vms_dump_field *a,
                               const vms_dump_field *b)
{
    for (; a && b; a = a->next, b = b->next) {
        if (!same_str(a->name, b->name) ||
            !same_versions(a->version_id, b->version_id,
                           a->has_minimum_version_id,
                           b->has_minimum_version_id,
                           a->minimum_version_id, b->minimum_version_id) ||
            a->size != b->size || a->has_num != b->has_num ||
            (a->has_num && a->num != b->num) ||
            a->field_exists != b->field_exists ||
            !same_desc(a->desc, b->desc)) {
            return false;
        }
    }
    return a == b;
}

static inline bool same_desc(const vms_dump_desc *a, const vms_dump_desc *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (!same_str(a->name, b->name) ||
        !same_versions(a->version_id, b->version_id,
                       a->has_minimum_version_id, b->has_minimum_version_id,
                       a->minimum_version_id, b->minimum_version_id) ||
        a->has_fields != b->has_fields ||
        a->has_subsections != b->has_subsections ||
        !same_fields(a->fields, b->fields) || !same_keys(a->keys, b->keys)) {
        return false;
    }
    for (a = a->subsections, b = b->subsections; a && b;
         a = a->next, b = b->next) {
        if (!same_desc(a, b)) {
            return false;
        }
    }
    return a == b;
}

static inline bool same_dump(const vms_dump *x, const vms_dump *y)
{
    const vms_dump_section *a = vms_dump_sections(x);
    const vms_dump_section *b = vms_dump_sections(y);

    if (!same_str(vms_dump_machine(x), vms_dump_machine(y)) ||
        vms_dump_section_count(x) != vms_dump_section_count(y)) {
        return false;
    }
    for (; a && b; a = a->next, b = b->next) {
        if (!same_str(a->key, b->key) || !same_str(a->name, b->name) ||
            !same_versions(a->version_id, b->version_id,
                           a->has_minimum_version_id,
                           b->has_minimum_version_id,
                           a->minimum_version_id, b->minimum_version_id) ||
            !same_keys(a->keys, b->keys) || !same_desc(a->desc, b->desc) ||
            vms_dump_find(y, a->key) != b) {
            return false;
        }
    }
    return a == b;
}

#endif
