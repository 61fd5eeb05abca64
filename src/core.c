/*
 * vmstate core: a saved VM's guest memory and CPUs as the core file QEMU's
 * dump-guest-memory writes (ELF), or as a raw image.
 *
 * Two passes over the stream, so that memory use never grows with the
 * guest: the map of guest-physical memory (which needs the host bridge's
 * PAM/SMRAM registers) and the CPU registers come after the RAM in a
 * stream, so the first pass skips the page bytes and reads the block list
 * and the device state; the output's layout is then fixed, its headers
 * written, and the second pass writes every page straight to its offsets
 * (one page may appear in two ranges: pc.bios is mapped at 4 GiB and its
 * tail at 0xe0000). Later copies of a page (iterative migration) simply
 * overwrite earlier ones; XBZRLE deltas are applied to what the output
 * holds.
 *
 * Pass 1 need not read the pages: a stream with a description (vmdesc)
 * names its first device, so pass 1 reads the RAM's block list, then
 * looks for that device's section header near the end, where QEMU's
 * non-iterable phase wrote it right after the RAM's last part
 * (qemu_savevm_state_complete_precopy in migration/savevm.c: iterable
 * sections' ends, then every device in the order the vmdesc lists), and
 * reads on from there. Pass 2 reads all the RAM anyway and proves the
 * jump: its last RAM part must end exactly where pass 1 jumped to, with
 * no device section before. Anything else (a stream laid out otherwise)
 * starts over with a pass 1 that reads everything: never a guessed map.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <jansson.h>
#include "vmstate/core.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/sections.h"
#include "vmstate/vmdesc.h"
#include "vmstate/json.h"
#include "vmstate/io.h"
#include "stream_priv.h"
#include "analyze_priv.h"
#include "writer.h"
#include "memmap.h"
#include "vmdesc_priv.h"
#include "elfcore.h"
#include "kdump.h"
#include "bytes.h"
#include "core_priv.h"
#include "reader.h"

#define RUN_MAX (1u << 20)    /* bytes gathered before one write */
#define RUN_IOV 1024          /* pieces of one write (IOV_MAX) */
#define MAX_CPUS 1024
/* How far before the end marker pass 1 looks for the first device. */
#define DEVICES_MAX (64u << 20)
/* Not an error: the jump of pass 1 did not hold, start over without it. */
#define RETRY 1

typedef struct core {
    const vms_core_opts *o;
    vms_error *err;
    int pass;                 /* 1: layout, 2: pages */
    vms_stream *s;
    vms_vmdesc *vd;
    vms_config cfg;
    uint32_t page_size;
    vms_ram *ram;
    uint32_t ram_id;
    bool have_ram;
    uint64_t ram_end;         /* pass 1: input offset after the last RAM part */
    uint64_t in_size;
    bool may_jump;            /* pass 1 may jump over the pages */
    bool jumped;              /* it did: ram_end is where the devices start */
    bool ram_seen_end;        /* pass 2 read the RAM up to ram_end */

    vms__mm_block *blocks;
    unsigned nblocks;
    uint8_t host_cfg[256];
    bool have_host_cfg;
    vms__mm_pci *pci;         /* PCI devices' config headers */
    unsigned npci;
    json_t *cpu[MAX_CPUS];    /* "cpu" section states by instance id */
    unsigned ncpu;

    vms__memmap map;
    vms__cpus cpus;
    vms_outfile out;
    bool out_open;
    int wfd;                  /* where pages go: the output, or for kdump
                                 the temporary ELF core */
    uint64_t out_size;

    /*
     * The bytes pending for [run_off, +run_len), in niov pieces: pages
     * in the input reader's buffer (in) stay there until it refills,
     * others (filled, decoded pages) are copied into run.
     */
    struct iovec iov[RUN_IOV];
    int niov;
    uint64_t run_off;
    size_t run_len;
    uint8_t *run;
    size_t run_used;
    vms_reader *in;
    uint64_t zero_off, zero_len;  /* pending zero run */
    uint8_t *fillpage;
} core;

static int core_fail(core *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int core_fail(core *c, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(c->err, code, fmt, ap);
    va_end(ap);
    vms_error_set_file(c->err, c->o->file);
    return code;
}

static void tick(void *opaque)
{
    core *c = opaque;

    if (c->o->progress && c->s) {
        uint64_t done = vms_stream_offset(c->s);
        /* pass 1 reads the whole input, pass 2 up to the RAM's end;
           kdump's pages count as much again as pass 2 */
        uint64_t total = c->in_size + (c->ram_end ? c->ram_end : c->in_size);
        if (c->o->format == VMS_CORE_KDUMP) {
            total += c->ram_end ? c->ram_end : c->in_size;
        }
        if (c->pass == 2) {
            done += c->in_size;
        }
        c->o->progress(c->o->progress_opaque, done, total);
    }
}

/* ---- output ---------------------------------------------------------------- */

static int out_pwrite(core *c, const void *buf, size_t len, uint64_t off)
{
    return vms__pwrite_all(c->wfd, buf, len, off, c->o->output, c->err);
}

static int flush_zero(core *c)
{
    static const uint8_t zeros[65536];
    uint64_t off = c->zero_off, len = c->zero_len;
    int e;

    c->zero_len = 0;
    if (!len) {
        return 0;
    }
    /* a zero page over one written before must read as zeros: a hole */
    if (fallocate(c->wfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)off, (off_t)len) == 0) {
        return 0;
    }
    while (len) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        if ((e = out_pwrite(c, zeros, n, off))) {
            return e;
        }
        off += n;
        len -= n;
    }
    return 0;
}

