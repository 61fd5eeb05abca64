/*
 * libvmstate: the static checker.
 *
 * A line-by-line transcription of the walk of QEMU's
 * scripts/vmstate-static-checker.py, including its quirks (python
 * truthiness of empty names, the unterminated section-level minimum
 * version line, the space in 'near " F"'), because users diff our output
 * against it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "vmstate/check.h"
#include "vmstate/version.h"
#include "internal.h"

/* ---- QEMU's rename tables ---- */

typedef struct rename_entry {
    const char *key;
    const char *const *names;
} rename_entry;

#define NAMES(...) (const char *const[]){ __VA_ARGS__, NULL }

/* changed_names of check_fields_match(), in QEMU's order (the newest
 * script's: acpi-ghes, added in 2025, stands first; hpet last). */
static const rename_entry field_renames[] = {
    { "acpi-ghes", NAMES("ghes_addr_le", "hw_error_le") },
    { "apic", NAMES("timer", "timer_expiry") },
    { "e1000", NAMES("dev", "parent_obj") },
    { "ehci", NAMES("dev", "pcidev") },
    { "I440FX", NAMES("dev", "parent_obj") },
    { "ich9_ahci", NAMES("card", "parent_obj") },
    { "ich9-ahci", NAMES("ahci", "ich9_ahci") },
    { "ioh3420", NAMES("PCIDevice", "PCIEDevice") },
    { "ioh-3240-express-root-port",
      NAMES("port.br.dev", "parent_obj.parent_obj.parent_obj",
            "port.br.dev.exp.aer_log",
            "parent_obj.parent_obj.parent_obj.exp.aer_log") },
    { "cirrus_vga", NAMES("hw_cursor_x", "vga.hw_cursor_x",
                          "hw_cursor_y", "vga.hw_cursor_y") },
    { "lsiscsi", NAMES("dev", "parent_obj") },
    { "mch", NAMES("d", "parent_obj") },
    { "pci_bridge", NAMES("bridge.dev", "parent_obj", "bridge.dev.shpc",
                          "shpc") },
    { "pcnet", NAMES("pci_dev", "parent_obj") },
    { "PIIX3", NAMES("pci_irq_levels", "pci_irq_levels_vmstate") },
    { "piix4_pm", NAMES("dev", "parent_obj", "pci0_status",
                        "acpi_pci_hotplug.acpi_pcihp_pci_status[0x0]",
                        "pm1a.sts", "ar.pm1.evt.sts", "pm1a.en",
                        "ar.pm1.evt.en", "pm1_cnt.cnt", "ar.pm1.cnt.cnt",
                        "tmr.timer", "ar.tmr.timer", "tmr.overflow_time",
                        "ar.tmr.overflow_time", "gpe", "ar.gpe") },
    { "rtl8139", NAMES("dev", "parent_obj") },
    { "qxl", NAMES("num_surfaces", "ssd.num_surfaces") },
    { "usb-ccid", NAMES("abProtocolDataStructure",
                        "abProtocolDataStructure.data") },
    { "usb-host", NAMES("dev", "parent_obj") },
    { "usb-mouse", NAMES("usb-ptr-queue", "HIDPointerEventQueue") },
    { "usb-tablet", NAMES("usb-ptr-queue", "HIDPointerEventQueue") },
    { "vmware_vga", NAMES("card", "parent_obj") },
    { "vmware_vga_internal", NAMES("depth", "new_depth") },
    { "xhci", NAMES("pci_dev", "parent_obj") },
    { "x3130-upstream", NAMES("PCIDevice", "PCIEDevice") },
    { "xio3130-express-downstream-port",
      NAMES("port.br.dev", "parent_obj.parent_obj.parent_obj",
            "port.br.dev.exp.aer_log",
            "parent_obj.parent_obj.parent_obj.exp.aer_log") },
    { "xio3130-downstream", NAMES("PCIDevice", "PCIEDevice") },
    { "xio3130-express-upstream-port",
      NAMES("br.dev", "parent_obj.parent_obj", "br.dev.exp.aer_log",
            "parent_obj.parent_obj.exp.aer_log") },
    { "spapr_pci", NAMES("dma_liobn[0]", "mig_liobn", "mem_win_addr",
                         "mig_mem_win_addr", "mem_win_size",
                         "mig_mem_win_size", "io_win_addr",
                         "mig_io_win_addr", "io_win_size",
                         "mig_io_win_size") },
    { "hpet", NAMES("num_timers", "num_timers_save") },
};

