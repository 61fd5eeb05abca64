/*
 * libvmstate internals of the vmdesc reader (vmdesc.c). Never installed.
 */
#ifndef VMS__VMDESC_PRIV_H
#define VMS__VMDESC_PRIV_H

#include <stdbool.h>
#include <jansson.h>
#include "vmstate/vmdesc.h"

/*
 * The vmdesc in root (taken over, freed on error); dump_names for
 * descriptions built from a dump (dumpdesc.c): their field names are
 * QEMU's, made unique by vms_field_vmdesc_name, and their descriptions
 * are marked as maybe not covering the data (desc->user).
 */
int vms__vmdesc_from_json(json_t *root, const char *name, bool dump_names,
                          vms_vmdesc **out, vms_error *err);

/* The parsed document (core.c reads its first device's header fields). */
const json_t *vms__vmdesc_json(const vms_vmdesc *d);

#endif