static int flush_run(core *c)
{
    int e = 0;

    if (c->niov) {
        e = vms__pwritev_all(c->wfd, c->iov, c->niov, c->run_off,
                             c->o->output, c->err);
        c->niov = 0;
        c->run_len = c->run_used = 0;
    }
    return e;
}

/* The input's buffer is about to move: write what points into it. */
static int input_refills(void *opaque, vms_error *err)
{
    (void)err;
    return flush_run(opaque);
}

static int flush_all(core *c)
{
    int e = flush_run(c);
    return e ? e : flush_zero(c);
}

/* len bytes at output offset off: data, or zeros when data is NULL. */
static int emit(core *c, uint64_t off, const uint8_t *data, size_t len)
{
    int e;

    if (!data) {
        if ((e = flush_run(c))) {
            return e;
        }
        if (c->zero_len && c->zero_off + c->zero_len == off) {
            c->zero_len += len;
            return 0;
        }
        if ((e = flush_zero(c))) {
            return e;
        }
        c->zero_off = off;
        c->zero_len = len;
        return 0;
    }
    if ((e = flush_zero(c))) {
        return e;
    }
    bool stays = c->in && vms__reader_holds(c->in, data, len);
    if (c->niov && (c->run_off + c->run_len != off || c->niov == RUN_IOV ||
                    c->run_len + len > RUN_MAX ||
                    (!stays && c->run_used + len > RUN_MAX))) {
        if ((e = flush_run(c))) {
            return e;
        }
    }
    if (len > RUN_MAX) {
        return out_pwrite(c, data, len, off);
    }
    if (!stays) {
        /* a page ram.c made (filled, decoded): it will not stay */
        memcpy(c->run + c->run_used, data, len);
        data = c->run + c->run_used;
        c->run_used += len;
    }
    if (!c->niov) {
        c->run_off = off;
    }
    struct iovec *last = c->niov ? &c->iov[c->niov - 1] : NULL;
    if (last && (const uint8_t *)last->iov_base + last->iov_len == data) {
        last->iov_len += len;
    } else {
        c->iov[c->niov++] = (struct iovec){ (void *)data, len };
    }
    c->run_len += len;
    return 0;
}

/* Where a range starts in the output. */
static uint64_t range_base(const core *c, const vms__mm_range *r)
{
    return c->o->format == VMS_CORE_RAW ? r->paddr : r->file_off;
}

/* ---- RAM ----------------------------------------------------------------- */

static int ram_block(void *opaque, unsigned idx, const char *name,
                     uint64_t length, vms_error *err)
{
    core *c = opaque;

    (void)err;
    if (c->pass != 1) {
        /* the same stream read again: the same blocks */
        if (idx >= c->nblocks || strcmp(c->blocks[idx].name, name) ||
            c->blocks[idx].length != length) {
            return core_fail(c, VMS_EFORMAT, "the RAM blocks changed between "
                             "two reads of the input");
        }
        return 0;
    }
    if (idx < c->nblocks) {
        if (strcmp(c->blocks[idx].name, name) ||
            c->blocks[idx].length != length) {
            return core_fail(c, VMS_EUNSUPPORTED, "RAM block %u announced "
                             "again as '%s' of 0x%" PRIx64 " bytes (was '%s' "
                             "of 0x%" PRIx64 ")", idx, name, length,
                             c->blocks[idx].name, c->blocks[idx].length);
        }
        return 0;
    }
    vms__mm_block *n = realloc(c->blocks, (idx + 1) * sizeof(*n));
    if (!n) {
        return core_fail(c, VMS_ENOMEM, "out of memory");
    }
    c->blocks = n;
    memset(&n[c->nblocks], 0, (idx + 1 - c->nblocks) * sizeof(*n));
    snprintf(n[idx].name, sizeof(n[idx].name), "%s", name);
    n[idx].length = length;
    c->nblocks = idx + 1;
    return 0;
}

/*
 * Each part of page addr of block idx that a range holds: fn(c, output
 * offset, offset in the page, length).
 */
static int each_place(core *c, unsigned idx, uint64_t addr,
                      int (*fn)(core *c, uint64_t off, size_t in_page,
                                size_t len, void *arg), void *arg)
{
    uint32_t ps = c->page_size;
    int e;

    for (size_t i = 0; i < c->map.n; i++) {
        const vms__mm_range *r = &c->map.r[i];
        uint64_t a, b;
        if (r->block != idx || addr >= r->offset + r->size ||
            addr + ps <= r->offset) {
            continue;
        }
        a = addr > r->offset ? addr : r->offset;
        b = addr + ps < r->offset + r->size ? addr + ps : r->offset + r->size;
        if ((e = fn(c, range_base(c, r) + (a - r->offset), (size_t)(a - addr),
                    (size_t)(b - a), arg))) {
            return e;
        }
    }
    return 0;
}

