/*
 * libvmstate: vmdesc JSON and run-time descriptions built from it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "vmstate/vmdesc.h"
#include "vmstate/limits.h"
#include "bytes.h"
#include "fileio.h"
#include "vmdesc_priv.h"


struct built {
    const json_t *dev;
    const vms_desc *desc;      /* NULL until built */
    size_t state_size;
};

struct vms_vmdesc {
    json_t *root;
    uint32_t page_size;
    struct built *devs;
    size_t ndevs;
    /*
     * (name, instance_id) -> index in devs + 1, the last entry of a pair
     * winning: one lookup per device section, which a hostile stream can
     * repeat a million times over a million entries.
     */
    size_t *index;
    size_t index_mask;
    void **allocs;             /* everything the descriptions own */
    size_t nallocs, capallocs;
    /*
     * Built from a -dump-vmstate dump (dumpdesc.c): field names are
     * QEMU's own, made unique the vmdesc way by vms_field_vmdesc_name.
     */
    bool dump_names;
};

static void *own(vms_vmdesc *d, size_t size)
{
    void *p;

    if (d->nallocs == d->capallocs) {
        size_t c = d->capallocs ? 2 * d->capallocs : 64;
        void **n = realloc(d->allocs, c * sizeof(*n));
        if (!n) {
            return NULL;
        }
        d->allocs = n;
        d->capallocs = c;
    }
    p = calloc(1, size ? size : 1);
    if (p) {
        d->allocs[d->nallocs++] = p;
    }
    return p;
}

void vms_vmdesc_free(vms_vmdesc *d)
{
    if (d) {
        for (size_t i = 0; i < d->nallocs; i++) {
            free(d->allocs[i]);
        }
        free(d->allocs);
        free(d->devs);
        free(d->index);
        json_decref(d->root);
        free(d);
    }
}

static bool get_uint(const json_t *o, const char *key, uint64_t max,
                     uint64_t *v)
{
    const json_t *j = json_object_get(o, key);

    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        (uint64_t)json_integer_value(j) > max) {
        return false;
    }
    *v = (uint64_t)json_integer_value(j);
    return true;
}

static const char *str_or(const json_t *o, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : def;
}

static size_t dev_slot(const vms_vmdesc *d, const char *name,
                       uint32_t instance_id)
{
    size_t i = vms__hash_str(name, 2166136261u ^ instance_id) & d->index_mask;

    while (d->index[i]) {
        const json_t *o = d->devs[d->index[i] - 1].dev;
        uint64_t inst;
        if (strcmp(str_or(o, "name", ""), name) == 0 &&
            get_uint(o, "instance_id", UINT32_MAX, &inst) &&
            inst == instance_id) {
            break;
        }
        i = (i + 1) & d->index_mask;
    }
    return i;
}

static int build_index(vms_vmdesc *d)
{
    size_t n = 16;

    while (n < 2 * d->ndevs) {
        n *= 2;
    }
    d->index = calloc(n, sizeof(*d->index));
    if (!d->index) {
        return -1;
    }
    d->index_mask = n - 1;
    for (size_t i = 0; i < d->ndevs; i++) {
        uint64_t inst;
        if (get_uint(d->devs[i].dev, "instance_id", UINT32_MAX, &inst)) {
            const char *name = str_or(d->devs[i].dev, "name", "");
            d->index[dev_slot(d, name, (uint32_t)inst)] = i + 1;
        }
    }
    return 0;
}

int vms_vmdesc_parse(const char *text, size_t len, const char *name,
                     vms_vmdesc **out, vms_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);

    *out = NULL;
    if (!root) {
        vms_error_set_file(err, name);
        /* The text's own position: the caller knows the file offset. */
        return vms_error_set(err, VMS_EFORMAT, "description JSON, line %d "
                             "column %d: %s", je.line, je.column, je.text);
    }
    return vms__vmdesc_from_json(root, name, false, out, err);
}

