/*
 * libvmstate: run-time descriptions built from a -dump-vmstate dump, a
 * second source for device sections a stream's vmdesc does not describe.
 *
 * A dump entry is put into the shape of a vmdesc device entry and built by
 * vmdesc.c's builder, so that one piece of code lays out run-time
 * descriptions and enforces their limits. A dump cannot say everything
 * (see dump.h): its descriptions are marked as possibly not covering the
 * data (desc->user), and callers accept a decode only when it ends where
 * the section does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "vmstate/dump.h"
#include "vmstate/vmdesc.h"
#include "vmstate/stream.h"
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "bytes.h"
#include "table.h"
#include "walk.h"
#include "visit_wire.h"
#include "vmdesc_priv.h"
#include "dump_priv.h"
#include "dumpdesc.h"
#include "types.h"

/* Built descriptions of one dump section kept (versions x alternatives). */
#define MAX_BUILT 64
/*
 * field_exists fields tried both ways: 2^4 decodes of a section at most.
 * A description with more is not decoded (nothing says which mix is sent).
 */
#define MAX_PREDICATES 4
/* Fields whose layout the dump leaves open, remembered per description. */
#define MAX_DOUBTS 64

typedef struct doubt {
    /* As the walk names it, without [index]; the walk's path has the
       same bound, so the two are compared at the same length. */
    char path[VMS_ERROR_PATH_MAX];
    char text[160];
    bool predicate;            /* a field_exists field (tried both ways) */
    bool cut;                  /* path longer than the bound: a prefix */
} doubt;

typedef struct built {
    int64_t version;
    unsigned alt;              /* bit k set: the k-th predicate field left out */
    vms_vmdesc *vd;            /* owns desc */
    const vms_desc *desc;
    size_t state_size;
    char note[200];            /* what the dump cannot tell, "" if nothing */
    unsigned npred;            /* field_exists fields in this version */
    unsigned ndoubts;
    doubt doubts[MAX_DOUBTS];  /* in walk order */
    struct built *next;
} built;

typedef struct slot {
    const vms_dump_section *sec;   /* NULL: free */
    built *versions;
    unsigned nbuilt;
} slot;

struct dump_descs {
    slot *table;               /* by Description name, the first one wins */
    size_t mask;
    bool has_num;              /* some field has "num" (QEMU >= 8.1) */
};

static void descs_free(void *p)
{
    struct dump_descs *dd = p;

    if (!dd) {
        return;
    }
    for (size_t i = 0; dd->table && i <= dd->mask; i++) {
        built *b = dd->table[i].versions;
        while (b) {
            built *next = b->next;
            vms_vmdesc_free(b->vd);
            free(b);
            b = next;
        }
    }
    free(dd->table);
    free(dd);
}

static bool any_num(const vms_dump_desc *d, int depth)
{
    if (!d || depth > VMS_LIMIT_DUMP_DEPTH) {
        return false;
    }
    for (const vms_dump_field *f = d->fields; f; f = f->next) {
        if (f->has_num || any_num(f->desc, depth + 1)) {
            return true;
        }
    }
    for (const vms_dump_desc *s = d->subsections; s; s = s->next) {
        if (any_num(s, depth + 1)) {
            return true;
        }
    }
    return false;
}

static slot *find_slot(struct dump_descs *dd, const char *name)
{
    size_t i = vms__hash_str(name, 2166136261u) & dd->mask;

    while (dd->table[i].sec &&
           strcmp(dd->table[i].sec->desc->name, name) != 0) {
        i = (i + 1) & dd->mask;
    }
    return &dd->table[i];
}

static struct dump_descs *index_dump(vms_dump *dump, vms_error *err)
{
    vms__dump_cache *cache = vms__dump_cache_of(dump);
    struct dump_descs *dd;
    size_t n = 16;

