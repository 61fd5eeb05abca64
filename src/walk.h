/*
 * libvmstate internals of the walk (walk.c): the allocation every
 * visitor shares, and the loading of a document's state by trying a
 * section's descriptions. Never installed.
 */
#ifndef VMS__WALK_H
#define VMS__WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmstate/visitor.h"

/*
 * A zeroed visitor of size bytes (a struct whose first member is the
 * vms_visitor) with its ops and direction set; NULL and err set when out
 * of memory. vms__visitor_free_plain is the ops->free of such visitors.
 */
vms_visitor *vms__visitor_alloc(size_t size, const vms_visit_ops *ops,
                                bool input, vms_error *err);
void vms__visitor_free_plain(vms_visitor *v);

/*
 * The one vms__load_fn (dumpdesc.h) of a document's states (pack's
 * stream.json, convert's JSON and BER documents), opaque a
 * vms__state_try: input makes a fresh input visitor at the state (for
 * JSON, over a tree; for BER, after a seek back to the State), which the
 * walk reads in version into a fresh state each try; the caller frees the
 * last try's state.
 */
typedef struct vms__state_try {
    int (*input)(void *opaque, vms_visitor **v, vms_error *err);
    void *opaque;
    int version;
    uint8_t *state;
} vms__state_try;
int vms__state_try_load(void *opaque, const vms_desc *d, size_t size,
                        vms_error *err);

#endif
