/*
 * libvmstate: the JSON document of vmstate convert as a source, read
 * through yajl's events: the small parts of a record are kept, a "state"
 * becomes a jansson tree for the JSON state input visitor, "bytes" are
 * decoded into a spill file as they come, so a record of a gigabyte of
 * RAM never sits in memory. A record is delivered when its object closes.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>
#include <jansson.h>
#include "vmstate/visitor.h"
#include "walk.h"
#include "dumpdesc.h"
#include "visit_json.h"
#include "conv.h"

typedef struct jsrc {
    conv *c;
    yajl_handle h;
    uint64_t base;              /* input offset of the chunk being parsed */
    int code;
    int depth;                  /* containers open outside a state */
    char top_key[32], rec_key[32];
    unsigned nrec;
    /* the record being read */
    char kind[16], type[8];
    vms_unpack_item it;
    bool have_ids[4], have_footer, have_bytes, have_records, have_vmdesc;
    /* a state being built */
    json_t *tree, *stack[VMS_LIMIT_JSON_DEPTH];
    int tn;                     /* open containers of the tree */
    bool building;
    char *key;                  /* the tree's pending object key */
} jsrc;

static uint64_t js_here(jsrc *j)
{
    return j->base + yajl_get_bytes_consumed(j->h);
}

static int js_fail(jsrc *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int js_fail(jsrc *j, int code, const char *fmt, ...)
{
    va_list ap;

    if (!j->code) {
        va_start(ap, fmt);
        vms_error_setv_at(j->c->err, code, js_here(j), fmt, ap);
        va_end(ap);
        vms_error_set_file(j->c->err, j->c->in);
        j->code = code;
    }
    return 0;       /* stops yajl */
}

/* A value of the state tree: the root, an element or a member. */
static int tb_add(jsrc *j, json_t *v, bool container)
{
    if (!v) {
        return js_fail(j, VMS_ENOMEM, "out of memory");
    }
    if (j->tn == 0) {
        if (j->tree) {
            /* a record with "state" twice: keep the first, refuse */
            json_decref(v);
            return js_fail(j, VMS_EFORMAT, "duplicate key \"state\"");
        }
        j->tree = v;
    } else {
        json_t *parent = j->stack[j->tn - 1];
        if (json_is_object(parent)) {
            if (json_object_get(parent, j->key)) {
                json_decref(v);
                return js_fail(j, VMS_EFORMAT, "duplicate key \"%s\"",
                               j->key);
            }
            json_object_set_new(parent, j->key, v);
        } else {
            json_array_append_new(parent, v);
        }
    }
    free(j->key);
    j->key = NULL;
    if (container) {
        if (j->tn >= VMS_LIMIT_JSON_DEPTH) {
            return js_fail(j, VMS_ELIMIT, "nested deeper than "
                           "VMS_LIMIT_JSON_DEPTH (%d)", VMS_LIMIT_JSON_DEPTH);
        }
        j->stack[j->tn++] = v;
    } else if (j->tn == 0) {
        j->building = false;
    }
    return 1;
}

static int tb_close(jsrc *j)
{
    if (--j->tn == 0) {
        j->building = false;
    }
    return 1;
}

static int js_spill(jsrc *j, const unsigned char *s, size_t n)
{
    uint8_t out[JSON_PIECE];
    conv *c = j->c;

    if (n % 2 || n / 2 > sizeof(out)) {
        return js_fail(j, VMS_EFORMAT, "a \"bytes\" piece of %zu hex digits "
                       "(even, at most %u)", n, 2 * JSON_PIECE);
    }
    /* a gigabyte of RAM is two billion digits: a table, no branches */
    static const uint8_t digit[256] = {
        ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
        ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
        ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11,
        ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    };
    unsigned bad = 0;

    for (size_t i = 0; i < n; i += 2) {
        unsigned hi = digit[s[i]], lo = digit[s[i + 1]];
        bad |= (hi == 0) | (lo == 0);
        out[i / 2] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
    }
    if (bad) {
        return js_fail(j, VMS_EFORMAT, "\"bytes\" holds a non-hex "
                       "character");
    }
    if (pwrite(c->spill, out, n / 2, (off_t)j->it.body_len) !=
        (ssize_t)(n / 2)) {
        return js_fail(j, VMS_EIO, "cannot write a temporary file");
    }
    j->it.body_len += n / 2;
    return 1;
}

static void js_reset(jsrc *j)
{
    json_decref(j->tree);
    j->tree = NULL;
    memset(&j->it, 0, sizeof(j->it));
    memset(j->have_ids, 0, sizeof(j->have_ids));
    j->have_footer = j->have_bytes = false;
    j->kind[0] = j->type[0] = 0;
}

static int js_deliver(jsrc *j)
{
    conv *c = j->c;
    vms_unpack_item *it = &j->it;
    uint8_t *state = NULL;
    bool section = strcmp(j->kind, "section") == 0;
    int e = 0;

    if (strcmp(j->kind, "configuration") == 0) {
        it->rec.type = VMS_REC_CONFIGURATION;
        it->cfg = &c->cfg;
    } else if (strcmp(j->kind, "command") == 0) {
        it->rec.type = VMS_REC_COMMAND;
    } else if (strcmp(j->kind, "eof") == 0) {
        it->rec.type = VMS_REC_EOF;
        it->vmdesc = c->vmdesc;
        it->vmdesc_len = c->vmdesc_len;
    } else if (strcmp(j->kind, "tail") == 0) {
        it->rec.type = VMS_REC_SECTION_FULL;
        it->body = VMS_BODY_TAIL;
    } else if (section) {
        for (int t = VMS_REC_SECTION_START; t <= VMS_REC_SECTION_FULL; t++) {
            if (strcmp(j->type, section_type_name(t)) == 0) {
                it->rec.type = t;
            }
        }
        if (!it->rec.type || !j->have_ids[0] || !j->have_ids[1] ||
            !j->have_ids[2] || !j->have_ids[3] || !j->have_footer) {
            return js_fail(j, VMS_EFORMAT, "records[%u]: a section needs "
                           "type, section_id, idstr, instance_id, version "
                           "and footer", j->nrec);
        }
    } else {
        return js_fail(j, VMS_EFORMAT, "records[%u]: unknown record \"%s\"",
                       j->nrec, j->kind);
    }
    if (it->rec.type != VMS_REC_EOF && !(section && j->tree) &&
        !j->have_bytes) {
        return js_fail(j, VMS_EFORMAT, "records[%u]: \"bytes\" missing",
                       j->nrec);
    }
    if (j->tree) {
        const vms_desc *d;
        size_t size;
        char where[64];
        vms__json_src js = { j->tree, where };
        vms__state_try t = { vms__json_input, &js,
                             (int)it->rec.version_id, NULL };
        bool vmdesc = section && c->vd &&
                      !vms_vmdesc_device(c->vd, it->rec.idstr,
                                         it->rec.instance_id, &d, &size,
                                         NULL);

        if (!vmdesc && (!section || !c->dump)) {
            return js_fail(j, VMS_ENOTFOUND, "records[%u]: a state for "
                           "\"%s\" instance %u, which the document's vmdesc "
                           "does not describe%s", j->nrec, it->rec.idstr,
                           it->rec.instance_id, section && !c->dump
                           ? " (nor a dump: none was given)" : "");
        }
        snprintf(where, sizeof(where), "records[%u].state", j->nrec);
        if (vmdesc) {
            e = vms__state_try_load(&t, d, size, c->err);
        } else {
            /* the dump's mix of field_exists fields the state fits */
            e = vms__dump_section_load(c->dump, &it->rec, vms__state_try_load,
                                       &t, &d, &size, c->err);
        }
        state = t.state;
        if (e == VMS_ENOMEM) {
            free(state);
            return js_fail(j, VMS_ENOMEM, "out of memory");
        }
        if (e) {
            free(state);
            vms_error_set_file(c->err, c->in);
            j->code = e;
            return 0;
        }
        it->body = VMS_BODY_DEVICE;
        it->desc = d;
        it->state = state;
        it->state_size = size;
    } else if (section) {
        it->body = VMS_BODY_RAW;
    }
    e = c->k->item(c, it);
    free(state);
    if (e) {
        j->code = e;
        return 0;
    }
    j->nrec++;
    js_reset(j);
    return 1;
}

static int js_null(void *ctx)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_add(j, json_null(), false);
    }
    if (j->depth == 1 && strcmp(j->top_key, "vmdesc") == 0) {
        return 1;
    }
    return js_fail(j, VMS_EFORMAT, "unexpected null");
}

