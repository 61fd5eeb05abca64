/*
 * libvmstate internals shared between src/ files (never installed).
 */
#ifndef VMS_INTERNAL_H
#define VMS_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include "vmstate/limits.h"
#include "vmstate/stream.h"

static inline uint16_t vms_get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vms_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t vms_get_be64(const uint8_t *p)
{
    return ((uint64_t)vms_get_be32(p) << 32) | vms_get_be32(p + 4);
}

static inline void vms_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void vms_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void vms_put_be64(uint8_t *p, uint64_t v)
{
    vms_put_be32(p, (uint32_t)(v >> 32));
    vms_put_be32(p + 4, (uint32_t)v);
}

/* Two lower-case hex digits per byte, one space between: 3n-1 chars. */
extern const char vms_hex_digits[16];

/* FNV-1a of a NUL-terminated string, from seed (2166136261u to start). */
static inline size_t vms_hash_str(const char *s, size_t seed)
{
    size_t h = seed;

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

#define VMS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Descriptions nested deeper than this are a description bug (or a
 * hostile vmdesc): validation refuses them, the walk stops there.
 */
#define VMS__WALK_MAX_DEPTH 64

/* Whether all n bytes at p are v (a RAM page sent as one byte value). */
static inline bool vms__all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    return n == 0 || (p[0] == v && memcmp(p, p + 1, n - 1) == 0);
}

/*
 * Make index idx of the table at *tabp (a T * holding *n elements of elem
 * bytes) exist, the new elements zeroed: RAM blocks arrive by index, in
 * any order (ram.h's block callback). Returns 0, or VMS_ENOMEM with the
 * table unchanged. The pointer is moved with memcpy, so any T * works.
 */
static inline int vms__table_fit(void *tabp, unsigned *n, unsigned idx,
                                 size_t elem)
{
    void *tab, *t;

    if (idx < *n) {
        return 0;
    }
    if (idx == (unsigned)-1 || (size_t)idx + 1 > SIZE_MAX / elem) {
        return VMS_ENOMEM;
    }
    memcpy(&tab, tabp, sizeof(tab));
    if (!(t = realloc(tab, ((size_t)idx + 1) * elem))) {
        return VMS_ENOMEM;
    }
    memset((char *)t + (size_t)*n * elem, 0, ((size_t)idx + 1 - *n) * elem);
    memcpy(tabp, &t, sizeof(t));
    *n = idx + 1;
    return 0;
}

/*
 * Whether the configuration record names capability cap (among the first
 * 32, the ones vms_config keeps; the bound also guards a config that a
 * caller filled).
 */
