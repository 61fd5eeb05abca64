/*
 * libvmstate: resource caps for hostile input.
 *
 * Every length, count or size read from a stream, a description or a dump
 * is checked against what is left of the input and against these caps
 * before anything is allocated or looped over. A cap hit is VMS_ELIMIT
 * with a message naming the cap (e.g. "... exceeds VMS_LIMIT_RAM_BLOCKS
 * (4096)"), the input file and the byte offset; never an abort. Each cap
 * sits far above anything QEMU writes for a real guest (doc/limits.md
 * gives the reasoning); raising one is a source change.
 */
#ifndef VMSTATE_LIMITS_H
#define VMSTATE_LIMITS_H

/* ---- the stream container --------------------------------------------- */

/* JSON description appended after EOF (QEMU's are tens of KiB). */
#define VMS_LIMIT_VMDESC_SIZE (64u << 20)
/* Pipes: device state held in memory between the RAM and the vmdesc. */
#define VMS_LIMIT_STREAM_TAIL (256u << 20)
/* Distinct section ids in one stream (a PC has about 60). */
#define VMS_LIMIT_SECTIONS (1u << 20)
/* Capability names in the configuration record. */
#define VMS_LIMIT_CAPABILITIES 1024u
/*
 * Names (idstr, machine, RAM block, capability) are length-prefixed by one
 * byte in the format itself, hence at most 255 bytes: no cap needed.
 */

/* ---- RAM ---------------------------------------------------------------- */

/* RAM blocks announced by MEM_SIZE records. */
#define VMS_LIMIT_RAM_BLOCKS 4096u
/* One RAM block's used_length (1 TiB). */
#define VMS_LIMIT_RAM_BLOCK_SIZE (1ull << 40)
/* Target page size (the largest real one is 64 KiB). */
#define VMS_LIMIT_PAGE_SIZE (1u << 20)
/* A mapped-ram dirty bitmap read at once (1 TiB of 4 KiB pages). */
#define VMS_LIMIT_MAPPED_BITMAP (32u << 20)
/*
 * An XBZRLE delta is at most one page and each of its runs ends inside the
 * page; a zlib page is at most compressBound(page size) bytes and must
 * inflate to exactly one page: bounded by the page size, no separate cap.
 */

/* analyze -m: earlier pages kept to apply XBZRLE deltas to. */
#define VMS_LIMIT_XBZRLE_CACHE (256u << 20)

/* ---- other iterative sections ----------------------------------------- */

/* s390 storage attributes in one chunk. */
#define VMS_LIMIT_STATTR_COUNT (64u << 20)
/* Bytes of one dirty-bitmap chunk. */
#define VMS_LIMIT_DIRTY_BITMAP_CHUNK (256u << 20)

/* ---- descriptions (vmdesc JSON, --desc files) ------------------------- */

/* A description file read with --desc. */
#define VMS_LIMIT_DESC_FILE (256u << 20)
/* Nesting of structs and subsections in one vmdesc device. */
#define VMS_LIMIT_DESC_DEPTH 32
/* Bytes of one field element. */
#define VMS_LIMIT_FIELD_SIZE (256u << 20)
/* Elements of one array field. */
#define VMS_LIMIT_ARRAY_LEN (1u << 24)
/*
 * Values one device's walk visits (array elements, nested ones included):
 * elements of size 0 take no input, so this alone bounds the work.
 */
#define VMS_LIMIT_DESC_ELEMENTS (1u << 24)
/* State buffer of one device (all its fields). */
#define VMS_LIMIT_STATE_SIZE (256u << 20)

/* ---- dumps (vmstate check) --------------------------------------------- */

/* JSON nesting in a -dump-vmstate file. */
#define VMS_LIMIT_DUMP_DEPTH 256
/* A -dump-vmstate file (QEMU's are a few MiB). */
#define VMS_LIMIT_DUMP_SIZE (1u << 30)

/* ---- BER and JSON documents (convert, pack) ---------------------------- */

/*
 * BER: nested constructions (a stream, its sections, states, arrays,
 * elements) open at once, and levels of one device's state. Both far
 * above what a device's description (VMS_LIMIT_DESC_DEPTH) needs.
 */
#define VMS_LIMIT_BER_OPEN 512
#define VMS_LIMIT_BER_DEPTH 128
/* JSON nesting in a stream document read by convert. */
#define VMS_LIMIT_JSON_DEPTH 256
/*
 * pack's stream.json, which jansson loads whole: device state and
 * section records only (RAM is in block files and the page log).
 */
#define VMS_LIMIT_PACK_JSON (1u << 30)

#endif
