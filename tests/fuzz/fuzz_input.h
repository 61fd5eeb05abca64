/*
 * The body of the input-layer fuzz targets (fuzz_libvirt, fuzz_qcow2):
 * the input is the file, opened as vmstate opens any input (detected by
 * content, so both targets reach every container; they differ in their
 * seed corpora), and the stream inside read to its end as a command
 * would, at most 4 MiB (a mutated header may claim gigabytes).
 */
#ifndef VMS_FUZZ_INPUT_H
#define VMS_FUZZ_INPUT_H

#include "fuzz_util.h"
#include "vmstate/vmstate.h"

static inline int fuzz_input_layer(const uint8_t *data, size_t size)
{
    vms_input_opts o = VMS_INPUT_OPTS_INIT;
    vms_error err;
    char path[32];
    int fd = fuzz_memfd(data, size, NULL, 0);
    vms_input *in;

    if (fd < 0) {
        return 0;
    }
    fuzz_fd_path(fd, path);
    o.snapshot = size & 1 ? "1" : NULL;
    in = vms_input_open(path, &o, &err);
    if (in) {
        vms_reader *r = vms_input_take_reader(in);
        uint64_t total = 0;
        const uint8_t *p;
        size_t got;

        while (total < (4u << 20) &&
               vms_read_peek(r, VMS_READER_WINDOW, &p, &got, &err) == 0 &&
               got) {
            vms_read_skip(r, got, NULL);
            total += got;
        }
        vms_reader_close(r);
        vms_input_close(in);
    }
    close(fd);
    return 0;
}

#endif