static int put_part(core *c, uint64_t off, size_t in_page, size_t len,
                    void *arg)
{
    const uint8_t *data = arg;
    return emit(c, off, data ? data + in_page : NULL, len);
}

static int ram_page(void *opaque, unsigned idx, uint64_t addr,
                    const uint8_t *data, uint8_t fill, vms_error *err)
{
    core *c = opaque;

    (void)err;
    if (c->pass != 2) {
        return 0;
    }
    if (!data && fill) {
        memset(c->fillpage, fill, c->page_size);
        data = c->fillpage;
    }
    return each_place(c, idx, addr, put_part, (void *)data);
}

static int get_part(core *c, uint64_t off, size_t in_page, size_t len,
                    void *arg)
{
    if (pread(c->wfd, (uint8_t *)arg + in_page, len, (off_t)off) < 0) {
        return vms_error_set(c->err, VMS_EIO, "%s: %s", c->o->output,
                             strerror(errno));
    }
    return 0;
}

/* XBZRLE: the page as the output holds it (zeros where not mapped). */
static int ram_old_page(void *opaque, unsigned idx, uint64_t addr,
                        uint8_t *buf, vms_error *err)
{
    core *c = opaque;
    int e;

    (void)err;
    memset(buf, 0, c->page_size);
    if ((e = flush_all(c))) {
        return e;
    }
    return each_place(c, idx, addr, get_part, buf);
}

static int ram_section(core *c, const vms_record *rec)
{
    int e;

    if (!c->ram) {
        if (vms__config_has_cap(&c->cfg, "x-ignore-shared")) {
            return vms_stream_fail(c->s, c->err, VMS_EUNSUPPORTED,
                    rec->offset, "the stream was saved with x-ignore-shared: "
                    "RAM in shared memory is not in it, and the stream does "
                    "not say which blocks those are");
        }
        vms_ram_opts ro = {
            .page_size = c->page_size,
            .mapped_ram = vms__config_has_cap(&c->cfg, "mapped-ram"),
        };
        vms_ram_sink sink = {
            .opaque = c,
            .want_data = c->pass == 2,
            .block = ram_block,
            .page = ram_page,
            .old_page = ram_old_page,
            .tick = tick,
        };
        if (!(c->ram = vms_ram_new(&ro, &sink, c->err))) {
            return c->err->code ? c->err->code : VMS_ENOMEM;
        }
        c->ram_id = rec->section_id;
    }
    if (rec->section_id != c->ram_id) {
        return vms_stream_fail(c->s, c->err, VMS_EFORMAT, rec->offset,
                               "a second RAM section (id %u)",
                               rec->section_id);
    }
    c->have_ram = true;
    if ((e = vms_ram_read(c->ram, c->s, rec->version_id, c->err))) {
        return e;
    }
    if (c->pass == 1) {
        c->ram_end = vms_stream_offset(c->s);
    }
    return 0;
}

/* ---- device state -------------------------------------------------------- */

/* The section's state through the stream's description, as analyze has it. */
static int device_state(core *c, const vms_record *rec, json_t **out)
{
    int e;

    *out = NULL;
    if ((e = vms__stream_need_vmdesc(c->s, &c->vd, rec, NULL,
                                     c->err))) {
        return e;
    }
    return vms__device_state(c->s, c->vd, NULL, rec, out, c->err);
}

static bool ends_with(const char *s, const char *t)
{
    size_t a = strlen(s), b = strlen(t);
    return a >= b && strcmp(s + a - b, t) == 0;
}

/* "86 80 37 ..." (a buffer as analyze prints it) into out; the count. */
static size_t hex_bytes(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (*s && n < max) {
        char *end;
        unsigned long v = strtoul(s, &end, 16);
        if (end == s || v > 0xff) {
            break;
        }
        out[n++] = (uint8_t)v;
        s = end;
        while (*s == ' ') {
            s++;
        }
    }
    return n;
}

/* The PCI config buffer of a PCIDevice state ("config" field). */
static const char *pci_config(const json_t *state)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)state, k, v) {
        if (json_is_string(v) && (strcmp(k, "config") == 0 ||
                                  strcmp(k, "config[0]") == 0)) {
            return json_string_value(v);
        }
        if (json_is_object(v)) {
            const char *r = pci_config(v);
            if (r) {
                return r;
            }
        }
    }
    return NULL;
}

/*
 * A PCI device's config header, for the option ROM rule: PCIDevice
 * state ("config"), or a virtio-pci device's "virtio" field, which
 * virtio_save (hw/virtio/virtio.c) begins with virtio_pci_save_config's
 * pci_device_save: vmstate_pci_device's be32 version_id 2, then config.
 */
