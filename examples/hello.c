/*
 * hello: the smallest VMM that migrates. It describes one device, saves
 * the VM as a QEMU migration stream and decodes that stream again, as
 * "vmstate analyze" would. Build: cc hello.c $(pkg-config --cflags --libs
 * libvmstate); run: ./hello out.mig
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <vmstate/vmstate.h>

typedef struct counter {
    uint32_t count;
    uint8_t regs[4];
    int64_t deadline;
} counter;

static const vms_desc counter_desc = {
    .name = "counter",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_UINT32(count, counter),
        VMS_UINT8_ARRAY(regs, counter, 4),
        VMS_INT64(deadline, counter),
    ),
};

int main(int argc, char **argv)
{
    static uint8_t ram[64 * 1024] = "hello, migration";
    counter dev = { .count = 42, .regs = { 1, 2, 3, 4 }, .deadline = -1 };
    vms_analyze_opts o = VMS_ANALYZE_OPTS_INIT;
    vms_error err;
    vms_writer *w, *out = NULL;
    vms_vm *vm;
    int fd, e;

    if (argc != 2 || (fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        fprintf(stderr, "usage: hello OUT.mig (a file it can create)\n");
        return 2;
    }
    vm = vms_vm_new("pc-i440fx-7.2", 4096, &err);
    e = !vm || vms_vm_register(vm, "counter", 0, NULL, &counter_desc, &dev, &err) ||
        vms_vm_add_ram(vm, "pc.ram", ram, sizeof(ram), &err) ||
        !(w = vms_writer_fd(fd, argv[1], &err)) ||
        vms_vm_save(vm, w, 0, &err) | vms_writer_close(w, &err);
    vms_vm_free(vm);
    close(fd);
    o.file = argv[1];
    if (e || !(o.out = out = vms_writer_fd(1, "stdout", &err)) ||
        vms_analyze(&o, &err) || vms_writer_close(out, &err)) {
        fprintf(stderr, "hello: %s\n", vms_error_format(&err, (char[512]){0}, 512));
        return 1;
    }
    return 0;
}
