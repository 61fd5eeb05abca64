/*
 * libvmstate: pack's container, the inverse of what unpack keeps of it
 * (container.json, domain.xml, cookie.xml; doc/vmstate-unpack.1).
 *
 * A libvirt save image is written as libvirt 9.0 writes one
 * (virQEMUSaveDataWrite in src/qemu/qemu_saveimage.c): the 92-byte
 * header in host byte order (magic "LibvirtQemudSave", version,
 * data_len, was_running, compressed, cookieOffset, 14 zero words), the
 * domain XML and its NUL, the cookie and its NUL right after it
 * (cookieOffset = the XML's length + 1), zeros up to data_len, then the
 * stream, compressed as the image was (compress.c). data_len stays the
 * image's when the XML and cookie still fit in it, as "virsh
 * save-image-define" keeps it (qemuDomainSaveImageDefineXML writes the
 * new XML through virQEMUSaveDataWrite with the header it read); where
 * libvirt would then fail ("new xml too large to fit in file"), pack
 * writes a whole new image and sizes data_len as a new save does: the
 * data plus 64 KiB of room for later edits. So an image unpacked and
 * packed unchanged is byte for byte the same when raw; compressed, its
 * header and XML are, and its stream decompresses to the same bytes.
 *
 * A qcow2 snapshot's container.json only says where the stream came
 * from: qcow2 images are read, never written, so pack writes the bare
 * stream (which loads with -incoming).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <libxml/parser.h>
#include "vmstate/json.h"
#include "container.h"
#include "fileio.h"
#include "writer.h"

/* The room a new image leaves after its XML (virQEMUSaveDataWrite). */
#define LIBVIRT_ROOM (64u * 1024)
/* The most pack puts in the header's data (input.c reads up to 64 MiB). */
#define LIBVIRT_DATA_MAX (64u << 20)

static int cfail(const char *dir, const char *file, const char *key,
                 vms_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int cfail(const char *dir, const char *file, const char *key,
                 vms_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vms_error_setv(err, code, fmt, ap);
    va_end(ap);
    if (key) {
        vms_error_set_path(err, key);
    }
    vms__error_outfile(err, dir, file);
    return code;
}

/* DIR/name whole, NUL-terminated; no NUL inside (libvirt's are C strings). */
static int read_text(int dirfd, const char *dir, const char *name,
                     char **out, vms_error *err)
{
    char path[600];
    size_t len;
    int fd, e;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        vms_error_set_file(err, path);
        return vms_error_set(err, errno == ENOENT ? VMS_ENOTFOUND : VMS_EIO,
                             "cannot open: %s", strerror(errno));
    }
    e = vms__read_all(fd, path, LIBVIRT_DATA_MAX, name, "64 MiB", out, &len,
                      err);
    close(fd);
    if (!e && strlen(*out) != len) {
        vms_error_set_file(err, path);
        e = vms_error_set_at(err, VMS_EFORMAT, strlen(*out), "a NUL byte: "
                             "libvirt keeps this text as a C string");
        free(*out);
        *out = NULL;
    }
    return e;
}

/* A file name container.json gives: one path component. */
static bool plain_name(const char *s)
{
    return s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/*
 * The domain XML must be what libvirt can parse: well-formed, a <domain>
 * root (qemuSaveImageOpen parses it with virDomainDefParseString; restore
 * then checks it against the running definition's ABI, as
 * save-image-define does).
 */
static int check_xml(const char *dir, const char *name, const char *xml,
                     vms_error *err)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), name, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    int e = 0;

    if (!doc) {
        const xmlError *x = xmlGetLastError();
        char msg[200];
        size_t n;
        /* libxml2's message ends with a newline: one line only */
        snprintf(msg, sizeof(msg), "%s",
                 x && x->message ? x->message : "libxml2 error");
        n = strcspn(msg, "\r\n");
        msg[n] = 0;
        e = cfail(dir, name, NULL, err, VMS_EFORMAT, "not well-formed XML: "
                  "%s", msg);
        if (x && err) {
            err->line = x->line;
            err->column = x->int2;
        }
    } else if (!root || strcmp((const char *)root->name, "domain") != 0) {
        e = cfail(dir, name, NULL, err, VMS_EFORMAT, "the root element is "
                  "<%s>, libvirt wants <domain>",
                  root ? (const char *)root->name : "");
    }
    xmlFreeDoc(doc);
    return e;
}

