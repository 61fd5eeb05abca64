/*
 * vmstate unpack and pack: a migration stream taken apart into a directory
 * people can read and edit, and written back from it (libvmstate's
 * vms_unpack and vms_pack).
 */
#include <getopt.h>
#include <string.h>
#include "cli.h"

void cmd_unpack_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--force] [--progress] [-q] [--dump-vmstate FILE]\n"
            "       STREAM DIR\n"
            "\n"
            "Take the QEMU migration stream STREAM apart into directory DIR:\n"
            "stream.json (every record in order, each device section's\n"
            "fields decoded through the stream's vmdesc), the RAM blocks as\n"
            "files in DIR/ram, the page log (ramlog.bin, ramdata.bin), raw\n"
            "bytes of sections without a description (raw.bin) and the\n"
            "vmdesc (vmdesc.json). 'vmstate pack DIR STREAM' writes the\n"
            "stream back, byte for byte unless something was edited.\n"
            "DIR is created; an existing one must be empty.\n"
            "\n"
            "STREAM may be a libvirt save image (raw or compressed: read\n"
            "twice, no temporary file): its domain XML goes to domain.xml,\n"
            "its cookie to cookie.xml, its header (version, data_len,\n"
            "was_running, compression) to container.json, and pack writes\n"
            "the image back. A qcow2 snapshot (--snapshot) is noted in\n"
            "container.json; pack writes it as a bare stream.\n"
            "\n"
            "  -f, --force  write into a non-empty DIR (files of the same\n"
            "               name are replaced)\n"
            "      --dump-vmstate FILE  the -dump-vmstate JSON of the QEMU\n"
            "               that wrote STREAM: describes device sections\n"
            "               the vmdesc does not (a stream without one);\n"
            "               kept in DIR as dump.json for pack. A section\n"
            "               decodes only when exactly one of the dump's\n"
            "               alternatives (field_exists fields present or\n"
            "               not) ends at its footer and gives its bytes\n"
            "               back; else it stays raw, with a \"note\" why\n"
            "      --progress  progress bar on stderr when it is a terminal\n"
            "  -q, --quiet  no progress bar\n"
            "  -h, --help   this text\n"
            "\n"
            "Example:\n"
            "  %s guest.mig guest.d && vmstate pack guest.d copy.mig\n",
            prog, prog);
}

void cmd_pack_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--force] [--progress] [-q] DIR STREAM\n"
            "\n"
            "Write the migration stream described by DIR (made by 'vmstate\n"
            "unpack') to STREAM: every device section encoded again from\n"
            "the fields in DIR/stream.json, every RAM page from the block\n"
            "files in DIR/ram in the order and encoding the page log\n"
            "records. Unedited, the stream is byte-identical to the one\n"
            "unpacked. Edited values are checked against their field's type\n"
            "and size; a zero, compressed or XBZRLE page whose content was\n"
            "changed is sent as a plain data page. Errors name the file and\n"
            "the JSON path; STREAM is then not written. STREAM - is\n"
            "standard output. An edited \"machine\" is written; the other\n"
            "values of the configuration record are for reading only.\n"
            "\n"
            "When DIR came from a libvirt save image (DIR/container.json),\n"
            "STREAM is that image again: libvirt's header, DIR/domain.xml\n"
            "(edit it as 'virsh save-image-define' would), DIR/cookie.xml,\n"
            "the stream compressed as before (gzip, bzip2, xz, lzop, zstd\n"
            "file formats, as 'PROG -dc' reads them). data_len is kept when\n"
            "the XML still fits, else grown by 64 KiB as libvirt does. From\n"
            "a qcow2 snapshot, STREAM is a bare stream (-incoming loads it).\n"
            "\n"
            "  -f, --force  replace an existing STREAM\n"
            "      --progress  progress bar on stderr when it is a terminal\n"
            "  -q, --quiet  no progress bar\n"
            "  -h, --help   this text\n"
            "\n"
            "Example:\n"
            "  vmstate unpack guest.mig guest.d\n"
            "  (edit guest.d/stream.json or a file in guest.d/ram)\n"
            "  %s guest.d edited.mig\n"
            "  vmstate unpack vm1.save vm1.d; (edit vm1.d/domain.xml)\n"
            "  %s vm1.d vm1-edited.save && virsh restore vm1-edited.save\n",
            prog, prog, prog);
}

/*
 * unpack and pack take the same options: two operands, --force,
 * --progress; unpack also --dump-vmstate.
 */
typedef int (*dir_fn)(const char *, const char *, const char *, unsigned,
                      vms_progress_fn, void *, vms_error *);

static int unpack(const char *stream, const char *dir, const char *dump,
                  unsigned flags, vms_progress_fn progress, void *opaque,
                  vms_error *err)
{
    vms_unpack_opts o = VMS_UNPACK_OPTS_INIT;

    o.input = &cli_input;
    o.flags = flags;
    o.dump_file = dump;
    o.progress = progress;
    o.progress_opaque = opaque;
    return vms_unpack(stream, dir, &o, err);
}

static int pack(const char *dir, const char *stream, const char *dump,
                unsigned flags, vms_progress_fn progress, void *opaque,
                vms_error *err)
{
    vms_pack_opts o = VMS_PACK_OPTS_INIT;

    (void)dump;
    o.flags = flags;
    o.progress = progress;
    o.progress_opaque = opaque;
    return vms_pack(dir, stream, &o, err);
}

static int run(int argc, char **argv, const char *prog, const char *label,
               dir_fn fn, void (*usage)(FILE *, const char *))
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        CLI_PROGRESS_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { "dump-vmstate", required_argument, NULL, 'D' },
        { NULL, 0, NULL, 0 },
    };
    const char *dump = NULL;
    unsigned flags = 0;
    cli_progress bar = { 0 };
    vms_progress_fn progress;
    void *opaque;
    vms_error err = { 0 };
    int c, e;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "fqh", opts)) != -1) {
        if (cli_progress_option(&bar, c)) {
            continue;
        }
        switch (c) {
        case 'f': flags |= VMS_PACK_FORCE; break;
        case 'D':
            if (fn == pack) {
                cli_usage_hint(prog, "unknown option '--dump-vmstate'");
                return CLI_EXIT_USAGE;
            }
            dump = optarg;
            break;
        case 'h': usage(stdout, prog); return 0;
        default: cli_bad_option(prog, c, argv); return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_usage_hint(prog, "%s", fn == pack ? "expected DIR and OUT"
                                              : "expected STREAM and DIR");
        return CLI_EXIT_USAGE;
    }
    cli_progress_start(&bar, label, &progress, &opaque);
    e = fn(argv[optind], argv[optind + 1], dump, flags, progress, opaque,
           &err);
    cli_progress_end(&bar);
    if (e) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}

int cmd_unpack(int argc, char **argv, const char *prog)
{
    return run(argc, argv, prog, "unpack", unpack,
               cmd_unpack_usage);
}

int cmd_pack(int argc, char **argv, const char *prog)
{
    return run(argc, argv, prog, "pack", pack, cmd_pack_usage);
}
