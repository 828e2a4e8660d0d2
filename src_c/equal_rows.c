/*
 * equal_rows.c - the set of distinct rows declared in equal_rows.h.
 */
#include "equal_rows.h"

#include <string.h>

/* Rows that compare equal must hash alike, so -0.0 is read as 0.0.  Cell
 * coordinates and converged seeds often differ only in low mantissa bits,
 * hence the final mixing. */
static uint64_t row_hash(const double *x, int64_t d)
{
    uint64_t h = 0x243F6A8885A308D3u;
    for (int64_t j = 0; j < d; j++) {
        const double v = x[j] == 0.0 ? 0.0 : x[j];
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        h = (h ^ b) * 0x9E3779B97F4A7C15u;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    return h;
}

static int rows_equal(const double *x, const double *y, int64_t d)
{
    for (int64_t j = 0; j < d; j++)
        if (!(x[j] == y[j])) return 0;
    return 1;
}

/* The slot holding a row equal to x, or the empty slot where it goes. */
static int64_t *find_slot(const ms_row_set *set, const double *x, uint64_t h)
{
    const uint64_t mask = (uint64_t)set->cap - 1;
    for (uint64_t s = h & mask;; s = (s + 1) & mask) {
        int64_t *slot = &set->slot[s];
        if (*slot < 0 || rows_equal(ms_row_set_row(set, *slot), x, set->d)) return slot;
    }
}

/* Slots and row storage for cap slots; the rows kept so far move over. */
static int resize(ms_row_set *set, int64_t cap)
{
    int64_t *slot = ms_alloc(set->rt, (size_t)cap, sizeof(int64_t));
    double *rows = ms_alloc(set->rt, (size_t)(cap / 2) * (size_t)set->d, sizeof(double));
    if (slot == NULL || rows == NULL) {
        ms_free(slot);
        ms_free(rows);
        return 0;
    }
    if (set->n_rows > 0)
        memcpy(rows, set->rows, (size_t)(set->n_rows * set->d) * sizeof(double));
    ms_free(set->slot);
    ms_free(set->rows);
    set->slot = slot;
    set->rows = rows;
    set->cap = cap;
    for (int64_t s = 0; s < cap; s++) slot[s] = -1;
    for (int64_t id = 0; id < set->n_rows; id++) {
        const double *x = ms_row_set_row(set, id);
        *find_slot(set, x, row_hash(x, set->d)) = id;
    }
    return 1;
}

int ms_row_set_init(ms_row_set *set, ms_runtime *rt, int64_t d, int64_t expected)
{
    set->rt = rt;
    set->d = d;
    set->n_rows = 0;
    set->cap = 0;
    set->slot = NULL;
    set->rows = NULL;
    int64_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    return resize(set, cap);
}

int64_t ms_row_set_add(ms_row_set *set, const double *row, int *added)
{
    const uint64_t h = row_hash(row, set->d);
    int64_t *slot = find_slot(set, row, h);
    *added = *slot < 0;
    if (!*added) return *slot;
    if (2 * (set->n_rows + 1) > set->cap) {
        if (!resize(set, 2 * set->cap)) return -1;
        slot = find_slot(set, row, h);
    }
    const int64_t id = set->n_rows++;
    memcpy(set->rows + id * set->d, row, (size_t)set->d * sizeof(double));
    *slot = id;
    return id;
}

void ms_row_set_free(ms_row_set *set)
{
    ms_free(set->slot);
    ms_free(set->rows);
    set->slot = NULL;
    set->rows = NULL;
}
