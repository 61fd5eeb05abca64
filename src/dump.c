/*
 * libvmstate: -dump-vmstate reader.
 *
 * The checker's whole cost is reading two ~2 MB JSON files, so the model
 * is filled straight from yajl's events: no tree, one mapping per file,
 * every node and string bump-allocated from one arena. Large files are
 * read first by simdjson where it is built in (dump_simdjson.cpp), which
 * replays its document to the same callbacks; yajl decides every failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>
#include "vmstate/dump.h"
#include "bytes.h"
#include "table.h"
#include "fileio.h"
#include "dump_priv.h"
#ifdef VMS__HAVE_SIMDJSON
#include "dump_simdjson.h"
#endif

#define ARENA_CHUNK (256u * 1024)

typedef struct arena_chunk {
    struct arena_chunk *prev;
    size_t used, cap;
    char data[];
} arena_chunk;

struct vms_dump {
    arena_chunk *arena;
    size_t arena_hint;          /* size of the first chunk */
    char *file;
    const char *machine;
    vms_dump_section *first, *last;
    size_t n_sections;
    vms_dump_section **table;   /* open addressing, by key */
    size_t table_mask;
    vms__dump_cache cache;      /* a layer above's (dumpdesc.c's) */
};

vms__dump_cache *vms__dump_cache_of(vms_dump *d)
{
    return &d->cache;
}

static void *arena_alloc(vms_dump *d, size_t n)
{
    arena_chunk *c = d->arena;

    n = (n + 7) & ~(size_t)7;
    if (!c || c->cap - c->used < n) {
        size_t cap = c ? ARENA_CHUNK : d->arena_hint;
        void *m;

        cap = n > cap ? n : cap;
        /*
         * Pre-faulted in one call: page faults taken one by one cost as
         * much as the parse itself, and serialise the two loader threads.
         */
        m = mmap(NULL, sizeof(*c) + cap, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED) {
            return NULL;
        }
        c = m;
        c->prev = d->arena;
        c->used = 0;
        c->cap = cap;
        d->arena = c;
    }
    c->used += n;
    return c->data + c->used - n;
}

static void *arena_zalloc(vms_dump *d, size_t n)
{
    void *p = arena_alloc(d, n);

    if (p) {
        memset(p, 0, n);
    }
    return p;
}

static char *arena_strdup(vms_dump *d, const unsigned char *s, size_t len)
{
    char *p = arena_alloc(d, len + 1);

    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

/* FNV-1a: section names are short and few; anything simple will do. */
static vms_dump_section **table_slot(const vms_dump *d, const char *key)
{
    size_t i = vms__hash_str(key, 2166136261u) & d->table_mask;

    while (d->table[i] && strcmp(d->table[i]->key, key) != 0) {
        i = (i + 1) & d->table_mask;
    }
    return &d->table[i];
}

static int table_grow(vms_dump *d)
{
    size_t n = d->table ? (d->table_mask + 1) * 2 : 1024;
    vms_dump_section **old = d->table;
    size_t old_n = d->table ? d->table_mask + 1 : 0;

    d->table = calloc(n, sizeof(*d->table));
    if (!d->table) {
        d->table = old;
        return -1;
    }
    d->table_mask = n - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old[i]) {
            *table_slot(d, old[i]->key) = old[i];
        }
    }
    free(old);
    return 0;
}

/* ---- event handling ---- */

/* Keys the model knows; everything else is kept by name and skipped. */
enum key_id {
    K_OTHER, K_NAME_CAP, K_NAME, K_VERSION, K_MIN_VERSION, K_DESCRIPTION,
    K_FIELDS, K_SUBSECTIONS, K_FIELD, K_FIELD_EXISTS, K_SIZE, K_NUM,
};

static const char *const key_names[] = {
    [K_NAME_CAP] = "Name", [K_NAME] = "name", [K_VERSION] = "version_id",
    [K_MIN_VERSION] = "minimum_version_id", [K_DESCRIPTION] = "Description",
    [K_FIELDS] = "Fields", [K_SUBSECTIONS] = "Subsections",
    [K_FIELD] = "field", [K_FIELD_EXISTS] = "field_exists",
    [K_SIZE] = "size", [K_NUM] = "num",
};

enum frame_kind { FR_TOP, FR_SECTION, FR_DESC, FR_FIELD, FR_FIELDS, FR_SUBS };

