/*
 * tree.h - the k-d tree's layout and its internal queries, shared by the
 * core's translation units.  Not part of the public interface.
 *
 * Every node carries its tight bounding box and the weighted count and
 * coordinate sum of its points, so that a query can take a node whole
 * when its box lies inside the kernel's support and skip it when the box
 * lies outside (bounds.h): a query costs what the support's boundary
 * crosses, not what it contains.
 */
#ifndef MS_TREE_H
#define MS_TREE_H

#include "ms_internal.h"

/* Most features for which flat sums of single seeds read the points by
 * column (the leaf loop's SIMD accumulators are written out to it). */
#define MS_SOA_MAX_D 4

/* Points measured at once by the column-wise leaf loops. */
#define MS_SOA_BLOCK 64

/* Deep enough for any tree: depth grows with log2(n) and n < 2^63. */
#define MS_STACK_DEPTH 192

/* OpenMP tasks (OpenMP 3.0) build large trees in parallel; MSVC's
 * OpenMP 2.0 builds them serially. */
#if defined(_OPENMP) && _OPENMP >= 200805
#define MS_OMP_TASKS 1
#else
#define MS_OMP_TASKS 0
#endif
/* Subtrees of at least this many coordinates (points times features) are
 * built as separate tasks: a split's cost grows with both, so that 64
 * features on 1,797 points (digits) are worth a task as 16,384 points in
 * 2-D are. */
#define MS_TASK_MIN_COORDS 32768

/* left of a node id that no node uses (see build_node). */
#define MS_NODE_UNUSED (-2)

/* Number of node ids a subtree over m points takes (an upper bound on the
 * nodes it uses). */
int64_t ms__subtree_nodes(int64_t m, int64_t leaf_size);

typedef struct ms_node {
    int64_t start, end;  /* points [start, end) in tree order */
    int64_t left, right; /* child node ids; -1 for a leaf, MS_NODE_UNUSED */
} ms_node;

/* Fields shared by both precisions, so that code over the nodes alone
 * needs no template. */
#define MS_TREE_COMMON_FIELDS                                                            \
    int64_t n, d, n_nodes;                                                               \
    ms_node *nodes;                                                                      \
    int64_t *index;  /* tree position -> original row */                                 \
    double *weights; /* tree order, NULL for unit weights */                             \
    double *wsum;    /* per node: total weight */                                        \
    double *wx;      /* per node (x d): weighted coordinate sum */                       \
    /* Epanechnikov moments about the node's box centre c, or NULL:    */                \
    double *ctr; /* per node (x d): c */                                                 \
    double *m1;  /* per node (x d): sum w (x - c) */                                     \
    double *m2;  /* per node: sum w |x - c|^2 */                                         \
    double *m3;  /* per node (x d): sum w |x - c|^2 (x - c) */                           \
    double *mxx; /* per node (x d x d): sum w (x - c)(x - c)^T */                        \
    /* Beyond MS_SOA_MAX_D features with the flat kernel, else NULL: a  */               \
    /* ball holding the node's points (bounds.h, "Balls")                 */             \
    double *bc; /* per node (x d): its centre, the points' mean */                       \
    double *br; /* per node: its radius, inflated by MS_BALL_SLACK(d) */

struct ms_tree_f64 {
    MS_TREE_COMMON_FIELDS
    double *pts;     /* n x d in tree order */
    double *lo, *hi; /* per node (x d): tight bounding box */
};

struct ms_tree_f32 {
    MS_TREE_COMMON_FIELDS
    float *pts;
    float *lo, *hi;
};

/* Greedy suppression helper used by ms_merge_centers: for every point of
 * the tree within r2 of q whose original index exceeds `after`, clear
 * alive[index]. */
void ms_tree_suppress_f64(const ms_tree_f64 *tree, const double *q, double r2,
                          int64_t after, unsigned char *alive);

/* The tree's internal queries (tree_query_impl.h, tree_build_impl.h). */
#define MS_DECLARE_TREE_QUERIES(T, TREE, SFX)                                            \
    /* soa: NULL, or the column copy for flat sums with d <= MS_SOA_MAX_D;               \
     * base: Gaussian sums come scaled by exp(base / 2h^2) */                            \
    void ms__kernel_sum##SFX(const TREE *t, const double *soa, const double *q,          \
                             ms_kernel kernel, double h, double r2, double tol,          \
                             double base, double *wsum, double *wx);                     \
    int64_t ms__count_within##SFX(const TREE *t, const double *q, double r2);            \
    int64_t ms__collect_shell##SFX(const TREE *t, const double *q, double lo2,           \
                                   double hi2, double *out);                             \
    int64_t ms__nearest##SFX(const TREE *t, const double *q, int weighted,               \
                             double *best_d2);                                           \
    double ms__gaussian_base##SFX(const TREE *t, const double *q);                       \
    double ms__farthest_sq##SFX(const TREE *t, const double *q);                         \
    double *ms__column_copy##SFX(const TREE *t, ms_runtime *rt);

MS_DECLARE_TREE_QUERIES(double, ms_tree_f64, _f64)
MS_DECLARE_TREE_QUERIES(float, ms_tree_f32, _f32)

#endif /* MS_TREE_H */
