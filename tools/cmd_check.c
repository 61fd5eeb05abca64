/*
 * vmstate check: option parsing for the static migration checker; all
 * logic is in libvmstate (check.h).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

void cmd_check_usage(FILE *out, const char *prog)
{
    fprintf(out,
"usage: %s -s SRC.json -d DEST.json [-r] [--format FMT] [-q]\n"
"\n"
"Check whether a machine described by SRC (QEMU -dump-vmstate output) can\n"
"migrate to one described by DEST, as QEMU's vmstate-static-checker.py\n"
"does: same findings, same lines, same order.\n"
"\n"
"  -s, --src FILE      dump of the source QEMU ('-' = standard input)\n"
"  -d, --dest FILE     dump of the destination QEMU\n"
"  -r, --reverse       swap SRC and DEST (check the way back)\n"
"      --format FMT    text (default, QEMU's lines), json (one document),\n"
"                      github (Actions annotations: ::error ...::) or\n"
"                      sarif (a SARIF 2.1.0 log); text is coloured on a\n"
"                      terminal unless NO_COLOR is set\n"
"  -q, --quiet         print no findings: the exit status tells\n"
"  -h, --help          this text\n"
"\n"
"Exit status: the number of errors found, capped at 255 (the machine-type\n"
"warning does not count); 0 = compatible. 255 with nothing on stdout and\n"
"one line on stderr is an input error (missing or unreadable file, not\n"
"JSON, not a dump); with --format json it prints a document with an\n"
"\"error\" key instead of \"findings\" (github and sarif print nothing).\n"
"2 = bad usage.\n"
"\n"
"Examples:\n"
"  qemu-system-x86_64 -M pc-q35-7.2 -dump-vmstate new.json   (on each QEMU)\n"
"  %s -s old.json -d new.json\n"
"  %s -s old.json -d new.json --reverse --format github\n"
"  %s -q -s old.json -d new.json || echo \"migration would break\"\n",
            prog, prog, prog, prog);
}

int cmd_check(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "src", required_argument, NULL, 's' },
        { "dest", required_argument, NULL, 'd' },
        { "reverse", no_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'F' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_check_options opts = { .version = VMS_CHECK_OPTIONS_VERSION };
    const char *src = NULL, *dest = NULL;
    vms_check_report *report;
    enum cli_report_format format = CLI_REPORT_TEXT;
    bool quiet = false;
    vms_error err;
    int c;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "s:d:rqh", longopts)) != -1) {
        switch (c) {
        case 's': src = optarg; break;
        case 'd': dest = optarg; break;
        case 'r': opts.reverse = true; break;
        case 'q': quiet = true; break;
        case 'h':
            cmd_check_usage(stdout, prog);
            return 0;
        case 'F':
            if (cli_report_format(prog, optarg, &format)) {
                return CLI_EXIT_USAGE;
            }
            break;
        default:
            cli_bad_option(prog, c, argv);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_usage_hint(prog, "unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!src || !dest) {
        cli_usage_hint(prog, "both -s/--src and -d/--dest are required");
        return CLI_EXIT_USAGE;
    }
    if (vms_check_files(src, dest, &opts, &report, &err)) {
        return cli_report_input_error(prog, quiet ? CLI_REPORT_TEXT : format,
                                      src, dest, &err);
    }
    return cli_report_print(prog, report, format, quiet);
}