/* Bits of "seen" for the required keys of each object kind. */
#define SEEN(k) (1u << (k))

typedef struct frame {
    enum frame_kind kind;
    enum key_id key;            /* key whose value comes next */
    const char *key_text;       /* its text (for messages and sections) */
    unsigned seen;
    size_t start;               /* offset of the '{' or '[' */
    void *obj;
    vms_dump_key **key_tail;    /* sections and descriptions */
    void **list_tail;           /* arrays: where the next element links */
} frame;

typedef struct parser {
    vms_dump *d;
    yajl_handle h;
    const unsigned char *text;
    size_t len;
    vms_error *err;
    int code;
    int skip;                   /* depth inside an ignored value */
    int depth;                  /* frames in use */
    bool done;                  /* the top-level object closed */
    frame fr[VMS_DUMP_MAX_DEPTH];
} parser;

/* "The string token that just ended": resolved only for messages. */
#define OFF_STRING SIZE_MAX

static size_t string_start(const parser *p);

static void locate(const parser *p, size_t off, vms_error *err)
{
    int line = 1;
    size_t bol = 0;

    if (off == OFF_STRING) {
        off = string_start(p);
    }
    if (off > p->len) {
        off = p->len;
    }
    for (size_t i = 0; i < off; i++) {
        if (p->text[i] == '\n') {
            line++;
            bol = i + 1;
        }
    }
    err->line = line;
    err->column = (int)(off - bol) + 1;
    err->has_offset = 1;
    err->offset = off;
}

