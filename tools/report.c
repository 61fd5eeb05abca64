/*
 * How vmstate check and vmstate verify print a findings report: the same
 * --format values, the same exit-status rule, the same input-error shape,
 * so that a CI job treats both commands alike.
 */
#include <stdint.h>
#include <string.h>
#include "cli.h"

int cli_report_format(const char *prog, const char *arg,
                      enum cli_report_format *out)
{
    /* in the order of enum cli_report_format */
    static const char *const names[] = { "text", "json", "github", "sarif",
                                         NULL };
    int i;

    if (cli_choice(prog, "--format", arg, names, &i)) {
        return CLI_EXIT_USAGE;
    }
    *out = (enum cli_report_format)i;
    return 0;
}

static vms_jsonw *stdout_json(void)
{
    return vms_jsonw_new(vms_sink_fd, (void *)(intptr_t)1, VMS_JSONW_PRETTY,
                         4);
}

int cli_report_input_error(const char *prog, enum cli_report_format format,
                           const char *src, const char *dest,
                           const vms_error *err)
{
    cli_error(prog, err);
    if (format == CLI_REPORT_JSON) {
        vms_jsonw *w = stdout_json();

        if (w) {
            vms_check_write_json_error(src, dest, err, w);
            vms_jsonw_free(w);
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
static int write_color(const vms_check_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const vms_finding *f = &r->findings[i];

        if (f->accepted) {
            continue;
        }
        if (fputs(f->kind == VMS_FINDING_MACHINE_TYPE ? CLI_YELLOW : CLI_RED,
                  out) == EOF ||
            vms_finding_write_text(f, out) || fputs(CLI_RESET, out) == EOF) {
            return VMS_EIO;
        }
    }
    return fflush(out) == 0 ? 0 : VMS_EIO;
}

int cli_report_write(const vms_check_report *report,
                     enum cli_report_format format)
{
    int r;

    if (format == CLI_REPORT_JSON || format == CLI_REPORT_SARIF) {
        vms_jsonw *w = stdout_json();

        r = !w ? VMS_ENOMEM
            : format == CLI_REPORT_JSON ? vms_check_report_write_json(report, w)
                                        : vms_check_report_write_sarif(report,
                                                                       w);
        r = vms_jsonw_free(w) ? VMS_EIO : r;
    } else if (format == CLI_REPORT_GITHUB) {
        r = vms_check_report_write_github(report, stdout);
    } else if (cli_color(1)) {
        r = write_color(report, stdout);
    } else {
        r = vms_check_report_write_text(report, stdout);
    }
    return r;
}

/* A report that could not be written: one line, the input-error status. */
static int write_failed(const char *prog, int r, int count)
{
    vms_error err;

    if (r) {
        vms_error_clear(&err);
        vms_error_set(&err, r, "cannot write the report");
        cli_error(prog, &err);
        return CLI_EXIT_INPUT;
    }
    return count;
}

int cli_report_print(const char *prog, vms_check_report *report,
                     enum cli_report_format format, bool quiet)
{
    int r = 0, count = report->errors;

    if (!quiet) {
        r = cli_report_write(report, format);
    }
    vms_check_report_free(report);
    return write_failed(prog, r, count);
}

int cli_matrix_print(const char *prog, vms_check_matrix *m,
                     enum cli_report_format format, bool quiet)
{
    int r = 0, count = m->errors;

    if (quiet) {
        r = 0;
    } else if (format == CLI_REPORT_JSON || format == CLI_REPORT_SARIF) {
        vms_jsonw *w = stdout_json();

        r = !w ? VMS_ENOMEM
            : format == CLI_REPORT_JSON ? vms_check_matrix_write_json(m, w)
                                        : vms_check_matrix_write_sarif(m, w);
        r = vms_jsonw_free(w) ? VMS_EIO : r;
    } else if (format == CLI_REPORT_GITHUB) {
        r = vms_check_matrix_write_github(m, stdout);
    } else {
        r = vms_check_matrix_write_text(m, stdout);
    }
    vms_check_matrix_free(m);
    return write_failed(prog, r, count);
}
