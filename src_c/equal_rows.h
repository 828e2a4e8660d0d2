/*
 * equal_rows.h - a set of rows of d doubles, each kept once: the one hash
 * table of the core, for the cells of bin seeding (bins.c), repeated rows
 * (distinct_rows.c) and the distinct converged seeds of the merge
 * (centers.c).
 *
 * Two rows are equal when every coordinate compares equal, as Python's
 * == on tuples of floats does: -0.0 equals 0.0, and a row holding NaN
 * equals no row, so it is always added as new.  A row gets the id
 * 0, 1, 2, ... in order of first insertion, and the set keeps a copy of
 * it; ids, not hash order, are what callers read, so results never depend
 * on the hash.  Open addressing with linear probing; the table doubles
 * whenever it would be more than half full, so a set that starts small
 * stays in cache while the data hold few distinct rows.
 */
#ifndef MS_EQUAL_ROWS_H
#define MS_EQUAL_ROWS_H

#include <stdint.h>
#include <string.h>

#include "ms_internal.h"

typedef struct ms_row_set {
    ms_runtime *rt;
    int64_t d;
    int64_t n_rows; /* distinct rows so far: ids 0 .. n_rows - 1 */
    int64_t cap;    /* slots, a power of two, at least 2 * n_rows */
    int64_t *slot;  /* a row's id, or -1 for an empty slot */
    double *rows;   /* cap / 2 rows of d coordinates, by id */
} ms_row_set;

/* An empty set with room for `expected` rows before it grows.  Returns 0
 * when out of memory; ms_row_set_free is safe either way. */
int ms_row_set_init(ms_row_set *set, ms_runtime *rt, int64_t d, int64_t expected);

/* Row `id` as kept by the set. */
static inline const double *ms_row_set_row(const ms_row_set *set, int64_t id)
{
    return set->rows + id * set->d;
}

/* Rows that compare equal must hash alike, so -0.0 is read as 0.0.  Cell
 * coordinates and converged seeds often differ only in low mantissa bits,
 * hence the final mixing. */
static inline uint64_t ms__row_hash(const double *x, int64_t d)
{
    uint64_t h = 0x9E3779B97F4A7C15u;
    for (int64_t j = 0; j < d; j++) {
        const double v = x[j] + 0.0; /* -0.0 + 0.0 is 0.0 */
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        h ^= b + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    h ^= h >> 33;
    return h;
}

static inline int ms__rows_equal(const double *x, const double *y, int64_t d)
{
    for (int64_t j = 0; j < d; j++)
        if (!(x[j] == y[j])) return 0;
    return 1;
}

/* The slot holding a row equal to x, or the empty slot where it goes. */
static inline int64_t *ms__row_slot(const ms_row_set *set, const double *x, uint64_t h)
{
    int64_t *const slots = set->slot;
    const double *const rows = set->rows;
    const int64_t d = set->d;
    const uint64_t mask = (uint64_t)set->cap - 1;
    for (uint64_t s = h & mask;; s = (s + 1) & mask) {
        const int64_t id = slots[s];
        if (id < 0 || ms__rows_equal(rows + id * d, x, d)) return &slots[s];
    }
}

/* Adds a row known to be new at its empty slot, growing the table first
 * where it must; the slow path of ms_row_set_add. */
int64_t ms__row_set_insert(ms_row_set *set, const double *row, uint64_t h, int64_t *slot);

/* The id of `row`, added if no equal row is in the set (then *added is 1,
 * else 0).  Returns -1 when the set could not grow (out of memory).
 * Inline: bin seeding looks up every sample. */
static inline int64_t ms_row_set_add(ms_row_set *set, const double *row, int *added)
{
    const uint64_t h = ms__row_hash(row, set->d);
    int64_t *slot = ms__row_slot(set, row, h);
    *added = *slot < 0;
    return *added ? ms__row_set_insert(set, row, h, slot) : *slot;
}

void ms_row_set_free(ms_row_set *set);

#endif /* MS_EQUAL_ROWS_H */
