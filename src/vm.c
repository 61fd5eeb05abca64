/*
 * libvmstate: the registry of a VM's sections and the stream it writes.
 *
 * The record layout follows QEMU 7.2's migration/savevm.c and ram.c (our
 * code, their facts, checked against real streams): the device data itself
 * is only ever produced by the one walk, through the wire visitor wrapped
 * in the vmdesc visitor.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "vmstate/vm.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/pack.h"
#include "vmstate/visitor.h"
#include "vmstate/version.h"
#include "bytes.h"
#include "table.h"
#include "jsonw.h"
#include "writer.h"

#define RAM_IDSTR "ram"
#define RAM_VERSION 4
/* The highest RAM flag QEMU defines is 0x200: pages must be larger. */
#define MIN_PAGE_SIZE 1024u

typedef struct vm_section {
    char *idstr;
    uint32_t instance_id;
    char *type_name;
    const vms_desc *d;
    void *opaque;
} vm_section;

typedef struct vm_ram {
    char *name;
    uint8_t *host;             /* written by vms_vm_load */
    uint64_t length;
} vm_ram;

struct vms_vm {
    char *machine;
    uint32_t page_size;
    vm_section *sec;
    size_t n_sec, cap_sec;
    vm_ram *ram;
    size_t n_ram, cap_ram;
};

static int check_name(const char *what, const char *s, vms_error *err)
{
    size_t len = s ? strlen(s) : 0;

    if (len == 0 || len > 255) {
        return vms_error_set(err, VMS_EINVAL,
                             "%s must be 1 to 255 bytes long", what);
    }
    return 0;
}

