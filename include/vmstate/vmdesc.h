/*
 * libvmstate: the JSON description QEMU appends to a migration stream
 * (vmdesc), and the run-time device descriptions built from it.
 *
 * Each device entry becomes a vms_desc (desc.h) whose fields sit at
 * offsets in a flat state buffer, so that a device section is decoded by
 * the one walk: loaded with the wire input visitor, then written with any
 * output visitor (JSON state, trace, ...). Leaves keep the vmdesc type name
 * (vms_field.type_name) and travel as the bytes of their vmdesc size, which
 * is exactly what the stream holds.
 */
#ifndef VMSTATE_VMDESC_H
#define VMSTATE_VMDESC_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "desc.h"
#include "json.h"

typedef struct vms_vmdesc vms_vmdesc;

/* Parse len bytes of vmdesc JSON; name is used in error messages. */
VMS_API int vms_vmdesc_parse(const char *text, size_t len, const char *name,
                             vms_vmdesc **out, vms_error *err);
/* Read a file holding a vmdesc (e.g. "vmstate analyze -d desc" output). */
VMS_API int vms_vmdesc_load_file(const char *path, vms_vmdesc **out,
                                 vms_error *err);
VMS_API void vms_vmdesc_free(vms_vmdesc *d);

/* "page_size", 0 when absent. */
VMS_API uint32_t vms_vmdesc_page_size(const vms_vmdesc *d);

/* The JSON as parsed (same keys and order), through w. */
VMS_API int vms_vmdesc_write(const vms_vmdesc *d, vms_jsonw *w);

/*
 * The description of section (name, instance_id), built on first use;
 * *state_size is the size of the state buffer it walks (calloc it: the
 * bytes after the fields record which subsections were present).
 * VMS_ENOTFOUND when the vmdesc has no such device. (*desc)->user is
 * non-zero when the entry folds NULL-pointer markers of an array of
 * pointers, which QEMU also does wrongly over non-NULL elements: the data
 * may then be longer than the description says.
 */
VMS_API int vms_vmdesc_device(vms_vmdesc *d, const char *name,
                              uint32_t instance_id, const vms_desc **desc,
                              size_t *state_size, vms_error *err);

#endif
