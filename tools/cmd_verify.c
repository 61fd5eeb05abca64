/*
 * vmstate verify: options only; the work is vms_verify(), the output the
 * checker's report writers (check.h).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "vmstate/verify.h"

/* As vmstate check: input errors are 255 with nothing on stdout. */
#define VERIFY_EXIT_INPUT 255

void cmd_verify_usage(FILE *out, const char *prog)
{
    fprintf(out,
"usage: %s STREAM --dest DEST.json [--format FMT] [-v]\n"
"\n"
"Will this migration stream load on the destination QEMU whose\n"
"-dump-vmstate is DEST? For each section the stream carries: does DEST\n"
"have the device (the section's vmsd_name, from the stream's JSON\n"
"description, looked up among DEST's descriptions), is the version within\n"
"DEST's [minimum_version_id, version_id], is every subsection sent known\n"
"to DEST (and its version accepted), do the fields sent match in size the\n"
"fields DEST reads; and is the machine type DEST's. Without a JSON\n"
"description in the stream it says so and checks section names and\n"
"versions only. STREAM may be '-' (standard input).\n"
"\n"
"  -d, --dest FILE     the destination's 'qemu-system-* -M MACHINE\n"
"                      -dump-vmstate FILE' output\n"
"      --format FMT    text (default, one line per finding), json,\n"
"                      github (Actions annotations) or sarif, as\n"
"                      'vmstate check' writes them\n"
"  -v, --verbose       also list the sections no dump can show (timer,\n"
"                      cpu, ram, ...), as warnings\n"
"  -h, --help          this text\n"
"\n"
"Example:\n"
"  qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate dest.json\n"
"  %s saved.mig --dest dest.json\n"
"\n"
"Exit status: the number of findings that make QEMU refuse the stream,\n"
"capped at 255 (warnings do not count); 0 = it should load. 255 with\n"
"nothing on stdout and one line on stderr is an input error (with\n"
"--format json a document with an \"error\" key); 2 = bad usage.\n",
            prog, prog);
}

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_GITHUB, FORMAT_SARIF };

static vms_jsonw *stdout_json(void)
{
    return vms_jsonw_new(vms_sink_fd, (void *)(intptr_t)1, VMS_JSONW_PRETTY,
                         4);
}

int cmd_verify(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "dest", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'F' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_verify_opts o = { .version = VMS_VERIFY_OPTS_VERSION };
    vms_check_report *report;
    enum format format = FORMAT_TEXT;
    vms_error err;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":d:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dest = optarg; break;
        case 'v': o.verbose = true; break;
        case 'h':
            cmd_verify_usage(stdout, prog);
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
    if (argc - optind != 1 || !o.dest) {
        cli_errorf(prog, "a STREAM and --dest DEST.json are needed "
                         "(see --help)");
        return CLI_EXIT_USAGE;
    }
    o.stream = argv[optind];
    if ((r = vms_verify(&o, &report, &err))) {
        cli_error(prog, &err);
        if (format == FORMAT_JSON) {
            vms_jsonw *w = stdout_json();
            if (w) {
                vms_check_write_json_error(o.stream, o.dest, &err, w);
                vms_jsonw_free(w);
            }
        }
        return VERIFY_EXIT_INPUT;
    }
    if (format == FORMAT_JSON || format == FORMAT_SARIF) {
        vms_jsonw *w = stdout_json();

        r = !w ? VMS_ENOMEM
            : format == FORMAT_JSON ? vms_check_report_write_json(report, w)
                                    : vms_check_report_write_sarif(report, w);
        r = vms_jsonw_free(w) ? VMS_EIO : r;
    } else if (format == FORMAT_GITHUB) {
        r = vms_check_report_write_github(report, stdout);
    } else {
        r = vms_check_report_write_text(report, stdout);
    }
    c = report->errors;
    vms_check_report_free(report);
    if (r) {
        vms_error_set(&err, r, "cannot write the report");
        cli_error(prog, &err);
        return VERIFY_EXIT_INPUT;
    }
    return c;
}
