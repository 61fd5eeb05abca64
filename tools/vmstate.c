/*
 * vmstate: git-style dispatch to subcommands, plus argv[0] dispatch for the
 * drop-in names of QEMU's scripts (vmstate-static-checker,
 * analyze-migration).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libgen.h>
#include "cli.h"

static const cli_command commands[] = {
    { "check", "static migration-compatibility check of two "
      "-dump-vmstate files", cmd_check, cmd_check_usage },
    /* one line per subcommand */
    { "analyze", "decode a migration stream (analyze-migration.py)",
      cmd_analyze, cmd_analyze_usage },
    { "demo", "write the example VMM's stream and -dump-vmstate",
      cmd_demo, cmd_demo_usage },
    { "diff", "what differs between two migration streams",
      cmd_diff, cmd_diff_usage },
    { "verify", "will a migration stream load on a destination QEMU?",
      cmd_verify, cmd_verify_usage },
    { "unpack", "take a migration stream apart into an editable directory",
      cmd_unpack, cmd_unpack_usage },
    { "pack", "write a stream back from an unpacked directory",
      cmd_pack, cmd_pack_usage },
    { "info", "what a saved-VM file is (stream, libvirt image, qcow2)",
      cmd_info, cmd_info_usage },
    { "convert", "convert a stream between wire, ASN.1 BER, JSON and trace",
      cmd_convert, cmd_convert_usage },
    { "core", "guest memory and CPUs of a saved VM as an ELF core or raw image",
      cmd_core, cmd_core_usage },
    { NULL, NULL, NULL, NULL },
};

/* Drop-in names: the program QEMU's build or its users expect. */
static const struct {
    const char *argv0;
    const char *command;
} aliases[] = {
    { "vmstate-static-checker", "check" },
    /* @ALIASES@ */
    { "analyze-migration", "analyze" },
    { "analyze-migration.py", "analyze" },
    { NULL, NULL },
};

void cli_error(const char *prog, const vms_error *err)
{
    char buf[1024];

    fprintf(stderr, "%s: %s\n", prog, vms_error_format(err, buf, sizeof(buf)));
}

/* One line "PROG: message", with the pointer to --help for usage slips. */
static void say(const char *prog, bool hint, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    if (hint) {
        fprintf(stderr, " (see '%s --help')", prog);
    }
    fputc('\n', stderr);
}

vms_writer *cli_stdout(vms_error *err)
{
    return vms_writer_fd(1, "standard output", err);
}

int cli_close(vms_writer *out, int e, vms_error *err)
{
    int c = vms_writer_close(out, e ? NULL : err);

    return e ? e : c;
}

void cli_errorf(const char *prog, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(prog, false, fmt, ap);
    va_end(ap);
}

int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    char spec[64];

    /* the leading ':' makes a missing argument ':' rather than '?' */
    snprintf(spec, sizeof(spec), ":%s", shortopts);
    opterr = 0;
    return getopt_long(argc, argv, spec, longopts, NULL);
}

void cli_usage_hint(const char *prog, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(prog, true, fmt, ap);
    va_end(ap);
}

int cli_choice(const char *prog, const char *opt, const char *arg,
               const char *const *names, int *idx)
{
    char list[256];
    size_t n = 0;

    for (int i = 0; names[i]; i++) {
        if (strcmp(arg, names[i]) == 0) {
            *idx = i;
            return 0;
        }
        n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n
                              : 0, "%s%s", i ? ", " : "", names[i]);
        if (n >= sizeof(list)) {
            n = sizeof(list) - 1;
        }
    }
    cli_usage_hint(prog, "%s: '%s' is not one of %s", opt, arg, list);
    return CLI_EXIT_USAGE;
}

