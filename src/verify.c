/*
 * libvmstate: verify a stream against a destination's -dump-vmstate (see
 * verify.h). One pass over the stream: RAM and the other iterative
 * sections are skipped by their decoders, device sections are decoded by
 * the one walk (which also proves the vmdesc describes them) and checked
 * against the dump entry their description name maps to.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "vmstate/verify.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "vmstate/limits.h"
#include "bytes.h"
#include "table.h"
#include "stream_priv.h"
#include "analyze_priv.h"
#include "dumpdesc.h"
#include "check_rules.h"
#include "check_priv.h"
#include "core_priv.h"

/* Nested descriptions deeper than this are not followed (QEMU's are < 10). */
#define MAX_DEPTH 64

/*
 * Sections QEMU registers outside the device-class path, so that no
 * -dump-vmstate (which lists the device classes' dc->vmsd) describes them:
 * vmstate_register() / vmstate_register_with_alias_id() of a description
 * that is no class's dc->vmsd, and register_savevm_live() handlers (no
 * description at all). Each entry names where QEMU (7.2 to 10.x)
 * registers it; the name is the section's description name (vmsd_name)
 * or, for handlers without one, its idstr. Whether the destination loads
 * them is not visible in its dump: verify lists them as not verified.
 */
static const struct unlisted_section {
    const char *name;
    const char *where;
} unlisted[] = {
    /* every target */
    { "ram", "migration/ram.c ram_mig_init: register_savevm_live; its "
             "blocks and the capabilities it needs are the destination "
             "command line's" },
    { "block", "migration/block.c blk_mig_init: register_savevm_live "
               "(block migration, QEMU < 9.1)" },
    { "dirty-bitmap", "migration/block-dirty-bitmap.c "
                      "dirty_bitmap_mig_init: register_savevm_live" },
    { "globalstate", "migration/global_state.c register_global_state: "
                     "vmstate_register" },
    { "timer", "softmmu/cpu-timers.c (system/ in 10.0) cpu_timers_init: "
               "vmstate_register(vmstate_timers)" },
    { "cpu_common", "cpu.c (hw/core/cpu-common.c) cpu_exec_realizefn: "
                    "vmstate_register(vmstate_cpu_common) for a CPU class "
                    "without dc->vmsd" },
    { "cpu", "cpu.c (hw/core/cpu-common.c) cpu_exec_realizefn: "
             "vmstate_register(sysemu_ops->legacy_vmsd): target/*/machine.c "
             "vmstate_{x86,arm,ppc,s390}_cpu" },
    { "PCIBUS", "hw/pci/pci.c pci_bus_realize: vmstate_register"
                "(vmstate_pcibus), a bus, not a device" },
    { "i2c_bus", "hw/i2c/core.c i2c_init_bus: vmstate_register, a bus" },
    { "slirp", "net/slirp.c net_slirp_init: register_savevm_live "
               "(libslirp's own format)" },
    { "tpm-emulator", "backends/tpm/tpm_emulator.c tpm_emulator_inst_init: "
                      "vmstate_register (a backend, not a device)" },
    { "ide", "hw/ide/piix.c pci_piix_ide_realize (also cmd646.c, via.c): "
             "vmstate_register(vmstate_ide_pci); later QEMUs set dc->vmsd "
             "and their dump lists it" },
    /* x86_64 */
    { "apic", "hw/intc/apic_common.c apic_common_realize: "
              "vmstate_register_with_alias_id(vmstate_apic_common)" },
    { "acpi_build", "hw/i386/acpi-build.c acpi_setup: vmstate_register" },
    /* aarch64 */
    { "virt_acpi_build", "hw/arm/virt-acpi-build.c virt_acpi_setup: "
                         "vmstate_register" },
    /* ppc64 pseries */
    { "spapr", "hw/ppc/spapr.c spapr_machine_init: "
               "vmstate_register(vmstate_spapr), the machine's own state" },
    { "spapr/htab", "hw/ppc/spapr.c spapr_machine_init: "
                    "register_savevm_live (the hash page table)" },
    { "icp/server", "hw/intc/xics.c icp_realize: vmstate_register"
                    "(vmstate_icp_server), instance = cpu_index" },
    { "spapr_cpu", "hw/ppc/spapr_cpu_core.c spapr_realize_vcpu: "
                   "vmstate_register(vmstate_spapr_cpu_state)" },
    { "spapr_iommu", "hw/ppc/spapr_iommu.c spapr_tce_table_realize: "
                     "vmstate_register(vmstate_spapr_tce_table), "
                     "instance = liobn" },
    { "spapr_drc", "hw/ppc/spapr_drc.c drc_realize: vmstate_register"
                   "(vmstate_spapr_drc), instance = DRC index" },
    /* s390x ccw */
    { "s390_css", "hw/s390x/css.c css_register_vmstate (from "
                  "s390-virtio-ccw.c ccw_init): vmstate_register"
                  "(vmstate_css)" },
    { "todclock", "hw/s390x/tod.c s390_tod_realize: register_savevm_live" },
    { "s390-storage_attributes", "hw/s390x/s390-stattrib.c "
                                 "s390_stattrib_realize: "
                                 "register_savevm_live" },
    { "s390-skeys", "hw/s390x/s390-skeys.c s390_skeys_realize: "
                    "register_savevm_live" },
};

static const struct unlisted_section *find_unlisted(const char *name)
{
    for (size_t i = 0; i < VMS__ARRAY_SIZE(unlisted); i++) {
        if (strcmp(unlisted[i].name, name) == 0) {
            return &unlisted[i];
        }
    }
    return NULL;
}

/* What --reference (a stream the destination saved) shows of it. */
typedef struct ref_section {
    char idstr[257];
    uint32_t instance_id, version_id;
    json_t *state;             /* "cpu" sections: the decoded state */
} ref_section;

/* RAM records that tell whether the saver compressed pages. */
typedef struct ram_count {
    uint64_t compressed;       /* COMPRESS_PAGE records */
    uint64_t plain_continued;  /* PAGE records with CONTINUE */
} ram_count;

typedef struct reference {
    ref_section *sec;
    size_t n, cap;
    vms_vmdesc *vd;
    ram_count ram;
} reference;

