/*
 * libvmstate internals of the stream reader (stream.c): what its passes
 * learn about a stream beyond the public API. Never installed.
 */
#ifndef VMS__STREAM_PRIV_H
#define VMS__STREAM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "vmstate/stream.h"
#include "table.h"

/*
 * Whether the configuration record names capability cap (among the first
 * 32, the ones vms_config keeps; the bound also guards a config that a
 * caller filled).
 */
static inline bool vms__config_has_cap(const vms_config *c, const char *cap)
{
    for (uint32_t i = 0; i < c->ncaps && i < VMS__ARRAY_SIZE(c->caps); i++) {
        if (strcmp(c->caps[i], cap) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * No vmdesc was found, and the search covered only the stream's last
 * VMS_LIMIT_VMDESC_SIZE bytes: a larger description would be missed, so
 * messages about a missing one name the cap.
 */
bool vms__stream_vmdesc_capped(const vms_stream *s);
/*
 * A stream without a description: walk the records from the body of rec
 * to the end marker (section bodies bounded by their footers) to tell a
 * stream that has none from one cut short. VMS_ETRUNC (err filled) when
 * the input ends first; 0 when the end marker was reached, or when the
 * walk cannot tell (*unsure set: no footers). The reader is put back.
 */
int vms__stream_probe_end(vms_stream *s, const vms_record *rec,
                          bool *unsure, vms_error *err);
/*
 * How the stream ended as vms__stream_probe_end() saw it (VMS_TAIL_CUT:
 * its VMS_ETRUNC is the description after the end marker, which QEMU
 * does not read; verify loads such a stream as QEMU does).
 */
enum vms_stream_tail vms__stream_probed_tail(const vms_stream *s);
/*
 * What vms_stream_tail() found after the end marker, in detail: for
 * VMS_TAIL_OTHER the offset of the first byte that is no description
 * (right after the end marker, or after a whole description); for
 * VMS_TAIL_OVERSIZE the offset of the description header, *desc_len the
 * length it claims. 0 otherwise.
 */
uint64_t vms__stream_tail_at(const vms_stream *s, uint64_t *desc_len);
/*
 * A copy of len input bytes at off (caller frees *out): a seekable input,
 * or a pipe's buffered tail; VMS_EUNSUPPORTED for bytes of a pipe that
 * are gone.
 */
int vms__stream_bytes(vms_stream *s, uint64_t off, size_t len,
                      uint8_t **out, vms_error *err);
/*
 * e, an error from decoding section rec through a borrowed description,
 * as the fit proof's error (vms_stream_misfit), unless it is memory or
 * I/O. Returns the code to pass on.
 */
int vms__stream_misfit_error(vms_stream *s, const vms_record *rec, int e,
                             vms_error *err);

#endif