static int js_bool(void *ctx, int b)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_add(j, json_boolean(b), false);
    }
    if (j->depth == 3 && strcmp(j->rec_key, "footer") == 0) {
        j->it.footer = b;
        j->have_footer = true;
        return 1;
    }
    return js_fail(j, VMS_EFORMAT, "unexpected boolean");
}

static int js_int(void *ctx, long long v)
{
    jsrc *j = ctx;
    static const char *const ids[] = {
        "section_id", "instance_id", "version",
    };

    if (j->building) {
        return tb_add(j, json_integer(v), false);
    }
    if (j->depth == 1 && strcmp(j->top_key, "version") == 0) {
        return v == VMS_STREAM_VERSION ? 1
               : js_fail(j, VMS_EUNSUPPORTED, "stream version %lld", v);
    }
    for (int i = 0; j->depth == 3 && i < 3; i++) {
        if (strcmp(j->rec_key, ids[i]) == 0) {
            if (v < 0 || v > (i == 2 ? INT32_MAX : UINT32_MAX)) {
                return js_fail(j, VMS_EFORMAT, "%s %lld out of range",
                               ids[i], v);
            }
            if (i == 0) {
                j->it.rec.section_id = (uint32_t)v;
            } else if (i == 1) {
                j->it.rec.instance_id = (uint32_t)v;
            } else {
                j->it.rec.version_id = (uint32_t)v;
            }
            j->have_ids[i] = true;
            return 1;
        }
    }
    return js_fail(j, VMS_EFORMAT, "unexpected number");
}

