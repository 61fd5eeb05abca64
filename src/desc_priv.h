/*
 * libvmstate internals of descriptions (desc.c): the bound that their
 * validation and the walk above it share. Never installed.
 */
#ifndef VMS__DESC_PRIV_H
#define VMS__DESC_PRIV_H

/*
 * Descriptions nested deeper than this are a description bug (or a
 * hostile vmdesc): validation refuses them, the walk stops there.
 */
#define VMS__WALK_MAX_DEPTH 64

#endif