/* get_changed_sec_name(): either way round, first pair that matches. */
static const char *const section_renames[][2] = {
    { "ICH9 LPC", "ICH9-LPC" },
    { "e1000-82540em", "e1000" },
};

static bool in_list(const char *const *names, const char *s)
{
    for (; *names; names++) {
        if (strcmp(*names, s) == 0) {
            return true;
        }
    }
    return false;
}

bool vms__check_names_match(const char *key, const char *s, const char *d)
{
    if (strcmp(s, d) == 0) {
        return true;
    }
    for (size_t i = 0; i < VMS_ARRAY_SIZE(field_renames); i++) {
        if (strcmp(field_renames[i].key, key) == 0) {
            return in_list(field_renames[i].names, s) &&
                   in_list(field_renames[i].names, d);
        }
    }
    return false;
}

const char *vms__check_section_rename(const char *sec)
{
    for (size_t i = 0; i < VMS_ARRAY_SIZE(section_renames); i++) {
        if (strcmp(section_renames[i][0], sec) == 0) {
            return section_renames[i][1];
        }
        if (strcmp(section_renames[i][1], sec) == 0) {
            return section_renames[i][0];
        }
    }
    return "";
}

/* ---- findings ---- */

static const char *const kind_names[] = {
    [VMS_FINDING_VERSION] = "version",
    [VMS_FINDING_MIN_VERSION] = "min_version",
    [VMS_FINDING_SECTION_MISSING] = "section_missing",
    [VMS_FINDING_ENTRY_MISSING] = "entry_missing",
    [VMS_FINDING_DESCRIPTION_RENAMED] = "description_renamed",
    [VMS_FINDING_FIELD_MISMATCH] = "field_mismatch",
    [VMS_FINDING_NO_MORE_FIELDS] = "no_more_fields",
    [VMS_FINDING_SIZE] = "size",
    [VMS_FINDING_UNUSED_SIZE] = "unused_size",
    [VMS_FINDING_SUBSECTION_MISSING] = "subsection_missing",
    [VMS_FINDING_DESCRIPTION_MISSING] = "description_missing",
    [VMS_FINDING_MACHINE_TYPE] = "machine_type",
    [VMS_FINDING_NO_VMDESC] = "no_vmdesc",
    [VMS_FINDING_NOT_IN_DUMP] = "not_in_dump",
};

/* What each kind means, for SARIF rules and --help-like listings. */
static const char *const kind_summaries[] = {
    [VMS_FINDING_VERSION] = "The source sends a newer version than the "
        "destination accepts",
    [VMS_FINDING_MIN_VERSION] = "The source sends a version older than "
        "the destination's minimum",
    [VMS_FINDING_SECTION_MISSING] = "The destination has no such device "
        "section",
    [VMS_FINDING_ENTRY_MISSING] = "An entry (Fields, Subsections, "
        "Description, ...) is missing in the destination",
    [VMS_FINDING_DESCRIPTION_RENAMED] = "The destination describes the "
        "section under another name",
    [VMS_FINDING_FIELD_MISMATCH] = "The destination expects a different "
        "field at this place",
    [VMS_FINDING_NO_MORE_FIELDS] = "The destination ends before the "
        "source's fields do",
    [VMS_FINDING_SIZE] = "A field's size differs",
    [VMS_FINDING_UNUSED_SIZE] = "An unused buffer does not cover the same "
        "bytes as the fields it replaces",
    [VMS_FINDING_SUBSECTION_MISSING] = "The destination lacks a subsection "
        "the source may send",
    [VMS_FINDING_DESCRIPTION_MISSING] = "A nested struct has no "
        "description in the destination",
    [VMS_FINDING_MACHINE_TYPE] = "The two dumps are of different machine "
        "types",
    [VMS_FINDING_NO_VMDESC] = "The stream carries no JSON description: "
        "only section names and versions were verified",
    [VMS_FINDING_NOT_IN_DUMP] = "The section is registered outside any "
        "device class, so no -dump-vmstate shows it: not verified",
};

const char *vms_finding_kind_summary(enum vms_finding_kind kind)
{
    if ((unsigned)kind >= VMS_ARRAY_SIZE(kind_summaries)) {
        return "unknown";
    }
    return kind_summaries[kind];
}

const char *vms_finding_kind_name(enum vms_finding_kind kind)
{
    if ((unsigned)kind >= VMS_ARRAY_SIZE(kind_names)) {
        return "unknown";
    }
    return kind_names[kind];
}