static int js_double(void *ctx, double v)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_add(j, json_real(v), false);
    }
    return js_fail(j, VMS_EFORMAT, "unexpected number");
}

static int js_string(void *ctx, const unsigned char *s, size_t n)
{
    jsrc *j = ctx;
    conv *c = j->c;

    if (j->building) {
        return tb_add(j, json_stringn((const char *)s, n), false);
    }
    if (j->depth == 4) {
        return js_spill(j, s, n);
    }
    if (j->depth == 1 && strcmp(j->top_key, "format") == 0) {
        return n == 14 && memcmp(s, "vmstate-stream", 14) == 0 ? 1
               : js_fail(j, VMS_EFORMAT, "not a vmstate-stream document");
    }
    if (j->depth == 1 && strcmp(j->top_key, "vmdesc") == 0) {
        if (n > VMS_LIMIT_VMDESC_SIZE || j->have_vmdesc) {
            return js_fail(j, VMS_ELIMIT, n > VMS_LIMIT_VMDESC_SIZE ?
                           "vmdesc exceeds VMS_LIMIT_VMDESC_SIZE" :
                           "a second vmdesc");
        }
        j->have_vmdesc = true;
        /* a second pass (BER output) reads it again */
        free(c->vmdesc);
        if (!(c->vmdesc = malloc(n + 1))) {
            return js_fail(j, VMS_ENOMEM, "out of memory");
        }
        memcpy(c->vmdesc, s, n);
        c->vmdesc[n] = 0;
        c->vmdesc_len = n;
        if (!c->vd &&
            vms_vmdesc_parse(c->vmdesc, n, c->in, &c->vd, c->err)) {
            j->code = c->err ? c->err->code : VMS_EFORMAT;
            return 0;
        }
        return 1;
    }
    if (j->depth == 3) {
        char *dst = NULL;
        size_t cap = 0;
        if (strcmp(j->rec_key, "record") == 0) {
            dst = j->kind;
            cap = sizeof(j->kind);
        } else if (strcmp(j->rec_key, "type") == 0) {
            dst = j->type;
            cap = sizeof(j->type);
        } else if (strcmp(j->rec_key, "machine") == 0) {
            dst = c->cfg.machine;
            cap = sizeof(c->cfg.machine);
        } else if (strcmp(j->rec_key, "idstr") == 0) {
            dst = j->it.rec.idstr;
            cap = sizeof(j->it.rec.idstr);
            j->have_ids[3] = true;
        }
        if (dst) {
            if (n >= cap || memchr(s, 0, n)) {
                return js_fail(j, VMS_EFORMAT, "\"%s\" too long",
                               j->rec_key);
            }
            memcpy(dst, s, n);
            dst[n] = 0;
            return 1;
        }
    }
    return js_fail(j, VMS_EFORMAT, "unexpected string");
}

