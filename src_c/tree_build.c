/*
 * tree_build.c - instantiates the tree's construction (tree_build_impl.h)
 * for float64 and float32 data; the leaf-size policy (ms_leaf_size_hint)
 * and the node count of a tree.
 */
#include <math.h>
#include <string.h>

#include "bounds.h"
#include "tree.h"

/* Split selections over at least this many rows bracket the median
 * from a sample of an eighth of them, at most this many values, first. */
#define MS_SAMPLED_SELECT_MIN 512
#define MS_SELECT_SAMPLE 512

/* Leaves of this many points unless the caller asks otherwise. */
#define MS_DEFAULT_LEAF_SIZE 32
/* From this many features on, the Gaussian kernel scans every point:
 * nodes inside a ball (or inside all of a seed group's balls) are taken
 * whole, which keeps the tree paying long after boxes stop separating
 * single points, but the Gaussian kernel has no inside and its bounds stop
 * pruning (benchmarks/algorithms.py). */
#define MS_SCAN_MIN_FEATURES 16
/* Fits with at most one seed per MS_FEW_QUERIES_PER_POINT points (bin
 * seeding) build leaves of MS_FEW_QUERIES_LEAF_SIZE: building weighs more
 * there, and such seeds mostly query alone (benchmarks/families.py). */
#define MS_FEW_QUERIES_PER_POINT 64
#define MS_FEW_QUERIES_LEAF_SIZE 256

#define MS_IMPL "tree_build_impl.h"
#include "ms_instantiate.h"

int64_t ms_leaf_size_hint(int64_t n, int64_t d, int64_t n_queries, ms_kernel kernel,
                          ms_search search)
{
    if (n < 1) return 1;
    if (search == MS_SEARCH_SCAN ||
        (search == MS_SEARCH_AUTO && kernel == MS_KERNEL_GAUSSIAN &&
         d >= MS_SCAN_MIN_FEATURES))
        return n;
    /* Epanechnikov nodes keep a d x d moment: leaves of d points keep the
     * tree's memory O(n d). */
    if (kernel == MS_KERNEL_EPANECHNIKOV && d > MS_DEFAULT_LEAF_SIZE)
        return d < n ? d : n;
    if (n_queries > 0 && n_queries <= n / MS_FEW_QUERIES_PER_POINT)
        return MS_FEW_QUERIES_LEAF_SIZE;
    return MS_DEFAULT_LEAF_SIZE;
}

/* f(m) = 1 for m <= L, else 1 + f(floor(m / 2)) + f(ceil(m / 2)): the
 * node count of a median-split tree.  Each level has only two sizes, m and
 * m + 1, so the pair (f(m), f(m + 1)) recurses in O(log m). */
static void subtree_pair(int64_t m, int64_t leaf, int64_t *fm, int64_t *fm1)
{
    if (m + 1 <= leaf) {
        *fm = *fm1 = 1;
        return;
    }
    if (m <= leaf) {
        *fm = 1;
        *fm1 = 3; /* m + 1 <= 2 leaf splits once into two leaves */
        return;
    }
    int64_t a, b; /* f(h), f(h + 1) */
    const int64_t h = m / 2;
    subtree_pair(h, leaf, &a, &b);
    if (m % 2 == 0) {
        *fm = 1 + 2 * a;
        *fm1 = 1 + a + b;
    } else {
        *fm = 1 + a + b;
        *fm1 = 1 + 2 * b;
    }
}

int64_t ms__subtree_nodes(int64_t m, int64_t leaf_size)
{
    int64_t fm, fm1;
    if (leaf_size < 1) leaf_size = 1;
    subtree_pair(m, leaf_size, &fm, &fm1);
    return fm;
}
