/*
 * libvmstate: spapr/htab, s390 storage attributes, block migration.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include "vmstate/sections.h"
#include "vmstate/limits.h"
#include "bytes.h"

#define HASH_PTE_SIZE_64 16
#define STATTR_EOS 0x01
#define STATTR_MORE 0x02
#define STATTR_ERROR 0x04
#define STATTR_DONE 0x08
#define BLK_DEVICE_BLOCK 0x01
#define BLK_EOS 0x02
#define BLK_PROGRESS 0x04
#define BLK_ZERO_BLOCK 0x08
#define BLK_BLOCK_SIZE (1u << 20)
#define DBM_EOS 0x01
#define DBM_ZEROES 0x02
#define DBM_BITMAP_NAME 0x04
#define DBM_DEVICE_NAME 0x08
#define DBM_START 0x10
#define DBM_COMPLETE 0x20
#define DBM_BITS 0x40
#define DBM_EXTRA_FLAGS 0x80

enum vms_section_kind vms_section_kind(const char *idstr,
                                       uint32_t instance_id)
{
    if (instance_id != 0) {
        return VMS_SECTION_DEVICE;
    }
    if (strcmp(idstr, "ram") == 0) {
        return VMS_SECTION_RAM;
    }
    if (strcmp(idstr, "spapr/htab") == 0) {
        return VMS_SECTION_HTAB;
    }
    if (strcmp(idstr, "s390-storage_attributes") == 0) {
        return VMS_SECTION_STATTR;
    }
    if (strcmp(idstr, "block") == 0) {
        return VMS_SECTION_BLOCK;
    }
    if (strcmp(idstr, "dirty-bitmap") == 0) {
        return VMS_SECTION_DIRTY_BITMAP;
    }
    return VMS_SECTION_DEVICE;
}

int vms_htab_read(vms_stream *s, uint32_t version_id, vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    uint32_t header;
    int e;

    if (version_id != 1) {
        return vms_stream_fail(s, err, VMS_EVERSION, vms_stream_offset(s),
                    "spapr/htab version %u (only 1 is known)", version_id);
    }
    if ((e = vms_read_be32(r, &header, err))) {
        return e;
    }
    if (header != 0) {
        return 0;   /* the first chunk: the hash table shift, or -1 */
    }
    for (;;) {
        uint32_t index;
        uint16_t n_valid, n_invalid;

        if ((e = vms_read_be32(r, &index, err)) ||
            (e = vms_read_be16(r, &n_valid, err)) ||
            (e = vms_read_be16(r, &n_invalid, err))) {
            return e;
        }
        if (!index && !n_valid && !n_invalid) {
            return 0;
        }
        if ((e = vms_read_skip(r, (uint64_t)n_valid * HASH_PTE_SIZE_64,
                               err))) {
            return e;
        }
    }
}

int vms_stattr_read(vms_stream *s, uint32_t version_id, vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    bool done = false;
    int e;

    if (version_id != 0) {
        return vms_stream_fail(s, err, VMS_EVERSION, vms_stream_offset(s),
                    "s390-storage_attributes version %u (only 0 is known)",
                    version_id);
    }
    for (;;) {
        uint64_t at = vms_stream_offset(s);
        const uint8_t *p;
        size_t got;
        uint64_t word, count;
        unsigned flags;

        /* After DONE the chunk may end without EOS: peek before taking. */
        if ((e = vms_read_peek(r, 8, &p, &got, err))) {
            return e;
        }
        if (got < 8) {
            return vms_stream_fail(s, err, VMS_ETRUNC, at, "unexpected end of input");
        }
        word = vms__get_be64(p);
        flags = (unsigned)(word & 0xfff);
        if (done && flags != STATTR_EOS && flags != STATTR_MORE &&
            flags != STATTR_DONE) {
            return 0;
        }
        vms_read_skip(r, 8, NULL);
        switch (flags) {
        case STATTR_MORE:
            if ((e = vms_read_be64(r, &count, err))) {
                return e;
            }
            if (count > VMS_LIMIT_STATTR_COUNT) {
                return vms_stream_fail(s, err, VMS_ELIMIT, at, "storage "
                            "attribute count %" PRIu64 " exceeds "
                            "VMS_LIMIT_STATTR_COUNT (%u)", count,
                            VMS_LIMIT_STATTR_COUNT);
            }
            if ((e = vms_read_skip(r, count, err))) {
                return e;
            }
            break;
        case STATTR_DONE:
            done = true;
            break;
        case STATTR_EOS:
            return 0;
        case STATTR_ERROR:
            return vms_stream_fail(s, err, VMS_EFORMAT, at, "the source reported an "
                        "error in the storage attributes");
        default:
            return vms_stream_fail(s, err, VMS_EFORMAT, at,
                        "unknown storage attribute flags 0x%x", flags);
        }
    }
}