typedef struct verifier {
    const vms_verify_opts *o;
    reference *ref;            /* o->reference, loaded */
    ram_count ram_src;         /* the stream's RAM records */
    vms_check_report *r;
    const vms_dump *dump;
    vms_dump *src;             /* the stream's side (o->src_dump) */
    vms_stream *s;
    vms_vmdesc *vd;
    vms_config cfg;
    vms_ram *ram;
    vms_error *err;
    bool vd_known;             /* looked for (a pipe: at its first device) */
    size_t no_vmdesc_at;       /* index of the no_vmdesc finding, + 1 */
    bool probed;               /* without a vmdesc: walked to the end */
    bool by_footer;            /* ... and its footers bound the bodies */
    int e;                     /* VMS_ENOMEM while adding findings */
    /* the sections no dump describes, by name, in stream order */
    struct unseen {
        const struct unlisted_section *u;
        char name[257];        /* an iterative section without entry */
        unsigned count;
        int64_t ref_version;   /* in the reference; -1 absent, -2 none */
    } unseen[VMS__ARRAY_SIZE(unlisted) + 8];
    size_t n_unseen;
} verifier;

bool vms_verify_unlisted(const char *vmsd_name)
{
    return find_unlisted(vmsd_name) != NULL;
}

static void add(verifier *v, enum vms_finding_kind kind, bool counted,
                const char *sec, const char *desc, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(verifier *v, enum vms_finding_kind kind, bool counted,
                const char *sec, const char *desc, const char *field,
                const char *fmt, ...)
{
    vms_finding f = { .kind = kind, .counted = counted, .section = sec,
                      .description = desc, .field = field };
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    f.message = msg;
    if (!v->e) {
        v->e = vms__check_report_add(v->r, &f);
    }
}

/* ---- mapping a section to the dump ------------------------------------- */

static const vms_dump_section *by_desc_name(const vms_dump *dump,
                                            const char *name)
{
    for (const vms_dump_section *s = vms_dump_sections(dump); s;
         s = s->next) {
        if (s->desc && s->desc->name && strcmp(s->desc->name, name) == 0) {
            return s;
        }
    }
    return NULL;
}

static const vms_dump_section *lookup(const vms_dump *dump, const char *vmsd)
{
    const vms_dump_section *s;
    const char *alt;

    if ((s = by_desc_name(dump, vmsd)) || (s = vms_dump_find(dump, vmsd))) {
        return s;
    }
    alt = vms__check_section_rename(vmsd);
    if (*alt && ((s = by_desc_name(dump, alt)) ||
                 (s = vms_dump_find(dump, alt)))) {
        return s;
    }
    return NULL;
}

/* ---- descriptions -------------------------------------------------------- */

/*
 * A vmdesc names the n-th of several same-named fields "name[n]" (QEMU
 * counts them over the whole description); a dump keeps "name".
 */
static bool same_field(const vms_dump_desc *dd, const vms_dump_field *df,
                       const vms_field *sf)
{
    const char *open = strrchr(sf->name, '[');
    size_t n = open ? (size_t)(open - sf->name) : 0;
    unsigned long idx, seen = 0;
    char *end;

    if (strcmp(df->name, sf->name) == 0 ||
        vms__check_names_match(dd->name, sf->name, df->name)) {
        return true;
    }
    if (!open || strlen(df->name) != n || strncmp(df->name, sf->name, n) ||
        open[1] < '0' || open[1] > '9') {
        return false;
    }
    idx = strtoul(open + 1, &end, 10);
    if (strcmp(end, "]") != 0) {
        return false;
    }
    for (const vms_dump_field *t = dd->fields; t && t != df; t = t->next) {
        seen += strcmp(t->name, df->name) == 0;
    }
    return seen == idx;
}

/* Does the destination read df when loading version? */
static bool dest_reads(const vms_dump_field *df, int64_t version)
{
    return df->version_id <= version;
}

static void compare_desc(verifier *v, const char *sec, const vms_desc *sd,
                         const vms_dump_desc *dd, int64_t version, int depth);

static void compare_field(verifier *v, const char *sec, const vms_field *sf,
                          const vms_dump_desc *dd, const vms_dump_field *df,
                          int depth)
{
    bool s_struct = sf->type == VMS_TYPE_STRUCT;

    if (!s_struct && df->desc && sf->type_name &&
        (strcmp(sf->type_name, "qlist") == 0 ||
         strcmp(sf->type_name, "qtailq") == 0)) {
        /*
         * A VMSTATE_QLIST / VMSTATE_QTAILQ_V field (migration/
         * vmstate-types.c, vmstate_info_qlist / vmstate_info_qtailq): the
         * stream's vmdesc names the list as one field of type "qlist" or
         * "qtailq" (its put_* describes no element), while -dump-vmstate
         * shows the element's description under the field, since the
         * field has a vmsd (savevm.c dump_vmstate_vmsf). The same field
         * on both sides; the elements' layout is not in the stream's
         * description, so it cannot be compared.
         */
    } else if (s_struct && df->desc) {
        /* QEMU loads a nested struct at its own (the dest's) version. */
        compare_desc(v, sec, sf->vmsd, df->desc, df->desc->version_id,
                     depth + 1);
    } else if (s_struct != (df->desc != NULL)) {
        add(v, VMS_FINDING_SIZE, true, sec, dd->name, sf->name,
            "Section \"%s\" Description \"%s\": field \"%s\" is %s in the "
            "stream, DEST reads \"%s\" as %s", sec, dd->name, sf->name,
            s_struct ? "a struct" : "a value", df->name,
            df->desc ? "a struct" : "a value");
    } else if (sf->type_name && strcmp(sf->type_name, "nullptr") == 0) {
        /* a NULL element's marker: its size is not the element's */
    } else if (df->size > 0 && (uint64_t)df->size != sf->size &&
               /* the same bytes cut otherwise: 5 x 1 as an unused 5 */
               (uint64_t)df->size * (df->has_num && df->num > 0
                                     ? (uint64_t)df->num : 1) !=
               (uint64_t)sf->size * (sf->flags & VMS_F_ARRAY ? sf->num : 1)) {
        add(v, VMS_FINDING_SIZE, true, sec, dd->name, sf->name,
            "Section \"%s\" Description \"%s\": field \"%s\" is %zu bytes "
            "in the stream, DEST reads %" PRId64 " (\"%s\")", sec, dd->name,
            sf->name, sf->size, df->size, df->name);
    }
}

/* Does a stream field after index i carry DEST's field t by name? */
static bool named_later(const vms_desc *sd, size_t i,
                        const vms_dump_desc *dd, const vms_dump_field *t)
{
    for (size_t j = i + 1; j < sd->n_fields; j++) {
        if (same_field(dd, t, &sd->fields[j])) {
            return true;
        }
    }
    return false;
}

/*
 * Pair the fields sent with the fields DEST reads. Names do not travel,
 * but they keep the two lists aligned where the stream omits fields (an
 * empty variable array, a field whose existence is tested): a stream
 * field goes with the next DEST field of its name; one DEST does not
 * name (renamed, or new) with the next field DEST reads that no later
 * stream field names.
 */
static void compare_fields(verifier *v, const char *sec, const vms_desc *sd,
                           const vms_dump_desc *dd, int64_t version,
                           int depth)
{
    const vms_dump_field *df = dd->fields;

    for (size_t i = 0; i < sd->n_fields && !v->e; i++) {
        const vms_field *sf = &sd->fields[i];
        const vms_dump_field *t;

        /* QEMU's vmdesc repeats a struct array's field per element. */
        if (i && sf->type == VMS_TYPE_STRUCT &&
            sd->fields[i - 1].type == VMS_TYPE_STRUCT &&
            strcmp(sd->fields[i - 1].name, sf->name) == 0) {
            continue;
        }
        for (t = df; t; t = t->next) {
            if (dest_reads(t, version) && same_field(dd, t, sf)) {
                break;
            }
        }
        if (!t) {
            /*
             * Renamed: the last field DEST reads before the next one a
             * later stream field names (the anchor); at the end, the
             * first one DEST still reads.
             */
            const vms_dump_field *last = NULL, *first = NULL;

            for (t = df; t; t = t->next) {
                if (!dest_reads(t, version)) {
                    continue;
                }
                if (named_later(sd, i, dd, t)) {
                    break;
                }
                last = t;
                first = first ? first : t;
            }
            if (t && !last) {
                add(v, VMS_FINDING_FIELD_MISMATCH, true, sec, dd->name,
                    sf->name, "Section \"%s\" Description \"%s\": the "
                    "stream sends field \"%s\" where DEST reads \"%s\"",
                    sec, dd->name, sf->name, t->name);
                return;
            }
            t = t ? last : first;
        }
        if (!t) {
            add(v, VMS_FINDING_NO_MORE_FIELDS, true, sec, dd->name, sf->name,
                "Section \"%s\" Description \"%s\": the stream sends field "
                "\"%s\" after the last field DEST reads", sec, dd->name,
                sf->name);
            return;
        }
        compare_field(v, sec, sf, dd, t, depth);
        df = t->next;
    }
    /*
     * What DEST still reads is missing, except structs: an empty variable
     * array of structs leaves no trace in a vmdesc (nor on the wire).
     */
    for (; df && !v->e; df = df->next) {
        if (dest_reads(df, version) && !df->field_exists && df->size > 0 &&
            !df->desc) {
            add(v, VMS_FINDING_FIELD_MISMATCH, true, sec, dd->name, df->name,
                "Section \"%s\" Description \"%s\": DEST reads field \"%s\" "
                "that the stream does not send", sec, dd->name, df->name);
        }
    }
}

static void compare_desc(verifier *v, const char *sec, const vms_desc *sd,
                         const vms_dump_desc *dd, int64_t version, int depth)
{
    if (depth > MAX_DEPTH || v->e) {
        return;
    }
    compare_fields(v, sec, sd, dd, version, depth);
    for (size_t i = 0; i < sd->n_subsections && !v->e; i++) {
        const vms_desc *sub = sd->subsections[i];
        const vms_dump_desc *ds;

        for (ds = dd->subsections; ds; ds = ds->next) {
            if (ds->name && strcmp(ds->name, sub->name) == 0) {
                break;
            }
        }
        if (!ds) {
            add(v, VMS_FINDING_SUBSECTION_MISSING, true, sec, dd->name,
                sub->name, "Section \"%s\" Description \"%s\": subsection "
                "\"%s\" is unknown to DEST", sec, dd->name, sub->name);
        } else if (sub->version_id > ds->version_id) {
            add(v, VMS_FINDING_VERSION, true, sec, sub->name, NULL,
                "Section \"%s\" Description \"%s\": subsection version %d "
                "is newer than DEST's %" PRId64, sec, sub->name,
                sub->version_id, ds->version_id);
        } else if (ds->has_minimum_version_id &&
                   sub->version_id < ds->minimum_version_id) {
            add(v, VMS_FINDING_MIN_VERSION, true, sec, sub->name, NULL,
                "Section \"%s\" Description \"%s\": subsection version %d "
                "is older than DEST's minimum %" PRId64, sec, sub->name,
                sub->version_id, ds->minimum_version_id);
        } else {
            compare_desc(v, sec, sub, ds, sub->version_id, depth + 1);
        }
    }
}

/* ---- the reference: a stream the destination saved ----------------------- */

/*
 * Which RAM records a stream has. A QEMU with the compress capability
 * (QEMU <= 9.0) sends every page after a block's first as a COMPRESS_PAGE
 * record (migration/ram.c ram_save_target_page -> save_compress_page: only
 * a block's first page goes out plain, without CONTINUE; with the default
 * compress-wait-thread it waits for a free thread rather than send a page
 * plain), so a plain PAGE record with CONTINUE shows its saver did not
 * compress.
 */
static int count_record(void *opaque, const vms_ram_record *r, vms_error *err)
{
    ram_count *c = opaque;
    uint64_t flags = r->word & 0x3ff;   /* below any target page size */

    (void)err;
    if (flags & VMS_RAM_COMPRESS_PAGE) {
        c->compressed++;
    } else if ((flags & VMS_RAM_PAGE) && (flags & VMS_RAM_CONTINUE)) {
        c->plain_continued++;
    }
    return 0;
}

/* The RAM decoder for a stream, its page size from the vmdesc or config. */
static vms_ram *open_ram(const vms_vmdesc *vd, const vms_config *cfg,
                         ram_count *count, vms_error *err)
{
    vms_ram_opts ro = {
        .page_size = vd && vms_vmdesc_page_size(vd)
                         ? vms_vmdesc_page_size(vd) : 4096,
        .ignore_shared = vms__config_has_cap(cfg, "x-ignore-shared"),
        .mapped_ram = vms__config_has_cap(cfg, "mapped-ram"),
    };
    vms_ram_sink sink = { .opaque = count, .record = count_record };

    if (!vd && cfg->target_page_bits >= 9 && cfg->target_page_bits <= 20) {
        ro.page_size = 1u << cfg->target_page_bits;
    }
    return vms_ram_new(&ro, &sink, err);
}

static void reference_free(reference *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        json_decref(r->sec[i].state);
    }
    free(r->sec);
    vms_vmdesc_free(r->vd);
    free(r);
}

