/*
 * What the unit tests share: a scratch directory, whole-file reads and
 * writes, and the example VMM's machine (examples/pc.h, what "vmstate
 * demo" writes) as test input made by the library itself, so that the
 * tests need nothing from ../shared. Every helper fails the current
 * cmocka test on error.
 */
#ifndef VMS_TEST_FIXTURE_H
#define VMS_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include "vmstate/vmstate.h"
#include "pc.h"

/* Create a scratch directory /tmp/vms-test-TAG.XXXXXX (one per process). */
void fx_tmp_make(const char *tag);
/* Remove it and everything in it; 0 on success (a cmocka teardown). */
int fx_tmp_remove(void);
/* NAME inside the scratch directory (eight buffers, reused in turn). */
const char *fx_at(const char *name);

/* The whole file (NUL-terminated; *len without the NUL). */
char *fx_slurp(const char *path, size_t *len);
/* Write len bytes to path (replacing it). */
void fx_spit(const char *path, const void *buf, size_t len);
void fx_assert_same_file(const char *a, const char *b);

/* The example machine: its devices and RAM, and a vms_vm holding them. */
typedef struct fx_machine {
    ex_pc pc;
    vms_vm *vm;
} fx_machine;

/*
 * Devices of release variant (1 or 2) in mask (EX_DEV_*), ram_size bytes
 * of RAM ("pc.ram", zeroed; 0 = none), for machine pc-i440fx-7.2 with
 * 4 KiB pages, in ex_pc_demo_state's known values (data at 0x2000 and
 * 1 MiB, the rest of RAM zero); a seed other than 0 randomizes every
 * field first (ex_pc_randomize), the known values going on top.
 */
void fx_machine_init(fx_machine *m, int variant, unsigned mask,
                     uint64_t ram_size, uint64_t seed);
/* The same with every device in its reset state and RAM all zero. */
void fx_machine_init_reset(fx_machine *m, int variant, unsigned mask,
                           uint64_t ram_size);
void fx_machine_free(fx_machine *m);
/* vms_vm_save (flags VMS_SAVE_*) into path. */
void fx_machine_save(fx_machine *m, const char *path, unsigned flags);
/* The machine's -dump-vmstate JSON (malloc'd, NUL-terminated). */
char *fx_machine_dump(fx_machine *m, size_t *len);

/* Every device, seed 7, RAM_MIB MiB of RAM, saved into path. */
void fx_demo_stream(const char *path, unsigned ram_mib);

#endif