int vms_finding_write_text(const vms_finding *f, FILE *out)
{
    int r;

    if (f->kind == VMS_FINDING_MIN_VERSION && !f->counted) {
        r = fprintf(out, "Section \"%s\" ", f->section);
    } else {
        r = fprintf(out, "%s\n", f->message);
    }
    return r < 0 ? VMS_EIO : 0;
}

typedef struct walker {
    vms_finding_fn fn;
    void *opaque;
    int taint;
    int stop;                   /* fn's non-zero value, or VMS_ENOMEM */
} walker;

/* python's "if desc:": None and "" are both false. */
static bool truthy(const char *s)
{
    return s && *s;
}

static void emit(walker *w, vms_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit(walker *w, vms_finding *f, const char *fmt, ...)
{
    char *msg;
    va_list ap;
    int r;

    if (w->stop) {
        return;
    }
    va_start(ap, fmt);
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        w->stop = VMS_ENOMEM;
        return;
    }
    f->message = msg;
    if (f->counted && w->taint < 255) {
        w->taint++;
    }
    w->stop = w->fn(w->opaque, f);
    free(msg);
}

static void finding_init(vms_finding *f, enum vms_finding_kind kind,
                         const char *sec, const char *desc,
                         const char *field)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->counted = kind != VMS_FINDING_MACHINE_TYPE;
    f->section = sec;
    f->description = desc;
    f->field = field;
}

static void set_numbers(vms_finding *f, char sbuf[24], char dbuf[24],
                        int64_t s, int64_t d)
{
    snprintf(sbuf, 24, "%" PRId64, s);
    snprintf(dbuf, 24, "%" PRId64, d);
    f->src = sbuf;
    f->dest = dbuf;
    f->src_is_number = f->dest_is_number = true;
}

/* check_version(); field is extra context for JSON only. */
static void check_version(walker *w, int64_t s_ver, int64_t d_ver,
                          bool d_has_min, int64_t d_min, const char *sec,
                          const char *desc, const char *field)
{
    char sb[24], db[24];
    vms_finding f;

    if (!truthy(desc)) {
        desc = NULL;
    }
    if (s_ver > d_ver) {
        finding_init(&f, VMS_FINDING_VERSION, sec, desc, field);
        set_numbers(&f, sb, db, s_ver, d_ver);
        if (desc) {
            emit(w, &f, "Section \"%s\" Description \"%s\": version error: "
                 "%" PRId64 " > %" PRId64, sec, desc, s_ver, d_ver);
        } else {
            emit(w, &f, "Section \"%s\" version error: %" PRId64 " > %"
                 PRId64, sec, s_ver, d_ver);
        }
    }
    if (d_has_min && s_ver < d_min) {
        finding_init(&f, VMS_FINDING_MIN_VERSION, sec, desc, field);
        set_numbers(&f, sb, db, s_ver, d_min);
        f.counted = desc != NULL;
        if (desc) {
            emit(w, &f, "Section \"%s\" Description \"%s\": minimum version "
                 "error: %" PRId64 " < %" PRId64, sec, desc, s_ver, d_min);
        } else {
            emit(w, &f, "Section \"%s\" minimum version error: %" PRId64
                 " < %" PRId64, sec, s_ver, d_min);
        }
    }
}

static void check_descriptions(walker *w, const vms_dump_desc *s,
                               const vms_dump_desc *d, const char *sec);

static void check_size(walker *w, const vms_dump_field *s,
                       const vms_dump_field *d, const char *sec,
                       const char *desc)
{
    char sb[24], db[24];
    vms_finding f;

    if (s->size == d->size) {
        return;
    }
    finding_init(&f, VMS_FINDING_SIZE, sec, desc, s->name);
    set_numbers(&f, sb, db, s->size, d->size);
    emit(w, &f, "Section \"%s\"%s%s%s%s%s%s size mismatch: %" PRId64
         " , %" PRId64, sec,
         truthy(desc) ? " Description \"" : "", truthy(desc) ? desc : "",
         truthy(desc) ? "\"" : "",
         truthy(s->name) ? " Field \"" : "",
         truthy(s->name) ? s->name : "", truthy(s->name) ? "\"" : "",
         s->size, d->size);
}