static const ref_section *ref_find(const reference *r, const char *idstr,
                                   uint32_t instance_id, bool any_instance)
{
    const ref_section *any = NULL;

    for (size_t i = 0; r && i < r->n; i++) {
        if (strcmp(r->sec[i].idstr, idstr) == 0) {
            if (r->sec[i].instance_id == instance_id) {
                return &r->sec[i];
            }
            any = any ? any : &r->sec[i];
        }
    }
    return any_instance ? any : NULL;
}

static ref_section *ref_add(reference *r, const vms_record *rec)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        ref_section *n = realloc(r->sec, cap * sizeof(*n));
        if (!n) {
            return NULL;
        }
        r->sec = n;
        r->cap = cap;
    }
    ref_section *rs = &r->sec[r->n++];
    memset(rs, 0, sizeof(*rs));
    snprintf(rs->idstr, sizeof(rs->idstr), "%s", rec->idstr);
    rs->instance_id = rec->instance_id;
    rs->version_id = rec->version_id;
    return rs;
}

/*
 * Read the reference whole: every section it sends (idstr, instance,
 * version), the decoded "cpu" states and its RAM record kinds. It must
 * carry its JSON description (a destination that suppresses it can save
 * one with suppress-vmdesc=off on the same command line).
 */
static int load_reference(verifier *v)
{
    const char *path = v->o->reference;
    reference *r = calloc(1, sizeof(*r));
    vms_stream *s;
    vms_ram *ram = NULL;
    vms_config cfg;
    vms_record rec;
    const char *text;
    size_t len;
    int e;

    if (!r) {
        return vms_error_set(v->err, VMS_ENOMEM, "out of memory");
    }
    memset(&cfg, 0, sizeof(cfg));
    if (!(s = vms_stream_open(path, v->err))) {
        free(r);
        return v->err && v->err->code ? v->err->code : VMS_EIO;
    }
    if (!vms_stream_seekable(s) && (e = vms_stream_buffer_tail(s, v->err))) {
        goto out;
    }
    if (!(text = vms_stream_vmdesc(s, &len))) {
        /* cut short, or saved without one: the end says nothing more */
        e = vms_stream_fail(s, v->err, VMS_EFORMAT, 0, "the reference stream "
                            "ends in no JSON description (it is cut short, "
                            "or was saved with suppress-vmdesc or an old "
                            "machine type): save it again, with the machine "
                            "option suppress-vmdesc=off");
        goto out;
    }
    if ((e = vms_vmdesc_parse(text, len, vms_stream_name(s), &r->vd,
                              v->err))) {
        goto out;
    }
    for (;;) {
        enum vms_section_kind k;
        ref_section *rs = NULL;

        if ((e = vms_stream_next(s, &rec, &cfg, v->err))) {
            break;
        }
        if (rec.type == VMS_REC_EOF) {
            break;
        }
        if (rec.type == VMS_REC_CONFIGURATION ||
            rec.type == VMS_REC_COMMAND) {
            continue;
        }
        if ((rec.type == VMS_REC_SECTION_START ||
             rec.type == VMS_REC_SECTION_FULL) && !(rs = ref_add(r, &rec))) {
            e = vms_error_set(v->err, VMS_ENOMEM, "out of memory");
            break;
        }
        k = vms_section_kind(rec.idstr, rec.instance_id);
        if (k == VMS_SECTION_RAM) {
            if (!ram && !(ram = open_ram(r->vd, &cfg, &r->ram, v->err))) {
                e = v->err && v->err->code ? v->err->code : VMS_ENOMEM;
                break;
            }
            e = vms_ram_read(ram, s, rec.version_id, v->err);
        } else if (k != VMS_SECTION_DEVICE) {
            e = vms_section_read(s, &rec, k, v->err);
        } else if (rec.type != VMS_REC_SECTION_FULL) {
            e = vms_stream_fail(s, v->err, VMS_EUNSUPPORTED, rec.offset,
                                "iterative section '%s' has no decoder",
                                rec.idstr);
        } else if (rs && strcmp(rec.idstr, "cpu") == 0) {
            e = vms__device_state(s, r->vd, NULL, &rec, &rs->state, v->err);
        } else {
            e = vms__device_json(s, r->vd, NULL, &rec, NULL, v->err);
        }
        if (e || (e = vms_stream_end_section(s, &rec, v->err))) {
            break;
        }
    }
out:
    vms_ram_free(ram);
    vms_stream_close(s);
    if (e) {
        reference_free(r);
        return e;
    }
    v->ref = r;
    return 0;
}