static int note_pci(core *c, const vms_record *rec, const json_t *st)
{
    const char *slash = strrchr(rec->idstr, '/'), *hex = pci_config(st);
    uint8_t buf[4 + 64];
    size_t n, skip = 0;

    if (!slash || (size_t)(slash - rec->idstr) >= sizeof(c->pci->path)) {
        return 0;
    }
    if (!hex) {
        const json_t *v = json_object_get(st, "virtio");
        if (!json_is_string(v)) {
            return 0;
        }
        hex = json_string_value(v);
        skip = 4;
    }
    n = hex_bytes(hex, buf, skip + 64);
    if (n < skip + 64 ||
        (skip && (buf[0] || buf[1] || buf[2] || buf[3] != 2))) {
        return 0;
    }
    vms__mm_pci *p = realloc(c->pci, (c->npci + 1) * sizeof(*p));
    if (!p) {
        return core_fail(c, VMS_ENOMEM, "out of memory");
    }
    c->pci = p;
    p += c->npci++;
    memset(p, 0, sizeof(*p));
    memcpy(p->path, rec->idstr, (size_t)(slash - rec->idstr));
    memcpy(p->cfg, buf + skip, 64);
    return 0;
}

static int device_section(core *c, const vms_record *rec)
{
    json_t *st;
    int e;

    if ((e = device_state(c, rec, &st))) {
        return e;
    }
    if (c->pass == 1 && strcmp(rec->idstr, "cpu") == 0) {
        if (rec->instance_id >= MAX_CPUS) {
            json_decref(st);
            return vms_stream_fail(c->s, c->err, VMS_ELIMIT, rec->offset,
                                   "cpu instance %u: more than %u CPUs",
                                   rec->instance_id, MAX_CPUS);
        }
        json_decref(c->cpu[rec->instance_id]);
        c->cpu[rec->instance_id] = st;
        if (rec->instance_id + 1 > c->ncpu) {
            c->ncpu = rec->instance_id + 1;
        }
        return 0;
    }
    if (c->pass == 1 && (e = note_pci(c, rec, st))) {
        json_decref(st);
        return e;
    }
    if (c->pass == 1 && (ends_with(rec->idstr, "/I440FX") ||
                         ends_with(rec->idstr, "/mch"))) {
        const char *cfg = pci_config(st);
        if (!cfg || hex_bytes(cfg, c->host_cfg, sizeof(c->host_cfg)) < 256) {
            json_decref(st);
            return vms_stream_fail(c->s, c->err, VMS_EFORMAT, rec->offset,
                                   "section '%s': no 256-byte PCI config "
                                   "space", rec->idstr);
        }
        c->have_host_cfg = true;
    }
    json_decref(st);
    return 0;
}

/* ---- the jump over the pages (pass 1) ----------------------------------- */

/*
 * The header QEMU's save_section_header writes for the vmdesc's first
 * device after the section id: str8 idstr, be32 instance_id, be32
 * version_id (only when the vmdesc gives it). 0 when there is none.
 */
static size_t first_device(core *c, uint8_t *out, size_t max)
{
    /* the description pass 1 parsed when it opened the stream */
    const json_t *dev = json_array_get(
        json_object_get(vms__vmdesc_json(c->vd), "devices"), 0);
    const char *name = json_string_value(json_object_get(dev, "name"));
    const json_t *inst = json_object_get(dev, "instance_id");
    const json_t *ver = json_object_get(dev, "version");
    size_t nl = name ? strlen(name) : 0, n = 0;

    if (nl && nl < 256 && json_is_integer(inst) && 1 + nl + 8 <= max) {
        out[n++] = (uint8_t)nl;
        memcpy(out + n, name, nl);
        n += nl;
        vms__put_be32(out + n, (uint32_t)json_integer_value(inst));
        n += 4;
        if (json_is_integer(ver)) {
            vms__put_be32(out + n, (uint32_t)json_integer_value(ver));
            n += 4;
        }
    }
    return n;
}

/*
 * Whether the RAM's last part ends right before buf[at]: its end of
 * section flag (RAM_SAVE_FLAG_EOS, a be64 of 0x10, ram_save_complete in
 * migration/ram.c), then the footer of the RAM's section id where the
 * stream has footers.
 */
static bool ram_ends_at(const core *c, const uint8_t *buf, size_t at)
{
    static const uint8_t eos[8] = { 0, 0, 0, 0, 0, 0, 0, 0x10 };

    if (at >= 13 && buf[at - 5] == VMS_REC_FOOTER &&
        vms__get_be32(buf + at - 4) == c->ram_id &&
        memcmp(buf + at - 13, eos, 8) == 0) {
        return true;
    }
    return at >= 8 && memcmp(buf + at - 8, eos, 8) == 0;
}

/*
 * Where the first device's section starts, searched backwards from the
 * end marker over [from, end): 0 when not found (no vmdesc, no end
 * marker known, the device area larger than DEVICES_MAX).
 */
