/*
 * libvmstate: BER/DER primitives (ber.h): DER writing into a buffer and a
 * TLV reader whose every length is checked against the innermost open
 * construction, for the BER visitors and convert's stream encoding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vmstate/io.h"
#include "vmstate/error.h"
#include "bytes.h"
#include "writer.h"
#include "ber.h"

size_t vms__der_len(uint64_t n, uint8_t *out)
{
    size_t k = 0;

    if (n < 0x80) {
        out[0] = (uint8_t)n;
        return 1;
    }
    for (uint64_t t = n; t; t >>= 8) {
        k++;
    }
    out[0] = (uint8_t)(0x80 | k);
    for (size_t i = 0; i < k; i++) {
        out[k - i] = (uint8_t)(n >> (8 * i));
    }
    return k + 1;
}

int vms__der_tlv(vms_buf *b, uint8_t tag, const void *p, size_t n)
{
    uint8_t h[10];
    size_t hl;

    h[0] = tag;
    hl = 1 + vms__der_len(n, h + 1);
    if (vms__buf_append(b, h, hl) || (n && vms__buf_append(b, p, n))) {
        return VMS_ENOMEM;
    }
    return 0;
}

int vms__der_int(vms_buf *b, const uint8_t *wire, size_t size, bool is_signed)
{
    uint8_t c[9];
    size_t n = 0, i = 0;

    if (!is_signed && (wire[0] & 0x80)) {
        c[n++] = 0;
    }
    if (is_signed || !(wire[0] & 0x80)) {
        uint8_t fill = (is_signed && (wire[0] & 0x80)) ? 0xff : 0x00;
        while (i + 1 < size && wire[i] == fill &&
               ((wire[i + 1] ^ fill) & 0x80) == 0) {
            i++;
        }
    }
    memcpy(c + n, wire + i, size - i);
    return vms__der_tlv(b, VMS__BER_INTEGER, c, n + size - i);
}

int vms__der_uint(vms_buf *b, uint64_t v)
{
    uint8_t w[8];

    vms__put_be64(w, v);
    return vms__der_int(b, w, 8, false);
}

int vms__ber_rd_fail(vms__ber_rd *in, int code, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int vms__ber_rd_fail(vms__ber_rd *in, int code, uint64_t at, const char *fmt, ...)
{
    va_list ap;

    vms_error_set_file(in->err, vms_reader_name(in->r));
    va_start(ap, fmt);
    vms_error_setv_at(in->err, code, at, fmt, ap);
    va_end(ap);
    return code;
}

static uint64_t ber_rd_limit(vms__ber_rd *in)
{
    int64_t size;

    if (in->nopen) {
        return in->end[in->nopen - 1];
    }
    size = vms_reader_size(in->r);
    return size >= 0 ? (uint64_t)size : UINT64_MAX;
}

static const char *tag_name(uint8_t t)
{
    switch (t) {
    case VMS__BER_BOOLEAN: return "BOOLEAN";
    case VMS__BER_INTEGER: return "INTEGER";
    case VMS__BER_OCTETS: return "OCTET STRING";
    case VMS__BER_NULL: return "NULL";
    case VMS__BER_UTF8: return "UTF8String";
    case VMS__BER_SEQUENCE: return "SEQUENCE";
    case VMS__BER_STRUCT: return "[0] (struct)";
    case VMS__BER_ARRAY: return "[1] (array)";
    default: return "an unknown tag";
    }
}

/*
 * Read a tag and a definite length that fits inside the enclosing
 * construction. want: the tag expected (0: any, returned in *tag).
 */