void vms__container_free(vms__container *c)
{
    free(c->xml);
    free(c->cookie);
    memset(c, 0, sizeof(*c));
}

int vms__container_load(int dirfd, const char *dir, vms__container *c,
                        vms_error *err)
{
    const char *F = "container.json";
    json_error_t je;
    json_t *root, *v;
    const char *kind, *name;
    int fd, e = 0;

    memset(c, 0, sizeof(*c));
    fd = openat(dirfd, F, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return 0;           /* a bare stream */
        }
        return cfail(dir, F, NULL, err, VMS_EIO, "cannot open: %s",
                     strerror(errno));
    }
    {
        char path[600], *text;
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", dir, F);
        /* whole, then parsed: json_loadfd reads a byte per read(2) */
        e = vms__read_all(fd, path, LIBVIRT_DATA_MAX, F, "64 MiB", &text,
                          &len, err);
        close(fd);
        if (e) {
            return e;
        }
        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        free(text);
    }
    if (!root) {
        e = cfail(dir, F, NULL, err, VMS_EFORMAT, "%s", je.text);
        if (err) {
            err->line = je.line;
            err->column = je.column;
        }
        return e;
    }
    v = json_object_get(root, "format");
    if (!json_is_object(root) || !json_is_string(v) ||
        strcmp(json_string_value(v), "vmstate-container") != 0 ||
        json_integer_value(json_object_get(root, "format_version")) != 1) {
        e = cfail(dir, F, NULL, err, VMS_EFORMAT, "not a container.json of "
                  "vmstate unpack (format \"vmstate-container\", "
                  "format_version 1)");
        goto out;
    }
    v = json_object_get(root, "container");
    kind = json_is_string(v) ? json_string_value(v) : "";
    if (strcmp(kind, "qcow2") == 0) {
        goto out;               /* read-only: pack writes the bare stream */
    }
    if (strcmp(kind, "libvirt") != 0) {
        e = cfail(dir, F, "container", err, VMS_EFORMAT, "expected "
                  "\"libvirt\" or \"qcow2\"");
        goto out;
    }
    c->libvirt = true;
    {
        static const char *const keys[] = { "version", "data_len",
                                            "was_running" };
        uint32_t *dst[] = { &c->version, &c->data_len, &c->was_running };
        for (size_t i = 0; i < 3; i++) {
            v = json_object_get(root, keys[i]);
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > UINT32_MAX) {
                e = cfail(dir, F, keys[i], err, VMS_EFORMAT, "expected an "
                          "integer 0..4294967295");
                goto out;
            }
            *dst[i] = (uint32_t)json_integer_value(v);
        }
    }
    if (c->version < 1 || c->version > 2) {
        e = cfail(dir, F, "version", err, VMS_EFORMAT, "libvirt save image "
                  "version %u (1 and 2 are known)", c->version);
        goto out;
    }
    v = json_object_get(root, "compression");
    {
        int id = json_is_string(v) ? vms_compression_from_name(
                                         json_string_value(v)) : -1;
        if (id < 0) {
            e = cfail(dir, F, "compression", err, VMS_EFORMAT, "expected "
                      "raw, gzip, bzip2, xz, lzop, zstd or sparse");
            goto out;
        }
        c->compression = (uint32_t)id;
    }
    v = json_object_get(root, "xml");
    name = json_is_string(v) ? json_string_value(v) : "";
    if (!plain_name(name)) {
        e = cfail(dir, F, "xml", err, VMS_EFORMAT, "expected a file name "
                  "in the directory (domain.xml)");
        goto out;
    }
    if ((e = read_text(dirfd, dir, name, &c->xml, err)) ||
        (e = check_xml(dir, name, c->xml, err))) {
        goto out;
    }
    v = json_object_get(root, "cookie");
    if (!json_is_null(v)) {
        name = json_is_string(v) ? json_string_value(v) : "";
        if (!plain_name(name)) {
            e = cfail(dir, F, "cookie", err, VMS_EFORMAT, "expected a file "
                      "name in the directory (cookie.xml) or null");
            goto out;
        }
        if ((e = read_text(dirfd, dir, name, &c->cookie, err))) {
            goto out;
        }
        if (c->version < 2) {
            e = cfail(dir, F, "cookie", err, VMS_EFORMAT, "a version 1 "
                      "image has no cookie");
            goto out;
        }
    }
