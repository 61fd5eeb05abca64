/*
 * libFuzzer target: the RAM section decoder (ram.h) driven directly, so
 * that the fuzzer spends its time on record flags and page encodings
 * (ZERO, PAGE, XBZRLE, zlib COMPRESS_PAGE, MEM_SIZE, mapped-ram) rather
 * than on getting through a stream's header and configuration.
 * Input: one option byte (fuzz_ram_opts; page data wanted 0x20, an
 * old-page source 0x40), then RAM section bodies back to back, each ending
 * with its EOS record.
 */
#include "fuzz_util.h"
#include "vmstate/vmstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink_state {
    uint32_t page_size;
    unsigned sum;
};

static int block(void *opaque, unsigned idx, const char *name,
                 uint64_t length, vms_error *err)
{
    struct sink_state *st = opaque;

    (void)err;
    st->sum += idx + (unsigned)strlen(name) + (unsigned)length;
    return 0;
}

static int page(void *opaque, unsigned idx, uint64_t addr,
                const uint8_t *p, uint8_t fill, vms_error *err)
{
    struct sink_state *st = opaque;

    (void)idx;
    (void)err;
    (void)addr;
    /* Touch every byte the decoder claims to hand over. */
    if (p) {
        for (uint32_t i = 0; i < st->page_size; i++) {
            st->sum += p[i];
        }
    } else {
        st->sum += fill;
    }
    return 0;
}

static int old_page(void *opaque, unsigned idx, uint64_t addr, uint8_t *buf,
                    vms_error *err)
{
    struct sink_state *st = opaque;

    (void)err;
    memset(buf, (int)(idx + addr), st->page_size);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sink_state st = { 0 };
    vms_ram_opts o = { 0 };
    vms_ram_sink sink = { 0 };
    vms_stream *s;
    vms_ram *ram;
    vms_error err;
    char path[32];
    int fd;

    if (size < 1) {
        return 0;
    }
    fuzz_ram_opts(data[0], &o);
    st.page_size = o.page_size;
    sink.opaque = &st;
    sink.want_data = data[0] & 0x20;
    sink.block = block;
    sink.page = page;
    sink.old_page = (data[0] & 0x40) ? old_page : NULL;
    fd = fuzz_memfd(fuzz_ram_head, sizeof(fuzz_ram_head), data + 1,
                    size - 1);
    fuzz_fd_path(fd, path);
    vms_error_clear(&err);
    s = vms_stream_open(path, &err);
    ram = s ? vms_ram_new(&o, &sink, &err) : NULL;
    if (!s || !ram) {
        abort();
    }
    while (!vms_reader_at_eof(vms_stream_reader(s))) {
        if (vms_ram_read(ram, s, 4, &err)) {
            if (err.code == 0 || !err.has_offset) {
                abort();    /* every decoding error names its offset */
            }
            break;
        }
    }
    vms_ram_free(ram);
    vms_stream_close(s);
    close(fd);
    return 0;
}
