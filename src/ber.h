/*
 * libvmstate internals: BER/DER primitives (ber.c), shared by the BER
 * visitors (visit_ber.c) and the stream-level encoding of convert.c; the
 * module is doc/vmstate.asn1. Never installed.
 */
#ifndef VMS__BER_H
#define VMS__BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmstate/limits.h"

enum {
    VMS__BER_BOOLEAN = 0x01,
    VMS__BER_INTEGER = 0x02,
    VMS__BER_OCTETS = 0x04,
    VMS__BER_NULL = 0x05,
    VMS__BER_UTF8 = 0x0c,
    VMS__BER_SEQUENCE = 0x30,
    VMS__BER_STRUCT = 0xa0,      /* [0] IMPLICIT State */
    VMS__BER_ARRAY = 0xa1,       /* [1] IMPLICIT SEQUENCE OF Element */
};

struct vms_buf;
struct vms_reader;
/* DER length octets of n into out[9]; returns how many. */
size_t vms__der_len(uint64_t n, uint8_t *out);
/* Append a TLV / the shortest INTEGER of size big-endian bytes / of v. */
int vms__der_tlv(struct vms_buf *b, uint8_t tag, const void *p, size_t n);
int vms__der_int(struct vms_buf *b, const uint8_t *wire, size_t size,
                 bool is_signed);
int vms__der_uint(struct vms_buf *b, uint64_t v);

/*
 * A TLV reader: every length is checked against the innermost open
 * construction (or the input's size), errors name the file and offset.
 */
typedef struct vms__ber_rd {
    struct vms_reader *r;
    struct vms_error *err;
    uint64_t end[VMS_LIMIT_BER_OPEN];   /* end offset of each open one */
    int nopen;
} vms__ber_rd;
int vms__ber_rd_fail(vms__ber_rd *rd, int code, uint64_t at, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
/* Tag (want, or any when 0, returned in *tag) and definite length. */
int vms__ber_rd_header(vms__ber_rd *rd, uint8_t want, uint8_t *tag,
                       uint64_t *len);
int vms__ber_rd_open(vms__ber_rd *rd, uint8_t want);
/* Fails unless the innermost construction was read to its end. */
int vms__ber_rd_close(vms__ber_rd *rd, const char *what);
int vms__ber_rd_str(vms__ber_rd *rd, char s[256]);
int vms__ber_rd_int(vms__ber_rd *rd, uint8_t *wire, size_t size,
                    bool is_signed);
int vms__ber_rd_uint(vms__ber_rd *rd, uint64_t *v);

#endif