int vms__vmdesc_from_json(json_t *root, const char *name, bool dump_names,
                          vms_vmdesc **out, vms_error *err)
{
    vms_vmdesc *d = calloc(1, sizeof(*d));
    const json_t *devs;
    uint64_t ps;

    *out = NULL;
    if (!d) {
        json_decref(root);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    d->root = root;
    d->dump_names = dump_names;
    devs = json_object_get(d->root, "devices");
    if (!json_is_object(d->root) || !json_is_array(devs)) {
        vms_vmdesc_free(d);
        vms_error_set_file(err, name);
        return vms_error_set(err, VMS_EFORMAT, "description JSON has no "
                             "\"devices\" list");
    }
    if (get_uint(d->root, "page_size", 1u << 30, &ps)) {
        d->page_size = (uint32_t)ps;
    }
    d->ndevs = json_array_size(devs);
    d->devs = calloc(d->ndevs ? d->ndevs : 1, sizeof(*d->devs));
    if (!d->devs) {
        vms_vmdesc_free(d);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->ndevs; i++) {
        d->devs[i].dev = json_array_get(devs, i);
    }
    if (build_index(d)) {
        vms_vmdesc_free(d);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    *out = d;
    return 0;
}

int vms_vmdesc_load_file(const char *path, vms_vmdesc **out, vms_error *err)
{
    char *buf;
    size_t len;
    int e;

    *out = NULL;
    if ((e = vms__read_file(path, VMS_LIMIT_DESC_FILE, "description file",
                            "VMS_LIMIT_DESC_FILE", &buf, &len, err))) {
        return e;
    }
    e = vms_vmdesc_parse(buf, len, path, out, err);
    free(buf);
    return e;
}

uint32_t vms_vmdesc_page_size(const vms_vmdesc *d)
{
    return d->page_size;
}

/* Python's repr(float): the shortest text that reads back the same. */
static int write_real(vms_jsonw *w, double x)
{
    char buf[40];

    if (!isfinite(x)) {
        return vms_jsonw_raw(w, isnan(x) ? "NaN" : x > 0 ? "Infinity"
                                                         : "-Infinity",
                             isnan(x) ? 3 : x > 0 ? 8 : 9);
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, x);
        if (strtod(buf, NULL) == x) {
            break;
        }
    }
    if (!strpbrk(buf, ".en")) {
        strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
    }
    return vms_jsonw_raw(w, buf, strlen(buf));
}

static int write_json(vms_jsonw *w, const json_t *j, int depth)
{
    int e = 0;

    if (depth > 256) {
        return VMS_ELIMIT;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        e = vms_jsonw_begin_object(w);
        json_object_foreach((json_t *)j, key, val) {
            if (!e) {
                e = vms_jsonw_key(w, key);
            }
            if (!e) {
                e = write_json(w, val, depth + 1);
            }
        }
        return e ? e : vms_jsonw_end_object(w);
    }
    case JSON_ARRAY:
        e = vms_jsonw_begin_array(w);
        for (size_t i = 0; !e && i < json_array_size(j); i++) {
            e = write_json(w, json_array_get(j, i), depth + 1);
        }
        return e ? e : vms_jsonw_end_array(w);
    case JSON_STRING:
        return vms_jsonw_string_len(w, json_string_value(j),
                                    json_string_length(j));
    case JSON_INTEGER:
        return vms_jsonw_int(w, json_integer_value(j));
    case JSON_REAL:
        return write_real(w, json_real_value(j));
    case JSON_TRUE:
        return vms_jsonw_bool(w, true);
    case JSON_FALSE:
        return vms_jsonw_bool(w, false);
    case JSON_NULL:
        return vms_jsonw_null(w);
    }
    return 0;
}

int vms_vmdesc_write(const vms_vmdesc *d, vms_jsonw *w)
{
    return write_json(w, d->root, 0);
}

/* ---- run-time descriptions --------------------------------------------- */

/*
 * A subsection shares its parent's state: a byte of that state, at
 * self->user, says whether the stream carried it, so that output visitors
 * print exactly what was loaded.
 */
static bool sub_needed(void *opaque, const vms_desc *self)
{
    return ((const uint8_t *)opaque)[self->user] != 0;
}

static int sub_loaded(void *opaque, int version_id, const vms_desc *self)
{
    (void)version_id;
    ((uint8_t *)opaque)[self->user] = 1;
    return 0;
}

typedef struct builder {
    vms_vmdesc *d;
    vms_error *err;
    const char *device;
    bool placeholder;          /* a NULL-pointer placeholder was met */
} builder;

