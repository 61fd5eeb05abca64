/*
 * Reader/writer: offsets must be exact (every error names one), short
 * input must fail without consuming, and output files must appear only
 * when complete.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "vmstate/io.h"
#include "vmstate/visitor.h"
#include "vmstate/stream.h"
#include "vmstate/ram.h"
#include "vmstate/vm.h"
#include "vmstate/check.h"

static void test_mem_reads(void **state)
{
    static const uint8_t data[] = { 0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3,
                                    3, 'r', 'a', 'm', 0xff };
    vms_error err = { 0 };
    vms_reader *r = vms_reader_mem(data, sizeof(data), "x.mig", &err);
    uint32_t v;
    char s[256];
    uint8_t len, b;
    uint64_t q;

    (void)state;
    assert_int_equal(vms_read_be32(r, &v, &err), 0);
    assert_int_equal(v, 0x5145564d);
    assert_int_equal(vms_read_be32(r, &v, &err), 0);
    assert_int_equal(v, 3);
    assert_int_equal(vms_read_str8(r, s, &len, &err), 0);
    assert_string_equal(s, "ram");
    assert_int_equal(vms_reader_offset(r), 12);
    /* 1 byte left: a be64 fails, names the offset, consumes nothing */
    assert_int_equal(vms_read_be64(r, &q, &err), VMS_ETRUNC);
    assert_int_equal(err.offset, 12);
    assert_string_equal(err.file, "x.mig");
    assert_int_equal(vms_reader_offset(r), 12);
    assert_int_equal(vms_read_u8(r, &b, &err), 0);
    assert_int_equal(b, 0xff);
    assert_true(vms_reader_at_eof(r));
    vms_reader_close(r);
}

static void test_str8_truncated(void **state)
{
    static const uint8_t data[] = { 5, 'a', 'b' };
    vms_error err = { 0 };
    vms_reader *r = vms_reader_mem(data, sizeof(data), "t", &err);
    char s[256];

    (void)state;
    assert_int_equal(vms_read_str8(r, s, NULL, &err), VMS_ETRUNC);
    assert_int_equal(vms_reader_offset(r), 0);
    vms_reader_close(r);
}

static void test_fd_large_and_pipe(void **state)
{
    /* A file several times the window, read back through ptr/skip/seek. */
    char path[] = "/tmp/vms_test_io_XXXXXX";
    int fd = mkstemp(path);
    size_t n = 5u << 20, i;
    uint8_t *p = malloc(n);
    vms_error err = { 0 };
    const uint8_t *q;

    (void)state;
    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(i ^ (i >> 8));
    }
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    lseek(fd, 0, SEEK_SET);
    vms_reader *r = vms_reader_fd(fd, path, &err);
    assert_int_equal(vms_reader_size(r), (int64_t)n);
    assert_int_equal(vms_read_skip(r, 3, &err), 0);
    for (i = 3; i + 4096 <= n; i += 4096) {
        assert_int_equal(vms_read_ptr(r, 4096, &q, &err), 0);
        assert_memory_equal(q, p + i, 4096);
    }
    assert_int_equal(vms_reader_seek(r, 17, &err), 0);
    assert_int_equal(vms_read_ptr(r, VMS_READER_WINDOW, &q, &err), 0);
    assert_memory_equal(q, p + 17, VMS_READER_WINDOW);
    assert_int_equal(vms_read_skip(r, n, &err), VMS_ETRUNC);
    vms_reader_close(r);
    close(fd);
    unlink(path);
    free(p);
}

static void test_writer_roundtrip(void **state)
{
    vms_buf b = { 0 };
    vms_error err = { 0 };
    vms_writer *w = vms_writer_buf(&b, &err);
    char big[300];

    (void)state;
    assert_int_equal(vms_write_be32(w, 0x5145564d, &err), 0);
    assert_int_equal(vms_write_be16(w, 0x0102, &err), 0);
    assert_int_equal(vms_write_be64(w, 0x1122334455667788ull, &err), 0);
    assert_int_equal(vms_write_str8(w, "ram", 3, &err), 0);
    memset(big, 'x', sizeof(big));
    assert_int_equal(vms_write_str8(w, big, sizeof(big), &err), VMS_EINVAL);
    assert_int_equal(vms_writer_offset(w), 18);
    assert_int_equal(vms_writer_close(w, &err), 0);
    assert_int_equal(b.len, 18);
    assert_memory_equal(b.data, "QEVM\x01\x02\x11\x22\x33\x44\x55\x66\x77\x88"
                        "\x03ram", 18);
    vms_buf_free(&b);
}

static void test_safe_filename(void **state)
{
    char out[64];

    (void)state;
    assert_string_equal(vms_safe_filename("../x", 4, out, sizeof(out)), "_._x");
    assert_string_equal(vms_safe_filename("/etc/x", 6, out, sizeof(out)),
                        "_etc_x");
    assert_string_equal(vms_safe_filename("a\0b\n", 4, out, sizeof(out)),
                        "a_b_");
    assert_string_equal(vms_safe_filename("..", 2, out, sizeof(out)), "_.");
    assert_string_equal(vms_safe_filename("", 0, out, sizeof(out)), "_");
    assert_string_equal(vms_safe_filename("pc.ram", 6, out, sizeof(out)),
                        "pc.ram");
}

