/*
 * vmstate info: options only; the work is vms_info().
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "vmstate/info.h"

void cmd_info_usage(FILE *out, const char *prog)
{
    fprintf(out,
"usage: %s [--format text|json] [--snapshot ID|NAME] FILE\n"
"\n"
"What a saved-VM file is, as qemu-img info says for disks: the container\n"
"(a bare migration stream; a libvirt save image with its version,\n"
"compression and was-running flag, and the domain's name, UUID and\n"
"machine from its XML; a qcow2 image with its snapshot table, the one\n"
"read marked *), then the stream's machine type, page size, RAM blocks\n"
"and sizes, whether it has a JSON description and how many device\n"
"sections that lists, and the oldest QEMU its machine type names.\n"
"FILE may be '-' (standard input).\n"
"\n"
"  --format FMT        text (default) or json\n"
"  --snapshot ID|NAME  the qcow2 snapshot to read (default: the only one\n"
"                      with VM state)\n"
"  -h, --help          this text\n"
"\n"
"Examples:\n"
"  %s /var/lib/libvirt/qemu/save/vm1.save\n"
"  %s --format json vm.mig\n"
"  %s --snapshot s1 disk.qcow2\n"
"\n"
"Exit status: 0, 1 with one line on stderr when FILE cannot be read,\n"
"2 = bad usage.\n", prog, prog, prog, prog);
}

int cmd_info(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vms_info_opts o = VMS_INFO_OPTS_INIT;
    static const char *const formats[] = { "text", "json", NULL };
    vms_error err;
    int c, i;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'F':
            if (cli_choice(prog, "--format", optarg, formats, &i)) {
                return CLI_EXIT_USAGE;
            }
            o.json = i == 1;
            break;
        case 'h':
            cmd_info_usage(stdout, prog);
            return 0;
        default:
            cli_bad_option(prog, c, argv);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_usage_hint(prog, "one FILE expected");
        return CLI_EXIT_USAGE;
    }
    o.file = argv[optind];
    o.input = &cli_input;
    vms_error_clear(&err);
    if (!(o.out = cli_stdout(&err)) ||
        cli_close(o.out, vms_info(&o, &err), &err)) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}