static int bad(builder *b, const char *what, const char *name)
{
    return vms_error_set(b->err, VMS_EFORMAT,
                         "description of '%s': %s%s%s", b->device, what,
                         name ? " " : "", name ? name : "");
}

/*
 * Lay out o's fields from offset base; *end receives the offset after
 * them and after its subsections (which share the same state), *elems the
 * number of values a walk visits (elements of size 0 take no state, so
 * only this bounds the work of nested arrays of them).
 */
static int build(builder *b, const json_t *o, size_t base, int depth,
                 vms_desc **out, size_t *end, uint64_t *elems)
{
    const json_t *fields = json_object_get(o, "fields");
    const json_t *subs = json_object_get(o, "subsections");
    size_t nf = json_array_size(fields), ns = json_array_size(subs);
    size_t cur = base;
    uint64_t ver = 0, count = 0;
    vms_desc *d;
    vms_field *fs;
    const vms_desc **ss;
    int e;

    if (depth > VMS_LIMIT_DESC_DEPTH) {
        return vms_error_set(b->err, VMS_ELIMIT, "description of '%s': "
                             "nested deeper than VMS_LIMIT_DESC_DEPTH (%d)",
                             b->device, VMS_LIMIT_DESC_DEPTH);
    }
    if (!json_is_object(o) || (fields && !json_is_array(fields)) ||
        (subs && !json_is_array(subs))) {
        return bad(b, "malformed entry", NULL);
    }
    d = own(b->d, sizeof(*d));
    fs = own(b->d, nf * sizeof(*fs));
    ss = own(b->d, ns * sizeof(*ss));
    if (!d || !fs || !ss) {
        return vms_error_set(b->err, VMS_ENOMEM, "out of memory");
    }
    d->name = str_or(o, "vmsd_name", str_or(o, "name", "?"));
    /* Old-style (save_state) entries carry no version: accept any. */
    if (!get_uint(o, "version", INT32_MAX, &ver)) {
        ver = INT32_MAX;
    }
    d->version_id = (int)ver;
    d->fields = fs;
    d->n_fields = nf;
    d->subsections = ss;
    d->n_subsections = ns;
    for (size_t i = 0; i < nf; i++) {
        const json_t *jf = json_array_get(fields, i);
        vms_field *f = &fs[i];
        uint64_t size = 0, num = 1, sub_elems = 0;
        const char *type;

        f->name = str_or(jf, "name", NULL);
        f->flags = b->d->dump_names ? 0 : VMS_F_VMDESC_NAME;
        type = str_or(jf, "type", NULL);
        if (!f->name || !type) {
            return bad(b, "field without name or type", NULL);
        }
        if (json_object_get(jf, "array_len")) {
            if (!get_uint(jf, "array_len", UINT32_MAX, &num)) {
                return bad(b, "bad array_len of field", f->name);
            }
            if (num > VMS_LIMIT_ARRAY_LEN) {
                return vms_error_set(b->err, VMS_ELIMIT, "description of "
                                     "'%s': array_len of field %s exceeds "
                                     "VMS_LIMIT_ARRAY_LEN (%u)", b->device,
                                     f->name, VMS_LIMIT_ARRAY_LEN);
            }
            num = num ? num : 1;    /* python reads one element of [0] */
            f->flags |= VMS_F_ARRAY;
            f->num = (uint32_t)num;
        }
        if (strcmp(type, "struct") == 0 &&
            !json_object_get(json_object_get(jf, "struct"), "fields") &&
            get_uint(jf, "size", 1, &size) && size == 1) {
            /*
             * QEMU 7.2 describes a NULL element of an array of pointers as
             * a struct without fields of size 1: it is the nullptr marker.
             */
            f->type = VMS_TYPE_RAW;
            f->type_name = "nullptr";
            b->placeholder = true;
        } else if (strcmp(type, "struct") == 0) {
            const json_t *js = json_object_get(jf, "struct");
            vms_desc *nested;
            size_t send;
            if (!js) {
                return bad(b, "struct without description: field", f->name);
            }
            if ((e = build(b, js, 0, depth + 1, &nested, &send,
                           &sub_elems))) {
                return e;
            }
            f->type = VMS_TYPE_STRUCT;
            f->vmsd = nested;
            size = send;
        } else if (strcmp(type, "capability") == 0) {
            return vms_error_set(b->err, VMS_EUNSUPPORTED,
                                 "description of '%s': field %s of type "
                                 "capability outside the configuration",
                                 b->device, f->name);
        } else {
            if (!get_uint(jf, "size", UINT32_MAX, &size)) {
                return bad(b, "bad size of field", f->name);
            }
            if (size > VMS_LIMIT_FIELD_SIZE) {
                return vms_error_set(b->err, VMS_ELIMIT, "description of "
                                     "'%s': size of field %s exceeds "
                                     "VMS_LIMIT_FIELD_SIZE (%u)", b->device,
                                     f->name, VMS_LIMIT_FIELD_SIZE);
            }
            f->type = VMS_TYPE_RAW;
            f->type_name = type;
        }
        f->size = (size_t)size;
        f->offset = cur;
        if (size * num > VMS_LIMIT_STATE_SIZE - cur) {
            return vms_error_set(b->err, VMS_ELIMIT,
                                 "description of '%s': state exceeds "
                                 "VMS_LIMIT_STATE_SIZE (%u)", b->device,
                                 VMS_LIMIT_STATE_SIZE);
        }
        cur += (size_t)(size * num);
        count += num * (1 + sub_elems);
        if (count > VMS_LIMIT_DESC_ELEMENTS) {
            return vms_error_set(b->err, VMS_ELIMIT,
                                 "description of '%s': more values than "
                                 "VMS_LIMIT_DESC_ELEMENTS (%u)", b->device,
                                 VMS_LIMIT_DESC_ELEMENTS);
        }
    }
    for (size_t i = 0; i < ns; i++) {
        vms_desc *sub;
        size_t flag = cur++;
        uint64_t sub_elems = 0;
        if ((e = build(b, json_array_get(subs, i), cur, depth + 1, &sub,
                       &cur, &sub_elems))) {
            return e;
        }
        count += sub_elems + 1;
        if (count > VMS_LIMIT_DESC_ELEMENTS) {
            return vms_error_set(b->err, VMS_ELIMIT,
                                 "description of '%s': more values than "
                                 "VMS_LIMIT_DESC_ELEMENTS (%u)", b->device,
                                 VMS_LIMIT_DESC_ELEMENTS);
        }
        sub->user = flag - base;
        sub->needed = sub_needed;
        sub->post_load = sub_loaded;
        ss[i] = sub;
        if (cur > VMS_LIMIT_STATE_SIZE) {
            return vms_error_set(b->err, VMS_ELIMIT, "description of '%s': "
                                 "state exceeds VMS_LIMIT_STATE_SIZE (%u)",
                                 b->device, VMS_LIMIT_STATE_SIZE);
        }
    }
    *out = d;
    *end = cur;
    *elems = count;
    return 0;
}