static void check_description_in_list(walker *w, const vms_dump_field *s,
                                      const vms_dump_field *d,
                                      const char *sec, const char *desc)
{
    vms_finding f;

    if (!s->desc) {
        return;
    }
    if (!d->desc) {
        finding_init(&f, VMS_FINDING_DESCRIPTION_MISSING, sec, desc,
                     s->name);
        emit(w, &f, "Section \"%s\", Description \"%s\", Field \"%s\": "
             "missing description", sec, desc, s->name);
        return;
    }
    check_descriptions(w, s->desc, d->desc, sec);
}

static bool exists_in_substruct(const vms_dump_field *fld, const char *item)
{
    if (!fld->desc || !fld->desc->has_fields || !fld->desc->fields) {
        return false;
    }
    return vms__check_names_match(fld->desc->name, fld->desc->fields->name, item);
}

static __int128 size_total(const vms_dump_field *f)
{
    return f->has_num ? (__int128)f->size * f->num : f->size;
}

static void unused_mismatch(walker *w, const char *sec, const char *desc,
                            const char *field)
{
    vms_finding f;

    finding_init(&f, VMS_FINDING_UNUSED_SIZE, sec, desc, field);
    emit(w, &f, "Section \"%s\", Description \"%s\": unused size mismatch "
         "near \" %s\"", sec, desc, field);
}

/* python's next(iterator): NULL when exhausted. */
static const vms_dump_field *next_item(const vms_dump_field **it)
{
    const vms_dump_field *f = *it;

    if (f) {
        *it = f->next;
    }
    return f;
}

/*
 * check_fields(): two iterators, each with a stack of outer iterators for
 * fields folded into (or out of) a substructure. Stack depth is bounded by
 * the nesting the loader accepts.
 */
static void check_fields(walker *w, const vms_dump_field *src_fields,
                         const vms_dump_field *dest_fields, const char *desc,
                         const char *sec)
{
    const vms_dump_field *s_stack[VMS_DUMP_MAX_DEPTH];
    const vms_dump_field *d_stack[VMS_DUMP_MAX_DEPTH];
    const vms_dump_field *s_iter = src_fields, *d_iter = dest_fields;
    const vms_dump_field *s_item = NULL, *d_item = NULL;
    size_t s_n = 0, d_n = 0;
    bool advance_src = true, advance_dest = true;
    __int128 unused_count = 0;
    vms_finding f;

    while (!w->stop) {
        if (advance_src) {
            const vms_dump_field *n = next_item(&s_iter);

            if (!n) {
                if (s_n == 0) {
                    break;
                }
                s_iter = s_stack[--s_n];
                continue;
            }
            s_item = n;
        } else if (unused_count == 0) {
            /* Not advancing just once: entering or leaving a substruct. */
            advance_src = true;
        }

        if (advance_dest) {
            const vms_dump_field *n = next_item(&d_iter);

            if (!n) {
                if (d_n == 0) {
                    finding_init(&f, VMS_FINDING_NO_MORE_FIELDS, sec, desc,
                                 s_item->name);
                    f.src = s_item->name;
                    emit(w, &f, "Section \"%s\", Description \"%s\": "
                         "expected field \"%s\", while dest has no further "
                         "fields", sec, desc, s_item->name);
                    break;
                }
                d_iter = d_stack[--d_n];
                advance_src = false;
                continue;
            }
            d_item = n;
        } else if (unused_count == 0) {
            advance_dest = true;
        }

        if (unused_count != 0 && (!advance_dest || !advance_src)) {
            /* The side not held by the unused buffer pays it off. */
            const vms_dump_field *item = advance_dest ? d_item : s_item;
            bool *held = advance_dest ? &advance_src : &advance_dest;

            unused_count -= item->size;
            if (unused_count == 0) {
                *held = true;
            } else if (unused_count < 0) {
                unused_mismatch(w, sec, desc, item->name);
                break;
            }
            continue;
        }

        if (!vms__check_names_match(desc, s_item->name, d_item->name)) {
            if (exists_in_substruct(d_item, s_item->name)) {
                if (d_n == VMS_ARRAY_SIZE(d_stack)) {
                    break;
                }
                d_stack[d_n++] = d_iter;
                d_iter = d_item->desc->fields;
                advance_src = false;
                continue;
            }
            /* Backward migration: src has a substruct dest removed. */
            if (exists_in_substruct(s_item, d_item->name)) {
                if (s_n == VMS_ARRAY_SIZE(s_stack)) {
                    break;
                }
                s_stack[s_n++] = s_iter;
                s_iter = s_item->desc->fields;
                advance_dest = false;
                continue;
            }
            if (strcmp(s_item->name, "unused") == 0 ||
                strcmp(d_item->name, "unused") == 0) {
                __int128 s_size = size_total(s_item);
                __int128 d_size = size_total(d_item);

                if (s_size == d_size) {
                    continue;
                }
                if (strcmp(d_item->name, "unused") == 0) {
                    advance_dest = false;
                    unused_count = d_size - s_size;
                    continue;
                }
                advance_src = false;
                unused_count = s_size - d_size;
                continue;
            }
            finding_init(&f, VMS_FINDING_FIELD_MISMATCH, sec, desc,
                         s_item->name);
            f.src = s_item->name;
            f.dest = d_item->name;
            emit(w, &f, "Section \"%s\", Description \"%s\": expected field "
                 "\"%s\", got \"%s\"; skipping rest", sec, desc,
                 s_item->name, d_item->name);
            break;
        }

        check_version(w, s_item->version_id, d_item->version_id,
                      d_item->has_minimum_version_id,
                      d_item->minimum_version_id, sec, desc, s_item->name);
        if (!s_item->desc) {
            /* Struct fields are compared through their descriptions. */
            check_size(w, s_item, d_item, sec, desc);
        }
        check_description_in_list(w, s_item, d_item, sec, desc);
    }
}

