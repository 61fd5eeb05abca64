/*
 * Helpers shared by the libFuzzer targets: the library reads files by
 * name, so an input is handed over as an anonymous memory file (seekable,
 * like a stream on disk) or through a pipe fed by a thread (like
 * "cat FILE | vmstate analyze -"), both named /dev/fd/N.
 */
#ifndef VMS_FUZZ_UTIL_H
#define VMS_FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vmstate/ram.h"

static inline int fuzz_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) {
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A memory file holding the parts in order; -1 on failure. */
static inline int fuzz_memfd(const uint8_t *a, size_t alen, const uint8_t *b,
                             size_t blen)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);

    if (fd < 0) {
        abort();
    }
    if (fuzz_write_all(fd, a, alen) || fuzz_write_all(fd, b, blen) ||
        lseek(fd, 0, SEEK_SET) != 0) {
        abort();
    }
    return fd;
}

/*
 * fuzz_ram's option byte: page size 512 << (b & 7), x-ignore-shared 0x08,
 * mapped-ram 0x10 (page data wanted 0x20 and an old-page source 0x40 are
 * the sink's). Shared with the corpus census, which replays its inputs.
 */
static inline void fuzz_ram_opts(uint8_t b, vms_ram_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->page_size = 512u << (b & 7);
    o->ignore_shared = b & 0x08;
    o->mapped_ram = b & 0x10;
}

/* The 8 header bytes that turn fuzz_ram's RAM bodies into a stream. */
static const uint8_t fuzz_ram_head[8] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3 };

struct fuzz_pipe {
    int fds[2];
    pthread_t thread;
    const uint8_t *data;
    size_t len;
};

static void *fuzz_pipe_writer(void *opaque)
{
    struct fuzz_pipe *p = opaque;

    /* EPIPE when the reader gave up early: not an error here. */
    fuzz_write_all(p->fds[1], p->data, p->len);
    close(p->fds[1]);
    return NULL;
}

/* Starts feeding data into a pipe; returns its read end. */
static inline int fuzz_pipe_start(struct fuzz_pipe *p, const uint8_t *data,
                                  size_t len)
{
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(p->fds, O_CLOEXEC) != 0) {
        abort();
    }
    p->data = data;
    p->len = len;
    if (pthread_create(&p->thread, NULL, fuzz_pipe_writer, p) != 0) {
        abort();
    }
    return p->fds[0];
}

/* After the reader is done: unblocks and joins the writer. */
static inline void fuzz_pipe_finish(struct fuzz_pipe *p)
{
    close(p->fds[0]);
    pthread_join(p->thread, NULL);
}

static inline void fuzz_fd_path(int fd, char path[32])
{
    snprintf(path, 32, "/dev/fd/%d", fd);
}

#endif
