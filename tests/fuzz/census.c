/*
 * What the committed fuzz corpora reach: every input of the stream and ram
 * corpora is decoded again, the way their targets feed it, through the
 * library's record-level API (vms_unpack_read, the RAM decoder's record
 * sink), and every record type, section kind, RAM flag and subsection the
 * decoders accepted is counted. A test (TAP) that fails when a kind is
 * never reached, so a corpus minimisation that drops the last input of a
 * kind is caught; the table is what the closing notes quote.
 * Usage: census STREAM_CORPUS_DIR RAM_CORPUS_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

enum {
    /* record types, indexed by their byte; FOOTER and VMDESC below */
    N_REC = 9,
    C_FOOTER = N_REC, C_VMDESC, C_SUBSECTION,
    /* section kinds (START/FULL records) */
    C_RAM, C_DEVICE, C_HTAB, C_STATTR, C_SKEYS, C_BLOCK, C_DIRTY_BITMAP,
    /* RAM flags, in bit order from 0x002 */
    C_ZERO, C_MEM_SIZE, C_PAGE, C_EOS, C_CONTINUE, C_XBZRLE, C_HOOK,
    C_COMPRESS, C_MULTIFD_FLUSH, C_MAPPED_RAM, C_IGNORE_SHARED,
    N_COUNT
};

static const char *const names[N_COUNT] = {
    "record EOF (0x00)", "record SECTION_START (0x01)",
    "record SECTION_PART (0x02)", "record SECTION_END (0x03)",
    "record SECTION_FULL (0x04)", NULL /* 0x05: counted by the walk */,
    NULL /* 0x06: counted with the EOF that carries it */,
    "record CONFIGURATION (0x07)", "record COMMAND (0x08)",
    "section footer (0x7e)", "vmdesc record (0x06)",
    "subsection (0x05) in a decoded device",
    "section kind ram", "section kind device (from the vmdesc)",
    "section kind spapr/htab", "section kind s390-storage_attributes",
    "section kind s390-skeys", "section kind block",
    "section kind dirty-bitmap",
    "RAM flag ZERO (0x002)", "RAM flag MEM_SIZE (0x004)",
    "RAM flag PAGE (0x008)", "RAM flag EOS (0x010)",
    "RAM flag CONTINUE (0x020)", "RAM flag XBZRLE (0x040)",
    "RAM flag HOOK (0x080, refused: RDMA only)",
    "RAM flag COMPRESS_PAGE (0x100)", "RAM flag MULTIFD_FLUSH (0x200)",
    "RAM mapped-ram blocks", "RAM x-ignore-shared blocks",
};

static unsigned long count[N_COUNT];

struct ctx {
    uint32_t page_size;
    bool mapped_ram, ignore_shared;
};

static void count_flags(uint64_t flags)
{
    for (int i = 0; i < 9; i++) {
        if (flags & (0x002u << i)) {
            count[C_ZERO + i]++;
        }
    }
}

static int on_record(void *opaque, const vms_ram_record *r, vms_error *err)
{
    struct ctx *c = opaque;

    (void)err;
    count_flags(r->word & (c->page_size - 1) & 0x3fe);
    return 0;
}

static int on_entry(void *opaque, const vms_ram_entry *e, vms_error *err)
{
    struct ctx *c = opaque;

    (void)e;
    (void)err;
    count[C_MAPPED_RAM] += c->mapped_ram;
    count[C_IGNORE_SHARED] += c->ignore_shared;
    return 0;
}

static int on_ram_begin(void *opaque, uint32_t page_size, vms_error *err)
{
    struct ctx *c = opaque;

    (void)err;
    c->page_size = page_size;
    return 0;
}

/* An output visitor that only notices the subsections a state carries. */
static int on_subsection(vms_visitor *v, const vms_desc *sub,
                         uint32_t *version_id)
{
    (void)v;
    (void)sub;
    (void)version_id;
    count[C_SUBSECTION]++;
    return 0;
}

static const vms_visit_ops subsection_ops = {
    .subsection_begin = on_subsection,
};

