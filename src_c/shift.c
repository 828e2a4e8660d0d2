/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>
#include <string.h>

#include "bounds.h"
#include "group_query.h"
#include "parallel.h"
#include "tree.h"

/* How many of the m seeds in the box [lo, hi] cover a point of the region
 * their balls reach, on average, with cubes of side 2h for the balls. */
static double ms_group_overlap(const double *lo, const double *hi, int64_t m, double h,
                               int64_t d)
{
    double f = (double)m;
    for (int64_t j = 0; j < d; j++) f *= 2.0 * h / (hi[j] - lo[j] + 2.0 * h);
    return f;
}

/* The seed tree is walked like any other (tree_walk_impl.h). */
#define MS_TREE ms_tree_f64
#define MS_FN(name) name##_f64
#include "tree_walk_impl.h"
#undef MS_TREE
#undef MS_FN

typedef struct group_cut {
    const ms_tree_f64 *g;
    int64_t cap;
    double h;
    int64_t *out;
    int64_t n_out;
} group_cut;

/* The cut needs no distance bound: a node's own size and box decide. */
MS_ALWAYS_INLINE ms_gap no_reach(void *query, int64_t nid, int64_t d)
{
    (void)query;
    (void)nid;
    (void)d;
    const ms_gap g = {0.0, 0.0};
    return g;
}

MS_ALWAYS_INLINE int group_cut_visit(void *query, int64_t nid, ms_gap gap, int64_t d)
{
    (void)gap;
    group_cut *c = query;
    const ms_node *nd = &c->g->nodes[nid];
    const int64_t m = nd->end - nd->start;
    if (nd->left >= 0 &&
        (m > c->cap || ms_group_overlap(c->g->lo + nid * d, c->g->hi + nid * d, m, c->h,
                                        d) < MS_GROUP_MIN_OVERLAP))
        return 1;
    c->out[c->n_out++] = nid;
    return 0;
}

/* The seed groups of a tree over the seeds: the largest subtrees of at most
 * `cap` seeds whose balls overlap at least MS_GROUP_MIN_OVERLAP times, or
 * leaves.  Their node ids go to out, in tree order; returns their count. */
static int64_t ms_compact_groups(const ms_tree_f64 *g, int64_t cap, double h,
                                 int64_t *out)
{
    group_cut c = {g, cap, h, out, 0};
    tree_walk_f64(g, &c, no_reach, group_cut_visit, 0, g->d);
    return c.n_out;
}

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
