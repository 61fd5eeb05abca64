/*
 * libvmstate: the one walk over a description, and the visitors'
 * allocator.
 *
 * The walk follows QEMU's migration/vmstate.c rules (read there for the
 * facts; this is our own code): which fields travel, how many elements,
 * subsections by name with the parent's name as prefix, equal checks,
 * hooks. Visitors never repeat these rules.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/desc.h"
#include "vmstate/visitor.h"
#include "vmstate/error.h"
#include "desc_priv.h"
#include "walk.h"

/* Pointers inside device structs need not be aligned in a packed state. */
static uint8_t *load_ptr(const void *at)
{
    uint8_t *p;

    memcpy(&p, at, sizeof(p));
    return p;
}

static bool is_array(const vms_field *f)
{
    return (f->flags & (VMS_F_ARRAY | VMS_F_VARRAY_ANY)) != 0;
}

typedef struct walk {
    vms_visitor *v;
    vms_error *err;
    int depth;
} walk;

/*
 * Append ".name" (or "[index]" when name is NULL) to the path; returns the
 * old length for path_pop. Runs for every field of every save and load,
 * so no snprintf: a long path is cut at the buffer's end.
 */
static size_t path_push(walk *w, const char *name, uint32_t index)
{
    vms_visitor *v = w->v;
    size_t old = v->path_len, room = sizeof(v->path) - 1 - old;
    char tmp[16], *p = v->path + old;
    size_t n;

    if (name) {
        if (old && room) {
            *p++ = '.';
            room--;
        }
        n = strlen(name);
    } else {
        /* "[index]" built backwards */
        char *q = tmp + sizeof(tmp);
        *--q = ']';
        do {
            *--q = (char)('0' + index % 10);
            index /= 10;
        } while (index);
        *--q = '[';
        name = q;
        n = (size_t)(tmp + sizeof(tmp) - q);
    }
    n = n < room ? n : room;
    memcpy(p, name, n);
    p[n] = 0;
    v->path_len = (size_t)(p + n - v->path);
    return old;
}

static void path_pop(walk *w, size_t old)
{
    w->v->path_len = old;
    w->v->path[old] = 0;
}

/* First error wins its path: the innermost element that failed. */
static int fail(walk *w, int code)
{
    if (w->err && !w->err->path[0]) {
        vms_error_set_path(w->err, w->v->path);
    }
    if (w->err && !w->err->has_offset && w->v->ops->input_offset) {
        w->err->has_offset = 1;
        w->err->offset = w->v->ops->input_offset(w->v);
    }
    return code;
}

