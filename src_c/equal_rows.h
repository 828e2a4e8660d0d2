/*
 * equal_rows.h - a set of rows of d doubles, each kept once: the one hash
 * table of the core, for the cells of bin seeding (bins.c) and the
 * distinct converged seeds of the merge (centers.c).
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

/* The id of `row`, added if no equal row is in the set (then *added is 1,
 * else 0).  Returns -1 when the set could not grow (out of memory). */
int64_t ms_row_set_add(ms_row_set *set, const double *row, int *added);

/* Row `id` as kept by the set. */
static inline const double *ms_row_set_row(const ms_row_set *set, int64_t id)
{
    return set->rows + id * set->d;
}

void ms_row_set_free(ms_row_set *set);

#endif /* MS_EQUAL_ROWS_H */
