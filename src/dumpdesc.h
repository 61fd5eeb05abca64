/*
 * libvmstate internals of the descriptions built from a dump
 * (dumpdesc.c), kept in the dump's cache slot (dump_priv.h's
 * vms__dump_cache); and the one rule for where a device section's
 * description comes from. Never installed.
 */
#ifndef VMS__DUMPDESC_H
#define VMS__DUMPDESC_H

#include <stdbool.h>
#include <stddef.h>
#include "vmstate/desc.h"
#include "vmstate/dump.h"
#include "vmstate/stream.h"
#include "vmstate/vmdesc.h"

/*
 * Where a device section's description comes from: the vmdesc entry (vd
 * may be NULL), else the dump (may be NULL) for the section's version
 * (*from_dump then set).
 *
 * From a dump, a description is used only when exactly one of its
 * alternatives (each field_exists field present or absent, up to 2^4
 * mixes) decodes the section whose body starts at s's offset so that the
 * footer follows and writing the state back gives the same bytes; else
 * *desc is NULL and why says what stopped it (0 is returned: the section
 * stays raw). The reader is left at the body. Lookup errors (no such
 * Description, version) are returned as vms_dump_device's.
 */
int vms__section_desc(vms_stream *s, vms_vmdesc *vd, vms_dump *dump,
                      const vms_record *rec, const vms_desc **desc,
                      size_t *state_size, bool *from_dump, char *why,
                      size_t why_len, vms_error *err);
int vms__dump_section_pick(vms_stream *s, vms_dump *dump,
                           const vms_record *rec, const vms_desc **desc,
                           size_t *state_size, char *why, size_t why_len,
                           vms_error *err);
/*
 * A document's state (stream.json, a convert JSON or BER document) for a
 * section the dump describes: load (which reads the document into a
 * zeroed state of state_size bytes through d) is tried on each
 * alternative until one loads; on failure err holds the first one's
 * error. walk.h's vms__state_try_load is the one load of documents.
 */
typedef int (*vms__load_fn)(void *opaque, const vms_desc *d,
                            size_t state_size, vms_error *err);
int vms__dump_section_load(vms_dump *dump, const vms_record *rec,
                           vms__load_fn load, void *opaque,
                           const vms_desc **desc, size_t *state_size,
                           vms_error *err);

#endif
