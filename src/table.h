/*
 * libvmstate internals: arrays, the fixed ones' length and tables that
 * grow to the index that arrives. Never installed.
 */
#ifndef VMS__TABLE_H
#define VMS__TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vmstate/common.h"

#define VMS__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Make index idx of the table at *tabp (a T * holding *n elements of elem
 * bytes) exist, the new elements zeroed: RAM blocks arrive by index, in
 * any order (ram.h's block callback). Returns 0, or VMS_ENOMEM with the
 * table unchanged. The pointer is moved with memcpy, so any T * works.
 */
static inline int vms__table_fit(void *tabp, unsigned *n, unsigned idx,
                                 size_t elem)
{
    void *tab, *t;

    if (idx < *n) {
        return 0;
    }
    if (idx == (unsigned)-1 || (size_t)idx + 1 > SIZE_MAX / elem) {
        return VMS_ENOMEM;
    }
    memcpy(&tab, tabp, sizeof(tab));
    if (!(t = realloc(tab, ((size_t)idx + 1) * elem))) {
        return VMS_ENOMEM;
    }
    memset((char *)t + (size_t)*n * elem, 0, ((size_t)idx + 1 - *n) * elem);
    memcpy(tabp, &t, sizeof(t));
    *n = idx + 1;
    return 0;
}

#endif