static void check_subsections(walker *w, const vms_dump_desc *src,
                              const vms_dump_desc *dest, const char *desc,
                              const char *sec)
{
    for (const vms_dump_desc *s = src; s && !w->stop; s = s->next) {
        bool found = false;
        vms_finding f;

        for (const vms_dump_desc *d = dest; d; d = d->next) {
            if (strcmp(s->name, d->name) == 0) {
                found = true;
                check_descriptions(w, s, d, sec);
            }
        }
        if (!found) {
            finding_init(&f, VMS_FINDING_SUBSECTION_MISSING, sec, desc,
                         NULL);
            f.src = s->name;
            emit(w, &f, "Section \"%s\", Description \"%s\": Subsection "
                 "\"%s\" not found", sec, desc, s->name);
        }
    }
}

static void check_descriptions(walker *w, const vms_dump_desc *s,
                               const vms_dump_desc *d, const char *sec)
{
    vms_finding f;

    check_version(w, s->version_id, d->version_id, d->has_minimum_version_id,
                  d->minimum_version_id, sec, s->name, NULL);
    if (!vms__check_names_match(sec, s->name, d->name)) {
        finding_init(&f, VMS_FINDING_DESCRIPTION_RENAMED, sec, s->name,
                     NULL);
        f.src = s->name;
        f.dest = d->name;
        emit(w, &f, "Section \"%s\": Description \"%s\" missing, got \"%s\" "
             "instead; skipping", sec, s->name, d->name);
        return;
    }
    for (const vms_dump_key *k = s->keys; k && !w->stop; k = k->next) {
        if (!vms_dump_has_key(d->keys, k->name)) {
            finding_init(&f, VMS_FINDING_ENTRY_MISSING, sec, s->name, NULL);
            f.src = k->name;
            emit(w, &f, "Section \"%s\" Description \"%s\": Entry \"%s\" "
                 "missing", sec, s->name, k->name);
            continue;
        }
        if (strcmp(k->name, "Fields") == 0) {
            check_fields(w, s->fields, d->fields, s->name, sec);
        } else if (strcmp(k->name, "Subsections") == 0) {
            check_subsections(w, s->subsections, d->subsections, s->name,
                              sec);
        }
    }
}

