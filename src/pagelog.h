/*
 * libvmstate internals: the directory form of an unpacked stream (the RAM
 * block files' folder) and its page log, ramlog.bin, written by unpack
 * (unpack.c) and replayed by pack (pack.c). Never installed.
 */
#ifndef VMS__PAGELOG_H
#define VMS__PAGELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where unpack puts the RAM block files, inside DIR. */
#define VMS__RAM_SUBDIR "ram"

/*
 * ramlog.bin: a 16-byte header ("VMSRAMLG", le32 version 1, le32 entry
 * size 48) and one 48-byte little-endian entry per RAM record or MEM_SIZE
 * entry, in stream order (doc/vmstate-unpack.1 documents it too).
 */
#define VMS__LOG_MAGIC "VMSRAMLG"
#define VMS__LOG_VERSION 1
#define VMS__LOG_ENTRY 48
#define VMS__LOG_HEADER 16

enum vms__log_kind {
    /* a MEM_SIZE entry: block, aux = length, aux2 = mr_addr, extra = its
       mapped-ram bytes */
    VMS__LK_ENTRY = 1,
    VMS__LK_WORD,     /* a record of its word alone (MEM_SIZE, EOS, flush) */
    VMS__LK_ZERO,
    VMS__LK_PAGE,     /* data from the block file, or extra if superseded */
    VMS__LK_XBZRLE,   /* extra = the delta, aux = hash of the result */
    VMS__LK_COMPRESS, /* extra = the zlib bytes, aux = hash of the page */
};
enum {
    VMS__LF_SUPERSEDED = 1, /* a later record changed the page: extra has it */
    VMS__LF_LAST = 2,       /* the page's last record: the block file has it */
    VMS__LF_SHARED = 4,     /* LK_ENTRY: mr_addr travels (x-ignore-shared) */
};

typedef struct vms__log_entry {
    uint64_t word, extra_off, extra_len, aux, aux2;
    uint32_t block;
    uint8_t kind, named, fill, flags;
} vms__log_entry;

/* One entry to and from its VMS__LOG_ENTRY bytes. */
void vms__log_encode(const vms__log_entry *l, uint8_t *p);
void vms__log_decode(const uint8_t *p, vms__log_entry *l);
/* Entry k of the page log whose bytes start at log (header included). */
static inline void vms__log_get(const uint8_t *log, size_t k,
                                vms__log_entry *l)
{
    vms__log_decode(log + VMS__LOG_HEADER + k * VMS__LOG_ENTRY, l);
}
/* The VMS__LOG_HEADER bytes that start a page log. */
void vms__log_header(uint8_t hdr[VMS__LOG_HEADER]);
/*
 * Whether the size bytes at p are a page log of our version; *n is then
 * how many entries follow the header.
 */
bool vms__log_check(const uint8_t *p, uint64_t size, size_t *n);
/* A page's fingerprint: was an encoded page edited since unpack? */
uint64_t vms__page_hash(const uint8_t *p, size_t n);

#endif