/*
 * A section the reference also sends: QEMU refuses a section whose version
 * is above its own handler's (migration/savevm.c
 * qemu_loadvm_section_start_full: "savevm: unsupported version"); the
 * reference's header carries that version (savevm.c save_section_header
 * writes se->version_id). True when it refused.
 */
static bool ref_version(verifier *v, const vms_record *rec, const char *sec)
{
    const ref_section *rs = ref_find(v->ref, rec->idstr, rec->instance_id,
                                     true);

    if (!rs || rec->version_id <= rs->version_id) {
        return false;
    }
    add(v, VMS_FINDING_VERSION, true, sec, rec->idstr, NULL,
        "Section \"%s\": version %" PRIu32 " is newer than DEST's (version "
        "%" PRIu32 " in the reference): QEMU refuses it (savevm.c "
        "qemu_loadvm_section_start_full: unsupported version)", sec,
        rec->version_id, rs->version_id);
    return true;
}

/*
 * Subsections the stream sends that the reference's same section also
 * sends: QEMU refuses one whose version is above its own description's
 * (migration/vmstate.c vmstate_subsection_load -> vmstate_load_state:
 * "incoming version_id ... is too new"). The reference's vmdesc carries
 * each subsection's version_id.
 */
static bool ref_subsections(verifier *v, const char *sec, const vms_desc *sd,
                            const vms_desc *rd, int depth)
{
    for (size_t i = 0; depth < MAX_DEPTH && i < sd->n_subsections; i++) {
        const vms_desc *ss = sd->subsections[i];

        for (size_t j = 0; j < rd->n_subsections; j++) {
            const vms_desc *rs = rd->subsections[j];
            if (strcmp(ss->name, rs->name) != 0) {
                continue;
            }
            if (ss->version_id > rs->version_id) {
                add(v, VMS_FINDING_VERSION, true, sec, ss->name, NULL,
                    "Section \"%s\": subsection \"%s\" version %d is newer "
                    "than DEST's (version %d in the reference): QEMU "
                    "refuses it (vmstate.c vmstate_load_state: incoming "
                    "version_id is too new)", sec, ss->name, ss->version_id,
                    rs->version_id);
                return true;
            }
            if (ref_subsections(v, sec, ss, rs, depth + 1)) {
                return true;
            }
        }
    }
    return false;
}

/*
 * aarch64: the ID registers (AArch64 op0 3, op1 0, CRn 0, CRm 1-7; their
 * AArch32 views cp15 CRn 0, opc1 0, CRm 1-7) are ARM_CP_CONST in QEMU
 * 7.2 to 10.x (target/arm/helper.c, register_cp_regs_for_features and
 * the v8 ID register lists; those not CONST are ARM_CP_NO_RAW and never
 * in the migration list). The cpreg list holds KVM register ids
 * (target/arm/cpu.h cpreg_to_kvm_id): 0x6030000000130000 | op0:op1:CRn:
 * CRm:op2 for AArch64, 0x4020000000000000 | ns<<29 | cp<<16 | CRn<<11 |
 * CRm<<7 | opc1<<3 | opc2 for a 32-bit AArch32 register.
 */
