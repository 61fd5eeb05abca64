/*
 * libvmstate internals: where a machine puts its RAM blocks in guest-
 * physical memory, as the ranges QEMU's dump-guest-memory writes (one
 * PT_LOAD each). Never installed. The rules and their QEMU sources are in
 * doc/memory-maps.md.
 */
#ifndef VMS__MEMMAP_H
#define VMS__MEMMAP_H

#include <stddef.h>
#include <stdint.h>
#include "vmstate/error.h"

typedef struct vms__mm_block {
    char name[256];
    uint64_t length;
} vms__mm_block;

/* One range: size bytes of block from offset, at guest-physical paddr. */
typedef struct vms__mm_range {
    uint64_t paddr, size;
    unsigned block;
    uint64_t offset;
    uint64_t file_off;        /* filled by the writer */
} vms__mm_range;

typedef struct vms__memmap {
    vms__mm_range *r;         /* sorted by paddr, never overlapping */
    size_t n;
} vms__memmap;

/* A PCI device's config space header, by its path ("0000:00:03.0"). */
typedef struct vms__mm_pci {
    char path[256];
    uint8_t cfg[64];
} vms__mm_pci;

/* What the machine's rules read from the saved VM. */
typedef struct vms__mm_machine {
    const char *machine;      /* the configuration section's name */
    const vms__mm_block *blocks;
    unsigned nblocks;
    /* the host bridge's PCI config space (I440FX / mch), NULL if absent */
    const uint8_t *host_cfg;
    size_t host_cfg_len;
    /* every PCI device whose config space the stream shows */
    const vms__mm_pci *pci;
    unsigned npci;
} vms__mm_machine;

int vms__memmap_machine(const vms__mm_machine *m, vms__memmap *out,
                        vms_error *err);
/* A user's map file (see vmstate-core(1)); errors name path and line. */
int vms__memmap_file(const char *path, const vms__mm_block *blocks,
                     unsigned nblocks, vms__memmap *out, vms_error *err);
void vms__memmap_free(vms__memmap *m);

#endif
