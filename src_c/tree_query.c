/*
 * tree_query.c - instantiates the single-point queries (tree_query_impl.h)
 * for float64 and float32 data, and the suppression query the centre merge
 * needs.
 */
#include <math.h>

#include "bounds.h"
#include "parallel.h"
#include "tree.h"

#define MS_IMPL "tree_query_impl.h"
#include "ms_instantiate.h"

void ms_tree_suppress_f64(const ms_tree_f64 *t, const double *q, double r2, int64_t after,
                          unsigned char *alive)
{
    tree_suppress_f64(t, q, r2, after, alive);
}
