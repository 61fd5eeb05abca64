/*
 * libvmstate: the vmdesc JSON, written while saving.
 *
 * QEMU describes each device in the JSON after EOF as it saves it, with
 * the size of each field measured as the bytes actually written. This
 * visitor does the same: it passes every event to the wire visitor it
 * wraps and, around it, writes the description entry of that element,
 * reading the byte count off the writer. It follows QEMU's
 * migration/vmstate.c layout (our code, QEMU's facts): names made unique
 * with "[n]" among same-named fields, arrays folded into one entry with
 * "array_len" when they can be, "index" per element otherwise, nested
 * structs under "struct", "subsections" only when one is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/visitor.h"
#include "walk.h"
#include "jsonw.h"

/* The walk stops at 64 descriptions; each adds at most one array frame. */
#define VD_MAX_DEPTH 160

typedef struct vd_frame {
    const vms_desc *d;       /* description frame, else array frame */
    const vms_field *f;      /* its struct field / the array's field */
    uint32_t n, idx;         /* array frames: count, next element */
    bool compress;           /* array frames: one entry for all */
    bool entry;              /* description frames: we opened an entry */
    bool muted;              /* description frames: we muted output */
    bool fields_open, subs_open;
    uint64_t start;          /* writer offset where the entry began */
} vd_frame;

typedef struct vd_out {
    vms_visitor v;
    vms_visitor *inner;
    vms_writer *w;
    vms_jsonw *j;
    int mute;                /* > 0: elements after a folded array's first */
    int depth;
    vd_frame frames[VD_MAX_DEPTH];
} vd_out;

/* The wrapped visitor, reporting into the error the walk gave us. */
static vms_visitor *in(vd_out *o)
{
    o->inner->err = o->v.err;
    return o->inner;
}

/* A field with a field_exists test (or containing one) cannot fold. */
static bool can_compress(const vms_field *f)
{
    if (f->field_exists) {
        return false;
    }
    if (f->type == VMS_TYPE_STRUCT && f->vmsd) {
        for (size_t i = 0; i < f->vmsd->n_fields; i++) {
            if (!can_compress(&f->vmsd->fields[i])) {
                return false;
            }
        }
    }
    return true;
}

static const vms_desc *cur_desc(const vd_out *o)
{
    for (int i = o->depth; i-- > 0;) {
        if (o->frames[i].d) {
            return o->frames[i].d;
        }
    }
    return NULL;
}

static vd_frame *push(vd_out *o)
{
    vd_frame *fr;

    if (o->depth >= VD_MAX_DEPTH) {
        vms_error_set(o->v.err, VMS_ELIMIT, "vmdesc nested deeper than %d",
                      VD_MAX_DEPTH);
        return NULL;
    }
    fr = &o->frames[o->depth++];
    memset(fr, 0, sizeof(*fr));
    return fr;
}

/* The array frame whose element f is, or NULL for a single field. */
static vd_frame *array_of(vd_out *o, const vms_field *f)
{
    vd_frame *fr = o->depth ? &o->frames[o->depth - 1] : NULL;

    return fr && !fr->d && fr->f == f ? fr : NULL;
}

static int json_err(vd_out *o, int e)
{
    return e ? vms_error_set(o->v.err, e, "writing the vmdesc failed") : 0;
}

/*
 * Open the entry of one element; *quiet says whether this element is
 * described at all (later elements of a folded array are not).
 */
static int entry_begin(vd_out *o, const vms_field *f, bool *quiet)
{
    vd_frame *arr = array_of(o, f);
    uint32_t n = arr ? arr->n : 1, idx = arr ? arr->idx++ : 0;
    const vms_desc *d = cur_desc(o);
    char name[300];
    vms_jsonw *j = o->j;
    int e;

    *quiet = o->mute > 0 || (arr && arr->compress && idx > 0);
    if (*quiet) {
        return 0;
    }
    e = vms_jsonw_begin_object(j);
    e = e ? e : vms_jsonw_key(j, "name");
    e = e ? e : vms_jsonw_string(j, vms_field_vmdesc_name(d, f, name,
                                                          sizeof(name)));
    if (!e && n > 1) {
        bool fold = arr->compress;
        e = vms_jsonw_key(j, fold ? "array_len" : "index");
        e = e ? e : vms_jsonw_uint(j, fold ? n : idx);
    }
    e = vms__jsonw_kv_str(j, e, "type", vms_field_type_name(f));
    if (!e && f->type == VMS_TYPE_STRUCT) {
        e = vms_jsonw_key(j, "struct");
        e = e ? e : vms_jsonw_begin_object(j);
    }
    return json_err(o, e);
}

static int entry_end(vd_out *o, const vms_field *f, uint64_t start)
{
    vms_jsonw *j = o->j;
    int e = 0;

    if (f->type == VMS_TYPE_STRUCT) {
        e = vms_jsonw_end_object(j);
    }
    e = e ? e : vms_jsonw_key(j, "size");
    e = e ? e : vms_jsonw_uint(j, vms_writer_offset(o->w) - start);
    e = e ? e : vms_jsonw_end_object(j);
    return json_err(o, e);
}

static int vd_leaf(vms_visitor *v, const vms_field *f, void *elem,
                   size_t size)
{
    vd_out *o = (vd_out *)v;
    uint64_t start = vms_writer_offset(o->w);
    bool quiet;
    int e = entry_begin(o, f, &quiet);

    e = e ? e : in(o)->ops->leaf(o->inner, f, elem, size);
    return e || quiet ? e : entry_end(o, f, start);
}

