/*
 * libvmstate internals of the checker's baselines (check_baseline.c).
 * Never installed.
 */
#ifndef VMS__CHECK_BASELINE_H
#define VMS__CHECK_BASELINE_H

#include "vmstate/check.h"

/*
 * Marks r's findings that b accepts and recounts r->errors (b is not
 * changed: a matrix applies one baseline to many reports in threads).
 */
int vms__check_baseline_apply(const vms_check_baseline *b,
                              vms_check_report *r);

#endif
