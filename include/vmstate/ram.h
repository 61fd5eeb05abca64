/*
 * libvmstate: the RAM section ("ram", version 4) of a migration stream.
 *
 * Decodes every record kind a file can hold (MEM_SIZE block list, ZERO,
 * PAGE, XBZRLE deltas, zlib COMPRESS_PAGE, MULTIFD_FLUSH, EOS, x-ignore-
 * shared region addresses, mapped-ram page regions) and hands blocks and
 * page contents to a caller-provided sink, so that printing, extracting and
 * loading share one parser.
 */
#ifndef VMSTATE_RAM_H
#define VMSTATE_RAM_H

#include <stdint.h>
#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "stream.h"

enum {
    VMS_RAM_ZERO = 0x002,
    VMS_RAM_MEM_SIZE = 0x004,
    VMS_RAM_PAGE = 0x008,
    VMS_RAM_EOS = 0x010,
    VMS_RAM_CONTINUE = 0x020,
    VMS_RAM_XBZRLE = 0x040,
    VMS_RAM_HOOK = 0x080,
    VMS_RAM_COMPRESS_PAGE = 0x100,
    VMS_RAM_MULTIFD_FLUSH = 0x200,
};

/*
 * One record of the RAM section exactly as sent, for tools that rebuild
 * a stream (unpack/pack): with the word, the name flag and the payload a
 * writer reproduces its bytes.
 */
typedef struct vms_ram_record {
    uint64_t offset;          /* of its be64 word */
    uint64_t word;            /* address | flags, as sent */
    unsigned block;           /* page records: the block's index */
    bool named;               /* page records: the block name was sent */
    uint8_t fill;             /* ZERO: the byte every page byte has */
    /*
     * PAGE: the page; XBZRLE: the encoded delta (after the encoding byte
     * and be16 length); COMPRESS_PAGE: the zlib bytes (after the be32
     * length). NULL otherwise. Valid during the call only.
     */
    const uint8_t *payload;
    size_t payload_len;
    /* Page records: the page as it is after this record (NULL for ZERO). */
    const uint8_t *data;
} vms_ram_record;

/* One block of a MEM_SIZE record, in the order sent. */
typedef struct vms_ram_entry {
    uint32_t page_size;       /* the decoder's target page size */
    unsigned idx;
    const char *name;
    uint64_t length;
    uint64_t mr_addr;         /* x-ignore-shared only */
    /*
     * mapped-ram: the input bytes from the block's mapped-ram header to
     * the end of its page region (header, padding, bitmap, pages), which
     * the reader skips; 0/0 otherwise.
     */
    uint64_t mapped_off, mapped_len;
} vms_ram_entry;

typedef struct vms_ram_sink {
    void *opaque;
    /* want page bytes (else PAGE/XBZRLE/COMPRESS data is skipped unread) */
    bool want_data;
    /* A block announced by MEM_SIZE; idx counts from 0 in stream order. */
    int (*block)(void *opaque, unsigned idx, const char *name,
                 uint64_t length, vms_error *err);
    /*
     * A page: data holds page_size bytes, or is NULL for a page whose every
     * byte is fill (ZERO records, mapped-ram holes).
     */
    int (*page)(void *opaque, unsigned idx, uint64_t addr,
                const uint8_t *data, uint8_t fill, vms_error *err);
    /* The page's current content (XBZRLE applies a delta to it). */
    int (*old_page)(void *opaque, unsigned idx, uint64_t addr, uint8_t *buf,
                    vms_error *err);
    /*
     * Optional, for rebuilding streams: every MEM_SIZE entry (after its
     * block callback), then every record once decoded (a MEM_SIZE record
     * after its entries; page records after their page callback).
     */
    int (*entry)(void *opaque, const vms_ram_entry *e, vms_error *err);
    int (*record)(void *opaque, const vms_ram_record *r, vms_error *err);
    /* Called every few thousand records (progress display); optional. */
    void (*tick)(void *opaque);
} vms_ram_sink;

typedef struct vms_ram_opts {
    uint32_t page_size;       /* target page size: flags live below it */
    bool ignore_shared;       /* x-ignore-shared: be64 mr_addr per block */
    bool mapped_ram;          /* mapped-ram: pages at fixed file offsets */
} vms_ram_opts;

typedef struct vms_ram vms_ram;

VMS_API vms_ram *vms_ram_new(const vms_ram_opts *opts,
                             const vms_ram_sink *sink, vms_error *err);
VMS_API void vms_ram_free(vms_ram *ram);

/*
 * Read one chunk of the RAM section (START, PART or END body) up to and
 * including its EOS record.
 */
VMS_API int vms_ram_read(vms_ram *ram, vms_stream *s, uint32_t version_id,
                         vms_error *err);

/* Decoded XBZRLE delta src[0..slen) applied to page[0..plen). */
VMS_API int vms_xbzrle_decode(const uint8_t *src, size_t slen, uint8_t *page,
                              size_t plen);

/* Number of blocks and the name of block idx ("" when out of range). */
VMS_API unsigned vms_ram_nblocks(const vms_ram *ram);
VMS_API const char *vms_ram_block_name(const vms_ram *ram, unsigned idx);

#endif
