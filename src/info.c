/*
 * libvmstate: vms_info, what a saved-VM file is (info.h).
 *
 * The report is built as a jansson document and written either as JSON
 * or as qemu-img-info-like text from that one document, so the two
 * never disagree.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "vmstate/info.h"
#include "vmstate/json.h"
#include "vmstate/ram.h"
#include "vmstate/stream.h"
#include "stream_priv.h"
#include "writer.h"

static int nomem(vms_error *err)
{
    return vms_error_set(err, VMS_ENOMEM, "out of memory");
}

/* The domain's name, uuid and os/type@machine, by libxml2. */
static void domain_xml(json_t *o, const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    json_t *d = json_object();

    if (!root || xmlStrcmp(root->name, BAD_CAST "domain") != 0) {
        json_object_set_new(o, "domain_xml", json_string("unreadable"));
        json_decref(d);
        xmlFreeDoc(doc);
        return;
    }
    for (xmlNodePtr n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (!xmlStrcmp(n->name, BAD_CAST "name") ||
            !xmlStrcmp(n->name, BAD_CAST "uuid")) {
            xmlChar *t = xmlNodeGetContent(n);
            json_object_set_new(d, (const char *)n->name,
                                json_string((const char *)t));
            xmlFree(t);
        } else if (!xmlStrcmp(n->name, BAD_CAST "os")) {
            for (xmlNodePtr t = n->children; t; t = t->next) {
                xmlChar *m;
                if (t->type != XML_ELEMENT_NODE ||
                    xmlStrcmp(t->name, BAD_CAST "type")) {
                    continue;
                }
                m = xmlGetProp(t, BAD_CAST "machine");
                if (m) {
                    json_object_set_new(d, "machine",
                                        json_string((const char *)m));
                    xmlFree(m);
                }
            }
        }
    }
    json_object_set_new(o, "domain", d);
    xmlFreeDoc(doc);
}

static void container_json(json_t *o, const vms_input_info *in)
{
    static const char *const kinds[] = { "stream", "libvirt", "qcow2" };

    json_object_set_new(o, "container", json_string(kinds[in->container]));
    if (in->file_size >= 0) {
        json_object_set_new(o, "file_size", json_integer(in->file_size));
    }
    if (in->container == VMS_CONTAINER_LIBVIRT) {
        json_t *l = json_object();
        json_object_set_new(l, "version", json_integer(in->libvirt_version));
        json_object_set_new(l, "compression",
                            json_string(vms_compression_name(in->compression)));
        json_object_set_new(l, "was_running",
                            json_boolean(in->was_running != 0));
        json_object_set_new(l, "data_len", json_integer(in->data_len));
        json_object_set_new(l, "stream_offset",
                            json_integer((json_int_t)in->stream_offset));
        json_object_set_new(l, "cookie", json_boolean(in->cookie != NULL));
        json_object_set_new(o, "libvirt", l);
        if (in->xml) {
            domain_xml(o, in->xml);
        }
    } else if (in->container == VMS_CONTAINER_QCOW2) {
        json_t *q = json_object(), *a = json_array();
        json_object_set_new(q, "version", json_integer(in->qcow2_version));
        json_object_set_new(q, "cluster_size",
                            json_integer((json_int_t)1 << in->cluster_bits));
        json_object_set_new(q, "disk_size",
                            json_integer((json_int_t)in->disk_size));
        json_object_set_new(q, "extended_l2", json_boolean(in->extended_l2));
        json_object_set_new(q, "compression_type",
                            json_string(in->compression_type ? "zstd"
                                                             : "zlib"));
        for (size_t i = 0; i < in->nsnapshots; i++) {
            const vms_qcow2_snapshot *sn = &in->snapshots[i];
            json_t *s = json_object();
            json_object_set_new(s, "id", json_string(sn->id));
            json_object_set_new(s, "name", json_string(sn->name));
            json_object_set_new(s, "vm_state_size",
                                json_integer((json_int_t)sn->vm_state_size));
            json_object_set_new(s, "date_sec", json_integer(sn->date_sec));
            json_object_set_new(s, "vm_clock_nsec",
                                json_integer((json_int_t)sn->vm_clock_nsec));
            json_object_set_new(s, "read", json_boolean((int)i ==
                                                        in->snapshot));
            json_array_append_new(a, s);
        }
        json_object_set_new(q, "snapshots", a);
        json_object_set_new(q, "state_offset",
                            json_integer((json_int_t)in->state_offset));
        json_object_set_new(o, "qcow2", q);
    }
}

typedef struct blocks {
    json_t *arr;
} blocks;

static int on_block(void *opaque, unsigned idx, const char *name,
                    uint64_t length, vms_error *err)
{
    blocks *b = opaque;
    json_t *o = json_object();

    (void)idx;
    (void)err;
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "size", json_integer((json_int_t)length));
    json_array_append_new(b->arr, o);
    return 0;
}

