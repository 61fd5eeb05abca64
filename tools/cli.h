/*
 * vmstate command line: what every subcommand shares.
 *
 * The tool only parses options and calls libvmstate (curl's rule): no
 * format logic lives under tools/.
 */
#ifndef VMSTATE_CLI_H
#define VMSTATE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <getopt.h>
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
/*
 * getopt_long for every subcommand: missing arguments are reported as
 * such (':' is returned; shortopts is given without the leading ':'),
 * getopt prints nothing itself. Callers set optind = 1 first.
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts);
/*
 * cli_getopt returned ':' (missing argument) or '?': say which, one line,
 * the same for every subcommand.
 */
void cli_bad_option(const char *prog, int c, char **argv);
/* A usage mistake (wrong operands): one line and where to read more. */
void cli_usage_hint(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Standard output as the library's one output (a vms_writer); NULL with
 * err filled. The caller closes it (which flushes) and reports its error.
 */
vms_writer *cli_stdout(vms_error *err);
/*
 * Close out (NULL allowed) after an operation that returned e: its error
 * when e was 0 (err filled), else e.
 */
int cli_close(vms_writer *out, int e, vms_error *err);
/* Print "PROG: message" to stderr, one line. */
void cli_errorf(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Terminal manners (tools/term.c). Colour only when fd is a terminal, TERM
 * is not "dumb" and NO_COLOR is unset or empty.
 */
bool cli_color(int fd);
#define CLI_RED "\033[31m"
#define CLI_YELLOW "\033[33m"
#define CLI_GREEN "\033[32m"
#define CLI_RESET "\033[0m"

/*
 * An option whose value is one of names (NULL-terminated): *idx receives
 * its index. Otherwise one line, the same for every option of every
 * subcommand ("OPT: 'ARG' is not one of a, b, c" and the pointer to
 * --help), and CLI_EXIT_USAGE.
 */
int cli_choice(const char *prog, const char *opt, const char *arg,
               const char *const *names, int *idx);

/*
 * --progress and -q/--quiet, which every long operation takes (getopt
 * returns 'P' and 'q'; put "q" in the short options).
 */
#define CLI_PROGRESS_LONGOPTS \
    { "progress", no_argument, NULL, 'P' }, \
    { "quiet", no_argument, NULL, 'q' }

/*
 * A progress bar on stderr, drawn only when wanted (--progress, not
 * --quiet) and stderr is a terminal, at most every 0.2 s, erased at the
 * end. Zero-initialize, feed getopt's answers to cli_progress_option,
 * then cli_progress_start hands the library its vms_progress_fn and
 * opaque.
 */
typedef struct cli_progress {
    bool progress, quiet;    /* the options seen */
    bool on, drawn;
    const char *label;
    struct timespec t0, last;
} cli_progress;
/* c is 'P' or 'q': recorded, true; any other c: false. */
bool cli_progress_option(cli_progress *p, int c);
void cli_progress_start(cli_progress *p, const char *label,
                        vms_progress_fn *fn, void **opaque);
void cli_progress_update(void *opaque, uint64_t done, uint64_t total);
void cli_progress_end(cli_progress *p);

/*
 * Findings reports (check, verify; tools/report.c). Input errors exit
 * with CLI_EXIT_INPUT: a count of 255 always comes with 255+ lines on
 * stdout, an input error with none.
 */
#define CLI_EXIT_INPUT 255
/* Parse a --format value; CLI_EXIT_USAGE (message printed) when bad. */
int cli_report_format(const char *prog, const char *arg,
                      enum vms_check_format *out);
/* The one-line error, plus the JSON document with "error" for json. */
int cli_report_input_error(const char *prog, enum vms_check_format format,
                           const char *src, const char *dest,
                           const vms_error *err);
/*
 * Print report in format (text coloured on a terminal; nothing when
 * quiet), free it, and return the exit status: its error count.
 */
int cli_report_print(const char *prog, vms_check_report *report,
                     enum vms_check_format format, bool quiet);

/* The same for a --matrix run. */
int cli_matrix_print(const char *prog, vms_check_matrix *m,
                     enum vms_check_format format, bool quiet);
/* Subcommands (tools/cmd_<name>.c). */
int cmd_check(int argc, char **argv, const char *prog);
void cmd_check_usage(FILE *out, const char *prog);
int cmd_core(int argc, char **argv, const char *prog);
void cmd_core_usage(FILE *out, const char *prog);
int cmd_analyze(int argc, char **argv, const char *prog);
void cmd_analyze_usage(FILE *out, const char *prog);
int cmd_demo(int argc, char **argv, const char *prog);
void cmd_demo_usage(FILE *out, const char *prog);
int cmd_diff(int argc, char **argv, const char *prog);
void cmd_diff_usage(FILE *out, const char *prog);
int cmd_verify(int argc, char **argv, const char *prog);
void cmd_verify_usage(FILE *out, const char *prog);
int cmd_unpack(int argc, char **argv, const char *prog);
void cmd_unpack_usage(FILE *out, const char *prog);
int cmd_pack(int argc, char **argv, const char *prog);
void cmd_pack_usage(FILE *out, const char *prog);
int cmd_info(int argc, char **argv, const char *prog);
void cmd_info_usage(FILE *out, const char *prog);
int cmd_convert(int argc, char **argv, const char *prog);
void cmd_convert_usage(FILE *out, const char *prog);

/* The input options of every command (--snapshot: vmstate.c). */
#include "vmstate/input.h"
extern vms_input_opts cli_input;

#endif
