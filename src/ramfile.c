/*
 * libvmstate: RAM blocks written to files (see ramfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vmstate/io.h"
#include "table.h"
#include "ramfile.h"

/* Consecutive pages are gathered into one write of up to this size. */
#define RUN_MAX (1u << 20)

struct rblock {
    vms_outfile out;
    bool open, committed;
    char fname[VMS__RAMFILE_PATH_MAX];   /* relative to the directory */
    uint64_t length, npages;
    uint8_t *written;          /* a bit per page: data was written there */
};

/*
 * The thread writes one run buffer while the decoder fills the other:
 * writing the files (the page cache's cost) overlaps with decoding.
 */
struct writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool busy, quit, started;
    int fd;
    uint8_t *buf;
    size_t len;
    uint64_t off;
    int err;                   /* errno of the first failed write */
    char fname[VMS__RAMFILE_PATH_MAX];
};

struct vms__ramfiles {
    int dirfd;
    unsigned out_flags;
    uint32_t page_size;
    struct rblock *blocks;
    unsigned nblocks;
    int run_block;
    uint64_t run_addr;
    size_t run_len;
    uint8_t *run;
    struct writer wr;
    char **dirs;               /* subdirectories made here, in order */
    size_t ndirs;
};

static void *writer_main(void *opaque)
{
    struct writer *wr = opaque;

    pthread_mutex_lock(&wr->lock);
    for (;;) {
        while (!wr->busy && !wr->quit) {
            pthread_cond_wait(&wr->cond, &wr->lock);
        }
        if (!wr->busy) {
            break;
        }
        pthread_mutex_unlock(&wr->lock);
        for (size_t done = 0; done < wr->len && !wr->err;) {
            ssize_t k = pwrite(wr->fd, wr->buf + done, wr->len - done,
                               (off_t)(wr->off + done));
            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k <= 0) {
                wr->err = k < 0 ? errno : ENOSPC;
                break;
            }
            done += (size_t)k;
        }
        pthread_mutex_lock(&wr->lock);
        wr->busy = false;
        pthread_cond_broadcast(&wr->cond);
    }
    pthread_mutex_unlock(&wr->lock);
    return NULL;
}

static int writer_start(vms__ramfiles *rf, vms_error *err)
{
    struct writer *wr = &rf->wr;

    if (!(wr->buf = malloc(RUN_MAX))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&wr->lock, NULL);
    pthread_cond_init(&wr->cond, NULL);
    if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
        pthread_mutex_destroy(&wr->lock);
        pthread_cond_destroy(&wr->cond);
        free(wr->buf);
        wr->buf = NULL;
        return vms_error_set(err, VMS_ENOMEM,
                             "cannot start the writer thread");
    }
    wr->started = true;
    return 0;
}

/* Wait until the thread has written everything handed to it. */
static int writer_wait(vms__ramfiles *rf, vms_error *err)
{
    struct writer *wr = &rf->wr;
    int e;

    if (!wr->started) {
        return 0;
    }
    pthread_mutex_lock(&wr->lock);
    while (wr->busy) {
        pthread_cond_wait(&wr->cond, &wr->lock);
    }
    e = wr->err;
    pthread_mutex_unlock(&wr->lock);
    if (e) {
        vms_error_set_file(err, wr->fname);
        return vms_error_set(err, VMS_EIO, "write failed: %s", strerror(e));
    }
    return 0;
}

static void writer_stop(vms__ramfiles *rf)
{
    struct writer *wr = &rf->wr;

    if (!wr->started) {
        return;
    }
    pthread_mutex_lock(&wr->lock);
    wr->quit = true;
    pthread_cond_broadcast(&wr->cond);
    pthread_mutex_unlock(&wr->lock);
    pthread_join(wr->thread, NULL);
    pthread_mutex_destroy(&wr->lock);
    pthread_cond_destroy(&wr->cond);
    free(wr->buf);
    wr->started = false;
}

vms__ramfiles *vms__ramfiles_new(int dirfd, uint32_t page_size,
                               unsigned out_flags, vms_error *err)
{
    vms__ramfiles *rf = calloc(1, sizeof(*rf));

    if (!rf || !(rf->run = malloc(RUN_MAX))) {
        free(rf);
        vms_error_set(err, VMS_ENOMEM, "out of memory");
        return NULL;
    }
    rf->dirfd = dirfd;
    rf->out_flags = out_flags;
    rf->page_size = page_size;
    rf->run_block = -1;
    return rf;
}

void vms__ramfiles_free(vms__ramfiles *rf)
{
    if (!rf) {
        return;
    }
    writer_stop(rf);
    for (unsigned i = 0; i < rf->nblocks; i++) {
        if (rf->blocks[i].open) {
            vms_outfile_abort(&rf->blocks[i].out);
        }
        free(rf->blocks[i].written);
    }
    free(rf->blocks);
    free(rf->run);
    /* A failed run leaves no directory it made empty (most nested first). */
    for (size_t i = rf->ndirs; i-- > 0;) {
        unlinkat(rf->dirfd, rf->dirs[i], AT_REMOVEDIR);
        free(rf->dirs[i]);
    }
    free(rf->dirs);
    free(rf);
}

