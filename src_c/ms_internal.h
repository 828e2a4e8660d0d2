/*
 * ms_internal.h - declarations shared by the core's translation units.
 * Not part of the public interface.
 */
#ifndef MS_INTERNAL_H
#define MS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "meanshift.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(_MSC_VER)
#define MS_RESTRICT __restrict
#else
#define MS_RESTRICT restrict
#endif

/* Forced inlining lets a constant dimension reach the inner loops of the
 * hot queries, which are then unrolled for d = 1..4. */
#if defined(__GNUC__) || defined(__clang__)
#define MS_ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define MS_ALWAYS_INLINE static __forceinline
#else
#define MS_ALWAYS_INLINE static inline
#endif

/* Hot loops that run across SIMD lanes get an AVX2 clone where the
 * toolchain and C library can pick one at load time (GCC on x86-64
 * glibc); elsewhere they compile once for the baseline. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    defined(__GLIBC__) && !defined(MS_NO_CLONES) && !defined(__SANITIZE_ADDRESS__)
#define MS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MS_SIMD_CLONES
#endif

/* Where GCC can test the CPU at run time (x86-64 glibc), the group query
 * for unit weights has a variant compiled for AVX2 with FMA and POPCNT,
 * chosen per call; it gives the same bits as the portable one (see
 * subset_sums.h). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    defined(__GLIBC__) && !defined(MS_NO_CLONES) && !defined(__SANITIZE_ADDRESS__)
#define MS_AVX2_TARGET __attribute__((target("avx2,fma,popcnt")))
#define MS_CPU_HAS_AVX2()                                                                \
    (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&                  \
     __builtin_cpu_supports("popcnt"))
#endif

/* Squared distances from coordinate x to the nearest and farthest ends of
 * [lo, hi]: summed over the features, they bound, with the same rounding,
 * every distance from the point to a seed in the box [lo, hi]. */
typedef struct ms_gap {
    double near2, far2;
} ms_gap;

MS_ALWAYS_INLINE ms_gap ms_gap_reach(double x, double lo, double hi)
{
    const double below = x - hi, above = lo - x;
    const double near = below > 0.0 ? below : (above > 0.0 ? above : 0.0);
    const double up = x - lo, down = hi - x;
    const double far = up > down ? up : down;
    const ms_gap g = {near * near, far * far};
    return g;
}

/* ms_gap_reach summed over the d features of x (x[j * stride]): the
 * squared distances from x to the nearest and farthest points of the box
 * [lo, hi], as the tree rounds them. */
MS_ALWAYS_INLINE ms_gap ms_box_reach(const double *x, int64_t stride, const double *lo,
                                     const double *hi, const int64_t d)
{
    ms_gap r = {0.0, 0.0};
    for (int64_t j = 0; j < d; j++) {
        const ms_gap g = ms_gap_reach(x[j * stride], lo[j], hi[j]);
        r.near2 += g.near2;
        r.far2 += g.far2;
    }
    return r;
}

/* Undecided points a group query buffers before summing them seed by seed
 * (a multiple of 8: the sums take them four and eight at a time). */
#define MS_PAIR_BUF 64

/* A group query routes data nodes of at most this many points (and
 * leaves) by the group's box, then measures its seeds against the box of
 * the points left undecided, and those points against the seeds still
 * undecided: larger blocks decide fewer seeds, smaller ones cost more box
 * tests per point.  On 1M 3-D blobs, first round (measured with the block's
 * own box): 64 and 96 took 0.8 of the time of 128, and 32 or 48 more. */
#define MS_BLOCK_POINTS 64

/* Most seeds a group query takes at once. */
#define MS_GROUP_MAX 512

/* Most features for which flat sums of single seeds read the points by
 * column (the leaf loop's SIMD accumulators are written out to it). */
#define MS_SOA_MAX_D 4

/* Points measured at once by the column-wise leaf loops. */
#define MS_SOA_BLOCK 64

/* Deep enough for any tree: depth grows with log2(n) and n < 2^63. */
#define MS_STACK_DEPTH 192

/* Per-call state: allocation accounting for fault injection. */
typedef struct ms_runtime {
    const ms_config *cfg;
    int64_t allocs_left; /* < 0: unlimited */
} ms_runtime;

void ms_runtime_init(ms_runtime *rt, const ms_config *cfg);
/* malloc that honours fault injection; thread-safe. */
void *ms_alloc(ms_runtime *rt, size_t count, size_t size);
void ms_free(void *p);
int ms_num_threads(const ms_config *cfg);
/* Ask the progress callback; non-zero means stop. */
int ms_report_progress(const ms_config *cfg, int64_t done, int64_t total);

/* The (0-based) r-th smallest of v[0..m), 0 <= r < m; reorders v. */
double ms__select_double(double *v, int64_t m, int64_t r);

/* OpenMP tasks (OpenMP 3.0) build large trees in parallel; MSVC's
 * OpenMP 2.0 builds them serially. */
#if defined(_OPENMP) && _OPENMP >= 200805
#define MS_OMP_TASKS 1
#else
#define MS_OMP_TASKS 0
#endif
/* Subtrees at least this large are built as separate tasks. */
#define MS_TASK_MIN_POINTS 16384

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
    double *mxx; /* per node (x d x d): sum w (x - c)(x - c)^T */

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

#endif /* MS_INTERNAL_H */