    if (cache->data) {
        return cache->data;
    }
    while (n < 2 * vms_dump_section_count(dump)) {
        n *= 2;
    }
    dd = calloc(1, sizeof(*dd));
    if (!dd || !(dd->table = calloc(n, sizeof(*dd->table)))) {
        free(dd);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    dd->mask = n - 1;
    for (const vms_dump_section *s = vms_dump_sections(dump); s;
         s = s->next) {
        if (s->desc && s->desc->name) {
            slot *sl = find_slot(dd, s->desc->name);
            if (!sl->sec) {
                sl->sec = s;
            }
            dd->has_num |= any_num(s->desc, 0);
        }
    }
    cache->data = dd;
    cache->free = descs_free;
    return dd;
}

typedef struct conv {
    bool has_num;
    built *b;                  /* note and doubts go here */
    unsigned npred;            /* predicate fields met so far */
} conv;

/*
 * A path without its "[...]" parts: the walk names elements
 * ("dev.f[2].g"), doubts name fields ("dev.f.g"); QEMU field names with
 * brackets of their own lose them on both sides alike.
 */
static void flatten(const char *path, char *out, size_t len)
{
    size_t n = 0;

    for (const char *s = path; *s && n + 1 < len; s++) {
        if (*s == '[') {
            while (*s && *s != ']') {
                s++;
            }
            if (!*s) {
                break;
            }
            continue;
        }
        out[n++] = *s;
    }
    out[n] = 0;
}

/*
 * path + "." + name into out (VMS_ERROR_PATH_MAX bytes, the walk's bound);
 * true when it had to be cut, so that the doubt is matched as a prefix.
 */
static bool join_path(char *out, const char *path, const char *name)
{
    size_t room = VMS_ERROR_PATH_MAX - 1, n = 0;
    const char *parts[] = { path, ".", name };
    bool cut = false;

    for (size_t i = 0; i < VMS__ARRAY_SIZE(parts); i++) {
        size_t len = strlen(parts[i]);
        if (len > room - n) {
            len = room - n;
            cut = true;
        }
        memcpy(out + n, parts[i], len);
        n += len;
    }
    out[n] = 0;
    return cut;
}

static void add_doubt(conv *c, const char *path, bool cut, bool predicate,
                      const char *fmt, const char *name)
{
    built *b = c->b;

    if (!b->note[0]) {
        snprintf(b->note, sizeof(b->note), fmt, name);
    }
    if (b->ndoubts < MAX_DOUBTS) {
        doubt *d = &b->doubts[b->ndoubts++];
        flatten(path, d->path, sizeof(d->path));
        snprintf(d->text, sizeof(d->text), fmt, name);
        d->predicate = predicate;
        d->cut = cut;
    }
}

/* Leaves: big-endian integers when they have an integer's size. */
static const char *leaf_type(int64_t size)
{
    const vms__type_info *t = size > 0 ? vms__type_uint((size_t)size) : NULL;

    return t ? t->name : vms__type_of(VMS_TYPE_BUFFER, false)->name;
}

/*
 * d as a vmdesc entry for a stream of version_id: fields that version
 * does not carry are left out, since a vmdesc lists only what was sent.
 * Values out of range pass through for the builder to refuse.
 */
static json_t *to_vmdesc(conv *c, const vms_dump_desc *d, int64_t version_id,
                         int depth, const char *path)
{
    json_t *o = json_object(), *fields = json_array(), *subs = json_array();
    char fpath[VMS_ERROR_PATH_MAX];
    bool cut;

    /* Names are C strings of any bytes the dump reader took: no UTF-8
       check (json_string would refuse them). */
    if (!o || !fields || !subs || depth > VMS_LIMIT_DUMP_DEPTH) {
        goto fail;
    }
    if (json_object_set_new(o, "vmsd_name", json_string_nocheck(d->name)) ||
        json_object_set_new(o, "version", json_integer(d->version_id))) {
        goto fail;
    }
    for (const vms_dump_field *f = d->fields; f; f = f->next) {
        json_t *jf;
        if (f->version_id > version_id) {
            continue;
        }
        if (f->has_num && f->num == 0) {
            continue;           /* an array of nothing sends nothing */
        }
        cut = join_path(fpath, path, f->name);
        if (f->field_exists) {
            unsigned k = c->npred++;
            add_doubt(c, fpath, cut, true, "field %s is sent only when a "
                      "predicate says so", f->name);
            if (k < MAX_PREDICATES && (c->b->alt >> k & 1)) {
                continue;       /* this alternative: not on the wire */
            }
        }
        if (!f->has_num && !c->has_num) {
            add_doubt(c, fpath, cut, false, "the dump gives no array lengths "
                      "(QEMU before 8.1), field %s may be one", f->name);
        }
        if (!(jf = json_object()) || json_array_append_new(fields, jf) ||
            json_object_set_new(jf, "name", json_string_nocheck(f->name))) {
            goto fail;
        }
        if (f->has_num && f->num != 1 &&
            json_object_set_new(jf, "array_len", json_integer(f->num))) {
            goto fail;
        }
        if (f->desc) {
            json_t *s = to_vmdesc(c, f->desc, f->desc->version_id,
                                  depth + 1, fpath);
            if (!s || json_object_set_new(jf, "struct", s) ||
                json_object_set_new(jf, "type", json_string("struct"))) {
                goto fail;      /* s went with the first call */
            }
        } else {
            if (f->size == 0) {
                add_doubt(c, fpath, cut, false, "field %s has a length the dump "
                          "does not give", f->name);
            }
            if (json_object_set_new(jf, "type",
                                    json_string(leaf_type(f->size))) ||
                json_object_set_new(jf, "size", json_integer(f->size))) {
                goto fail;
            }
        }
    }
    for (const vms_dump_desc *s = d->subsections; s; s = s->next) {
        json_t *js;
        (void)join_path(fpath, path, s->name);
        js = to_vmdesc(c, s, s->version_id, depth + 1, fpath);
        if (!js || json_array_append_new(subs, js)) {
            goto fail;
        }
    }
    {
        /* the _new calls take their value, also when they fail */
        int bad = json_object_set_new(o, "fields", fields);
        fields = NULL;
        if (bad) {
            goto fail;
        }
        bad = json_object_set_new(o, "subsections", subs);
        subs = NULL;
        if (bad) {
            goto fail;
        }
    }
    return o;
fail:
    json_decref(o);
    json_decref(fields);
    json_decref(subs);
    return NULL;
}

/* The vmsd name inside a section idstr ("0000:00:01.0/PIIX3" -> "PIIX3"). */
static slot *lookup(struct dump_descs *dd, const char *idstr)
{
    for (const char *p = idstr; p; p = strchr(p, '/')) {
        slot *sl;
        p += *p == '/';
        sl = find_slot(dd, p);
        if (sl->sec) {
            return sl;
        }
    }
    return NULL;
}

/* The dump's description of section for version_id, alternative alt. */
static int get_built(vms_dump *dump, const char *section, uint32_t version_id,
                     unsigned alt, built **out, vms_error *err)
{
    struct dump_descs *dd = index_dump(dump, err);
    const vms_dump_desc *d;
    slot *sl;
    built *b;
    conv c;
    json_t *root;
    char path[VMS_ERROR_PATH_MAX];
    int e;

    if (!dd) {
        return VMS_ENOMEM;
    }
    if (!(sl = lookup(dd, section))) {
        return vms_error_set(err, VMS_ENOTFOUND, "section '%s' is not in "
                             "the dump %s", section, vms_dump_file(dump));
    }
    d = sl->sec->desc;
    if (version_id > d->version_id ||
        (d->has_minimum_version_id && version_id < d->minimum_version_id)) {
        return vms_error_set(err, VMS_EVERSION, "section '%s' version %u: "
                             "the dump %s has '%s' versions %" PRId64
                             "..%" PRId64, section, version_id,
                             vms_dump_file(dump), d->name,
                             d->has_minimum_version_id
                             ? d->minimum_version_id : 0, d->version_id);
    }
    for (b = sl->versions; b; b = b->next) {
        if (b->version == version_id && b->alt == alt) {
            *out = b;
            return 0;
        }
    }
    if (sl->nbuilt >= MAX_BUILT) {
        return vms_error_set(err, VMS_ELIMIT, "section '%s': more than %d "
                             "versions and alternatives of one dump "
                             "description", section, MAX_BUILT);
    }
    if (!(b = calloc(1, sizeof(*b)))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    b->alt = alt;
    c = (conv){ .has_num = dd->has_num, .b = b };
    /* the walk names the top level by the description's name */
    snprintf(path, sizeof(path), "%s", d->name);
    {
        json_t *dev = to_vmdesc(&c, d, version_id, 0, path);
        json_t *devs = json_array();
        bool nomem = !(root = json_object()) || !dev || !devs ||
                     json_object_set_new(dev, "name",
                                         json_string_nocheck(d->name)) ||
                     json_object_set_new(dev, "instance_id",
                                         json_integer(0));
        /* the _new calls take their value, also when they fail */
        if (!nomem) {
            nomem = json_array_append_new(devs, dev) != 0;
            dev = NULL;
        }
        if (!nomem) {
            nomem = json_object_set_new(root, "devices", devs) != 0;
            devs = NULL;
        }
        if (nomem) {
            json_decref(root);
            json_decref(devs);
            json_decref(dev);
            free(b);
            return vms_error_set(err, VMS_ENOMEM, "out of memory");
        }
    }
    b->npred = c.npred;
    if ((e = vms__vmdesc_from_json(root, vms_dump_file(dump), true, &b->vd,
                                   err)) ||
        (e = vms_vmdesc_device(b->vd, d->name, 0, &b->desc, &b->state_size,
                               err))) {
        vms_vmdesc_free(b->vd);
        free(b);
        return e;
    }
    b->version = version_id;
    b->next = sl->versions;
    sl->versions = b;
    sl->nbuilt++;
    *out = b;
    return 0;
}

static unsigned alternatives(const built *b)
{
    return b->npred <= MAX_PREDICATES ? 1u << b->npred : 1;
}

int vms_dump_device(vms_dump *dump, const char *section, uint32_t version_id,
                    const vms_desc **desc, size_t *state_size,
                    vms_error *err)
{
    built *b;
    int e = get_built(dump, section, version_id, 0, &b, err);

    if (!e) {
        *desc = b->desc;
        *state_size = b->state_size;
    }
    return e;
}

const char *vms_dump_desc_note(const vms_dump *dump, const vms_desc *desc)
{
    struct dump_descs *dd = vms__dump_cache_of((vms_dump *)dump)->data;

    for (size_t i = 0; dd && i <= dd->mask; i++) {
        for (const built *b = dd->table[i].versions; b; b = b->next) {
            if (b->desc == desc) {
                return b->note;
            }
        }
    }
    return "";
}

/* ---- choosing among the alternatives ----------------------------------- */

/*
 * The wire input visitor, watched: which of a description's doubtful
 * fields the walk reached (their paths, indexes left out), so that a
 * failed decode is blamed on a field it got to.
 */
typedef struct probe {
    vms_visitor v;
    vms_visitor *in;
    const built *b;
    uint64_t reached;          /* bit i: doubts[i] */
} probe;

static void mark(vms_visitor *v)
{
    probe *p = (probe *)v;
    char flat[sizeof(v->path)];
    /* the walk cuts its path at the same bound as the doubts */
    bool walk_cut = v->path_len + 1 >= sizeof(v->path);

    flatten(v->path, flat, sizeof(flat));
    for (unsigned i = 0; i < p->b->ndoubts; i++) {
        const doubt *d = &p->b->doubts[i];
        bool hit;
        if (d->cut || walk_cut) {
            /* one side was cut: the shorter one must begin the other */
            size_t a = strlen(d->path), b = strlen(flat);
            hit = strncmp(d->path, flat, a < b ? a : b) == 0;
        } else {
            hit = strcmp(d->path, flat) == 0;
        }
        if (hit) {
            p->reached |= UINT64_C(1) << i;
        }
    }
}

static vms_visitor *inner(vms_visitor *v)
{
    probe *p = (probe *)v;
    p->in->err = v->err;
    return p->in;
}

static int p_begin_desc(vms_visitor *v, const vms_desc *d, const vms_field *f,
                        int version_id)
{
    vms_visitor *in = inner(v);
    if (f) {
        mark(v);
    }
    return in->ops->begin_desc ? in->ops->begin_desc(in, d, f, version_id)
                               : 0;
}

static int p_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    vms_visitor *in = inner(v);
    return in->ops->end_desc ? in->ops->end_desc(in, d, f) : 0;
}

static int p_begin_array(vms_visitor *v, const vms_field *f, uint32_t n)
{
    vms_visitor *in = inner(v);
    mark(v);
    return in->ops->begin_array ? in->ops->begin_array(in, f, n) : 0;
}

static int p_end_array(vms_visitor *v, const vms_field *f)
{
    vms_visitor *in = inner(v);
    return in->ops->end_array ? in->ops->end_array(in, f) : 0;
}

static int p_leaf(vms_visitor *v, const vms_field *f, void *elem, size_t size)
{
    vms_visitor *in = inner(v);
    mark(v);
    return in->ops->leaf ? in->ops->leaf(in, f, elem, size) : 0;
}

static int p_null_elem(vms_visitor *v, const vms_field *f)
{
    vms_visitor *in = inner(v);
    mark(v);
    return in->ops->null_elem ? in->ops->null_elem(in, f) : 0;
}

static int p_sub_begin(vms_visitor *v, const vms_desc *sub, uint32_t *ver)
{
    vms_visitor *in = inner(v);
    return in->ops->subsection_begin ? in->ops->subsection_begin(in, sub, ver)
                                     : 0;
}

static int p_sub_end(vms_visitor *v, const vms_desc *sub)
{
    vms_visitor *in = inner(v);
    return in->ops->subsection_end ? in->ops->subsection_end(in, sub) : 0;
}

static int p_sub_peek(vms_visitor *v, char name[256])
{
    vms_visitor *in = inner(v);
    return in->ops->subsection_peek ? in->ops->subsection_peek(in, name) : 0;
}

static uint64_t p_input_offset(vms_visitor *v)
{
    vms_visitor *in = inner(v);
    return in->ops->input_offset ? in->ops->input_offset(in) : 0;
}

static const vms_visit_ops probe_ops = {
    .begin_desc = p_begin_desc,
    .end_desc = p_end_desc,
    .begin_array = p_begin_array,
    .end_array = p_end_array,
    .leaf = p_leaf,
    .null_elem = p_null_elem,
    .subsection_begin = p_sub_begin,
    .subsection_end = p_sub_end,
    .subsection_peek = p_sub_peek,
    .input_offset = p_input_offset,
    .free = vms__visitor_free_plain,
};

/*
 * Whether b decodes the section whose body starts at body: the walk
 * succeeds, the section's footer follows, and the state written back
 * gives the same bytes. *reached: the doubts the walk got to. Only
 * out-of-memory and I/O errors are returned; the reader is left anywhere.
 */
typedef struct rewrite {
    const vms_desc *desc;
    void *state;
} rewrite;

static int write_state(void *opaque, vms_visitor *out, vms_error *err)
{
    const rewrite *w = opaque;

    return vms_walk(out, w->desc, w->state, 0, err);
}

static int try_fit(vms_stream *s, const vms_record *rec, const built *b,
                   uint64_t body, bool *fits, uint64_t *reached,
                   vms_error *why)
{
    vms_reader *r = vms_stream_reader(s);
    uint8_t *state = calloc(1, b->state_size ? b->state_size : 1);
    vms_visitor *in = vms_wire_input_new(r, why);
    probe *p = (probe *)vms__visitor_alloc(sizeof(*p), &probe_ops, true, why);
    const uint8_t *f;
    size_t got;
    uint64_t end;
    int e;

    *fits = false;
    *reached = 0;
    if (!state || !in || !p) {
        e = VMS_ENOMEM;
        goto done;
    }
    p->in = in;
    p->b = b;
    e = vms_walk(&p->v, b->desc, state, (int)rec->version_id, why);
    *reached = p->reached;
    if (e == VMS_ENOMEM) {
        goto done;
    }
    if (e) {
        e = 0;                  /* a misfit, why says where */
        goto done;
    }
    end = vms_reader_offset(r);
    if ((e = vms_read_peek(r, 5, &f, &got, why))) {
        e = 0;
        goto done;
    }
    if (got < 5 || f[0] != VMS_REC_FOOTER ||
        vms__get_be32(f + 1) != rec->section_id) {
        goto done;
    }
    {
        rewrite w = { b->desc, state };

        e = vms__stream_reencodes(s, body, end, write_state, &w, fits, why);
    }
done:
    if (p) {
        vms_visitor_free(&p->v);
    }
    vms_visitor_free(in);
    free(state);
    return e;
}

/* "a, b" of the predicate fields (their paths without the top level). */
static void predicate_names(const built *b, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = 0;
    for (unsigned i = 0; i < b->ndoubts && n < len; i++) {
        const char *name = strchr(b->doubts[i].path, '.');
        if (b->doubts[i].predicate) {
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
                                  name ? name + 1 : b->doubts[i].path);
        }
    }
}

