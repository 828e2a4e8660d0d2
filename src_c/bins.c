/*
 * bins.c - the occupied cells of a seeding grid, in order of first
 * occurrence.
 *
 * A row's cell is round(x / bin_size) per coordinate, rounding half to
 * even as numpy does; with bin_size 0 the rows are cells already (the
 * caller rounded them in another precision).  The set of equal rows
 * (equal_rows.h) finds each row's cell in expected constant time.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "equal_rows.h"
#include "meanshift.h"

ms_status ms_bin_cells(const double *X, const double *weights, int64_t n, int64_t d,
                       double bin_size, double min_freq, const ms_config *cfg,
                       int64_t *first, double *cells, int64_t *n_kept, int64_t *n_cells)
{
    if (X == NULL || first == NULL || cells == NULL || n_kept == NULL ||
        n_cells == NULL || n < 0 || d < 1 || !(bin_size >= 0.0))
        return MS_ERR_INVALID;
    *n_kept = *n_cells = 0;
    if (n == 0) return MS_OK;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_row_set cells_seen;
    ms_status st = MS_ERR_NOMEM;
    /* Starts small: data in a few cells keep the table in cache. */
    const int ok = ms_row_set_init(&cells_seen, &rt, d, 32);
    double *freq = ms_alloc(&rt, (size_t)n, sizeof(double));
    double *c = ms_alloc(&rt, (size_t)d, sizeof(double));
    if (!ok || freq == NULL || c == NULL) goto done;
    for (int64_t i = 0; i < n; i++) {
        const double *x = X + i * d;
        /* + 0.0 makes -0.0 the cell 0.0, which it equals */
        if (bin_size > 0.0)
            for (int64_t j = 0; j < d; j++) c[j] = nearbyint(x[j] / bin_size) + 0.0;
        else
            for (int64_t j = 0; j < d; j++) c[j] = x[j] + 0.0;
        int added;
        const int64_t id = ms_row_set_add(&cells_seen, c, &added);
        if (id < 0) goto done;
        if (added) {
            first[id] = i;
            freq[id] = 0.0;
        }
        freq[id] += weights ? weights[i] : 1.0;
        if ((i & 0xfffff) == 0xfffff && ms_report_progress(cfg, i, n)) {
            st = MS_ERR_INTERRUPTED;
            goto done;
        }
    }
    int64_t kept = 0;
    for (int64_t k = 0; k < cells_seen.n_rows; k++)
        if (freq[k] >= min_freq) {
            first[kept] = first[k];
            memcpy(cells + kept * d, ms_row_set_row(&cells_seen, k),
                   (size_t)d * sizeof(double));
            kept++;
        }
    *n_kept = kept;
    *n_cells = cells_seen.n_rows;
    st = MS_OK;
done:
    ms_row_set_free(&cells_seen);
    ms_free(freq);
    ms_free(c);
    return st;
}
