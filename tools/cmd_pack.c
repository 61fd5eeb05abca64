/*
 * vmstate pack: a directory written by "vmstate unpack" (and perhaps
 * edited) back into a migration stream (libvmstate's vms_pack).
 */
#include <getopt.h>
#include <string.h>
#include "cli.h"

void cmd_pack_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--force] DIR STREAM\n"
            "\n"
            "Write the migration stream described by DIR (made by 'vmstate\n"
            "unpack') to STREAM: every device section encoded again from\n"
            "the fields in DIR/stream.json, every RAM page from the block\n"
            "files in DIR/ram in the order and encoding the page log\n"
            "records. Unedited, the stream is byte-identical to the one\n"
            "unpacked. Edited values are checked against their field's type\n"
            "and size; a zero, compressed or XBZRLE page whose content was\n"
            "changed is sent as a plain data page. Errors name the file and\n"
            "the JSON path; STREAM is then not written.\n"
            "\n"
            "  -f, --force  replace an existing STREAM\n"
            "  -h, --help   this text\n"
            "\n"
            "Example:\n"
            "  vmstate unpack guest.mig guest.d\n"
            "  (edit guest.d/stream.json or a file in guest.d/ram)\n"
            "  %s guest.d edited.mig\n",
            prog, prog);
}

int cmd_pack(int argc, char **argv, const char *prog)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned flags = 0;
    vms_error err = { 0 };
    int c;

    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': flags |= VMS_PACK_FORCE; break;
        case 'h': cmd_pack_usage(stdout, prog); return 0;
        default: cmd_pack_usage(stderr, prog); return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cmd_pack_usage(stderr, prog);
        return CLI_EXIT_USAGE;
    }
    if (vms_pack(argv[optind], argv[optind + 1], flags, &err)) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}
