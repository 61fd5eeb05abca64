/*
 * libFuzzer target: the stream container, every section decoder and the
 * vmdesc-driven device decoding, through the whole analyzer (vms_analyze)
 * in each mode that writes no file. The first input byte picks the mode
 * and whether the stream is seekable (memory file) or a pipe, where the
 * vmdesc is found by buffering the tail; the rest is the stream.
 */
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

static int discard(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    (void)len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vms_writer *devnull;
    static const enum vms_analyze_mode modes[4] = {
        VMS_ANALYZE_STATE, VMS_ANALYZE_STATE, VMS_ANALYZE_DESC,
        VMS_ANALYZE_STATE,
    };
    struct fuzz_pipe pipe_;
    vms_analyze_opts o = { .version = VMS_ANALYZE_OPTS_VERSION };
    vms_error err;
    char path[32];
    bool piped;
    int fd;

    if (size < 1) {
        return 0;
    }
    if (!devnull && !(devnull = vms_writer_sink(discard, NULL, "/dev/null",
                                                NULL))) {
        abort();
    }
    o.mode = modes[data[0] & 3];
    o.memory = (data[0] & 3) == 1;
    o.out = devnull;
    piped = data[0] & 4;
    fd = piped ? fuzz_pipe_start(&pipe_, data + 1, size - 1)
               : fuzz_memfd(data + 1, size - 1, NULL, 0);
    fuzz_fd_path(fd, path);
    o.file = path;
    vms_error_clear(&err);
    if (vms_analyze(&o, &err) && err.code == 0) {
        abort();    /* a failure must always say why */
    }
    if (piped) {
        fuzz_pipe_finish(&pipe_);
    } else {
        close(fd);
    }
    return 0;
}