void cli_bad_option(const char *prog, int c, char **argv)
{
    char name[80];
    const char *arg = argv[optind - 1];

    /* a short option inside a cluster (-mz): name the letter itself */
    if (optopt && !(arg[0] == '-' && arg[1] == '-')) {
        snprintf(name, sizeof(name), "-%c", optopt);
    } else {
        /* --opt=value: the option's name only */
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
    }
    if (c == ':') {
        cli_usage_hint(prog, "option '%s' needs an argument", name);
    } else {
        cli_usage_hint(prog, "unknown option '%s'", name);
    }
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; commands[i].name; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vmstate [--version] [--help] <command> [<args>]\n"
            "\n"
            "QEMU device state and migration streams.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; commands[i].name; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nEvery command that reads a stream also reads it inside "
                 "a libvirt save image\n(raw or compressed) or a qcow2 "
                 "image's internal snapshot:\n"
                 "  --snapshot ID|NAME  the qcow2 snapshot to read (default: "
                 "the only one\n"
                 "                      with VM state)\n");
    fprintf(out, "\n'vmstate help <command>' or 'vmstate <command> --help' "
                 "describes one command.\n");
}

static void version(void)
{
    printf("vmstate %s\n"
           "stream format: QEMU_VM_FILE_MAGIC version %d "
           "(QEMU 2.x to 10.x streams, vmdesc JSON)\n"
           "dump format: QEMU -dump-vmstate JSON (QEMU 1.x to 10.x)\n",
           vms_version(), VMS_STREAM_VERSION);
}

/*
 * --snapshot ID|NAME picks a qcow2 image's internal snapshot for every
 * command that reads a stream, so it is taken out of argv here, wherever
 * it stands, rather than parsed by each command; each command hands
 * cli_input to the library in its options (no process-wide default).
 */
vms_input_opts cli_input = VMS_INPUT_OPTS_INIT;

static int take_snapshot_option(int *argc, char **argv, const char *prog)
{
    vms_input_opts *o = &cli_input;
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < *argc) {
                argv[out++] = argv[i++];
            }
            break;
        }
        if (strcmp(a, "--snapshot") == 0) {
            if (i + 1 >= *argc) {
                cli_usage_hint(prog, "option '--snapshot' needs an argument");
                return CLI_EXIT_USAGE;
            }
            o->snapshot = argv[++i];
            continue;
        }
        if (strncmp(a, "--snapshot=", 11) == 0) {
            o->snapshot = a + 11;
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}

int main(int argc, char **argv)
{
    char *base = basename(argv[0]);
    const cli_command *cmd;
    char prog[64];

    for (size_t i = 0; aliases[i].argv0; i++) {
        if (strcmp(base, aliases[i].argv0) == 0) {
            cmd = find(aliases[i].command);
            program_invocation_short_name = base;
            return cmd->run(argc, argv, base);
        }
    }
    /* usage errors of vmstate itself: the commands' one-line shape */
    if (argc < 2) {
        cli_usage_hint("vmstate", "a command is needed");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        version();
        return 0;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        if (argc > 3) {
            cli_usage_hint("vmstate", "help takes one command");
            return CLI_EXIT_USAGE;
        }
        cmd = find(argv[2]);
        if (!cmd) {
            cli_usage_hint("vmstate", "'%s' is not a vmstate command",
                           argv[2]);
            return CLI_EXIT_USAGE;
        }
        snprintf(prog, sizeof(prog), "vmstate %s", cmd->name);
        cmd->usage(stdout, prog);
        return 0;
    }
    cmd = find(argv[1]);
    if (!cmd && argv[1][0] == '-') {
        cli_usage_hint("vmstate", "unknown option '%.*s'",
                       (int)strcspn(argv[1], "="), argv[1]);
        return CLI_EXIT_USAGE;
    }
    if (!cmd) {
        cli_usage_hint("vmstate", "'%s' is not a vmstate command", argv[1]);
        return CLI_EXIT_USAGE;
    }
    snprintf(prog, sizeof(prog), "vmstate %s", cmd->name);
    /* the library's warnings name the program as error(3) does */
    program_invocation_short_name = prog;
    if (take_snapshot_option(&argc, argv, prog)) {
        return CLI_EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1, prog);
}
