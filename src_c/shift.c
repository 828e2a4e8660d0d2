/*
 * shift.c - instantiates the mean-shift loop (shift_impl.h) for float64 and
 * float32 data.
 */
#include <math.h>

#include "kdtree_decl.h"
#include "ms_internal.h"
#include "parallel.h"

/* Seeds per group in the grouped flat-kernel loop: a larger group shares
 * one traversal among more seeds but decides fewer points for all of them
 * at once.  Groups are the leaves of a median-split tree over the seeds,
 * n / 2^k seeds each; k is chosen so that they lie within a factor sqrt(2)
 * of this target.  Measured on blobs and uniform data, 1 to 32 features:
 * groups of 16 cost 1.5 to 3 times as much.  Up to MS_SOA_MAX_D features
 * the seeds are also measured against data blocks (MS_BLOCK_POINTS), which
 * makes larger groups pay: on 1M 3-D blobs the first round took 0.95 of
 * its CPU time with groups of 244 rather than 122, and the later rounds,
 * whose seeds have gathered near the modes, 0.85 with groups near 360. */
#define MS_GROUP_TARGET(d, first)                                                        \
    ((d) <= 1 ? 45.0 : (d) > MS_SOA_MAX_D ? 90.0 : (first) ? 180.0 : 360.0)
/* Fewer seeds than this take the per-seed loop. */
#define MS_GROUP_MIN_SEEDS 64

/* Up to MS_SOA_MAX_D features, a group whose seeds' balls cover a point of
 * the region they reach fewer times than this on average is split (into
 * single seeds at the end).  Measured on 200,000 points with bin seeding
 * (2 to 4 features: uniform, blobs, heavy-tailed clusters, quantised
 * colours): 8 and 32 did about as well, 2 and 4 kept groups that cost
 * more than their seeds alone.  With more features the groups' per-point
 * loop loses less to width, and splitting them lost up to 1.8x. */
#define MS_GROUP_MIN_OVERLAP 16.0
/* Groups are split only in fits with at most one seed per this many points
 * (bin seeding).  With more seeds, many share one neighbourhood (duplicate
 * or quantised data), and a group gives those seeds bitwise equal means,
 * which merge as one candidate as the reference's do; single-seed sums,
 * whose order follows the query, can differ in the last bit. */
#define MS_SPLIT_POINTS_PER_SEED 64

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
