/*
 * libvmstate: the walk of a description and the visitors it drives.
 *
 * There is one walk (vms_walk): it knows QEMU's rules — which fields exist
 * in which version, how many elements an array has, when a subsection is
 * sent or accepted, what "equal" fields must hold, the hooks. Encodings
 * (QEMU wire, JSON, trace, BER) only say how one value, one array, one
 * nested description or one subsection header looks, as a visitor.
 *
 * Output visitors read the device state; input visitors fill it (loading).
 * A visitor is a struct whose first member is a vms_visitor.
 */
#ifndef VMSTATE_VISITOR_H
#define VMSTATE_VISITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "desc.h"
#include "io.h"
#include "json.h"

typedef struct vms_visitor vms_visitor;

/*
 * Every callback returns 0 or a negative VMS_E* and records the detail in
 * v->err (the walk adds the field path). A NULL callback means "nothing to
 * do" for that event.
 */
typedef struct vms_visit_ops {
    /*
     * The fields of d follow. f is the struct field when d is nested, NULL
     * for the top level and for subsections (see subsection_begin).
     */
    int (*begin_desc)(vms_visitor *v, const vms_desc *d, const vms_field *f,
                      int version_id);
    int (*end_desc)(vms_visitor *v, const vms_desc *d, const vms_field *f);
    /* f's n elements follow (arrays and variable arrays only). */
    int (*begin_array)(vms_visitor *v, const vms_field *f, uint32_t n);
    int (*end_array)(vms_visitor *v, const vms_field *f);
    /*
     * One element of a non-struct field: size bytes on the wire, stored at
     * elem in the in-memory form of f->type (see desc.h). Output visitors
     * read *elem, input visitors write it.
     */
    int (*leaf)(vms_visitor *v, const vms_field *f, void *elem, size_t size);
    /* A NULL element of an array of pointers (the nullptr marker). */
    int (*null_elem)(vms_visitor *v, const vms_field *f);
    /*
     * A subsection: output visitors write its header with *version_id;
     * input visitors consume the header that subsection_peek saw and
     * return its version in *version_id.
     */
    int (*subsection_begin)(vms_visitor *v, const vms_desc *sub,
                            uint32_t *version_id);
    int (*subsection_end)(vms_visitor *v, const vms_desc *sub);
    /*
     * Input only: 1 when a subsection header comes next, with its name in
     * name[] (NUL-terminated), without consuming it; 0 when none does.
     */
    int (*subsection_peek)(vms_visitor *v, char name[256]);
    /*
     * Input only, optional: the byte offset of the next input byte, so
     * that errors the walk finds (versions, unknown subsections, checked
     * values) name where they are, as the visitor's own errors do.
     */
    uint64_t (*input_offset)(vms_visitor *v);
    /* Release the visitor (vms_visitor_free). */
    void (*free)(vms_visitor *v);
} vms_visit_ops;

struct vms_visitor {
    const vms_visit_ops *ops;
    bool input;             /* loads into memory */
    vms_error *err;         /* set by the walk for the callbacks' use */
    /* Kept by the walk: "PIIX3.dev.config[3]" of the current element. */
    char path[VMS_ERROR_PATH_MAX];
    size_t path_len;
};

/*
 * Walk d over the device state at opaque.
 * Output visitors: the fields that exist in d->version_id, pre_save first,
 * subsections whose needed() is true (all of them when needed is NULL).
 * Input visitors: version_id is the version the input carries; QEMU's
 * load rules apply (version above d->version_id or below
 * d->minimum_version_id is VMS_EVERSION; fields gated by version_id and
 * field_exists; subsections looked up by name, optional, an unknown one
 * with d's name as prefix is VMS_ENOTFOUND; "equal" fields compared;
 * pre_load first, post_load last). The error's path names the field.
 */
VMS_API int vms_walk(vms_visitor *v, const vms_desc *d, void *opaque,
                     int version_id, vms_error *err);

/* Calls ops->free; NULL is allowed. */
VMS_API void vms_visitor_free(vms_visitor *v);

/* ---- QEMU wire format ------------------------------------------------ */

/* Writes d's data exactly as QEMU's vmstate_save_state does. */
VMS_API vms_visitor *vms_wire_output_new(vms_writer *w, vms_error *err);
/* Reads it as vmstate_load_state does. */
VMS_API vms_visitor *vms_wire_input_new(vms_reader *r, vms_error *err);

/* ---- ASN.1 BER (DER), the module in doc/vmstate.asn1 ---------------- */

