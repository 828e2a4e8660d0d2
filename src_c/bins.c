/*
 * bins.c - the occupied cells of a seeding grid, in order of first
 * occurrence.
 *
 * A row's cell is round(x / bin_size) per coordinate, rounding half to
 * even as numpy does; with bin_size 0 the rows are cells already (the
 * caller rounded them in another precision).  The set of equal rows
 * (equal_rows.h) finds each row's cell in expected constant time.
 *
 * Many unweighted rows are binned in contiguous parts, one per thread,
 * each with a set of its own; the parts' cells then join the whole set
 * part after part, in each part's order of first occurrence, which is the
 * order one pass over the rows gives, and their counts (exact integers)
 * add up.  Weighted rows take one pass: their sums of weights would round
 * in another order.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "equal_rows.h"
#include "meanshift.h"
#include "parallel.h"

/* Fewest rows a part takes: below, a thread costs more than it saves. */
#define MS_BIN_PART_MIN 65536
/* A part polls for a stop (Ctrl-C) and counts progress every this many rows. */
#define MS_BIN_POLL_ROWS 65536

/* The cell of row x, into c. */
MS_ALWAYS_INLINE void cell_of(const double *x, int64_t d, double bin_size, double *c)
{
    /* + 0.0 makes -0.0 the cell 0.0, which it equals */
    if (bin_size > 0.0)
        for (int64_t j = 0; j < d; j++) c[j] = nearbyint(x[j] / bin_size) + 0.0;
    else
        for (int64_t j = 0; j < d; j++) c[j] = x[j] + 0.0;
}

/* One part's cells: first row and row count per cell id. */
typedef struct bin_part {
    ms_row_set set;
    int64_t *first, *count;
} bin_part;

/* Rows [i0, i1) into part p (c: d doubles of scratch); 0 when out of
 * memory or stopped (loop says which). */
static int bin_rows(const double *X, int64_t i0, int64_t i1, int64_t d, double bin_size,
                    bin_part *p, double *c, ms_loop *loop, int64_t *mine)
{
    for (int64_t i = i0; i < i1; i++) {
        if ((i - i0) % MS_BIN_POLL_ROWS == MS_BIN_POLL_ROWS - 1) {
            ms_loop_tick(loop, MS_BIN_POLL_ROWS, mine);
            if (ms_loop_halted(loop, c)) return 0;
        }
        cell_of(X + i * d, d, bin_size, c);
        int added;
        const int64_t id = ms_row_set_add(&p->set, c, &added);
        if (id < 0) {
            ms_flag_raise(&loop->failed);
            return 0;
        }
        if (added) {
            p->first[id] = i;
            p->count[id] = 0;
        }
        p->count[id]++;
    }
    return 1;
}

/* The unweighted rows binned in n_parts parts on as many threads, the
 * parts' cells joined into cells_seen (first rows into first, counts into
 * freq). */
static ms_status bin_in_parts(const double *X, int64_t n, int64_t d, double bin_size,
                              int n_parts, ms_runtime *rt, ms_row_set *cells_seen,
                              int64_t *first, double *freq)
{
    bin_part *parts = ms_alloc(rt, (size_t)n_parts, sizeof(bin_part));
    if (parts == NULL) return MS_ERR_NOMEM;
    memset(parts, 0, (size_t)n_parts * sizeof(bin_part));
    ms_loop loop;
    ms_loop_init(&loop, rt, n, 1);
    int64_t b;
    MS_OMP(parallel for num_threads(n_parts) schedule(static, 1))
    for (b = 0; b < n_parts; b++) {
        const int64_t i0 = n * b / n_parts, i1 = n * (b + 1) / n_parts;
        bin_part *p = parts + b;
        const int ok = ms_row_set_init(&p->set, rt, d, 32);
        p->first = ms_alloc(rt, (size_t)(i1 - i0), sizeof(int64_t));
        p->count = ms_alloc(rt, (size_t)(i1 - i0), sizeof(int64_t));
        double *c = ms_loop_scratch(&loop, (size_t)d, sizeof(double));
        if (!ok || p->first == NULL || p->count == NULL) {
            ms_flag_raise(&loop.failed);
        }
        int64_t mine = 0;
        if (!ms_loop_halted(&loop, c))
            bin_rows(X, i0, i1, d, bin_size, p, c, &loop, &mine);
        ms_free(c);
    }
    ms_status st = ms_loop_status(&loop);
    for (int64_t b = 0; b < n_parts && st == MS_OK; b++) {
        const bin_part *p = parts + b;
        for (int64_t k = 0; k < p->set.n_rows; k++) {
            int added;
            const int64_t id =
                ms_row_set_add(cells_seen, ms_row_set_row(&p->set, k), &added);
            if (id < 0) {
                st = MS_ERR_NOMEM;
                break;
            }
            if (added) {
                first[id] = p->first[k];
                freq[id] = 0.0;
            }
            freq[id] += (double)p->count[k];
        }
    }
    for (int64_t b = 0; b < n_parts; b++) {
        ms_row_set_free(&parts[b].set);
        ms_free(parts[b].first);
        ms_free(parts[b].count);
    }
    ms_free(parts);
    return st;
}

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
    int n_parts = ms_num_threads(cfg);
    if (n / MS_BIN_PART_MIN < n_parts) n_parts = (int)(n / MS_BIN_PART_MIN);
    if (weights == NULL && n_parts > 1) {
        st = bin_in_parts(X, n, d, bin_size, n_parts, &rt, &cells_seen, first, freq);
        if (st != MS_OK) goto done;
    } else {
        for (int64_t i = 0; i < n; i++) {
            cell_of(X + i * d, d, bin_size, c);
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