static bool arm_id_register(uint64_t id)
{
    if ((id & ~0xffffull) == 0x6030000000130000ull) {
        unsigned enc = (unsigned)(id & 0xffff);
        unsigned crm = (enc >> 3) & 15;
        return (enc >> 14) == 3 && ((enc >> 11) & 7) == 0 &&
               ((enc >> 7) & 15) == 0 && crm >= 1 && crm <= 7;
    }
    if ((id >> 32) == 0x40200000u && !(id & 0x8000)) {
        uint32_t r = (uint32_t)id;
        unsigned crm = (r >> 7) & 15;
        return ((r >> 16) & 0x1fff) == 15 && ((r >> 11) & 15) == 0 &&
               ((r >> 3) & 15) == 0 && crm >= 1 && crm <= 7;
    }
    return false;
}

static bool u64_at(const json_t *a, size_t i, uint64_t *out)
{
    return vms__json_u64(json_array_get(a, i), out);
}

/*
 * The checks target/arm/machine.c makes of an incoming "cpu" section
 * against the destination's own list (the reference's cpreg_vmstate_*:
 * cpu_pre_save copies the CPU's list into them):
 *  - vmstate_arm_cpu's VMSTATE_INT32_POSITIVE_LE(cpreg_vmstate_array_len):
 *    at most the destination's length (helper.c init_cpreg_list sets the
 *    bound to it; vmstate-types.c get_int32_le: "Invalid value ...
 *    expecting positive value <= ...");
 *  - cpu_post_load walks both sorted lists: a register in the stream's
 *    list below the destination's last that the destination lacks fails
 *    the load ("register in their list but not ours");
 *  - then (TCG) write_list_to_cpustate writes each value and reads it
 *    back: a constant ID register whose incoming value differs from the
 *    destination's fails it. Under KVM the host kernel judges the values
 *    instead (write_list_to_kvmstate); this rule is TCG's.
 */
static bool arm_cpregs(verifier *v, const char *sec, const json_t *src,
                       const json_t *dst)
{
    const json_t *si = json_object_get(src, "cpreg_vmstate_indexes");
    const json_t *sv = json_object_get(src, "cpreg_vmstate_values");
    const json_t *di = json_object_get(dst, "cpreg_vmstate_indexes");
    const json_t *dv = json_object_get(dst, "cpreg_vmstate_values");
    size_t sn, dn, i, k;

    if (!json_is_array(si) || !json_is_array(di) || !json_is_array(sv) ||
        !json_is_array(dv)) {
        return false;
    }
    sn = json_array_size(si);
    dn = json_array_size(di);
    if (sn > dn) {
        add(v, VMS_FINDING_LOAD_CHECK, true, sec, "cpu",
            "cpreg_vmstate_array_len", "Section \"%s\": %zu coprocessor "
            "registers, DEST's CPU has %zu (the reference's): QEMU refuses "
            "(target/arm/machine.c vmstate_arm_cpu: cpreg_vmstate_array_len "
            "is VMSTATE_INT32_POSITIVE_LE)", sec, sn, dn);
        return true;
    }
    for (i = 0, k = 0; i < dn && k < sn; i++) {
        uint64_t s_id, d_id, s_val, d_val;

        if (!u64_at(si, k, &s_id) || !u64_at(di, i, &d_id)) {
            return false;
        }
        if (s_id > d_id) {
            continue;
        }
        if (s_id < d_id) {
            add(v, VMS_FINDING_LOAD_CHECK, true, sec, "cpu",
                "cpreg_vmstate_indexes", "Section \"%s\": coprocessor "
                "register 0x%016" PRIx64 " is not in DEST's CPU's list (the "
                "reference's): QEMU refuses (target/arm/machine.c "
                "cpu_post_load: a register in their list but not ours)",
                sec, s_id);
            return true;
        }
        if (arm_id_register(s_id) && u64_at(sv, k, &s_val) &&
            u64_at(dv, i, &d_val) && s_val != d_val) {
            add(v, VMS_FINDING_LOAD_CHECK, true, sec, "cpu",
                "cpreg_vmstate_values", "Section \"%s\": constant ID "
                "register 0x%016" PRIx64 " is 0x%" PRIx64 ", DEST's CPU "
                "has 0x%" PRIx64 " (the reference's): QEMU refuses under "
                "TCG (target/arm/helper.c write_list_to_cpustate: an "
                "ARM_CP_CONST register does not read back the value "
                "written; from cpu_post_load)", sec, s_id, s_val, d_val);
            return true;
        }
        k++;
    }
    return false;
}

/*
 * A stream with compressed pages on a destination that saved its
 * reference without compressing: QEMU 7.2 to 9.0 load a COMPRESS_PAGE
 * record only with the compress capability (migration/ram.c
 * ram_load_precopy: "Received an unexpected compressed page"), 9.1 and
 * later not at all (the capability is gone: "Unknown combination of
 * migration flags"). The reference was saved with the destination's
 * capabilities (verify.h).
 */
static void ref_ram(verifier *v)
{
    if (!v->ref || !v->ram_src.compressed || v->ref->ram.compressed ||
        !v->ref->ram.plain_continued) {
        return;
    }
    add(v, VMS_FINDING_LOAD_CHECK, true, "ram", "ram", NULL,
        "Section \"ram\": %" PRIu64 " compressed pages (COMPRESS_PAGE); "
        "the reference's RAM is sent uncompressed (%" PRIu64 " plain pages "
        "with CONTINUE, which a saver with the compress capability does "
        "not send), so DEST has no compress capability: QEMU refuses "
        "(migration/ram.c ram_load_precopy: an unexpected compressed page; "
        "QEMU >= 9.1 has no compression)", v->ram_src.compressed,
        v->ref->ram.plain_continued);
}

/* ---- sections ------------------------------------------------------------ */

static const char *base_name(const char *idstr)
{
    const char *slash = strrchr(idstr, '/');

    return slash && slash[1] ? slash + 1 : idstr;
}

static const ref_section *ref_find(const reference *r, const char *idstr,
                                   uint32_t instance_id, bool any_instance);