static int find_devices(core *c, uint64_t from, uint64_t *at)
{
    enum { CHUNK = 1u << 20, HDR = 5 + 1 + 255 + 8, BEFORE = 13 };
    uint8_t needle[1 + 255 + 8], *buf;
    size_t nlen = first_device(c, needle, sizeof(needle));
    uint64_t vmdesc = vms_stream_vmdesc_offset(c->s), end, lo;
    int e = 0;

    *at = 0;
    if (!nlen || vmdesc < 1 || vmdesc - 1 <= from) {
        return 0;
    }
    end = vmdesc - 1;             /* the end marker */
    lo = end - from > DEVICES_MAX ? end - DEVICES_MAX : from;
    if (!(buf = malloc(BEFORE + CHUNK + HDR))) {
        return core_fail(c, VMS_ENOMEM, "out of memory");
    }
    /* chunks from the end; each read holds BEFORE bytes before the chunk
       and HDR after it, so a header across a chunk's edge is seen */
    for (uint64_t hi = end; hi > lo && !*at;) {
        uint64_t start = hi - lo > CHUNK ? hi - CHUNK : lo;
        uint64_t rs = start - lo > BEFORE ? start - BEFORE : lo;
        uint64_t re = end - hi > HDR ? hi + HDR : end;
        size_t n = (size_t)(re - rs), top = (size_t)(hi - rs);
        if ((e = vms_stream_pread(c->s, buf, n, rs, c->err))) {
            break;
        }
        while (top > (size_t)(start - rs)) {
            uint8_t *q = memrchr(buf + (start - rs), VMS_REC_SECTION_FULL,
                                 top - (size_t)(start - rs));
            if (!q) {
                break;
            }
            size_t p = (size_t)(q - buf);
            if (p + 5 + nlen <= n && memcmp(buf + p + 5, needle, nlen) == 0 &&
                ram_ends_at(c, buf, p)) {
                *at = rs + p;
                break;
            }
            top = p;
        }
        hi = start;
    }
    free(buf);
    return e;
}

/* One read of the input; pass 2 stops after the RAM. */
static int pass(core *c)
{
    vms_record rec;
    const char *text;
    size_t len;
    int e;

    if (!(c->s = vms_stream_open_input(c->o->file, c->o->version >= 2
                                                    ? c->o->input : NULL,
                                       c->err))) {
        return c->err->code ? c->err->code : VMS_EIO;
    }
    if (c->pass == 2) {
        c->in = vms_stream_reader(c->s);
        vms__reader_on_refill(c->in, input_refills, c);
    }
    if (c->pass == 1) {
        int64_t size = vms_reader_size(vms_stream_reader(c->s));
        struct stat st;
        /*
         * Read twice means opened twice: a file (whatever container the
         * input layer finds in it), not a pipe.
         */
        if (strcmp(c->o->file, "-") == 0 || stat(c->o->file, &st) != 0 ||
            !S_ISREG(st.st_mode)) {
            return core_fail(c, VMS_EUNSUPPORTED, "core reads its input twice "
                             "(the map and the registers follow the RAM): "
                             "give a file, not a pipe");
        }
        c->in_size = size > 0 ? (uint64_t)size : (uint64_t)st.st_size;
        if ((text = vms_stream_vmdesc(c->s, &len)) &&
            (e = vms_vmdesc_parse(text, len, c->o->file, &c->vd, c->err))) {
            c->err->has_offset = 1;
            c->err->offset = vms_stream_vmdesc_offset(c->s) + 5;
            vms_error_set_file(c->err, c->o->file);
            return e;
        }
        c->page_size = c->vd && vms_vmdesc_page_size(c->vd)
                           ? vms_vmdesc_page_size(c->vd) : 4096;
    }
    for (;;) {
        if ((e = vms_stream_next(c->s, &rec, &c->cfg, c->err))) {
            return e;
        }
        tick(c);
        switch (rec.type) {
        case VMS_REC_EOF:
            return 0;
        case VMS_REC_CONFIGURATION:
            if (c->pass == 1 && c->cfg.target_page_bits && !c->vd &&
                c->cfg.target_page_bits >= 9 && c->cfg.target_page_bits <= 20) {
                c->page_size = 1u << c->cfg.target_page_bits;
            }
            continue;
        case VMS_REC_COMMAND:
            continue;
        default:
            break;
        }
        enum vms_section_kind k = vms_section_kind(rec.idstr, rec.instance_id);
        if (c->pass == 2 && c->jumped && k == VMS_SECTION_DEVICE) {
            /* a device before the last RAM part: pass 1 missed it */
            return RETRY;
        }
        if (c->pass == 1 && c->may_jump && k == VMS_SECTION_RAM &&
            c->have_ram && (rec.type == VMS_REC_SECTION_PART ||
                            rec.type == VMS_REC_SECTION_END)) {
            uint64_t at;
            c->may_jump = false;
            if ((e = find_devices(c, rec.offset, &at))) {
                return e;
            }
            if (at) {
                if ((e = vms_reader_seek(vms_stream_reader(c->s), at,
                                         c->err))) {
                    return e;
                }
                c->jumped = true;
                c->ram_end = at;
                continue;
            }
        }
        if (k == VMS_SECTION_RAM) {
            e = ram_section(c, &rec);
        } else if (k == VMS_SECTION_DEVICE &&
                   (rec.type == VMS_REC_SECTION_FULL)) {
            e = device_section(c, &rec);
        } else if (k == VMS_SECTION_DEVICE) {
            e = vms_stream_fail(c->s, c->err, VMS_EUNSUPPORTED, rec.offset,
                                "iterative section '%s' has no decoder",
                                rec.idstr);
        } else {
            e = vms_section_read(c->s, &rec, k, c->err);
        }
        if (e || (e = vms_stream_end_section(c->s, &rec, c->err))) {
            return e;
        }
        if (c->pass == 2 && k == VMS_SECTION_RAM &&
            vms_stream_offset(c->s) >= c->ram_end) {
            /* the jump holds only if the RAM ends where pass 1 went on */
            c->ram_seen_end = vms_stream_offset(c->s) == c->ram_end;
            return c->jumped && !c->ram_seen_end ? RETRY : 0;
        }
    }
}

