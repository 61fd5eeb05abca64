/*
 * vmstate core: options only; the work is vms_core().
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "vmstate/core.h"

void cmd_core_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s STREAM -o FILE [--format elf|kdump|raw] "
            "[--memory-map MAP]\n"
            "       [--force] [--progress] [-q]\n"
            "\n"
            "Write the guest memory and CPU registers of a saved VM (a "
            "migration\nstream file) as the ELF core QEMU's "
            "dump-guest-memory writes, for gdb,\ncrash and memory "
            "forensics, or as a raw image.\n"
            "\n"
            "  -o, --output FILE   the core (complete or absent)\n"
            "      --format F      elf (default): PT_NOTE with each CPU's "
            "registers and one\n"
            "                      PT_LOAD per guest-physical range; "
            "kdump: the\n"
            "                      kdump-compressed file (zlib) crash "
            "reads; raw: a sparse file\n"
            "                      where file offset = guest-physical "
            "address\n"
            "      --memory-map MAP  ranges 'PADDR SIZE BLOCK OFFSET' per "
            "line, instead\n"
            "                      of the machine's rules (pc-i440fx-*, "
            "pc-q35-*, virt-*)\n"
            "      --force         replace an existing FILE\n"
            "      --progress      progress bar on stderr when it is a "
            "terminal\n"
            "  -q, --quiet         no progress bar\n"
            "  -h, --help          this text\n"
            "\n"
            "Examples:\n"
            "  %s vm.mig -o vm.core && gdb -c vm.core\n"
            "  %s vm.mig -o vm.raw --format raw\n"
            "  %s vm.mig -o vm.kdump --format kdump\n"
            "  %s vm.mig -o vm.core --memory-map map.txt\n"
            "\n"
            "Exit status: 0, or 1 with one line on stderr naming the file "
            "(and byte\noffset) when the input cannot be turned into a "
            "core; 2 = bad usage.\n", prog, prog, prog, prog, prog);
}

int cmd_core(int argc, char **argv, const char *prog)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, 'F' },
        { "memory-map", required_argument, NULL, 'M' },
        { "force", no_argument, NULL, 'f' },
        CLI_PROGRESS_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    /* in the order of enum vms_core_format */
    static const char *const formats[] = { "elf", "raw", "kdump", NULL };
    vms_core_opts o = VMS_CORE_OPTS_INIT;
    cli_progress bar = { 0 };
    vms_error err;
    int c, e, i;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "o:qh", longopts)) != -1) {
        if (cli_progress_option(&bar, c)) {
            continue;
        }
        switch (c) {
        case 'o':
            o.output = optarg;
            break;
        case 'F':
            if (cli_choice(prog, "--format", optarg, formats, &i)) {
                return CLI_EXIT_USAGE;
            }
            o.format = (enum vms_core_format)i;
            break;
        case 'M':
            o.memory_map = optarg;
            break;
        case 'f':
            o.force = true;
            break;
        case 'h':
            cmd_core_usage(stdout, prog);
            return 0;
        default:
            cli_bad_option(prog, c, argv);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !o.output) {
        cli_usage_hint(prog, "%s", argc - optind != 1
                       ? "one STREAM is needed" : "-o FILE is needed");
        return CLI_EXIT_USAGE;
    }
    o.file = argv[optind];
    o.input = &cli_input;
    cli_progress_start(&bar, "core", &o.progress, &o.progress_opaque);
    vms_error_clear(&err);
    e = vms_core(&o, &err);
    cli_progress_end(&bar);
    if (e) {
        cli_error(prog, &err);
        return 1;
    }
    return 0;
}
