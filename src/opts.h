/*
 * libvmstate internals: the versions of the public option structs
 * (error.c). Never installed.
 */
#ifndef VMS__OPTS_H
#define VMS__OPTS_H

#include "vmstate/error.h"

/*
 * An options struct's version: 0 when the library knows it (1..known),
 * else VMS_EINVAL naming the struct (a program built against a later
 * header, or one that did not start from the _INIT macro).
 */
int vms__opts_version(int version, int known, const char *name,
                      vms_error *err);

#endif
