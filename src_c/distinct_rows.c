/*
 * distinct_rows.c - the distinct rows of data whose rows repeat often
 * (quantised colours, integer features), so that a fit can run on each
 * distinct row once, weighted by how often it occurs.
 *
 * Finding the distinct rows costs a pass over the data and a table of
 * them, and each weighted point a product per coordinate, so this pays
 * only where rows repeat many times over: at most one distinct row in
 * MS_DISTINCT_SHARE.
 * Evenly spaced rows are probed first, so that data whose rows seldom
 * repeat cost a few thousand lookups, not a pass.
 */
#include <stdint.h>

#include "equal_rows.h"
#include "meanshift.h"

/* The probe: this many evenly spaced rows; the full pass follows only
 * where at least one in MS_DISTINCT_PROBE_REPEATS of them repeats one
 * probed before (a share that data with a distinct row in 4 rows reach:
 * about 4% of 4096 rows drawn from 50,000 equally frequent values). */
#define MS_DISTINCT_PROBE 4096
#define MS_DISTINCT_PROBE_REPEATS 32

static void read_row(const double *X64, const float *X32, int64_t i, int64_t d,
                     double *restrict row)
{
    /* + 0.0: -0.0 and 0.0 compare equal, and are one row */
    if (X64)
        for (int64_t j = 0; j < d; j++) row[j] = X64[i * d + j] + 0.0;
    else
        for (int64_t j = 0; j < d; j++) row[j] = (double)X32[i * d + j] + 0.0;
}

/* Whether the evenly spaced probe finds rows repeating often enough. */
static int probe_repeats(const double *X64, const float *X32, int64_t n, int64_t d,
                         ms_runtime *rt, double *row, ms_status *st)
{
    const int64_t s = n < MS_DISTINCT_PROBE ? n : MS_DISTINCT_PROBE;
    ms_row_set seen;
    *st = MS_ERR_NOMEM;
    int repeats = 0;
    if (ms_row_set_init(&seen, rt, d, s)) {
        int64_t repeated = 0;
        for (int64_t k = 0; k < s; k++) {
            read_row(X64, X32, (int64_t)((double)k * (double)n / (double)s), d, row);
            int added;
            if (ms_row_set_add(&seen, row, &added) < 0) goto done;
            repeated += !added;
        }
        repeats = repeated * MS_DISTINCT_PROBE_REPEATS >= s;
        *st = MS_OK;
    }
done:
    ms_row_set_free(&seen);
    return repeats;
}

static ms_status distinct_rows(const double *X64, const float *X32, const double *weights,
                               int64_t n, int64_t d, const ms_config *cfg, int64_t *first,
                               int64_t *inverse, double *weight, int64_t *n_distinct)
{
    if ((X64 == NULL && X32 == NULL) || first == NULL || inverse == NULL ||
        weight == NULL || n_distinct == NULL || n < 0 || d < 1)
        return MS_ERR_INVALID;
    *n_distinct = 0;
    if (n < 2) return MS_OK;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_status st = MS_ERR_NOMEM;
    ms_row_set rows;
    int have_rows = 0;
    double *row = ms_alloc(&rt, (size_t)d, sizeof(double));
    if (row == NULL) goto done;
    if (!probe_repeats(X64, X32, n, d, &rt, row, &st) || st != MS_OK) goto done;
    st = MS_ERR_NOMEM;
    const int64_t most = n / MS_DISTINCT_SHARE;
    /* Starts small, and grows with the rows found: few distinct rows keep
     * the table in cache. */
    if (!(have_rows = ms_row_set_init(&rows, &rt, d, 64))) goto done;
    for (int64_t i = 0; i < n; i++) {
        read_row(X64, X32, i, d, row);
        int added;
        const int64_t id = ms_row_set_add(&rows, row, &added);
        if (id < 0) goto done;
        if (added) {
            if (id >= most) { /* too many: the rows as they are */
                st = MS_OK;
                goto done;
            }
            first[id] = i;
            weight[id] = 0.0;
        }
        inverse[i] = id;
        weight[id] += weights ? weights[i] : 1.0;
        if ((i & 0xfffff) == 0xfffff && ms_report_progress(cfg, i, n)) {
            st = MS_ERR_INTERRUPTED;
            goto done;
        }
    }
    *n_distinct = rows.n_rows;
    st = MS_OK;
done:
    if (have_rows) ms_row_set_free(&rows);
    ms_free(row);
    return st;
}

ms_status ms_distinct_rows_f64(const double *X, const double *weights, int64_t n,
                               int64_t d, const ms_config *cfg, int64_t *first,
                               int64_t *inverse, double *weight, int64_t *n_distinct)
{
    if (X == NULL) return MS_ERR_INVALID;
    return distinct_rows(X, NULL, weights, n, d, cfg, first, inverse, weight, n_distinct);
}

ms_status ms_distinct_rows_f32(const float *X, const double *weights, int64_t n,
                               int64_t d, const ms_config *cfg, int64_t *first,
                               int64_t *inverse, double *weight, int64_t *n_distinct)
{
    if (X == NULL) return MS_ERR_INVALID;
    return distinct_rows(NULL, X, weights, n, d, cfg, first, inverse, weight, n_distinct);
}
