/*
 * The ELF headers and CPU notes of a core, as QEMU 7.2's dump-guest-memory
 * writes them.
 *
 * The structures come from glibc's <elf.h>; the file is put together
 * here rather than through libelf: libelf (gelf) builds an image from
 * Elf_Data buffers in memory and writes it in elf_update(), while a core
 * is gigabytes of guest RAM that arrive page by page, in any order, and
 * are written straight to their file offsets (pwrite). Only the first few
 * hundred bytes are ELF structure, and those are written here in the
 * layout QEMU uses (dump/dump.c, dump_init: ELF header, section headers,
 * program headers, notes, memory, then the section string table).
 */
#include <elf.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include "elfcore.h"

const char vms__elf_shstrtab[11] = "\0.shstrtab";

#define HF_LMA_MASK (1u << 14)         /* target/i386/cpu.h */

/* Each note: Elf64_Nhdr, the name padded to 4 (ELF_NOTE_SIZE in QEMU). */
#define NOTE_HDR (sizeof(Elf64_Nhdr) + 8)  /* "CORE\0"/"QEMU\0" -> 8 */
#define X86_PRSTATUS 144                   /* x86_elf_prstatus */
#define X86_64_PRSTATUS 336                /* x86_64_elf_prstatus */
#define QEMU_CPUSTATE 440                  /* QEMUCPUState */
#define ARM64_PRSTATUS 392                 /* aarch64_elf_prstatus */
#define ARM64_FPREGSET 528                 /* aarch64_user_vfp_state */

static void le16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static void le32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void le64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

static bool x86_lma(const vms__cpus *c)
{
    /* arch_dump.c, cpu_get_dump_info: the first CPU decides */
    return c->arch == VMS__ARCH_X86 && c->n &&
           (c->x86[0].hflags & HF_LMA_MASK);
}

uint16_t vms__elf_machine(const vms__cpus *c)
{
    if (c->arch == VMS__ARCH_ARM64) {
        return EM_AARCH64;
    }
    return x86_lma(c) ? EM_X86_64 : EM_386;
}

size_t vms__elf_notes_size(const vms__cpus *c)
{
    if (c->arch == VMS__ARCH_ARM64) {
        return c->n * (NOTE_HDR + ARM64_PRSTATUS + NOTE_HDR + ARM64_FPREGSET);
    }
    return c->n * (NOTE_HDR + (x86_lma(c) ? X86_64_PRSTATUS : X86_PRSTATUS) +
                   NOTE_HDR + QEMU_CPUSTATE);
}

static uint8_t *note(uint8_t *p, const char *name, uint32_t type,
                     uint32_t descsz)
{
    le32(p, 5);
    le32(p + 4, descsz);
    le32(p + 8, type);
    memcpy(p + 12, name, 5);
    return p + NOTE_HDR;
}

/* x86_fill_elf_prstatus: the i386 layout, registers cut to 32 bits. */
static uint8_t *x86_prstatus(const vms__x86_cpu *c, uint32_t id, uint8_t *p)
{
    uint8_t *d = note(p, "CORE", NT_PRSTATUS, X86_PRSTATUS), *r = d + 72;

    le32(d + 24, id);
    le32(r + 0, (uint32_t)c->regs[3]);      /* ebx */
    le32(r + 4, (uint32_t)c->regs[1]);      /* ecx */
    le32(r + 8, (uint32_t)c->regs[2]);      /* edx */
    le32(r + 12, (uint32_t)c->regs[6]);     /* esi */
    le32(r + 16, (uint32_t)c->regs[7]);     /* edi */
    le32(r + 20, (uint32_t)c->regs[5]);     /* ebp */
    le32(r + 24, (uint32_t)c->regs[0]);     /* eax */
    le16(r + 28, (uint16_t)c->segs[3].selector);  /* ds */
    le16(r + 32, (uint16_t)c->segs[0].selector);  /* es */
    le16(r + 36, (uint16_t)c->segs[4].selector);  /* fs */
    le16(r + 40, (uint16_t)c->segs[5].selector);  /* gs */
    le32(r + 48, (uint32_t)c->eip);
    le16(r + 52, (uint16_t)c->segs[1].selector);  /* cs */
    le32(r + 56, (uint32_t)c->eflags);
    le32(r + 60, (uint32_t)c->regs[4]);     /* esp */
    le16(r + 64, (uint16_t)c->segs[2].selector);  /* ss */
    return d + X86_PRSTATUS;
}