static int vd_null(vms_visitor *v, const vms_field *f)
{
    vd_out *o = (vd_out *)v;
    uint64_t start = vms_writer_offset(o->w);
    bool quiet;
    int e = entry_begin(o, f, &quiet);

    if (!e && in(o)->ops->null_elem) {
        e = in(o)->ops->null_elem(o->inner, f);
    }
    return e || quiet ? e : entry_end(o, f, start);
}

static int vd_begin_array(vms_visitor *v, const vms_field *f, uint32_t n)
{
    vd_out *o = (vd_out *)v;
    vd_frame *fr = push(o);

    if (!fr) {
        return VMS_ELIMIT;
    }
    fr->f = f;
    fr->n = n;
    fr->compress = can_compress(f);
    return in(o)->ops->begin_array ?
           in(o)->ops->begin_array(o->inner, f, n) : 0;
}

static int vd_end_array(vms_visitor *v, const vms_field *f)
{
    vd_out *o = (vd_out *)v;

    o->depth--;
    return in(o)->ops->end_array ? in(o)->ops->end_array(o->inner, f)
                                    : 0;
}

static int vd_begin_desc(vms_visitor *v, const vms_desc *d,
                         const vms_field *f, int version_id)
{
    vd_out *o = (vd_out *)v;
    uint64_t start = vms_writer_offset(o->w);
    bool quiet = false;
    vd_frame *fr;
    int e = 0;

    if (f) {
        e = entry_begin(o, f, &quiet);
        if (e) {
            return e;
        }
    }
    if (!(fr = push(o))) {
        return VMS_ELIMIT;
    }
    fr->d = d;
    fr->f = f;
    fr->start = start;
    fr->entry = f && !quiet;
    if (quiet && o->mute == 0) {
        /* The rest of a folded array of structs is not described. */
        fr->muted = true;
        o->mute++;
    }
    if (!o->mute) {
        vms_jsonw *j = o->j;
        e = vms__jsonw_kv_str(j, 0, "vmsd_name", d->name);
        e = vms__jsonw_kv_int(j, e, "version", version_id);
        e = e ? e : vms_jsonw_key(j, "fields");
        e = e ? e : vms_jsonw_begin_array(j);
        fr->fields_open = true;
        if ((e = json_err(o, e))) {
            return e;
        }
    }
    return in(o)->ops->begin_desc ?
           in(o)->ops->begin_desc(o->inner, d, f, version_id) : 0;
}

static int vd_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    vd_out *o = (vd_out *)v;
    vd_frame *fr = &o->frames[o->depth - 1];
    int e = in(o)->ops->end_desc ? in(o)->ops->end_desc(o->inner, d, f)
                                    : 0;

    if (!e && fr->fields_open) {
        e = json_err(o, vms_jsonw_end_array(o->j));
    }
    if (!e && fr->subs_open) {
        e = json_err(o, vms_jsonw_end_array(o->j));
    }
    if (!e && fr->entry) {
        e = entry_end(o, f, fr->start);
    }
    if (fr->muted) {
        o->mute--;
    }
    o->depth--;
    return e;
}

static int vd_sub_begin(vms_visitor *v, const vms_desc *sub,
                        uint32_t *version_id)
{
    vd_out *o = (vd_out *)v;
    vd_frame *fr = &o->frames[o->depth - 1];
    int e = 0;

    if (!o->mute) {
        if (fr->fields_open) {
            fr->fields_open = false;
            e = vms_jsonw_end_array(o->j);
        }
        if (!e && !fr->subs_open) {
            fr->subs_open = true;
            e = vms_jsonw_key(o->j, "subsections");
            e = e ? e : vms_jsonw_begin_array(o->j);
        }
        e = e ? e : vms_jsonw_begin_object(o->j);
        if ((e = json_err(o, e))) {
            return e;
        }
    }
    return in(o)->ops->subsection_begin ?
           in(o)->ops->subsection_begin(o->inner, sub, version_id) : 0;
}

static int vd_sub_end(vms_visitor *v, const vms_desc *sub)
{
    vd_out *o = (vd_out *)v;
    int e = in(o)->ops->subsection_end ?
            in(o)->ops->subsection_end(o->inner, sub) : 0;

    if (!e && !o->mute) {
        e = json_err(o, vms_jsonw_end_object(o->j));
    }
    return e;
}

static const vms_visit_ops vmdesc_ops = {
    .begin_desc = vd_begin_desc,
    .end_desc = vd_end_desc,
    .begin_array = vd_begin_array,
    .end_array = vd_end_array,
    .leaf = vd_leaf,
    .null_elem = vd_null,
    .subsection_begin = vd_sub_begin,
    .subsection_end = vd_sub_end,
    .free = vms__visitor_free_plain,
};

vms_visitor *vms_vmdesc_output_new(vms_visitor *inner, vms_writer *w,
                                   vms_jsonw *j, vms_error *err)
{
    vd_out *o;

    if (!inner || inner->input) {
        vms_error_set(err, VMS_EINVAL, "the vmdesc needs an output visitor");
        return NULL;
    }
    o = (vd_out *)vms__visitor_alloc(sizeof(*o), &vmdesc_ops, false, err);
    if (!o) {
        return NULL;
    }
    o->inner = inner;
    o->w = w;
    o->j = j;
    return &o->v;
}