vms_vm *vms_vm_new(const char *machine, uint32_t page_size, vms_error *err)
{
    vms_vm *vm;

    if (check_name("the machine name", machine, err)) {
        return NULL;
    }
    if (page_size < MIN_PAGE_SIZE || (page_size & (page_size - 1))) {
        vms_error_set(err, VMS_EINVAL,
                      "page size %u is not a power of two >= %u",
                      page_size, MIN_PAGE_SIZE);
        return NULL;
    }
    if (!(vm = calloc(1, sizeof(*vm))) || !(vm->machine = strdup(machine))) {
        free(vm);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    vm->page_size = page_size;
    return vm;
}

void vms_vm_free(vms_vm *vm)
{
    if (!vm) {
        return;
    }
    for (size_t i = 0; i < vm->n_sec; i++) {
        free(vm->sec[i].idstr);
        free(vm->sec[i].type_name);
    }
    for (size_t i = 0; i < vm->n_ram; i++) {
        free(vm->ram[i].name);
    }
    free(vm->sec);
    free(vm->ram);
    free(vm->machine);
    free(vm);
}

static vm_section *find_section(vms_vm *vm, const char *idstr,
                                uint32_t instance_id)
{
    for (size_t i = 0; i < vm->n_sec; i++) {
        if (vm->sec[i].instance_id == instance_id &&
            strcmp(vm->sec[i].idstr, idstr) == 0) {
            return &vm->sec[i];
        }
    }
    return NULL;
}

int vms_vm_register(vms_vm *vm, const char *idstr, uint32_t instance_id,
                    const char *type_name, const vms_desc *d, void *opaque,
                    vms_error *err)
{
    vm_section *s;
    int e;

    if ((e = check_name("a section idstr", idstr, err)) ||
        (e = vms_desc_validate(d, err))) {
        return e;
    }
    if (find_section(vm, idstr, instance_id)) {
        return vms_error_set(err, VMS_EEXIST,
                             "section \"%s\" instance %u is already "
                             "registered", idstr, instance_id);
    }
    if (vms__table_room(&vm->sec, &vm->cap_sec, vm->n_sec, sizeof(*s))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    s = &vm->sec[vm->n_sec];
    s->idstr = strdup(idstr);
    s->type_name = strdup(type_name ? type_name : d->name);
    if (!s->idstr || !s->type_name) {
        free(s->idstr);
        free(s->type_name);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    s->instance_id = instance_id;
    s->d = d;
    s->opaque = opaque;
    vm->n_sec++;
    return 0;
}

int vms_vm_add_ram(vms_vm *vm, const char *name, void *host,
                   uint64_t length, vms_error *err)
{
    vm_ram *r;
    int e;

    if ((e = check_name("a RAM block name", name, err))) {
        return e;
    }
    if (length % vm->page_size || (length && !host)) {
        return vms_error_set(err, VMS_EINVAL,
                             "RAM block \"%s\": length 0x%llx is not a "
                             "multiple of the page size %u", name,
                             (unsigned long long)length, vm->page_size);
    }
    for (size_t i = 0; i < vm->n_ram; i++) {
        if (strcmp(vm->ram[i].name, name) == 0) {
            return vms_error_set(err, VMS_EEXIST,
                                 "RAM block \"%s\" already added", name);
        }
    }
    if (vms__table_room(&vm->ram, &vm->cap_ram, vm->n_ram, sizeof(*r))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    r = &vm->ram[vm->n_ram];
    if (!(r->name = strdup(name))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    r->host = host;
    r->length = length;
    vm->n_ram++;
    return 0;
}

/* ---- save --------------------------------------------------------------- */

static int put_section_header(vms_writer *w, uint8_t type, uint32_t id,
                              const char *idstr, uint32_t instance_id,
                              uint32_t version, vms_error *err)
{
    vms_record rec = { .type = type, .section_id = id,
                       .instance_id = instance_id, .version_id = version };

    snprintf(rec.idstr, sizeof(rec.idstr), "%s", idstr);
    return vms_stream_put_section(w, &rec, err);
}

static int save_ram_pages(vms_vm *vm, vms_writer *w, vms_error *err)
{
    const uint64_t ps = vm->page_size;
    int e = 0;

    for (size_t b = 0; !e && b < vm->n_ram; b++) {
        const vm_ram *r = &vm->ram[b];
        for (uint64_t off = 0; !e && off < r->length; off += ps) {
            const uint8_t *p = r->host + off;
            /* A page of one byte value throughout travels as that byte. */
            bool zero = vms__all_bytes(p, ps, p[0]);
            /* The first record of a block names it, later ones continue. */
            vms_ram_record rec = {
                .word = off | (zero ? VMS_RAM_ZERO : VMS_RAM_PAGE) |
                        (off ? VMS_RAM_CONTINUE : 0),
                .named = !off,
                .fill = p[0],
                .payload = p,
                .payload_len = ps,
            };
            e = vms_ram_put_record(w, &rec, r->name, vm->page_size, err);
        }
    }
    return e;
}

/*
 * QEMU sends RAM as an iterative section: SECTION_START with the block
 * list, then (after possible SECTION_PARTs) SECTION_END with what is left.
 * We have no live phase, so every page goes into SECTION_END.
 */
static int save_ram(vms_vm *vm, vms_writer *w, uint32_t id, vms_error *err)
{
    uint64_t total = 0;
    int e;

    for (size_t b = 0; b < vm->n_ram; b++) {
        total += vm->ram[b].length;
    }
    e = put_section_header(w, VMS_REC_SECTION_START, id, RAM_IDSTR, 0,
                           RAM_VERSION, err);
    e = e ? e : vms_write_be64(w, total | VMS_RAM_MEM_SIZE, err);
    for (size_t b = 0; !e && b < vm->n_ram; b++) {
        e = vms_ram_put_entry(w, vm->ram[b].name, vm->ram[b].length, false,
                              0, err);
    }
    e = e ? e : vms_write_be64(w, VMS_RAM_EOS, err);
    e = e ? e : vms_stream_put_footer(w, id, err);
    e = e ? e : put_section_header(w, VMS_REC_SECTION_END, id, "", 0, 0,
                                   err);
    e = e ? e : save_ram_pages(vm, w, err);
    e = e ? e : vms_write_be64(w, VMS_RAM_EOS, err);
    return e ? e : vms_stream_put_footer(w, id, err);
}

/* One device: SECTION_FULL, the walk (wire + vmdesc), the footer. */
static int save_device(vm_section *s, uint32_t id, vms_writer *w,
                       vms_jsonw *j, vms_error *err)
{
    vms_visitor *wire = NULL, *v = NULL;
    int e;

    e = put_section_header(w, VMS_REC_SECTION_FULL, id, s->idstr,
                           s->instance_id, (uint32_t)s->d->version_id, err);
    if (e) {
        return e;
    }
    if (!(wire = vms_wire_output_new(w, err))) {
        return VMS_ENOMEM;
    }
    v = wire;
    if (j) {
        if (!(v = vms_vmdesc_output_new(wire, w, j, err))) {
            vms_visitor_free(wire);
            return VMS_ENOMEM;
        }
        e = vms_jsonw_begin_object(j);
        e = vms__jsonw_kv_str(j, e, "name", s->idstr);
        e = vms__jsonw_kv_int(j, e, "instance_id", s->instance_id);
        if (e) {
            e = vms_error_set(err, e, "writing the vmdesc failed");
        }
    }
    e = e ? e : vms_walk(v, s->d, s->opaque, 0, err);
    if (!e && j && (e = vms_jsonw_end_object(j))) {
        e = vms_error_set(err, e, "writing the vmdesc failed");
    }
    if (v != wire) {
        vms_visitor_free(v);
    }
    vms_visitor_free(wire);
    return e ? e : vms_stream_put_footer(w, id, err);
}

int vms_vm_save(vms_vm *vm, vms_writer *w, unsigned flags, vms_error *err)
{
    vms_buf desc = { 0 };
    vms_jsonw *j = NULL;
    /*
     * QEMU's loader finds the section of a SECTION_END by the id its
     * SECTION_START carried, and every section it has not loaded yet has
     * id 0: ids start at 1 so that no unsent section matches.
     */
    uint32_t id = 1;
    int e;

    if (!(flags & VMS_SAVE_NO_VMDESC)) {
        /* QEMU writes the length first: the JSON is built in memory. */
        if (!(j = vms__jsonw_buf(&desc, VMS_JSONW_SPACED, 0, err))) {
            return err ? err->code : VMS_ENOMEM;
        }
        e = vms_jsonw_begin_object(j);
        e = vms__jsonw_kv_int(j, e, "page_size", vm->page_size);
        e = e ? e : vms_jsonw_key(j, "devices");
        e = e ? e : vms_jsonw_begin_array(j);
        if (e) {
            e = vms_error_set(err, e, "writing the vmdesc failed");
            goto out;
        }
    }
    e = vms_stream_put_header(w, err);
    if (!e && !(flags & VMS_SAVE_NO_CONFIGURATION)) {
        /* QEMU's "configuration" vmstate: be32 length, the name. */
        e = vms_write_u8(w, VMS_REC_CONFIGURATION, err);
        e = e ? e : vms_write_be32(w, (uint32_t)strlen(vm->machine), err);
        e = e ? e : vms_write_bytes(w, vm->machine, strlen(vm->machine),
                                    err);
    }
    if (!e && vm->n_ram) {
        e = save_ram(vm, w, id++, err);
    }
    for (size_t i = 0; !e && i < vm->n_sec; i++) {
        e = save_device(&vm->sec[i], id++, w, j, err);
    }
    if (!e && j) {
        e = vms_jsonw_end_array(j);
        e = e ? e : vms_jsonw_end_object(j);
        e = e ? e : vms_jsonw_flush(j);
        if (e) {
            e = vms_error_set(err, e, "writing the vmdesc failed");
        }
    }
    /* EOF, then the vmdesc record when there is one. */
    e = e ? e : vms_stream_put_eof(w, j ? desc.data : NULL, desc.len, err);
out:
    vms_jsonw_free(j);
    vms_buf_free(&desc);
    return e;
}

/* ---- load --------------------------------------------------------------- */

/* Save s's state through the walk into snap (for restoring on failure). */
static int snapshot(vm_section *s, vms_buf *snap, vms_error *err)
{
    vms_writer *w = vms_writer_buf(snap, err);
    vms_visitor *v = w ? vms_wire_output_new(w, err) : NULL;
    int e = v ? vms_walk(v, s->d, s->opaque, 0, err) : VMS_ENOMEM;

    vms_visitor_free(v);
    if (w) {
        int c = vms_writer_close(w, err);
        e = e ? e : c;
    }
    return e;
}

static int load_from(vm_section *s, vms_reader *r, int version_id,
                     vms_error *err)
{
    vms_visitor *v = vms_wire_input_new(r, err);
    int e = v ? vms_walk(v, s->d, s->opaque, version_id, err) : VMS_ENOMEM;

    if (e && err && !err->file[0]) {
        vms_error_set_file(err, vms_reader_name(r));
    }
    vms_visitor_free(v);
    return e;
}

int vms_vm_load_section(vms_vm *vm, const char *idstr, uint32_t instance_id,
                        int version_id, vms_reader *r, vms_error *err)
{
    vm_section *s = find_section(vm, idstr, instance_id);
    vms_buf snap = { 0 };
    int e;

    if (!s) {
        return vms_error_set(err, VMS_ENOTFOUND,
                             "unknown section \"%s\" instance %u", idstr,
                             instance_id);
    }
    if ((e = snapshot(s, &snap, err))) {
        vms_buf_free(&snap);
        return e;
    }
    e = load_from(s, r, version_id, err);
    if (e) {
        /* Put the device back; the caller's error stays the one to see. */
        vms_error scratch = { 0 };
        vms_reader *back = vms_reader_mem(snap.data, snap.len, "snapshot",
                                          &scratch);
        if (back) {
            load_from(s, back, s->d->version_id, &scratch);
            vms_reader_close(back);
        }
    }
    vms_buf_free(&snap);
    return e;
}

/* ---- whole streams ------------------------------------------------------ */

/* The stream numbers RAM blocks in MEM_SIZE order; ours are by name. */
typedef struct ram_load {
    vms_vm *vm;
    vm_ram **by_idx;
    unsigned n;
} ram_load;

static vm_ram *ram_at(ram_load *l, unsigned idx, uint64_t addr,
                      vms_error *err)
{
    vm_ram *b = idx < l->n ? l->by_idx[idx] : NULL;

    if (!b) {
        vms_error_set(err, VMS_EFORMAT, "page of an unannounced RAM block");
        return NULL;
    }
    if (addr > b->length || b->length - addr < l->vm->page_size) {
        vms_error_set(err, VMS_EFORMAT, "RAM block \"%s\": page at 0x%llx "
                      "is past its 0x%llx bytes", b->name,
                      (unsigned long long)addr,
                      (unsigned long long)b->length);
        return NULL;
    }
    return b;
}

static int ram_block(void *opaque, unsigned idx, const char *name,
                     uint64_t length, vms_error *err)
{
    ram_load *l = opaque;
    vm_ram *b = NULL;

    for (size_t i = 0; i < l->vm->n_ram; i++) {
        if (strcmp(l->vm->ram[i].name, name) == 0) {
            b = &l->vm->ram[i];
        }
    }
    if (!b) {
        return vms_error_set(err, VMS_ENOTFOUND,
                             "RAM block \"%s\" is not in this VM", name);
    }
    if (b->length != length) {
        return vms_error_set(err, VMS_EMISMATCH, "RAM block \"%s\": the "
                             "stream has 0x%llx bytes, this VM 0x%llx", name,
                             (unsigned long long)length,
                             (unsigned long long)b->length);
    }
    if (vms__table_fit(&l->by_idx, &l->n, idx, sizeof(*l->by_idx))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    l->by_idx[idx] = b;
    return 0;
}

static int ram_page(void *opaque, unsigned idx, uint64_t addr,
                    const uint8_t *data, uint8_t fill, vms_error *err)
{
    ram_load *l = opaque;
    vm_ram *b = ram_at(l, idx, addr, err);

    if (!b) {
        return err ? err->code : VMS_EFORMAT;
    }
    if (data) {
        memcpy(b->host + addr, data, l->vm->page_size);
    } else {
        memset(b->host + addr, fill, l->vm->page_size);
    }
    return 0;
}

static int ram_old_page(void *opaque, unsigned idx, uint64_t addr,
                        uint8_t *buf, vms_error *err)
{
    ram_load *l = opaque;
    vm_ram *b = ram_at(l, idx, addr, err);

    if (!b) {
        return err ? err->code : VMS_EFORMAT;
    }
    memcpy(buf, b->host + addr, l->vm->page_size);
    return 0;
}

static int load_records(vms_vm *vm, vms_stream *s, vms_ram *ram,
                        vms_error *err)
{
    for (;;) {
        vms_record rec;
        vms_config cfg;
        int e = vms_stream_next(s, &rec, &cfg, err);

        if (e) {
            return e;
        }
        switch (rec.type) {
        case VMS_REC_EOF:
            return 0;
        case VMS_REC_COMMAND:
            continue;
        case VMS_REC_CONFIGURATION:
            /* QEMU refuses another machine type, and so do we. */
            if (strcmp(cfg.machine, vm->machine) != 0) {
                return vms_stream_fail(s, err, VMS_EMISMATCH, rec.offset,
                                       "machine type is \"%s\", this VM's "
                                       "is \"%s\"", cfg.machine,
                                       vm->machine);
            }
            if (cfg.target_page_bits &&
                (cfg.target_page_bits > 31 ||
                 (1u << cfg.target_page_bits) != vm->page_size)) {
                return vms_stream_fail(s, err, VMS_EMISMATCH, rec.offset,
                                       "target page bits %u do not match "
                                       "this VM's page size %u",
                                       cfg.target_page_bits, vm->page_size);
            }
            continue;
        default:
            break;
        }
        if (strcmp(rec.idstr, "ram") == 0) {
            e = vms_ram_read(ram, s, rec.version_id, err);
        } else if (rec.type == VMS_REC_SECTION_FULL ||
                   rec.type == VMS_REC_SECTION_START) {
            e = vms_vm_load_section(vm, rec.idstr, rec.instance_id,
                                    (int)rec.version_id,
                                    vms_stream_reader(s), err);
            if (e && err && !err->has_offset) {
                char msg[sizeof(err->message)];
                memcpy(msg, err->message, sizeof(msg));
                vms_stream_fail(s, err, e, rec.offset, "%s", msg);
            }
        } else {
            e = vms_stream_fail(s, err, VMS_EUNSUPPORTED, rec.offset,
                                "iterative section \"%s\" is not one this "
                                "VM saves", rec.idstr);
        }
        if (!e) {
            e = vms_stream_end_section(s, &rec, err);
        }
        if (e) {
            return e;
        }
    }
}

int vms_vm_load(vms_vm *vm, const char *path, vms_error *err)
{
    ram_load l = { .vm = vm };
    vms_ram_opts o = { .page_size = vm->page_size };
    vms_ram_sink sink = {
        .opaque = &l, .want_data = true, .block = ram_block,
        .page = ram_page, .old_page = ram_old_page,
    };
    vms_stream *s = vms_stream_open(path, err);
    vms_ram *ram;
    int e;

    if (!s) {
        return err ? err->code : VMS_EIO;
    }
    ram = vms_ram_new(&o, &sink, err);
    e = ram ? load_records(vm, s, ram, err) : (err ? err->code : VMS_ENOMEM);
    vms_ram_free(ram);
    vms_stream_close(s);
    free(l.by_idx);
    return e;
}

int vms_vm_write_state_json(vms_vm *vm, vms_jsonw *w, vms_error *err)
{
    uint32_t id = 1;
    char key[300];
    int e = vms_jsonw_begin_object(w);

    /* Keys, ids and the RAM entry as vms_vm_save numbers its sections. */
    if (!e && vm->n_ram) {
        e = vms_jsonw_key(w, "ram (1)");
        e = e ? e : vms_jsonw_begin_object(w);
        e = e ? e : vms_jsonw_key(w, "section sizes");
        e = e ? e : vms_jsonw_begin_object(w);
        for (size_t i = 0; !e && i < vm->n_ram; i++) {
            char v[24];
            snprintf(v, sizeof(v), "0x%016llx",
                     (unsigned long long)vm->ram[i].length);
            e = vms_jsonw_key(w, vm->ram[i].name);
            e = e ? e : vms_jsonw_string(w, v);
        }
        e = e ? e : vms_jsonw_end_object(w);
        e = e ? e : vms_jsonw_end_object(w);
        id++;
    }
    if (e) {
        return vms_error_set(err, e, "writing the state JSON failed");
    }
    for (size_t i = 0; i < vm->n_sec; i++, id++) {
        vm_section *sec = &vm->sec[i];
        vms_visitor *v;

        snprintf(key, sizeof(key), "%s (%u)", sec->idstr, id);
        if ((e = vms_jsonw_key(w, key))) {
            return vms_error_set(err, e, "writing the state JSON failed");
        }
        v = vms_json_state_output_new(w, err);
        if (!v) {
            return err ? err->code : VMS_ENOMEM;
        }
        e = vms_walk(v, sec->d, sec->opaque, sec->d->version_id, err);
        vms_visitor_free(v);
        if (e) {
            return e;
        }
    }
    e = vms_jsonw_end_object(w);
    e = e ? e : vms_jsonw_text(w, "\n", 1);
    return e ? vms_error_set(err, e, "writing the state JSON failed") : 0;
}

/* ---- -dump-vmstate ----------------------------------------------------- */

static int dump_desc(vms_jsonw *j, const vms_desc *d);

/* QEMU puts the versions of a description at both of its levels. */
static int put_versions(vms_jsonw *j, int e, const vms_desc *d)
{
    e = vms__jsonw_kv_int(j, e, "version_id", d->version_id);
    return vms__jsonw_kv_int(j, e, "minimum_version_id",
                            d->minimum_version_id);
}

static int dump_field(vms_jsonw *j, const vms_field *f)
{
    size_t size = (f->flags & VMS_F_DUMP_SIZE) ? f->dump_size : f->size;
    int e = vms_jsonw_begin_object(j);

    e = vms__jsonw_kv_str(j, e, "field", f->name);
    e = vms__jsonw_kv_int(j, e, "version_id", f->version_id);
    e = e ? e : vms_jsonw_key(j, "field_exists");
    e = e ? e : vms_jsonw_bool(j, f->field_exists != NULL);
    e = vms__jsonw_kv_int(j, e, "size", (int64_t)size);
    if (!e && f->type == VMS_TYPE_STRUCT && f->vmsd) {
        e = vms_jsonw_key(j, "Description");
        e = e ? e : dump_desc(j, f->vmsd);
    }
    return e ? e : vms_jsonw_end_object(j);
}

/* QEMU's dump_vmstate_vmsd: keys appear only when the lists exist. */
static int dump_desc(vms_jsonw *j, const vms_desc *d)
{
    int e = vms_jsonw_begin_object(j);

    e = vms__jsonw_kv_str(j, e, "name", d->name);
    e = put_versions(j, e, d);
    if (!e && d->n_fields) {
        e = vms_jsonw_key(j, "Fields");
        e = e ? e : vms_jsonw_begin_array(j);
        for (size_t i = 0; !e && i < d->n_fields; i++) {
            e = dump_field(j, &d->fields[i]);
        }
        e = e ? e : vms_jsonw_end_array(j);
    }
    if (!e && d->n_subsections) {
        e = vms_jsonw_key(j, "Subsections");
        e = e ? e : vms_jsonw_begin_array(j);
        for (size_t i = 0; !e && i < d->n_subsections; i++) {
            e = dump_desc(j, d->subsections[i]);
        }
        e = e ? e : vms_jsonw_end_array(j);
    }
    return e ? e : vms_jsonw_end_object(j);
}

static bool type_seen(const vms_vm *vm, size_t upto)
{
    for (size_t i = 0; i < upto; i++) {
        if (strcmp(vm->sec[i].type_name, vm->sec[upto].type_name) == 0) {
            return true;
        }
    }
    return false;
}

int vms_vm_dump_vmstate(vms_vm *vm, vms_writer *w, vms_error *err)
{
    /* QEMU's fprintf layout is python's indent=2 layout, byte for byte. */
    vms_jsonw *j = vms_jsonw_new(w, VMS_JSONW_PRETTY, 2, err);
    int e;

    if (!j) {
        return err ? err->code : VMS_ENOMEM;
    }
    e = vms_jsonw_begin_object(j);
    e = e ? e : vms_jsonw_key(j, "vmschkmachine");
    e = e ? e : vms_jsonw_begin_object(j);
    e = vms__jsonw_kv_str(j, e, "Name", vm->machine);
    e = e ? e : vms_jsonw_end_object(j);
    for (size_t i = 0; !e && i < vm->n_sec; i++) {
        const vm_section *s = &vm->sec[i];
        /* QEMU dumps device types, not instances. */
        if (type_seen(vm, i)) {
            continue;
        }
        e = vms_jsonw_key(j, s->type_name);
        e = e ? e : vms_jsonw_begin_object(j);
        e = vms__jsonw_kv_str(j, e, "Name", s->type_name);
        e = put_versions(j, e, s->d);
        e = e ? e : vms_jsonw_key(j, "Description");
        e = e ? e : dump_desc(j, s->d);
        e = e ? e : vms_jsonw_end_object(j);
    }
    e = e ? e : vms_jsonw_end_object(j);
    e = e ? e : vms_jsonw_text(j, "\n", 1);
    {
        int c = vms_jsonw_free(j);
        e = e ? e : c;
    }
    /* a write failure's record (output, offset) is the writer's */
    if (e && vms_writer_flush(w, err) == 0) {
        return vms_error_set(err, e, "writing the dump failed");
    }
    return e ? e : vms_writer_flush(w, err);
}