/* Count a section no dump describes (listed after the pass). */
static void unseen(verifier *v, const struct unlisted_section *u,
                   const char *name, const vms_record *rec)
{
    size_t i;

    for (i = 0; i < v->n_unseen; i++) {
        if (v->unseen[i].u == u &&
            (u || strcmp(v->unseen[i].name, name ? name : "") == 0)) {
            v->unseen[i].count++;
            return;
        }
    }
    if (i < VMS__ARRAY_SIZE(v->unseen)) {
        v->unseen[i].u = u;
        v->unseen[i].count = 1;
        snprintf(v->unseen[i].name, sizeof(v->unseen[i].name), "%s",
                 name ? name : "");
        v->unseen[i].ref_version = -2;
        if (v->ref) {
            const ref_section *rs = ref_find(v->ref, rec->idstr,
                                             rec->instance_id, true);
            v->unseen[i].ref_version = rs ? (int64_t)rs->version_id : -1;
        }
        v->n_unseen++;
    }
}

/*
 * What QEMU's verdict also depends on and no dump shows: one finding per
 * section name, uncounted unless --strict. Never a silent pass.
 */
static void list_unseen(verifier *v)
{
    for (size_t i = 0; i < v->n_unseen && !v->e; i++) {
        const struct unseen *n = &v->unseen[i];
        const char *name = n->u ? n->u->name : n->name;
        char inst[48] = "";

        char refs[200] = "";

        if (n->count > 1) {
            snprintf(inst, sizeof(inst), " (%u instances)", n->count);
        }
        if (n->ref_version >= 0) {
            snprintf(refs, sizeof(refs), "; DEST registers it (version "
                     "%" PRId64 " in the reference), which was checked; "
                     "what else its loader checks is not known",
                     n->ref_version);
        } else if (n->ref_version == -1) {
            snprintf(refs, sizeof(refs), "; the reference has no such "
                     "section (DEST does not register it, or did not send "
                     "it when it saved the reference)");
        }
        add(v, VMS_FINDING_NOT_IN_DUMP, v->o->version >= 3 && v->o->strict,
            name, name, NULL, "Section \"%s\"%s: not verified: no "
            "-dump-vmstate describes it (QEMU registers it in %s)%s",
            name, inst, n->u ? n->u->where : "its migration code", refs);
    }
}

/* idstr is name, or ends in "/" + name */
static bool idstr_fits(const char *idstr, const char *name)
{
    size_t li = strlen(idstr), ln = strlen(name);

    return li == ln ? strcmp(idstr, name) == 0
                    : li > ln && idstr[li - ln - 1] == '/' &&
                      strcmp(idstr + li - ln, name) == 0;
}

static void check_section(verifier *v, const vms_record *rec,
                          const vms_desc *d)
{
    const char *vmsd = d ? d->name : base_name(rec->idstr);
    const vms_dump_section *ds;
    char sec[300];

    if (rec->instance_id) {
        snprintf(sec, sizeof(sec), "%s@%" PRIu32, rec->idstr,
                 rec->instance_id);
    } else {
        snprintf(sec, sizeof(sec), "%s", rec->idstr);
    }
    if (d && d->version_id == INT32_MAX) {
        d = NULL;   /* old-style entry: no description of its own */
    }
    if (d && !idstr_fits(rec->idstr, d->name)) {
        /*
         * QEMU names a description's section "[device path/]vmsd name"
         * (savevm.c vmstate_register_with_alias_id: the instance's id,
         * "/", then vmsd->name; its compat entry is vmsd->name alone), and
         * finds the section to load by that name (find_se). A section
         * whose idstr does not end in its own description's name matches
         * no entry on any destination.
         */
        add(v, VMS_FINDING_SECTION_MISSING, true, sec, d->name, NULL,
            "Section \"%s\": QEMU names description \"%s\"'s sections "
            "\"[path/]%s\", so DEST has no section \"%s\" to load",
            sec, d->name, d->name, rec->idstr);
        return;
    }
    ds = lookup(v->dump, vmsd);
    if (!ds) {
        const struct unlisted_section *u = find_unlisted(vmsd);

        if (!u) {
            u = find_unlisted(rec->idstr);
        }
        if (!u) {
            add(v, VMS_FINDING_SECTION_MISSING, true, sec, vmsd, NULL,
                "Section \"%s\": device type \"%s\" is unknown to DEST",
                sec, vmsd);
        } else {
            unseen(v, u, NULL, rec);
            if (v->ref && !ref_version(v, rec, sec) && d) {
                const ref_section *rs = ref_find(v->ref, rec->idstr,
                                                 rec->instance_id, true);
                const vms_desc *rd;
                size_t rsz;
                if (rs && !vms_vmdesc_device(v->ref->vd, rs->idstr,
                                             rs->instance_id, &rd, &rsz,
                                             NULL) &&
                    rd->version_id != INT32_MAX) {
                    ref_subsections(v, sec, d, rd, 0);
                }
            }
        }
        return;
    }
    if ((int64_t)rec->version_id > ds->version_id) {
        add(v, VMS_FINDING_VERSION, true, sec, vmsd, NULL,
            "Section \"%s\": version %" PRIu32 " is newer than DEST's \"%s\" "
            "(version_id %" PRId64 ")", sec, rec->version_id, ds->key,
            ds->version_id);
        return;
    }
    if (ds->desc && ds->desc->has_minimum_version_id &&
        (int64_t)rec->version_id < ds->desc->minimum_version_id) {
        add(v, VMS_FINDING_MIN_VERSION, true, sec, vmsd, NULL,
            "Section \"%s\": version %" PRIu32 " is older than DEST's \"%s\" "
            "accepts (minimum_version_id %" PRId64 ")", sec, rec->version_id,
            ds->key, ds->desc->minimum_version_id);
        return;
    }
    if (d && ds->desc) {
        compare_desc(v, sec, d, ds->desc, rec->version_id, 0);
    }
}

/*
 * Without a vmdesc a device section's length is unknown: find the next
 * section header after it. Sections go out in the order of their ids, so
 * the next FULL record has a higher id, a printable idstr and small
 * instance and version numbers; a footer (0x7e + this id) before it, when
 * the stream has footers, confirms it. At the end, EOF is the last byte.
 */