static int on_item(void *opaque, const vms_unpack_item *it, vms_error *err)
{
    const vms_record *r = &it->rec;
    struct ctx *c = opaque;

    if (r->type == VMS_REC_CONFIGURATION && it->cfg) {
        for (uint32_t i = 0; i < it->cfg->ncaps && i < 32; i++) {
            c->mapped_ram |= strcmp(it->cfg->caps[i], "mapped-ram") == 0;
            c->ignore_shared |= strcmp(it->cfg->caps[i],
                                       "x-ignore-shared") == 0;
        }
    }
    if (r->type >= 0 && r->type < N_REC && names[r->type]) {
        count[r->type]++;
    }
    if (it->footer) {
        count[C_FOOTER]++;
    }
    if (r->type == VMS_REC_EOF && it->vmdesc) {
        count[C_VMDESC]++;
    }
    if (r->type == VMS_REC_SECTION_START || r->type == VMS_REC_SECTION_FULL) {
        static const int kind[] = {
            [VMS_SECTION_DEVICE] = C_DEVICE, [VMS_SECTION_RAM] = C_RAM,
            [VMS_SECTION_HTAB] = C_HTAB, [VMS_SECTION_STATTR] = C_STATTR,
            [VMS_SECTION_BLOCK] = C_BLOCK,
            [VMS_SECTION_DIRTY_BITMAP] = C_DIRTY_BITMAP,
        };
        enum vms_section_kind k = vms_section_kind(r->idstr, r->instance_id);

        if (strcmp(r->idstr, "s390-skeys") == 0) {
            count[C_SKEYS]++;
        } else if (k != VMS_SECTION_DEVICE || it->body == VMS_BODY_DEVICE) {
            count[kind[k]]++;
        }
    }
    if (it->body == VMS_BODY_DEVICE) {
        vms_visitor v = { .ops = &subsection_ops, .err = err };

        return vms_walk(&v, it->desc, it->state, (int)r->version_id, err);
    }
    return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long n;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) || !(b = malloc((size_t)n + 1)) ||
        fread(b, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "census: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* fuzz_stream's input: an option byte, then a stream. */
static void replay_stream(const uint8_t *d, size_t n)
{
    struct ctx c = { 0 };
    vms_ram_sink sink = { .opaque = &c, .entry = on_entry,
                          .record = on_record };
    vms_unpack_ops ops = { .item = on_item, .ram = &sink,
                           .ram_begin = on_ram_begin };
    vms_error err;
    char path[32];
    vms_stream *s;
    int fd;

    if (n < 1) {
        return;
    }
    fd = fuzz_memfd(d + 1, n - 1, NULL, 0);
    fuzz_fd_path(fd, path);
    vms_error_clear(&err);
    ops.opaque = &c;
    if ((s = vms_stream_open(path, &err))) {
        vms_unpack_read(s, &ops, &err);
        vms_stream_close(s);
    }
    close(fd);
}

/* fuzz_ram's input: its option byte, then RAM section bodies. */
static void replay_ram(const uint8_t *d, size_t n)
{
    struct ctx c = { 0 };
    vms_ram_sink sink = { .opaque = &c, .entry = on_entry,
                          .record = on_record };
    vms_ram_opts o;
    vms_error err;
    char path[32];
    vms_stream *s;
    vms_ram *ram;
    int fd;

    if (n < 1) {
        return;
    }
    fuzz_ram_opts(d[0], &o);
    c.page_size = o.page_size;
    c.mapped_ram = o.mapped_ram;
    c.ignore_shared = o.ignore_shared;
    fd = fuzz_memfd(fuzz_ram_head, sizeof(fuzz_ram_head), d + 1, n - 1);
    fuzz_fd_path(fd, path);
    vms_error_clear(&err);
    s = vms_stream_open(path, &err);
    ram = s ? vms_ram_new(&o, &sink, &err) : NULL;
    while (ram && !vms_reader_at_eof(vms_stream_reader(s))) {
        if (vms_ram_read(ram, s, 4, &err)) {
            /* The decoder saw the flag, and refused it as it must. */
            if (err.code == VMS_EUNSUPPORTED &&
                strstr(err.message, "RAM hook record")) {
                count[C_HOOK]++;
            }
            break;
        }
    }
    vms_ram_free(ram);
    vms_stream_close(s);
    close(fd);
}

static unsigned long replay_dir(const char *dir,
                                void (*replay)(const uint8_t *, size_t))
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    unsigned long files = 0;

    if (!dp) {
        printf("Bail out! cannot open %s\n", dir);
        exit(1);
    }
    while ((de = readdir(dp))) {
        char path[4096];
        uint8_t *b;
        size_t n;

        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        b = slurp(path, &n);
        replay(b, n);
        free(b);
        files++;
    }
    closedir(dp);
    return files;
}

int main(int argc, char **argv)
{
    unsigned long files;
    int failed = 0, n = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: census STREAM_CORPUS RAM_CORPUS\n");
        return 2;
    }
    files = replay_dir(argv[1], replay_stream);
    files += replay_dir(argv[2], replay_ram);
    printf("# %lu corpus inputs replayed\n", files);
    for (int i = 0; i < N_COUNT; i++) {
        if (!names[i]) {
            continue;
        }
        n++;
        failed += count[i] == 0;
        printf("%s %d - %s: %lu\n", count[i] ? "ok" : "not ok", n, names[i],
               count[i]);
    }
    printf("1..%d\n", n);
    return failed != 0;
}
