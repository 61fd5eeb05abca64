/*
 * libFuzzer target: vmstate pack's input, an unpacked directory. The input
 * is a small archive of its files: entries of one byte naming the file
 * (index into names[], modulo), a be32 length and the bytes, until the
 * input ends; the files are written into a fresh temporary directory and
 * vms_pack() makes a stream of them (stream.json and vmdesc.json through
 * jansson and the JSON state input visitor, the RAM log and data, block
 * files). Paths inside stream.json are the library's to refuse.
 */
#include <sys/stat.h>
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "stream.json", "vmdesc.json", "raw.bin", "ramlog.bin", "ramdata.bin",
    "ram/pc.ram", "ram/pc.bios", "ram/b",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char base[64];
    char dir[128], path[192], out[128];
    vms_error err;
    size_t i = 0;

    if (!base[0]) {
        snprintf(base, sizeof(base), "/tmp/vms-fuzz-pack-XXXXXX");
        if (!mkdtemp(base)) {
            abort();
        }
    }
    snprintf(dir, sizeof(dir), "%s/u", base);
    snprintf(out, sizeof(out), "%s/out.mig", base);
    snprintf(path, sizeof(path), "%s/ram", dir);
    if (mkdir(dir, 0755) != 0 || mkdir(path, 0755) != 0) {
        abort();
    }
    while (i + 5 <= size) {
        const char *name = names[data[i] % NNAMES];
        size_t len = ((size_t)data[i + 1] << 24) | ((size_t)data[i + 2] << 16) |
                     ((size_t)data[i + 3] << 8) | data[i + 4];
        int fd;

        i += 5;
        len = len < size - i ? len : size - i;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || fuzz_write_all(fd, data + i, len)) {
            abort();
        }
        close(fd);
        i += len;
    }
    vms_error_clear(&err);
    vms_pack_opts o = VMS_PACK_OPTS_INIT;

    o.flags = VMS_PACK_FORCE;
    if (vms_pack(dir, out, &o, &err) &&
        err.code == 0) {
        abort();    /* a failure must always say why */
    }
    unlink(out);
    for (size_t k = 0; k < NNAMES; k++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/ram", dir);
    if (rmdir(path) != 0 || rmdir(dir) != 0) {
        abort();    /* pack wrote into its input directory */
    }
    return 0;
}
