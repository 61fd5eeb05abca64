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
#include "internal.h"

/* Built descriptions of one dump section kept per version: a bound. */
#define MAX_VERSIONS 16

typedef struct built {
    int64_t version;
    vms_vmdesc *vd;            /* owns desc */
    const vms_desc *desc;
    size_t state_size;
    char note[200];            /* what the dump cannot tell, "" if nothing */
    struct built *next;
} built;

typedef struct slot {
    const vms_dump_section *sec;   /* NULL: free */
    built *versions;
    unsigned nversions;
} slot;

struct vms__dump_descs {
    slot *table;               /* by Description name, the first one wins */
    size_t mask;
    bool has_num;              /* some field has "num" (QEMU >= 8.1) */
};

void vms__dump_descs_free(struct vms__dump_descs *dd)
{
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

static slot *find_slot(struct vms__dump_descs *dd, const char *name)
{
    size_t i = vms_hash_str(name, 2166136261u) & dd->mask;

    while (dd->table[i].sec &&
           strcmp(dd->table[i].sec->desc->name, name) != 0) {
        i = (i + 1) & dd->mask;
    }
    return &dd->table[i];
}

static struct vms__dump_descs *index_dump(vms_dump *dump, vms_error *err)
{
    struct vms__dump_descs **pdd = vms__dump_descs_of(dump), *dd;
    size_t n = 16;

    if (*pdd) {
        return *pdd;
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
    *pdd = dd;
    return dd;
}

typedef struct conv {
    bool has_num;
    char *note;                /* the first thing the dump cannot tell */
    size_t note_len;
} conv;

static void doubt(conv *c, const char *fmt, const char *name)
{
    if (!c->note[0]) {
        snprintf(c->note, c->note_len, fmt, name);
    }
}

/* Leaves: big-endian integers when they have an integer's size. */
static const char *leaf_type(int64_t size)
{
    switch (size) {
    case 1:
        return "uint8";
    case 2:
        return "uint16";
    case 4:
        return "uint32";
    case 8:
        return "uint64";
    }
    return "buffer";
}

/*
 * d as a vmdesc entry for a stream of version_id: fields that version
 * does not carry are left out, since a vmdesc lists only what was sent.
 * Values out of range pass through for the builder to refuse.
 */
static json_t *to_vmdesc(conv *c, const vms_dump_desc *d, int64_t version_id,
                         int depth)
{
    json_t *o = json_object(), *fields = json_array(), *subs = json_array();

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
        if (f->field_exists) {
            doubt(c, "field %s is sent only when a predicate says so",
                  f->name);
        }
        if (!f->has_num && !c->has_num) {
            doubt(c, "the dump gives no array lengths (QEMU before 8.1)%s",
                  "");
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
                                  depth + 1);
            if (!s || json_object_set_new(jf, "struct", s) ||
                json_object_set_new(jf, "type", json_string("struct"))) {
                goto fail;      /* s went with the first call */
            }
        } else {
            if (f->size == 0) {
                doubt(c, "field %s has a length the dump does not give",
                      f->name);
            }
            if (json_object_set_new(jf, "type",
                                    json_string(leaf_type(f->size))) ||
                json_object_set_new(jf, "size", json_integer(f->size))) {
                goto fail;
            }
        }
    }
    for (const vms_dump_desc *s = d->subsections; s; s = s->next) {
        json_t *js = to_vmdesc(c, s, s->version_id, depth + 1);
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
static slot *lookup(struct vms__dump_descs *dd, const char *idstr)
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

int vms_dump_device(vms_dump *dump, const char *section, uint32_t version_id,
                    const vms_desc **desc, size_t *state_size,
                    vms_error *err)
{
    struct vms__dump_descs *dd = index_dump(dump, err);
    const vms_dump_desc *d;
    slot *sl;
    built *b;
    conv c;
    json_t *root;
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
        if (b->version == version_id) {
            *desc = b->desc;
            *state_size = b->state_size;
            return 0;
        }
    }
    if (sl->nversions >= MAX_VERSIONS) {
        return vms_error_set(err, VMS_ELIMIT, "section '%s': more than %d "
                             "versions of one dump description", section,
                             MAX_VERSIONS);
    }
    if (!(b = calloc(1, sizeof(*b)))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    c = (conv){ dd->has_num, b->note, sizeof(b->note) };
    {
        json_t *dev = to_vmdesc(&c, d, version_id, 0), *devs = json_array();
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
    sl->nversions++;
    *desc = b->desc;
    *state_size = b->state_size;
    return 0;
}

const char *vms_dump_desc_note(const vms_dump *dump, const vms_desc *desc)
{
    struct vms__dump_descs *dd = *vms__dump_descs_of((vms_dump *)dump);

    for (size_t i = 0; dd && i <= dd->mask; i++) {
        for (const built *b = dd->table[i].versions; b; b = b->next) {
            if (b->desc == desc) {
                return b->note;
            }
        }
    }
    return "";
}

int vms__section_desc(vms_vmdesc *vd, vms_dump *dump, const vms_record *rec,
                      const vms_desc **desc, size_t *state_size,
                      bool *from_dump, vms_error *err)
{
    int e = VMS_ENOTFOUND;

    *from_dump = false;
    if (vd && (e = vms_vmdesc_device(vd, rec->idstr, rec->instance_id, desc,
                                     state_size, err)) !=
              VMS_ENOTFOUND) {
        return e;
    }
    if (!dump) {
        return vd ? e : vms_error_set(err, VMS_ENOTFOUND, "section '%s' "
                                      "has no description", rec->idstr);
    }
    if (!(e = vms_dump_device(dump, rec->idstr, rec->version_id, desc,
                              state_size, err))) {
        *from_dump = true;
    }
    return e;
}