static int failf(walk *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(walk *w, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(w->err, code, fmt, ap);
    va_end(ap);
    return fail(w, code);
}

static int walk_desc(walk *w, const vms_desc *d, const vms_field *f,
                     void *opaque, int version_id);

static void mark_offset(walk *w, bool known, uint64_t at)
{
    if (known) {
        w->err->has_offset = 1;
        w->err->offset = at;
    }
}

/*
 * Validated fields are read into a scratch copy and checked against what
 * the destination already has: "equal" ones must agree, "int32 le" ones
 * must lie in 0..current (QEMU's VMSTATE_INT32_POSITIVE_LE).
 */
/* visitor.h promises that a NULL callback is "nothing to do": leaf too. */
static int visit_leaf(vms_visitor *v, const vms_field *f, void *elem)
{
    return v->ops->leaf ? v->ops->leaf(v, f, elem, f->size) : 0;
}

static int leaf_checked(walk *w, const vms_field *f, void *elem)
{
    uint64_t want = 0, got = 0;
    uint8_t tmp[8], a[8], b[8];
    bool le = f->type == VMS_TYPE_INT32_LE, known = false;
    uint64_t at = 0;
    int e;

    /* Errors name the value's first byte, not the one after it. */
    if (w->err && w->v->ops->input_offset) {
        at = w->v->ops->input_offset(w->v);
        known = !w->err->has_offset;
    }
    memcpy(tmp, elem, f->size);
    e = visit_leaf(w->v, f, tmp);
    if (e) {
        return fail(w, e);
    }
    if (le) {
        int32_t cur, got32;
        memcpy(&cur, elem, sizeof(cur));
        memcpy(&got32, tmp, sizeof(got32));
        if (got32 < 0 || got32 > cur) {
            mark_offset(w, known, at);
            return failf(w, VMS_EFORMAT, "%d is not in 0..%d", got32, cur);
        }
        memcpy(elem, tmp, sizeof(got32));
        return 0;
    }
    if (memcmp(tmp, elem, f->size) != 0) {
        mark_offset(w, known, at);
        vms_leaf_to_wire(f, elem, f->size, a);
        vms_leaf_to_wire(f, tmp, f->size, b);
        for (size_t i = 0; i < f->size; i++) {
            want = (want << 8) | a[i];
            got = (got << 8) | b[i];
        }
        return failf(w, VMS_EMISMATCH, "expected 0x%llx, got 0x%llx",
                     (unsigned long long)want, (unsigned long long)got);
    }
    return 0;
}

static int walk_element(walk *w, const vms_field *f, void *elem)
{
    vms_visitor *v = w->v;
    int e;

    if (f->offset == VMS_NO_STORAGE) {
        /* Padding with no memory behind it: zeros out, discarded in. */
        uint8_t small[256], *tmp = small;
        if (f->size > sizeof(small) && !(tmp = calloc(1, f->size))) {
            return failf(w, VMS_ENOMEM, "out of memory");
        }
        if (tmp == small) {
            memset(small, 0, sizeof(small));
        }
        e = visit_leaf(v, f, tmp);
        if (tmp != small) {
            free(tmp);
        }
    } else if (!elem) {
        e = v->ops->null_elem ? v->ops->null_elem(v, f) : 0;
    } else if (f->type == VMS_TYPE_STRUCT) {
        /* Nested structs always travel in their own current version. */
        return walk_desc(w, f->vmsd, f, elem, f->vmsd->version_id);
    } else if (v->input && ((f->flags & VMS_F_EQUAL) ||
                            f->type == VMS_TYPE_INT32_LE)) {
        return leaf_checked(w, f, elem);
    } else {
        e = visit_leaf(v, f, elem);
    }
    return e ? fail(w, e) : 0;
}

static int walk_field(walk *w, const vms_field *f, void *opaque)
{
    vms_visitor *v = w->v;
    uint8_t *base;
    uint32_t n, i;
    size_t stride;
    int e;

    if (vms_field_count(f, opaque, &n)) {
        return failf(w, VMS_EFORMAT, "negative element count");
    }
    /* A count that came from the stream must fit the memory behind it. */
    if ((f->flags & VMS_F_VARRAY_ANY) && f->num && n > f->num) {
        return failf(w, VMS_ELIMIT, "%u elements, room for %u", n, f->num);
    }
    if (f->offset == VMS_NO_STORAGE) {
        base = NULL;
    } else {
        base = (uint8_t *)opaque + f->offset;
        if (f->flags & VMS_F_POINTER) {
            base = load_ptr(base);
            if (!base && n && f->size) {
                return failf(w, VMS_EINVAL, "NULL pointer for %u elements",
                             n);
            }
        }
    }
    if (!is_array(f)) {
        if (f->flags & VMS_F_ARRAY_OF_POINTER) {
            base = load_ptr(base);
        }
        return walk_element(w, f, base);
    }
    stride = (f->flags & VMS_F_ARRAY_OF_POINTER) ? sizeof(void *) : f->size;
    if (v->ops->begin_array && (e = v->ops->begin_array(v, f, n))) {
        return fail(w, e);
    }
    for (i = 0; i < n; i++) {
        uint8_t *elem = base ? base + (size_t)i * stride : NULL;
        size_t old = path_push(w, NULL, i);
        if (elem && (f->flags & VMS_F_ARRAY_OF_POINTER)) {
            elem = load_ptr(elem);
        }
        e = walk_element(w, f, elem);
        path_pop(w, old);
        if (e) {
            return e;
        }
    }
    if (v->ops->end_array && (e = v->ops->end_array(v, f))) {
        return fail(w, e);
    }
    return 0;
}

static const vms_desc *find_subsection(const vms_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n_subsections; i++) {
        if (strcmp(d->subsections[i]->name, name) == 0) {
            return d->subsections[i];
        }
    }
    return NULL;
}

static int walk_subsection(walk *w, const vms_desc *sub, void *opaque)
{
    vms_visitor *v = w->v;
    uint32_t version = (uint32_t)sub->version_id;
    int e;

    if (v->ops->subsection_begin &&
        (e = v->ops->subsection_begin(v, sub, &version))) {
        return fail(w, e);
    }
    if (version > INT32_MAX) {
        return failf(w, VMS_EVERSION, "%s: version %u out of range",
                     sub->name, version);
    }
    e = walk_desc(w, sub, NULL, opaque, (int)version);
    if (e) {
        return e;
    }
    if (v->ops->subsection_end && (e = v->ops->subsection_end(v, sub))) {
        return fail(w, e);
    }
    return 0;
}

static int save_subsections(walk *w, const vms_desc *d, void *opaque)
{
    for (size_t i = 0; i < d->n_subsections; i++) {
        const vms_desc *sub = d->subsections[i];
        if (sub->needed && !sub->needed(opaque, sub)) {
            continue;
        }
        int e = walk_subsection(w, sub, opaque);
        if (e) {
            return e;
        }
    }
    return 0;
}

/*
 * QEMU accepts subsections while the next record is a subsection whose
 * name starts with ours: a nested struct's subsections come right after
 * its fields, and anything else belongs to an enclosing description.
 */
