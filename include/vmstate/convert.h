/*
 * libvmstate: a migration stream between encodings.
 *
 * The same stream, record by record (the unpacked model of pack.h), as
 * QEMU's wire format, as a DER document of doc/vmstate.asn1 (Stream), as
 * a JSON document (device states in the JSON state shape of visitor.h,
 * other bodies as hex), or as a human trace. Device sections travel decoded (through the stream's
 * vmdesc descriptions and the BER visitors); RAM sections and anything
 * without a description travel as the bytes they are. Converting wire ->
 * BER -> wire and wire -> JSON -> wire give the input back byte for byte;
 * an edited BER or JSON value is checked against its field's type and
 * size.
 */
#ifndef VMSTATE_CONVERT_H
#define VMSTATE_CONVERT_H

#include "common.h"
#include "error.h"
#include "input.h"

typedef enum vms_encoding {
    VMS_ENC_WIRE = 0,   /* a QEMU migration stream */
    VMS_ENC_BER,        /* DER, doc/vmstate.asn1 Stream */
    VMS_ENC_JSON,       /* JSON: records, device states as JSON state */
    VMS_ENC_TRACE,      /* one line per value (output only) */
} vms_encoding;

/* "wire", "ber", "json", "trace"; NULL for others. */
VMS_API const char *vms_encoding_name(vms_encoding enc);
/* The encoding named s; VMS_EINVAL (err set) for an unknown name. */
VMS_API int vms_encoding_parse(const char *s, vms_encoding *enc,
                               vms_error *err);

/*
 * What the file at path holds, by its first bytes (never its name): a
 * stream starts with QEMU's magic, a BER document with a SEQUENCE, a JSON
 * one with "{".
 * VMS_EFORMAT (file and offset 0 in err) for anything else.
 */
VMS_API int vms_convert_detect(const char *path, vms_encoding *enc,
                               vms_error *err);

enum {
    VMS_CONVERT_FORCE = 1u << 0,    /* replace an existing output file */
};

/*
 * Options of vms_convert (libgit2's pattern: start from
 * VMS_CONVERT_OPTS_INIT; NULL options are the defaults).
 */
typedef struct vms_convert_opts {
    int version;                  /* VMS_CONVERT_OPTS_VERSION */
    unsigned flags;               /* VMS_CONVERT_FORCE */
    /*
     * A -dump-vmstate JSON of the QEMU that wrote the stream (NULL: none):
     * it describes the device sections the stream's vmdesc does not (a
     * stream without one), by the rule of vms_unpack (a section decodes
     * only when exactly one of the dump's alternatives ends at its footer
     * and gives its bytes back; else it travels as bytes). Reading a BER
     * or JSON document, the states of such sections are loaded through
     * the same dump. A bad dump is an error naming dump_file.
     */
    const char *dump_file;
    /* since version 2: the input's options (input.h); NULL: the default */
    const vms_input_opts *input;
} vms_convert_opts;
#define VMS_CONVERT_OPTS_VERSION 2
#define VMS_CONVERT_OPTS_INIT { VMS_CONVERT_OPTS_VERSION, 0, NULL, NULL }

/*
 * Read in (a regular file: a stream, or a BER or JSON document this
 * function wrote) and write it to out in encoding to. out "-" is standard
 * output; any other out is written under a temporary name in its
 * directory and renamed when complete (nothing is left on error), and an
 * existing out is VMS_EEXIST without VMS_CONVERT_FORCE. Errors name the
 * input file and the byte offset (and the field path inside a device
 * state).
 */
VMS_API int vms_convert(const char *in, const char *out, vms_encoding to,
                        const vms_convert_opts *opts, vms_error *err);

#endif
