/*
 * libvmstate internals: RAM blocks written to files as a stream's pages
 * pass (analyze -x, unpack). Never installed.
 *
 * Each block is a file of its length under a temporary name (vms_outfile),
 * sparse where no page was written; consecutive pages gather into runs of
 * up to 1 MiB that a second thread writes while the decoder fills the
 * other run buffer, so writing overlaps with reading (dd's speed, not one
 * syscall per page).
 */
#ifndef VMS__RAMFILE_H
#define VMS__RAMFILE_H

#include <stdbool.h>
#include <stdint.h>
#include "vmstate/error.h"

typedef struct vms__ramfiles vms__ramfiles;

/* A block file's path inside the directory, with its NUL. */
#define VMS__RAMFILE_PATH_MAX 512

/*
 * Files go into dirfd (borrowed); page_size is the target page size;
 * out_flags are vms_outfile_open's (VMS_OUT_FORCE replaces files).
 */
vms__ramfiles *vms__ramfiles_new(int dirfd, uint32_t page_size,
                               unsigned out_flags, vms_error *err);
/* Aborts files not committed, stops the thread. NULL is allowed. */
void vms__ramfiles_free(vms__ramfiles *rf);

/*
 * Block idx (dense, from 0) of length bytes, in file fname: one safe path
 * component (vms__ramfiles_fname) or a path vms__ramfiles_qemu_path made,
 * whose directories are created as needed (never through a symlink, and
 * removed again by a failed run when they stay empty). 1 when idx is known
 * already (a later MEM_SIZE), else 0.
 */
int vms__ramfiles_block(vms__ramfiles *rf, unsigned idx, const char *fname,
                       uint64_t length, vms_error *err);
/*
 * The file name for a block called name (stream input: untrusted): one
 * safe path component (vms_safe_filename), none of reserved (a NULL-ended
 * list, or NULL), and no other block's file: "a/b" and "a_b" must never
 * share one file, so "~2", "~3", ... is added until the name is free.
 */
void vms__ramfiles_fname(const vms__ramfiles *rf, const char *name,
                        const char *const *reserved, char out[256]);
/*
 * The path QEMU's analyze-migration.py -x gives the block called name
 * ("/rom@etc/acpi/tables" -> rom@etc/acpi/tables), when it is plain
 * (no ".", "..", leading dot or control byte in a component) and names no
 * file of reserved nor of another block, nor a directory of one: true and
 * out filled; false: use vms__ramfiles_fname.
 */
bool vms__ramfiles_qemu_path(const vms__ramfiles *rf, const char *name,
                            const char *const *reserved,
                            char out[VMS__RAMFILE_PATH_MAX]);
/* The file name of block idx, "" when none. */
const char *vms__ramfiles_name(const vms__ramfiles *rf, unsigned idx);

/*
 * A page's new content: page_size bytes at data, or every byte fill when
 * data is NULL (a zero page over a hole stays a hole).
 */
int vms__ramfiles_page(vms__ramfiles *rf, unsigned idx, uint64_t addr,
                      const uint8_t *data, uint8_t fill, vms_error *err);
/* The page's current content (zeros where nothing was written). */
int vms__ramfiles_read(vms__ramfiles *rf, unsigned idx, uint64_t addr,
                      uint8_t *buf, vms_error *err);
/* Hand the pending run to the writer (e.g. at the end of a chunk). */
int vms__ramfiles_flush(vms__ramfiles *rf, vms_error *err);
/* Wait for every write and rename the files into place. */
int vms__ramfiles_commit(vms__ramfiles *rf, vms_error *err);

#endif
