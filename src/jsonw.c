/*
 * libvmstate: streaming JSON writer in python's json.dumps layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include "vmstate/json.h"
#include "jsonw.h"

#define JSONW_BUF (64 * 1024)
#define JSONW_MAX_DEPTH 512

const char vms__hex_digits[16] = "0123456789abcdef";

struct vms_jsonw {
    vms_writer *out;
    bool own_out;            /* vms__jsonw_buf's: closed by vms_jsonw_free */
    enum vms_jsonw_style style;
    int indent;
    int error;
    int depth;
    bool after_key;          /* a key was written, its value comes next */
    uint32_t count[JSONW_MAX_DEPTH];  /* items so far at each level */
    size_t len;
    char buf[JSONW_BUF];
};

vms_jsonw *vms_jsonw_new(vms_writer *out, enum vms_jsonw_style style,
                         int indent, vms_error *err)
{
    vms_jsonw *w;

    if (!out) {
        vms_error_set(err, VMS_EINVAL, "a JSON writer needs an output");
        return NULL;
    }
    if (style != VMS_JSONW_PRETTY && style != VMS_JSONW_SPACED &&
        style != VMS_JSONW_COMPACT) {
        vms_error_set(err, VMS_EINVAL, "unknown JSON style %d", (int)style);
        return NULL;
    }
    if (indent < 0 || indent > 64) {
        vms_error_set(err, VMS_EINVAL, "JSON indent %d is outside 0..64",
                      indent);
        return NULL;
    }
    if (!(w = calloc(1, sizeof(*w)))) {
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    w->out = out;
    w->style = style;
    w->indent = indent;
    return w;
}

vms_jsonw *vms__jsonw_buf(vms_buf *b, enum vms_jsonw_style style, int indent,
                          vms_error *err)
{
    vms_writer *out = vms_writer_buf(b, err);
    vms_jsonw *w = out ? vms_jsonw_new(out, style, indent, err) : NULL;

    if (!w) {
        vms_writer_close(out, NULL);
        return NULL;
    }
    w->own_out = true;
    return w;
}

/*
 * Output goes through the writer without an error record: the writer keeps
 * the first failure's, which the caller reads when it flushes or closes
 * the writer (io.h).
 */
static int emit(vms_jsonw *w, const void *p, size_t n)
{
    return vms_write_bytes(w->out, p, n, NULL);
}

/* The buffer into the writer (which buffers again, in larger pieces). */
static int spill(vms_jsonw *w)
{
    if (!w->error && w->len) {
        w->error = emit(w, w->buf, w->len);
    }
    w->len = 0;
    return w->error;
}

int vms_jsonw_flush(vms_jsonw *w)
{
    if (!spill(w)) {
        w->error = vms_writer_flush(w->out, NULL);
    }
    return w->error;
}

static int put(vms_jsonw *w, const char *s, size_t n)
{
    if (w->error) {
        return w->error;
    }
    if (n > JSONW_BUF - w->len) {
        if (spill(w)) {
            return w->error;
        }
        if (n >= JSONW_BUF) {
            w->error = emit(w, s, n);
            return w->error;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return 0;
}

static inline int putc1(vms_jsonw *w, char c)
{
    if (w->len < JSONW_BUF) {
        w->buf[w->len++] = c;
        return w->error;
    }
    return put(w, &c, 1);
}

static int newline_indent(vms_jsonw *w, int level)
{
    static const char spaces[64] = "                                "
                                   "                               ";
    size_t n = (size_t)level * (size_t)w->indent;

    putc1(w, '\n');
    while (n) {
        size_t k = n < sizeof(spaces) ? n : sizeof(spaces);
        put(w, spaces, k);
        n -= k;
    }
    return w->error;
}

/* Separator and indentation before an array item or an object key. */
static int item_start(vms_jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return w->error;
    }
    if (w->depth == 0) {
        return w->error;
    }
    if (w->count[w->depth - 1]++) {
        switch (w->style) {
        case VMS_JSONW_PRETTY:
        case VMS_JSONW_COMPACT:
            putc1(w, ',');
            break;
        case VMS_JSONW_SPACED:
            put(w, ", ", 2);
            break;
        }
    }
    if (w->style == VMS_JSONW_PRETTY) {
        newline_indent(w, w->depth);
    }
    return w->error;
}

static int open_container(vms_jsonw *w, char c)
{
    item_start(w);
    if (w->depth >= JSONW_MAX_DEPTH) {
        return w->error = VMS_ELIMIT;
    }
    w->count[w->depth++] = 0;
    return putc1(w, c);
}

static int close_container(vms_jsonw *w, char c)
{
    if (w->depth == 0) {
        return w->error = VMS_EINVAL;
    }
    w->depth--;
    if (w->count[w->depth] && w->style == VMS_JSONW_PRETTY) {
        newline_indent(w, w->depth);
    }
    return putc1(w, c);
}

int vms_jsonw_begin_object(vms_jsonw *w) { return open_container(w, '{'); }
int vms_jsonw_end_object(vms_jsonw *w) { return close_container(w, '}'); }
int vms_jsonw_begin_array(vms_jsonw *w) { return open_container(w, '['); }
int vms_jsonw_end_array(vms_jsonw *w) { return close_container(w, ']'); }

static void put_u_escape(vms_jsonw *w, unsigned cp)
{
    char e[6] = { '\\', 'u', vms__hex_digits[(cp >> 12) & 15],
                  vms__hex_digits[(cp >> 8) & 15], vms__hex_digits[(cp >> 4) & 15],
                  vms__hex_digits[cp & 15] };
    put(w, e, 6);
}

/* Decode one UTF-8 sequence; returns its length, 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len, i;

    if (c < 0xc2) {
        return 0;
    } else if (c < 0xe0) {
        len = 2;
        *cp = c & 0x1f;
    } else if (c < 0xf0) {
        len = 3;
        *cp = c & 0x0f;
    } else if (c < 0xf5) {
        len = 4;
        *cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && *cp < 0x800) || (len == 4 && *cp < 0x10000) ||
        *cp > 0x10ffff || (*cp >= 0xd800 && *cp < 0xe000)) {
        return 0;
    }
    return len;
}

/* python's ensure_ascii: everything outside ' '..'~' is escaped. */
static int put_string_body(vms_jsonw *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;

    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        put(w, (const char *)s + i - run, run);
        run = 0;
        switch (c) {
        case '"': put(w, "\\\"", 2); i++; continue;
        case '\\': put(w, "\\\\", 2); i++; continue;
        case '\n': put(w, "\\n", 2); i++; continue;
        case '\r': put(w, "\\r", 2); i++; continue;
        case '\t': put(w, "\\t", 2); i++; continue;
        case '\b': put(w, "\\b", 2); i++; continue;
        case '\f': put(w, "\\f", 2); i++; continue;
        }
        if (c < 0x80) {
            put_u_escape(w, c);
            i++;
            continue;
        }
        unsigned cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (!len) {
            /* Not UTF-8: keep the byte visible rather than lose it. */
            put_u_escape(w, c);
            i++;
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put_u_escape(w, 0xd800 | (cp >> 10));
            put_u_escape(w, 0xdc00 | (cp & 0x3ff));
        } else {
            put_u_escape(w, cp);
        }
        i += len;
    }
    return put(w, (const char *)s + i - run, run);
}

int vms_jsonw_key_len(vms_jsonw *w, const char *key, size_t len)
{
    if (w->depth == 0) {
        return w->error = VMS_EINVAL;
    }
    item_start(w);
    putc1(w, '"');
    put_string_body(w, key, len);
    if (w->style == VMS_JSONW_COMPACT) {
        put(w, "\":", 2);
    } else {
        put(w, "\": ", 3);
    }
    w->after_key = true;
    return w->error;
}

int vms_jsonw_key(vms_jsonw *w, const char *key)
{
    return vms_jsonw_key_len(w, key, strlen(key));
}

int vms_jsonw_string_len(vms_jsonw *w, const char *s, size_t len)
{
    item_start(w);
    putc1(w, '"');
    put_string_body(w, s, len);
    return putc1(w, '"');
}

int vms_jsonw_string(vms_jsonw *w, const char *s)
{
    return vms_jsonw_string_len(w, s, strlen(s));
}

int vms_jsonw_raw(vms_jsonw *w, const char *text, size_t len)
{
    item_start(w);
    return put(w, text, len);
}

int vms_jsonw_int(vms_jsonw *w, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    return vms_jsonw_raw(w, tmp, (size_t)n);
}

int vms_jsonw_uint(vms_jsonw *w, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    return vms_jsonw_raw(w, tmp, (size_t)n);
}

int vms_jsonw_bool(vms_jsonw *w, bool v)
{
    return v ? vms_jsonw_raw(w, "true", 4) : vms_jsonw_raw(w, "false", 5);
}

int vms_jsonw_null(vms_jsonw *w)
{
    return vms_jsonw_raw(w, "null", 4);
}

int vms_jsonw_string_begin(vms_jsonw *w)
{
    item_start(w);
    return putc1(w, '"');
}

int vms_jsonw_string_append(vms_jsonw *w, const char *s, size_t len)
{
    return put(w, s, len);
}

int vms_jsonw_string_end(vms_jsonw *w)
{
    return putc1(w, '"');
}

int vms__jsonw_hex_append(vms_jsonw *w, const uint8_t *p, size_t n,
                          bool first)
{
    char tmp[3 * 1024];
    size_t i = 0;

    while (i < n && !w->error) {
        size_t k = 0;
        for (; i < n && k + 3 <= sizeof(tmp); i++) {
            if (i || !first) {
                tmp[k++] = ' ';
            }
            tmp[k++] = vms__hex_digits[p[i] >> 4];
            tmp[k++] = vms__hex_digits[p[i] & 15];
        }
        put(w, tmp, k);
    }
    return w->error;
}

int vms_jsonw_hex_bytes(vms_jsonw *w, const uint8_t *p, size_t n)
{
    vms_jsonw_string_begin(w);
    vms__jsonw_hex_append(w, p, n, true);
    return vms_jsonw_string_end(w);
}

int vms_jsonw_hex_int(vms_jsonw *w, uint64_t value, unsigned size,
                      bool is_signed)
{
    char tmp[64];
    int n;

    if (size == 0 || size > 8) {
        return w->error = VMS_EINVAL;
    }
    if (size < 8) {
        value &= (UINT64_C(1) << (size * 8)) - 1;
    }
    n = snprintf(tmp, sizeof(tmp), "0x%0*" PRIx64, (int)size * 2, value);
    if (is_signed && (value >> (size * 8 - 1)) & 1) {
        /* sign-extend the size-byte value to print it in decimal */
        int64_t sv = size < 8 ? (int64_t)(value | ~((UINT64_C(1) << (size * 8)) - 1))
                              : (int64_t)value;
        n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, " (%" PRId64 ")", sv);
    }
    return vms_jsonw_string_len(w, tmp, (size_t)n);
}

int vms_jsonw_text(vms_jsonw *w, const char *s, size_t len)
{
    return put(w, s, len);
}

int vms_jsonw_free(vms_jsonw *w)
{
    int e;

    if (!w) {
        return 0;
    }
    vms_jsonw_flush(w);
    e = w->error;
    if (w->own_out) {
        vms_writer_close(w->out, NULL);
    }
    free(w);
    return e;
}

int vms__jsonw_kv_str(vms_jsonw *w, int e, const char *key, const char *value)
{
    e = e ? e : vms_jsonw_key(w, key);
    return e ? e : vms_jsonw_string(w, value);
}

int vms__jsonw_kv_int(vms_jsonw *w, int e, const char *key, int64_t value)
{
    e = e ? e : vms_jsonw_key(w, key);
    return e ? e : vms_jsonw_int(w, value);
}
