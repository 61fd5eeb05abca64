/*
 * vmstate analyze: options only; the work is vms_analyze().
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "vmstate/analyze.h"

void cmd_analyze_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [-f|--file] STREAM [-d|--dump state|desc] "
            "[-m|--memory]\n"
            "       [-x|--extract [-C DIR] [--force]] [--desc DESC.json] "
            "[--progress] [-q]\n"
            "       [--dump-vmstate DUMP.json]\n"
            "\n"
            "Decode a QEMU migration stream (a file, or - for standard "
            "input) to JSON,\nas QEMU's scripts/analyze-migration.py does.\n"
            "\n"
            "  -f, --file STREAM   the stream (also accepted as the operand)\n"
            "  -d, --dump WHAT     state (default): every section; desc: the "
            "stream's\n"
            "                      JSON description\n"
            "  -m, --memory        add the RAM pages to the state\n"
            "  -x, --extract       write desc.json, one file per RAM block "
            "and\n"
            "                      state.json, printing each name\n"
            "  -C, --directory DIR where -x writes (default: .), made when "
            "missing\n"
            "      --force         let -x replace existing files (default: "
            "refuse)\n"
            "      --desc FILE     description for a stream that has none "
            "('-d desc'\n"
            "                      output of a stream from the same QEMU "
            "and machine)\n"
            "      --dump-vmstate FILE  the -dump-vmstate JSON of the QEMU "
            "that wrote\n"
            "                      the stream, for device sections the "
            "vmdesc does not\n"
            "                      describe (a stream without one); what "
            "it cannot\n"
            "                      decode exactly is printed as raw bytes, "
            "with a warning\n"
            "      --progress      progress bar on stderr when it is a "
            "terminal\n"
            "  -q, --quiet         no progress bar, and with -x no file "
            "names\n"
            "  -h, --help          this text\n"
            "\n"
            "Examples:\n"
            "  %s vm.mig > state.json\n"
            "  %s -d desc vm.mig > desc.json\n"
            "  %s -m vm.mig | less\n"
            "  %s -x -C out vm.mig\n"
            "  %s -x -C out --force vm.mig\n"
            "  %s --desc desc.json old.mig\n"
            "  %s --dump-vmstate dump.json novmdesc.mig\n"
            "  %s --progress -x big.mig\n"
            "  ssh host cat vm.mig | %s -\n"
            "\n"
            "Exit status: 0, or 1 with one line on stderr naming the file "
            "and byte\noffset when the stream cannot be decoded; 2 = bad "
            "usage.\n", prog, prog, prog, prog, prog, prog, prog, prog, prog,
            prog);
}

int cmd_analyze(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "file", required_argument, NULL, 'f' },
        { "dump", required_argument, NULL, 'd' },
        { "memory", no_argument, NULL, 'm' },
        { "extract", no_argument, NULL, 'x' },
        { "directory", required_argument, NULL, 'C' },
        { "desc", required_argument, NULL, 'D' },
        /* --dump is python's -d: the dump file takes the longer name */
        { "dump-vmstate", required_argument, NULL, 'V' },
        CLI_PROGRESS_LONGOPTS,
        { "force", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_analyze_opts o = {
        .version = VMS_ANALYZE_OPTS_VERSION,
        .mode = VMS_ANALYZE_STATE,
        .input = &cli_input,
    };
    static const char *const modes[] = { "state", "desc", NULL };
    bool extract = false;
    cli_progress bar = { 0 };
    vms_error err;
    int c, e, i;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "f:d:mxC:qh", longopts)) != -1) {
        if (cli_progress_option(&bar, c)) {
            continue;
        }
        switch (c) {
        case 'f':
            o.file = optarg;
            break;
        case 'd':
            /* modes[] is in the order of enum vms_analyze_mode */
            if (cli_choice(prog, "-d", optarg, modes, &i)) {
                return CLI_EXIT_USAGE;
            }
            o.mode = (enum vms_analyze_mode)i;
            break;
        case 'm':
            o.memory = true;
            break;
        case 'x':
            extract = true;
            break;
        case 'C':
            o.outdir = optarg;
            break;
        case 'D':
            o.desc_file = optarg;
            break;
        case 'V':
            o.dump_file = optarg;
            break;
        case 'F':
            o.force = true;
            break;
        case 'h':
            cmd_analyze_usage(stdout, prog);
            return 0;
        default:
            cli_bad_option(prog, c, argv);
            return CLI_EXIT_USAGE;
        }
    }
    if (!o.file && optind < argc) {
        o.file = argv[optind++];
    }
    if (!o.file || optind < argc) {
        cli_usage_hint(prog, "%s", !o.file ? "a STREAM is needed"
                       : "one STREAM only");
        return CLI_EXIT_USAGE;
    }
    vms_error_clear(&err);
    if (extract) {
        o.mode = VMS_ANALYZE_EXTRACT;
    }
    /* -x -q prints no file names: no output at all */
    if (!(extract && bar.quiet) && !(o.out = cli_stdout(&err))) {
        cli_error(prog, &err);
        return 1;
    }
    cli_progress_start(&bar, "analyze", &o.progress, &o.progress_opaque);
    e = vms_analyze(&o, &err);
    cli_progress_end(&bar);
    if ((e = cli_close(o.out, e, &err))) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}