static int fail(parser *p, int code, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(parser *p, int code, size_t off, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(p->err, code, fmt, ap);
    va_end(ap);
    if (p->err) {
        locate(p, off, p->err);
    }
    p->code = code;
    return 0;
}

/* simdjson replays events without positions: its failures go to yajl. */
static size_t here(const parser *p)
{
    return p->h ? yajl_get_bytes_consumed(p->h) : 0;
}

/*
 * Where the string token that just ended began: yajl hands over the
 * decoded text, so walk back over the raw bytes to the unescaped quote.
 */
static size_t string_start(const parser *p)
{
    size_t end = here(p);
    size_t i;

    if (end < 2) {
        return 0;
    }
    for (i = end - 2; i > 0; i--) {
        if (p->text[i] == '"') {
            size_t bs = 0;

            while (bs < i && p->text[i - 1 - bs] == '\\') {
                bs++;
            }
            if (bs % 2 == 0) {
                return i;
            }
        }
    }
    return 0;
}

static int no_memory(parser *p)
{
    return fail(p, VMS_ENOMEM, here(p), "out of memory");
}

static enum key_id key_lookup(const unsigned char *k, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
    switch (n) {
    case 3: return IS("num") ? K_NUM : K_OTHER;
    case 4:
        if (IS("Name")) {
            return K_NAME_CAP;
        }
        if (IS("name")) {
            return K_NAME;
        }
        return IS("size") ? K_SIZE : K_OTHER;
    case 5: return IS("field") ? K_FIELD : K_OTHER;
    case 6: return IS("Fields") ? K_FIELDS : K_OTHER;
    case 10: return IS("version_id") ? K_VERSION : K_OTHER;
    case 11: return IS("Description") ? K_DESCRIPTION
                    : IS("Subsections") ? K_SUBSECTIONS : K_OTHER;
    case 12: return IS("field_exists") ? K_FIELD_EXISTS : K_OTHER;
    case 18: return IS("minimum_version_id") ? K_MIN_VERSION : K_OTHER;
    }
    return K_OTHER;
#undef IS
}

/* Which keys each kind of object models, and their JSON types. */
enum vtype { T_NONE, T_STRING, T_INT, T_BOOL, T_OBJECT, T_ARRAY };

/*
 * A table, not a switch: looked up for every value of the file.
 * Sections, descriptions and fields only; other frames hold no keys.
 */
static const unsigned char value_types[FR_FIELD + 1][K_NUM + 1] = {
    [FR_SECTION] = {
        [K_NAME_CAP] = T_STRING, [K_VERSION] = T_INT,
        [K_MIN_VERSION] = T_INT, [K_DESCRIPTION] = T_OBJECT,
    },
    [FR_DESC] = {
        [K_NAME] = T_STRING, [K_VERSION] = T_INT, [K_MIN_VERSION] = T_INT,
        [K_FIELDS] = T_ARRAY, [K_SUBSECTIONS] = T_ARRAY,
    },
    [FR_FIELD] = {
        [K_FIELD] = T_STRING, [K_VERSION] = T_INT, [K_MIN_VERSION] = T_INT,
        [K_SIZE] = T_INT, [K_NUM] = T_INT, [K_FIELD_EXISTS] = T_BOOL,
        [K_DESCRIPTION] = T_OBJECT,
    },
};

static const char *const type_names[] = {
    [T_NONE] = "null", [T_STRING] = "a string", [T_INT] = "a 64-bit integer",
    [T_BOOL] = "a boolean", [T_OBJECT] = "an object", [T_ARRAY] = "an array",
};

static const char *frame_what(const frame *f)
{
    switch (f->kind) {
    case FR_SECTION: return "section";
    case FR_DESC: return "description";
    case FR_FIELD: return "field";
    default: return "";
    }
}

/*
 * A value of type got arrived in the top frame: decide whether it is
 * stored (return 1), ignored (return 2, unknown key), or wrong (0, error
 * set). what describes the value for messages ("a string", "3.5").
 */
static int accept_value(parser *p, enum vtype got, const char *what,
                        size_t off)
{
    frame *f;
    enum vtype want;

    if (p->depth == 0) {
        if (p->done) {
            return fail(p, VMS_EFORMAT, off,
                        "unexpected value after the dump");
        }
        if (got == T_OBJECT) {
            return 1;
        }
        return fail(p, VMS_EFORMAT, off,
                    "not a -dump-vmstate file: the top level is %s, "
                    "not an object", what);
    }
    f = &p->fr[p->depth - 1];
    switch (f->kind) {
    case FR_TOP:
        if (got == T_OBJECT) {
            return 1;
        }
        return fail(p, VMS_EFORMAT, off,
                    "not a -dump-vmstate file: section \"%s\" is %s, "
                    "not an object", f->key_text, what);
    case FR_FIELDS:
    case FR_SUBS:
        if (got == T_OBJECT) {
            return 1;
        }
        return fail(p, VMS_EFORMAT, off, "\"%s\" holds %s, not an object",
                    f->kind == FR_FIELDS ? "Fields" : "Subsections", what);
    default:
        break;
    }
    want = value_types[f->kind][f->key];
    if (want == T_NONE) {
        return 2;
    }
    if (want != got) {
        return fail(p, VMS_EFORMAT, off, "%s key \"%s\" is %s, not %s",
                    frame_what(f), key_names[f->key], what, type_names[want]);
    }
    f->seen |= SEEN(f->key);
    return 1;
}

static int cb_null(void *ctx)
{
    parser *p = ctx;

    if (p->skip) {
        return 1;
    }
    return accept_value(p, T_NONE, "null", here(p) - 4) != 0;
}

static int cb_boolean(void *ctx, int v)
{
    parser *p = ctx;
    int r;

    if (p->skip) {
        return 1;
    }
    r = accept_value(p, T_BOOL, v ? "true" : "false", here(p) - (v ? 4 : 5));
    if (r == 1) {
        ((vms_dump_field *)p->fr[p->depth - 1].obj)->field_exists = v;
    }
    return r != 0;
}

/*
 * A number arrived: v when ok (an int64), else what words it. Both event
 * sources end here (simdjson with the value, yajl with the text).
 */
static int take_number(parser *p, bool ok, int64_t v, const char *what,
                       size_t off)
{
    int64_t *dst, *ver, *min;
    bool *has_min;
    int r;
    frame *f;

    r = accept_value(p, ok ? T_INT : T_NONE, ok ? "an integer" : what, off);
    if (r != 1) {
        return r != 0;
    }
    /*
     * ver: where a plain integer goes (version_id, size); min: where an
     * optional one goes (minimum_version_id, num), with its flag.
     */
    f = &p->fr[p->depth - 1];
    switch (f->kind) {
    case FR_SECTION: {
        vms_dump_section *sec = f->obj;

        ver = &sec->version_id;
        min = &sec->minimum_version_id;
        has_min = &sec->has_minimum_version_id;
        break;
    }
    case FR_DESC: {
        vms_dump_desc *desc = f->obj;

        ver = &desc->version_id;
        min = &desc->minimum_version_id;
        has_min = &desc->has_minimum_version_id;
        break;
    }
    default: {
        vms_dump_field *fld = f->obj;

        ver = &fld->version_id;
        min = &fld->minimum_version_id;
        has_min = &fld->has_minimum_version_id;
        if (f->key == K_SIZE) {
            ver = &fld->size;
        } else if (f->key == K_NUM) {
            min = &fld->num;
            has_min = &fld->has_num;
        }
        break;
    }
    }
    if (f->key == K_VERSION || f->key == K_SIZE) {
        dst = ver;
    } else {
        dst = min;
        *has_min = true;
    }
    *dst = v;
    return 1;
}

#ifdef VMS__HAVE_SIMDJSON
/* simdjson's integers, already parsed (vms__dump_simdjson's integer). */
static int dump_integer(void *ctx, int64_t v)
{
    parser *p = ctx;

    return p->skip ? 1 : take_number(p, true, v, NULL, here(p));
}
#endif

static int cb_number(void *ctx, const char *s, size_t len)
{
    parser *p = ctx;
    size_t off = here(p) - len;
    char what[64];
    uint64_t v = 0;
    bool neg = false, ok = true;
    size_t i = 0;

    if (p->skip) {
        return 1;
    }
    if (len && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len) {
        ok = false;
    }
    for (; i < len && ok; i++) {
        if (s[i] < '0' || s[i] > '9') {
            ok = false;
        } else if (v > (UINT64_MAX - 9) / 10) {
            ok = false;
        } else {
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (ok && v > (uint64_t)INT64_MAX + neg) {
        ok = false;
    }
    if (!ok) {
        /* Only a message needs the text: formatting it always costs. */
        snprintf(what, sizeof(what), "the number %.*s%s",
                 len > 24 ? 24 : (int)len, s, len > 24 ? "..." : "");
    }
    return take_number(p, ok, neg ? (int64_t)(0 - v) : (int64_t)v,
                       what, off);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    parser *p = ctx;
    const char **dst;
    size_t off;
    int r;
    frame *f;

    if (p->skip) {
        return 1;
    }
    off = OFF_STRING;
    r = accept_value(p, T_STRING, "a string", off);
    if (r != 1) {
        return r != 0;
    }
    if (memchr(s, 0, len)) {
        return fail(p, VMS_EFORMAT, off, "string holds a NUL character");
    }
    f = &p->fr[p->depth - 1];
    switch (f->kind) {
    case FR_SECTION: dst = &((vms_dump_section *)f->obj)->name; break;
    case FR_DESC: dst = &((vms_dump_desc *)f->obj)->name; break;
    default: dst = &((vms_dump_field *)f->obj)->name; break;
    }
    *dst = arena_strdup(p->d, s, len);
    return *dst ? 1 : no_memory(p);
}

static frame *push(parser *p, enum frame_kind kind, void *obj, size_t start)
{
    frame *f;

    if (p->depth + p->skip >= VMS_DUMP_MAX_DEPTH) {
        fail(p, VMS_ELIMIT, start, "nesting deeper than VMS_LIMIT_DUMP_DEPTH (%d)",
             VMS_DUMP_MAX_DEPTH);
        return NULL;
    }
    f = &p->fr[p->depth++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->obj = obj;
    f->start = start;
    return f;
}

/* Enter an ignored value, still bounded in depth. */
static int skip_in(parser *p, size_t start)
{
    if (p->depth + p->skip >= VMS_DUMP_MAX_DEPTH) {
        return fail(p, VMS_ELIMIT, start, "nesting deeper than VMS_LIMIT_DUMP_DEPTH (%d)",
                    VMS_DUMP_MAX_DEPTH);
    }
    p->skip++;
    return 1;
}

static vms_dump_desc *new_desc(parser *p, size_t start)
{
    vms_dump_desc *desc = arena_zalloc(p->d, sizeof(*desc));
    frame *f;

    if (!desc) {
        no_memory(p);
        return NULL;
    }
    f = push(p, FR_DESC, desc, start);
    if (!f) {
        return NULL;
    }
    f->key_tail = (vms_dump_key **)&desc->keys;
    return desc;
}

/*
 * What '{' and '[' share: inside an ignored value, or as the value of an
 * unknown key, go one level deeper in skip mode. Returns the callback's
 * result, or -1 when the caller is to open a modelled object or array.
 */
static int enter(parser *p, enum vtype t, const char *what, size_t start)
{
    int r;

    if (p->skip) {
        return skip_in(p, start);
    }
    r = accept_value(p, t, what, start);
    if (r != 1) {
        return r == 2 ? skip_in(p, start) : 0;
    }
    return -1;
}

static int cb_start_map(void *ctx)
{
    parser *p = ctx;
    size_t start = here(p) - 1;
    frame *f;
    int r;

    r = enter(p, T_OBJECT, "an object", start);
    if (r >= 0) {
        return r;
    }
    if (p->depth == 0) {
        return push(p, FR_TOP, NULL, start) != NULL;
    }
    f = &p->fr[p->depth - 1];
    switch (f->kind) {
    case FR_TOP: {
        vms_dump_section *sec = arena_zalloc(p->d, sizeof(*sec));
        frame *nf;

        if (!sec) {
            return no_memory(p);
        }
        sec->key = f->key_text;
        nf = push(p, FR_SECTION, sec, start);
        if (!nf) {
            return 0;
        }
        nf->key_tail = (vms_dump_key **)&sec->keys;
        return 1;
    }
    case FR_SECTION: {
        vms_dump_desc *desc = new_desc(p, start);

        ((vms_dump_section *)f->obj)->desc = desc;
        return desc != NULL;
    }
    case FR_FIELD: {
        vms_dump_desc *desc = new_desc(p, start);

        ((vms_dump_field *)f->obj)->desc = desc;
        return desc != NULL;
    }
    case FR_SUBS: {
        vms_dump_desc *desc = new_desc(p, start);

        if (!desc) {
            return 0;
        }
        *f->list_tail = desc;
        f->list_tail = (void **)&desc->next;
        return 1;
    }
    case FR_FIELDS: {
        vms_dump_field *fld = arena_zalloc(p->d, sizeof(*fld));

        if (!fld) {
            return no_memory(p);
        }
        *f->list_tail = fld;
        f->list_tail = (void **)&fld->next;
        return push(p, FR_FIELD, fld, start) != NULL;
    }
    default:
        return fail(p, VMS_EFORMAT, start, "unexpected object");
    }
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
    parser *p = ctx;
    frame *f;

    if (p->skip) {
        return 1;
    }
    f = &p->fr[p->depth - 1];
    f->key = key_lookup(k, len);
    if (f->kind == FR_TOP || (f->key_tail && f->key == K_OTHER)) {
        char *s;

        if (memchr(k, 0, len)) {
            return fail(p, VMS_EFORMAT, OFF_STRING,
                        "key holds a NUL character");
        }
        s = arena_strdup(p->d, k, len);
        if (!s) {
            return no_memory(p);
        }
        f->key_text = s;
    } else {
        f->key_text = key_names[f->key];
    }
    if (f->key_tail) {
        vms_dump_key *kn;
        const vms_dump_key *it;

        /* python's dict keeps a repeated key at its first place. */
        if (f->key == K_OTHER || (f->seen & SEEN(f->key))) {
            it = f->kind == FR_SECTION ? ((vms_dump_section *)f->obj)->keys
                                       : ((vms_dump_desc *)f->obj)->keys;
            for (; it; it = it->next) {
                if (strcmp(it->name, f->key_text) == 0) {
                    return 1;
                }
            }
        }
        kn = arena_alloc(p->d, sizeof(*kn));
        if (!kn) {
            return no_memory(p);
        }
        kn->name = f->key_text;
        kn->next = NULL;
        *f->key_tail = kn;
        f->key_tail = (vms_dump_key **)&kn->next;
    }
    return 1;
}

static int missing(parser *p, const frame *f, enum key_id k)
{
    const char *what = frame_what(f);
    const char *name = NULL;

    if (f->kind == FR_SECTION) {
        name = ((vms_dump_section *)f->obj)->key;
    } else if (f->kind == FR_DESC) {
        name = ((vms_dump_desc *)f->obj)->name;
    } else {
        name = ((vms_dump_field *)f->obj)->name;
    }
    if (name) {
        return fail(p, VMS_EFORMAT, f->start,
                    "not a -dump-vmstate file: %s \"%s\" has no \"%s\"",
                    what, name, key_names[k]);
    }
    return fail(p, VMS_EFORMAT, f->start,
                "not a -dump-vmstate file: %s has no \"%s\"",
                what, key_names[k]);
}

static int require(parser *p, const frame *f, const enum key_id *keys,
                   size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!(f->seen & SEEN(keys[i]))) {
            return missing(p, f, keys[i]);
        }
    }
    return 1;
}

static int close_section(parser *p, frame *f)
{
    static const enum key_id sec_keys[] = { K_VERSION };
    static const enum key_id machine_keys[] = { K_NAME_CAP };
    vms_dump_section *sec = f->obj, **slot;
    vms_dump *d = p->d;
    bool machine = strcmp(sec->key, "vmschkmachine") == 0;

    if (!require(p, f, machine ? machine_keys : sec_keys, 1)) {
        return 0;
    }
    if (machine) {
        d->machine = sec->name;
    }
    if ((d->n_sections + 1) * 2 > d->table_mask + 1 && table_grow(d) < 0) {
        return no_memory(p);
    }
    slot = table_slot(d, sec->key);
    if (*slot) {
        /* A repeated section: the last value at the first place. */
        const vms_dump_section *next = (*slot)->next;

        **slot = *sec;
        (*slot)->next = next;
        return 1;
    }
    *slot = sec;
    if (d->last) {
        d->last->next = sec;
    } else {
        d->first = sec;
    }
    d->last = sec;
    d->n_sections++;
    return 1;
}

static int cb_end_map(void *ctx)
{
    static const enum key_id desc_keys[] = { K_NAME, K_VERSION };
    static const enum key_id field_keys[] = { K_FIELD, K_VERSION, K_SIZE };
    parser *p = ctx;
    frame *f;
    int r = 1;

    if (p->skip) {
        p->skip--;
        return 1;
    }
    f = &p->fr[p->depth - 1];
    switch (f->kind) {
    case FR_TOP:
        if (!p->d->machine) {
            return fail(p, VMS_EFORMAT, f->start,
                        "not a -dump-vmstate file: no \"vmschkmachine\" "
                        "section");
        }
        p->done = true;
        break;
    case FR_SECTION:
        r = close_section(p, f);
        break;
    case FR_DESC:
        r = require(p, f, desc_keys, VMS__ARRAY_SIZE(desc_keys));
        break;
    case FR_FIELD:
        r = require(p, f, field_keys, VMS__ARRAY_SIZE(field_keys));
        break;
    default:
        break;
    }
    p->depth--;
    return r;
}

static int cb_start_array(void *ctx)
{
    parser *p = ctx;
    size_t start = here(p) - 1;
    frame *f, *nf;
    vms_dump_desc *desc;
    int r;

    r = enter(p, T_ARRAY, "an array", start);
    if (r >= 0) {
        return r;
    }
    f = &p->fr[p->depth - 1];
    desc = f->obj;
    nf = push(p, f->key == K_FIELDS ? FR_FIELDS : FR_SUBS, NULL, start);
    if (!nf) {
        return 0;
    }
    /* A repeated key replaces the earlier list, as in python. */
    if (nf->kind == FR_FIELDS) {
        desc->has_fields = true;
        desc->fields = NULL;
        nf->list_tail = (void **)&desc->fields;
    } else {
        desc->has_subsections = true;
        desc->subsections = NULL;
        nf->list_tail = (void **)&desc->subsections;
    }
    return 1;
}

static int cb_end_array(void *ctx)
{
    parser *p = ctx;

    if (p->skip) {
        p->skip--;
        return 1;
    }
    p->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end_map,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end_array,
};

/* yajl's own message is "parse error: premature EOF\n..." style. */
static void syntax_error(parser *p, yajl_status st, bool at_end)
{
    unsigned char *msg = yajl_get_error(p->h, 0, p->text, p->len);
    const char *m = (const char *)msg;
    /* yajl_complete_parse restarts its byte count at 0. */
    size_t off = at_end ? p->len : here(p);
    int code = VMS_EFORMAT;
    char buf[160];
    size_t n;

    if (st == yajl_status_client_canceled || p->code) {
        yajl_free_error(p->h, msg);
        return;
    }
    if (!m) {
        m = "not valid JSON";
    }
    snprintf(buf, sizeof(buf), "%s", m);
    n = strcspn(buf, "\n");
    buf[n] = 0;
    while (n && buf[n - 1] == ' ') {
        buf[--n] = 0;
    }
    if (at_end && strstr(buf, "premature EOF")) {
        code = VMS_ETRUNC;
    }
    yajl_free_error(p->h, msg);
    /* yajl counts the bad byte as consumed; point at it, not after it. */
    if (off > 0 && code != VMS_ETRUNC) {
        off--;
    }
    if (code == VMS_ETRUNC && p->len == 0) {
        buf[0] = 0;
        fail(p, code, off, "empty file: not JSON");
        return;
    }
    fail(p, code, off, "not valid JSON: %s", buf);
}

void vms_dump_free(vms_dump *d)
{
    if (!d) {
        return;
    }
    while (d->arena) {
        arena_chunk *c = d->arena;

        d->arena = c->prev;
        munmap(c, sizeof(*c) + c->cap);
    }
    if (d->cache.free) {
        d->cache.free(d->cache.data);
    }
    free(d->table);
    free(d->file);
    free(d);
}

/*
 * QEMU indents its dumps with runs of spaces after each newline: about
 * half the bytes, and yajl lexes them one by one. Fed without them (in
 * small chunks that stay in cache) yajl sees the same events: a raw
 * newline cannot sit inside a JSON string (yajl rejects it even without
 * UTF-8 validation), so the dropped spaces were always between tokens.
 * Offsets are then meaningless, so the caller parses a failure again from
 * the original text.
 */
static yajl_status feed_squeezed(yajl_handle h, const unsigned char *p,
                                 const unsigned char *end)
{
    unsigned char chunk[65536];
    yajl_status st = yajl_status_ok;

    while (st == yajl_status_ok && p < end) {
        size_t n = 0;

        while (p < end && n < sizeof(chunk)) {
            size_t room = sizeof(chunk) - n;
            size_t avail = (size_t)(end - p) < room ? (size_t)(end - p)
                                                    : room;
            const unsigned char *nl = memchr(p, '\n', avail);
            size_t k = nl ? (size_t)(nl - p) + 1 : avail;

            memcpy(chunk + n, p, k);
            n += k;
            p += k;
            if (nl) {
                /* Indents are long runs: skip them a word at a time. */
                uint64_t w;

                while (end - p >= 8 &&
                       (memcpy(&w, p, 8), w == 0x2020202020202020ull)) {
                    p += 8;
                }
                while (p < end && *p == ' ') {
                    p++;
                }
            }
        }
        st = yajl_parse(h, chunk, n);
    }
    return st;
}

int vms__dump_parse(const void *data, size_t len, const char *name,
                    enum vms__dump_reader reader, vms_dump **out,
                    vms_error *err)
{
    parser *p;
    vms_dump *d;
    yajl_status st;
    bool at_end = false;
    int code = 0;

    *out = NULL;
    vms_error_clear(err);
    d = calloc(1, sizeof(*d));
    p = calloc(1, sizeof(*p));
    if (!d || !p || !(d->file = strdup(name ? name : ""))) {
        free(p);
        vms_dump_free(d);
        vms_error_set_file(err, name);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    /* The model of a real dump takes about 5/8 of its JSON text. */
    d->arena_hint = len / 8 * 5 + ARENA_CHUNK / 4;
    p->d = d;
    p->text = data;
    p->len = len;
    p->err = err;
    if (reader == VMS__DUMP_SIMDJSON || reader == VMS__DUMP_SIMDJSON_PADDED) {
#ifdef VMS__HAVE_SIMDJSON
        if (vms__dump_simdjson(data, len, reader == VMS__DUMP_SIMDJSON_PADDED,
                               &callbacks, dump_integer, p) == 0) {
            goto out;
        }
#endif
        code = p->code ? p->code : VMS_EFORMAT;
        if (!p->code) {
            vms_error_set(err, code, "not valid JSON (simdjson)");
        }
        goto out;
    }
    p->h = yajl_alloc(&callbacks, NULL, p);
    if (!p->h) {
        code = vms_error_set(err, VMS_ENOMEM, "out of memory");
        goto out;
    }
    /*
     * Names are only compared and printed back, never decoded, so UTF-8
     * validation would be pure cost (python would reject invalid UTF-8;
     * we pass the bytes through).
     */
    yajl_config(p->h, yajl_dont_validate_strings, 1);
    if (reader == VMS__DUMP_YAJL_SQUEEZED) {
        st = feed_squeezed(p->h, data, (const unsigned char *)data + len);
    } else {
        st = yajl_parse(p->h, data, len);
    }
    if (st == yajl_status_ok) {
        at_end = true;
        st = yajl_complete_parse(p->h);
    }
    if (st != yajl_status_ok) {
        syntax_error(p, st, at_end);
        code = p->code ? p->code : VMS_EFORMAT;
    }
out:
    if (p->h) {
        yajl_free(p->h);
    }
    free(p);
    if (code) {
        vms_error_set_file(err, name);
        vms_dump_free(d);
        return code;
    }
    *out = d;
    return 0;
}

/*
 * padded: SIMDJSON_PADDING bytes after the text may be read (simdjson
 * otherwise copies the text to a padded buffer first).
 */
static int load_buffer(const void *data, size_t len, bool padded,
                       const char *name, vms_dump **out, vms_error *err)
{
    if (len > VMS_LIMIT_DUMP_SIZE) {
        *out = NULL;
        vms_error_set_file(err, name);
        return vms_error_set(err, VMS_ELIMIT, "dump of %zu bytes exceeds "
                             "VMS_LIMIT_DUMP_SIZE (%u)", len,
                             VMS_LIMIT_DUMP_SIZE);
    }
    /* Large inputs take a fast path; errors are located on the text. */
    if (len >= 65536 &&
        vms__dump_parse(data, len, name, vms__dump_have_simdjson()
                        ? (padded ? VMS__DUMP_SIMDJSON_PADDED
                                  : VMS__DUMP_SIMDJSON)
                        : VMS__DUMP_YAJL_SQUEEZED, out, err) == 0) {
        return 0;
    }
    return vms__dump_parse(data, len, name, VMS__DUMP_YAJL, out, err);
}

int vms_dump_load_buffer(const void *data, size_t len, const char *name,
                         vms_dump **out, vms_error *err)
{
    return load_buffer(data, len, false, name, out, err);
}

bool vms__dump_have_simdjson(void)
{
#ifdef VMS__HAVE_SIMDJSON
    return true;
#else
    return false;
#endif
}

bool vms__dump_parallel_pays(void)
{
    return !vms__dump_have_simdjson();
}

int vms_dump_load(const char *path, vms_dump **out, vms_error *err)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    unsigned char *buf = NULL, *base = MAP_FAILED;
    size_t len = 0, map_len = 0;
    bool mapped = false;
    struct stat st;
    int r;

    *out = NULL;
    vms_error_clear(err);
    if (fd < 0) {
        vms_error_set_file(err, path);
        return vms_error_set(err, errno == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                             "cannot open: %s", strerror(errno));
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        r = vms_error_set(err, VMS_EINVAL, "is a directory, not a file");
        vms_error_set_file(err, path);
        goto out;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);

        /*
         * Mapped and pre-faulted: no copy into a buffer, no page-by-page
         * faults. Dumps are a few MB; streams never come this way. A page
         * of zeros follows the text, so simdjson may read past its end.
         */
        len = (size_t)st.st_size;
        map_len = (len + page - 1) / page * page + page;
        base = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0);
        if (base != MAP_FAILED) {
            buf = mmap(base, len, PROT_READ,
                       MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0);
            mapped = buf != MAP_FAILED;
            if (!mapped) {
                munmap(base, map_len);
            }
        }
    }
    if (!mapped) {
        /* A pipe or standard input. */
        char *text;

        r = vms__read_all(fd, path, VMS_LIMIT_DUMP_SIZE, "dump",
                          "VMS_LIMIT_DUMP_SIZE", &text, &len, err);
        buf = (unsigned char *)text;
        if (r) {
            goto out;
        }
    }
    r = load_buffer(buf, len, mapped, path, out, err);
    if (mapped) {
        munmap(base, map_len);
    } else {
        free(buf);
    }
out:
    if (fd > 0) {
        close(fd);
    }
    return r;
}

const char *vms_dump_file(const vms_dump *d)
{
    return d->file;
}

const char *vms_dump_machine(const vms_dump *d)
{
    return d->machine;
}

const vms_dump_section *vms_dump_sections(const vms_dump *d)
{
    return d->first;
}

size_t vms_dump_section_count(const vms_dump *d)
{
    return d->n_sections;
}

const vms_dump_section *vms_dump_find(const vms_dump *d, const char *key)
{
    return d->table ? *table_slot(d, key) : NULL;
}

bool vms_dump_has_key(const vms_dump_key *keys, const char *name)
{
    for (; keys; keys = keys->next) {
        if (strcmp(keys->name, name) == 0) {
            return true;
        }
    }
    return false;
}
