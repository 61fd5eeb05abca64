/*
 * vmstate convert: a migration stream between the wire format, the ASN.1
 * BER (DER) document of doc/vmstate.asn1 and the human trace. The work is
 * libvmstate's vms_convert (convert.h).
 */
#include <getopt.h>
#include <string.h>
#include "cli.h"

void cmd_convert_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s IN OUT --to wire|ber|json|trace [--force]\n"
            "       [--dump-vmstate FILE]\n"
            "\n"
            "Convert a migration stream between encodings. IN is a QEMU\n"
            "migration stream (QEMU's or libvmstate's) or a BER or JSON\n"
            "document written by this command, told apart by content, not\n"
            "by name. Device sections travel decoded through the stream's\n"
            "vmdesc, with field names, types and sizes; RAM and sections\n"
            "without a description travel as their bytes. wire -> ber ->\n"
            "wire and wire -> json -> wire give the stream back byte for\n"
            "byte; an edited value is checked against its field. OUT is\n"
            "written under a temporary name and renamed when complete;\n"
            "\"-\" is standard output.\n"
            "\n"
            "  -t, --to ENC  the output encoding:\n"
            "                wire   a QEMU migration stream\n"
            "                ber    DER, the Stream of doc/vmstate.asn1\n"
            "                       (openssl asn1parse -inform DER reads it)\n"
            "                json   the records, device states as\n"
            "                       'vmstate analyze' prints them, other\n"
            "                       bodies as hex\n"
            "                trace  one line per device field, for people\n"
            "  -f, --force   replace an existing OUT\n"
            "      --dump-vmstate FILE  the -dump-vmstate JSON of the QEMU\n"
            "                that wrote the stream: describes device\n"
            "                sections its vmdesc does not (a stream\n"
            "                without one), as in 'vmstate unpack'; give it\n"
            "                again to convert such a document back\n"
            "  -h, --help    this text\n"
            "\n"
            "Examples:\n"
            "  %s guest.mig guest.der --to ber\n"
            "  %s guest.der again.mig --to wire     (cmp guest.mig again.mig)\n"
            "  %s guest.mig guest.json --to json  (edit, then --to wire)\n"
            "  %s guest.mig - --to trace | grep i8259\n",
            prog, prog, prog, prog, prog);
}

int cmd_convert(int argc, char **argv, const char *prog)
{
    static const struct option opts[] = {
        { "to", required_argument, NULL, 't' },
        { "force", no_argument, NULL, 'f' },
        { "dump-vmstate", required_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_error err = { 0 };
    vms_encoding to = VMS_ENC_WIRE;
    bool have_to = false;
    vms_convert_opts o = VMS_CONVERT_OPTS_INIT;
    int c;

    o.input = &cli_input;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "t:fh", opts)) != -1) {
        switch (c) {
        case 't':
            if (vms_encoding_parse(optarg, &to, &err)) {
                cli_error(prog, &err);
                return CLI_EXIT_USAGE;
            }
            have_to = true;
            break;
        case 'f':
            o.flags |= VMS_CONVERT_FORCE;
            break;
        case 'V':
            o.dump_file = optarg;
            break;
        case 'h':
            cmd_convert_usage(stdout, prog);
            return 0;
        default:
            cli_bad_option(prog, c, argv);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2 || !have_to) {
        cli_usage_hint(prog, "IN, OUT and --to are required");
        return CLI_EXIT_USAGE;
    }
    if (vms_convert(argv[optind], argv[optind + 1], to, &o, &err)) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}
