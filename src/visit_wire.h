/*
 * libvmstate internals of the wire visitors (visit_wire.c). Never
 * installed.
 */
#ifndef VMS__VISIT_WIRE_H
#define VMS__VISIT_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include "vmstate/stream.h"
#include "vmstate/visitor.h"

/*
 * Whether the wire bytes that encode() writes through a wire output
 * visitor are exactly the stream's bytes [off, end): a description is
 * trusted for a section only when it writes the section back unchanged.
 * Returns an error only for I/O and memory (a mismatch is *same false).
 */
int vms__stream_reencodes(vms_stream *s, uint64_t off, uint64_t end,
                          int (*encode)(void *opaque, vms_visitor *out,
                                        vms_error *err),
                          void *opaque, bool *same, vms_error *err);

#endif
