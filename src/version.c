/*
 * libvmstate: the library's version (version.h), as meson's
 * project(version:) gives it.
 */
#include "vmstate/version.h"

const char *vms_version(void)
{
    return VMS__VERSION_STRING;
}