/* x86_64_write_elf64_note: user_regs_struct of x86_64 Linux. */
static uint8_t *x86_64_prstatus(const vms__x86_cpu *c, uint32_t id,
                                uint8_t *p)
{
    uint8_t *d = note(p, "CORE", NT_PRSTATUS, X86_64_PRSTATUS), *r = d + 112;
    const uint64_t v[27] = {
        c->regs[15], c->regs[14], c->regs[13], c->regs[12],
        c->regs[5], c->regs[3], c->regs[11], c->regs[10],
        c->regs[9], c->regs[8], c->regs[0], c->regs[1],
        c->regs[2], c->regs[6], c->regs[7], 0 /* orig_rax */,
        c->eip, c->segs[1].selector, c->eflags,
        c->regs[4], c->segs[2].selector,
        c->segs[4].base, c->segs[5].base,
        c->segs[3].selector, c->segs[0].selector,
        c->segs[4].selector, c->segs[5].selector,
    };

    le32(d + 32, id);
    for (int i = 0; i < 27; i++) {
        le64(r + 8 * i, v[i]);
    }
    return d + X86_64_PRSTATUS;
}

static uint8_t *seg_rec(uint8_t *p, const vms__x86_seg *s)
{
    le32(p, s->selector);
    le32(p + 4, s->limit);
    le32(p + 8, s->flags);
    le64(p + 16, s->base);
    return p + 24;
}

/* qemu_get_cpustate: QEMUCPUState version 1 with kernel_gs_base. */
static uint8_t *qemu_note(const vms__x86_cpu *c, uint8_t *p)
{
    uint8_t *d = note(p, "QEMU", 0, QEMU_CPUSTATE), *q = d + 8;
    static const int order[16] = { 0, 3, 1, 2, 6, 7, 4, 5,
                                   8, 9, 10, 11, 12, 13, 14, 15 };
    static const int segs[6] = { 1, 3, 0, 4, 5, 2 };  /* cs ds es fs gs ss */

    le32(d, 1);
    le32(d + 4, QEMU_CPUSTATE);
    for (int i = 0; i < 16; i++, q += 8) {
        le64(q, c->regs[order[i]]);
    }
    le64(q, c->eip);
    le64(q + 8, c->eflags);
    q += 16;
    for (int i = 0; i < 6; i++) {
        q = seg_rec(q, &c->segs[segs[i]]);
    }
    q = seg_rec(q, &c->ldt);
    q = seg_rec(q, &c->tr);
    q = seg_rec(q, &c->gdt);
    q = seg_rec(q, &c->idt);
    for (int i = 0; i < 5; i++, q += 8) {
        le64(q, c->cr[i]);
    }
    le64(q, c->kernelgsbase);
    return d + QEMU_CPUSTATE;
}

/* arm_cpu_write_elf64_note (AArch64 state) and aarch64_write_elf64_prfpreg */
static uint8_t *arm64_notes(const vms__arm_cpu *c, uint32_t id, uint8_t *p)
{
    uint8_t *d = note(p, "CORE", NT_PRSTATUS, ARM64_PRSTATUS), *r = d + 112;

    le32(d + 32, id);
    for (int i = 0; i < 31; i++) {
        le64(r + 8 * i, c->xregs[i]);
    }
    le64(r + 248, c->xregs[31]);           /* sp */
    le64(r + 256, c->pc);
    le64(r + 264, c->pstate);
    le32(d + 384, 1);                      /* pr_fpvalid */
    d = note(d + ARM64_PRSTATUS, "CORE", NT_PRFPREG, ARM64_FPREGSET);
    for (int i = 0; i < 64; i++) {
        le64(d + 8 * i, c->vregs[i]);
    }
    le32(d + 512, c->fpscr & 0xf800009fu);  /* vfp_get_fpsr: FPSR_MASK */
    le32(d + 516, c->fpscr & 0x07ff9f00u);  /* vfp_get_fpcr: FPCR_MASK */
    return d + ARM64_FPREGSET;
}