out:
    json_decref(root);
    if (e) {
        vms__container_free(c);
    }
    return e;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);           /* host byte order, as libvirt writes */
}

int vms__container_begin(vms__container *c, int fd, const char *out,
                         vms_writer **w, vms_error *err)
{
    size_t xml_len, cookie_len;
    uint64_t len, data_len = c->data_len;
    uint8_t hdr[VMS_LIBVIRT_HEADER_SIZE];
    uint8_t *data;
    int e;

    if (!c->libvirt) {
        *w = vms_writer_fd(fd, out, err);
        return *w ? 0 : VMS_ENOMEM;
    }
    xml_len = strlen(c->xml) + 1;
    cookie_len = c->cookie ? strlen(c->cookie) + 1 : 0;
    len = (uint64_t)xml_len + cookie_len;
    if (len > data_len && c->compression == VMS_COMPRESS_SPARSE) {
        /*
         * A sparse image's mapped-ram offsets count from the file's start
         * (pack.c, p_mapped): its stream cannot move, so its data cannot
         * grow (libvirt's save-image-define fails the same way).
         */
        vms_error_set_file(err, out);
        return vms_error_set(err, VMS_ELIMIT, "the domain XML and cookie "
                             "(%" PRIu64 " bytes) no longer fit in the "
                             "'sparse' image's data_len (%u): its "
                             "mapped-ram pages sit at fixed file offsets "
                             "after it", len, c->data_len);
    }
    if (len > data_len) {
        data_len = len + LIBVIRT_ROOM;
    }
    c->data_len = (uint32_t)data_len;       /* what the image now has */
    if (data_len > LIBVIRT_DATA_MAX) {
        vms_error_set_file(err, out);
        return vms_error_set(err, VMS_ELIMIT, "the domain XML and cookie "
                             "(%" PRIu64 " bytes) exceed 64 MiB", len);
    }
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, "LibvirtQemudSave", 16);
    put_u32(hdr + 16, c->version);
    put_u32(hdr + 20, (uint32_t)data_len);
    put_u32(hdr + 24, c->was_running);
    put_u32(hdr + 28, c->compression);
    put_u32(hdr + 32, c->cookie ? (uint32_t)xml_len : 0);
    if (!(data = calloc(1, (size_t)data_len))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    memcpy(data, c->xml, xml_len);
    if (c->cookie) {
        memcpy(data + xml_len, c->cookie, cookie_len);
    }
    e = vms__fd_write_all(fd, hdr, sizeof(hdr));
    e = e ? e : vms__fd_write_all(fd, data, (size_t)data_len);
    free(data);
    if (e) {
        vms_error_set_file(err, out);
        return vms_error_set(err, e, "write failed: %s", strerror(errno));
    }
    if (c->compression == VMS_COMPRESS_RAW ||
        c->compression == VMS_COMPRESS_SPARSE) {
        *w = vms_writer_fd(fd, out, err);
        return *w ? 0 : VMS_ENOMEM;
    }
    if (!(c->comp = vms__compressor_new(fd, c->compression, out, err))) {
        return err && err->code ? err->code : VMS_ENOMEM;
    }
    *w = vms_writer_sink(vms__compressor_sink, c->comp, out, err);
    return *w ? 0 : VMS_ENOMEM;
}

int vms__container_end(vms__container *c, vms_writer *w, const char *out,
                       bool ok, vms_error *err)
{
    int e = vms_writer_close(w, ok ? err : NULL);

    if (c->comp) {
        if (ok && !e) {
            e = vms__compressor_finish(c->comp, out, err);
        }
        vms__compressor_free(c->comp);
        c->comp = NULL;
    }
    return e;
}