/*
 * Writes each walked description as one DER State: its name and version,
 * a Field per field (vmdesc name, type name, element size, value) and its
 * subsections as States. Integers are INTEGERs (signed or not as the
 * type), bools BOOLEANs, NULL pointers NULL, nested structs [0] States,
 * arrays [1] lists of values; anything else is an OCTET STRING of its
 * wire bytes. A State is built in memory (DER lengths come first) and
 * written to w when it is complete.
 */
VMS_API vms_visitor *vms_ber_output_new(vms_writer *w, vms_error *err);
/*
 * Loads what vms_ber_output_new wrote, checking every State name and
 * version, Field name, type name and size against the description walked
 * (VMS_EMISMATCH naming the field path otherwise), every length against
 * the construction around it and every integer against its field's range.
 * Definite lengths only; reads exactly one State.
 */
VMS_API vms_visitor *vms_ber_input_new(vms_reader *r, vms_error *err);
/*
 * The name and version of the State that r is positioned at, without
 * consuming anything: what a caller passes to vms_walk to load it.
 */
VMS_API int vms_ber_peek_state(vms_reader *r, char name[256],
                               uint32_t *version_id, vms_error *err);

/* ---- human trace ------------------------------------------------------ */

/*
 * One line per value, for people reading state:
 * "PIIX3.PCIDevice.config(256)(1).[255] = (uint8) 0x0". A nested struct is
 * named by its description, an array by "field(count)(element size)", an
 * element by ".[i]"; byte types print as uint8 arrays, bitmaps as uint64
 * words; integers in hex, bool as true/false, float64 in decimal.
 */
VMS_API vms_visitor *vms_trace_output_new(vms_writer *w, vms_error *err);

/* ---- vmdesc (the JSON QEMU appends after EOF) ------------------------- */

/*
 * Wraps the wire output visitor inner (borrowed), which writes to w, and
 * writes into j, as QEMU does while saving, the "vmsd_name", "version",
 * "fields" and "subsections" of the description walked, each field's
 * "size" being the bytes inner wrote for it. The caller writes the
 * enclosing device object ("name", "instance_id") around the walk.
 */
VMS_API vms_visitor *vms_vmdesc_output_new(vms_visitor *inner, vms_writer *w,
                                           vms_jsonw *j, vms_error *err);

/*
 * One scalar element between its in-memory and wire forms (f->type not a
 * byte type nor STRUCT; size = wire size). Every visitor that needs the
 * wire bytes of a value (JSON prints them, BER encodes integers) uses these.
 */
VMS_API void vms_leaf_to_wire(const vms_field *f, const void *elem,
                              size_t size, uint8_t *wire);
VMS_API void vms_leaf_from_wire(const vms_field *f, const uint8_t *wire,
                                size_t size, void *elem);
/* ---- JSON state (analyze-migration.py's "-d state" shapes) ----------- */

/*
 * Writes each walked description as one JSON value through w: integers as
 * "0x%0Nx" strings (" (-N)" for negative signed ones), bools, nested
 * objects, repeated names merged into lists, other types as hex bytes of
 * their wire form, subsections under their names. Leaves are rendered by
 * their type name (vms_field_type_name) exactly as python's reader table.
 */
VMS_API vms_visitor *vms_json_state_output_new(vms_jsonw *w, vms_error *err);

/*
 * Loads what vms_json_state_output_new writes for one walk: value is that
 * JSON value as a jansson tree (borrowed; it must outlive the visitor).
 * Members are found by the names the output gives (vmdesc names, merged
 * lists taken in order, subsections under their names, their version the
 * description's own: the JSON keeps none). Integers are read from
 * "0x%0Nx" strings (a " (-N)" suffix is ignored, the hex decides) or JSON
 * numbers, and must fit the field's size; bools are true/false; other
 * types are hex bytes of exactly the field's wire size; NULL elements of
 * arrays of pointers are "nullptr". A member the walk does not take
 * (a renamed or unknown field) is an error too. Errors carry the JSON
 * path of the value in err->path, where (may be NULL) being the path of
 * value itself in its document ("sections[12].fields").
 */
struct json_t;
VMS_API vms_visitor *vms_json_state_input_new(const struct json_t *value,
                                              const char *where,
                                              vms_error *err);
/* The same for len bytes of JSON text; name is used in error messages. */
VMS_API vms_visitor *vms_json_state_input_text(const char *text, size_t len,
                                               const char *name,
                                               vms_error *err);

/* True for types stored in memory exactly as on the wire (bytes). */
VMS_API bool vms_type_is_bytes(vms_type t);

#endif
