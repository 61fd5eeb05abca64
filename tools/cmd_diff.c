/*
 * vmstate diff: options only; the work is vms_diff().
 */
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "vmstate/diff.h"

/* cmp(1) and diff(1): 0 same, 1 different, 2 trouble. */
#define DIFF_EXIT_ERROR 2

void cmd_diff_usage(FILE *out, const char *prog)
{
    fprintf(out,
"usage: %s A.mig B.mig [--format text|json] [--ram summary|pages|none]\n"
"       [--dump-vmstate FILE] [--progress] [-q]\n"
"\n"
"Show what differs between two QEMU migration streams: device sections\n"
"matched by (idstr, instance id), each differing field with its two\n"
"values as 'vmstate analyze' prints them, sections and subsections on one\n"
"side only, version differences, and per RAM block the pages whose final\n"
"content differs (a page sent several times counts once, as loaded).\n"
"One of the streams may be '-' (standard input).\n"
"\n"
"      --format FMT   text (default): one line per difference,\n"
"                       cpu@1.env.regs[0]: \"0x0000000000000001\" != \"0x...\"\n"
"                       only in A: section 'timer' instance 0 version 2\n"
"                       ram: pc.ram: 3 pages differ (of 16384); first: 0x1000\n"
"                     json: one document {\"a\", \"b\", \"differences\": [...],\n"
"                       \"ram\": [...], \"equal\"}\n"
"      --ram MODE     summary (default): per block the number of differing\n"
"                     pages and the first 8 addresses; pages: every\n"
"                     differing page, one per line; none: do not compare\n"
"                     page contents (faster; blocks are still compared)\n"
"      --dump-vmstate FILE  the -dump-vmstate JSON of the QEMU that\n"
"                     wrote the streams: describes the device sections\n"
"                     their vmdesc does not (streams without one), for\n"
"                     both, as in 'vmstate unpack'\n"
"      --progress     progress bar on stderr when it is a terminal\n"
"  -q, --quiet        print nothing: the exit status tells (as cmp -s)\n"
"  -h, --help         this text\n"
"\n"
"Examples:\n"
"  %s before.mig after.mig --ram pages\n"
"  %s -q a.mig b.mig && echo same\n"
"\n"
"Exit status: 0 = the same state (nothing printed in text format),\n"
"1 = different, 2 = error (one line on stderr naming the file and byte\n"
"offset, nothing on stdout) or bad usage.\n",
            prog, prog, prog);
}

int cmd_diff(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'F' },
        { "ram", required_argument, NULL, 'R' },
        { "progress", no_argument, NULL, 'P' },
        { "dump-vmstate", required_argument, NULL, 'V' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_diff_opts o = { .version = VMS_DIFF_OPTS_VERSION, .out_fd = 1 };
    bool progress = false, quiet = false;
    cli_progress bar;
    vms_error err;
    int c, r;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", longopts)) != -1) {
        switch (c) {
        case 'h':
            cmd_diff_usage(stdout, prog);
            return 0;
        case 'P':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'V':
            o.dump_file = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "text") == 0) {
                o.format = VMS_DIFF_TEXT;
            } else if (strcmp(optarg, "json") == 0) {
                o.format = VMS_DIFF_JSON;
            } else {
                cli_usage_hint(prog, "--format: '%s' is not one of text, "
                               "json", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'R':
            if (strcmp(optarg, "summary") == 0) {
                o.ram = VMS_DIFF_RAM_SUMMARY;
            } else if (strcmp(optarg, "pages") == 0) {
                o.ram = VMS_DIFF_RAM_PAGES;
            } else if (strcmp(optarg, "none") == 0) {
                o.ram = VMS_DIFF_RAM_NONE;
            } else {
                cli_usage_hint(prog, "--ram: '%s' is not one of summary, "
                               "pages, none", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        default:
            cli_bad_option(prog, c, argv);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_usage_hint(prog, "two streams are needed");
        return CLI_EXIT_USAGE;
    }
    o.a = argv[optind];
    o.b = argv[optind + 1];
    if (quiet && (o.out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
        cli_errorf(prog, "cannot open /dev/null");
        return DIFF_EXIT_ERROR;
    }
    cli_progress_init(&bar, progress && !quiet, "diff");
    o.progress = cli_progress_update;
    o.progress_opaque = &bar;
    r = vms_diff(&o, &err);
    cli_progress_end(&bar);
    if (quiet) {
        close(o.out_fd);
    }
    if (r < 0) {
        cli_error(prog, &err);
        return DIFF_EXIT_ERROR;
    }
    return r;
}
