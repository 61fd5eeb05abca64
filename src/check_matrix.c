/*
 * libvmstate: vmstate check --matrix, every ordered pair of many dumps.
 *
 * Release engineers check one machine type as made by several QEMU
 * releases, both ways (upgrade and rollback). Each dump is parsed once
 * (in parallel), then the pairs of dumps of the same target are checked
 * by a pool of threads; the walk only reads the dumps.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmstate/check.h"
#include "check_rules.h"
#include "table.h"
#include "check_priv.h"

/*
 * A section only one QEMU target's binary registers (checked on QEMU 5.2,
 * 7.2 and 10.0 dumps of every machine type): qemu-system-x86_64 and -i386
 * have the I/O APIC, -aarch64 and -arm the GIC, -ppc64 sPAPR's PCI host
 * bridge, -s390x the IPL device.
 */
static const char *const target_markers[][2] = {
    { "ioapic", "x86" },
    { "arm_gic", "arm" },
    { "spapr-pci-host-bridge", "ppc64" },
    { "s390-ipl", "s390x" },
};

/* "machine:FAMILY", the machine name without a trailing "-N.N" version. */
static char *machine_family(const vms_dump *d)
{
    const vms_dump_section *m = vms_dump_find(d, "vmschkmachine");
    const char *name = m && m->name ? m->name : "";
    size_t n = strlen(name), k = n;
    char *out;

    while (k > 0 && (name[k - 1] == '.' ||
                     (name[k - 1] >= '0' && name[k - 1] <= '9'))) {
        k--;
    }
    if (k < n && k > 0 && name[k - 1] == '-') {
        n = k - 1;
    }
    if (asprintf(&out, "machine:%.*s", (int)n, name) < 0) {
        return NULL;
    }
    return out;
}

static char *target_of(const vms_dump *d)
{
    for (size_t i = 0; i < VMS__ARRAY_SIZE(target_markers); i++) {
        if (vms_dump_find(d, target_markers[i][0])) {
            return strdup(target_markers[i][1]);
        }
    }
    return machine_family(d);
}

void vms_check_matrix_free(vms_check_matrix *m)
{
    if (!m) {
        return;
    }
    for (size_t i = 0; i < m->n_pairs; i++) {
        if (m->pairs[i].report) {
            m->pairs[i].report->src = m->pairs[i].report->dest = NULL;
            vms_check_report_free(m->pairs[i].report);
        }
    }
    free(m->pairs);
    for (size_t i = 0; i < m->n_dumps; i++) {
        vms_dump_free(m->dumps ? m->dumps[i] : NULL);
        free(m->targets ? (char *)m->targets[i] : NULL);
    }
    free(m->dumps);
    free(m->targets);
    free(m->files);
    free((char *)m->rules);
    free(m);
}

typedef struct pool {
    vms_check_matrix *m;
    const char *const *paths;
    const vms_check_options *opts;
    atomic_size_t next;
    size_t n_jobs;
    int *codes;
    vms_error *errs;
} pool;

static void *load_worker(void *opaque)
{
    pool *p = opaque;
    size_t i;

    while ((i = atomic_fetch_add(&p->next, 1)) < p->n_jobs) {
        p->codes[i] = vms_dump_load(p->paths[i], &p->m->dumps[i],
                                    &p->errs[i]);
    }
    return NULL;
}

static void *pair_worker(void *opaque)
{
    pool *p = opaque;
    size_t i;

    while ((i = atomic_fetch_add(&p->next, 1)) < p->n_jobs) {
        vms_check_pair *pr = &p->m->pairs[i];
        vms_check_report *r = calloc(1, sizeof(*r));

        if (!r) {
            p->codes[i] = vms_error_set(&p->errs[i], VMS_ENOMEM,
                                        "out of memory");
            continue;
        }
        r->tool = "vmstate check";
        r->src = p->m->dumps[pr->src];
        r->dest = p->m->dumps[pr->dest];
        r->src_file = vms_dump_file(r->src);
        r->dest_file = vms_dump_file(r->dest);
        pr->report = r;
        p->codes[i] = vms__check_report_fill(r, p->opts, &p->errs[i]);
    }
    return NULL;
}

/* Runs fn over n jobs in up to one thread per online CPU. */
static void run_pool(pool *p, size_t n, void *(*fn)(void *))
{
    pthread_t t[64];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cpus > 0 ? (size_t)cpus : 1, started = 0;

    if (nt > VMS__ARRAY_SIZE(t)) {
        nt = VMS__ARRAY_SIZE(t);
    }
    if (nt > n) {
        nt = n;
    }
    atomic_store(&p->next, 0);
    p->n_jobs = n;
    for (size_t i = 1; i < nt; i++) {
        if (pthread_create(&t[started], NULL, fn, p) == 0) {
            started++;
        }
    }
    fn(p);
    for (size_t i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
    }
}

int vms_check_matrix_files(const char *const *paths, size_t n,
                           const vms_check_options *opts,
                           vms_check_matrix **out, vms_error *err)
{
    vms_check_matrix *m;
    pool p = { .paths = paths, .opts = opts };
    const vms_check_rules *rules = opts && opts->version >= 2 ? opts->rules
                                                              : NULL;
    int e = 0;

    *out = NULL;
    vms_error_clear(err);
    m = calloc(1, sizeof(*m));
    if (!m) {
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    p.m = m;
    m->n_dumps = n;
    m->files = calloc(n + 1, sizeof(*m->files));
    m->targets = calloc(n + 1, sizeof(*m->targets));
    m->dumps = calloc(n + 1, sizeof(*m->dumps));
    m->pairs = calloc(n * n + 1, sizeof(*m->pairs));
    p.codes = calloc(n * n + 1, sizeof(*p.codes));
    p.errs = calloc(n * n + 1, sizeof(*p.errs));
    m->rules = strdup(vms_check_rules_name(rules ? rules
                                                 : vms__check_rules_default()));
    if (!m->files || !m->targets || !m->dumps || !m->pairs || !p.codes ||
        !p.errs || !m->rules) {
        e = vms_error_set(err, VMS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        m->files[i] = paths[i];
    }
    run_pool(&p, n, load_worker);
    /* The first file's error, as the pair check reports src's first. */
    for (size_t i = 0; i < n; i++) {
        if (p.codes[i]) {
            if (err) {
                *err = p.errs[i];
            }
            e = p.codes[i];
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        m->targets[i] = target_of(m->dumps[i]);
        if (!m->targets[i]) {
            e = vms_error_set(err, VMS_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (i != j && strcmp(m->targets[i], m->targets[j]) == 0) {
                m->pairs[m->n_pairs].src = i;
                m->pairs[m->n_pairs].dest = j;
                m->n_pairs++;
            }
        }
    }
    memset(p.codes, 0, (n * n + 1) * sizeof(*p.codes));
    run_pool(&p, m->n_pairs, pair_worker);
    for (size_t i = 0; i < m->n_pairs; i++) {
        if (p.codes[i]) {
            if (err) {
                *err = p.errs[i];
            }
            e = p.codes[i];
            goto out;
        }
        m->errors += m->pairs[i].report->errors;
    }
    if (m->errors > 255) {
        m->errors = 255;
    }
out:
    free(p.codes);
    free(p.errs);
    if (e) {
        vms_check_matrix_free(m);
        return e;
    }
    *out = m;
    return 0;
}
