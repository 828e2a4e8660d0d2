/*
 * runtime.c - allocation, thread counts and progress reporting.
 */
#include <math.h>
#include <stdlib.h>

#include "ms_internal.h"

ms_config ms_config_default(void)
{
    ms_config cfg;
    cfg.n_threads = 1;
    cfg.progress = NULL;
    cfg.progress_ctx = NULL;
    cfg.fail_alloc_after = -1;
    return cfg;
}

int ms_openmp_enabled(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int ms_default_num_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int ms_fault_injection_enabled(void)
{
#ifdef MS_FAULT_INJECTION
    return 1;
#else
    return 0;
#endif
}

double ms_flat_radius_sq(double h)
{
    if (!(h >= 0.0)) return -1.0;
    return h * h;
}

double ms_radius_sq(double h)
{
    if (!(h >= 0.0)) return -1.0;
    if (isinf(h)) return h;
    double r2 = h * h;
    /* h*h is rounded; step to the exact edge of {x : sqrt(x) <= h}. */
    while (r2 > 0.0 && sqrt(r2) > h) r2 = nextafter(r2, 0.0);
    for (;;) {
        double up = nextafter(r2, INFINITY);
        if (isinf(up) || sqrt(up) > h) break;
        r2 = up;
    }
    return r2;
}

void ms_runtime_init(ms_runtime *rt, const ms_config *cfg)
{
    rt->cfg = cfg;
    rt->allocs_left = -1;
#ifdef MS_FAULT_INJECTION
    if (cfg && cfg->fail_alloc_after >= 0) rt->allocs_left = cfg->fail_alloc_after;
#endif
}

void *ms_alloc(ms_runtime *rt, size_t count, size_t size)
{
    if (count == 0 || size == 0) count = size = 1;
    if (count > SIZE_MAX / size) return NULL;
#ifdef MS_FAULT_INJECTION
    if (rt && rt->allocs_left >= 0) {
        int64_t left;
#if defined(_OPENMP) && _OPENMP >= 201107
#pragma omp atomic capture
#elif defined(_OPENMP)
/* MSVC's OpenMP 2.0 has no "atomic capture" */
#pragma omp critical(ms_alloc_budget)
#endif
        left = rt->allocs_left--;
        if (left <= 0) return NULL;
    }
#else
    (void)rt;
#endif
    return malloc(count * size);
}

void ms_free(void *p) { free(p); }

int ms_num_threads(const ms_config *cfg)
{
    int t = cfg ? cfg->n_threads : 1;
    /* An OpenMP team of a huge count does not start: libgomp exits the
     * process when it cannot allocate or create the threads. */
    if (t > MS_MAX_THREADS) t = MS_MAX_THREADS;
    return t < 1 ? 1 : t;
}

int ms_report_progress(const ms_config *cfg, int64_t done, int64_t total)
{
    if (cfg == NULL || cfg->progress == NULL) return 0;
    return cfg->progress(cfg->progress_ctx, done, total);
}