int vms_block_read(vms_stream *s, uint32_t version_id, vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    int e;

    (void)version_id;
    for (;;) {
        uint64_t at = vms_stream_offset(s);
        uint64_t word;
        unsigned flags;

        if ((e = vms_read_be64(r, &word, err))) {
            return e;
        }
        flags = (unsigned)(word & 0x1ff);
        if (flags & BLK_DEVICE_BLOCK) {
            char name[256];
            uint8_t len;
            if ((e = vms_read_str8(r, name, &len, err))) {
                return e;
            }
            if (!(flags & BLK_ZERO_BLOCK) &&
                (e = vms_read_skip(r, BLK_BLOCK_SIZE, err))) {
                return e;
            }
        } else if (flags & BLK_PROGRESS) {
            /* the address holds a percentage: nothing follows */
        } else if (!(flags & BLK_EOS)) {
            return vms_stream_fail(s, err, VMS_EFORMAT, at,
                        "unknown block migration flags 0x%x", flags);
        }
        if (flags & BLK_EOS) {
            return 0;
        }
    }
}

int vms_dirty_bitmap_read(vms_stream *s, uint32_t version_id, vms_error *err)
{
    vms_reader *r = vms_stream_reader(s);
    int e;

    if (version_id != 1) {
        return vms_stream_fail(s, err, VMS_EVERSION, vms_stream_offset(s),
                               "dirty-bitmap version %u (only 1 is known)",
                               version_id);
    }
    for (;;) {
        uint64_t at = vms_stream_offset(s);
        char name[256];
        uint8_t flags, len;

        if ((e = vms_read_u8(r, &flags, err))) {
            return e;
        }
        if (flags & DBM_EXTRA_FLAGS) {
            /* QEMU defines wider flags but has never sent them. */
            return vms_stream_fail(s, err, VMS_EUNSUPPORTED, at,
                                   "dirty-bitmap chunk with extended flags "
                                   "0x%02x", flags);
        }
        if (((flags & DBM_DEVICE_NAME) &&
             (e = vms_read_str8(r, name, &len, err))) ||
            ((flags & DBM_BITMAP_NAME) &&
             (e = vms_read_str8(r, name, &len, err)))) {
            return e;
        }
        if (flags & DBM_START) {
            uint32_t granularity;
            uint8_t bflags;
            if ((e = vms_read_be32(r, &granularity, err)) ||
                (e = vms_read_u8(r, &bflags, err))) {
                return e;
            }
        } else if (flags & DBM_BITS) {
            uint64_t start, size = 0;
            uint32_t nr;
            if ((e = vms_read_be64(r, &start, err)) ||
                (e = vms_read_be32(r, &nr, err))) {
                return e;
            }
            if (!(flags & DBM_ZEROES)) {
                if ((e = vms_read_be64(r, &size, err))) {
                    return e;
                }
                if (size > VMS_LIMIT_DIRTY_BITMAP_CHUNK) {
                    return vms_stream_fail(s, err, VMS_ELIMIT, at,
                                "dirty-bitmap chunk of %" PRIu64 " bytes "
                                "exceeds VMS_LIMIT_DIRTY_BITMAP_CHUNK (%u)",
                                size, VMS_LIMIT_DIRTY_BITMAP_CHUNK);
                }
                if ((e = vms_read_skip(r, size, err))) {
                    return e;
                }
            }
        }
        if (flags & DBM_EOS) {
            return 0;
        }
    }
}

int vms_section_read(vms_stream *s, const vms_record *rec,
                     enum vms_section_kind kind, vms_error *err)
{
    switch (kind) {
    case VMS_SECTION_HTAB:
        return vms_htab_read(s, rec->version_id, err);
    case VMS_SECTION_STATTR:
        return vms_stattr_read(s, rec->version_id, err);
    case VMS_SECTION_BLOCK:
        return vms_block_read(s, rec->version_id, err);
    case VMS_SECTION_DIRTY_BITMAP:
        return vms_dirty_bitmap_read(s, rec->version_id, err);
    default:
        return vms_stream_fail(s, err, VMS_EFORMAT, vms_stream_offset(s),
                               "section %u ('%s') continued but it is not "
                               "iterative", rec->section_id, rec->idstr);
    }
}
