/*
 * libvmstate: device state as JSON, in the shape QEMU's
 * analyze-migration.py prints with "-d state".
 *
 * Python builds a dict per struct and merges a field name met again into a
 * list (that is how arrays, and fields split by NULL pointers, come out),
 * so a value can only be written once its struct is complete: the visitor
 * builds a small tree per section and writes it at the end. How a leaf is
 * rendered depends only on its type name, as python's reader table does,
 * quirks included ("uint8 equal" is signed, "int32 le" is read
 * big-endian, "int8 equal" is raw bytes).
 */
#include <stdlib.h>
#include <string.h>
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "internal.h"

enum jkind { J_OBJ, J_LIST, J_INT, J_BOOL, J_HEX, J_STR };

typedef struct jnode {
    enum jkind kind;
    bool is_signed;
    uint8_t isize;
    uint64_t ival;
    const char *key;            /* into the description, or own_key */
    char *own_key;              /* a vmdesc-made name ("unused[1]") */
    const char *str;            /* J_STR: static text */
    uint8_t *bytes;             /* J_HEX */
    size_t n;
    struct jnode *child, *last, *next;
} jnode;

#define JSON_MAX_DEPTH 128

typedef struct json_out {
    vms_visitor v;
    vms_jsonw *w;
    jnode *root;
    jnode *stack[JSON_MAX_DEPTH];
    const vms_desc *descs[JSON_MAX_DEPTH];  /* the description at each */
    int depth;
    bool sub_pending;           /* subsection_begin made the object */
} json_out;

static const char *const signed_names[] = {
    "int8", "int16", "int32", "int32 equal", "int32 le", "int64",
    "int64 equal", "uint8 equal", "uint16 equal",
};
static const char *const unsigned_names[] = {
    "uint8", "uint16", "uint32", "uint32 equal", "uint64",
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void node_free(jnode *n)
{
    while (n) {
        jnode *next = n->next;
        node_free(n->child);
        free(n->bytes);
        free(n->own_key);
        free(n);
        n = next;
    }
}

static void append(jnode *parent, jnode *n)
{
    if (parent->last) {
        parent->last->next = n;
    } else {
        parent->child = n;
    }
    parent->last = n;
}

/* Python's rule: first value as is, a second makes a list of both. */
static int add(json_out *o, const char *key, jnode *n)
{
    jnode *obj = o->stack[o->depth - 1];
    jnode *e = NULL;

    n->key = key;
    if (obj->last && strcmp(obj->last->key, key) == 0) {
        e = obj->last;
    } else {
        for (jnode *c = obj->child; c; c = c->next) {
            if (strcmp(c->key, key) == 0) {
                e = c;
                break;
            }
        }
    }
    if (!e) {
        append(obj, n);
        return 0;
    }
    if (e->kind != J_LIST) {
        jnode *first = malloc(sizeof(*first));
        jnode *sib = e->next;

        if (!first) {
            return VMS_ENOMEM;
        }
        *first = *e;
        first->next = NULL;
        memset(e, 0, sizeof(*e));
        e->kind = J_LIST;
        e->key = key;
        e->next = sib;          /* the list keeps the first value's place */
        e->child = e->last = first;
    }
    n->key = key;
    append(e, n);
    return 0;
}

static jnode *new_node(json_out *o, enum jkind kind)
{
    jnode *n = calloc(1, sizeof(*n));

    if (!n) {
        vms_error_set(o->v.err, VMS_ENOMEM, "out of memory");
    }
    if (n) {
        n->kind = kind;
    }
    return n;
}

static int push_obj(json_out *o, const char *key, const vms_desc *d)
{
    jnode *n;
    int e;

    if (o->depth >= JSON_MAX_DEPTH) {
        return vms_error_set(o->v.err, VMS_ELIMIT, "nested too deeply");
    }
    if (!(n = new_node(o, J_OBJ))) {
        return VMS_ENOMEM;
    }
    if (o->depth == 0) {
        o->root = n;
    } else if ((e = add(o, key, n))) {
        free(n);
        return vms_error_set(o->v.err, e, "out of memory");
    }
    o->descs[o->depth] = d;
    o->stack[o->depth++] = n;
    return 0;
}

/*
 * The key of field f of the current description: its vmdesc name, so
 * that the state of a C-described device reads as the analyzer prints the
 * stream it saves. *own receives a copy when the name is made up.
 */
static const char *field_key(json_out *o, const vms_field *f, char **own)
{
    char buf[300];
    const char *k = vms_field_vmdesc_name(o->depth ? o->descs[o->depth - 1]
                                                   : NULL, f, buf,
                                          sizeof(buf));

    *own = NULL;
    if (k == buf) {
        *own = strdup(buf);
        k = *own ? *own : f->name;
    }
    return k;
}

static int write_node(vms_jsonw *w, const jnode *n)
{
    int e = 0;

    switch (n->kind) {
    case J_OBJ:
        e = vms_jsonw_begin_object(w);
        for (const jnode *c = n->child; !e && c; c = c->next) {
            e = vms_jsonw_key(w, c->key);
            if (!e) {
                e = write_node(w, c);
            }
        }
        return e ? e : vms_jsonw_end_object(w);
    case J_LIST:
        e = vms_jsonw_begin_array(w);
        for (const jnode *c = n->child; !e && c; c = c->next) {
            e = write_node(w, c);
        }
        return e ? e : vms_jsonw_end_array(w);
    case J_INT:
        return vms_jsonw_hex_int(w, n->ival, n->isize, n->is_signed);
    case J_BOOL:
        return vms_jsonw_bool(w, n->ival != 0);
    case J_HEX:
        return vms_jsonw_hex_bytes(w, n->bytes, n->n);
    case J_STR:
        return vms_jsonw_string(w, n->str);
    }
    return 0;
}

static int j_begin_desc(vms_visitor *v, const vms_desc *d, const vms_field *f,
                        int version_id)
{
    json_out *o = (json_out *)v;

    (void)d;
    (void)version_id;
    if (o->sub_pending) {
        o->sub_pending = false;
        return 0;
    }
    if (f) {
        char *own;
        const char *key = field_key(o, f, &own);
        int e = push_obj(o, key, d);
        if (own) {
            if (e) {
                free(own);
            } else {
                o->stack[o->depth - 1]->own_key = own;
            }
        }
        return e;
    }
    return push_obj(o, NULL, d);
}

static int j_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    json_out *o = (json_out *)v;
    int e = 0;

    (void)d;
    (void)f;
    if (--o->depth == 0) {
        e = write_node(o->w, o->root);
        node_free(o->root);
        o->root = NULL;
        if (e) {
            vms_error_set(v->err, e, "cannot write the JSON output");
        }
    }
    return e;
}

