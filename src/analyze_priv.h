/*
 * libvmstate internals: the stream passes of analyze.c that diff, verify
 * and core share. Never installed.
 */
#ifndef VMS__ANALYZE_PRIV_H
#define VMS__ANALYZE_PRIV_H

#include <jansson.h>
#include "vmstate/dump.h"
#include "vmstate/json.h"
#include "vmstate/stream.h"
#include "vmstate/vmdesc.h"

/*
 * A stream's vmdesc, parsed into *vd on first need (a pipe buffers its
 * tail then); hint (NULL: no --desc advice) ends the "has none" message.
 */
int vms__stream_need_vmdesc(vms_stream *s, vms_vmdesc **vd,
                            const vms_record *rec, const char *hint,
                            vms_error *err);
/*
 * One device section decoded by the one walk and written as its JSON
 * state value through w (NULL: decode only), exactly as analyze prints
 * it.
 */
int vms__device_json(vms_stream *s, vms_vmdesc *vd, vms_dump *dump,
                     const vms_record *rec, vms_jsonw *w, vms_error *err);
/* The same state as a jansson value (*out, the caller's to json_decref). */
int vms__device_state(vms_stream *s, vms_vmdesc *vd, vms_dump *dump,
                      const vms_record *rec, json_t **out, vms_error *err);

#endif
