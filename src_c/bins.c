/*
 * bins.c - the occupied cells of a seeding grid, in order of first
 * occurrence.
 *
 * Rows arrive already rounded to cell coordinates (the caller does the
 * division and rounding, whose precision it decides).  A hash table keyed
 * by the whole row finds each row's cell in expected constant time; it
 * starts small and doubles, so that data in a few cells stay in cache.
 */
#include <stdint.h>
#include <string.h>

#include "meanshift.h"
#include "ms_internal.h"

typedef struct bin_table {
    int64_t *slot;  /* cell id or -1, capacity entries */
    int64_t cap;    /* a power of two */
    int64_t *first; /* per cell: its first row */
    double *freq;   /* per cell: count or weight */
    int64_t n_cells, cells_cap;
} bin_table;

static uint64_t row_hash(const double *row, int64_t d)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (int64_t j = 0; j < d; j++) {
        const double v = row[j] + 0.0; /* -0.0 hashes as 0.0, which it equals */
        uint64_t bits;
        memcpy(&bits, &v, sizeof(bits));
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

static int rows_equal(const double *a, const double *b, int64_t d)
{
    for (int64_t j = 0; j < d; j++)
        if (a[j] != b[j]) return 0;
    return 1;
}

static int64_t *table_find(const bin_table *tb, const double *rows, int64_t d,
                           const double *row, uint64_t h)
{
    const uint64_t mask = (uint64_t)tb->cap - 1;
    for (uint64_t s = h & mask;; s = (s + 1) & mask) {
        int64_t *slot = &tb->slot[s];
        if (*slot < 0 || rows_equal(rows + tb->first[*slot] * d, row, d)) return slot;
    }
}

static int table_grow(ms_runtime *rt, bin_table *tb, const double *rows, int64_t d)
{
    int64_t *old = tb->slot;
    const int64_t old_cap = tb->cap;
    int64_t *slot = ms_alloc(rt, (size_t)old_cap * 2, sizeof(int64_t));
    if (slot == NULL) return 0;
    tb->slot = slot;
    tb->cap = old_cap * 2;
    for (int64_t s = 0; s < tb->cap; s++) slot[s] = -1;
    for (int64_t c = 0; c < tb->n_cells; c++) {
        const double *row = rows + tb->first[c] * d;
        *table_find(tb, rows, d, row, row_hash(row, d)) = c;
    }
    ms_free(old);
    return 1;
}

ms_status ms_bin_cells(const double *rows, const double *weights, int64_t n, int64_t d,
                       double min_freq, const ms_config *cfg, int64_t *first,
                       int64_t *n_kept, int64_t *n_cells)
{
    if (rows == NULL || first == NULL || n_kept == NULL || n_cells == NULL || n < 0 ||
        d < 1)
        return MS_ERR_INVALID;
    *n_kept = *n_cells = 0;
    if (n == 0) return MS_OK;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    bin_table tb = {NULL, 64, NULL, NULL, 0, 0};
    ms_status st = MS_ERR_NOMEM;
    tb.slot = ms_alloc(&rt, (size_t)tb.cap, sizeof(int64_t));
    /* first[] of the caller holds the cells' first rows while counting. */
    tb.first = first;
    tb.freq = ms_alloc(&rt, (size_t)n, sizeof(double));
    if (tb.slot == NULL || tb.freq == NULL) goto done;
    for (int64_t s = 0; s < tb.cap; s++) tb.slot[s] = -1;
    for (int64_t i = 0; i < n; i++) {
        const double *row = rows + i * d;
        const uint64_t h = row_hash(row, d);
        int64_t *slot = table_find(&tb, rows, d, row, h);
        if (*slot < 0) {
            /* Keep the load under one half. */
            if (2 * (tb.n_cells + 1) > tb.cap) {
                if (!table_grow(&rt, &tb, rows, d)) goto done;
                slot = table_find(&tb, rows, d, row, h);
            }
            *slot = tb.n_cells;
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
    for (int64_t c = 0; c < tb.n_cells; c++)
        if (tb.freq[c] >= min_freq) first[kept++] = first[c];
    *n_kept = kept;
    *n_cells = tb.n_cells;
    st = MS_OK;
done:
    ms_free(tb.slot);
    ms_free(tb.freq);
    return st;
}