int vms_vmdesc_device(vms_vmdesc *d, const char *name, uint32_t instance_id,
                      const vms_desc **desc, size_t *state_size,
                      vms_error *err)
{
    /* The last entry wins, as in python's dict (see build_index). */
    size_t slot = dev_slot(d, name, instance_id);

    if (d->index[slot]) {
        struct built *bt = &d->devs[d->index[slot] - 1];
        builder b = { d, err, name, false };
        vms_desc *dd;
        size_t end;
        int e;

        if (!bt->desc) {
            uint64_t elems = 0;
            if ((e = build(&b, bt->dev, 0, 0, &dd, &end, &elems))) {
                return e;
            }
            /*
             * QEMU folds array-of-pointer elements into one vmdesc entry
             * even when one of them is not NULL: such a description may
             * not cover the data (the caller may fall back to raw bytes).
             * A dump's description may not either (dumpdesc.c).
             */
            dd->user = b.placeholder || d->dump_names;
            bt->desc = dd;
            bt->state_size = end;
        }
        *desc = bt->desc;
        *state_size = bt->state_size;
        return 0;
    }
    return vms_error_set(err, VMS_ENOTFOUND,
                         "section '%s' instance %u is not in the description",
                         name, instance_id);
}

const json_t *vms__vmdesc_json(const vms_vmdesc *d)
{
    return d ? d->root : NULL;
}