/* ---- registers ------------------------------------------------------------ */

/* "0x…" (maybe followed by " (-1)") or "00 00 03 c5" (big-endian bytes). */
bool vms__json_u64(const json_t *v, uint64_t *out)
{
    const char *s = json_string_value(v);
    char *end;

    if (!s) {
        if (json_is_integer(v)) {
            *out = (uint64_t)json_integer_value(v);
            return true;
        }
        return false;
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        errno = 0;
        *out = strtoull(s, &end, 16);
        return errno == 0 && end != s + 2 && (*end == '\0' || *end == ' ');
    }
    uint8_t b[8];
    size_t n = hex_bytes(s, b, sizeof(b));
    if (n == 0 || n > 8) {
        return false;
    }
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        *out = (*out << 8) | b[i];
    }
    return true;
}

typedef struct regs_ctx {
    core *c;
    unsigned cpu;
    int e;
} regs_ctx;

static uint64_t field(regs_ctx *x, const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    uint64_t n = 0;

    if (!x->e && (!v || !vms__json_u64(v, &n))) {
        x->e = core_fail(x->c, VMS_EFORMAT, "section 'cpu' instance %u: no "
                         "number in field '%s'", x->cpu, name);
    }
    return n;
}

static void array(regs_ctx *x, const json_t *obj, const char *name,
                  uint64_t *out, size_t n)
{
    const json_t *a = json_object_get(obj, name);

    if (!x->e && (!json_is_array(a) || json_array_size(a) < n)) {
        x->e = core_fail(x->c, VMS_EFORMAT, "section 'cpu' instance %u: "
                         "field '%s' is not an array of %zu numbers", x->cpu,
                         name, n);
    }
    for (size_t i = 0; !x->e && i < n; i++) {
        if (!vms__json_u64(json_array_get(a, i), &out[i])) {
            x->e = core_fail(x->c, VMS_EFORMAT, "section 'cpu' instance %u: "
                             "%s[%zu] is not a number", x->cpu, name, i);
        }
    }
}

static void seg(regs_ctx *x, const json_t *s, const char *name,
                vms__x86_seg *out)
{
    if (!x->e && !json_is_object(s)) {
        x->e = core_fail(x->c, VMS_EFORMAT, "section 'cpu' instance %u: no "
                         "segment '%s'", x->cpu, name);
        return;
    }
    out->selector = (uint32_t)field(x, s, "selector");
    out->limit = (uint32_t)field(x, s, "limit");
    out->flags = (uint32_t)field(x, s, "flags");
    out->base = field(x, s, "base");
}

static int x86_regs(core *c, unsigned i, const json_t *st, vms__x86_cpu *r)
{
    regs_ctx x = { c, i, 0 };
    const json_t *segs = json_object_get(st, "env.segs");

    array(&x, st, "env.regs", r->regs, 16);
    r->eip = field(&x, st, "env.eip");
    r->eflags = field(&x, st, "env.eflags");
    r->hflags = (uint32_t)field(&x, st, "env.hflags");
    if (!x.e && (!json_is_array(segs) || json_array_size(segs) != 6)) {
        return core_fail(c, VMS_EFORMAT, "section 'cpu' instance %u: "
                         "'env.segs' is not 6 segments", i);
    }
    for (int s = 0; s < 6 && !x.e; s++) {
        seg(&x, json_array_get(segs, (size_t)s), "env.segs", &r->segs[s]);
    }
    seg(&x, json_object_get(st, "env.ldt"), "env.ldt", &r->ldt);
    seg(&x, json_object_get(st, "env.tr"), "env.tr", &r->tr);
    seg(&x, json_object_get(st, "env.gdt"), "env.gdt", &r->gdt);
    seg(&x, json_object_get(st, "env.idt"), "env.idt", &r->idt);
    r->cr[0] = field(&x, st, "env.cr[0]");
    r->cr[1] = 0;   /* not migrated; QEMU never sets it */
    r->cr[2] = field(&x, st, "env.cr[2]");
    r->cr[3] = field(&x, st, "env.cr[3]");
    r->cr[4] = field(&x, st, "env.cr[4]");
    r->kernelgsbase = field(&x, st, "env.kernelgsbase");
    return x.e;
}

