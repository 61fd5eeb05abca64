/*
 * vmstate demo: the example VMM (examples/pc.c) writes a migration stream
 * of its PC devices and their -dump-vmstate, so a newcomer sees
 * libvmstate at work and can feed both to QEMU or to the other commands.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pc.h"

static void demo_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--version 1|2] [--stream FILE] [--dump FILE] [--state FILE]\n"
            "       [--ram MIB] [--seed N] [--force]\n"
            "\n"
            "Write the example VMM's devices (two i8259, mc146818rtc,\n"
            "isa-serial, i8254, PIIX3, e1000; as in QEMU 7.2 for version 1,\n"
            "evolved for version 2) as a QEMU migration stream for machine\n"
            "pc-i440fx-7.2 and as QEMU -dump-vmstate JSON.\n"
            "\n"
            "  --version N  device descriptions of release 1 or 2 (1)\n"
            "  --stream F   write the stream to F\n"
            "  --dump F     write the -dump-vmstate JSON to F\n"
            "  --state F    write the state as 'vmstate analyze -d state'\n"
            "               prints the stream (the JSON-state visitor)\n"
            "  --ram MIB    carry a \"pc.ram\" block of MIB MiB (none)\n"
            "  --seed N     random device state from seed N, PCI config\n"
            "               included (QEMU refuses it); without it, a known\n"
            "               state (see examples/pc.h)\n"
            "  --force      replace existing output files\n"
            "  -h, --help   this text\n", prog);
}

static int out_commit(vms_outfile *o, int e, unsigned flags, vms_error *err)
{
    if (e) {
        vms_outfile_abort(o);
        return e;
    }
    return vms_outfile_commit(o, flags, err);
}

/* OUT (complete or absent) through a vms_writer that fn fills. */
static int write_file(vms_vm *vm, const char *path, unsigned oflags,
                      int (*fn)(vms_vm *, vms_writer *, vms_error *),
                      vms_error *err)
{
    vms_outfile o;
    vms_writer *w;
    int e = vms_outfile_create(&o, path, oflags, err);

    if (e) {
        return e;
    }
    if (!(w = vms_writer_fd(o.fd, path, err))) {
        return out_commit(&o, err->code, oflags, err);
    }
    e = fn(vm, w, err);
    {
        int c = vms_writer_close(w, err);
        e = e ? e : c;
    }
    return out_commit(&o, e, oflags, err);
}

static int save_stream(vms_vm *vm, vms_writer *w, vms_error *err)
{
    return vms_vm_save(vm, w, 0, err);
}

static int save_state(vms_vm *vm, vms_writer *w, vms_error *err)
{
    vms_jsonw *j = vms_jsonw_new(w, VMS_JSONW_PRETTY, 4, err);
    int e = j ? vms_vm_write_state_json(vm, j, err) : err->code;

    if (vms_jsonw_free(j) && !e) {
        /* the writer keeps the failure's record: its flush fills err */
        e = vms_writer_flush(w, err);
    }
    return e;
}

int cmd_demo(int argc, char **argv, const char *prog)
{
    static const struct option opts[] = {
        { "version", required_argument, NULL, 'v' },
        { "stream", required_argument, NULL, 's' },
        { "dump", required_argument, NULL, 'd' },
        { "state", required_argument, NULL, 'j' },
        { "ram", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, 'S' },
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *stream = NULL, *dump = NULL, *state = NULL;
    unsigned long long ram_mib = 0, seed = 0;
    unsigned oflags = 0;
    vms_error err = { 0 };
    vms_vm *vm = NULL;
    int variant = 1, c, e;
    char *end;
    ex_pc pc;

    optind = 1;
    while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'v':
            variant = (int)strtol(optarg, &end, 10);
            if (*end || (variant != 1 && variant != 2)) {
                cli_errorf(prog, "--version must be 1 or 2");
                return CLI_EXIT_USAGE;
            }
            break;
        case 's': stream = optarg; break;
        case 'd': dump = optarg; break;
        case 'j': state = optarg; break;
        case 'r':
            ram_mib = strtoull(optarg, &end, 10);
            if (*end || ram_mib > 65536) {
                cli_errorf(prog, "--ram takes MiB, at most 65536");
                return CLI_EXIT_USAGE;
            }
            break;
        case 'S':
            seed = strtoull(optarg, &end, 0);
            if (*end) {
                cli_errorf(prog, "--seed takes a number");
                return CLI_EXIT_USAGE;
            }
            break;
        case 'f': oflags |= VMS_OUT_FORCE; break;
        case 'h': demo_usage(stdout, prog); return 0;
        default: cli_bad_option(prog, c, argv); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_usage_hint(prog, "unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!stream && !dump && !state) {
        cli_usage_hint(prog, "one of --stream, --dump or --state is needed");
        return CLI_EXIT_USAGE;
    }
    if ((e = ex_pc_init(&pc, variant, ram_mib << 20, &err))) {
        cli_error(prog, &err);
        return 1;
    }
    if (seed) {
        ex_pc_randomize(&pc, seed);
    } else {
        ex_pc_demo_state(&pc);
    }
    if (!(vm = vms_vm_new("pc-i440fx-7.2", 4096, &err)) ||
        (e = ex_pc_register(&pc, vm, EX_DEV_ALL, &err)) ||
        (stream && (e = write_file(vm, stream, oflags, save_stream, &err))) ||
        (dump && (e = write_file(vm, dump, oflags, vms_vm_dump_vmstate,
                                 &err))) ||
        (state && (e = write_file(vm, state, oflags, save_state, &err)))) {
        cli_error(prog, &err);
        e = 1;
    }
    vms_vm_free(vm);
    ex_pc_free(&pc);
    return e ? 1 : 0;
}

void cmd_demo_usage(FILE *out, const char *prog)
{
    demo_usage(out, prog);
}
