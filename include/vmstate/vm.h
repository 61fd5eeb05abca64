/*
 * libvmstate: a virtual machine's migration state, for a VMM to embed.
 *
 * A vms_vm is what QEMU's savevm keeps: the machine name, the target page
 * size, the registered sections (idstr + instance_id + description + the
 * device struct) and the RAM blocks (caller memory, never copied). From it
 * libvmstate writes a stream QEMU 7.2 loads (header, configuration, RAM,
 * each device as a full section with its footer, EOF, the vmdesc JSON),
 * loads one section's data back into its device, and exports every
 * description as QEMU's -dump-vmstate does.
 */
#ifndef VMSTATE_VM_H
#define VMSTATE_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "desc.h"
#include "io.h"
#include "json.h"

typedef struct vms_vm vms_vm;

/*
 * machine: the machine type sent in the configuration section
 * ("pc-i440fx-7.2"); page_size: the target page size, a power of two of at
 * least 1024 (RAM flags live below it). Returns NULL with err set.
 */
VMS_API vms_vm *vms_vm_new(const char *machine, uint32_t page_size,
                           vms_error *err);
VMS_API void vms_vm_free(vms_vm *vm);

/*
 * Register a device section. idstr (at most 255 bytes) and instance_id
 * name it in streams ("i8259" 0 and 1, "0000:00:01.0/PIIX3" 0);
 * type_name is the key of its -dump-vmstate entry, QEMU's device type
 * ("isa-i8259"; NULL: d->name). d and opaque are borrowed and must outlive
 * vm. d is validated. Sections are saved in registration order.
 * A second registration of the same idstr and instance_id is VMS_EEXIST.
 */
VMS_API int vms_vm_register(vms_vm *vm, const char *idstr,
                            uint32_t instance_id, const char *type_name,
                            const vms_desc *d, void *opaque, vms_error *err);

/*
 * Add a RAM block: length bytes at host (borrowed), a multiple of the page
 * size. name (at most 255 bytes) is QEMU's block id ("pc.ram").
 */
VMS_API int vms_vm_add_ram(vms_vm *vm, const char *name, void *host,
                           uint64_t length, vms_error *err);

/* vms_vm_save flags. */
enum {
    VMS_SAVE_NO_CONFIGURATION = 1u << 0, /* as old machine types */
    VMS_SAVE_NO_VMDESC = 1u << 1,        /* as suppress-vmdesc */
};

/*
 * Write the whole stream to w: header, configuration section, the "ram"
 * section (SECTION_START with the block list, SECTION_END with every page:
 * a page filled with one byte value as a ZERO record carrying that byte,
 * others as PAGE records), every device as SECTION_FULL + footer, EOF,
 * then the vmdesc JSON (QEMU's keys, order and one-line layout, written
 * during the save walk). Does not flush or close w.
 */
VMS_API int vms_vm_save(vms_vm *vm, vms_writer *w, unsigned flags,
                        vms_error *err);

/*
 * Load one device section's data from r (positioned after the section
 * header, which the caller has read; the footer is left to the caller).
 * Finds the registered section, applies QEMU's load rules for version_id
 * (see vms_walk). On any error the device struct is restored to what it
 * was before the call (a snapshot saved through the same walk first;
 * pre_save and post_load hooks run for it) and err names the field path
 * and offset. VMS_ENOTFOUND when no such section is registered.
 */
VMS_API int vms_vm_load_section(vms_vm *vm, const char *idstr,
                                uint32_t instance_id, int version_id,
                                vms_reader *r, vms_error *err);

/*
 * Load a whole stream (path, "-" = standard input) as QEMU's incoming
 * migration does: the configuration's machine type (and target page size)
 * must be this VM's, RAM blocks are matched by name and length and their
 * pages (ZERO, PAGE, XBZRLE, compressed) written into the blocks' memory,
 * every device section goes through vms_vm_load_section, footers are
 * checked. Streams of any QEMU container version this library reads are
 * accepted; sections the VM does not have are VMS_ENOTFOUND. On error, err
 * names the file, offset and field; devices loaded before it keep their
 * new state (as in QEMU, a failed incoming migration is not resumed).
 */
VMS_API int vms_vm_load(vms_vm *vm, const char *path, vms_error *err);

/*
 * The VM's state as "vmstate analyze -d state" (and QEMU's
 * analyze-migration.py) prints the stream vms_vm_save writes: the same
 * keys "idstr (section_id)", the RAM section's block sizes, each device
 * through the JSON-state visitor, python's layout when w is
 * VMS_JSONW_PRETTY with indent 4.
 */
VMS_API int vms_vm_write_state_json(vms_vm *vm, vms_jsonw *w, vms_error *err);

/*
 * Write every registered description as QEMU's -dump-vmstate JSON (one
 * entry per type_name, in registration order, after "vmschkmachine"),
 * byte for byte in QEMU's layout, to w (flushed).
 */
VMS_API int vms_vm_dump_vmstate(vms_vm *vm, vms_writer *w, vms_error *err);

#endif
