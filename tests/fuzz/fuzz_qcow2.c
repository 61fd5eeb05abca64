/*
 * libFuzzer target: the input layer's qcow2 reader (header, snapshot
 * table, L1/L2 tables, compressed and extended-L2 clusters): the input is
 * the file, opened as vmstate opens any input, and the stream inside read
 * to its end (at most 64 MiB) as a command would.
 */
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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

        while (total < (64u << 20) &&
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
