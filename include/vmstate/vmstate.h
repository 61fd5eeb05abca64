/*
 * libvmstate umbrella header: includes every public header.
 */
#ifndef VMSTATE_VMSTATE_H
#define VMSTATE_VMSTATE_H

#include "common.h"
#include "error.h"
#include "limits.h"
#include "version.h"
#include "json.h"
#include "io.h"
#include "desc.h"
#include "visitor.h"
#include "dump.h"
#include "check.h"
#include "vm.h"
#include "stream.h"
#include "ram.h"
#include "sections.h"
#include "vmdesc.h"
#include "analyze.h"
#include "diff.h"
#include "verify.h"
#include "pack.h"
#include "convert.h"
#include "core.h"
#include "input.h"
#include "info.h"

#endif