static int arm_regs(core *c, unsigned i, const json_t *st, vms__arm_cpu *r)
{
    regs_ctx x = { c, i, 0 };
    const json_t *vfp = json_object_get(st, "cpu/vfp");
    const json_t *idx = json_object_get(st, "cpreg_vmstate_indexes");
    const json_t *val = json_object_get(st, "cpreg_vmstate_values");
    uint64_t cpsr;

    if (json_object_get(st, "cpu/sve")) {
        return core_fail(c, VMS_EUNSUPPORTED, "section 'cpu' instance %u: "
                         "the CPU has SVE, whose NT_ARM_SVE note is not "
                         "written", i);
    }
    array(&x, st, "env.xregs", r->xregs, 32);
    r->pc = field(&x, st, "env.pc");
    cpsr = field(&x, st, "cpsr");
    if (x.e) {
        return x.e;
    }
    /* machine.c put_cpsr: pstate_read() in AArch64 state (nRW clear) */
    if (cpsr & 0x10) {
        return core_fail(c, VMS_EUNSUPPORTED, "section 'cpu' instance %u: "
                         "the CPU is in AArch32 state (cpsr 0x%" PRIx64 "), "
                         "which is not supported", i, cpsr);
    }
    r->pstate = (uint32_t)cpsr;
    if (!json_is_object(vfp)) {
        return core_fail(c, VMS_EFORMAT, "section 'cpu' instance %u: no "
                         "'cpu/vfp' subsection", i);
    }
    for (int q = 0; q < 32 && !x.e; q++) {
        char name[40];
        snprintf(name, sizeof(name), "env.vfp.zregs[%d].d", q);
        array(&x, vfp, name, &r->vregs[2 * q], 2);
    }
    r->fpscr = (uint32_t)field(&x, vfp, "fpscr");
    if (x.e) {
        return x.e;
    }
    /* cpu_get_dump_info: big-endian when SCTLR_EL1.EE (KVM id of SCTLR_EL1) */
    for (size_t k = 0; json_is_array(idx) && k < json_array_size(idx); k++) {
        uint64_t id, v;
        if (vms__json_u64(json_array_get(idx, k), &id) && id == 0x603000000013c080ull &&
            vms__json_u64(json_array_get(val, k), &v) && (v & (1u << 25))) {
            return core_fail(c, VMS_EUNSUPPORTED, "section 'cpu' instance "
                             "%u: big-endian guest (SCTLR_EL1.EE): not "
                             "supported", i);
        }
    }
    return 0;
}

static int cpus(core *c)
{
    bool arm = strncmp(c->cfg.machine, "virt", 4) == 0;

    if (!c->ncpu) {
        return core_fail(c, VMS_EFORMAT, "the stream has no 'cpu' section");
    }
    for (unsigned i = 0; i < c->ncpu; i++) {
        if (!c->cpu[i]) {
            return core_fail(c, VMS_EFORMAT, "no 'cpu' section of instance "
                             "%u (of %u)", i, c->ncpu);
        }
    }
    c->cpus.n = c->ncpu;
    c->cpus.arch = arm ? VMS__ARCH_ARM64 : VMS__ARCH_X86;
    if (arm) {
        if (!(c->cpus.arm = calloc(c->ncpu, sizeof(*c->cpus.arm)))) {
            return core_fail(c, VMS_ENOMEM, "out of memory");
        }
    } else if (!(c->cpus.x86 = calloc(c->ncpu, sizeof(*c->cpus.x86)))) {
        return core_fail(c, VMS_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < c->ncpu; i++) {
        int e = arm ? arm_regs(c, i, c->cpu[i], &c->cpus.arm[i])
                    : x86_regs(c, i, c->cpu[i], &c->cpus.x86[i]);
        if (e) {
            return e;
        }
    }
    return 0;
}

/* ---- the whole ------------------------------------------------------------ */

static int layout_and_open(core *c)
{
    uint8_t *hdr = NULL;
    size_t hdr_len = 0;
    uint64_t tail = 0;
    int e;

    if (c->o->memory_map) {
        e = vms__memmap_file(c->o->memory_map, c->blocks, c->nblocks, &c->map,
                             c->err);
    } else {
        vms__mm_machine m = {
            .machine = c->cfg.machine,
            .blocks = c->blocks,
            .nblocks = c->nblocks,
            .host_cfg = c->have_host_cfg ? c->host_cfg : NULL,
            .host_cfg_len = c->have_host_cfg ? sizeof(c->host_cfg) : 0,
            .pci = c->pci,
            .npci = c->npci,
        };
        e = vms__memmap_machine(&m, &c->map, c->err);
        if (e) {
            vms_error_set_file(c->err, c->o->file);
        }
    }
    if (e) {
        return e;
    }
    if (c->o->format != VMS_CORE_RAW) {
        if ((e = cpus(c))) {
            return e;
        }
        if (!(hdr = vms__elf_headers(&c->cpus, &c->map, &hdr_len, &tail))) {
            return core_fail(c, VMS_ENOMEM, "out of memory");
        }
        c->out_size = tail + sizeof(vms__elf_shstrtab);
    } else {
        const vms__mm_range *l = &c->map.r[c->map.n - 1];
        c->out_size = l->paddr + l->size;
    }
    if ((e = vms_outfile_create(&c->out, c->o->output,
                                c->o->force ? VMS_OUT_FORCE : 0, c->err))) {
        free(hdr);
        return e;
    }
    c->out_open = true;
    c->wfd = c->out.fd;
    if (c->o->format == VMS_CORE_KDUMP) {
        /* the ELF core first, unnamed, beside the output (sparse: not
           in a tmpfs /tmp, where its bytes would be RAM) */
        c->wfd = openat(c->out.dirfd, ".", O_TMPFILE | O_RDWR, 0600);
        if (c->wfd < 0) {
            free(hdr);
            return vms_error_set(c->err, VMS_EIO, "%s: cannot make a "
                                 "temporary file beside it: %s",
                                 c->o->output, strerror(errno));
        }
    }
    if (ftruncate(c->wfd, (off_t)c->out_size) != 0) {
        free(hdr);
        return vms_error_set(c->err, VMS_EIO, "%s: %s", c->o->output,
                             strerror(errno));
    }
    if (hdr) {
        e = out_pwrite(c, hdr, hdr_len, 0);
        if (!e) {
            e = out_pwrite(c, vms__elf_shstrtab, sizeof(vms__elf_shstrtab),
                           tail);
        }
        free(hdr);
    }
    return e;
}

/*
 * The kdump file from the finished ELF core. Page size and phys_base as
 * QEMU's cpu_get_dump_info gives them: x86 the target page (4 KiB) and 0;
 * aarch64 64 KiB ("aarch64 max pagesize") and the lowest RAM address.
 */
static void kdump_tick(void *opaque, uint64_t done, uint64_t total)
{
    core *c = opaque;

    if (c->o->progress && total) {
        uint64_t all = c->in_size + 2 * c->ram_end;
        c->o->progress(c->o->progress_opaque, c->in_size + c->ram_end +
                       (uint64_t)((double)done / (double)total *
                                  (double)c->ram_end), all);
    }
}

static int write_kdump(core *c)
{
    size_t nsz = vms__elf_notes_size(&c->cpus);
    uint8_t *notes = malloc(nsz ? nsz : 1);
    bool arm = c->cpus.arch == VMS__ARCH_ARM64;
    int e;

    if (!notes) {
        return core_fail(c, VMS_ENOMEM, "out of memory");
    }
    vms__elf_notes(&c->cpus, notes);
    vms__kdump_in in = {
        .map = &c->map,
        .src_fd = c->wfd,
        .notes = notes,
        .notes_size = nsz,
        .ncpus = c->cpus.n,
        .uname_machine = arm ? "aarch64" : "x86_64",
        .page_size = arm ? 65536 : 4096,
        .phys_base = arm ? c->map.r[0].paddr : 0,
        .progress = kdump_tick,
        .progress_opaque = c,
    };
    e = vms__kdump_write(&in, c->out.fd, c->o->output, c->err);
    free(notes);
    return e;
}

/* Everything one attempt made, freed; the options stay. */
static void core_clear(core *c)
{
    if (c->out_open) {
        vms_outfile_abort(&c->out);
    }
    if (c->wfd > 0 && c->wfd != c->out.fd) {
        close(c->wfd);
    }
    vms_ram_free(c->ram);
    vms_stream_close(c->s);
    vms_vmdesc_free(c->vd);
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        json_decref(c->cpu[i]);
    }
    free(c->blocks);
    free(c->pci);
    free(c->cpus.x86);
    free(c->cpus.arm);
    free(c->run);
    free(c->fillpage);
    vms__memmap_free(&c->map);
    *c = (core){ .o = c->o, .err = c->err, .wfd = -1 };
}