/* The stream's first records: configuration, then the RAM block list. */
static int stream_json(json_t *o, vms_stream *s, vms_error *err)
{
    vms_config cfg;
    vms_record rec;
    json_t *st = json_object();
    blocks b = { json_array() };
    bool have_cfg = false;
    int e;

    memset(&cfg, 0, sizeof(cfg));
    json_object_set_new(o, "stream", st);
    for (int n = 0; n < 64; n++) {
        if ((e = vms_stream_next(s, &rec, &cfg, err))) {
            return e;
        }
        if (rec.type == VMS_REC_CONFIGURATION) {
            have_cfg = true;
            continue;
        }
        if ((rec.type == VMS_REC_SECTION_START ||
             rec.type == VMS_REC_SECTION_FULL) &&
            strcmp(rec.idstr, "ram") == 0) {
            vms_ram_opts ro = {
                .page_size = cfg.target_page_bits
                                 ? 1u << cfg.target_page_bits : 4096,
                .ignore_shared = vms__config_has_cap(&cfg, "x-ignore-shared"),
                .mapped_ram = vms__config_has_cap(&cfg, "mapped-ram"),
            };
            vms_ram_sink sink = { .opaque = &b, .block = on_block };
            vms_ram *ram = vms_ram_new(&ro, &sink, err);
            if (!ram) {
                return err ? err->code : VMS_ENOMEM;
            }
            e = vms_ram_read(ram, s, rec.version_id, err);
            vms_ram_free(ram);
            if (e) {
                return e;
            }
            break;
        }
        if (rec.type != VMS_REC_COMMAND) {
            break;      /* no RAM first: a stream of device state only */
        }
    }
    if (have_cfg) {
        json_object_set_new(st, "machine", json_string(cfg.machine));
        if (cfg.target_page_bits) {
            json_object_set_new(st, "page_size",
                                json_integer(1 << cfg.target_page_bits));
        }
        if (cfg.ncaps) {
            json_t *c = json_array();
            for (uint32_t i = 0; i < cfg.ncaps && i < 32; i++) {
                json_array_append_new(c, json_string(cfg.caps[i]));
            }
            json_object_set_new(st, "capabilities", c);
        }
    }
    json_object_set_new(st, "ram_blocks", b.arr);
    return 0;
}

/* What the description (when found) adds: page size, device sections. */
static void vmdesc_json(json_t *o, vms_stream *s)
{
    json_t *st = json_object_get(o, "stream");
    size_t len;
    const char *d = vms_stream_vmdesc(s, &len);
    json_t *root;

    if (!vms_stream_seekable(s)) {
        json_object_set_new(st, "description", json_string("unknown (read "
                            "from a pipe: it is at the end)"));
        return;
    }
    json_object_set_new(st, "description", json_boolean(d != NULL));
    if (!d || !(root = json_loadb(d, len, 0, NULL))) {
        return;
    }
    json_t *ps = json_object_get(root, "page_size");
    json_t *dev = json_object_get(root, "devices");
    if (json_is_integer(ps) && !json_object_get(st, "page_size")) {
        json_object_set(st, "page_size", ps);
    }
    if (json_is_array(dev)) {
        json_object_set_new(st, "device_sections",
                            json_integer((json_int_t)json_array_size(dev)));
    }
    json_decref(root);
}

/*
 * A machine type's version names the oldest QEMU release that has it:
 * "pc-i440fx-7.2" streams come from QEMU 7.2 or later. Machine types
 * without a version ("none", "s390-ccw-virtio" aliases resolve before
 * they are written) say nothing.
 */
static void version_hint(json_t *o)
{
    json_t *st = json_object_get(o, "stream");
    const char *m = json_string_value(json_object_get(st, "machine"));
    const char *p;
    char buf[160];
    int maj, min;

    if (!m) {
        return;
    }
    p = strrchr(m, '-');
    if (p && sscanf(p + 1, "%d.%d", &maj, &min) == 2) {
        snprintf(buf, sizeof(buf), "QEMU %d.%d or later (machine type %s)",
                 maj, min, m);
    } else if ((p = strstr(m, "virt-")) && sscanf(p + 5, "%d.%d", &maj,
                                                  &min) == 2) {
        snprintf(buf, sizeof(buf), "QEMU %d.%d or later (machine type %s)",
                 maj, min, m);
    } else {
        snprintf(buf, sizeof(buf), "none (machine type %s has no version)",
                 m);
    }
    json_object_set_new(st, "qemu_version_hint", json_string(buf));
}

static void human(char *buf, size_t len, json_int_t v)
{
    static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double d = (double)v;
    unsigned i = 0;

    while (d >= 1024 && i < 4) {
        d /= 1024;
        i++;
    }
    snprintf(buf, len, i ? "%.3g %s" : "%.0f %s", d, u[i]);
}

