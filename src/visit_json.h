/*
 * libvmstate internals of the JSON state visitors (visit_json.c). Never
 * installed.
 */
#ifndef VMS__VISIT_JSON_H
#define VMS__VISIT_JSON_H

#include <jansson.h>
#include "vmstate/visitor.h"

/*
 * walk.h's vms__state_try input for JSON states: tree through the JSON
 * state input visitor (errors name where + the field).
 */
typedef struct vms__json_src {
    const json_t *tree;
    const char *where;
} vms__json_src;
int vms__json_input(void *opaque, vms_visitor **v, vms_error *err);

#endif
