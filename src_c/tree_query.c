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

/* ---- suppression, for the centre merge ------------------------------- */

typedef struct suppress_query {
    at_point_f64 at;
    double r2;
    int64_t after;
    unsigned char *alive;
} suppress_query;

MS_ALWAYS_INLINE int suppress_visit(void *query, int64_t nid, ms_gap g, int64_t d)
{
    suppress_query *s = query;
    const ms_tree_f64 *t = s->at.t;
    if (g.near2 > s->r2) return 0;
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0) return 1;
    for (int64_t i = nd->start; i < nd->end; i++)
        if (t->index[i] > s->after && point_dist_f64(t, i, s->at.q, d) <= s->r2)
            s->alive[t->index[i]] = 0;
    return 0;
}

/* Clears alive[index] for every point within r2 of q whose original index
 * exceeds `after`. */
void ms_tree_suppress_f64(const ms_tree_f64 *t, const double *q, double r2, int64_t after,
                          unsigned char *alive)
{
    suppress_query s = {{t, q}, r2, after, alive};
    tree_walk_f64(t, &s, point_reach_f64, suppress_visit, 0, t->d);
}