int vms_check_dumps(const vms_dump *src, const vms_dump *dest,
                    vms_finding_fn fn, void *opaque, int *errors,
                    vms_error *err)
{
    walker w = { .fn = fn, .opaque = opaque };

    for (const vms_dump_section *s = vms_dump_sections(src); s && !w.stop;
         s = s->next) {
        const vms_dump_section *d = vms_dump_find(dest, s->key);
        vms_finding f;

        if (!d) {
            /* Either the section was renamed or dest lacks it. */
            d = vms_dump_find(dest, vms__check_section_rename(s->key));
            if (!d) {
                finding_init(&f, VMS_FINDING_SECTION_MISSING, s->key, NULL,
                             NULL);
                f.src = s->key;
                emit(&w, &f, "Section \"%s\" does not exist in dest",
                     s->key);
                continue;
            }
        }
        if (strcmp(s->key, "vmschkmachine") == 0) {
            if (strcmp(s->name, d->name) != 0) {
                finding_init(&f, VMS_FINDING_MACHINE_TYPE, NULL, NULL, NULL);
                f.src = s->name;
                f.dest = d->name;
                emit(&w, &f, "Warning: checking incompatible machine types: "
                     "\"%s\", \"%s\"", s->name, d->name);
            }
            continue;
        }
        check_version(&w, s->version_id, d->version_id,
                      d->has_minimum_version_id, d->minimum_version_id,
                      s->key, NULL, NULL);
        for (const vms_dump_key *k = s->keys; k && !w.stop; k = k->next) {
            if (!vms_dump_has_key(d->keys, k->name)) {
                finding_init(&f, VMS_FINDING_ENTRY_MISSING, s->key, NULL,
                             NULL);
                f.src = k->name;
                emit(&w, &f, "Section \"%s\": Entry \"%s\" missing", s->key,
                     k->name);
                continue;
            }
            if (strcmp(k->name, "Description") == 0) {
                check_descriptions(&w, s->desc, d->desc, s->key);
            }
        }
    }
    if (errors) {
        *errors = w.taint;
    }
    if (w.stop == VMS_ENOMEM) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    return w.stop;
}

/* ---- reports ---- */

/* A copy of s owned by the report (NULL stays NULL). */
static const char *keep(vms_check_report *r, const char *s, int *e)
{
    size_t n = 0;
    char **a, *copy;

    if (!s) {
        return NULL;
    }
    while (r->strings && r->strings[n]) {
        n++;
    }
    /* Doubling at powers of two: strings[] is NULL-terminated. */
    if ((n & (n + 1)) == 0 || !r->strings) {
        a = realloc(r->strings, (2 * n + 2) * sizeof(*a));
        if (!a) {
            *e = VMS_ENOMEM;
            return NULL;
        }
        r->strings = a;
    }
    copy = strdup(s);
    if (!copy) {
        *e = VMS_ENOMEM;
        return NULL;
    }
    r->strings[n] = copy;
    r->strings[n + 1] = NULL;
    return copy;
}

int vms__check_report_add(vms_check_report *r, const vms_finding *f)
{
    vms_finding *nf, *a;
    int e = 0;

    /* Doubling at powers of two keeps the appends linear. */
    if ((r->n_findings & (r->n_findings - 1)) == 0) {
        a = realloc(r->findings, (r->n_findings ? 2 * r->n_findings : 16) *
                                     sizeof(*a));
        if (!a) {
            return VMS_ENOMEM;
        }
        r->findings = a;
    }
    nf = &r->findings[r->n_findings];
    *nf = *f;
    nf->section = keep(r, f->section, &e);
    nf->description = keep(r, f->description, &e);
    nf->field = keep(r, f->field, &e);
    nf->src = keep(r, f->src, &e);
    nf->dest = keep(r, f->dest, &e);
    nf->message = keep(r, f->message, &e);
    if (e) {
        return e;
    }
    r->n_findings++;
    if (f->counted && r->errors < 255) {
        r->errors++;
    }
    return 0;
}

static int collect(void *opaque, const vms_finding *f)
{
    return vms__check_report_add(opaque, f);
}

void vms_check_report_free(vms_check_report *r)
{
    if (!r) {
        return;
    }
    for (char **s = r->strings; s && *s; s++) {
        free(*s);
    }
    free(r->strings);
    free(r->findings);
    vms_dump_free(r->src);
    vms_dump_free(r->dest);
    free(r);
}

typedef struct load_job {
    const char *path;
    vms_dump *dump;
    vms_error err;
    int code;
} load_job;

static void *load_thread(void *opaque)
{
    load_job *j = opaque;

    j->code = vms_dump_load(j->path, &j->dump, &j->err);
    return NULL;
}