int vms__ber_rd_header(vms__ber_rd *in, uint8_t want, uint8_t *tag, uint64_t *len)
{
    uint64_t at = vms_reader_offset(in->r), limit = ber_rd_limit(in), n = 0;
    uint8_t t, l;
    int e;

    *len = 0;                   /* defined on every path, errors too */
    if (at >= limit) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at, "%s expected, but the "
                                "enclosing construction ends",
                                want ? tag_name(want) : "a value");
    }
    if ((e = vms_read_u8(in->r, &t, in->err)) ||
        (e = vms_read_u8(in->r, &l, in->err))) {
        return e;
    }
    if (want && t != want) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at,
                                "%s expected, got %s (0x%02x)",
                                tag_name(want), tag_name(t), t);
    }
    if (l == 0x80) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at,
                                "indefinite length (not DER)");
    }
    if (l & 0x80) {
        unsigned k = l & 0x7f;
        if (k > 8) {
            return vms__ber_rd_fail(in, VMS_EFORMAT, at, "length of %u bytes",
                                    k);
        }
        for (unsigned i = 0; i < k; i++) {
            uint8_t b;
            if ((e = vms_read_u8(in->r, &b, in->err))) {
                return e;
            }
            n = (n << 8) | b;
        }
    } else {
        n = l;
    }
    at = vms_reader_offset(in->r);
    if (n > limit - at) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at - 2, "length %llu runs "
                                "past the end of its construction (%llu bytes "
                                "left)", (unsigned long long)n,
                                (unsigned long long)(limit - at));
    }
    if (tag) {
        *tag = t;
    }
    *len = n;
    return 0;
}

int vms__ber_rd_open(vms__ber_rd *in, uint8_t want)
{
    uint64_t len;
    int e;

    if (in->nopen >= VMS_LIMIT_BER_OPEN) {
        return vms__ber_rd_fail(in, VMS_ELIMIT, vms_reader_offset(in->r),
                      "constructions nested deeper than VMS_LIMIT_BER_OPEN "
                      "(%d)", VMS_LIMIT_BER_OPEN);
    }
    if ((e = vms__ber_rd_header(in, want, NULL, &len))) {
        return e;
    }
    in->end[in->nopen++] = vms_reader_offset(in->r) + len;
    return 0;
}

int vms__ber_rd_close(vms__ber_rd *in, const char *what)
{
    uint64_t at = vms_reader_offset(in->r), end = in->end[--in->nopen];

    if (at != end) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at,
                                "%llu bytes left over in %s",
                                (unsigned long long)(end - at), what);
    }
    return 0;
}

int vms__ber_rd_str(vms__ber_rd *in, char s[256])
{
    uint64_t at = vms_reader_offset(in->r), len;
    int e = vms__ber_rd_header(in, VMS__BER_UTF8, NULL, &len);

    if (e) {
        return e;
    }
    if (len > 255) {
        return vms__ber_rd_fail(in, VMS_ELIMIT, at, "name of %llu bytes",
                      (unsigned long long)len);
    }
    if ((e = vms_read_bytes(in->r, s, (size_t)len, in->err))) {
        return e;
    }
    s[len] = 0;
    if (strlen(s) != len) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at, "NUL byte in a name");
    }
    return 0;
}

/*
 * An INTEGER into size big-endian bytes (two's complement when
 * is_signed); VMS_EFORMAT when the value does not fit.
 */
int vms__ber_rd_int(vms__ber_rd *in, uint8_t *wire, size_t size, bool is_signed)
{
    uint64_t at = vms_reader_offset(in->r), len;
    uint8_t c[9], fill;
    size_t i = 0;
    int e = vms__ber_rd_header(in, VMS__BER_INTEGER, NULL, &len);

    if (e) {
        return e;
    }
    if (len == 0 || len > 9) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at,
                                "INTEGER of %llu bytes does not fit %zu",
                                (unsigned long long)len, size);
    }
    if ((e = vms_read_bytes(in->r, c, (size_t)len, in->err))) {
        return e;
    }
    fill = (c[0] & 0x80) ? 0xff : 0x00;
    if (fill && !is_signed) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at,
                                "negative value for an unsigned field");
    }
    /* drop sign bytes the value does not need, then fit it in size */
    while (i + 1 < len && c[i] == fill &&
           (is_signed ? ((c[i + 1] ^ fill) & 0x80) == 0 : true)) {
        i++;
    }
    if (len - i > size) {
        return vms__ber_rd_fail(in, VMS_EFORMAT, at,
                                "value does not fit %zu bytes", size);
    }
    memset(wire, fill, size);
    memcpy(wire + size - (len - i), c + i, len - i);
    return 0;
}

int vms__ber_rd_uint(vms__ber_rd *in, uint64_t *v)
{
    uint8_t w[8];
    int e = vms__ber_rd_int(in, w, 8, false);

    if (!e) {
        *v = vms__get_be64(w);
    }
    return e;
}
