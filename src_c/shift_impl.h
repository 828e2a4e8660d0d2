/*
 * shift_impl.h - the mean-shift loop over seeds, written once for both
 * precisions (included by shift.c with MS_T, MS_TREE and MS_FN defined).
 */

/* One seed, counted the way scikit-learn counts: the iteration counter
 * starts at 0 and the loop ends on convergence or when the counter equals
 * max_iter, after that step's mean was taken. */
static void MS_FN(shift_one)(const MS_TREE *t, const double *seed,
                             const ms_shift_params *p, double r2,
                             double *MS_RESTRICT cur, double *MS_RESTRICT old,
                             double *MS_RESTRICT wx, double *intensity,
                             int64_t *n_iter)
{
    const int64_t d = t->d;
    int64_t it = 0;
    double mass = 0.0;
    for (int64_t j = 0; j < d; j++) cur[j] = seed[j];
    for (;;) {
        double w;
        MS_FN(ms__kernel_sum)(t, cur, p->kernel, p->bandwidth, r2,
                              p->gaussian_tol, &w, wx);
        if (!(w > 0.0)) {
            mass = 0.0; /* an empty neighbourhood drops the seed */
            break;
        }
        mass = w;
        double shift = 0.0;
        for (int64_t j = 0; j < d; j++) {
            old[j] = cur[j];
            /* float32 data: the reference keeps float32 means. */
            cur[j] = (double)(MS_T)(wx[j] / w);
            const double u = cur[j] - old[j];
            shift += u * u;
        }
        if (sqrt(shift) <= p->stop_thresh || it == p->max_iter) break;
        it++;
    }
    *intensity = mass;
    *n_iter = it;
}

ms_status MS_FN(ms_shift_seeds)(const MS_TREE *t, const double *seeds,
                                int64_t n_seeds, const ms_shift_params *p,
                                const ms_config *cfg, double *means,
                                double *intensity, int64_t *n_iter)
{
    if (t == NULL || p == NULL || n_seeds < 0) return MS_ERR_INVALID;
    if (n_seeds > 0 && (seeds == NULL || means == NULL || intensity == NULL ||
                        n_iter == NULL))
        return MS_ERR_INVALID;
    if (!(p->bandwidth >= 0.0) || !(p->stop_thresh >= 0.0) || p->max_iter < 0 ||
        !(p->gaussian_tol >= 0.0))
        return MS_ERR_INVALID;
    if (p->kernel != MS_KERNEL_FLAT && p->kernel != MS_KERNEL_GAUSSIAN &&
        p->kernel != MS_KERNEL_EPANECHNIKOV)
        return MS_ERR_INVALID;
    if (p->kernel != MS_KERNEL_FLAT && !(p->bandwidth > 0.0)) return MS_ERR_INVALID;
    if (p->kernel == MS_KERNEL_EPANECHNIKOV && t->ctr == NULL) return MS_ERR_INVALID;

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    const int64_t d = t->d;
    const double r2 = ms_radius_sq(p->bandwidth);
    int failed = 0;        /* an allocation failed */
    volatile int stop = 0; /* the progress callback asked to stop */
    int64_t done = 0;

#ifdef _OPENMP
#pragma omp parallel num_threads(ms_num_threads(cfg))
#endif
    {
        double *buf = ms_alloc(&rt, (size_t)(3 * d), sizeof(double));
        if (buf == NULL) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
        int64_t mine = 0;
#ifdef _OPENMP
        const int master = omp_get_thread_num() == 0;
#pragma omp for schedule(dynamic, 8)
#else
        const int master = 1;
#endif
        for (int64_t s = 0; s < n_seeds; s++) {
            if (buf == NULL || stop) continue;
            MS_FN(shift_one)(t, seeds + s * d, p, r2, buf, buf + d, buf + 2 * d,
                             intensity + s, n_iter + s);
            for (int64_t j = 0; j < d; j++) means[s * d + j] = buf[j];
            mine++;
#ifdef _OPENMP
#pragma omp atomic
#endif
            done++;
            if (master && (mine & 15) == 0 &&
                ms_report_progress(cfg, done, n_seeds))
                stop = 1;
        }
        ms_free(buf);
    }
    if (failed) return MS_ERR_NOMEM;
    if (stop) return MS_ERR_INTERRUPTED;
    if (ms_report_progress(cfg, n_seeds, n_seeds)) return MS_ERR_INTERRUPTED;
    return MS_OK;
}
