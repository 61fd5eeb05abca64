/*
 * Where a machine puts its RAM blocks in guest-physical memory: the ranges
 * QEMU's dump-guest-memory writes, one PT_LOAD each.
 *
 * QEMU builds them (softmmu/memory_mapping.c, guest_phys_blocks_append)
 * from the flat view of address_space_memory: every section backed by RAM
 * (ROM included, ROM devices such as pflash not: memory_region_is_ram),
 * joined with its predecessor when both are contiguous in guest-physical
 * and host memory and of the same MemoryRegion (guest_phys_block_add_
 * section). Contiguous host memory within one RAM block is contiguous
 * block offsets, so a range here is (paddr, size, block, offset).
 *
 * The flat view is rebuilt the way QEMU's memory API renders it: regions
 * painted in priority order, a higher priority one hiding what is below;
 * an alias of the PCI address space (a container) hides only where the
 * PCI space has something, elsewhere what lies below shows through
 * (softmmu/memory.c, render_memory_region). doc/memory-maps.md lists the
 * rules per machine with their QEMU sources.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memmap.h"
#include "vmstate/common.h"
#include "table.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

/* ---- a flat view -------------------------------------------------------- */

enum { SEG_RAM = 1, SEG_HOLE = 2 };

typedef struct seg {
    uint64_t start, end;      /* [start, end) */
    int kind;
    unsigned block;
    uint64_t off;             /* block offset at start */
} seg;

typedef struct view {
    seg *s;
    size_t n, cap;
} view;

static int view_push(view *v, const seg *s)
{
    int e = vms__table_room(&v->s, &v->cap, v->n, sizeof(*v->s));

    if (e) {
        return e;
    }
    v->s[v->n++] = *s;
    return 0;
}

/* Paint [start, end) over v: what was there is hidden. */
static int paint(view *v, uint64_t start, uint64_t end, int kind,
                 unsigned block, uint64_t off)
{
    view out = { 0 };
    seg ns = { start, end, kind, block, off };
    bool placed = false;
    int e = 0;

    if (start >= end) {
        return 0;
    }
    for (size_t i = 0; i < v->n && !e; i++) {
        seg s = v->s[i];
        if (s.end <= start || s.start >= end) {
            if (!placed && s.start >= end) {
                e = view_push(&out, &ns);
                placed = true;
            }
            if (!e) {
                e = view_push(&out, &s);
            }
            continue;
        }
        if (s.start < start) {
            seg l = s;
            l.end = start;
            e = view_push(&out, &l);
        }
        if (!e && !placed) {
            e = view_push(&out, &ns);
            placed = true;
        }
        if (!e && s.end > end) {
            seg r = s;
            r.start = end;
            r.off = s.off + (end - s.start);
            e = view_push(&out, &r);
        }
    }
    if (!e && !placed) {
        e = view_push(&out, &ns);
    }
    if (e) {
        free(out.s);
        return e;
    }
    free(v->s);
    *v = out;
    return 0;
}

/*
 * An alias of the PCI address space over [start, end): the PCI space's
 * regions hide what is below; where it has none, nothing changes.
 */
static int paint_view(view *v, const view *pci, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < pci->n; i++) {
        const seg *p = &pci->s[i];
        uint64_t a = p->start > start ? p->start : start;
        uint64_t b = p->end < end ? p->end : end;
        int e;
        if (a < b && (e = paint(v, a, b, p->kind, p->block,
                                p->off + (a - p->start)))) {
            return e;
        }
    }
    return 0;
}

/* The RAM sections, joined as guest_phys_block_add_section joins them. */
static int view_ranges(const view *v, vms__memmap *out)
{
    for (size_t i = 0; i < v->n; i++) {
        const seg *s = &v->s[i];
        vms__mm_range *last = out->n ? &out->r[out->n - 1] : NULL;
        if (s->kind != SEG_RAM) {
            continue;
        }
        if (last && last->block == s->block &&
            last->paddr + last->size == s->start &&
            last->offset + last->size == s->off) {
            last->size += s->end - s->start;
            continue;
        }
        vms__mm_range *n = realloc(out->r, (out->n + 1) * sizeof(*n));
        if (!n) {
            return VMS_ENOMEM;
        }
        out->r = n;
        out->r[out->n++] = (vms__mm_range){
            .paddr = s->start, .size = s->end - s->start,
            .block = s->block, .offset = s->off,
        };
    }
    return 0;
}

