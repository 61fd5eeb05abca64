/*
 * libvmstate internals of the input layer (input.c): the sources that
 * decompress.c and qcow2.c make for a container's stream.
 */
#ifndef VMS__CONTAINER_H
#define VMS__CONTAINER_H

#include "vmstate/input.h"
#include "reader.h"

/*
 * A sequential source of the stream that in's bytes (from its current
 * offset on) compress with method; errors name file and in's offsets.
 * Takes in over on success (closed with the source).
 */
int vms__decompress_source(vms_reader *in, uint32_t method, const char *file,
                           vms__source *out, vms_error *err);

/*
 * A seekable source of the state of a qcow2 snapshot; in is the image
 * (seekable), taken over on success. Fills info's qcow2 fields and its
 * snapshot table (also on the errors that list them).
 */
int vms__qcow2_source(vms_reader *in, const char *file, const char *snapshot,
                      vms_input_info *info, vms__source *out, vms_error *err);

#endif