int vms__ramfiles_flush(vms__ramfiles *rf, vms_error *err)
{
    struct writer *wr = &rf->wr;
    struct rblock *b;
    uint8_t *t;
    int e;

    if (!rf->run_len) {
        return 0;
    }
    if (!wr->started && (e = writer_start(rf, err))) {
        return e;
    }
    if ((e = writer_wait(rf, err))) {
        rf->run_len = 0;
        return e;
    }
    b = &rf->blocks[rf->run_block];
    pthread_mutex_lock(&wr->lock);
    t = wr->buf;
    wr->buf = rf->run;
    rf->run = t;
    wr->fd = b->out.fd;
    wr->off = rf->run_addr;
    wr->len = rf->run_len;
    snprintf(wr->fname, sizeof(wr->fname), "%s", b->fname);
    wr->busy = true;
    pthread_cond_broadcast(&wr->cond);
    pthread_mutex_unlock(&wr->lock);
    rf->run_len = 0;
    return 0;
}

static int remember_dir(vms__ramfiles *rf, const char *path, size_t len)
{
    char **n = realloc(rf->dirs, (rf->ndirs + 1) * sizeof(*n));

    if (!n) {
        return -1;
    }
    rf->dirs = n;
    if (!(n[rf->ndirs] = strndup(path, len))) {
        return -1;
    }
    rf->ndirs++;
    return 0;
}

/*
 * b->fname may hold directories (vms__ramfiles_qemu_path): each is made if
 * missing and entered with O_NOFOLLOW, so a symlink planted in the output
 * directory is refused, never followed; the file goes into the last one.
 */
static int open_in_subdir(vms__ramfiles *rf, struct rblock *b, vms_error *err)
{
    const char *p = b->fname, *slash;
    int fd = rf->dirfd, e;

    while ((slash = strchr(p, '/'))) {
        char comp[256];
        int nfd;

        snprintf(comp, sizeof(comp), "%.*s", (int)(slash - p), p);
        if (mkdirat(fd, comp, 0777) == 0 &&
            remember_dir(rf, b->fname, (size_t)(slash - b->fname))) {
            e = vms_error_set(err, VMS_ENOMEM, "out of memory");
            goto out;
        }
        nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                     O_CLOEXEC);
        if (nfd < 0) {
            int en = errno;
            vms_error_set_file(err, b->fname);
            e = vms_error_set(err, VMS_EIO, "cannot enter directory '%.*s': "
                              "%s", (int)(slash - b->fname), b->fname,
                              en == ELOOP ? "it is a symbolic link (never "
                              "followed)" : strerror(en));
            goto out;
        }
        if (fd != rf->dirfd) {
            close(fd);
        }
        fd = nfd;
        p = slash + 1;
    }
    if ((e = vms_outfile_open(&b->out, fd, p, rf->out_flags, err))) {
        vms_error_set_file(err, b->fname);
        goto out;
    }
    if (fd != rf->dirfd) {
        b->out.own_dirfd = fd;   /* closed by its commit or abort */
    }
    return 0;
out:
    if (fd != rf->dirfd) {
        close(fd);
    }
    return e;
}

int vms__ramfiles_block(vms__ramfiles *rf, unsigned idx, const char *fname,
                       uint64_t length, vms_error *err)
{
    struct rblock *b;
    int e;

    if (vms__table_fit(&rf->blocks, &rf->nblocks, idx, sizeof(*b))) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    b = &rf->blocks[idx];
    if (b->open || b->committed) {
        return 1;   /* announced again by a later MEM_SIZE */
    }
    snprintf(b->fname, sizeof(b->fname), "%s", fname);
    b->length = length;
    b->npages = (length + rf->page_size - 1) / rf->page_size;
    if ((e = open_in_subdir(rf, b, err))) {
        return e;
    }
    b->open = true;
    if (ftruncate(b->out.fd, (off_t)length) != 0) {
        vms_error_set_file(err, b->fname);
        return vms_error_set(err, VMS_EIO, "cannot size: %s",
                             strerror(errno));
    }
    b->written = calloc(b->npages / 8 + 1, 1);
    if (!b->written) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    return 0;
}

/* a and b name the same file, or one is a directory of the other */
static bool clash(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

    return strncmp(a, b, n) == 0 &&
           (la == lb || (la < lb ? b[la] : a[lb]) == '/');
}

static bool fname_taken(const vms__ramfiles *rf, const char *fname,
                        const char *const *reserved)
{
    for (; reserved && *reserved; reserved++) {
        if (clash(*reserved, fname)) {
            return true;
        }
    }
    for (unsigned i = 0; i < rf->nblocks; i++) {
        if (rf->blocks[i].fname[0] && clash(rf->blocks[i].fname, fname)) {
            return true;
        }
    }
    return false;
}

