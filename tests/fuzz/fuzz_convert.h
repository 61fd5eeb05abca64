/*
 * libFuzzer targets fuzz_ber and fuzz_json: vmstate convert's document
 * readers (the BER decoder, the JSON state loader) on a document given as
 * the input, converted back to a migration stream; the first input byte
 * picks the output encoding (wire, BER, JSON, trace) so that what a
 * reader accepts is also walked by every writer. Output goes to a file in
 * a private temporary directory, replaced each run.
 */
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64], out[96];
    static const vms_encoding to[4] = {
        VMS_ENC_WIRE, VMS_ENC_BER, VMS_ENC_JSON, VMS_ENC_TRACE,
    };
    vms_error err;
    char path[32];
    int fd;

    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/vms-fuzz-convert-XXXXXX");
        if (!mkdtemp(dir)) {
            abort();
        }
        snprintf(out, sizeof(out), "%s/out", dir);
    }
    if (size < 1) {
        return 0;
    }
    fd = fuzz_memfd(data + 1, size - 1, NULL, 0);
    fuzz_fd_path(fd, path);
    vms_error_clear(&err);
    vms_convert_opts o = VMS_CONVERT_OPTS_INIT;

    o.flags = VMS_CONVERT_FORCE;
    if (vms_convert(path, out, to[data[0] & 3], &o, &err) &&
        err.code == 0) {
        abort();    /* a failure must always say why */
    }
    close(fd);
    unlink(out);
    return 0;
}