void vms__elf_notes(const vms__cpus *c, uint8_t *p)
{
    memset(p, 0, vms__elf_notes_size(c));
    /* write_elf64_notes: every CPU's note, then every CPU's QEMU note;
       the id is cpu_index + 1 */
    for (unsigned i = 0; i < c->n; i++) {
        if (c->arch == VMS__ARCH_ARM64) {
            p = arm64_notes(&c->arm[i], i + 1, p);
        } else if (x86_lma(c)) {
            p = x86_64_prstatus(&c->x86[i], i + 1, p);
        } else {
            p = x86_prstatus(&c->x86[i], i + 1, p);
        }
    }
    for (unsigned i = 0; c->arch == VMS__ARCH_X86 && i < c->n; i++) {
        p = qemu_note(&c->x86[i], p);
    }
}

uint8_t *vms__elf_headers(const vms__cpus *c, vms__memmap *map,
                          size_t *hdr_len, uint64_t *tail_off)
{
    size_t phnum = 1 + map->n, notes = vms__elf_notes_size(c);
    size_t shoff = sizeof(Elf64_Ehdr), phoff = shoff + 2 * sizeof(Elf64_Shdr);
    size_t noteoff = phoff + phnum * sizeof(Elf64_Phdr);
    size_t len = noteoff + notes;
    uint64_t off = len;
    uint8_t *buf, *p;

    /* QEMU moves phnum into section 0's sh_info past PN_XNUM; so few
       ranges never get there, but refuse rather than write a bad file */
    if (phnum >= PN_XNUM || !(buf = calloc(1, len))) {
        return NULL;
    }
    p = buf;
    memcpy(p, ELFMAG, SELFMAG);
    p[EI_CLASS] = ELFCLASS64;
    p[EI_DATA] = ELFDATA2LSB;
    p[EI_VERSION] = EV_CURRENT;
    le16(p + offsetof(Elf64_Ehdr, e_type), ET_CORE);
    le16(p + offsetof(Elf64_Ehdr, e_machine), vms__elf_machine(c));
    le32(p + offsetof(Elf64_Ehdr, e_version), EV_CURRENT);
    le64(p + offsetof(Elf64_Ehdr, e_phoff), phoff);
    le64(p + offsetof(Elf64_Ehdr, e_shoff), shoff);
    /* QEMU 7.2 writes sizeof(a pointer) here, 8: a bug, not copied */
    le16(p + offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr));
    le16(p + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
    le16(p + offsetof(Elf64_Ehdr, e_phnum), (uint16_t)phnum);
    le16(p + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
    le16(p + offsetof(Elf64_Ehdr, e_shnum), 2);
    le16(p + offsetof(Elf64_Ehdr, e_shstrndx), 1);

    for (size_t i = 0; i < map->n; i++) {
        map->r[i].file_off = off;
        off += map->r[i].size;
    }
    *tail_off = off;
    /* section 1: .shstrtab after the memory (prepare_elf_section_hdr_string) */
    p = buf + shoff + sizeof(Elf64_Shdr);
    le32(p + offsetof(Elf64_Shdr, sh_name), 1);
    le32(p + offsetof(Elf64_Shdr, sh_type), SHT_STRTAB);
    le64(p + offsetof(Elf64_Shdr, sh_offset), off);
    le64(p + offsetof(Elf64_Shdr, sh_size), sizeof(vms__elf_shstrtab));

    p = buf + phoff;
    le32(p + offsetof(Elf64_Phdr, p_type), PT_NOTE);
    le64(p + offsetof(Elf64_Phdr, p_offset), noteoff);
    le64(p + offsetof(Elf64_Phdr, p_filesz), notes);
    le64(p + offsetof(Elf64_Phdr, p_memsz), notes);
    for (size_t i = 0; i < map->n; i++) {
        p += sizeof(Elf64_Phdr);
        le32(p + offsetof(Elf64_Phdr, p_type), PT_LOAD);
        le64(p + offsetof(Elf64_Phdr, p_offset), map->r[i].file_off);
        /* no paging: virt_addr = phys_addr (write_elf64_load) */
        le64(p + offsetof(Elf64_Phdr, p_vaddr), map->r[i].paddr);
        le64(p + offsetof(Elf64_Phdr, p_paddr), map->r[i].paddr);
        le64(p + offsetof(Elf64_Phdr, p_filesz), map->r[i].size);
        le64(p + offsetof(Elf64_Phdr, p_memsz), map->r[i].size);
    }
    vms__elf_notes(c, buf + noteoff);
    *hdr_len = len;
    return buf;
}
