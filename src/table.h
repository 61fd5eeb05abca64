/*
 * libvmstate internals: arrays, the fixed ones' length and tables that
 * grow (to the index that arrives, or one more at the end). Never
 * installed.
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

/*
 * Make room for element n of the table at *tabp (a T * with room for
 * *cap elements of elem bytes, n <= *cap), doubling it from 8 when full:
 * the amortized append of lists whose length is not known beforehand.
 * Returns 0, or VMS_ENOMEM with the table unchanged. The pointer is moved
 * with memcpy, so any T * works.
 */
static inline int vms__table_room(void *tabp, size_t *cap, size_t n,
                                  size_t elem)
{
    void *tab, *t;
    size_t ncap;

    if (n < *cap) {
        return 0;
    }
    ncap = *cap ? *cap : 4;
    if (ncap > SIZE_MAX / 2 / elem) {
        return VMS_ENOMEM;
    }
    ncap *= 2;
    memcpy(&tab, tabp, sizeof(tab));
    if (!(t = realloc(tab, ncap * elem))) {
        return VMS_ENOMEM;
    }
    memcpy(tabp, &t, sizeof(t));
    *cap = ncap;
    return 0;
}

#endif
