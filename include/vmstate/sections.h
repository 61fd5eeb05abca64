/*
 * libvmstate: decoders of the iterative sections that have no vmdesc
 * entry besides RAM (see ram.h): spapr/htab, s390-storage_attributes and
 * block migration, dirty bitmaps. Each reads one chunk (START/PART/END
 * body) and checks every length against the input.
 */
#ifndef VMSTATE_SECTIONS_H
#define VMSTATE_SECTIONS_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "stream.h"

enum vms_section_kind {
    VMS_SECTION_DEVICE = 0,     /* described by the vmdesc */
    VMS_SECTION_RAM,
    VMS_SECTION_HTAB,
    VMS_SECTION_STATTR,
    VMS_SECTION_BLOCK,
    VMS_SECTION_DIRTY_BITMAP,
};

/* Which decoder a section (by idstr and instance) needs. */
VMS_API enum vms_section_kind vms_section_kind(const char *idstr,
                                               uint32_t instance_id);

VMS_API int vms_htab_read(vms_stream *s, uint32_t version_id,
                          vms_error *err);
VMS_API int vms_stattr_read(vms_stream *s, uint32_t version_id,
                            vms_error *err);
VMS_API int vms_block_read(vms_stream *s, uint32_t version_id,
                           vms_error *err);

VMS_API int vms_dirty_bitmap_read(vms_stream *s, uint32_t version_id,
                                  vms_error *err);

/*
 * Read one chunk of the non-RAM iterative section rec with the decoder of
 * kind (HTAB, STATTR, BLOCK or DIRTY_BITMAP): the dispatch every stream
 * pass needs. Any other kind is VMS_EFORMAT ("continued but it is not
 * iterative").
 */
VMS_API int vms_section_read(vms_stream *s, const vms_record *rec,
                             enum vms_section_kind kind, vms_error *err);

#endif
