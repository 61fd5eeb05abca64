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

void cmd_verify_usage(FILE *out, const char *prog)
{
    fprintf(out,
"usage: %s STREAM --dest DEST.json [--reference REF.mig]\n"
"       [--dump-vmstate SRC.json] [--format FMT] [--strict] [-q]\n"
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
"What no -dump-vmstate describes is listed as \"not verified\" (a\n"
"warning): sections QEMU registers outside any device class (cpu,\n"
"timer, ram, apic, spapr, s390_css, ...), whose verdict depends on the\n"
"destination's CPU model, RAM and version. Nor can a dump tell which\n"
"devices the destination's command line creates, or its capabilities.\n"
"--reference gives verify that evidence: a stream the destination QEMU\n"
"saved with the command line it will load with. Sections it also sends\n"
"are checked against its versions (section and subsections), an aarch64\n"
"CPU against its cpreg list and ID registers, compressed RAM pages\n"
"against whether it compresses; what it still cannot decide stays \"not\n"
"verified\".\n"
"\n"
"  -d, --dest FILE     the destination's 'qemu-system-* -M MACHINE\n"
"                      -dump-vmstate FILE' output\n"
"      --format FMT    text (default, one line per finding), json,\n"
"                      github (Actions annotations) or sarif, as\n"
"                      'vmstate check' writes them\n"
"      --dump-vmstate FILE  the source's -dump-vmstate (the QEMU that\n"
"                      wrote STREAM), for a stream without JSON\n"
"                      description: the device sections it decodes\n"
"                      (as 'vmstate unpack') are passed exactly rather\n"
"                      than by searching for the next section\n"
"  -r, --reference REF  a stream the destination saved with the command\n"
"                      line it loads with (same machine, -cpu, devices,\n"
"                      migration capabilities; e.g. started with -S, then\n"
"                      'migrate \"exec:cat > REF\"'), with its JSON\n"
"                      description\n"
"      --strict        count the sections not verified as findings:\n"
"                      exit 0 then means every section was verified\n"
"  -v, --verbose       accepted for compatibility (the sections not\n"
"                      verified are always listed)\n"
"  -q, --quiet         print no findings: the exit status tells\n"
"  -h, --help          this text\n"
"\n"
"Example:\n"
"  qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate dest.json\n"
"  %s saved.mig --dest dest.json\n"
"  %s saved.mig --dest dest.json --reference dest-saved.mig\n"
"\n"
"Exit status: the number of findings that make QEMU refuse the stream,\n"
"capped at 255 (warnings do not count); 0 = nothing seen stops the load\n"
"(see the \"not verified\" warnings for what was not seen). 255 with\n"
"nothing on stdout and one line on stderr is an input error (with\n"
"--format json a document with an \"error\" key); 2 = bad usage.\n",
            prog, prog, prog);
}

int cmd_verify(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "dest", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'F' },
        { "verbose", no_argument, NULL, 'v' },
        { "strict", no_argument, NULL, 'S' },
        { "dump-vmstate", required_argument, NULL, 'V' },
        { "reference", required_argument, NULL, 'r' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_verify_opts o = VMS_VERIFY_OPTS_INIT;
    vms_check_report *report;
    enum vms_check_format format = VMS_CHECK_TEXT;
    bool quiet = false;
    vms_error err;
    int c;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "d:r:vqh", longopts)) != -1) {
        switch (c) {
        case 'd': o.dest = optarg; break;
        case 'V': o.src_dump = optarg; break;
        case 'r': o.reference = optarg; break;
        case 'v': o.verbose = true; break;
        case 'S': o.strict = true; break;
        case 'q': quiet = true; break;
        case 'h':
            cmd_verify_usage(stdout, prog);
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
    if (argc - optind != 1 || !o.dest) {
        cli_usage_hint(prog, "one STREAM and --dest DEST.json are needed");
        return CLI_EXIT_USAGE;
    }
    o.stream = argv[optind];
    o.input = &cli_input;
    if (vms_verify(&o, &report, &err)) {
        return cli_report_input_error(prog, quiet ? VMS_CHECK_TEXT : format,
                                      o.stream, o.dest, &err);
    }
    return cli_report_print(prog, report, format, quiet);
}
