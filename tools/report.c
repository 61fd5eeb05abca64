/*
 * How vmstate check and vmstate verify print a findings report: the same
 * --format values, the same exit-status rule, the same input-error shape,
 * so that a CI job treats both commands alike.
 */
#include <stdint.h>
#include <string.h>
#include "cli.h"

int cli_report_format(const char *prog, const char *arg,
                      enum vms_check_format *out)
{
    /* in the order of enum vms_check_format */
    static const char *const names[] = { "text", "json", "github", "sarif",
                                         NULL };
    int i;

    if (cli_choice(prog, "--format", arg, names, &i)) {
        return CLI_EXIT_USAGE;
    }
    *out = (enum vms_check_format)i;
    return 0;
}

static vms_writer *stdout_writer(vms_error *err)
{
    vms_error_clear(err);
    return cli_stdout(err);
}

int cli_report_input_error(const char *prog, enum vms_check_format format,
                           const char *src, const char *dest,
                           const vms_error *err)
{
    cli_error(prog, err);
    if (format == VMS_CHECK_JSON) {
        vms_error werr;
        vms_writer *w = stdout_writer(&werr);

        if (!w || cli_close(w, vms_check_write_json_error(src, dest, err,
                                                          w, &werr),
                            &werr)) {
            cli_error(prog, &werr);
        }
    }
    return CLI_EXIT_INPUT;
}

/*
 * QEMU's lines for a person at a terminal: errors in red, the uncounted
 * machine-type warning in yellow; the bytes between the escapes are
 * QEMU's. The uncounted section-level version message has no newline:
 * QEMU prints the next finding on the same line, so that line keeps the
 * colour of the finding that ends it.
 */
static int write_color(const vms_check_report *r, vms_writer *out,
                       vms_error *err)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];
        const char *color = f->kind == VMS_FINDING_MACHINE_TYPE ? CLI_YELLOW
                                                                : CLI_RED;

        if (f->accepted) {
            continue;
        }
        if (vms_write_bytes(out, color, strlen(color), err) ||
            vms_finding_write_text(f, out, err) ||
            vms_write_bytes(out, CLI_RESET, strlen(CLI_RESET), err)) {
            return err->code;
        }
    }
    return 0;
}

/*
 * The report (or the matrix when m) on standard output, text coloured on
 * a terminal. 0, or the error printed and CLI_EXIT_INPUT.
 */
static int write_stdout(const char *prog, const vms_check_report *report,
                        const vms_check_matrix *m,
                        enum vms_check_format format)
{
    vms_error err;
    vms_writer *w = stdout_writer(&err);
    int e;

    if (!w) {
        e = err.code;
    } else if (m) {
        e = vms_check_matrix_write(m, format, w, &err);
    } else if (format == VMS_CHECK_TEXT && cli_color(1)) {
        e = write_color(report, w, &err);
    } else {
        e = vms_check_report_write(report, format, w, &err);
    }
    if ((e = cli_close(w, e, &err))) {
        cli_error(prog, &err);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

/* Print one result (a report or a matrix), free it: its error count. */
static int print_free(const char *prog, vms_check_report *report,
                      vms_check_matrix *m, enum vms_check_format format,
                      bool quiet)
{
    int count = report ? report->errors : m->errors;
    int r = quiet ? 0 : write_stdout(prog, report, m, format);

    vms_check_report_free(report);
    vms_check_matrix_free(m);
    return r ? r : count;
}

int cli_report_print(const char *prog, vms_check_report *report,
                     enum vms_check_format format, bool quiet)
{
    return print_free(prog, report, NULL, format, quiet);
}

int cli_matrix_print(const char *prog, vms_check_matrix *m,
                     enum vms_check_format format, bool quiet)
{
    return print_free(prog, NULL, m, format, quiet);
}
