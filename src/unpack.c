/*
 * libvmstate: unpack (pack.h: vms_unpack), the model of a stream
 * (vms_unpack_read) written into a directory: stream.json, the RAM block
 * files, the page log, raw bytes, the vmdesc (doc/vmstate-unpack.1).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include "vmstate/pack.h"
#include "vmstate/visitor.h"
#include "vmstate/json.h"
#include "bytes.h"
#include "table.h"
#include "jsonw.h"
#include "stream_priv.h"
#include "fileio.h"
#include "opts.h"
#include "container.h"
#include "writer.h"
#include "pagelog.h"
#include "ramfile.h"

typedef struct ublock {
    char name[256];
    char fname[256];
    uint64_t length, npages;
    uint32_t *last;            /* per page: 1 + its last log entry, 0 none */
} ublock;

typedef struct unpacker {
    vms_error *err;
    vms_progress_fn progress;
    void *progress_opaque;
    uint64_t size;             /* of the stream, 0 when not known */
    vms_stream *s;
    const char *dir;
    int dirfd, ramfd;
    bool made_dir, made_ram;
    vms_outfile json_of, data_of, raw_of, desc_of, log_of, dump_of;
    bool json_open, data_open, raw_open, desc_open, log_open, dump_open;
    vms_writer *jout;         /* stream.json, under j */
    /* the container's files: container.json, domain.xml, cookie.xml */
    vms_outfile cont_of, xml_of, cookie_of;
    bool cont_open, xml_open, cookie_open;
    vms_jsonw *j;
    vms_writer *data, *raw;
    vms__ramfiles *rf;
    uint32_t page_size;
    ublock *blocks;
    unsigned nblocks;
    vms__log_entry *log;
    size_t nlog, caplog, chunk_first;
    uint8_t *page;             /* scratch: a superseded page */
    unsigned index;            /* of the item in "sections" */
    bool has_vmdesc;
    bool ignore_shared;
} unpacker;

static int jfail(unpacker *u)
{
    /* a write failure's record (file, offset) is the writer's */
    int e = vms_writer_flush(u->jout, u->err);

    return e ? e : vms_error_set(u->err, VMS_EIO, "cannot write stream.json");
}

static int log_add(unpacker *u, const vms__log_entry *l)
{
    if (u->nlog == u->caplog) {
        size_t c = u->caplog ? 2 * u->caplog : 4096;
        vms__log_entry *n = realloc(u->log, c * sizeof(*n));
        if (!n) {
            return vms_error_set(u->err, VMS_ENOMEM, "out of memory");
        }
        u->log = n;
        u->caplog = c;
    }
    u->log[u->nlog++] = *l;
    return 0;
}