/*
 * Why no alternative fits, from the walks: the first doubtful field one
 * of them reached that is not a predicate field (those were tried both
 * ways), alternative 0 first; else the predicate fields; else the walk's
 * own error.
 */
static void misfit_note(const built *const *bs, const uint64_t *reached,
                        unsigned n, const vms_error *first, char *why,
                        size_t len)
{
    char names[200];

    for (unsigned a = 0; a < n; a++) {
        for (unsigned i = 0; i < bs[a]->ndoubts; i++) {
            if ((reached[a] >> i & 1) && !bs[a]->doubts[i].predicate) {
                snprintf(why, len, "%s", bs[a]->doubts[i].text);
                return;
            }
        }
    }
    if (bs[0]->npred) {
        predicate_names(bs[0], names, sizeof(names));
        snprintf(why, len, "no mix of the fields sent only when a "
                 "predicate says so (%s) ends at the footer", names);
    } else if (first->code) {
        snprintf(why, len, "%s%s%s", first->message,
                 first->path[0] ? " at " : "", first->path);
    } else {
        snprintf(why, len, "the fields do not end at the footer: a field's "
                 "wire size or count is not what the dump says");
    }
}

int vms__dump_section_pick(vms_stream *s, vms_dump *dump,
                           const vms_record *rec, const vms_desc **desc,
                           size_t *state_size, char *why, size_t why_len,
                           vms_error *err)
{
    const built *bs[1u << MAX_PREDICATES], *chosen = NULL;
    uint64_t reached[1u << MAX_PREDICATES];
    uint64_t body = vms_stream_offset(s);
    vms_error first = { 0 };
    unsigned n, nfit = 0;
    built *b;
    int e;

    *desc = NULL;
    why[0] = 0;
    if ((e = get_built(dump, rec->idstr, rec->version_id, 0, &b, err))) {
        return e;
    }
    if (b->npred > MAX_PREDICATES) {
        char names[200];
        predicate_names(b, names, sizeof(names));
        snprintf(why, why_len, "%u fields are sent only when a predicate "
                 "says so (%s): more than the %d tried both ways", b->npred,
                 names, MAX_PREDICATES);
        return 0;
    }
    n = alternatives(b);
    for (unsigned a = 0; a < n; a++) {
        vms_error scratch = { 0 };
        bool fits;
        if ((e = get_built(dump, rec->idstr, rec->version_id, a, &b, err)) ||
            (e = vms_reader_seek(vms_stream_reader(s), body, err))) {
            return e;
        }
        bs[a] = b;
        if ((e = try_fit(s, rec, b, body, &fits, &reached[a], &scratch))) {
            if (err) {
                *err = scratch;
            }
            return e;
        }
        if (a == 0) {
            first = scratch;
        }
        if (fits) {
            nfit++;
            chosen = b;
        }
    }
    if ((e = vms_reader_seek(vms_stream_reader(s), body, err))) {
        return e;
    }
    if (nfit == 1) {
        *desc = chosen->desc;
        *state_size = chosen->state_size;
    } else if (nfit > 1) {
        char names[200];
        predicate_names(bs[0], names, sizeof(names));
        snprintf(why, why_len, "ambiguous: %u of the %u mixes of the fields "
                 "sent only when a predicate says so (%s) end at the footer "
                 "and give the same bytes back", nfit, n, names);
    } else {
        misfit_note(bs, reached, n, &first, why, why_len);
    }
    return 0;
}

