/*
 * bins.c - the occupied cells of a seeding grid, in order of first
 * occurrence.
 *
 * A row's cell is round(x / bin_size) per coordinate, rounding half to
 * even as numpy does; with bin_size 0 the rows are cells already (the
 * caller rounded them in another precision).  A hash table keyed by the
 * cell finds each row's cell in expected constant time; it starts small
 * and doubles, so that data in a few cells stay in cache.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "meanshift.h"
#include "ms_internal.h"

typedef struct bin_table {
    int64_t *slot;  /* cell id or -1, cap entries */
    int64_t cap;    /* a power of two */
    double *cell;   /* cap / 2 cells' coordinates (the load stays <= 1/2) */
    int64_t *first; /* per cell: its first row */
    double *freq;   /* per cell: count or weight */
    int64_t n_cells;
} bin_table;

static uint64_t cell_hash(const double *c, int64_t d)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (int64_t j = 0; j < d; j++) {
        uint64_t bits;
        memcpy(&bits, &c[j], sizeof(bits));
        h ^= bits + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
    }
    /* Finalizer: cell coordinates differ in low mantissa bits only. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

static int64_t *table_find(const bin_table *tb, int64_t d, const double *c, uint64_t h)
{
    const uint64_t mask = (uint64_t)tb->cap - 1;
    for (uint64_t s = h & mask;; s = (s + 1) & mask) {
        int64_t *slot = &tb->slot[s];
        if (*slot < 0) return slot;
        const double *o = tb->cell + *slot * d;
        int64_t j = 0;
        while (j < d && o[j] == c[j]) j++;
        if (j == d) return slot;
    }
}

static int table_grow(ms_runtime *rt, bin_table *tb, int64_t d)
{
    const int64_t cap = tb->cap * 2;
    int64_t *slot = ms_alloc(rt, (size_t)cap, sizeof(int64_t));
    double *cell = ms_alloc(rt, (size_t)(cap / 2) * (size_t)d, sizeof(double));
    if (slot == NULL || cell == NULL) {
        ms_free(slot);
        ms_free(cell);
        return 0;
    }
    memcpy(cell, tb->cell, (size_t)(tb->n_cells * d) * sizeof(double));
    ms_free(tb->slot);
    ms_free(tb->cell);
    tb->slot = slot;
    tb->cell = cell;
    tb->cap = cap;
    for (int64_t s = 0; s < cap; s++) slot[s] = -1;
    for (int64_t c = 0; c < tb->n_cells; c++) {
        const double *v = cell + c * d;
        *table_find(tb, d, v, cell_hash(v, d)) = c;
    }
    return 1;
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
    bin_table tb = {NULL, 64, NULL, first, NULL, 0};
    ms_status st = MS_ERR_NOMEM;
    tb.slot = ms_alloc(&rt, (size_t)tb.cap, sizeof(int64_t));
    tb.cell = ms_alloc(&rt, (size_t)(tb.cap / 2) * (size_t)d, sizeof(double));
    tb.freq = ms_alloc(&rt, (size_t)n, sizeof(double));
    double *c = ms_alloc(&rt, (size_t)d, sizeof(double));
    if (tb.slot == NULL || tb.cell == NULL || tb.freq == NULL || c == NULL) goto done;
    for (int64_t s = 0; s < tb.cap; s++) tb.slot[s] = -1;
    for (int64_t i = 0; i < n; i++) {
        const double *x = X + i * d;
        /* + 0.0 makes -0.0 the cell 0.0, which it equals */
        if (bin_size > 0.0)
            for (int64_t j = 0; j < d; j++) c[j] = nearbyint(x[j] / bin_size) + 0.0;
        else
            for (int64_t j = 0; j < d; j++) c[j] = x[j] + 0.0;
        const uint64_t h = cell_hash(c, d);
        int64_t *slot = table_find(&tb, d, c, h);
        if (*slot < 0) {
            if (2 * (tb.n_cells + 1) > tb.cap) {
                if (!table_grow(&rt, &tb, d)) goto done;
                slot = table_find(&tb, d, c, h);
            }
            *slot = tb.n_cells;
            memcpy(tb.cell + tb.n_cells * d, c, (size_t)d * sizeof(double));
            tb.first[tb.n_cells] = i;
            tb.freq[tb.n_cells] = 0.0;
            tb.n_cells++;
        }
        tb.freq[*slot] += weights ? weights[i] : 1.0;
        if ((i & 0xfffff) == 0xfffff && ms_report_progress(cfg, i, n)) {
            st = MS_ERR_INTERRUPTED;
            goto done;
        }
    }
    int64_t kept = 0;
    for (int64_t k = 0; k < tb.n_cells; k++)
        if (tb.freq[k] >= min_freq) {
            first[kept] = first[k];
            memcpy(cells + kept * d, tb.cell + k * d, (size_t)d * sizeof(double));
            kept++;
        }
    *n_kept = kept;
    *n_cells = tb.n_cells;
    st = MS_OK;
done:
    ms_free(tb.slot);
    ms_free(tb.cell);
    ms_free(tb.freq);
    ms_free(c);
    return st;
}