void vms__ramfiles_fname(const vms__ramfiles *rf, const char *name,
                        const char *const *reserved, char out[256])
{
    char base[256];

    vms_safe_filename(name, strlen(name), base, sizeof(base));
    snprintf(out, 256, "%s", base);
    for (unsigned n = 2; fname_taken(rf, out, reserved); n++) {
        snprintf(out, 256, "%.200s~%u", base, n);
    }
}

/*
 * QEMU's analyze-migration.py (RamSection.read) opens "./" + name after
 * os.makedirs of its directory: "/rom@etc/acpi/tables" is the file
 * rom@etc/acpi/tables. That path, when every component is a plain name
 * (not empty after the leading slashes, not "." or "..", no leading dot,
 * no control byte, at most 255 bytes) and it clashes with nothing taken.
 */
bool vms__ramfiles_qemu_path(const vms__ramfiles *rf, const char *name,
                            const char *const *reserved,
                            char out[VMS__RAMFILE_PATH_MAX])
{
    size_t n = 0, comp = 0;
    const char *p = name;

    while (*p == '/') {
        p++;
    }
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/') {
            if (comp == 0) {
                continue;   /* "a//b": python's path is a/b */
            }
            comp = 0;
        } else if (c < 0x20 || c == 0x7f || (comp == 0 && c == '.') ||
                   ++comp > 255) {
            return false;
        }
        if (n + 1 >= VMS__RAMFILE_PATH_MAX) {
            return false;
        }
        out[n++] = (char)c;
    }
    if (n == 0 || out[n - 1] == '/') {
        return false;
    }
    out[n] = 0;
    return !fname_taken(rf, out, reserved);
}

const char *vms__ramfiles_name(const vms__ramfiles *rf, unsigned idx)
{
    return idx < rf->nblocks ? rf->blocks[idx].fname : "";
}

int vms__ramfiles_page(vms__ramfiles *rf, unsigned idx, uint64_t addr,
                      const uint8_t *data, uint8_t fill, vms_error *err)
{
    struct rblock *b = idx < rf->nblocks ? &rf->blocks[idx] : NULL;
    size_t ps = rf->page_size;
    uint64_t pg = addr / ps;
    size_t n;
    bool was;
    int e;

    if (!b || !b->open) {
        return vms_error_set(err, VMS_EUNSUPPORTED, "RAM page after the "
                             "end of the RAM section (postcopy?) cannot be "
                             "extracted");
    }
    was = (b->written[pg / 8] >> (pg % 8)) & 1;
    n = addr + ps > b->length ? (size_t)(b->length - addr) : ps;
    if (!data && fill == 0 && !was) {
        return 0;   /* stays a hole */
    }
    if (rf->run_len && ((int)idx != rf->run_block ||
                        rf->run_addr + rf->run_len != addr ||
                        rf->run_len + ps > RUN_MAX)) {
        if ((e = vms__ramfiles_flush(rf, err))) {
            return e;
        }
    }
    if (!rf->run_len) {
        rf->run_block = (int)idx;
        rf->run_addr = addr;
    }
    if (data) {
        memcpy(rf->run + rf->run_len, data, n);
    } else {
        memset(rf->run + rf->run_len, fill, n);
    }
    rf->run_len += n;
    b->written[pg / 8] |= (uint8_t)(1u << (pg % 8));
    return 0;
}

int vms__ramfiles_read(vms__ramfiles *rf, unsigned idx, uint64_t addr,
                      uint8_t *buf, vms_error *err)
{
    struct rblock *b = idx < rf->nblocks ? &rf->blocks[idx] : NULL;
    size_t ps = rf->page_size;
    uint64_t pg = addr / ps;
    size_t n;

    memset(buf, 0, ps);
    if (!b || !b->open || addr >= b->length) {
        return 0;
    }
    n = addr + ps > b->length ? (size_t)(b->length - addr) : ps;
    if ((int)idx == rf->run_block && addr >= rf->run_addr &&
        addr < rf->run_addr + rf->run_len) {
        memcpy(buf, rf->run + (addr - rf->run_addr), n);
    } else if ((b->written[pg / 8] >> (pg % 8)) & 1) {
        int e = writer_wait(rf, err);
        if (e) {
            return e;
        }
        if (pread(b->out.fd, buf, n, (off_t)addr) != (ssize_t)n) {
            vms_error_set_file(err, b->fname);
            return vms_error_set(err, VMS_EIO, "read back failed");
        }
    }
    return 0;
}

int vms__ramfiles_commit(vms__ramfiles *rf, vms_error *err)
{
    int e = vms__ramfiles_flush(rf, err);

    if (!e) {
        e = writer_wait(rf, err);
    }
    for (unsigned i = 0; !e && i < rf->nblocks; i++) {
        if (rf->blocks[i].open) {
            rf->blocks[i].open = false;
            rf->blocks[i].committed = true;
            e = vms_outfile_commit(&rf->blocks[i].out, rf->out_flags, err);
        }
    }
    return e;
}
