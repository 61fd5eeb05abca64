/*
 * libvmstate: the human trace of a walk, one line per value.
 *
 *   PIIX3.PCIDevice.config(256)(1).[255] = (uint8) 0x0
 *
 * A nested struct is named by its description (what a reader knows the
 * type as), an array by its field with "(count)(element size)", its
 * elements by ".[i]". Byte types (buffers, unused, QEMU's untyped
 * "pci config"...) are shown as arrays of uint8 and bitmaps as arrays of
 * uint64 words, so that every line holds exactly one number.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/visitor.h"
#include "walk.h"
#include "types.h"

/* Deeper than the walk allows, so a push never fails for depth. */
#define TRACE_MAX_DEPTH 160
#define TRACE_PATH_MAX 1024

typedef struct trace_frame {
    size_t len;              /* path length before this frame's push */
    const vms_field *array;  /* the field whose elements follow, or NULL */
    uint32_t index;          /* next element of array */
} trace_frame;

typedef struct trace_out {
    vms_visitor v;
    vms_writer *w;
    int depth;
    trace_frame frames[TRACE_MAX_DEPTH];
    size_t len;
    char path[TRACE_PATH_MAX];
} trace_out;

static void append(trace_out *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append(trace_out *t, const char *fmt, ...)
{
    size_t room = sizeof(t->path) - t->len;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(t->path + t->len, room, fmt, ap);
    va_end(ap);
    if (n > 0) {
        t->len += (size_t)n < room ? (size_t)n : room - 1;
    }
}

static int push(trace_out *t, const vms_field *array)
{
    trace_frame *fr;

    if (t->depth >= TRACE_MAX_DEPTH) {
        return vms_error_set(t->v.err, VMS_ELIMIT,
                             "trace nested deeper than %d", TRACE_MAX_DEPTH);
    }
    fr = &t->frames[t->depth++];
    fr->len = t->len;
    fr->array = array;
    fr->index = 0;
    return 0;
}

static void pop(trace_out *t)
{
    if (t->depth > 0) {
        t->len = t->frames[--t->depth].len;
        t->path[t->len] = 0;
    }
}

/* The element of an array in progress, or NULL when f is a single value. */
static trace_frame *array_frame(trace_out *t, const vms_field *f)
{
    trace_frame *fr = t->depth ? &t->frames[t->depth - 1] : NULL;

    return fr && fr->array == f ? fr : NULL;
}

static const char *sep(const trace_out *t)
{
    return t->len ? "." : "";
}

static int emit(trace_out *t, size_t prefix_len, const char *value)
{
    int e = vms_write_bytes(t->w, t->path, t->len, t->v.err);

    if (!e) {
        e = vms_write_bytes(t->w, value, strlen(value), t->v.err);
    }
    t->len = prefix_len;
    t->path[t->len] = 0;
    return e;
}

static int tr_begin_desc(vms_visitor *v, const vms_desc *d,
                         const vms_field *f, int version_id)
{
    trace_out *t = (trace_out *)v;
    trace_frame *fr = f ? array_frame(t, f) : NULL;
    uint32_t index = fr ? fr->index++ : 0;
    int e = push(t, NULL);

    (void)version_id;
    if (e) {
        return e;
    }
    if (fr) {
        append(t, ".[%" PRIu32 "]", index);
    } else {
        append(t, "%s%s", sep(t), d->name);
    }
    return 0;
}

static int tr_end_desc(vms_visitor *v, const vms_desc *d, const vms_field *f)
{
    (void)d;
    (void)f;
    pop((trace_out *)v);
    return 0;
}

static int tr_begin_array(vms_visitor *v, const vms_field *f, uint32_t n)
{
    trace_out *t = (trace_out *)v;
    int e = push(t, f);

    if (!e) {
        append(t, "%s%s(%" PRIu32 ")(%zu)", sep(t), f->name, n, f->size);
    }
    return e;
}

static int tr_end_array(vms_visitor *v, const vms_field *f)
{
    (void)f;
    pop((trace_out *)v);
    return 0;
}

/* Name the element: "name" alone or ".[i]" inside its array. */
static void element_name(trace_out *t, const vms_field *f)
{
    trace_frame *fr = array_frame(t, f);

    if (fr) {
        append(t, ".[%" PRIu32 "]", fr->index++);
    } else {
        append(t, "%s%s", sep(t), f->name);
    }
}

static int tr_leaf(vms_visitor *v, const vms_field *f, void *elem,
                   size_t size)
{
    trace_out *t = (trace_out *)v;
    size_t before = t->len;
    char value[96];
    enum vms__raw_kind raw;
    bool is_signed;
    int e = 0;

    element_name(t, f);
    /*
     * A description made from a vmdesc keeps each leaf's wire bytes with
     * QEMU's type name (vmdesc.c): "uint64" of 8 bytes is one number, as
     * the C description's field would be.
     */
    raw = vms__raw_scalar(f, size, &is_signed);
    if (raw != VMS__RAW_BYTES) {
        uint64_t x = 0;
        for (size_t k = 0; k < size; k++) {
            x = (x << 8) | ((const uint8_t *)elem)[k];
        }
        if (raw == VMS__RAW_BOOL) {
            snprintf(value, sizeof(value), " = (bool) %s\n",
                     x ? "true" : "false");
        } else if (raw == VMS__RAW_FLOAT) {
            double d;
            memcpy(&d, &x, sizeof(d));
            snprintf(value, sizeof(value), " = (float64) %.17g\n", d);
        } else {
            snprintf(value, sizeof(value), " = (%s) 0x%" PRIx64 "\n",
                     f->type_name, x);
        }
        return emit(t, before, value);
    }
    if (vms_type_is_bytes(f->type) || f->type == VMS_TYPE_BITMAP) {
        bool words = f->type == VMS_TYPE_BITMAP;
        size_t unit = words ? 8 : 1, n = size / unit;
        size_t elem_len;

        append(t, "(%zu)(%zu)", n, unit);
        elem_len = t->len;
        for (size_t i = 0; !e && i < n; i++) {
            uint8_t wire[8];
            uint64_t x = 0;
            vms_leaf_to_wire(f, (const uint8_t *)elem + i * unit, unit, wire);
            for (size_t k = 0; k < unit; k++) {
                x = (x << 8) | wire[k];
            }
            append(t, ".[%zu]", i);
            snprintf(value, sizeof(value), " = (%s) 0x%" PRIx64 "\n",
                     words ? "uint64" : "uint8", x);
            e = emit(t, elem_len, value);
        }
        t->len = before;
        t->path[before] = 0;
        return e;
    }
    if (f->type == VMS_TYPE_BOOL) {
        bool b;
        memcpy(&b, elem, sizeof(b));
        snprintf(value, sizeof(value), " = (bool) %s\n",
                 b ? "true" : "false");
    } else if (f->type == VMS_TYPE_FLOAT64) {
        double d;
        memcpy(&d, elem, sizeof(d));
        snprintf(value, sizeof(value), " = (float64) %.17g\n", d);
    } else {
        uint8_t wire[8];
        uint64_t x = 0;
        size_t k, n = size < sizeof(wire) ? size : sizeof(wire);
        vms_leaf_to_wire(f, elem, n, wire);
        for (k = 0; k < n; k++) {
            x = (x << 8) | wire[k];
        }
        snprintf(value, sizeof(value), " = (%s) 0x%" PRIx64 "\n",
                 vms_field_type_name(f), x);
    }
    return emit(t, before, value);
}

static int tr_null(vms_visitor *v, const vms_field *f)
{
    trace_out *t = (trace_out *)v;
    size_t before = t->len;

    element_name(t, f);
    return emit(t, before, " = (nullptr)\n");
}

static const vms_visit_ops trace_ops = {
    .begin_desc = tr_begin_desc,
    .end_desc = tr_end_desc,
    .begin_array = tr_begin_array,
    .end_array = tr_end_array,
    .leaf = tr_leaf,
    .null_elem = tr_null,
    .free = vms__visitor_free_plain,
};

vms_visitor *vms_trace_output_new(vms_writer *w, vms_error *err)
{
    if (!w) {
        vms_error_set(err, VMS_EINVAL, "a trace visitor needs a writer");
        return NULL;
    }
    trace_out *t = (trace_out *)vms__visitor_alloc(sizeof(*t), &trace_ops,
                                                  false, err);

    if (t) {
        t->w = w;
    }
    return t ? &t->v : NULL;
}
