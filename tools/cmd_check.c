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
"usage: %s -s SRC.json -d DEST.json [-r] [--rules R]... [--baseline F]\n"
"                [--format FMT] [-q]\n"
"       %s --matrix DUMP.json... [--rules R]... [--baseline F] [--format FMT]\n"
"                [-q]\n"
"\n"
"Check whether a machine described by SRC (QEMU -dump-vmstate output) can\n"
"migrate to one described by DEST, as QEMU's vmstate-static-checker.py\n"
"does: same findings, same lines, same order.\n"
"\n"
"  -s, --src FILE      dump of the source QEMU ('-' = standard input)\n"
"  -d, --dest FILE     dump of the destination QEMU\n"
"  -r, --reverse       swap SRC and DEST (check the way back)\n"
"      --rules R       the tolerances of a release of QEMU's checker:\n"
"                      qemu-7.2, qemu-10.0, qemu-10.2 (the default), or a\n"
"                      rules FILE (vmstate-rules(5)); repeat to add files\n"
"                      on top of a built-in (--rules qemu-10.2 --rules F)\n"
"      --baseline F    accept the findings of F, an earlier --format json\n"
"                      report: not printed nor counted (json marks them\n"
"                      \"accepted\": true); matched by kind and place\n"
"      --matrix        check every ordered pair of the given dumps of one\n"
"                      target (architecture), both ways: a table of\n"
"                      breaking findings, then the findings per pair\n"
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
"  %s -q -s old.json -d new.json || echo \"migration would break\"\n"
"  %s -s old.json -d new.json --rules qemu-7.2\n"
"  %s -s old.json -d new.json --format json > known.json\n"
"  %s -s old.json -d new.json --baseline known.json   (new breaks only)\n"
"  %s --matrix qemu7.2-pc.json qemu10.0-pc.json qemu10.2-pc.json\n",
            prog, prog, prog, prog, prog, prog, prog, prog, prog);
}

/* A --rules argument: a built-in name, else a file (a path or *.json). */
static int add_rules(const char *prog, vms_check_rules *rules,
                     const char *arg)
{
    const char *const *names = vms_check_rules_builtin_names();
    vms_error err;

    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], arg) == 0) {
            return vms_check_rules_add_builtin(rules, arg, &err) ? 1 : 0;
        }
    }
    if (!strchr(arg, '/') && !strstr(arg, ".json") &&
        access(arg, F_OK) != 0) {
        cli_errorf(prog, "--rules: '%s' is neither a built-in (qemu-7.2, "
                   "qemu-10.0, qemu-10.2) nor a file", arg);
        return CLI_EXIT_USAGE;
    }
    if (vms_check_rules_add_file(rules, arg, &err)) {
        cli_error(prog, &err);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

int cmd_check(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "src", required_argument, NULL, 's' },
        { "dest", required_argument, NULL, 'd' },
        { "reverse", no_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'F' },
        { "rules", required_argument, NULL, 'R' },
        { "baseline", required_argument, NULL, 'B' },
        { "matrix", no_argument, NULL, 'M' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_check_options opts = VMS_CHECK_OPTIONS_INIT;
    const char *src = NULL, *dest = NULL, *baseline_path = NULL;
    vms_check_rules *rules = NULL;
    vms_check_baseline *baseline = NULL;
    vms_check_report *report;
    vms_check_matrix *matrix;
    enum vms_check_format format = VMS_CHECK_TEXT;
    bool quiet = false, want_matrix = false;
    vms_error err;
    int c, rc;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "s:d:rqh", longopts)) != -1) {
        switch (c) {
        case 's': src = optarg; break;
        case 'd': dest = optarg; break;
        case 'r': opts.reverse = true; break;
        case 'q': quiet = true; break;
        case 'M': want_matrix = true; break;
        case 'B': baseline_path = optarg; break;
        case 'h':
            cmd_check_usage(stdout, prog);
            vms_check_rules_free(rules);
            return 0;
        case 'F':
            if (cli_report_format(prog, optarg, &format)) {
                vms_check_rules_free(rules);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'R':
            if (!rules && !(rules = vms_check_rules_new(&err))) {
                cli_error(prog, &err);
                return CLI_EXIT_INPUT;
            }
            if ((rc = add_rules(prog, rules, optarg))) {
                vms_check_rules_free(rules);
                return rc;
            }
            break;
        default:
            cli_bad_option(prog, c, argv);
            vms_check_rules_free(rules);
            return CLI_EXIT_USAGE;
        }
    }
    rc = CLI_EXIT_USAGE;
    if (want_matrix) {
        if (src || dest || opts.reverse) {
            cli_usage_hint(prog, "--matrix takes dumps as arguments, not "
                           "-s, -d or -r");
            goto out;
        }
        if (argc - optind < 2) {
            cli_usage_hint(prog, "--matrix needs at least two dumps");
            goto out;
        }
    } else if (optind < argc) {
        cli_usage_hint(prog, "unexpected argument '%s'", argv[optind]);
        goto out;
    } else if (!src || !dest) {
        cli_usage_hint(prog, "both -s/--src and -d/--dest are required");
        goto out;
    }
    if (baseline_path && vms_check_baseline_load(baseline_path, &baseline,
                                                 &err)) {
        rc = cli_report_input_error(prog, quiet ? VMS_CHECK_TEXT : format,
                                    src, dest, &err);
        goto out;
    }
    opts.rules = rules;
    opts.baseline = baseline;
    if (want_matrix) {
        if (vms_check_matrix_files((const char *const *)argv + optind,
                                   (size_t)(argc - optind), &opts, &matrix,
                                   &err)) {
            rc = cli_report_input_error(prog, quiet ? VMS_CHECK_TEXT
                                                    : format,
                                        NULL, NULL, &err);
            goto out;
        }
        rc = cli_matrix_print(prog, matrix, format, quiet);
        goto out;
    }
    if (vms_check_files(src, dest, &opts, &report, &err)) {
        rc = cli_report_input_error(prog, quiet ? VMS_CHECK_TEXT : format,
                                    src, dest, &err);
        goto out;
    }
    rc = cli_report_print(prog, report, format, quiet);
out:
    vms_check_baseline_free(baseline);
    vms_check_rules_free(rules);
    return rc;
}