void vms__memmap_free(vms__memmap *m)
{
    free(m->r);
    m->r = NULL;
    m->n = 0;
}

/* ---- machines ----------------------------------------------------------- */

static int find_block(const vms__mm_machine *m, const char *name)
{
    for (unsigned i = 0; i < m->nblocks; i++) {
        if (strcmp(m->blocks[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool ends_with(const char *s, const char *t)
{
    size_t a = strlen(s), b = strlen(t);
    return a >= b && strcmp(s + a - b, t) == 0;
}

/* "PREFIX<major>.<minor>" -> major * 100 + minor; -1 when not so. */
static int machine_version(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    unsigned maj, min;
    char tail;

    if (strncmp(name, prefix, pl) != 0 ||
        sscanf(name + pl, "%u.%u%c", &maj, &min, &tail) != 2 ||
        maj > 100 || min > 99) {
        return -1;
    }
    return (int)(maj * 100 + min);
}

/*
 * A PCI device's option ROM ("PATH/TYPE.rom", hw/pci/pci.c
 * pci_add_option_rom) is in address_space_memory only while its ROM BAR
 * is enabled and the device decodes memory (hw/pci/pci.c pci_bar_address:
 * PCI_COMMAND_MEMORY, PCI_ROM_ADDRESS_ENABLE). 1: surely unmapped; 0: it
 * may be mapped (or the device's config is not in the stream).
 */
static int rom_unmapped(const vms__mm_machine *m, const char *name)
{
    const char *slash = strrchr(name, '/');
    size_t pl;

    if (!slash || !ends_with(name, ".rom")) {
        return 0;
    }
    pl = (size_t)(slash - name);
    for (unsigned i = 0; i < m->npci; i++) {
        const uint8_t *c = m->pci[i].cfg;
        if (strlen(m->pci[i].path) == pl &&
            strncmp(m->pci[i].path, name, pl) == 0) {
            return !(c[4] & 0x02) || !(c[0x30] & 0x01);
        }
    }
    return 0;
}

/*
 * Blocks the machine's rules do not place must be ones QEMU never maps in
 * address_space_memory; anything else would be a guess.
 */
static int check_blocks(const vms__mm_machine *m, const char *const *placed,
                        const char *const *unmapped, vms_error *err)
{
    for (unsigned i = 0; i < m->nblocks; i++) {
        const char *n = m->blocks[i].name;
        bool known = strncmp(n, "/rom@", 5) == 0 ||  /* fw_cfg blobs */
                     rom_unmapped(m, n);
        for (const char *const *p = placed; !known && *p; p++) {
            known = strcmp(n, *p) == 0;
        }
        for (const char *const *p = unmapped; !known && p && *p; p++) {
            known = strcmp(n, *p) == 0;
        }
        if (!known) {
            return vms_error_set(err, VMS_EUNSUPPORTED,
                    "machine %s: where RAM block '%s' (0x%" PRIx64
                    " bytes) is mapped is not known (%s): give the ranges "
                    "with --memory-map", m->machine, n, m->blocks[i].length,
                    ends_with(n, ".rom") ? "an option ROM whose BAR may be "
                    "enabled" : "a device's memory, a memory backend, "
                    "pflash firmware?");
        }
    }
    return 0;
}

/*
 * x86 pc (i440FX) and q35 (mch), QEMU 7.2 rules: hw/i386/pc_piix.c
 * pc_init1 and hw/i386/pc_q35.c pc_q35_init (below/above 4G split),
 * hw/i386/pc.c pc_memory_init (ram-below-4g/ram-above-4g aliases, pc.rom),
 * hw/i386/x86.c x86_bios_rom_init (pc.bios, isa-bios), hw/pci-host/pam.c
 * (PAM), hw/pci-host/i440fx.c i440fx_update_memory_mappings and
 * hw/pci-host/q35.c mch_update_pam/mch_update_smram/mch_update_smbase_
 * smram (SMRAM, TSEG, SMBASE).
 */
static int pc_map(const vms__mm_machine *m, bool q35, int ver,
                  vms__memmap *out, vms_error *err)
{
    static const char *const placed[] = { "pc.ram", "pc.bios", "pc.rom",
                                          NULL };
    const uint8_t *cfg = m->host_cfg;
    int ram = find_block(m, "pc.ram"), bios = find_block(m, "pc.bios");
    int rom = find_block(m, "pc.rom");
    uint64_t ram_size, below, above, lowmem, bios_size, isa_size;
    unsigned pam_base = q35 ? 0x90 : 0x59;
    view pci = { 0 }, sys = { 0 };
    bool smram_region, d_open;
    int e;

    if ((e = check_blocks(m, placed, NULL, err))) {
        return e;
    }
    if (ram < 0 || bios < 0 || rom < 0) {
        return vms_error_set(err, VMS_EUNSUPPORTED,
                "machine %s: no RAM block '%s' (firmware in pflash, or "
                "not a PCI machine?): its map is not known; give the ranges "
                "with --memory-map", m->machine,
                ram < 0 ? "pc.ram" : bios < 0 ? "pc.bios" : "pc.rom");
    }
    if (!cfg || m->host_cfg_len < 256) {
        return vms_error_set(err, VMS_EFORMAT,
                "machine %s: the stream has no %s section with the host "
                "bridge's PCI config space (PAM and SMRAM registers)",
                m->machine, q35 ? "'…/mch'" : "'…/I440FX'");
    }
    ram_size = m->blocks[ram].length;
    bios_size = m->blocks[bios].length;
    if (ram_size < 1 * MiB || bios_size == 0 || bios_size > 16 * MiB ||
        bios_size % (64 * KiB) != 0) {
        return vms_error_set(err, VMS_EFORMAT,
                "machine %s: pc.ram of 0x%" PRIx64 " and pc.bios of 0x%"
                PRIx64 " bytes are not sizes QEMU allows", m->machine,
                ram_size, bios_size);
    }
    /*
     * The split. max-ram-below-4g is not in the stream: its default is
     * assumed (documented; --memory-map for other values).
     */
    if (q35) {
        lowmem = ram_size >= 0xb0000000ull ? 0x80000000ull : 0xb0000000ull;
    } else {
        lowmem = 0xe0000000ull;
        /* gigabyte_align: false for pc-i440fx-1.7 and older */
        if (ram_size >= lowmem && ver >= 200) {
            lowmem = 0xc0000000ull;
        }
    }
    if (ram_size >= lowmem) {
        below = lowmem;
        above = ram_size - lowmem;
    } else {
        below = ram_size;
        above = 0;
    }
    /*
     * pc_memory_init moves ram-above-4g to 1 TiB for AMD CPUs (7.1+
     * machines) when the highest address reaches the HyperTransport hole
     * at 0xfd00000000; the vendor and the 64-bit PCI hole's size are not
     * in the stream, so guests anywhere near are refused.
     */
    if (above && 4 * GiB + above > 0xfd00000000ull - 64 * GiB) {
        return vms_error_set(err, VMS_EUNSUPPORTED,
                "machine %s: 0x%" PRIx64 " bytes of RAM above 4 GiB may "
                "have been moved above 1 TiB (AMD HyperTransport hole; "
                "depends on the CPU vendor, not in the stream): give the "
                "ranges with --memory-map", m->machine, above);
    }

    /* The PCI address space (rom_memory): pc.bios, isa-bios, pc.rom. */
    isa_size = bios_size < 128 * KiB ? bios_size : 128 * KiB;
    if ((e = paint(&pci, 4 * GiB - bios_size, 4 * GiB, SEG_RAM,
                   (unsigned)bios, 0)) ||
        (e = paint(&pci, 0x100000 - isa_size, 0x100000, SEG_RAM,
                   (unsigned)bios, bios_size - isa_size)) ||
        (e = paint(&pci, 0xc0000, 0xc0000 + m->blocks[rom].length, SEG_RAM,
                   (unsigned)rom, 0))) {
        goto out;
    }
    /* Priority -1: the PCI space under everything (pc_pci_as_mapping_init) */
    if ((e = paint_view(&sys, &pci, 0, UINT64_MAX)) ||
        /* Priority 0: ram-below-4g, ram-above-4g */
        (e = paint(&sys, 0, below, SEG_RAM, (unsigned)ram, 0)) ||
        (above && (e = paint(&sys, 4 * GiB, 4 * GiB + above, SEG_RAM,
                             (unsigned)ram, below)))) {
        goto out;
    }
    /* Priority 1: SMRAM window at 0xa0000 (an alias of the PCI space) */
    if (q35) {
        bool h_smrame = cfg[0x9e] & 0x80;
        /* mch_update_smram: D_LCK clears D_OPEN */
        d_open = (cfg[0x9d] & 0x40) && !(cfg[0x9d] & 0x10);
        smram_region = d_open ? h_smrame : true;
        if (d_open && h_smrame &&
            (e = paint(&sys, 0xfeda0000, 0xfeda0000 + 0x20000, SEG_RAM,
                       (unsigned)ram, 0xa0000))) {
            goto out;
        }
    } else {
        /* i440FX does not implement D_LCK */
        smram_region = !(cfg[0x72] & 0x40);
    }
    if (smram_region && (e = paint_view(&sys, &pci, 0xa0000, 0xc0000))) {
        goto out;
    }
    /* Priority 1: 13 PAM regions (pam_update: attribute 0 = PCI) */
    for (int i = 0; i < 13; i++) {
        uint64_t start = i == 0 ? 0xf0000 : 0xc0000 + (uint64_t)(i - 1) * 0x4000;
        uint64_t size = i == 0 ? 0x10000 : 0x4000;
        unsigned attr = (cfg[pam_base + (unsigned)(i + 1) / 2] >>
                         (!(i & 1) * 4)) & 3;
        e = attr == 0 ? paint_view(&sys, &pci, start, start + size)
                      : paint(&sys, start, start + size, SEG_RAM,
                              (unsigned)ram, start);
        if (e) {
            goto out;
        }
    }
    if (q35) {
        /* TSEG blackhole (an I/O region) at the top of low RAM */
        uint64_t tseg = 0;
        if ((cfg[0x9e] & 1) && (cfg[0x9d] & 0x08)) {
            switch ((cfg[0x9e] >> 1) & 3) {
            case 0: tseg = 1 * MiB; break;
            case 1: tseg = 2 * MiB; break;
            case 2: tseg = 8 * MiB; break;
            /* extended-tseg-mbytes: 16, 0 for pc-q35-2.9 and older */
            default: tseg = ver >= 210 ? 16 * MiB : 0; break;
            }
        }
        if (tseg > below) {
            e = vms_error_set(err, VMS_EFORMAT, "machine %s: TSEG of 0x%"
                              PRIx64 " bytes is larger than low RAM",
                              m->machine, tseg);
            goto out;
        }
        if (tseg && (e = paint(&sys, below - tseg, below, SEG_HOLE, 0, 0))) {
            goto out;
        }
        /* SMBASE blackhole: smbase-smram is off for pc-q35-4.2 and older */
        if (ver >= 500 && cfg[0x9c] != 0xff && (cfg[0x9c] & 0x02) &&
            (e = paint(&sys, 0x30000, 0x30000 + 128 * KiB, SEG_HOLE, 0, 0))) {
            goto out;
        }
    }
    e = view_ranges(&sys, out);
out:
    free(pci.s);
    free(sys.s);
    if (e == VMS_ENOMEM) {
        vms_error_set(err, e, "out of memory");
    }
    return e;
}

/*
 * aarch64 virt: hw/arm/virt.c machvirt_init maps the machine's RAM
 * (default_ram_id "mach-virt.ram") at base_memmap[VIRT_MEM] = 1 GiB, for
 * every virt version. The flash devices are ROM devices, not RAM, so
 * dump-guest-memory leaves them out.
 */
static int virt_map(const vms__mm_machine *m, vms__memmap *out,
                    vms_error *err)
{
    static const char *const placed[] = { "mach-virt.ram", NULL };
    static const char *const unmapped[] = { "virt.flash0", "virt.flash1",
                                            NULL };
    int ram = find_block(m, "mach-virt.ram");
    int e;

    if ((e = check_blocks(m, placed, unmapped, err))) {
        return e;
    }
    if (ram < 0) {
        return vms_error_set(err, VMS_EUNSUPPORTED,
                "machine %s: no RAM block 'mach-virt.ram': its map is not "
                "known; give the ranges with --memory-map", m->machine);
    }
    if (!(out->r = calloc(1, sizeof(*out->r)))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    out->n = 1;
    out->r[0] = (vms__mm_range){ .paddr = 1 * GiB,
                                 .size = m->blocks[ram].length,
                                 .block = (unsigned)ram };
    return 0;
}

int vms__memmap_machine(const vms__mm_machine *m, vms__memmap *out,
                        vms_error *err)
{
    int ver;

    memset(out, 0, sizeof(*out));
    if ((ver = machine_version(m->machine, "pc-i440fx-")) >= 0) {
        return pc_map(m, false, ver, out, err);
    }
    if ((ver = machine_version(m->machine, "pc-q35-")) >= 0) {
        return pc_map(m, true, ver, out, err);
    }
    if (strcmp(m->machine, "virt") == 0 ||
        machine_version(m->machine, "virt-") >= 0) {
        return virt_map(m, out, err);
    }
    return vms_error_set(err, VMS_EUNSUPPORTED,
            "machine '%s': its memory map is not known (known: "
            "pc-i440fx-*, pc-q35-*, virt-*); give the ranges with "
            "--memory-map", m->machine[0] ? m->machine : "(none: the "
            "stream has no configuration section)");
}

/* ---- a user's map -------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (!isdigit((unsigned char)*s)) {
        return false;
    }
    errno = 0;
    *v = strtoull(s, &end, 0);
    return errno == 0 && *end == '\0';
}

int vms__memmap_file(const char *path, const vms__mm_block *blocks,
                     unsigned nblocks, vms__memmap *out, vms_error *err)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    unsigned lineno = 0;
    int e = 0;

    memset(out, 0, sizeof(*out));
    if (!f) {
        return vms_error_set(err, VMS_EIO, "%s: %s", path, strerror(errno));
    }
    while (!e && fgets(line, sizeof(line), f)) {
        char *tok[5], *save = NULL, *h = strchr(line, '#');
        int nt = 0;
        uint64_t paddr, size, off;
        unsigned b;

        lineno++;
        if (h) {
            *h = '\0';
        }
        for (char *t = strtok_r(line, " \t\r\n", &save); t && nt < 5;
             t = strtok_r(NULL, " \t\r\n", &save)) {
            tok[nt++] = t;
        }
        if (nt == 0) {
            continue;
        }
        if (nt != 4 || !parse_u64(tok[0], &paddr) ||
            !parse_u64(tok[1], &size) || !parse_u64(tok[3], &off) ||
            size == 0) {
            e = vms_error_set(err, VMS_EFORMAT, "%s: line %u: expected "
                              "'PADDR SIZE BLOCK OFFSET' (numbers in hex "
                              "or decimal, SIZE > 0)", path, lineno);
            break;
        }
        for (b = 0; b < nblocks && strcmp(blocks[b].name, tok[2]); b++) {
        }
        if (b == nblocks) {
            e = vms_error_set(err, VMS_ENOTFOUND, "%s: line %u: the stream "
                              "has no RAM block '%s'", path, lineno, tok[2]);
            break;
        }
        if (off > blocks[b].length || size > blocks[b].length - off ||
            paddr + size < paddr) {
            e = vms_error_set(err, VMS_EFORMAT, "%s: line %u: 0x%" PRIx64
                              " bytes from offset 0x%" PRIx64 " lie outside "
                              "block '%s' (0x%" PRIx64 " bytes)", path,
                              lineno, size, off, tok[2], blocks[b].length);
            break;
        }
        if (out->n && out->r[out->n - 1].paddr + out->r[out->n - 1].size >
                          paddr) {
            e = vms_error_set(err, VMS_EFORMAT, "%s: line %u: ranges must "
                              "be in increasing address order without "
                              "overlap", path, lineno);
            break;
        }
        vms__mm_range *n = realloc(out->r, (out->n + 1) * sizeof(*n));
        if (!n) {
            e = vms_error_set(err, VMS_ENOMEM, "out of memory");
            break;
        }
        out->r = n;
        out->r[out->n++] = (vms__mm_range){ .paddr = paddr, .size = size,
                                            .block = b, .offset = off };
    }
    if (!e && ferror(f)) {
        e = vms_error_set(err, VMS_EIO, "%s: read error", path);
    }
    if (!e && out->n == 0) {
        e = vms_error_set(err, VMS_EFORMAT, "%s: no ranges", path);
    }
    fclose(f);
    if (e) {
        vms__memmap_free(out);
    }
    return e;
}
