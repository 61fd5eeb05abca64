/*
 * libvmstate: "vmstate core", the guest memory and CPUs of a saved VM as
 * the core file QEMU's dump-guest-memory would write for the same VM.
 *
 * The memory map is rebuilt from the machine type, the RAM block sizes and
 * the device state that moves memory (PAM and SMRAM registers of the host
 * bridge); doc/memory-maps.md names the QEMU source of each rule. A
 * machine or layout whose map is not known is an error naming what is
 * missing (never a guessed map); a map file (--memory-map) may give the
 * ranges instead.
 */
#ifndef VMSTATE_CORE_H
#define VMSTATE_CORE_H

#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "input.h"

enum vms_core_format {
    VMS_CORE_ELF = 0,         /* ELF core: PT_NOTE + one PT_LOAD per range */
    VMS_CORE_RAW,             /* sparse file, file offset = guest-physical */
    /*
     * kdump-compressed (makedumpfile's diskdump file, zlib pages), for
     * crash and libkdumpfile; the ELF core is made first in a temporary
     * file in the output's directory
     */
    VMS_CORE_KDUMP,
};

typedef struct vms_core_opts {
    int version;              /* VMS_CORE_OPTS_VERSION */
    const char *file;         /* the saved VM (a migration stream file) */
    const char *output;       /* complete or absent, never half-written */
    enum vms_core_format format;
    /*
     * optional: ranges "PADDR SIZE BLOCK OFFSET" per line (hex or
     * decimal), replacing the machine's rules (vmstate-core(1))
     */
    const char *memory_map;
    bool force;               /* replace an existing output file */
    vms_progress_fn progress; /* optional: bytes of work done / total */
    void *progress_opaque;
    /* since version 2: the input's options (input.h); NULL: the default */
    const vms_input_opts *input;
} vms_core_opts;
#define VMS_CORE_OPTS_VERSION 2
#define VMS_CORE_OPTS_INIT { .version = VMS_CORE_OPTS_VERSION }

/*
 * Write the core. The input is read twice (the device state that places
 * memory and the CPU registers follow the RAM in a stream), so it must be
 * a file; memory use does not grow with the guest's RAM.
 */
VMS_API int vms_core(const vms_core_opts *o, vms_error *err);

#endif