static int j_leaf(vms_visitor *v, const vms_field *f, void *elem, size_t size)
{
    json_out *o = (json_out *)v;
    const char *tn = vms_field_type_name(f);
    jnode *n = new_node(o, J_HEX);
    int e;

    if (!n) {
        return VMS_ENOMEM;
    }
    n->bytes = malloc(size ? size : 1);
    if (!n->bytes) {
        free(n);
        return vms_error_set(v->err, VMS_ENOMEM, "out of memory");
    }
    n->n = size;
    vms_leaf_to_wire(f, elem, size, n->bytes);
    if (strcmp(tn, "bool") == 0 && size >= 1) {
        n->kind = J_BOOL;
        n->ival = n->bytes[0] != 0;
    } else if (strcmp(tn, "nullptr") == 0) {
        n->kind = J_STR;
        n->str = "nullptr";
    } else if (size >= 1 && size <= 8 &&
               (in_list(tn, signed_names, VMS_ARRAY_SIZE(signed_names)) ||
                in_list(tn, unsigned_names,
                        VMS_ARRAY_SIZE(unsigned_names)))) {
        n->kind = J_INT;
        n->isize = (uint8_t)size;
        n->is_signed = in_list(tn, signed_names,
                               VMS_ARRAY_SIZE(signed_names));
        n->ival = 0;
        for (size_t i = 0; i < size; i++) {
            n->ival = (n->ival << 8) | n->bytes[i];
        }
    }
    if (n->kind != J_HEX) {
        free(n->bytes);
        n->bytes = NULL;
    }
    if ((e = add(o, field_key(o, f, &n->own_key), n))) {
        node_free(n);
        return vms_error_set(v->err, e, "out of memory");
    }
    return 0;
}

static int j_null(vms_visitor *v, const vms_field *f)
{
    json_out *o = (json_out *)v;
    jnode *n = new_node(o, J_STR);
    int e;

    if (!n) {
        return VMS_ENOMEM;
    }
    n->str = "nullptr";
    if ((e = add(o, field_key(o, f, &n->own_key), n))) {
        node_free(n);
        return vms_error_set(v->err, e, "out of memory");
    }
    return 0;
}

static int j_sub_begin(vms_visitor *v, const vms_desc *sub,
                       uint32_t *version_id)
{
    json_out *o = (json_out *)v;
    int e = push_obj(o, sub->name, sub);

    (void)version_id;
    if (!e) {
        o->sub_pending = true;
    }
    return e;
}

static void j_free(vms_visitor *v)
{
    json_out *o = (json_out *)v;

    node_free(o->root);
    free(o);
}

static const vms_visit_ops json_ops = {
    .begin_desc = j_begin_desc,
    .end_desc = j_end_desc,
    .leaf = j_leaf,
    .null_elem = j_null,
    .subsection_begin = j_sub_begin,
    .free = j_free,
};

vms_visitor *vms_json_state_output_new(vms_jsonw *w, vms_error *err)
{
    json_out *o = (json_out *)vms_visitor_alloc(sizeof(*o), &json_ops, false,
                                                err);

    if (o) {
        o->w = w;
    }
    return o ? &o->v : NULL;
}
