/*
 * equal_rows.c - the set of distinct rows declared in equal_rows.h.
 */
#include "equal_rows.h"

#include <string.h>

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
        *ms__row_slot(set, x, ms__row_hash(x, set->d)) = id;
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

int64_t ms__row_set_insert(ms_row_set *set, const double *row, uint64_t h, int64_t *slot)
{
    if (2 * (set->n_rows + 1) > set->cap) {
        if (!resize(set, 2 * set->cap)) return -1;
        slot = ms__row_slot(set, row, h);
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
