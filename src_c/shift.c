/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>

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

/* The seed groups of a tree over the seeds: the largest subtrees of at most
 * `cap` seeds whose balls overlap at least MS_GROUP_MIN_OVERLAP times, or
 * leaves.
 * Their node ids go to out, in tree order; returns their count. */
static int64_t ms_compact_groups(const ms_tree_f64 *g, int64_t cap, double h,
                                 int64_t *out)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    int64_t n_out = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        const ms_node *nd = &g->nodes[nid];
        const int64_t m = nd->end - nd->start;
        if (nd->left < 0 ||
            (m <= cap && ms_group_overlap(g->lo + nid * g->d, g->hi + nid * g->d, m, h,
                                          g->d) >= MS_GROUP_MIN_OVERLAP)) {
            out[n_out++] = nid;
            continue;
        }
        stack[top++] = nd->right;
        stack[top++] = nd->left;
    }
    return n_out;
}

#define MS_IMPL "shift_impl.h"
#include "ms_instantiate.h"