static int u_ram_begin(void *opaque, uint32_t page_size, vms_error *err)
{
    unpacker *u = opaque;

    u->page_size = page_size;
    if (!(u->rf = vms__ramfiles_new(u->ramfd, page_size, VMS_OUT_FORCE, err)) ||
        !(u->page = malloc(page_size))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    return 0;
}

static int u_block(void *opaque, unsigned idx, const char *name,
                   uint64_t length, vms_error *err)
{
    unpacker *u = opaque;
    ublock *b;
    int r;

    if (vms__table_fit(&u->blocks, &u->nblocks, idx, sizeof(*b))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    b = &u->blocks[idx];
    if (b->last) {
        return 0;       /* announced again by a later MEM_SIZE */
    }
    snprintf(b->name, sizeof(b->name), "%s", name);
    {
        /* Block files live in DIR/ram under safe, distinct names. */
        char fname[256];
        vms__ramfiles_fname(u->rf, name, NULL, fname);
        snprintf(b->fname, sizeof(b->fname), "%s", fname);
    }
    b->length = length;
    b->npages = (length + u->page_size - 1) / u->page_size;
    if (b->npages >= UINT32_MAX ||
        !(b->last = calloc(b->npages ? b->npages : 1, sizeof(*b->last)))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    r = vms__ramfiles_block(u->rf, idx, b->fname, length, err);
    return r < 0 ? r : 0;
}

static int u_entry(void *opaque, const vms_ram_entry *e, vms_error *err)
{
    unpacker *u = opaque;
    vms__log_entry l = { 0 };
    int r;

    l.kind = VMS__LK_ENTRY;
    l.block = e->idx;
    l.aux = e->length;
    l.aux2 = e->mr_addr;
    l.flags = u->ignore_shared ? VMS__LF_SHARED : 0;
    if (e->mapped_len) {
        l.extra_off = vms_writer_offset(u->data);
        l.extra_len = e->mapped_len;
        if ((r = vms_stream_copy(u->s, e->mapped_off, e->mapped_len,
                                 u->data, err))) {
            return r;
        }
    }
    return log_add(u, &l);
}

static ublock *page_block(unpacker *u, unsigned idx, uint64_t addr,
                          vms_error *err)
{
    if (idx >= u->nblocks || !u->blocks[idx].last ||
        addr / u->page_size >= u->blocks[idx].npages) {
        vms_error_set(err, VMS_EFORMAT, "RAM page outside the blocks");
        return NULL;
    }
    return &u->blocks[idx];
}

/*
 * A page's new content. When an earlier record sent the page as data and
 * its content changes now, the old content is kept in ramdata.bin, so
 * that pack sends both as they were.
 */
static int u_page(void *opaque, unsigned idx, uint64_t addr,
                  const uint8_t *data, uint8_t fill, vms_error *err)
{
    unpacker *u = opaque;
    ublock *b = page_block(u, idx, addr, err);
    uint32_t prev;
    int e;

    if (!b) {
        return VMS_EFORMAT;
    }
    prev = b->last[addr / u->page_size];
    if (prev && u->log[prev - 1].kind == VMS__LK_PAGE &&
        !(u->log[prev - 1].flags & VMS__LF_SUPERSEDED)) {
        vms__log_entry *l = &u->log[prev - 1];
        bool same;
        if ((e = vms__ramfiles_read(u->rf, idx, addr, u->page, err))) {
            return e;
        }
        same = data ? memcmp(u->page, data, u->page_size) == 0
                    : vms__all_bytes(u->page, u->page_size, fill);
        if (!same) {
            l->flags |= VMS__LF_SUPERSEDED;
            l->extra_off = vms_writer_offset(u->data);
            l->extra_len = u->page_size;
            if ((e = vms_write_bytes(u->data, u->page, u->page_size, err))) {
                return e;
            }
        }
    }
    return vms__ramfiles_page(u->rf, idx, addr, data, fill, err);
}

static int u_old_page(void *opaque, unsigned idx, uint64_t addr,
                      uint8_t *buf, vms_error *err)
{
    unpacker *u = opaque;

    return vms__ramfiles_read(u->rf, idx, addr, buf, err);
}

static int u_record(void *opaque, const vms_ram_record *r, vms_error *err)
{
    unpacker *u = opaque;
    uint64_t flags = r->word & (uint64_t)(u->page_size - 1);
    uint64_t addr = r->word & ~(uint64_t)(u->page_size - 1);
    vms__log_entry l = { .word = r->word, .block = r->block,
                    .named = r->named, .fill = r->fill };
    int e;

    if (flags & VMS_RAM_ZERO) {
        l.kind = VMS__LK_ZERO;
    } else if (flags & VMS_RAM_PAGE) {
        l.kind = VMS__LK_PAGE;
    } else if (flags & (VMS_RAM_XBZRLE | VMS_RAM_COMPRESS_PAGE)) {
        l.kind = (flags & VMS_RAM_XBZRLE) ? VMS__LK_XBZRLE : VMS__LK_COMPRESS;
        l.extra_off = vms_writer_offset(u->data);
        l.extra_len = r->payload_len;
        l.aux = r->data ? vms__page_hash(r->data, u->page_size) : 0;
        if ((e = vms_write_bytes(u->data, r->payload, r->payload_len,
                                 err))) {
            return e;
        }
    } else {
        l.kind = VMS__LK_WORD;
        return log_add(u, &l);
    }
    ublock *b = page_block(u, r->block, addr, err);
    if (!b) {
        return VMS_EFORMAT;
    }
    if ((e = log_add(u, &l))) {
        return e;
    }
    b->last[addr / u->page_size] = (uint32_t)u->nlog;
    return 0;
}

static const char *const rec_names[] = {
    [VMS_REC_EOF] = "EOF",
    [VMS_REC_SECTION_START] = "START",
    [VMS_REC_SECTION_PART] = "PART",
    [VMS_REC_SECTION_END] = "END",
    [VMS_REC_SECTION_FULL] = "FULL",
    [VMS_REC_CONFIGURATION] = "configuration",
    [VMS_REC_COMMAND] = "command",
};

/* "name": [offset, length] of bytes copied into raw.bin. */
static int u_raw(unpacker *u, const char *key, uint64_t off, uint64_t len)
{
    uint64_t at = vms_writer_offset(u->raw);
    int e = vms_stream_copy(u->s, off, len, u->raw, u->err);

    if (e) {
        return e;
    }
    if (vms_jsonw_key(u->j, key) || vms_jsonw_begin_array(u->j) ||
        vms_jsonw_uint(u->j, at) || vms_jsonw_uint(u->j, len) ||
        vms_jsonw_end_array(u->j)) {
        return jfail(u);
    }
    return 0;
}

static int u_config(unpacker *u, const vms_unpack_item *it)
{
    const vms_config *c = it->cfg;
    vms_jsonw *j = u->j;
    int e = vms__jsonw_kv_str(j, 0, "machine", c->machine);

    u->ignore_shared = vms__config_has_cap(c, "x-ignore-shared");
    if (!e && c->target_page_bits) {
        e = vms__jsonw_kv_int(j, e, "target_page_bits", c->target_page_bits);
    }
    if (!e && c->ncaps) {
        e = vms_jsonw_key(j, "capabilities");
        e = e ? e : vms_jsonw_begin_array(j);
        for (uint32_t i = 0; !e && i < c->ncaps; i++) {
            e = vms_jsonw_string(j, c->caps[i]);
        }
        e = e ? e : vms_jsonw_end_array(j);
    }
    if (!e && c->has_uuid) {
        e = vms_jsonw_key(j, "uuid");
        e = e ? e : vms_jsonw_hex_bytes(j, c->uuid, 16);
    }
    if (e) {
        return jfail(u);
    }
    /* The decoded values above are for people: pack sends these bytes. */
    return u_raw(u, "raw", it->body_off, it->body_len);
}

static int u_item(void *opaque, const vms_unpack_item *it, vms_error *err)
{
    unpacker *u = opaque;
    vms_jsonw *j = u->j;
    const vms_record *rec = &it->rec;
    const char *type = (unsigned)rec->type < VMS__ARRAY_SIZE(rec_names)
                           ? rec_names[rec->type] : NULL;
    int e;

    (void)err;
    if (it->body == VMS_BODY_TAIL) {
        type = "tail";
    }
    if (!type) {
        return vms_error_set(u->err, VMS_EFORMAT, "record type 0x%x",
                             rec->type);
    }
    e = vms_jsonw_begin_object(j);
    e = vms__jsonw_kv_str(j, e, "type", type);
    if (e) {
        return jfail(u);
    }
    u->index++;
    if (it->body == VMS_BODY_TAIL) {
        e = u_raw(u, "raw", it->body_off, it->body_len);
        return e ? e : vms_jsonw_end_object(j) ? jfail(u) : 0;
    }
    switch (rec->type) {
    case VMS_REC_CONFIGURATION:
        if ((e = u_config(u, it))) {
            return e;
        }
        break;
    case VMS_REC_COMMAND:
        e = vms__jsonw_kv_int(j, 0, "command", rec->command);
        break;
    case VMS_REC_EOF:
        u->has_vmdesc = it->vmdesc != NULL;
        if (it->vmdesc &&
            vms__fd_write_all(u->desc_of.fd, it->vmdesc, it->vmdesc_len)) {
            vms_error_set_file(u->err, "vmdesc.json");
            return vms_error_set(u->err, VMS_EIO, "write failed: %s",
                                 strerror(errno));
        }
        break;
    default:
        e = vms__jsonw_kv_int(j, 0, "section_id", rec->section_id);
        /* PART/END: the START's names, for people (pack ignores them). */
        e = vms__jsonw_kv_str(j, e, "idstr", rec->idstr);
        e = vms__jsonw_kv_int(j, e, "instance_id", rec->instance_id);
        e = vms__jsonw_kv_int(j, e, "version_id", rec->version_id);
        if (e) {
            return jfail(u);
        }
        if (it->body == VMS_BODY_DEVICE) {
            vms_visitor *v = vms_json_state_output_new(j, u->err);
            if (!v || vms_jsonw_key(j, "fields")) {
                vms_visitor_free(v);
                return v ? jfail(u) : VMS_ENOMEM;
            }
            e = vms_walk(v, it->desc, it->state, 0, u->err);
            vms_visitor_free(v);
            if (e) {
                return e;
            }
        } else if (it->body == VMS_BODY_RAM) {
            e = vms_jsonw_key(j, "ram_log");
            e = e ? e : vms_jsonw_begin_array(j);
            e = e ? e : vms_jsonw_uint(j, u->chunk_first);
            e = e ? e : vms_jsonw_uint(j, u->nlog - u->chunk_first);
            e = e ? e : vms_jsonw_end_array(j);
            u->chunk_first = u->nlog;
            if (e) {
                return jfail(u);
            }
            if (u->rf && (e = vms__ramfiles_flush(u->rf, u->err))) {
                return e;
            }
        } else if ((e = u_raw(u, "raw", it->body_off, it->body_len))) {
            return e;
        }
        if (it->note && vms__jsonw_kv_str(j, 0, "note", it->note)) {
            return jfail(u);
        }
        e = vms_jsonw_key(j, "footer");
        e = e ? e : vms_jsonw_bool(j, it->footer);
        break;
    }
    if (e || vms_jsonw_end_object(j)) {
        return jfail(u);
    }
    return 0;
}

/* Refuse a non-empty directory unless forced; create a missing one. */
static int open_outdir(const char *dir, unsigned flags, bool *made,
                       vms_error *err)
{
    struct stat st;
    int fd;

    *made = false;
    if (lstat(dir, &st) == 0) {
        DIR *dp;
        struct dirent *de;
        bool empty = true;
        if (!S_ISDIR(st.st_mode)) {
            vms_error_set_file(err, dir);
            return vms_error_set(err, VMS_EEXIST, "exists and is not a "
                                 "directory");
        }
        if (!(flags & VMS_PACK_FORCE) && (dp = opendir(dir))) {
            while ((de = readdir(dp))) {
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                    empty = false;
                    break;
                }
            }
            closedir(dp);
            if (!empty) {
                vms_error_set_file(err, dir);
                return vms_error_set(err, VMS_EEXIST, "directory is not "
                                     "empty (--force writes into it)");
            }
        }
    } else if (mkdir(dir, 0777) != 0) {
        vms_error_set_file(err, dir);
        return vms_error_set(err, VMS_EIO, "cannot create: %s",
                             strerror(errno));
    } else {
        *made = true;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        vms_error_set_file(err, dir);
        vms_error_set(err, VMS_EIO, "cannot open: %s", strerror(errno));
        if (*made) {
            rmdir(dir);
        }
    }
    return fd;
}

static int u_open(unpacker *u, vms_outfile *o, bool *open, const char *name)
{
    int e = vms_outfile_open(o, u->dirfd, name, VMS_OUT_FORCE, u->err);

    if (e) {
        vms__error_outfile(u->err, u->dir, name);
    }
    *open = e == 0;
    return e;
}

/* One file of DIR with the bytes of text (written now, committed last). */
static int u_text(unpacker *u, vms_outfile *o, bool *open, const char *name,
                  const char *text)
{
    int e = u_open(u, o, open, name);

    if (!e && vms__fd_write_all(o->fd, text, strlen(text))) {
        vms__error_outfile(u->err, u->dir, name);
        e = vms_error_set(u->err, VMS_EIO, "write failed: %s",
                          strerror(errno));
    }
    return e;
}

/*
 * What the stream came in (input.h): for a libvirt image, its domain XML
 * (domain.xml), its cookie (cookie.xml) and its header's facts
 * (container.json), which pack writes back; for a qcow2 snapshot, which
 * one it was (container.json; pack writes a bare stream: qcow2 images
 * are only read). A bare stream has no container.json.
 */
static int u_container(unpacker *u)
{
    const vms_input_info *in = vms_stream_input_info(u->s);
    vms_writer *out;
    vms_jsonw *j;
    int e = 0;

    if (in->container == VMS_CONTAINER_STREAM) {
        return 0;
    }
    if (in->container == VMS_CONTAINER_LIBVIRT &&
        ((e = u_text(u, &u->xml_of, &u->xml_open, "domain.xml",
                     in->xml ? in->xml : "")) ||
         (in->cookie && (e = u_text(u, &u->cookie_of, &u->cookie_open,
                                    "cookie.xml", in->cookie))))) {
        return e;
    }
    if ((e = u_open(u, &u->cont_of, &u->cont_open, "container.json"))) {
        return e;
    }
    out = vms_writer_fd(u->cont_of.fd, "container.json", u->err);
    j = out ? vms_jsonw_new(out, VMS_JSONW_PRETTY, 4, u->err) : NULL;
    if (!j) {
        vms_writer_close(out, NULL);
        return u->err ? u->err->code : VMS_ENOMEM;
    }
    e = vms_jsonw_begin_object(j);
    e = vms__jsonw_kv_str(j, e, "format", "vmstate-container");
    e = vms__jsonw_kv_int(j, e, "format_version", 1);
    if (in->container == VMS_CONTAINER_LIBVIRT) {
        e = vms__jsonw_kv_str(j, e, "container", "libvirt");
        e = vms__jsonw_kv_int(j, e, "version", in->libvirt_version);
        e = vms__jsonw_kv_int(j, e, "data_len", in->data_len);
        e = vms__jsonw_kv_int(j, e, "was_running", in->was_running);
        e = vms__jsonw_kv_str(j, e, "compression",
                             vms_compression_name(in->compression));
        e = vms__jsonw_kv_str(j, e, "xml", "domain.xml");
        e = e ? e : vms_jsonw_key(j, "cookie");
        e = e ? e : in->cookie ? vms_jsonw_string(j, "cookie.xml")
                               : vms_jsonw_null(j);
    } else {
        const vms_qcow2_snapshot *sn = &in->snapshots[in->snapshot];
        e = vms__jsonw_kv_str(j, e, "container", "qcow2");
        e = vms__jsonw_kv_str(j, e, "snapshot_id", sn->id);
        e = vms__jsonw_kv_str(j, e, "snapshot_name", sn->name);
    }
    e = e ? e : vms_jsonw_end_object(j);
    e = e ? e : vms_jsonw_text(j, "\n", 1);
    e = e ? e : vms_jsonw_flush(j);
    vms_jsonw_free(j);
    /* a write failure's record (offset, errno's text) is the writer's */
    if (vms_writer_close(out, u->err) && !e) {
        e = VMS_EIO;
    }
    if (e) {
        vms__error_outfile(u->err, u->dir, "container.json");
        return u->err && u->err->code ? u->err->code
                                      : vms_error_set(u->err, e,
                                                      "write failed");
    }
    return 0;
}

static int u_finish(unpacker *u)
{
    vms_jsonw *j = u->j;
    vms_writer *lw;
    uint8_t hdr[VMS__LOG_HEADER], ent[VMS__LOG_ENTRY];
    int e;

    e = vms_jsonw_end_array(j);
    e = vms__jsonw_kv_int(j, e, "page_size", u->page_size);
    e = e ? e : vms_jsonw_key(j, "ram_blocks");
    e = e ? e : vms_jsonw_begin_array(j);
    for (unsigned i = 0; !e && i < u->nblocks; i++) {
        char file[300], len[24];
        snprintf(file, sizeof(file), VMS__RAM_SUBDIR "/%s",
                 u->blocks[i].fname);
        snprintf(len, sizeof(len), "0x%016" PRIx64, u->blocks[i].length);
        e = vms_jsonw_begin_object(j);
        e = vms__jsonw_kv_str(j, e, "name", u->blocks[i].name);
        e = vms__jsonw_kv_str(j, e, "file", file);
        e = vms__jsonw_kv_str(j, e, "length", len);
        e = e ? e : vms_jsonw_end_object(j);
    }
    e = e ? e : vms_jsonw_end_array(j);
    e = vms__jsonw_kv_str(j, e, "ram_log", "ramlog.bin");
    e = vms__jsonw_kv_str(j, e, "ram_data", "ramdata.bin");
    e = vms__jsonw_kv_str(j, e, "raw", "raw.bin");
    e = e ? e : vms_jsonw_key(j, "vmdesc");
    e = e ? e : u->has_vmdesc ? vms_jsonw_string(j, "vmdesc.json")
                              : vms_jsonw_null(j);
    e = e ? e : vms_jsonw_key(j, "dump");
    e = e ? e : u->dump_open ? vms_jsonw_string(j, "dump.json")
                             : vms_jsonw_null(j);
    e = e ? e : vms_jsonw_end_object(j);
    e = e ? e : vms_jsonw_text(j, "\n", 1);
    e = e ? e : vms_jsonw_flush(j);
    if (e) {
        return jfail(u);
    }
    /* The page log, with each page's last record marked. */
    for (unsigned i = 0; i < u->nblocks; i++) {
        for (uint64_t p = 0; p < u->blocks[i].npages; p++) {
            if (u->blocks[i].last[p]) {
                u->log[u->blocks[i].last[p] - 1].flags |= VMS__LF_LAST;
            }
        }
    }
    if ((e = u_open(u, &u->log_of, &u->log_open, "ramlog.bin"))) {
        return e;
    }
    if (!(lw = vms_writer_fd(u->log_of.fd, "ramlog.bin", u->err))) {
        return VMS_ENOMEM;
    }
    vms__log_header(hdr);
    e = vms_write_bytes(lw, hdr, sizeof(hdr), u->err);
    for (size_t i = 0; !e && i < u->nlog; i++) {
        vms__log_encode(&u->log[i], ent);
        e = vms_write_bytes(lw, ent, sizeof(ent), u->err);
    }
    if (vms_writer_close(lw, u->err) && !e) {
        e = VMS_EIO;
    }
    e = e ? e : vms_writer_close(u->data, u->err);
    u->data = NULL;
    e = e ? e : vms_writer_close(u->raw, u->err);
    u->raw = NULL;
    if (e) {
        return e;
    }
    if (u->rf && (e = vms__ramfiles_commit(u->rf, u->err))) {
        return e;
    }
    if (!u->has_vmdesc) {
        vms_outfile_abort(&u->desc_of);
        u->desc_open = false;
    }
    struct { vms_outfile *o; bool *open; } all[] = {
        { &u->desc_of, &u->desc_open }, { &u->data_of, &u->data_open },
        { &u->raw_of, &u->raw_open }, { &u->log_of, &u->log_open },
        { &u->dump_of, &u->dump_open }, { &u->xml_of, &u->xml_open },
        { &u->cookie_of, &u->cookie_open }, { &u->cont_of, &u->cont_open },
        { &u->json_of, &u->json_open },
    };
    /* an earlier unpack's container files do not describe this stream */
    const char *const stale[] = { "domain.xml", "cookie.xml",
                                  "container.json" };
    bool *made[] = { &u->xml_open, &u->cookie_open, &u->cont_open };
    for (size_t i = 0; !e && i < VMS__ARRAY_SIZE(stale); i++) {
        if (!*made[i]) {
            unlinkat(u->dirfd, stale[i], 0);
        }
    }
    for (size_t i = 0; !e && i < VMS__ARRAY_SIZE(all); i++) {
        if (*all[i].open) {
            *all[i].open = false;
            e = vms_outfile_commit(all[i].o, VMS_OUT_FORCE, u->err);
        }
    }
    return e;
}

static void u_tick(void *opaque)
{
    unpacker *u = opaque;

    if (u->progress) {
        u->progress(u->progress_opaque, vms_stream_offset(u->s), u->size);
    }
}

/* The dump's bytes (for DIR/dump.json) and the dump read from them. */
static int u_dump(unpacker *u, const char *path, vms_dump **dump)
{
    char *buf;
    size_t len;
    int e;

    if ((e = vms__read_file(path, VMS_LIMIT_DUMP_SIZE, "dump",
                            "VMS_LIMIT_DUMP_SIZE", &buf, &len, u->err))) {
        return e;
    }
    e = vms_dump_load_buffer(buf, len, path, dump, u->err);
    if (!e && !(e = u_open(u, &u->dump_of, &u->dump_open, "dump.json")) &&
        vms__fd_write_all(u->dump_of.fd, buf, len)) {
        vms_error_set_file(u->err, "dump.json");
        e = vms_error_set(u->err, VMS_EIO, "write failed: %s",
                          strerror(errno));
    }
    free(buf);
    return e;
}

int vms_unpack(const char *stream, const char *dir,
               const vms_unpack_opts *opts, vms_error *err)
{
    static const vms_unpack_opts defaults = VMS_UNPACK_OPTS_INIT;
    const vms_unpack_opts *o = opts ? opts : &defaults;
    const char *dump_file = o->dump_file;
    unsigned flags = o->flags;
    vms_dump *dump = NULL;
    unpacker u = { .err = err, .dir = dir, .dirfd = -1, .ramfd = -1,
                   .progress = o->progress,
                   .progress_opaque = o->progress_opaque };
    int64_t size;
    vms_ram_sink sink = {
        .opaque = &u,
        .want_data = true,
        .block = u_block,
        .page = u_page,
        .old_page = u_old_page,
        .entry = u_entry,
        .record = u_record,
        .tick = u_tick,
    };
    vms_unpack_ops ops = { .opaque = &u, .item = u_item, .ram = &sink,
                           .ram_begin = u_ram_begin };
    vms_input_opts in_opts;
    int e;

    if ((e = vms__opts_version(o->version, VMS_UNPACK_OPTS_VERSION,
                               "vms_unpack_opts", err))) {
        return e;
    }
    /*
     * Bodies are read back: a compressed image is made seekable (decoded
     * twice, input.h), never copied to a temporary file.
     */
    vms__input_opts_seekable(o->version >= 2 ? o->input : NULL, &in_opts);
    if (!(u.s = vms_stream_open_input(stream, &in_opts, err))) {
        return err ? err->code : VMS_EIO;
    }
    size = vms_reader_size(vms_stream_reader(u.s));
    u.size = size > 0 ? (uint64_t)size : 0;
    if ((u.dirfd = open_outdir(dir, flags, &u.made_dir, err)) < 0) {
        vms_stream_close(u.s);
        return err ? err->code : VMS_EIO;
    }
    if (mkdirat(u.dirfd, VMS__RAM_SUBDIR, 0777) == 0) {
        u.made_ram = true;
    } else if (errno != EEXIST) {
        /* say why (a read-only DIR), not what openat finds missing after */
        vms__error_outfile(err, dir, VMS__RAM_SUBDIR);
        e = vms_error_set(err, VMS_EIO, "cannot create: %s", strerror(errno));
        goto out;
    }
    u.ramfd = openat(u.dirfd, VMS__RAM_SUBDIR,
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (u.ramfd < 0) {
        vms__error_outfile(err, dir, VMS__RAM_SUBDIR);
        e = vms_error_set(err, VMS_EIO, "cannot open: %s", strerror(errno));
        goto out;
    }
    if ((e = u_open(&u, &u.json_of, &u.json_open, "stream.json")) ||
        (e = u_open(&u, &u.data_of, &u.data_open, "ramdata.bin")) ||
        (e = u_open(&u, &u.raw_of, &u.raw_open, "raw.bin")) ||
        (e = u_open(&u, &u.desc_of, &u.desc_open, "vmdesc.json")) ||
        (dump_file && (e = u_dump(&u, dump_file, &dump))) ||
        (e = u_container(&u))) {
        goto out;
    }
    ops.dump = dump;
    u.jout = vms_writer_fd(u.json_of.fd, "stream.json", err);
    u.j = u.jout ? vms_jsonw_new(u.jout, VMS_JSONW_PRETTY, 4, err) : NULL;
    u.data = vms_writer_fd(u.data_of.fd, "ramdata.bin", err);
    u.raw = vms_writer_fd(u.raw_of.fd, "raw.bin", err);
    if (!u.j || !u.data || !u.raw) {
        e = err && err->code ? err->code
                             : vms_error_set(err, VMS_ENOMEM, "out of memory");
        goto out;
    }
    e = vms_jsonw_begin_object(u.j);
    e = vms__jsonw_kv_str(u.j, e, "format", "vmstate-unpack");
    e = vms__jsonw_kv_int(u.j, e, "format_version", 1);
    e = e ? e : vms_jsonw_key(u.j, "sections");
    e = e ? e : vms_jsonw_begin_array(u.j);
    if (e) {
        e = jfail(&u);
        goto out;
    }
    if ((e = vms_unpack_read(u.s, &ops, err)) || (e = u_finish(&u))) {
        goto out;
    }
out:
    vms_jsonw_free(u.j);
    vms_writer_close(u.jout, NULL);
    if (u.data) {
        vms_writer_close(u.data, NULL);
    }
    if (u.raw) {
        vms_writer_close(u.raw, NULL);
    }
    vms__ramfiles_free(u.rf);
    {
        vms_outfile *all[] = { &u.json_of, &u.data_of, &u.raw_of, &u.desc_of,
                               &u.log_of, &u.dump_of, &u.cont_of, &u.xml_of,
                               &u.cookie_of };
        bool *open[] = { &u.json_open, &u.data_open, &u.raw_open,
                         &u.desc_open, &u.log_open, &u.dump_open,
                         &u.cont_open, &u.xml_open, &u.cookie_open };
        for (size_t i = 0; i < VMS__ARRAY_SIZE(all); i++) {
            if (*open[i]) {
                vms_outfile_abort(all[i]);
            }
        }
    }
    if (u.ramfd >= 0) {
        close(u.ramfd);
    }
    if (e && u.made_ram) {
        unlinkat(u.dirfd, VMS__RAM_SUBDIR, AT_REMOVEDIR);
    }
    close(u.dirfd);
    if (e && u.made_dir) {
        rmdir(dir);
    }
    for (unsigned i = 0; i < u.nblocks; i++) {
        free(u.blocks[i].last);
    }
    free(u.blocks);
    free(u.log);
    free(u.page);
    vms_dump_free(dump);
    vms_stream_close(u.s);
    if (e && err && !err->code) {
        err->code = e;
    }
    return e;
}
