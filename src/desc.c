/*
 * libvmstate: descriptions (desc.h): what a field's type is called and
 * how many elements it has, and whether a description is sound. The
 * walk over them is walk.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/desc.h"
#include "vmstate/visitor.h"
#include "vmstate/error.h"
#include "desc_priv.h"
#include "types.h"

const char *vms_field_type_name(const vms_field *f)
{
    const vms__type_info *t;

    if (f->type_name) {
        return f->type_name;
    }
    if (!(t = vms__type_of(f->type, false))) {
        return "unknown";
    }
    if ((f->flags & VMS_F_EQUAL) && vms__type_of(f->type, true)) {
        t = vms__type_of(f->type, true);
    }
    return t->name;
}

const char *vms_field_vmdesc_name(const vms_desc *d, const vms_field *f,
                                  char *buf, size_t len)
{
    unsigned same = 0, before = 0;

    if (f->flags & VMS_F_VMDESC_NAME) {
        return f->name;
    }
    for (size_t i = 0; d && i < d->n_fields; i++) {
        if (strcmp(d->fields[i].name, f->name) == 0) {
            before += &d->fields[i] < f;
            same++;
        }
    }
    if (same < 2) {
        return f->name;
    }
    snprintf(buf, len, "%s[%u]", f->name, before);
    return buf;
}

size_t vms_type_fixed_size(vms_type t)
{
    const vms__type_info *ti = vms__type_of(t, false);

    return ti ? ti->size : 0;
}

bool vms_type_is_bytes(vms_type t)
{
    const vms__type_info *ti = vms__type_of(t, false);

    return ti && ti->bytes;
}

bool vms_field_exists(const vms_field *f, void *opaque, int version_id)
{
    if (f->field_exists) {
        return f->field_exists(opaque, version_id);
    }
    return f->version_id <= version_id;
}

int vms_field_count(const vms_field *f, const void *opaque, uint32_t *count)
{
    const uint8_t *p = (const uint8_t *)opaque + f->num_offset;

    if (f->flags & VMS_F_ARRAY) {
        *count = f->num;
    } else if (f->flags & VMS_F_VARRAY_U8) {
        *count = *p;
    } else if (f->flags & VMS_F_VARRAY_U16) {
        uint16_t n;
        memcpy(&n, p, sizeof(n));
        *count = n;
    } else if (f->flags & VMS_F_VARRAY_U32) {
        memcpy(count, p, sizeof(*count));
    } else if (f->flags & VMS_F_VARRAY_I32) {
        int32_t n;
        memcpy(&n, p, sizeof(n));
        if (n < 0) {
            return VMS_EFORMAT;
        }
        *count = (uint32_t)n;
    } else {
        *count = 1;
    }
    return 0;
}

/* ---- validation -------------------------------------------------------- */

static int validate(const vms_desc *d, int depth, vms_error *err)
{
    size_t i;

    if (depth > VMS__WALK_MAX_DEPTH) {
        return vms_error_set(err, VMS_ELIMIT,
                             "descriptions nested deeper than %d",
                             VMS__WALK_MAX_DEPTH);
    }
    if (!d->name || !d->name[0]) {
        return vms_error_set(err, VMS_EINVAL, "description without a name");
    }
    if (d->minimum_version_id > d->version_id) {
        return vms_error_set(err, VMS_EINVAL,
                             "%s: minimum_version_id %d above version_id %d",
                             d->name, d->minimum_version_id, d->version_id);
    }
    if (d->n_fields && !d->fields) {
        return vms_error_set(err, VMS_EINVAL, "%s: fields missing", d->name);
    }
    for (i = 0; i < d->n_fields; i++) {
        const vms_field *f = &d->fields[i];
        unsigned varray = f->flags & VMS_F_VARRAY_ANY;
        size_t fixed;

        if (!f->name || !f->name[0]) {
            return vms_error_set(err, VMS_EINVAL,
                                 "%s: field %zu has no name", d->name, i);
        }
        if ((unsigned)f->type >= VMS_TYPE__COUNT) {
            return vms_error_set(err, VMS_EINVAL, "%s.%s: bad type %d",
                                 d->name, f->name, (int)f->type);
        }
        if ((varray & (varray - 1)) || (varray && (f->flags & VMS_F_ARRAY))) {
            return vms_error_set(err, VMS_EINVAL,
                                 "%s.%s: more than one array layout",
                                 d->name, f->name);
        }
        fixed = vms_type_fixed_size(f->type);
        if (fixed && f->size != fixed) {
            return vms_error_set(err, VMS_EINVAL,
                                 "%s.%s: %s needs size %zu, not %zu",
                                 d->name, f->name, vms_field_type_name(f),
                                 fixed, f->size);
        }
        if (f->type == VMS_TYPE_BITMAP && f->size % 8) {
            return vms_error_set(err, VMS_EINVAL,
                                 "%s.%s: bitmap size %zu is not whole "
                                 "64-bit words", d->name, f->name, f->size);
        }
        if (f->type == VMS_TYPE_STRUCT) {
            int e;
            if (!f->vmsd) {
                return vms_error_set(err, VMS_EINVAL,
                                     "%s.%s: struct without a description",
                                     d->name, f->name);
            }
            e = validate(f->vmsd, depth + 1, err);
            if (e) {
                return e;
            }
        } else if (!f->size && f->type != VMS_TYPE_UNUSED &&
                   !vms_type_is_bytes(f->type)) {
            return vms_error_set(err, VMS_EINVAL, "%s.%s: size 0",
                                 d->name, f->name);
        }
        if ((f->flags & VMS_F_EQUAL) && !vms__type_of(f->type, true)) {
            return vms_error_set(err, VMS_EINVAL,
                                 "%s.%s: only integers can be \"equal\"",
                                 d->name, f->name);
        }
    }
    if (d->n_subsections && !d->subsections) {
        return vms_error_set(err, VMS_EINVAL, "%s: subsections missing",
                             d->name);
    }
    for (i = 0; i < d->n_subsections; i++) {
        int e = validate(d->subsections[i], depth + 1, err);
        if (e) {
            return e;
        }
    }
    return 0;
}

int vms_desc_validate(const vms_desc *d, vms_error *err)
{
    return validate(d, 0, err);
}
