/*
 * step_impl.h - one mean-shift step, the only place it is computed
 * (instantiated per precision through shift_impl.h).
 *
 * Given a seed's kernel sums at its position, the step takes the new
 * position, the seed's intensity and the stop rule.  The loops of
 * shift_impl.h call it for every seed in every round, and ms_step_* hands
 * it to callers that gather the sums themselves (the Dask estimator sums
 * over blocks on its workers).
 */

/* One step for a seed at cur (d coordinates, updated in place).  w and wx
 * are its kernel sums; for the Gaussian kernel they are taken relative to
 * the weight at squared distance base (0 for the other kernels).  The
 * counter n_iter starts at 0 and is advanced after every step that neither
 * converged nor reached max_iter, which is how scikit-learn counts. */
MS_ALWAYS_INLINE ms_step_state MS_FN(ms__step)(const ms_shift_params *p, double base,
                                               double w, const double *wx, int64_t d,
                                               double *MS_RESTRICT cur, double *intensity,
                                               int64_t *n_iter)
{
    if (!(w > 0.0)) {
        *intensity = 0.0; /* an empty neighbourhood drops the seed */
        return MS_STEP_DROPPED;
    }
    double mass = w;
    if (base > 0.0) {
        /* The density itself may underflow: a kept seed still gets a
         * positive intensity, the smallest there is. */
        mass = w * exp(-base / (2.0 * p->bandwidth * p->bandwidth));
        if (!(mass > 0.0)) mass = 4.9406564584124654e-324;
    }
    *intensity = mass;
    if (p->bandwidth == 0.0) {
        /* Bandwidth 0 (estimated on data whose neighbours coincide): the
         * kernel holds only points equal to cur, whose mean is cur itself;
         * wx / w can round one ulp off it, where no point lies within 0. */
        return MS_STEP_CONVERGED;
    }
    double shift = 0.0;
    for (int64_t j = 0; j < d; j++) {
        /* float32 data: the reference keeps float32 means. */
        const double next = (double)(MS_T)(wx[j] / w);
        const double u = next - cur[j];
        shift += u * u;
        cur[j] = next;
    }
    if (sqrt(shift) <= p->stop_thresh) return MS_STEP_CONVERGED;
    if (*n_iter == p->max_iter) return MS_STEP_MAX_ITER;
    (*n_iter)++;
    return MS_STEP_MOVING;
}

ms_status MS_FN(ms_step)(int64_t m, int64_t d, const ms_shift_params *p,
                         const double *base, const double *wsum, const double *wx,
                         double *pos, double *intensity, int64_t *n_iter,
                         ms_step_state *state)
{
    if (p == NULL || m < 0 || d < 1) return MS_ERR_INVALID;
    if (m > 0 && (wsum == NULL || wx == NULL || pos == NULL || intensity == NULL ||
                  n_iter == NULL || state == NULL))
        return MS_ERR_INVALID;
    if (!(p->bandwidth >= 0.0) || !(p->stop_thresh >= 0.0) || p->max_iter < 0)
        return MS_ERR_INVALID;
    for (int64_t i = 0; i < m; i++)
        state[i] = MS_FN(ms__step)(p, base ? base[i] : 0.0, wsum[i], wx + i * d, d,
                                   pos + i * d, intensity + i, n_iter + i);
    return MS_OK;
}
