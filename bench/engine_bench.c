/*
 * Engine throughput, each figure beside memcpy of the same bytes in the
 * same run: save and load of a device with a 64 KiB buffer, of a device
 * with 1000 small fields, and a 256 MiB RAM block through the stream
 * writer (to /dev/null, so the writer's buffering and write(2) count).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vmstate/vmstate.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const vms_error *err)
{
    char buf[512];

    fprintf(stderr, "engine_bench: %s: %s\n", what,
            vms_error_format(err, buf, sizeof(buf)));
    exit(1);
}

/* Seconds per memcpy of n bytes (best of a few runs of reps copies). */
static double memcpy_time(size_t n, int reps)
{
    char *a = malloc(n), *b = malloc(n);
    double best = 1e9;

    memset(a, 1, n);
    memset(b, 2, n);
    for (int k = 0; k < 5; k++) {
        double t = now();
        for (int i = 0; i < reps; i++) {
            memcpy(b, a, n);
            __asm__ volatile("" : : "r"(b) : "memory");
        }
        t = (now() - t) / reps;
        best = t < best ? t : best;
    }
    free(a);
    free(b);
    return best;
}

typedef struct bench_io {
    vms_buf wire;
} bench_io;

/* Seconds per save (or load) of desc over state: best of 5 x reps. */
static double walk_time(const vms_desc *d, void *state, bool load, int reps,
                        bench_io *io)
{
    vms_error err = { 0 };
    double best = 1e9;

    for (int k = 0; k < 5; k++) {
        double t = now();
        for (int i = 0; i < reps; i++) {
            vms_visitor *v;
            if (load) {
                vms_reader *r = vms_reader_mem(io->wire.data, io->wire.len,
                                               "bench", &err);
                v = vms_wire_input_new(r, &err);
                if (vms_walk(v, d, state, d->version_id, &err)) {
                    die("load", &err);
                }
                vms_visitor_free(v);
                vms_reader_close(r);
            } else {
                io->wire.len = 0;
                vms_writer *w = vms_writer_buf(&io->wire, &err);
                v = vms_wire_output_new(w, &err);
                if (vms_walk(v, d, state, 0, &err) ||
                    vms_writer_close(w, &err)) {
                    die("save", &err);
                }
                vms_visitor_free(v);
            }
        }
        t = (now() - t) / reps;
        best = t < best ? t : best;
    }
    return best;
}

typedef struct bigdev {
    uint32_t head;
    uint8_t buf[65536];
} bigdev;

static const vms_desc big_desc = {
    .name = "big",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT32(head, bigdev), VMS_BUFFER(buf, bigdev)),
};

#define SMALL 1000

static void report(const char *what, size_t bytes, double t, double tm,
                   double per_field_ns)
{
    printf("%-34s %9.3f GB/s  memcpy %8.3f GB/s  ratio %6.3f", what,
           bytes / t / 1e9, bytes / tm / 1e9, tm / t);
    if (per_field_ns > 0) {
        printf("  %6.1f ns/field", per_field_ns);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    size_t ram_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
    bench_io io = { { 0 } };
    vms_error err = { 0 };
    double t, tm;

    /* 64 KiB buffer device */
    bigdev *big = calloc(1, sizeof(*big));
    memset(big->buf, 0x5a, sizeof(big->buf));
    walk_time(&big_desc, big, false, 1, &io);
    tm = memcpy_time(io.wire.len, 2000);
    t = walk_time(&big_desc, big, false, 2000, &io);
    report("save 64 KiB buffer device", io.wire.len, t, tm, 0);
    t = walk_time(&big_desc, big, true, 2000, &io);
    report("load 64 KiB buffer device", io.wire.len, t, tm, 0);

    /* 1000 small fields of 1, 2, 4 and 8 bytes */
    static const vms_type types[4] = { VMS_TYPE_UINT8, VMS_TYPE_UINT16,
                                       VMS_TYPE_UINT32, VMS_TYPE_UINT64 };
    static char names[SMALL][8];
    vms_field *fields = calloc(SMALL, sizeof(*fields));
    uint8_t *small = calloc(SMALL, 8);
    for (int i = 0; i < SMALL; i++) {
        snprintf(names[i], sizeof(names[i]), "f%d", i);
        fields[i].name = names[i];
        fields[i].type = types[i % 4];
        fields[i].size = vms_type_fixed_size(types[i % 4]);
        fields[i].offset = (size_t)i * 8;
    }
    vms_desc small_desc = { .name = "small", .version_id = 1,
                            .minimum_version_id = 1, .fields = fields,
                            .n_fields = SMALL };
    if (vms_desc_validate(&small_desc, &err)) {
        die("validate", &err);
    }
    walk_time(&small_desc, small, false, 1, &io);
    tm = memcpy_time(io.wire.len, 200000);
    t = walk_time(&small_desc, small, false, 20000, &io);
    report("save 1000 small fields", io.wire.len, t, tm, t / SMALL * 1e9);
    t = walk_time(&small_desc, small, true, 20000, &io);
    report("load 1000 small fields", io.wire.len, t, tm, t / SMALL * 1e9);

    /* RAM through the stream writer */
    size_t ram_size = ram_mib << 20;
    uint8_t *ram = malloc(ram_size);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < ram_size; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(ram + i, &x, 8);
    }
    int fd = open("/dev/null", O_WRONLY);
    tm = memcpy_time(ram_size, 3);
    for (int pass = 0; pass < 2; pass++) {
        vms_vm *vm = vms_vm_new("pc-i440fx-7.2", 4096, &err);
        if (!vm || vms_vm_add_ram(vm, "pc.ram", ram, ram_size, &err)) {
            die("vm", &err);
        }
        double best = 1e9;
        for (int k = 0; k < 3; k++) {
            vms_writer *w = vms_writer_fd(fd, "/dev/null", &err);
            t = now();
            if (vms_vm_save(vm, w, 0, &err) || vms_writer_close(w, &err)) {
                die("save", &err);
            }
            t = now() - t;
            best = t < best ? t : best;
        }
        char what[64];
        snprintf(what, sizeof(what), "stream %zu MiB RAM, %s pages", ram_mib,
                 pass ? "zero" : "data");
        report(what, ram_size, best, tm, 0);
        vms_vm_free(vm);
        memset(ram, 0, ram_size);
    }
    close(fd);
    free(ram);
    free(small);
    free(fields);
    free(big);
    vms_buf_free(&io.wire);
    return 0;
}
