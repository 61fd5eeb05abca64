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
 *
 * The input visitor reads that shape back (a jansson tree: device states
 * are small) and checks every value against its field's type and size;
 * its errors name the JSON path of the value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "walk.h"
#include "visit_json.h"
#include "types.h"

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

/* How a leaf is rendered, by its type name only (python's reader table). */
enum leaf_kind { LK_HEX, LK_BOOL, LK_NULLPTR, LK_INT };

static enum leaf_kind leaf_kind(const vms_field *f, size_t size,
                                bool *is_signed)
{
    const char *tn = vms_field_type_name(f);
    const vms__type_info *t = vms__type_named(tn);

    *is_signed = false;
    if (strcmp(tn, "nullptr") == 0) {
        return LK_NULLPTR;
    }
    if (!t || size < 1) {
        return LK_HEX;
    }
    if (t->value == VMS__VAL_BOOL) {
        return LK_BOOL;
    }
    if (size > 8 || t->value != VMS__VAL_INT || t->python == VMS__PY_HEX) {
        return LK_HEX;
    }
    *is_signed = t->python == VMS__PY_SIGNED || t->is_signed;
    return LK_INT;
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
    jnode *n = new_node(o, J_HEX);
    bool sgn;
    enum leaf_kind k = leaf_kind(f, size, &sgn);
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
    if (k == LK_BOOL) {
        n->kind = J_BOOL;
        n->ival = n->bytes[0] != 0;
    } else if (k == LK_NULLPTR) {
        n->kind = J_STR;
        n->str = "nullptr";
    } else if (k == LK_INT) {
        n->kind = J_INT;
        n->isize = (uint8_t)size;
        n->is_signed = sgn;
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
    if (!w) {
        vms_error_set(err, VMS_EINVAL, "a JSON state visitor needs a JSON writer");
        return NULL;
    }
    json_out *o = (json_out *)vms__visitor_alloc(sizeof(*o), &json_ops, false,
                                                err);

    if (o) {
        o->w = w;
    }
    return o ? &o->v : NULL;
}

/* ---- input: the same shape loaded back ---------------------------------- */

/*
 * One JSON object being loaded: its members, and how many values of each
 * the walk has taken so far (a list holds the values of a merged name, in
 * walk order), so that missing and left-over members are both errors.
 */
typedef struct jin_frame {
    const json_t *obj;
    const vms_desc *d;          /* whose fields and subsections it holds */
    size_t n;
    const char **keys;
    const json_t **vals;
    size_t *used;
    size_t last;                /* the member looked up last */
    size_t path_len;            /* JSON path of the object */
} jin_frame;

typedef struct json_in {
    vms_visitor v;
    json_t *owned;              /* parsed from text by the visitor */
    const json_t *root;
    jin_frame stack[JSON_MAX_DEPTH];
    int depth;
    bool sub_pending;           /* subsection_begin pushed the object */
    char file[VMS_ERROR_FILE_MAX];  /* "" when the caller names it */
    char path[VMS_ERROR_PATH_MAX];
    size_t path_len;
} json_in;

static void jin_path_set(json_in *in, size_t len)
{
    in->path_len = len < sizeof(in->path) ? len : sizeof(in->path) - 1;
    in->path[in->path_len] = 0;
}

static void jin_path_add(json_in *in, const char *key, long index)
{
    size_t room = sizeof(in->path) - in->path_len;
    int k;

    if (key) {
        k = snprintf(in->path + in->path_len, room, "%s%s",
                     in->path_len ? "." : "", key);
    } else {
        k = snprintf(in->path + in->path_len, room, "[%ld]", index);
    }
    if (k > 0) {
        jin_path_set(in, in->path_len + (size_t)k);
    }
}

/* An error about the value at the current JSON path. */
static int jin_fail(json_in *in, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int jin_fail(json_in *in, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(in->v.err, code, fmt, ap);
    va_end(ap);
    vms_error_set_path(in->v.err, in->path);
    if (in->file[0]) {
        vms_error_set_file(in->v.err, in->file);
    }
    return code;
}

static void frame_free(jin_frame *fr)
{
    free(fr->keys);
    free(fr->vals);
    free(fr->used);
    memset(fr, 0, sizeof(*fr));
}

static int jin_push(json_in *in, const json_t *obj, const vms_desc *d)
{
    jin_frame *fr;
    const char *key;
    json_t *val;
    size_t i = 0;

    if (!json_is_object(obj)) {
        return jin_fail(in, VMS_EFORMAT, "an object was expected for %s",
                        d->name);
    }
    if (in->depth >= JSON_MAX_DEPTH) {
        return jin_fail(in, VMS_ELIMIT, "nested too deeply");
    }
    fr = &in->stack[in->depth];
    memset(fr, 0, sizeof(*fr));
    fr->obj = obj;
    fr->d = d;
    fr->n = json_object_size(obj);
    fr->path_len = in->path_len;
    fr->keys = calloc(fr->n ? fr->n : 1, sizeof(*fr->keys));
    fr->vals = calloc(fr->n ? fr->n : 1, sizeof(*fr->vals));
    fr->used = calloc(fr->n ? fr->n : 1, sizeof(*fr->used));
    if (!fr->keys || !fr->vals || !fr->used) {
        frame_free(fr);
        return jin_fail(in, VMS_ENOMEM, "out of memory");
    }
    json_object_foreach((json_t *)obj, key, val) {
        fr->keys[i] = key;
        fr->vals[i++] = val;
    }
    in->depth++;
    return 0;
}

/* Every member must have been taken, every value of a list too. */
static int jin_pop(json_in *in)
{
    jin_frame *fr = &in->stack[--in->depth];
    int e = 0;

    jin_path_set(in, fr->path_len);
    for (size_t i = 0; i < fr->n && !e; i++) {
        size_t have = json_is_array(fr->vals[i])
                          ? json_array_size(fr->vals[i]) : 1;
        if (fr->used[i] == 0) {
            jin_path_add(in, fr->keys[i], 0);
            e = jin_fail(in, VMS_ENOTFOUND, "no field or subsection of "
                         "that name in %s", fr->d->name);
        } else if (fr->used[i] < have) {
            jin_path_add(in, fr->keys[i], 0);
            e = jin_fail(in, VMS_EFORMAT, "%zu values where the "
                         "description has %zu", have, fr->used[i]);
        }
    }
    frame_free(fr);
    return e;
}

/*
 * The next value of member key of the current object, the JSON path
 * pointing at it: the value itself the first time, or the next element
 * when the member is a list of merged values.
 */
static int jin_take(json_in *in, const char *key, const json_t **out)
{
    jin_frame *fr = &in->stack[in->depth - 1];
    size_t i = fr->last;
    const json_t *val;

    jin_path_set(in, fr->path_len);
    if (i >= fr->n || strcmp(fr->keys[i], key) != 0) {
        for (i = 0; i < fr->n && strcmp(fr->keys[i], key) != 0; i++) {
        }
    }
    jin_path_add(in, key, 0);
    if (i == fr->n) {
        return jin_fail(in, VMS_ENOTFOUND, "missing (the description of "
                        "%s has it)", fr->d->name);
    }
    fr->last = i;
    val = fr->vals[i];
    if (json_is_array(val)) {
        if (fr->used[i] >= json_array_size(val)) {
            return jin_fail(in, VMS_EFORMAT, "%zu values where the "
                            "description has more", json_array_size(val));
        }
        jin_path_add(in, NULL, (long)fr->used[i]);
        *out = json_array_get(val, fr->used[i]++);
        return 0;
    }
    if (fr->used[i]) {
        return jin_fail(in, VMS_EFORMAT, "one value where the description "
                        "has more");
    }
    fr->used[i]++;
    *out = val;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "0x%0Nx" with an optional " (-N)" after it (ignored: the hex decides). */
static bool parse_hex_int(const char *s, uint64_t *v, bool *wide)
{
    size_t digits = 0;

    *v = 0;
    *wide = false;
    if (s[0] != '0' || (s[1] | 0x20) != 'x') {
        return false;
    }
    for (s += 2; hexval(*s) >= 0; s++, digits++) {
        if (*v >> 60) {
            *wide = true;
        }
        *v = (*v << 4) | (uint64_t)hexval(*s);
    }
    if (!digits) {
        return false;
    }
    if (*s == 0) {
        return true;
    }
    if (s[0] != ' ' || s[1] != '(') {
        return false;
    }
    s += 2;
    s += *s == '-';
    if (!(*s >= '0' && *s <= '9')) {
        return false;
    }
    while (*s >= '0' && *s <= '9') {
        s++;
    }
    return s[0] == ')' && s[1] == 0;
}

static int jin_int(json_in *in, const vms_field *f, const json_t *j,
                   size_t size, bool sgn, uint8_t *wire)
{
    uint64_t max = size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
    const char *tn = vms_field_type_name(f);
    uint64_t v;
    bool wide;

    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (!parse_hex_int(s, &v, &wide)) {
            return jin_fail(in, VMS_EFORMAT, "\"%.40s\" is not a %s "
                            "(\"0x...\" or a number)", s, tn);
        }
        if (wide || v > max) {
            return jin_fail(in, VMS_EFORMAT, "%.40s does not fit %s", s, tn);
        }
    } else if (json_is_integer(j)) {
        json_int_t x = json_integer_value(j);
        int64_t lo = sgn ? (size == 8 ? INT64_MIN
                                      : -(int64_t)(1ull << (8 * size - 1)))
                         : 0;
        if (x < lo || (x > 0 && (uint64_t)x > max)) {
            return jin_fail(in, VMS_EFORMAT, "%lld does not fit %s",
                            (long long)x, tn);
        }
        v = (uint64_t)x & max;
    } else {
        return jin_fail(in, VMS_EFORMAT, "%s needs \"0x...\" or a number",
                        tn);
    }
    for (size_t i = size; i-- > 0; v >>= 8) {
        wire[i] = (uint8_t)v;
    }
    return 0;
}

/* "aa bb cc": exactly size bytes. */
static int jin_bytes(json_in *in, const vms_field *f, const json_t *j,
                     size_t size, uint8_t *wire)
{
    const char *s = json_string_value(j);
    size_t n = 0;

    if (!s) {
        return jin_fail(in, VMS_EFORMAT, "%s needs a string of hex bytes",
                        vms_field_type_name(f));
    }
    while (*s) {
        int hi, lo;
        if (n && *s++ != ' ') {
            return jin_fail(in, VMS_EFORMAT, "hex bytes must be separated "
                            "by one space");
        }
        hi = hexval(s[0]);
        lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0) {
            return jin_fail(in, VMS_EFORMAT, "byte %zu is not two hex "
                            "digits", n);
        }
        if (n == size) {
            return jin_fail(in, VMS_EFORMAT, "more than the %zu bytes of "
                            "%s", size, vms_field_type_name(f));
        }
        wire[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    if (n != size) {
        return jin_fail(in, VMS_EFORMAT, "%zu bytes where %s has %zu", n,
                        vms_field_type_name(f), size);
    }
    return 0;
}

static const char *jin_key(json_in *in, const vms_field *f, char *buf,
                           size_t len)
{
    return vms_field_vmdesc_name(in->stack[in->depth - 1].d, f, buf, len);
}

static int ji_leaf(vms_visitor *v, const vms_field *f, void *elem,
                   size_t size)
{
    json_in *in = (json_in *)v;
    uint8_t small[64], *wire = small;
    char kb[300];
    const json_t *j;
    bool sgn;
    enum leaf_kind k = leaf_kind(f, size, &sgn);
    int e;

    if ((e = jin_take(in, jin_key(in, f, kb, sizeof(kb)), &j))) {
        return e;
    }
    if (size > sizeof(small) && !(wire = malloc(size))) {
        return jin_fail(in, VMS_ENOMEM, "out of memory");
    }
    switch (k) {
    case LK_BOOL:
        if (!json_is_boolean(j)) {
            e = jin_fail(in, VMS_EFORMAT, "bool needs true or false");
            break;
        }
        memset(wire, 0, size);
        wire[0] = json_is_true(j);
        break;
    case LK_NULLPTR:
        if (!json_is_string(j) ||
            strcmp(json_string_value(j), "nullptr") != 0) {
            e = jin_fail(in, VMS_EFORMAT, "\"nullptr\" expected");
            break;
        }
        memset(wire, VMS_NULLPTR_MARKER, size);
        break;
    case LK_INT:
        e = jin_int(in, f, j, size, sgn, wire);
        break;
    case LK_HEX:
        e = jin_bytes(in, f, j, size, wire);
        break;
    }
    if (!e) {
        vms_leaf_from_wire(f, wire, size, elem);
    }
    if (wire != small) {
        free(wire);
    }
    return e;
}

static int ji_null(vms_visitor *v, const vms_field *f)
{
    json_in *in = (json_in *)v;
    const json_t *j;
    char kb[300];
    int e = jin_take(in, jin_key(in, f, kb, sizeof(kb)), &j);

    if (!e && (!json_is_string(j) ||
               strcmp(json_string_value(j), "nullptr") != 0)) {
        e = jin_fail(in, VMS_EFORMAT, "\"nullptr\" expected (the element "
                     "is a NULL pointer)");
    }
    return e;
}

static int ji_begin_desc(vms_visitor *v, const vms_desc *d,
                         const vms_field *f, int version_id)
{
    json_in *in = (json_in *)v;
    const json_t *j;
    char kb[300];
    int e;

    (void)version_id;
    if (in->sub_pending) {
        in->sub_pending = false;
        return 0;
    }
    if (!f) {
        if (in->depth) {
            return jin_fail(in, VMS_EINVAL, "a second top-level walk");
        }
        return jin_push(in, in->root, d);
    }
    if ((e = jin_take(in, jin_key(in, f, kb, sizeof(kb)), &j))) {
        return e;
    }
    return jin_push(in, j, d);
}

static int ji_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    (void)d;
    (void)f;
    return jin_pop((json_in *)v);
}

/*
 * The JSON keeps no subsection versions: the description's own is what
 * the output visitor wrote (and what a vmdesc-built one recorded).
 */
static int ji_sub_begin(vms_visitor *v, const vms_desc *sub,
                        uint32_t *version_id)
{
    json_in *in = (json_in *)v;
    const json_t *j;
    int e = jin_take(in, sub->name, &j);

    if (!e && !(e = jin_push(in, j, sub))) {
        in->sub_pending = true;
        *version_id = (uint32_t)sub->version_id;
    }
    return e;
}

/* The first member not taken yet that names one of d's subsections. */
static int ji_sub_peek(vms_visitor *v, char name[256])
{
    json_in *in = (json_in *)v;
    jin_frame *fr = &in->stack[in->depth - 1];

    for (size_t i = 0; i < fr->n; i++) {
        if (fr->used[i]) {
            continue;
        }
        for (size_t s = 0; s < fr->d->n_subsections; s++) {
            if (strcmp(fr->d->subsections[s]->name, fr->keys[i]) == 0) {
                snprintf(name, 256, "%s", fr->keys[i]);
                return 1;
            }
        }
    }
    return 0;
}

static void ji_free(vms_visitor *v)
{
    json_in *in = (json_in *)v;

    while (in->depth) {
        frame_free(&in->stack[--in->depth]);
    }
    json_decref(in->owned);
    free(in);
}

static const vms_visit_ops json_in_ops = {
    .begin_desc = ji_begin_desc,
    .end_desc = ji_end_desc,
    .leaf = ji_leaf,
    .null_elem = ji_null,
    .subsection_begin = ji_sub_begin,
    .subsection_peek = ji_sub_peek,
    .free = ji_free,
};

vms_visitor *vms_json_state_input_new(const json_t *value, const char *where,
                                      vms_error *err)
{
    if (!value) {
        vms_error_set(err, VMS_EINVAL, "a JSON state visitor needs a value");
        return NULL;
    }
    json_in *in = (json_in *)vms__visitor_alloc(sizeof(*in), &json_in_ops,
                                               true, err);

    if (in) {
        in->root = value;
        snprintf(in->path, sizeof(in->path), "%s", where ? where : "");
        jin_path_set(in, strlen(in->path));
    }
    return in ? &in->v : NULL;
}

vms_visitor *vms_json_state_input_text(const char *text, size_t len,
                                       const char *name, vms_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    vms_visitor *v;

    if (!root) {
        vms_error_set_file(err, name);
        /* line and column go to err->line/column: printed once */
        vms_error_set(err, VMS_EFORMAT, "%s", je.text);
        if (err) {
            err->line = je.line;
            err->column = je.column;
        }
        return NULL;
    }
    v = vms_json_state_input_new(root, NULL, err);
    if (!v) {
        json_decref(root);
        return NULL;
    }
    ((json_in *)v)->owned = root;
    snprintf(((json_in *)v)->file, sizeof(((json_in *)v)->file), "%s",
             name ? name : "");
    return v;
}

int vms__json_input(void *opaque, vms_visitor **v, vms_error *err)
{
    const vms__json_src *src = opaque;

    *v = vms_json_state_input_new(src->tree, src->where, err);
    return *v ? 0 : VMS_ENOMEM;
}