int vms__dump_section_load(vms_dump *dump, const vms_record *rec,
                           vms__load_fn load, void *opaque,
                           const vms_desc **desc, size_t *state_size,
                           vms_error *err)
{
    built *b;
    unsigned n;
    int e, e0 = 0;

    if ((e = get_built(dump, rec->idstr, rec->version_id, 0, &b, err))) {
        return e;
    }
    n = alternatives(b);
    for (unsigned a = 0; a < n; a++) {
        vms_error scratch = { 0 };
        if (a && (e = get_built(dump, rec->idstr, rec->version_id, a, &b,
                                err))) {
            return e;
        }
        /* the first alternative's error is the one to tell */
        e = load(opaque, b->desc, b->state_size, a ? &scratch : err);
        if (!e || e == VMS_ENOMEM) {
            if (!e) {
                vms_error_clear(err);
                *desc = b->desc;
                *state_size = b->state_size;
            }
            return e;
        }
        e0 = a ? e0 : e;
    }
    return e0;
}

int vms__section_desc(vms_stream *s, vms_vmdesc *vd, vms_dump *dump,
                      const vms_record *rec, const vms_desc **desc,
                      size_t *state_size, bool *from_dump, char *why,
                      size_t why_len, vms_error *err)
{
    int e = VMS_ENOTFOUND;

    *from_dump = false;
    why[0] = 0;
    if (vd && (e = vms_vmdesc_device(vd, rec->idstr, rec->instance_id, desc,
                                     state_size, err)) !=
              VMS_ENOTFOUND) {
        return e;
    }
    if (!dump) {
        return vd ? e : vms_error_set(err, VMS_ENOTFOUND, "section '%s' "
                                      "has no description", rec->idstr);
    }
    vms_error_clear(err);
    *from_dump = true;
    return vms__dump_section_pick(s, dump, rec, desc, state_size, why,
                                  why_len, err);
}