static int skip_unknown_body(verifier *v, const vms_record *rec, bool *last)
{
    vms_reader *r = vms_stream_reader(v->s);
    uint64_t at = vms_stream_offset(v->s);
    int64_t size = vms_reader_size(r);
    const uint8_t *p;
    size_t got;
    int e;

    *last = false;
    if (v->by_footer) {
        size_t n;
        if ((e = vms_stream_body_to_footer(v->s, rec, &n, v->err))) {
            return e;
        }
        return vms_read_skip(r, n, v->err);
    }
    if ((e = vms_read_peek(r, VMS_READER_WINDOW, &p, &got, v->err))) {
        return e;
    }
    for (size_t i = 0; i + 14 < got; i++) {
        uint32_t id;
        uint8_t len;
        size_t k;

        if (p[i] != VMS_REC_SECTION_FULL) {
            continue;
        }
        id = vms__get_be32(p + i + 1);
        len = p[i + 5];
        if (id <= rec->section_id || id > rec->section_id + 4096 || !len ||
            i + 6 + len + 8 > got) {
            continue;
        }
        for (k = 0; k < len && p[i + 6 + k] > 0x20 && p[i + 6 + k] < 0x7f;
             k++) {
        }
        if (k < len || vms__get_be32(p + i + 6 + len) > 0xffff ||
            vms__get_be32(p + i + 10 + len) > 0xffff) {
            continue;
        }
        if (i >= 5 && p[i - 5] == VMS_REC_FOOTER &&
            vms__get_be32(p + i - 4) == rec->section_id) {
            i -= 5;   /* the footer is the caller's to check */
        }
        return vms_read_skip(r, i, v->err);
    }
    if (size >= 0 && (uint64_t)size - at == got && got && !p[got - 1]) {
        *last = true;
        return vms_read_skip(r, got - 1, v->err);
    }
    return vms_stream_fail(v->s, v->err, VMS_EUNSUPPORTED, at,
                           "section '%s' cannot be skipped without the "
                           "stream's JSON description%s", rec->idstr,
                           vms__stream_vmdesc_capped(v->s) ?
                           " (none of at most VMS_LIMIT_VMDESC_SIZE, 64 MiB, "
                           "ends the stream)" : "");
}

static int ram_chunk(verifier *v, const vms_record *rec)
{
    if (!v->ram) {
        /* RAM blocks (names, sizes) are the destination's command line's */
        unseen(v, find_unlisted("ram"), NULL, rec);
        if (!(v->ram = open_ram(v->vd, &v->cfg, &v->ram_src, v->err))) {
            return v->err && v->err->code ? v->err->code : VMS_ENOMEM;
        }
    }
    if (v->ref && (rec->type == VMS_REC_SECTION_START ||
                   rec->type == VMS_REC_SECTION_FULL)) {
        ref_version(v, rec, rec->idstr);
    }
    return vms_ram_read(v->ram, v->s, rec->version_id, v->err);
}

/* The vmdesc, or a no_vmdesc finding; a pipe buffers its tail first. */
static int find_vmdesc(verifier *v)
{
    const char *text;
    size_t len;
    int e;

    v->vd_known = true;
    if (!vms_stream_seekable(v->s) &&
        (e = vms_stream_buffer_tail(v->s, v->err))) {
        return e;
    }
    if (!(text = vms_stream_vmdesc(v->s, &len))) {
        v->no_vmdesc_at = v->r->n_findings + 1;
        add(v, VMS_FINDING_NO_VMDESC, false, NULL, NULL, NULL,
            "The stream has no JSON description (old machine type or "
            "suppress-vmdesc): only section names and versions verified%s",
            v->src ? " (sections the source's dump decodes are passed "
                     "exactly)" : "");
        return 0;
    }
    if ((e = vms_vmdesc_parse(text, len, vms_stream_name(v->s), &v->vd,
                              v->err))) {
        if (v->err) {
            v->err->has_offset = 1;
            v->err->offset = vms_stream_vmdesc_offset(v->s) + 5;
        }
    }
    return e;
}

static int device_section(verifier *v, const vms_record *rec, bool *last)
{
    const vms_desc *d = NULL;
    size_t sz;
    int e;

    *last = false;
    if (!v->vd_known && (e = find_vmdesc(v))) {
        return e;
    }
    if (!v->vd && v->src) {
        /*
         * The source's dump, by the one rule: a section it decodes is
         * proven and passed exactly. Its fields are not compared with
         * DEST: a dump lists every subsection and field the source may
         * send (a vmdesc only what it sent), so the comparison would
         * report subsections this stream does not carry. Names and
         * versions are checked as without it.
         */
        vms_error scratch = { 0 };
        char why[600];
        bool from_dump;
        e = vms__section_desc(v->s, NULL, v->src, rec, &d, &sz, &from_dump,
                              why, sizeof(why), &scratch);
        if (e == VMS_ENOMEM || e == VMS_EIO) {
            if (v->err) {
                *v->err = scratch;
            }
            return e;
        }
        if (!e && d) {
            check_section(v, rec, NULL);
            return vms__device_json(v->s, NULL, v->src, rec, NULL, v->err);
        }
    }
    if (!v->vd && !v->probed) {
        /*
         * The truncation rule (stream.h) first: walk to the end marker,
         * the footers bounding the bodies; a stream cut before it is
         * truncated (QEMU refuses it), not one without a description.
         */
        bool unsure;
        v->probed = true;
        e = vms__stream_probe_end(v->s, rec, &unsure, v->err);
        if (e == VMS_ETRUNC &&
            vms__stream_probed_tail(v->s) == VMS_TAIL_CUT) {
            /* only the description is cut: the end marker was reached */
            vms_error_clear(v->err);
            e = 0;
        }
        if (e) {
            return e;
        }
        v->by_footer = !unsure;
    }
    if (!v->vd) {
        check_section(v, rec, NULL);
        return skip_unknown_body(v, rec, last);
    }
    if (vms_vmdesc_device(v->vd, rec->idstr, rec->instance_id, &d, &sz,
                          NULL)) {
        d = NULL;
    }
    check_section(v, rec, d);
    /*
     * Decoding proves the description covers the bytes, and moves on. The
     * bytes are as the vmdesc describes them, whatever version the header
     * claims (a header edited after the fact is the finding above).
     */
    vms_record copy = *rec;
    if (d && d->version_id != INT32_MAX &&
        (int64_t)rec->version_id != d->version_id) {
        copy.version_id = (uint32_t)d->version_id;
    }
    if (v->ref && d && strcmp(rec->idstr, "cpu") == 0) {
        /* the CPU's state against the destination's (the reference's) */
        const ref_section *rs = ref_find(v->ref, rec->idstr,
                                         rec->instance_id, true);
        json_t *st = NULL;
        char sec[300];

        if ((e = vms__device_state(v->s, v->vd, NULL, &copy, &st, v->err))) {
            return e;
        }
        snprintf(sec, sizeof(sec), "%s@%" PRIu32, rec->idstr,
                 rec->instance_id);
        if (rs && rs->state) {
            arm_cpregs(v, rec->instance_id ? sec : rec->idstr, st,
                       rs->state);
        }
        json_decref(st);
        return 0;
    }
    return vms__device_json(v->s, v->vd, NULL, &copy, NULL, v->err);
}

/*
 * What follows the end marker: QEMU reads nothing after it (savevm.c
 * qemu_loadvm_state stops at QEMU_VM_EOF), so a cut description or other
 * bytes there do not stop the load. They are a warning, and the
 * no_vmdesc finding says why there was no description.
 */