static int load_subsections(walk *w, const vms_desc *d, void *opaque)
{
    vms_visitor *v = w->v;
    size_t plen = strlen(d->name);
    char name[256];

    if (!v->ops->subsection_peek) {
        return 0;
    }
    for (;;) {
        const vms_desc *sub;
        int e = v->ops->subsection_peek(v, name);
        if (e < 0) {
            return fail(w, e);
        }
        if (e == 0 || strlen(name) < plen + 1 ||
            strncmp(name, d->name, plen) != 0) {
            return 0;
        }
        sub = find_subsection(d, name);
        if (!sub) {
            return failf(w, VMS_ENOTFOUND,
                         "subsection \"%s\" does not exist in \"%s\"",
                         name, d->name);
        }
        e = walk_subsection(w, sub, opaque);
        if (e) {
            return e;
        }
    }
}

static int walk_desc(walk *w, const vms_desc *d, const vms_field *sf,
                     void *opaque, int version_id)
{
    vms_visitor *v = w->v;
    size_t old = v->path_len;
    int e = 0;

    if (++w->depth > VMS__WALK_MAX_DEPTH) {
        w->depth--;
        return failf(w, VMS_ELIMIT, "%s: nested deeper than %d",
                     d->name, VMS__WALK_MAX_DEPTH);
    }
    if (!sf) {
        /* Nested structs are already named by their field. */
        path_push(w, d->name, 0);
    }
    if (v->input) {
        if (version_id > d->version_id) {
            /* the path names a top-level description already */
            e = failf(w, VMS_EVERSION,
                      "%s%s%sversion %d is newer than %d, the newest "
                      "this description loads", sf ? "struct " : "",
                      sf ? d->name : "", sf ? ": " : "", version_id,
                      d->version_id);
        } else if (version_id < d->minimum_version_id) {
            e = failf(w, VMS_EVERSION,
                      "%s%s%sversion %d is older than %d, the oldest "
                      "this description loads", sf ? "struct " : "",
                      sf ? d->name : "", sf ? ": " : "", version_id,
                      d->minimum_version_id);
        }
    } else if (!v->input && d->pre_save && (e = d->pre_save(opaque, d))) {
        e = failf(w, e < 0 ? e : VMS_EINVAL, "%s: pre_save failed",
                  d->name);
    }
    if (!e && v->input && d->pre_load && (e = d->pre_load(opaque, d))) {
        e = failf(w, e < 0 ? e : VMS_EINVAL, "%s: pre_load failed",
                  d->name);
    }
    if (!e && v->ops->begin_desc) {
        e = v->ops->begin_desc(v, d, sf, version_id);
        e = e ? fail(w, e) : 0;
    }
    for (size_t i = 0; !e && i < d->n_fields; i++) {
        const vms_field *f = &d->fields[i];
        size_t fold;
        if (!vms_field_exists(f, opaque, version_id)) {
            continue;
        }
        fold = path_push(w, f->name, 0);
        e = walk_field(w, f, opaque);
        path_pop(w, fold);
    }
    if (!e) {
        e = v->input ? load_subsections(w, d, opaque)
                     : save_subsections(w, d, opaque);
    }
    if (!e && v->ops->end_desc) {
        e = v->ops->end_desc(v, d, sf);
        e = e ? fail(w, e) : 0;
    }
    if (!e && v->input && d->post_load &&
        (e = d->post_load(opaque, version_id, d))) {
        e = failf(w, e < 0 ? e : VMS_EINVAL, "%s: post_load failed",
                  d->name);
    }
    path_pop(w, old);
    w->depth--;
    return e;
}

int vms__state_try_load(void *opaque, const vms_desc *d, size_t size,
                        vms_error *err)
{
    vms__state_try *t = opaque;
    vms_visitor *v = NULL;
    int e;

    free(t->state);
    if (!(t->state = calloc(1, size ? size : 1))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    if ((e = t->input(t->opaque, &v, err))) {
        return e == VMS_ENOMEM ? vms_error_set(err, e, "out of memory") : e;
    }
    e = vms_walk(v, d, t->state, t->version, err);
    vms_visitor_free(v);
    return e;
}

int vms_walk(vms_visitor *v, const vms_desc *d, void *opaque,
             int version_id, vms_error *err)
{
    walk w = { .v = v, .err = err, .depth = 0 };

    v->err = err;
    v->path_len = 0;
    v->path[0] = 0;
    if (!v->input) {
        version_id = d->version_id;
    }
    return walk_desc(&w, d, NULL, opaque, version_id);
}

void vms_visitor_free(vms_visitor *v)
{
    if (v && v->ops->free) {
        v->ops->free(v);
    }
}

vms_visitor *vms__visitor_alloc(size_t size, const vms_visit_ops *ops,
                               bool input, vms_error *err)
{
    vms_visitor *v = calloc(1, size);

    if (!v) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    v->ops = ops;
    v->input = input;
    return v;
}

void vms__visitor_free_plain(vms_visitor *v)
{
    free(v);
}