static int js_key(void *ctx, const unsigned char *s, size_t n)
{
    jsrc *j = ctx;
    char *dst = j->depth == 1 ? j->top_key : j->rec_key;

    if (j->building) {
        free(j->key);
        if (!(j->key = strndup((const char *)s, n))) {
            return js_fail(j, VMS_ENOMEM, "out of memory");
        }
        return 1;
    }
    if (n >= sizeof(j->top_key)) {
        return js_fail(j, VMS_EFORMAT, "unknown key");
    }
    memcpy(dst, s, n);
    dst[n] = 0;
    if (j->depth == 3 && strcmp(dst, "state") == 0) {
        j->building = true;
    }
    return 1;
}

static int js_start_map(void *ctx)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_add(j, json_object(), true);
    }
    if (j->depth == 0 || j->depth == 2) {
        j->depth++;
        return 1;
    }
    return js_fail(j, VMS_EFORMAT, "unexpected object");
}

static int js_end_map(void *ctx)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_close(j);
    }
    if (j->depth == 3) {
        j->depth--;
        return js_deliver(j);
    }
    j->depth--;
    return 1;
}

static int js_start_array(void *ctx)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_add(j, json_array(), true);
    }
    if (j->depth == 1 && strcmp(j->top_key, "records") == 0 &&
        !j->have_records) {
        int e = vms__conv_sink_begin(j->c);
        j->have_records = true;
        if (e) {
            j->code = e;
            return 0;
        }
        j->depth = 2;
        return 1;
    }
    if (j->depth == 3 && strcmp(j->rec_key, "bytes") == 0 &&
        !j->have_bytes) {
        j->have_bytes = true;
        j->depth = 4;
        return 1;
    }
    return js_fail(j, VMS_EFORMAT, "unexpected array");
}

static int js_end_array(void *ctx)
{
    jsrc *j = ctx;

    if (j->building) {
        return tb_close(j);
    }
    j->depth--;
    return 1;
}

static const yajl_callbacks js_callbacks = {
    .yajl_null = js_null,
    .yajl_boolean = js_bool,
    .yajl_integer = js_int,
    .yajl_double = js_double,
    .yajl_string = js_string,
    .yajl_start_map = js_start_map,
    .yajl_map_key = js_key,
    .yajl_end_map = js_end_map,
    .yajl_start_array = js_start_array,
    .yajl_end_array = js_end_array,
};

int vms__conv_json_source(conv *c)
{
    jsrc j = { .c = c };
    int fd = open(c->in, O_RDONLY | O_CLOEXEC), e = 0;
    unsigned char *buf = malloc(VMS_READER_WINDOW);
    yajl_status st = yajl_status_ok;
    ssize_t n;

    if (fd < 0 || !buf) {
        free(buf);
        if (fd >= 0) {
            close(fd);
        }
        vms_error_set_file(c->err, c->in);
        return vms_error_set(c->err, VMS_EIO, "cannot read it");
    }
    if (c->spill < 0) {
        FILE *f = tmpfile();
        c->spill = f ? dup(fileno(f)) : -1;
        if (f) {
            fclose(f);
        }
    }
    j.h = yajl_alloc(&js_callbacks, NULL, &j);
    if (c->spill < 0 || !j.h) {
        e = vms_error_set(c->err, VMS_EIO, "cannot make a temporary file");
    }
    while (!e && (n = read(fd, buf, VMS_READER_WINDOW)) > 0) {
        st = yajl_parse(j.h, buf, (size_t)n);
        if (st != yajl_status_ok) {
            break;
        }
        j.base += (uint64_t)n;
    }
    if (!e && st == yajl_status_ok) {
        st = yajl_complete_parse(j.h);
    }
    if (!e && j.code) {
        e = j.code;
    } else if (!e && st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(j.h, 0, NULL, 0);
        vms_error_set_file(c->err, c->in);
        e = vms_error_set_at(c->err, VMS_EFORMAT, js_here(&j), "%s",
                             msg ? (const char *)msg : "not JSON");
        yajl_free_error(j.h, msg);
    } else if (!e && j.depth != 0) {
        vms_error_set_file(c->err, c->in);
        e = vms_error_set_at(c->err, VMS_ETRUNC, j.base, "the document "
                             "ends early");
    } else if (!e && !j.have_records) {
        /* the sinks were never begun: nothing may be written */
        vms_error_set_file(c->err, c->in);
        e = vms_error_set_at(c->err, VMS_EFORMAT, j.base, "the document "
                             "has no \"records\"");
    }
    if (j.h) {
        yajl_free(j.h);
    }
    free(j.key);
    json_decref(j.tree);
    free(buf);
    close(fd);
    return e;
}