int vms_check_files(const char *src_path, const char *dest_path,
                    const vms_check_options *opts, vms_check_report **out,
                    vms_error *err)
{
    load_job jobs[2] = { { .path = src_path }, { .path = dest_path } };
    vms_check_report *r;
    pthread_t t;
    bool threaded;
    int code;

    *out = NULL;
    vms_error_clear(err);
    /* The two parses are independent: on two cores they may cost one. */
    threaded = vms__dump_parallel_pays() &&
               pthread_create(&t, NULL, load_thread, &jobs[1]) == 0;
    load_thread(&jobs[0]);
    if (threaded) {
        pthread_join(t, NULL);
    } else {
        load_thread(&jobs[1]);
    }
    /* python loads src first: its error is the one reported. */
    for (int i = 0; i < 2; i++) {
        if (jobs[i].code) {
            if (err) {
                *err = jobs[i].err;
            }
            code = jobs[i].code;
            vms_dump_free(jobs[0].dump);
            vms_dump_free(jobs[1].dump);
            return code;
        }
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        vms_dump_free(jobs[0].dump);
        vms_dump_free(jobs[1].dump);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    if (opts && opts->reverse) {
        r->src = jobs[1].dump;
        r->dest = jobs[0].dump;
    } else {
        r->src = jobs[0].dump;
        r->dest = jobs[1].dump;
    }
    r->src_file = vms_dump_file(r->src);
    r->dest_file = vms_dump_file(r->dest);
    r->tool = "vmstate check";
    code = vms_check_dumps(r->src, r->dest, collect, r, &r->errors, err);
    if (code) {
        vms_check_report_free(r);
        return code == VMS_ENOMEM ? code
             : vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    *out = r;
    return 0;
}

int vms_check_report_write_text(const vms_check_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        if (vms_finding_write_text(&r->findings[i], out)) {
            return VMS_EIO;
        }
    }
    return fflush(out) == 0 ? 0 : VMS_EIO;
}

int vms_check_report_write_color(const vms_check_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];

        /*
         * The uncounted section-level version message has no newline: QEMU
         * prints the next finding on the same line, so that line keeps the
         * colour of the finding that ends it.
         */
        if (fputs(f->counted || f->kind != VMS_FINDING_MACHINE_TYPE
                      ? "\033[31m" : "\033[33m", out) == EOF ||
            vms_finding_write_text(f, out) ||
            fputs("\033[0m", out) == EOF) {
            return VMS_EIO;
        }
    }
    return fflush(out) == 0 ? 0 : VMS_EIO;
}

static void json_str_or_null(vms_jsonw *w, const char *key, const char *s)
{
    vms_jsonw_key(w, key);
    if (s) {
        vms_jsonw_string(w, s);
    } else {
        vms_jsonw_null(w);
    }
}

static void json_value(vms_jsonw *w, const char *key, const char *s,
                       bool is_number)
{
    if (s && is_number) {
        vms_jsonw_key(w, key);
        vms_jsonw_raw(w, s, strlen(s));
    } else {
        json_str_or_null(w, key, s);
    }
}

int vms_check_report_write_json(const vms_check_report *r, vms_jsonw *w)
{
    vms_jsonw_begin_object(w);
    json_str_or_null(w, "src", r->src_file);
    json_str_or_null(w, "dest", r->dest_file);
    vms_jsonw_key(w, "errors");
    vms_jsonw_int(w, r->errors);
    vms_jsonw_key(w, "findings");
    vms_jsonw_begin_array(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];

        vms_jsonw_begin_object(w);
        json_str_or_null(w, "kind", vms_finding_kind_name(f->kind));
        vms_jsonw_key(w, "counted");
        vms_jsonw_bool(w, f->counted);
        json_str_or_null(w, "section", f->section);
        json_str_or_null(w, "description", f->description);
        json_str_or_null(w, "field", f->field);
        json_value(w, "src", f->src, f->src_is_number);
        json_value(w, "dest", f->dest, f->dest_is_number);
        json_str_or_null(w, "message", f->message);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}

int vms_check_write_json_error(const char *src_path, const char *dest_path,
                               const vms_error *err, vms_jsonw *w)
{
    char buf[1024];

    vms_jsonw_begin_object(w);
    json_str_or_null(w, "src", src_path);
    json_str_or_null(w, "dest", dest_path);
    vms_jsonw_key(w, "error");
    vms_jsonw_begin_object(w);
    json_str_or_null(w, "file", err->file[0] ? err->file : NULL);
    vms_jsonw_key(w, "line");
    if (err->line > 0) {
        vms_jsonw_int(w, err->line);
    } else {
        vms_jsonw_null(w);
    }
    vms_jsonw_key(w, "column");
    if (err->line > 0) {
        vms_jsonw_int(w, err->column);
    } else {
        vms_jsonw_null(w);
    }
    json_str_or_null(w, "code", vms_strerror(err->code));
    json_str_or_null(w, "message", err->message);
    json_str_or_null(w, "text", vms_error_format(err, buf, sizeof(buf)));
    vms_jsonw_end_object(w);
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}

