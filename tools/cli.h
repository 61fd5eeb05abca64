/*
 * vmstate command line: what every subcommand shares.
 *
 * The tool only parses options and calls libvmstate (curl's rule): no
 * format logic lives under tools/.
 */
#ifndef VMSTATE_CLI_H
#define VMSTATE_CLI_H

#include <stdio.h>
#include "vmstate/vmstate.h"

/* Exit statuses for usage and input errors, shared by all subcommands. */
#define CLI_EXIT_USAGE 2

typedef struct cli_command {
    const char *name;
    const char *summary;                       /* one line for "vmstate help" */
    int (*run)(int argc, char **argv, const char *prog);
    void (*usage)(FILE *out, const char *prog);
} cli_command;

/* Print "PROG: <formatted error>" to stderr, one line. */
void cli_error(const char *prog, const vms_error *err);
/* Print "PROG: message" to stderr, one line. */
void cli_errorf(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Subcommands (tools/cmd_<name>.c). */
int cmd_check(int argc, char **argv, const char *prog);
void cmd_check_usage(FILE *out, const char *prog);
/* @DECLS@ */
int cmd_analyze(int argc, char **argv, const char *prog);
void cmd_analyze_usage(FILE *out, const char *prog);
int cmd_demo(int argc, char **argv, const char *prog);
void cmd_demo_usage(FILE *out, const char *prog);
int cmd_unpack(int argc, char **argv, const char *prog);
void cmd_unpack_usage(FILE *out, const char *prog);
int cmd_pack(int argc, char **argv, const char *prog);
void cmd_pack_usage(FILE *out, const char *prog);
int cmd_convert(int argc, char **argv, const char *prog);
void cmd_convert_usage(FILE *out, const char *prog);

#endif