static inline bool vms__config_has_cap(const vms_config *c, const char *cap)
{
    for (uint32_t i = 0; i < c->ncaps && i < VMS_ARRAY_SIZE(c->caps); i++) {
        if (strcmp(c->caps[i], cap) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * A zeroed visitor of size bytes (a struct whose first member is the
 * vms_visitor) with its ops and direction set; NULL and err set when out
 * of memory. vms_visitor_free_plain is the ops->free of such visitors.
 */
struct vms_visitor;
struct vms_visit_ops;
struct vms_error;
struct vms_visitor *vms_visitor_alloc(size_t size,
                                      const struct vms_visit_ops *ops,
                                      bool input, struct vms_error *err);
void vms_visitor_free_plain(struct vms_visitor *v);

/*
 * "key": value pairs for chains of JSON writes: e is the error so far,
 * nothing is written once it is set.
 */
struct vms_jsonw;
int vms_jsonw_kv_str(struct vms_jsonw *j, int e, const char *key,
                     const char *value);
int vms_jsonw_kv_int(struct vms_jsonw *j, int e, const char *key,
                     int64_t value);

/*
 * Stream passes (analyze.c) shared by analyze, diff and verify. A stream's
 * vmdesc, parsed into *vd on first need (a pipe buffers its tail then);
 * hint (NULL: no --desc advice) ends the "has none" message. And one
 * device section decoded by the
 * one walk and written as its JSON state value through w (NULL: decode
 * only), exactly as analyze prints it.
 */
struct vms_stream;
struct vms_vmdesc;
struct vms_record;
/*
 * No vmdesc was found, and the search covered only the stream's last
 * VMS_LIMIT_VMDESC_SIZE bytes: a larger description would be missed, so
 * messages about a missing one name the cap.
 */
bool vms__stream_vmdesc_capped(const struct vms_stream *s);
/*
 * The reader calls fn(opaque, err) after filling err for an end of input
 * (VMS_ETRUNC): the stream rewrites it into its one truncation message.
 */
/*
 * An output file's error names the path the user gave (DIR/NAME), not the
 * base name vms_outfile_open() saw: overwrites err->file.
 */
void vms__error_outfile(struct vms_error *err, const char *dir,
                        const char *name);
struct vms_reader;
void vms__reader_on_trunc(struct vms_reader *r,
                          void (*fn)(void *opaque, struct vms_error *err),
                          void *opaque);
/*
 * The pointers vms_read_ptr hands out stay valid until the reader's
 * buffer moves: fn(opaque, err) is called right before (a refill, a seek
 * out of the buffer), so that a caller may keep them until then (core's
 * writes straight from the input's buffer); its error is the read's.
 * vms__reader_holds says whether [p, p + n) is such a pointer.
 */
void vms__reader_on_refill(struct vms_reader *r,
                           int (*fn)(void *opaque, struct vms_error *err),
                           void *opaque);
bool vms__reader_holds(const struct vms_reader *r, const void *p, size_t n);
/*
 * A stream without a description: walk the records from the body of rec
 * to the end marker (section bodies bounded by their footers) to tell a
 * stream that has none from one cut short. VMS_ETRUNC (err filled) when
 * the input ends first; 0 when the end marker was reached, or when the
 * walk cannot tell (*unsure set: no footers). The reader is put back.
 */
int vms__stream_probe_end(struct vms_stream *s, const struct vms_record *rec,
                          bool *unsure, struct vms_error *err);
/*
 * How the stream ended as vms__stream_probe_end() saw it (VMS_TAIL_CUT:
 * its VMS_ETRUNC is the description after the end marker, which QEMU
 * does not read; verify loads such a stream as QEMU does).
 */
enum vms_stream_tail vms__stream_probed_tail(const struct vms_stream *s);
/*
 * What vms_stream_tail() found after the end marker, in detail: for
 * VMS_TAIL_OTHER the offset of the first byte that is no description
 * (right after the end marker, or after a whole description); for
 * VMS_TAIL_OVERSIZE the offset of the description header, *desc_len the
 * length it claims. 0 otherwise.
 */
uint64_t vms__stream_tail_at(const struct vms_stream *s, uint64_t *desc_len);
/*
 * A copy of len input bytes at off (caller frees *out): a seekable input,
 * or a pipe's buffered tail; VMS_EUNSUPPORTED for bytes of a pipe that
 * are gone.
 */
int vms__stream_bytes(struct vms_stream *s, uint64_t off, size_t len,
                      uint8_t **out, struct vms_error *err);
/*
 * e, an error from decoding section rec through a borrowed description,
 * as the fit proof's error (vms_stream_misfit), unless it is memory or
 * I/O. Returns the code to pass on.
 */
int vms__stream_misfit_error(struct vms_stream *s,
                             const struct vms_record *rec, int e,
                             struct vms_error *err);
int vms__stream_need_vmdesc(struct vms_stream *s, struct vms_vmdesc **vd,
                            const struct vms_record *rec, const char *hint,
                            struct vms_error *err);
/*
 * vmdesc.c: the vmdesc in root (taken over, freed on error); dump_names
 * for descriptions built from a dump (dumpdesc.c): their field names are
 * QEMU's, made unique by vms_field_vmdesc_name, and their descriptions
 * are marked as maybe not covering the data (desc->user).
 */
struct json_t;
/*
 * types.c: a field of a vmdesc keeps its wire bytes (VMS_TYPE_RAW) and
 * QEMU's type name; what those size bytes are when the name says one value
 * ("uint64" of 8 bytes: one big-endian number): VMS__RAW_BYTES when it
 * says none (buffers, unknown names, a size that does not fit the name).
 */
enum vms__raw_kind { VMS__RAW_BYTES, VMS__RAW_INT, VMS__RAW_BOOL,
                     VMS__RAW_FLOAT };
struct vms_field;
enum vms__raw_kind vms__raw_scalar(const struct vms_field *f, size_t size,
                                   bool *is_signed);

int vms__vmdesc_from_json(struct json_t *root, const char *name,
                          bool dump_names, struct vms_vmdesc **out,
                          struct vms_error *err);

struct vms_dump;
/*
 * The dump's slot for a cache that a layer above keeps with it (dumpdesc.c:
 * the descriptions it built), freed with the dump by free(data) when
 * set: the dump need not know what the layer above builds.
 */
typedef struct vms__dump_cache {
    void *data;
    void (*free)(void *data);
} vms__dump_cache;
vms__dump_cache *vms__dump_cache_of(struct vms_dump *d);

/*
 * dumpdesc.c: the descriptions built from a dump, kept in the dump's
 * cache slot (vms__dump_cache); and the one rule for where a device
 * section's description comes from: the vmdesc entry (vd may be NULL),
 * else the dump (may be NULL) for the section's version (*from_dump then
 * set).
 *
 * From a dump, a description is used only when exactly one of its
 * alternatives (each field_exists field present or absent, up to 2^4
 * mixes) decodes the section whose body starts at s's offset so that the
 * footer follows and writing the state back gives the same bytes; else
 * *desc is NULL and why says what stopped it (0 is returned: the section
 * stays raw). The reader is left at the body. Lookup errors (no such
 * Description, version) are returned as vms_dump_device's.
 */
struct vms_dump;
struct vms_desc;
struct vms_stream;
int vms__section_desc(struct vms_stream *s, struct vms_vmdesc *vd,
                      struct vms_dump *dump, const struct vms_record *rec,
                      const struct vms_desc **desc, size_t *state_size,
                      bool *from_dump, char *why, size_t why_len,
                      struct vms_error *err);
int vms__dump_section_pick(struct vms_stream *s, struct vms_dump *dump,
                           const struct vms_record *rec,
                           const struct vms_desc **desc, size_t *state_size,
                           char *why, size_t why_len, struct vms_error *err);
/*
 * A document's state (stream.json, a convert JSON or BER document) for a
 * section the dump describes: load (which reads the document into a
 * zeroed state of state_size bytes through d) is tried on each
 * alternative until one loads; on failure err holds the first one's
 * error.
 */
typedef int (*vms__load_fn)(void *opaque, const struct vms_desc *d,
                            size_t state_size, struct vms_error *err);
int vms__dump_section_load(struct vms_dump *dump,
                           const struct vms_record *rec, vms__load_fn load,
                           void *opaque, const struct vms_desc **desc,
                           size_t *state_size, struct vms_error *err);
/*
 * The one vms__load_fn of a document's states (pack's stream.json,
 * convert's JSON and BER documents), opaque a vms__state_try: input
 * makes a fresh input visitor at the state (for JSON, over a tree; for
 * BER, after a seek back to the State), which the walk reads in version
 * into a fresh state each try; the caller frees the last try's state.
 */
typedef struct vms__state_try {
    int (*input)(void *opaque, struct vms_visitor **v, struct vms_error *err);
    void *opaque;
    int version;
    uint8_t *state;
} vms__state_try;
int vms__state_try_load(void *opaque, const struct vms_desc *d, size_t size,
                        struct vms_error *err);
/*
 * vms__state_try's input for JSON states: tree through the JSON state
 * input visitor (errors name where + the field).
 */
typedef struct vms__json_src {
    const struct json_t *tree;
    const char *where;
} vms__json_src;
int vms__json_input(void *opaque, struct vms_visitor **v,
                    struct vms_error *err);

/*
 * Whether the wire bytes that encode() writes through a wire output
 * visitor are exactly the stream's bytes [off, end): a description is
 * trusted for a section only when it writes the section back unchanged.
 * Returns an error only for I/O and memory (a mismatch is *same false).
 */
struct vms_visitor;
int vms__stream_reencodes(struct vms_stream *s, uint64_t off, uint64_t end,
                          int (*encode)(void *opaque, struct vms_visitor *out,
                                        struct vms_error *err),
                          void *opaque, bool *same, struct vms_error *err);

/*
 * An options struct's version: 0 when the library knows it (1..known),
 * else VMS_EINVAL naming the struct (a program built against a later
 * header, or one that did not start from the _INIT macro).
 */
int vms__opts_version(int version, int known, const char *name,
                      struct vms_error *err);

/*
 * A whole file (or what fd gives until its end) in a malloc'd buffer
 * with a NUL after it, refused with "WHAT exceeds LIMIT_NAME (limit)"
 * once it grows past limit bytes; errors name path.
 */
int vms__read_all(int fd, const char *path, size_t limit, const char *what,
                  const char *limit_name, char **out, size_t *out_len,
                  struct vms_error *err);
int vms__read_file(const char *path, size_t limit, const char *what,
                   const char *limit_name, char **out, size_t *out_len,
                   struct vms_error *err);

/*
 * A reader's bytes from somewhere other than a file descriptor: the
 * stream inside a container (input.c). Sequential sources (decompressors)
 * set read and leave pread NULL: the reader is then a pipe to its users.
 * Seekable ones (a window of a file, a qcow2 snapshot's state) set pread
 * and size. Both return the bytes read, 0 at the end, or a negative
 * VMS_E* with err filled (naming the container and its own offsets).
 */
typedef struct vms__source {
    int64_t (*read)(void *opaque, void *buf, size_t n, struct vms_error *err);
    int64_t (*pread)(void *opaque, void *buf, size_t n, uint64_t off,
                     struct vms_error *err);
    void (*close)(void *opaque);
    void *opaque;
    int64_t size;
} vms__source;
struct vms_reader *vms__reader_source(const vms__source *src,
                                      const char *name,
                                      struct vms_error *err);
/* A reader's file descriptor; -1 for memory and sources. */
int vms__reader_fd(const struct vms_reader *r);
/* n bytes at off of a seekable reader, without moving it. */
int vms__reader_pread(struct vms_reader *r, void *buf, size_t n, uint64_t off,
                      struct vms_error *err);

struct vms_dump;
int vms__device_json(struct vms_stream *s, struct vms_vmdesc *vd,
                     struct vms_dump *dump, const struct vms_record *rec,
                     struct vms_jsonw *w, struct vms_error *err);
/* The same state as a jansson value (*out, the caller's to json_decref). */
/* A state's number: "0x…" (maybe followed by " (-1)"), "00 00 03 c5"
   (big-endian bytes) or a JSON integer (core.c). */
struct json_t;
bool vms__json_u64(const struct json_t *v, uint64_t *out);
struct json_t;
int vms__device_state(struct vms_stream *s, struct vms_vmdesc *vd,
                      struct vms_dump *dump, const struct vms_record *rec,
                      struct json_t **out, struct vms_error *err);

/*
 * check.c, shared with verify: QEMU checker's rename tables (field names
 * s and d of description key match; the other name of a renamed section,
 * "" when none), and a finding appended to a report with every string
 * copied (counted ones add to r->errors, capped at 255).
 */
struct vms_check_report;
struct vms_finding;
/*
 * The dump reader's event sources, for tests that compare them: yajl on
 * the text as it is (the one that locates errors), yajl on the text
 * without QEMU's indentation, simdjson (text that may be read 64 bytes
 * past its end, or not: then simdjson copies it). No fallback here: a
 * simdjson failure is VMS_EFORMAT without a position. Without the meson
 * feature "simdjson", the simdjson readers always fail.
 */
enum vms__dump_reader {
    VMS_DUMP_YAJL, VMS_DUMP_YAJL_SQUEEZED, VMS_DUMP_SIMDJSON,
    VMS_DUMP_SIMDJSON_PADDED,
};
struct vms_dump;
struct vms_error;
int vms__dump_parse(const void *data, size_t len, const char *name,
                    enum vms__dump_reader reader, struct vms_dump **out,
                    struct vms_error *err);
bool vms__dump_have_simdjson(void);
/*
 * Whether two dumps load faster in two threads than one after the other.
 * Not with simdjson: each thread keeps one parser whose buffers the next
 * load reuses, while two threads fault in two sets (measured on the
 * aarch64 pair: 8.9 ms of CPU in two threads, 6.3 ms in one, and two busy
 * threads on our 2-vCPU machines run at about half speed each).
 */
bool vms__dump_parallel_pays(void);

bool vms__check_names_match(const char *key, const char *s, const char *d);
const char *vms__check_section_rename(const char *sec);
int vms__check_report_add(struct vms_check_report *r,
                          const struct vms_finding *f);
struct vms_check_options;
/* r->src and r->dest checked under opts' rules and baseline into r. */
int vms__check_report_fill(struct vms_check_report *r,
                           const struct vms_check_options *opts,
                           struct vms_error *err);
struct vms_check_baseline;
int vms__check_baseline_apply(const struct vms_check_baseline *b,
                              struct vms_check_report *r);

#endif