/*
 * GitHub's workflow commands end at a newline and split properties at
 * ',' and ':', so those are percent-encoded (as its toolkit does).
 */
static int github_escape(FILE *out, const char *s, bool property)
{
    for (; *s; s++) {
        int r;
        switch (*s) {
        case '%': r = fputs("%25", out); break;
        case '\r': r = fputs("%0D", out); break;
        case '\n': r = fputs("%0A", out); break;
        case ':': r = property ? fputs("%3A", out) : fputc(':', out); break;
        case ',': r = property ? fputs("%2C", out) : fputc(',', out); break;
        default: r = fputc(*s, out); break;
        }
        if (r == EOF) {
            return VMS_EIO;
        }
    }
    return 0;
}

int vms_check_report_write_github(const vms_check_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];
        char title[128];

        snprintf(title, sizeof(title), "%s (%s)",
                 r->tool ? r->tool : "vmstate check",
                 vms_finding_kind_name(f->kind));
        if (fprintf(out, "::%s file=", f->counted ? "error" : "warning") < 0 ||
            github_escape(out, r->dest_file ? r->dest_file : "", true) ||
            fputs(",title=", out) == EOF ||
            github_escape(out, title, true) || fputs("::", out) == EOF ||
            github_escape(out, f->message, false) ||
            fputc('\n', out) == EOF) {
            return VMS_EIO;
        }
    }
    return fflush(out) == 0 ? 0 : VMS_EIO;
}

/* The finding's place as one dotted name: section.description.field. */
static void logical_name(const vms_finding *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", f->section ? f->section : "",
             f->description ? "." : "", f->description ? f->description : "",
             f->field ? "." : "", f->field ? f->field : "");
}

int vms_check_report_write_sarif(const vms_check_report *r, vms_jsonw *w)
{
    char name[1024];

    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "$schema");
    vms_jsonw_string(w, "https://json.schemastore.org/sarif-2.1.0.json");
    vms_jsonw_key(w, "version");
    vms_jsonw_string(w, "2.1.0");
    vms_jsonw_key(w, "runs");
    vms_jsonw_begin_array(w);
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "tool");
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "driver");
    vms_jsonw_begin_object(w);
    vms_jsonw_key(w, "name");
    vms_jsonw_string(w, r->tool ? r->tool : "vmstate check");
    vms_jsonw_key(w, "version");
    vms_jsonw_string(w, vms_version());
    vms_jsonw_key(w, "rules");
    vms_jsonw_begin_array(w);
    for (size_t k = 0; k < VMS_ARRAY_SIZE(kind_names); k++) {
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "id");
        vms_jsonw_string(w, kind_names[k]);
        vms_jsonw_key(w, "shortDescription");
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "text");
        vms_jsonw_string(w, kind_summaries[k]);
        vms_jsonw_end_object(w);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    vms_jsonw_end_object(w);
    vms_jsonw_key(w, "results");
    vms_jsonw_begin_array(w);
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];

        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "ruleId");
        vms_jsonw_string(w, vms_finding_kind_name(f->kind));
        vms_jsonw_key(w, "level");
        vms_jsonw_string(w, f->counted ? "error" : "warning");
        vms_jsonw_key(w, "message");
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "text");
        vms_jsonw_string(w, f->message);
        vms_jsonw_end_object(w);
        vms_jsonw_key(w, "locations");
        vms_jsonw_begin_array(w);
        vms_jsonw_begin_object(w);
        if (r->dest_file) {
            vms_jsonw_key(w, "physicalLocation");
            vms_jsonw_begin_object(w);
            vms_jsonw_key(w, "artifactLocation");
            vms_jsonw_begin_object(w);
            vms_jsonw_key(w, "uri");
            vms_jsonw_string(w, r->dest_file);
            vms_jsonw_end_object(w);
            vms_jsonw_end_object(w);
        }
        logical_name(f, name, sizeof(name));
        vms_jsonw_key(w, "logicalLocations");
        vms_jsonw_begin_array(w);
        vms_jsonw_begin_object(w);
        vms_jsonw_key(w, "fullyQualifiedName");
        vms_jsonw_string(w, name[0] ? name : "vmschkmachine");
        vms_jsonw_end_object(w);
        vms_jsonw_end_array(w);
        vms_jsonw_end_object(w);
        vms_jsonw_end_array(w);
        vms_jsonw_end_object(w);
    }
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    vms_jsonw_end_array(w);
    vms_jsonw_end_object(w);
    return vms_jsonw_text(w, "\n", 1);
}
