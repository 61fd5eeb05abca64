/*
 * libvmstate: the model of a QEMU "-dump-vmstate" JSON file.
 *
 * QEMU writes, for one machine type, every device type's vmstate
 * description: an object whose keys are section names in file order, plus
 * "vmschkmachine" ({"Name": machine}). This header exposes that content as
 * read-only C structs that keep the file's key order, which is what the
 * static checker (check.h) and later consumers walk.
 *
 * Lists are singly linked (next pointers) because they are only ever walked
 * front to back; every node and string lives in one arena owned by the
 * vms_dump, freed at once by vms_dump_free().
 */
#ifndef VMSTATE_DUMP_H
#define VMSTATE_DUMP_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "limits.h"

/* Nesting (objects and arrays) deeper than this is refused (VMS_ELIMIT). */
#define VMS_DUMP_MAX_DEPTH VMS_LIMIT_DUMP_DEPTH

typedef struct vms_dump vms_dump;
typedef struct vms_dump_desc vms_dump_desc;

/* A key of an object, in file order (python's dict order). */
typedef struct vms_dump_key {
    const char *name;
    const struct vms_dump_key *next;
} vms_dump_key;

/* One element of a "Fields" array. */
typedef struct vms_dump_field {
    const char *name;                 /* "field" */
    int64_t version_id;
    int64_t minimum_version_id;       /* valid if has_minimum_version_id */
    int64_t size;                     /* bytes per element */
    int64_t num;                      /* element count, valid if has_num */
    bool has_minimum_version_id;
    bool has_num;                     /* QEMU >= 8.1 writes it for arrays */
    bool field_exists;
    const vms_dump_desc *desc;        /* nested "Description", or NULL */
    const struct vms_dump_field *next;
} vms_dump_field;

/* A "Description" object, also the type of each "Subsections" element. */
struct vms_dump_desc {
    const char *name;
    int64_t version_id;
    int64_t minimum_version_id;       /* valid if has_minimum_version_id */
    bool has_minimum_version_id;
    bool has_fields;                  /* "Fields" present (maybe empty) */
    bool has_subsections;             /* "Subsections" present */
    const vms_dump_field *fields;
    const vms_dump_desc *subsections; /* linked through next */
    const vms_dump_key *keys;         /* every key, known or not */
    const vms_dump_desc *next;        /* next subsection */
};

/* One top-level entry: a device type, or "vmschkmachine". */
typedef struct vms_dump_section {
    const char *key;                  /* the top-level key */
    const char *name;                 /* "Name", or NULL */
    int64_t version_id;               /* 0 for vmschkmachine */
    int64_t minimum_version_id;       /* valid if has_minimum_version_id */
    bool has_minimum_version_id;
    const vms_dump_desc *desc;        /* "Description", or NULL */
    const vms_dump_key *keys;         /* every key, known or not */
    const struct vms_dump_section *next;
} vms_dump_section;

/*
 * Load a -dump-vmstate file ("-" = standard input). On failure returns a
 * VMS_E* code and fills err with the file name, the line and column
 * (1-based, of the offending token or of the object it is about) and one
 * line of text; *out is then NULL. What is refused: anything that is not
 * JSON (VMS_EFORMAT; VMS_ETRUNC when it ends early), JSON that is not a
 * dump (no "vmschkmachine", a section that is not an object, a required
 * key missing: "version_id" in sections, "name"/"version_id" in
 * descriptions, "field"/"version_id"/"size" in fields), a known key with
 * the wrong type, integers outside int64, strings with NUL characters,
 * nesting deeper than VMS_DUMP_MAX_DEPTH (VMS_ELIMIT). A key given twice
 * keeps its first position and its last value, as python's json does.
 * Built with simdjson, large texts (64 KiB and more) are read by one
 * simdjson parser per thread, kept for the thread's next dump: its buffers
 * (a few MB for a 2 MB dump) are freed when the thread exits.
 */
VMS_API int vms_dump_load(const char *path, vms_dump **out, vms_error *err);

/* As vms_dump_load on len bytes at data; name is used in errors. */
VMS_API int vms_dump_load_buffer(const void *data, size_t len,
                                 const char *name, vms_dump **out,
                                 vms_error *err);

/* NULL is allowed. */
VMS_API void vms_dump_free(vms_dump *dump);

/* The file name given to the loader. */
VMS_API const char *vms_dump_file(const vms_dump *dump);
/* vmschkmachine's "Name" (the machine type). */
VMS_API const char *vms_dump_machine(const vms_dump *dump);
/* Sections in file order (vmschkmachine included), linked through next. */
VMS_API const vms_dump_section *vms_dump_sections(const vms_dump *dump);
VMS_API size_t vms_dump_section_count(const vms_dump *dump);
/* The section with this top-level key, or NULL. */
VMS_API const vms_dump_section *vms_dump_find(const vms_dump *dump,
                                              const char *key);
/* Whether the key list holds name. */
VMS_API bool vms_dump_has_key(const vms_dump_key *keys, const char *name);

/* ---- descriptions for device sections ------------------------------- */

/*
 * The run-time description (desc.h) of a stream's device section from the
 * dump of the QEMU that wrote it: a second source for sections the
 * stream's vmdesc does not describe (a stream without one). section is
 * the section's idstr; the dump entry is the one whose Description is
 * named like the idstr or one of its '/'-separated tails
 * ("0000:00:01.0/PIIX3" -> "PIIX3"), the first in file order. Fields of
 * versions above version_id are left out. Built on first use and owned by
 * the dump; *state_size as for vms_vmdesc_device (calloc the state).
 *
 * A dump has no types: a leaf of 1, 2, 4 or 8 bytes is a big-endian
 * unsigned integer ("uint8".."uint64"), anything else bytes ("buffer");
 * arrays use "num". What a dump cannot tell (arrays before QEMU 8.1,
 * VMStateInfo whose wire size differs from the C size, field_exists
 * predicates, buffers sized by another field) makes a decode wrong, so
 * every such description has (*desc)->user set: accept a decode only when
 * it ends where the section ends (its footer follows).
 * vms_dump_desc_note() tells what the dump could not give, when known.
 * This is the description with every field_exists field present; the
 * commands (unpack, analyze, convert, diff, verify: --dump-vmstate) also
 * try each such field absent, up to 2^4 mixes, and decode a section only
 * when exactly one mix ends at its footer and writes its bytes back.
 *
 * Errors: VMS_ENOTFOUND (no such Description), VMS_EVERSION (version_id
 * outside the dump's minimum..version), VMS_ELIMIT, VMS_EFORMAT (values
 * the description builder refuses).
 */
struct vms_desc;
VMS_API int vms_dump_device(vms_dump *dump, const char *section,
                            uint32_t version_id,
                            const struct vms_desc **desc,
                            size_t *state_size, vms_error *err);
/* One line ("" when nothing) about desc, a description of this dump. */
VMS_API const char *vms_dump_desc_note(const vms_dump *dump,
                                       const struct vms_desc *desc);

#endif
