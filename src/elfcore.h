/*
 * libvmstate internals: the ELF headers and per-CPU notes of a core, laid
 * out as QEMU 7.2's dump-guest-memory lays them out (dump/dump.c,
 * target/i386/arch_dump.c, target/arm/arch_dump.c). Never installed.
 */
#ifndef VMS__ELFCORE_H
#define VMS__ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memmap.h"

typedef struct vms__x86_seg {
    uint32_t selector, limit, flags;
    uint64_t base;
} vms__x86_seg;

/* Register values as CPUX86State holds them (QEMU's index order). */
typedef struct vms__x86_cpu {
    uint64_t regs[16];        /* R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, ... */
    uint64_t eip, eflags;
    vms__x86_seg segs[6];     /* R_ES, R_CS, R_SS, R_DS, R_FS, R_GS */
    vms__x86_seg ldt, tr, gdt, idt;
    uint64_t cr[5];
    uint64_t kernelgsbase;
    uint32_t hflags;
} vms__x86_cpu;

typedef struct vms__arm_cpu {
    uint64_t xregs[32];
    uint64_t pc;
    uint32_t pstate;          /* pstate_read(), as the stream's "cpsr" */
    uint64_t vregs[64];       /* zregs[i].d[0], d[1] */
    uint32_t fpscr;
} vms__arm_cpu;

enum { VMS__ARCH_X86 = 1, VMS__ARCH_ARM64 };

typedef struct vms__cpus {
    int arch;
    unsigned n;
    vms__x86_cpu *x86;
    vms__arm_cpu *arm;
} vms__cpus;

/* EM_X86_64 when the first CPU is in long mode (HF_LMA), else EM_386. */
uint16_t vms__elf_machine(const vms__cpus *c);
size_t vms__elf_notes_size(const vms__cpus *c);
/* The notes (vms__elf_notes_size bytes) into buf. */
void vms__elf_notes(const vms__cpus *c, uint8_t *buf);
/*
 * Everything before the memory: ELF header, section headers (null and
 * .shstrtab, as QEMU writes them), program headers (PT_NOTE, one PT_LOAD
 * per range), the notes; fills map->r[i].file_off. *hdr_len is the size,
 * *tail_off where the 11-byte string table goes after the memory;
 * returns a malloc'd buffer or NULL (out of memory).
 */
uint8_t *vms__elf_headers(const vms__cpus *c, vms__memmap *map,
                          size_t *hdr_len, uint64_t *tail_off);
/* The .shstrtab bytes written at tail_off. */
extern const char vms__elf_shstrtab[11];

#endif
