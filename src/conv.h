/*
 * libvmstate internals: what the conversion (convert.c) shares with its
 * sources in other files (convert_json.c). Never installed.
 */
#ifndef VMS__CONV_H
#define VMS__CONV_H

#include <stdbool.h>
#include <stdint.h>
#include "vmstate/convert.h"
#include "vmstate/json.h"
#include "vmstate/pack.h"
#include "vmstate/version.h"
#include "vmstate/vmdesc.h"

typedef struct conv conv;

typedef struct sink {
    int passes;
    int (*begin)(conv *c);
    int (*item)(conv *c, const vms_unpack_item *it);
    int (*end)(conv *c);
} sink;

struct conv {
    vms_error *err;
    const char *in;
    const vms_input_opts *input;    /* NULL: the process default */
    /* source */
    vms_encoding from;
    vms_stream *s;              /* wire */
    vms_reader *r;              /* BER */
    vms_vmdesc *vd;             /* BER: built from the document's vmdesc */
    vms_dump *dump;             /* describes what the vmdesc does not */
    char *vmdesc;               /* the vmdesc text (NULL: none) */
    size_t vmdesc_len;
    /* sink */
    const sink *k;
    vms_writer *w;
    int pass;
    uint64_t records_len;       /* BER: the records' bytes (pass 0) */
    vms_buf tmp;
    vms_visitor *trace;
    vms_jsonw *j;
    int spill;                  /* JSON source: the current record's bytes */
    vms_config cfg;             /* BER and JSON sources: the machine */
};

/* A record type of a section (START, PART, END, FULL). */
static inline bool is_section(int type)
{
    return type >= VMS_REC_SECTION_START && type <= VMS_REC_SECTION_FULL;
}

/* The names of section record types in the documents (START ... FULL). */
static inline const char *section_type_name(int type)
{
    static const char *const names[] = {
        [VMS_REC_SECTION_START] = "START", [VMS_REC_SECTION_PART] = "PART",
        [VMS_REC_SECTION_END] = "END", [VMS_REC_SECTION_FULL] = "FULL",
    };

    return is_section(type) ? names[type] : NULL;
}

/* The JSON document's "bytes" come in hex strings of at most this. */
#define JSON_PIECE 32768u

/* Sources call it once the vmdesc (which the sinks write first) is known. */
static inline int vms__conv_sink_begin(conv *c)
{
    return c->k->begin ? c->k->begin(c) : 0;
}
/*
 * The JSON document as the source: records delivered to c->k->item as
 * they close, in constant memory (convert_json.c).
 */
int vms__conv_json_source(conv *c);

#endif
