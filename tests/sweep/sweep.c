/*
 * Truncation and corruption sweeps over real streams, in one process (no
 * process start per case, so that thousands of cases fit CI under ASan):
 * each stream is cut before and after every section footer and at 500
 * pseudo-random offsets, and has one byte flipped at 500 pseudo-random
 * offsets, and each case goes through vms_analyze (state, -m or desc
 * mode, from a memory file). Every cut must fail; a flip may also decode (a
 * flip inside data). A failure must name the file and a byte offset, on
 * one line. A case running over 10 s is a hang; leaks show at exit under
 * LeakSanitizer. TAP output: three tests per stream.
 *
 * usage: sweep SEED STREAM[@CUTS]...  (CUTS: a file of section
 * boundaries, one decimal offset per line, from tests/fuzz/streamcut.py;
 * without it, a scan for footers that also hits some page data)
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vmstate/vmstate.h"

#define CASES 500
#define MAX_SHOWN 8

static vms_writer *devnull;     /* the output nobody reads */
static int ntest;

static int discard(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    (void)len;
    return 0;
}
static char current[512];     /* the case running, for the hang report */

static void on_alarm(int sig)
{
    char line[600];
    int n = snprintf(line, sizeof(line), "not ok %d - hang (> 10 s): %s\n",
                     ntest + 1, current);

    (void)sig;
    if (write(1, line, (size_t)n) < 0) {
        _exit(2);
    }
    _exit(1);
}

static uint64_t rng_state;

static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? rng_state % n : 0;
}

struct run {
    int failures;
    int shown;
    unsigned decoded;     /* flips that decoded (inside data) */
};

/*
 * Analyze data[0..len) in the mode case_no picks; must_fail for cuts.
 * Records a failure (and shows the first few) when the outcome breaks the
 * rules.
 */
static void one(struct run *r, const char *name, const uint8_t *data,
                size_t len, unsigned case_no, bool must_fail,
                const char *what)
{
    vms_analyze_opts o = { .version = VMS_ANALYZE_OPTS_VERSION };
    /* -m prints every page: the slowest mode, so the rarest. */
    static const enum vms_analyze_mode modes[8] = {
        VMS_ANALYZE_STATE, VMS_ANALYZE_STATE, VMS_ANALYZE_STATE,
        VMS_ANALYZE_DESC, VMS_ANALYZE_STATE, VMS_ANALYZE_STATE,
        VMS_ANALYZE_STATE, VMS_ANALYZE_DESC,
    };
    char path[64], line[1024];
    const char *bad = NULL;
    vms_error err;
    int fd = memfd_create("sweep", MFD_CLOEXEC);
    int rc;

    if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
        perror("sweep: memfd");
        exit(2);
    }
    snprintf(path, sizeof(path), "/dev/fd/%d", fd);
    o.file = path;
    o.out = devnull;
    o.mode = modes[case_no % 8];
    o.memory = case_no % 8 == 1;
    snprintf(current, sizeof(current), "%s: %s (mode %u)", name, what,
             case_no % 8);
    vms_error_clear(&err);
    alarm(10);
    rc = vms_analyze(&o, &err);
    alarm(0);
    close(fd);
    vms_error_format(&err, line, sizeof(line));
    if (rc == 0) {
        if (must_fail) {
            bad = "exit 0 on a truncated stream";
        } else {
            r->decoded++;
        }
    } else if (err.code != rc) {
        bad = "error code not recorded";
    } else if (!err.has_offset || strncmp(err.file, path, sizeof(path))) {
        bad = "error without file and offset";
    } else if (strchr(line, '\n')) {
        bad = "error on more than one line";
    }
    if (bad) {
        r->failures++;
        if (r->shown++ < MAX_SHOWN) {
            printf("# %s: %s: %s\n#   %s\n", name, what, bad, line);
        }
    }
}

static void result(const struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void result(const struct run *r, const char *fmt, ...)
{
    va_list ap;

    printf("%s %d - ", r->failures ? "not ok" : "ok", ++ntest);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (r->failures) {
        printf(" (%d bad)", r->failures);
    }
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: sweep SEED STREAM[@CUTS]...\n");
        return 2;
    }
    devnull = vms_writer_sink(discard, NULL, "/dev/null", NULL);
    signal(SIGALRM, on_alarm);
    for (int a = 2; a < argc; a++) {
        char *cuts_file = strchr(argv[a], '@');
        const char *name;
        struct run cuts = { 0 }, rand_cuts = { 0 }, flips = { 0 };
        unsigned ncuts = 0;
        char what[64];
        struct stat st;
        uint8_t *data;
        int fd;

        if (cuts_file) {
            *cuts_file++ = 0;
        }
        name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        fd = open(argv[a], O_RDONLY);

        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 16) {
            fprintf(stderr, "sweep: cannot read %s\n", argv[a]);
            return 2;
        }
        data = malloc((size_t)st.st_size);
        if (!data || read(fd, data, (size_t)st.st_size) != st.st_size) {
            fprintf(stderr, "sweep: cannot read %s\n", argv[a]);
            return 2;
        }
        close(fd);
        size_t len = (size_t)st.st_size;
        rng_state = strtoull(argv[1], NULL, 0) * 2654435761u + len;

        if (cuts_file) {
            FILE *f = fopen(cuts_file, "r");
            unsigned long long c;
            if (!f) {
                fprintf(stderr, "sweep: cannot read %s\n", cuts_file);
                return 2;
            }
            while (fscanf(f, "%llu", &c) == 1) {
                if (c < len) {
                    snprintf(what, sizeof(what), "cut at 0x%llx", c);
                    one(&cuts, name, data, (size_t)c, ncuts++, true, what);
                }
            }
            fclose(f);
            result(&cuts, "%s: truncated at its %u section boundaries",
                   name, ncuts);
        }
        /* Before and after every section footer (0x7e, id, record type). */
        for (size_t i = 8; !cuts_file && i + 6 < len && ncuts < 200; i++) {
            if (data[i] == VMS_REC_FOOTER && data[i + 5] <= VMS_REC_COMMAND &&
                data[i + 5] != VMS_REC_SUBSECTION &&
                data[i + 5] != VMS_REC_VMDESC) {
                snprintf(what, sizeof(what), "cut at 0x%zx", i);
                one(&cuts, name, data, i, ncuts++, true, what);
                snprintf(what, sizeof(what), "cut at 0x%zx", i + 5);
                one(&cuts, name, data, i + 5, ncuts++, true, what);
            }
        }
        if (!cuts_file) {
            result(&cuts, "%s: truncated before and after %u byte "
                   "sequences that look like footers", name, ncuts / 2);
        }
        for (unsigned k = 0; k < CASES; k++) {
            size_t c = (size_t)rnd(len);
            snprintf(what, sizeof(what), "cut at 0x%zx", c);
            one(&rand_cuts, name, data, c, k, true, what);
        }
        result(&rand_cuts, "%s: truncated at %u pseudo-random offsets", name,
               CASES);
        for (unsigned k = 0; k < CASES; k++) {
            size_t at = (size_t)rnd(len);
            uint8_t old = data[at];
            data[at] ^= (uint8_t)(1u << rnd(8));
            snprintf(what, sizeof(what), "flip at 0x%zx", at);
            one(&flips, name, data, len, k, false, what);
            data[at] = old;
        }
        result(&flips, "%s: %u flipped bytes (%u decoded: flips in data)",
               name, CASES, flips.decoded);
        status |= cuts.failures || rand_cuts.failures || flips.failures;
        free(data);
    }
    printf("1..%d\n", ntest);
    vms_writer_close(devnull, NULL);
    return status;
}