static int after_end(verifier *v, const char *cut)
{
    uint64_t eof;
    enum vms_stream_tail t = vms_stream_tail(v->s, &eof);
    char msg[700];

    if (cut) {
        snprintf(msg, sizeof(msg), "The stream's JSON description is cut "
                 "short (%s): QEMU reads nothing after the end marker at "
                 "offset 0x%" PRIx64 " and loads the stream; only section "
                 "names and versions verified", cut, eof);
    } else if (t == VMS_TAIL_OVERSIZE) {
        uint64_t len, at = vms__stream_tail_at(v->s, &len);
        snprintf(msg, sizeof(msg), "The JSON description at offset 0x%"
                 PRIx64 " (after the end marker at offset 0x%" PRIx64 ") is "
                 "%" PRIu64 " bytes, over VMS_LIMIT_VMDESC_SIZE (%u bytes): "
                 "not read; QEMU reads nothing after the end marker and "
                 "loads the stream; only section names and versions "
                 "verified", at, eof, len, VMS_LIMIT_VMDESC_SIZE);
    } else if (t == VMS_TAIL_OTHER) {
        uint64_t at = vms__stream_tail_at(v->s, NULL);
        snprintf(msg, sizeof(msg), "The bytes from offset 0x%" PRIx64
                 " on are no JSON description (%s the end marker at offset "
                 "0x%" PRIx64 "): QEMU reads nothing after the end marker "
                 "and loads the stream; only section names and versions "
                 "verified", at, at == eof + 1 ? "right after" :
                 "they follow the description that follows", eof);
    } else {
        return 0;
    }
    if (v->no_vmdesc_at && !v->e) {
        /* said instead of "old machine type or suppress-vmdesc" */
        add(v, VMS_FINDING_NO_VMDESC, false, NULL, NULL, NULL, "%s", msg);
        if (!v->e) {
            v->r->findings[v->no_vmdesc_at - 1].message =
                v->r->findings[v->r->n_findings - 1].message;
            v->r->n_findings--;
        }
    } else {
        add(v, VMS_FINDING_NO_VMDESC, false, NULL, NULL, NULL, "%s", msg);
    }
    if (v->err) {
        vms_error_clear(v->err);
    }
    return 0;
}

static int pass(verifier *v)
{
    const char *machine = vms_dump_machine(v->dump);
    vms_record rec;
    bool last;
    int e;

    for (;;) {
        enum vms_section_kind k;

        e = vms_stream_next(v->s, &rec, &v->cfg, v->err);
        if (e == VMS_ETRUNC && rec.type == VMS_REC_EOF) {
            /* the description after the end marker is cut: QEMU loads */
            return after_end(v, v->err && v->err->message[0]
                                ? v->err->message : "truncated");
        }
        if (e) {
            return e;
        }
        switch (rec.type) {
        case VMS_REC_EOF:
            return after_end(v, NULL);
        case VMS_REC_CONFIGURATION:
            /*
             * QEMU compares only as many characters as the stream's name
             * has (savevm.c configuration_post_load: strncmp over the
             * received length): "pc-i440fx-7." loads on pc-i440fx-7.2.
             */
            if (machine && strncmp(v->cfg.machine, machine,
                                   strlen(v->cfg.machine)) != 0) {
                add(v, VMS_FINDING_MACHINE_TYPE, true, NULL, NULL, NULL,
                    "Machine type \"%s\" in the stream, DEST is \"%s\"",
                    v->cfg.machine, machine);
            }
            continue;
        case VMS_REC_COMMAND:
            continue;
        default:
            break;
        }
        k = vms_section_kind(rec.idstr, rec.instance_id);
        if (k == VMS_SECTION_DEVICE && v->vd && rec.type !=
            VMS_REC_SECTION_FULL) {
            e = vms_stream_fail(v->s, v->err, VMS_EUNSUPPORTED, rec.offset,
                                "iterative section '%s' has no decoder",
                                rec.idstr);
        } else if (k == VMS_SECTION_RAM) {
            e = ram_chunk(v, &rec);
        } else if (k != VMS_SECTION_DEVICE) {
            if (rec.type == VMS_REC_SECTION_START ||
                rec.type == VMS_REC_SECTION_FULL) {
                const struct unlisted_section *u = find_unlisted(rec.idstr);
                unseen(v, u, u ? NULL : rec.idstr, &rec);
                if (v->ref) {
                    ref_version(v, &rec, rec.idstr);
                }
            }
            e = vms_section_read(v->s, &rec, k, v->err);
        } else if ((e = device_section(v, &rec, &last)) == 0 && last) {
            return 0;   /* without a vmdesc: EOF is the last byte */
        }
        if (e || v->e || (e = vms_stream_end_section(v->s, &rec, v->err))) {
            return e ? e : v->e;
        }
    }
}

int vms_verify(const vms_verify_opts *o, vms_check_report **out,
               vms_error *err)
{
    verifier v = { .o = o, .err = err };
    vms_dump *dump = NULL;
    int e;

    *out = NULL;
    vms_error_clear(err);
    if (!o || o->version < 1 || o->version > VMS_VERIFY_OPTS_VERSION ||
        !o->stream || !o->dest) {
        return vms_error_set(err, VMS_EINVAL, "bad options");
    }
    if (o->version >= 2 && o->src_dump &&
        (e = vms_dump_load(o->src_dump, &v.src, err))) {
        return e;
    }
    if ((e = vms_dump_load(o->dest, &dump, err))) {
        vms_dump_free(v.src);
        return e;
    }
    if (!(v.r = calloc(1, sizeof(*v.r)))) {
        vms_dump_free(dump);
        vms_dump_free(v.src);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    v.r->dest = dump;
    v.dump = dump;
    v.r->tool = "vmstate verify";
    v.r->src_file = o->stream;
    v.r->dest_file = vms_dump_file(dump);
    if (!(v.s = vms_stream_open_input(o->stream, o->version >= 5 ? o->input
                                                         : NULL, err))) {
        e = err && err->code ? err->code : VMS_EIO;
        goto out;
    }
    if (o->version >= 4 && o->reference && (e = load_reference(&v))) {
        goto out;
    }
    if (vms_stream_seekable(v.s) && (e = find_vmdesc(&v))) {
        goto out;
    }
    e = pass(&v);
    if (!e) {
        ref_ram(&v);
        list_unseen(&v);
    }
out:
    if (!e && v.e) {
        e = vms_error_set(err, v.e, "out of memory");
    }
    vms_ram_free(v.ram);
    reference_free(v.ref);
    vms_vmdesc_free(v.vd);
    vms_stream_close(v.s);
    vms_dump_free(v.src);
    if (e) {
        vms_check_report_free(v.r);
        return e;
    }
    *out = v.r;
    return 0;
}
