/*
 * What the tool shows a person at a terminal, and only there: progress
 * bars and colour. Scripts and CI read our stdout and stderr through pipes
 * and files, where an escape sequence or a carriage return is garbage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

bool cli_color(int fd)
{
    const char *no = getenv("NO_COLOR");
    const char *term = getenv("TERM");

    /* no-color.org: set and not empty disables colour, whatever else. */
    if (no && no[0]) {
        return false;
    }
    if (term && strcmp(term, "dumb") == 0) {
        return false;
    }
    return isatty(fd) == 1;
}

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) +
           (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

bool cli_progress_option(cli_progress *p, int c)
{
    if (c == 'P') {
        p->progress = true;
    } else if (c == 'q') {
        p->quiet = true;
    } else {
        return false;
    }
    return true;
}

void cli_progress_start(cli_progress *p, const char *label,
                        vms_progress_fn *fn, void **opaque)
{
    p->on = p->progress && !p->quiet && isatty(2) == 1;
    p->drawn = false;
    p->label = label;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    p->last = p->t0;
    *fn = cli_progress_update;
    *opaque = p;
}

void cli_progress_update(void *opaque, uint64_t done, uint64_t total)
{
    cli_progress *p = opaque;
    struct timespec now;
    double t, rate;
    char bar[31];

    if (!p->on) {
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* A run shorter than the first interval never flickers a bar. */
    if (since(&p->last, &now) < 0.2) {
        return;
    }
    p->last = now;
    p->drawn = true;
    t = since(&p->t0, &now);
    rate = t > 0 ? (double)done / t : 0;
    if (total > 0 && done <= total) {
        size_t fill = (size_t)((double)done / (double)total * 30);
        double eta = rate > 0 ? (double)(total - done) / rate : 0;

        memset(bar, '#', fill);
        memset(bar + fill, '.', 30 - fill);
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %3d%% %9.1f/%.1f MB %7.1f MB/s ETA %3.0fs ",
                p->label, bar, (int)((double)done * 100 / (double)total),
                (double)done / 1e6, (double)total / 1e6, rate / 1e6, eta);
    } else {
        fprintf(stderr, "\r%s %9.1f MB %7.1f MB/s ", p->label,
                (double)done / 1e6, rate / 1e6);
    }
}

void cli_progress_end(cli_progress *p)
{
    if (p->drawn) {
        /* Leave the terminal line as it was: the result is what matters. */
        fprintf(stderr, "\r\033[K");
        p->drawn = false;
    }
}
