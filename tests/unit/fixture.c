/* The unit tests' shared fixture: see fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>
#include "fixture.h"

static char tmp[64];

void fx_tmp_make(const char *tag)
{
    snprintf(tmp, sizeof(tmp), "/tmp/vms-test-%.20s.XXXXXX", tag);
    assert_non_null(mkdtemp(tmp));
}

int fx_tmp_remove(void)
{
    char cmd[128];

    if (!tmp[0]) {
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    tmp[0] = 0;
    return system(cmd) == 0 ? 0 : -1;
}

const char *fx_at(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];

    assert_true(tmp[0]);
    snprintf(p, sizeof(paths[0]), "%s/%s", tmp, name);
    return p;
}

char *fx_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_non_null(buf = malloc((size_t)n + 1));
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

void fx_spit(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void fx_assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = fx_slurp(a, &la), *y = fx_slurp(b, &lb);

    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
    free(x);
    free(y);
}

void fx_machine_init_reset(fx_machine *m, int variant, unsigned mask,
                           uint64_t ram_size)
{
    vms_error err = { 0 };

    assert_int_equal(ex_pc_init(&m->pc, variant, ram_size, &err), 0);
    assert_non_null(m->vm = vms_vm_new("pc-i440fx-7.2", 4096, &err));
    assert_int_equal(ex_pc_register(&m->pc, m->vm, mask, &err), 0);
}

void fx_machine_init(fx_machine *m, int variant, unsigned mask,
                     uint64_t ram_size, uint64_t seed)
{
    fx_machine_init_reset(m, variant, mask, ram_size);
    if (seed) {
        ex_pc_randomize(&m->pc, seed);
    }
    ex_pc_demo_state(&m->pc);
}

void fx_machine_free(fx_machine *m)
{
    vms_vm_free(m->vm);
    ex_pc_free(&m->pc);
}

void fx_machine_save(fx_machine *m, const char *path, unsigned flags)
{
    vms_error err = { 0 };
    vms_writer *w;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_non_null(w = vms_writer_fd(fd, path, &err));
    assert_int_equal(vms_vm_save(m->vm, w, flags, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    close(fd);
}

char *fx_machine_dump(fx_machine *m, size_t *len)
{
    vms_error err = { 0 };
    vms_buf b = { 0 };
    vms_writer *w;

    assert_non_null(w = vms_writer_buf(&b, &err));
    assert_int_equal(vms_vm_dump_vmstate(m->vm, w, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    assert_non_null(b.data);
    *len = b.len;
    return b.data;
}

void fx_demo_stream(const char *path, unsigned ram_mib)
{
    fx_machine m;

    fx_machine_init(&m, 1, EX_DEV_ALL, (uint64_t)ram_mib << 20, 7);
    fx_machine_save(&m, path, 0);
    fx_machine_free(&m);
}