static void text_out(vms_writer *b, const char *file, json_t *o)
{
    json_t *l = json_object_get(o, "libvirt"), *q = json_object_get(o, "qcow2");
    json_t *dom = json_object_get(o, "domain"), *st = json_object_get(o, "stream");
    char h[32];

/* errors are sticky: the writer's flush reports them */
#define P(...) vms__write_printf(b, NULL, __VA_ARGS__)
    P("file: %s\n", file);
    P("container: %s\n", json_string_value(json_object_get(o, "container")));
    if (l) {
        P("libvirt save image version: %" JSON_INTEGER_FORMAT "\n",
          json_integer_value(json_object_get(l, "version")));
        P("compression: %s\n",
          json_string_value(json_object_get(l, "compression")));
        P("was running: %s\n",
          json_is_true(json_object_get(l, "was_running")) ? "yes" : "no");
        P("stream offset: %" JSON_INTEGER_FORMAT "\n",
          json_integer_value(json_object_get(l, "stream_offset")));
    }
    if (dom) {
        const char *k[] = { "name", "uuid", "machine" };
        for (int i = 0; i < 3; i++) {
            const char *v = json_string_value(json_object_get(dom, k[i]));
            P("domain %s: %s\n", k[i], v ? v : "(none)");
        }
    }
    if (q) {
        json_t *a = json_object_get(q, "snapshots");
        size_t i;
        json_t *s;
        P("qcow2 version: %" JSON_INTEGER_FORMAT "\n",
          json_integer_value(json_object_get(q, "version")));
        human(h, sizeof(h), json_integer_value(json_object_get(q, "disk_size")));
        P("disk size: %s\n", h);
        P("cluster size: %" JSON_INTEGER_FORMAT "\n",
          json_integer_value(json_object_get(q, "cluster_size")));
        P("snapshots:\n%-4s %-8s %-20s %12s\n", "", "ID", "TAG", "VM SIZE");
        json_array_foreach(a, i, s) {
            human(h, sizeof(h),
                  json_integer_value(json_object_get(s, "vm_state_size")));
            P("%-4s %-8s %-20s %12s\n",
              json_is_true(json_object_get(s, "read")) ? "*" : "",
              json_string_value(json_object_get(s, "id")),
              json_string_value(json_object_get(s, "name")), h);
        }
    }
    if (st) {
        json_t *d = json_object_get(st, "description"), *rb, *blk;
        const char *m = json_string_value(json_object_get(st, "machine"));
        size_t i;
        P("machine type: %s\n", m ? m : "(no configuration section)");
        if (json_object_get(st, "page_size")) {
            P("page size: %" JSON_INTEGER_FORMAT "\n",
              json_integer_value(json_object_get(st, "page_size")));
        }
        rb = json_object_get(st, "ram_blocks");
        P("RAM blocks: %zu\n", json_array_size(rb));
        json_array_foreach(rb, i, blk) {
            human(h, sizeof(h),
                  json_integer_value(json_object_get(blk, "size")));
            P("  %-28s %s\n", json_string_value(json_object_get(blk, "name")),
              h);
        }
        P("description: %s\n", json_is_string(d) ? json_string_value(d) :
                               json_is_true(d) ? "present" : "absent");
        if (json_object_get(st, "device_sections")) {
            P("device sections: %" JSON_INTEGER_FORMAT "\n",
              json_integer_value(json_object_get(st, "device_sections")));
        }
        if (json_object_get(st, "qemu_version_hint")) {
            P("QEMU version hint: %s\n", json_string_value(
                  json_object_get(st, "qemu_version_hint")));
        }
    }
#undef P
}

int vms_info(const vms_info_opts *o, vms_error *err)
{
    vms_stream *s;
    json_t *doc;
    vms_buf out = { 0 };
    int e;

    /* version 2 replaced out_fd by out in place: 1 cannot be read */
    if (!o || o->version != VMS_INFO_OPTS_VERSION || !o->file || !o->out) {
        return vms_error_set(err, VMS_EINVAL, "vms_info: bad options");
    }
    s = vms_stream_open_input(o->file, o->input, err);
    if (!s) {
        return err ? err->code : VMS_EIO;
    }
    doc = json_object();
    if (!doc) {
        vms_stream_close(s);
        return nomem(err);
    }
    container_json(doc, vms_stream_input_info(s));
    e = stream_json(doc, s, err);
    if (!e) {
        vmdesc_json(doc, s);
        version_hint(doc);
        if (o->json) {
            char *t = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (!t) {
                e = nomem(err);
            } else {
                e = vms__buf_append(&out, t, strlen(t));
                e = e ? e : vms__buf_append(&out, "\n", 1);
                free(t);
            }
        } else {
            vms_writer *tw = vms_writer_buf(&out, err);

            if (!tw) {
                e = err ? err->code : VMS_ENOMEM;
            } else {
                text_out(tw, o->file, doc);
                e = vms_writer_close(tw, err);
            }
        }
    }
    /* all or nothing: the report is complete before any of it goes out */
    if (!e && (e = vms_write_bytes(o->out, out.data, out.len, err)) == 0) {
        e = vms_writer_flush(o->out, err);
    }
    free(out.data);
    json_decref(doc);
    vms_stream_close(s);
    return e;
}
