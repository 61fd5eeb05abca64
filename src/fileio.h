/*
 * libvmstate internals of file input and output (io.c): whole files read
 * under a limit, and the path an output file's error names. Never
 * installed.
 */
#ifndef VMS__FILEIO_H
#define VMS__FILEIO_H

#include <stddef.h>
#include "vmstate/error.h"
#include "vmstate/io.h"

/*
 * A whole file (or what fd gives until its end) in a malloc'd buffer
 * with a NUL after it, refused with "WHAT exceeds LIMIT_NAME (limit)"
 * once it grows past limit bytes; errors name path.
 */
int vms__read_all(int fd, const char *path, size_t limit, const char *what,
                  const char *limit_name, char **out, size_t *out_len,
                  vms_error *err);
int vms__read_file(const char *path, size_t limit, const char *what,
                   const char *limit_name, char **out, size_t *out_len,
                   vms_error *err);
/*
 * An output file's error names the path the user gave (DIR/NAME), not the
 * base name vms_outfile_open() saw: overwrites err->file.
 */
void vms__error_outfile(vms_error *err, const char *dir, const char *name);
#endif