static void test_outfile(void **state)
{
    char dir[] = "/tmp/vms_test_out_XXXXXX";
    vms_error err = { 0 };
    vms_outfile o;
    int dfd;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_int_equal(vms_outfile_open(&o, dfd, "a.bin", 0, &err), 0);
    assert_int_equal(write(o.fd, "hi", 2), 2);
    /* not visible under its name before commit */
    assert_int_not_equal(fstatat(dfd, "a.bin", &st, 0), 0);
    assert_int_equal(vms_outfile_commit(&o, 0, &err), 0);
    assert_int_equal(fstatat(dfd, "a.bin", &st, 0), 0);
    assert_int_equal(st.st_size, 2);
    /* no overwrite without force */
    assert_int_equal(vms_outfile_open(&o, dfd, "a.bin", 0, &err), VMS_EEXIST);
    /* abort leaves nothing */
    assert_int_equal(vms_outfile_open(&o, dfd, "b.bin", 0, &err), 0);
    vms_outfile_abort(&o);
    assert_int_not_equal(fstatat(dfd, "b.bin", &st, 0), 0);
    /* a planted symlink is not followed, not even with force */
    assert_int_equal(symlinkat("/tmp/vms_should_not_exist", dfd, "l"), 0);
    assert_int_equal(vms_outfile_open(&o, dfd, "l", VMS_OUT_FORCE, &err),
                     VMS_EEXIST);
    /* names with a path are refused */
    assert_int_equal(vms_outfile_open(&o, dfd, "../x", 0, &err), VMS_EINVAL);
    assert_int_not_equal(access("/tmp/vms_should_not_exist", F_OK), 0);
    unlinkat(dfd, "a.bin", 0);
    unlinkat(dfd, "l", 0);
    close(dfd);
    rmdir(dir);
}

/* NULL, err.code is want and the message says something. */
#define ASSERT_FAILED(call, want)                                     \
    do {                                                              \
        vms_error_clear(&err);                                        \
        assert_null(call);                                            \
        assert_int_equal(err.code, (want));                           \
        assert_true(err.message[0] != '\0');                          \
    } while (0)

/*
 * Every constructor that returns NULL fills the caller's vms_error (an
 * allocation failure is hard to provoke: the invalid-argument paths are
 * the ones tested).
 */
static void test_constructors_fill_error(void **state)
{
    vms_error err;
    vms_ram_opts ro = { 0 };

    (void)state;
    ASSERT_FAILED(vms_reader_open(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_reader_open("/nonexistent/x.mig", &err), VMS_ENOTFOUND);
    assert_string_equal(err.file, "/nonexistent/x.mig");
    ASSERT_FAILED(vms_reader_open("/", &err), VMS_EINVAL);
    ASSERT_FAILED(vms_reader_fd(-1, "x", &err), VMS_EINVAL);
    ASSERT_FAILED(vms_reader_mem(NULL, 4, "x", &err), VMS_EINVAL);
    ASSERT_FAILED(vms_writer_fd(-1, "x", &err), VMS_EINVAL);
    ASSERT_FAILED(vms_writer_buf(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_writer_sink(NULL, NULL, "x", &err), VMS_EINVAL);
    ASSERT_FAILED(vms_wire_output_new(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_wire_input_new(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_ber_output_new(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_ber_input_new(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_trace_output_new(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_vmdesc_output_new(NULL, NULL, NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_json_state_output_new(NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_json_state_input_new(NULL, NULL, &err), VMS_EINVAL);
    ASSERT_FAILED(vms_json_state_input_text("{", 1, "x.json", &err),
                  VMS_EFORMAT);
    ASSERT_FAILED(vms_stream_open("/nonexistent/x.mig", &err),
                  VMS_ENOTFOUND);
    ASSERT_FAILED(vms_vm_new("pc", 3, &err), VMS_EINVAL);
    ro.page_size = 3;
    ASSERT_FAILED(vms_ram_new(&ro, NULL, &err), VMS_EINVAL);
    {
        /* a stream that is not one: the file and offset are named */
        char path[] = "/tmp/vms-test-notmig-XXXXXX";
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "NOTASTREAM", 10), 10);
        close(fd);
        ASSERT_FAILED(vms_stream_open(path, &err), VMS_EFORMAT);
        assert_string_equal(err.file, path);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_reads),
        cmocka_unit_test(test_str8_truncated),
        cmocka_unit_test(test_fd_large_and_pipe),
        cmocka_unit_test(test_writer_roundtrip),
        cmocka_unit_test(test_safe_filename),
        cmocka_unit_test(test_outfile),
        cmocka_unit_test(test_constructors_fill_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
