/*
 * libvmstate: "vmstate verify", will this stream load on that destination?
 *
 * The static checker (check.h) compares two descriptions of everything a
 * machine might send; a stream carries only what was sent: its sections
 * with their versions, and (in its vmdesc) the subsections and fields
 * actually written. verify checks exactly that against the destination
 * QEMU's -dump-vmstate, as QEMU's loader would:
 *
 *  - the configuration's machine type must be the dump's (QEMU refuses
 *    "Machine type received is ... and local is ...");
 *  - each device section must name a device the destination has
 *    ("Unknown savevm section"), with a version in its
 *    [minimum_version_id, version_id] ("unsupported version" / "too old");
 *  - each subsection sent must be known ("Subsection ... not found"), its
 *    version in range, recursively;
 *  - the fields sent and the fields the destination reads must agree in
 *    number and size, in order (names do not travel on the wire).
 *
 * Mapping a section to a dump entry: the dump's keys are device type
 * names ("isa-pit") and each holds its description's name ("i8254"); the
 * stream's idstr is "[bus path/]name" ("0000:00:02.0/e1000") and its
 * vmdesc gives the description name (vmsd_name) of each section. So the
 * section's vmsd_name (without a vmdesc: the idstr after its last '/') is
 * looked up among the dump's Description names, then among its keys, then
 * under the other name of QEMU's checker section-rename table ("ICH9
 * LPC"/"ICH9-LPC", "e1000-82540em"/"e1000"). Instances ("dma" 0 and 1,
 * "cpu" per CPU) share their type's entry. Sections that QEMU registers
 * outside any device class (timer, cpu, ram, globalstate, ...: see
 * vms_verify_unlisted) are in no dump: each is listed once as an
 * uncounted "not_in_dump" finding (counted with strict), since QEMU's
 * verdict on them cannot be predicted from a dump.
 *
 * Findings use the checker's shapes (vms_finding, vms_check_report and its
 * text/JSON/GitHub/SARIF writers); counted ones are load failures.
 */
#ifndef VMSTATE_VERIFY_H
#define VMSTATE_VERIFY_H

#include <stdbool.h>
#include "common.h"
#include "error.h"
#include "input.h"
#include "check.h"

typedef struct vms_verify_opts {
    int version;              /* VMS_VERIFY_OPTS_VERSION */
    const char *stream;       /* "-" = standard input */
    const char *dest;         /* the destination's -dump-vmstate */
    bool verbose;             /* unused since version 3: the sections no
                                 dump can show are always listed */
    /*
     * Since version 2, optional: the -dump-vmstate of the QEMU that wrote
     * the stream, for a stream without vmdesc: the device sections it
     * decodes (the rule of vms_unpack_dump) are decoded and passed
     * exactly instead of by searching for the next section header. Their
     * fields are not compared with DEST (a dump lists every subsection
     * the source may send, not those this stream sent); names and
     * versions are verified as without it.
     */
    const char *src_dump;
    /*
     * Since version 3: the sections no -dump-vmstate describes (cpu,
     * timer, ram, ...: QEMU registers them outside any device class, see
     * vms_verify_unlisted) are listed as "not_in_dump" findings whatever
     * this says; strict counts them, so that exit 0 means every section
     * was verified.
     */
    bool strict;
    /*
     * Since version 4, optional: a stream the destination QEMU saved with
     * the command line it loads with (machine, -cpu, devices, migration
     * capabilities; e.g. started with -S, then migrate "exec:cat > F").
     * It must carry its JSON description. From it verify learns what no
     * dump shows: the sections the destination registers with their
     * versions (a section newer than the reference's is refused, as
     * QEMU's "unsupported version"), the versions of the subsections its
     * sections send, its CPU state (aarch64: the cpreg list and the
     * values of the constant ID registers, checked as
     * target/arm/machine.c cpu_post_load does) and whether it compresses
     * RAM pages (a stream with compressed pages is refused by a
     * destination without the compress capability). Sections it still
     * cannot decide stay listed as not verified.
     */
    const char *reference;
    /* since version 5: the input's options (input.h); NULL: the default */
    const vms_input_opts *input;
} vms_verify_opts;
#define VMS_VERIFY_OPTS_VERSION 5
#define VMS_VERIFY_OPTS_INIT { .version = VMS_VERIFY_OPTS_VERSION }

/*
 * Verify. On an input error (stream or dump unreadable, not what it
 * claims) returns its VMS_E* with err naming the file and byte offset or
 * line; *out is NULL. Otherwise *out holds the findings in stream order:
 * src_file is the stream, dest_file and dest the dump, errors the counted
 * findings capped at 255. Without a vmdesc, an uncounted "no_vmdesc"
 * finding comes first and only section names and versions are verified.
 * A stream cut before its end marker is VMS_ETRUNC (the stream reader's
 * truncation rule, stream.h): QEMU refuses it. One whose description
 * after the end marker is cut or followed by other bytes loads in QEMU
 * (it reads nothing past the end marker): it is verified as without a
 * vmdesc, the no_vmdesc finding saying so.
 */
VMS_API int vms_verify(const vms_verify_opts *o, vms_check_report **out,
                       vms_error *err);

/* Whether a section's description name is one QEMU registers outside any
   device class, so that no -dump-vmstate can show it. */
VMS_API bool vms_verify_unlisted(const char *vmsd_name);

#endif
