/*
 * vmstate unpack: a migration stream taken apart into a directory that
 * people can read and edit (libvmstate's vms_unpack).
 */
#include <getopt.h>
#include <string.h>
#include "cli.h"

void cmd_unpack_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--force] STREAM DIR\n"
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
            "  -f, --force  write into a non-empty DIR (files of the same\n"
            "               name are replaced)\n"
            "  -h, --help   this text\n"
            "\n"
            "Example:\n"
            "  %s guest.mig guest.d && vmstate pack guest.d copy.mig\n",
            prog, prog);
}

int cmd_unpack(int argc, char **argv, const char *prog)
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
        case 'h': cmd_unpack_usage(stdout, prog); return 0;
        default: cmd_unpack_usage(stderr, prog); return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cmd_unpack_usage(stderr, prog);
        return CLI_EXIT_USAGE;
    }
    if (vms_unpack(argv[optind], argv[optind + 1], flags, &err)) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}
