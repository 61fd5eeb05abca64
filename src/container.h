/*
 * libvmstate internals of the input layer (input.c): the sources that
 * decompress.c and qcow2.c make for a container's stream.
 */
#ifndef VMS__CONTAINER_H
#define VMS__CONTAINER_H

#include "vmstate/input.h"
#include "reader.h"

/*
 * o (NULL: the process default, vms_input_set_default) for a reader that
 * reads back: VMS_INPUT_SEEKABLE added.
 */
void vms__input_opts_seekable(const vms_input_opts *o, vms_input_opts *out);

/*
 * A sequential source of the stream that in's bytes (from its current
 * offset on) compress with method; errors name file and in's offsets.
 * Takes in over on success (closed with the source).
 */
int vms__decompress_source(vms_reader *in, uint32_t method, const char *file,
                           vms__source *out, vms_error *err);

/*
 * The same, seekable: in must be a seekable file positioned where the
 * compressed data starts. A first pass decompresses it all to learn the
 * stream's size; reads then go forward by decompressing, a little back
 * from a window of the last bytes made, and further back by starting
 * over (so unpack, which reads bodies back, works on compressed images
 * in constant memory and without a temporary file).
 */
int vms__decompress_seekable(vms_reader *in, uint32_t method,
                             const char *file, vms__source *out,
                             vms_error *err);

/* compress.c: the method's file format, written to fd (pack). */
typedef struct vms__compressor vms__compressor;
vms__compressor *vms__compressor_new(int fd, uint32_t method,
                                     const char *file, vms_error *err);
/* A vms_sink_fn (for vms_writer_sink). */
int vms__compressor_sink(void *opaque, const void *buf, size_t len);
/* The end of the compressed data (trailer, last block). */
int vms__compressor_finish(vms__compressor *c, const char *file,
                           vms_error *err);
void vms__compressor_free(vms__compressor *c);

/*
 * pack_container.c: pack's side of DIR/container.json (unpack writes it).
 * libvirt false: no container.json, or a qcow2 one (a bare stream).
 */
typedef struct vms__container {
    bool libvirt;
    uint32_t version, data_len, was_running, compression;
    char *xml, *cookie;         /* NUL-terminated; cookie may be NULL */
    vms__compressor *comp;
} vms__container;
/* Read DIR/container.json and the files it names (0 when absent). */
int vms__container_load(int dirfd, const char *dir, vms__container *c,
                        vms_error *err);
/*
 * Write the container's head (libvirt: header, XML, cookie, padding) to
 * fd and make *w, the writer of the stream (compressing as recorded);
 * c->data_len becomes the one written (grown when the XML outgrew it).
 */
int vms__container_begin(vms__container *c, int fd, const char *out,
                         vms_writer **w, vms_error *err);
/* Close w and end the compressed data (ok: the stream is complete). */
int vms__container_end(vms__container *c, vms_writer *w, const char *out,
                       bool ok, vms_error *err);
void vms__container_free(vms__container *c);

/*
 * A seekable source of the state of a qcow2 snapshot; in is the image
 * (seekable), taken over on success. Fills info's qcow2 fields and its
 * snapshot table (also on the errors that list them).
 */
int vms__qcow2_source(vms_reader *in, const char *file, const char *snapshot,
                      vms_input_info *info, vms__source *out, vms_error *err);

#endif
