/*
 * libvmstate internals of the checker (check.c), shared with verify and
 * the matrix. Never installed.
 */
#ifndef VMS__CHECK_PRIV_H
#define VMS__CHECK_PRIV_H

#include "vmstate/check.h"

/*
 * A finding appended to a report with every string copied (counted ones
 * add to r->errors, capped at 255).
 */
int vms__check_report_add(vms_check_report *r, const vms_finding *f);
/* r->src and r->dest checked under opts' rules and baseline into r. */
int vms__check_report_fill(vms_check_report *r,
                           const vms_check_options *opts, vms_error *err);

#endif
