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

/* Input errors: distinct from any error count a script would see with
 * output on stdout (a count of 255 always comes with 255+ lines). */
#define CHECK_EXIT_INPUT 255

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

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_GITHUB, FORMAT_SARIF };

static vms_jsonw *stdout_json(void)
{
    return vms_jsonw_new(vms_sink_fd, (void *)(intptr_t)1, VMS_JSONW_PRETTY,
                         4);
}

static int input_error(const char *prog, bool json, const char *src,
                       const char *dest, const vms_error *err)
{
    cli_error(prog, err);
    if (json) {
        vms_jsonw *w = stdout_json();

        if (w) {
            vms_check_write_json_error(src, dest, err, w);
            vms_jsonw_free(w);
        }
    }
    return CHECK_EXIT_INPUT;
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
    enum format format = FORMAT_TEXT;
    bool quiet = false;
    vms_error err;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:d:rqh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': src = optarg; break;
        case 'd': dest = optarg; break;
        case 'r': opts.reverse = true; break;
        case 'q': quiet = true; break;
        case 'h':
            cmd_check_usage(stdout, prog);
            return 0;
        case 'F':
            if (strcmp(optarg, "text") == 0) {
                format = FORMAT_TEXT;
            } else if (strcmp(optarg, "json") == 0) {
                format = FORMAT_JSON;
            } else if (strcmp(optarg, "github") == 0) {
                format = FORMAT_GITHUB;
            } else if (strcmp(optarg, "sarif") == 0) {
                format = FORMAT_SARIF;
            } else {
                cli_errorf(prog, "--format: '%s' is not one of text, json, "
                           "github, sarif", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case ':':
            cli_errorf(prog, "option '%s' needs an argument",
                       argv[optind - 1]);
            return CLI_EXIT_USAGE;
        default:
            cli_errorf(prog, "unknown option '%s' (see --help)",
                       argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_errorf(prog, "unexpected argument '%s' (see --help)",
                   argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!src || !dest) {
        cli_errorf(prog, "both -s/--src and -d/--dest are required "
                         "(see --help)");
        return CLI_EXIT_USAGE;
    }
    r = vms_check_files(src, dest, &opts, &report, &err);
    if (r) {
        return input_error(prog, format == FORMAT_JSON && !quiet, src, dest,
                           &err);
    }
    if (quiet) {
        r = 0;
    } else if (format == FORMAT_JSON || format == FORMAT_SARIF) {
        vms_jsonw *w = stdout_json();

        r = !w ? VMS_ENOMEM
            : format == FORMAT_JSON ? vms_check_report_write_json(report, w)
                                    : vms_check_report_write_sarif(report, w);
        r = vms_jsonw_free(w) ? VMS_EIO : r;
    } else if (format == FORMAT_GITHUB) {
        r = vms_check_report_write_github(report, stdout);
    } else if (cli_color(1)) {
        r = vms_check_report_write_color(report, stdout);
    } else {
        r = vms_check_report_write_text(report, stdout);
    }
    c = report->errors;
    vms_check_report_free(report);
    if (r) {
        vms_error_set(&err, r, "cannot write the report");
        cli_error(prog, &err);
        return CHECK_EXIT_INPUT;
    }
    return c;
}