/* Both passes and the output; RETRY when pass 1's jump did not hold. */
static int attempt(core *c)
{
    int e;

    c->pass = 1;
    e = pass(c);
    vms_ram_free(c->ram);
    c->ram = NULL;
    vms_stream_close(c->s);
    c->s = NULL;
    if (!e && !c->have_ram) {
        e = core_fail(c, VMS_EFORMAT, "the stream has no RAM section");
    }
    if (!e) {
        e = layout_and_open(c);
    }
    if (!e && (!(c->run = malloc(RUN_MAX)) ||
               !(c->fillpage = malloc(c->page_size)))) {
        e = core_fail(c, VMS_ENOMEM, "out of memory");
    }
    if (!e) {
        c->pass = 2;
        e = pass(c);
    }
    if (e == 0 && c->jumped && !c->ram_seen_end) {
        e = RETRY;
    }
    if (e && c->jumped && e != VMS_ENOMEM) {
        /*
         * Whatever failed after the jump (the device area not one, a map
         * without the device pass 1 jumped over): read it all, so that
         * an error, if any, is the one the whole stream gives.
         */
        return RETRY;
    }
    if (!e) {
        e = flush_all(c);
    }
    if (!e && c->o->format == VMS_CORE_KDUMP) {
        e = write_kdump(c);
    }
    if (!e) {
        tick(c);
        e = vms_outfile_commit(&c->out, c->o->force ? VMS_OUT_FORCE : 0,
                               c->err);
        c->out_open = false;
    }
    return e;
}

int vms_core(const vms_core_opts *o, vms_error *err)
{
    core c = { .o = o, .err = err, .wfd = -1, .may_jump = true };
    int e;

    vms_error_clear(err);
    if (!o || o->version < 1 || !o->file || !o->output ||
        (o->format != VMS_CORE_ELF && o->format != VMS_CORE_RAW &&
         o->format != VMS_CORE_KDUMP)) {
        return vms_error_set(err, VMS_EINVAL, "vms_core: bad options");
    }
    if ((e = attempt(&c)) == RETRY) {
        core_clear(&c);
        vms_error_clear(err);
        e = attempt(&c);
    }
    core_clear(&c);
    return e;
}
