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

static int discard(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    (void)len;
    return 0;
}

int cmd_diff(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'F' },
        { "ram", required_argument, NULL, 'R' },
        { "dump-vmstate", required_argument, NULL, 'V' },
        CLI_PROGRESS_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_diff_opts o = VMS_DIFF_OPTS_INIT;
    /* in the order of enum vms_diff_format and enum vms_diff_ram */
    static const char *const formats[] = { "text", "json", NULL };
    static const char *const rams[] = { "summary", "pages", "none", NULL };
    cli_progress bar = { 0 };
    vms_error err;
    int c, r, i;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", longopts)) != -1) {
        if (cli_progress_option(&bar, c)) {
            continue;
        }
        switch (c) {
        case 'h':
            cmd_diff_usage(stdout, prog);
            return 0;
        case 'V':
            o.dump_file = optarg;
            break;
        case 'F':
            if (cli_choice(prog, "--format", optarg, formats, &i)) {
                return CLI_EXIT_USAGE;
            }
            o.format = (enum vms_diff_format)i;
            break;
        case 'R':
            if (cli_choice(prog, "--ram", optarg, rams, &i)) {
                return CLI_EXIT_USAGE;
            }
            o.ram = (enum vms_diff_ram)i;
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
    o.input_a = o.input_b = &cli_input;
    vms_error_clear(&err);
    /* -q: the report goes nowhere, the exit status tells (as cmp -s) */
    o.out = bar.quiet ? vms_writer_sink(discard, NULL, "(quiet)", &err)
                      : cli_stdout(&err);
    if (!o.out) {
        cli_error(prog, &err);
        return DIFF_EXIT_ERROR;
    }
    cli_progress_start(&bar, "diff", &o.progress, &o.progress_opaque);
    r = vms_diff(&o, &err);
    cli_progress_end(&bar);
    if ((r = cli_close(o.out, r, &err)) < 0) {
        cli_error(prog, &err);
        return DIFF_EXIT_ERROR;
    }
    return r;
}
