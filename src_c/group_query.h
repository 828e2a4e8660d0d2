/*
 * group_query.h - the seed-group query of the flat kernel: its tuning
 * constants, a glossary, and its entry point.
 *
 * With the flat kernel and many seeds, the shift loop moves seeds by
 * rounds, in groups of nearby seeds (the leaves of a k-d tree over their
 * positions).  A group's seeds share one traversal of the data tree
 * (group_query_impl.h): the box that holds the group decides, once for all
 * its seeds, which data nodes lie inside every seed's ball (their sums are
 * added whole) and which lie outside all of them (skipped); only the points
 * in between are settled seed by seed (block_sums.h).
 *
 * Glossary.
 * - group box: the tight box of a group's seeds; seed boxes and node boxes
 *   are compared through bounds.h.
 * - decided / undecided point: a point inside every ball of the group, or
 *   outside all of them, is decided by the group box; the others are
 *   undecided and buffered, by column, for the seed-by-seed sums.
 * - block: a data node of at most MS_BLOCK_POINTS points (or a leaf),
 *   whose points are routed one by one.
 * - route: sending each point of a block to the shared sums (decided
 *   inside), nowhere (decided outside) or the buffer (undecided).
 * - all / some seeds: against the box of the buffered points, a seed whose
 *   ball holds the whole box takes every buffered point (all), one whose
 *   ball misses it takes none, and the rest (some) test point by point.
 *   Sorting seeds so is "taking the block's sides".
 * - shared sums: the weight and coordinate sums every seed of the group
 *   takes (whole nodes and points inside every ball).
 * - seed sums: each seed's own sums over undecided points, a row of
 *   MS_SEED_SUMS_STRIDE(d) values: d weighted coordinates, then the weight.
 * - screen (AVX2 form only): a float32 test that decides most pairs or
 *   seeds eight at a time, deferring to the exact double test within a
 *   proven error bound of the radius.
 * - near2 / far2: a bound's nearest and farthest squared distances.
 * - hits (beyond MS_SOA_MAX_D features): per seed that reaches a buffer, a
 *   bit per buffered point, set where the seed's ball holds the point.
 * - stretch: the buffered points summed together, MS_POINTS_STRETCH(d) of
 *   them; a seed that holds most of a stretch takes the stretch's sum less
 *   the points it misses.
 */
#ifndef MS_GROUP_QUERY_H
#define MS_GROUP_QUERY_H

#include "tree.h"

/* Most seeds a group query takes at once. */
#define MS_GROUP_MAX 512

/* Fewer seeds than this take the per-seed loop. */
#define MS_GROUP_MIN_SEEDS 64

/* Seeds per group in the grouped loop: a larger group shares one traversal
 * among more seeds but decides fewer points for all of them at once.
 * Groups are the leaves of a median-split tree over the seeds, n / 2^k
 * seeds each; k is chosen so that they lie within a factor sqrt(2) of this
 * target (benchmarks/README.md has the measurements).  Up to MS_SOA_MAX_D
 * features the seeds are also measured against data blocks, which makes
 * larger groups pay, more so in later rounds, whose seeds have gathered
 * near the modes.  Beyond MS_GROUP_WIDE_D features a point costs so much to
 * route and to screen that sharing it among more seeds pays again, most in
 * the first round, where every seed still stands at its own point. */
#define MS_GROUP_WIDE_D 16
#define MS_GROUP_TARGET(d, first)                                                        \
    ((d) <= 1                ? 45.0                                                      \
     : (d) > MS_GROUP_WIDE_D ? ((first) ? 360.0 : 180.0)                                 \
     : (d) > MS_SOA_MAX_D    ? 90.0                                                      \
     : (first)               ? 180.0                                                     \
                             : 360.0)

/* Up to MS_SOA_MAX_D features, a group whose seeds' balls cover a point of
 * the region they reach fewer times than this on average is split (into
 * single seeds at the end): such seeds share little of a traversal.  With
 * more features the groups' per-point loop loses less to width, and
 * splitting them lost. */
#define MS_GROUP_MIN_OVERLAP 16.0

/* Groups are split only in fits with at most one seed per this many points
 * (bin seeding).  With more seeds, many share one neighbourhood (duplicate
 * or quantised data), and a group gives those seeds bitwise equal means,
 * which merge as one candidate as the reference's do; single-seed sums,
 * whose order follows the query, can differ in the last bit. */
#define MS_SPLIT_POINTS_PER_SEED 64

/* In a round where every group is a single seed, each seed takes up to
 * MS_LONE_STEPS steps before the seeds regroup (with at most MS_LONE_MAX_D
 * features): rounds would only make such seeds wait for each other.  More
 * steps gain more where seeds stay apart and lose where they soon meet and
 * would share traversals; in 4 features any number above 1 lost
 * (benchmarks/README.md, "lone steps"). */
#define MS_LONE_STEPS 8
#define MS_LONE_MAX_D 3

/* A group query routes data nodes of at most this many points (and
 * leaves) point by point: larger blocks decide fewer seeds, smaller ones
 * cost more box tests per point. */
#define MS_BLOCK_POINTS 64

/* Undecided points buffered before the seed-by-seed sums (a multiple of
 * 8: the sums take them four and eight at a time). */
#define MS_UNDECIDED_BUF 64

/* Beyond MS_SOA_MAX_D features, undecided points buffered before they are
 * settled against the seeds that reach their box: a larger buffer spreads
 * the seeds' box tests and gathering over more points, a smaller one has a
 * tighter box that fewer seeds reach. */
#ifndef MS_POINTS_BUF
#define MS_POINTS_BUF 1024
#endif

/* From this many features on, buffers are decided first (by the AVX2
 * screen or the exact test) and summed by stretches; below, every pair is
 * measured and added on lanes (settle_columns), which was faster on
 * bin-seeded fits in 5 and 6 features (benchmarks/README.md). */
#define MS_SCREEN_MIN_D 16

/* Words of a seed's bits over one buffer. */
#define MS_HIT_WORDS (MS_POINTS_BUF / 64)

/* Buffered points settled together (group_query_impl.h, settle_sums): at
 * most 64 KiB of their coordinates, so that they stay near the core while
 * each seed reads them (16 KiB, the first-level cache's share, was slower
 * at 64 and 128 features: a longer stretch finds more points that every
 * seed holds); a power of two from 8 to 64, so that a stretch lies within
 * one word of a seed's bits. */
#define MS_POINTS_STRETCH(d) ((d) <= 128 ? 64 : (d) <= 256 ? 32 : 16)

/* Stride of one seed's sums: d weighted coordinates, then the weight. */
#define MS_SEED_SUMS_STRIDE(d) ((d) < 4 ? 4 : 8)

/* A thread's space for group queries of up to MS_GROUP_MAX seeds of d
 * features: ms_group_work_size(d) doubles, laid out by ms_group_work_at. */
typedef struct ms_group_work {
    double *W;        /* MS_GROUP_MAX: the seeds' weights (the result) */
    double *WX;       /* MS_GROUP_MAX x d: their coordinate sums (the result) */
    double *cols;     /* d x MS_GROUP_MAX: the seeds' coordinates, by column */
    double *cx;       /* MS_GROUP_MAX x d: beyond MS_SOA_MAX_D features, the
                         seeds' own coordinate sums, a row per seed */
    double *shared_x; /* d: the shared coordinate sums */
    double *gc;       /* d: beyond MS_SOA_MAX_D features, the seeds' mean */
    /* Beyond MS_SOA_MAX_D features, for one buffer of undecided points:
     * its box and centre, sums over a stretch of its points, the seeds
     * that reach it gathered by column, and per seed a bit per point: does
     * its ball hold the point (bit b % 64 of word b / 64 of the seed's
     * MS_HIT_WORDS). */
    double *blo, *bhi, *cen; /* d each */
    double *rest_x, *miss_x; /* d each */
    double *acols;           /* d x MS_GROUP_MAX */
    double *acx, *aW;        /* d x MS_GROUP_MAX and MS_GROUP_MAX: the seeds'
                                sums by column (settle_columns) */
    uint64_t *hits;          /* MS_GROUP_MAX x MS_HIT_WORDS */
    /* For the AVX2 screen (group_points_avx2_impl.h): the float32 offsets
     * of the buffer's points (a row each) and of the seeds (by feature)
     * from the centre, and their squared norms. */
    float *pf; /* MS_POINTS_BUF x d */
    float *pn; /* MS_POINTS_BUF */
    float *qf; /* d x MS_GROUP_MAX */
    float *qn; /* MS_GROUP_MAX */
} ms_group_work;

static inline size_t ms_group_work_size(int64_t d)
{
    /* doubles, the byte and float arrays rounded up to whole doubles */
    return (size_t)(2 * MS_GROUP_MAX + (5 * MS_GROUP_MAX + 7) * d +
                    MS_GROUP_MAX * MS_HIT_WORDS + (MS_POINTS_BUF * d + 1) / 2 +
                    MS_POINTS_BUF / 2 + (MS_GROUP_MAX * d + 1) / 2 + MS_GROUP_MAX / 2);
}

static inline ms_group_work ms_group_work_at(double *space, int64_t d)
{
    ms_group_work w;
    w.W = space;
    w.WX = w.W + MS_GROUP_MAX;
    w.cols = w.WX + MS_GROUP_MAX * d;
    w.cx = w.cols + MS_GROUP_MAX * d;
    w.shared_x = w.cx + MS_GROUP_MAX * d;
    w.gc = w.shared_x + d;
    w.blo = w.gc + d;
    w.bhi = w.blo + d;
    w.cen = w.bhi + d;
    w.rest_x = w.cen + d;
    w.miss_x = w.rest_x + d;
    w.acols = w.miss_x + d;
    w.acx = w.acols + MS_GROUP_MAX * d;
    w.aW = w.acx + MS_GROUP_MAX * d;
    double *next = w.aW + MS_GROUP_MAX;
    w.hits = (uint64_t *)next;
    next += MS_GROUP_MAX * MS_HIT_WORDS;
    w.pf = (float *)next;
    next += (MS_POINTS_BUF * d + 1) / 2;
    w.pn = (float *)next;
    next += MS_POINTS_BUF / 2;
    w.qf = (float *)next;
    next += (MS_GROUP_MAX * d + 1) / 2;
    w.qn = (float *)next;
    return w;
}

/* Flat-kernel sums for a group of m <= MS_GROUP_MAX seeds (rows of pos)
 * inside the box [glo, ghi]: work->W and work->WX receive each seed's
 * weight and coordinate sums, the sums of a single query for that seed up
 * to the order of addition.  soa is the tree's column copy, needed up to
 * MS_SOA_MAX_D features. */
#define MS_DECLARE_GROUP_QUERY(TREE, SFX)                                                \
    void ms__group_sum_flat##SFX(const TREE *t, const double *soa, const double *glo,    \
                                 const double *ghi, const double *pos, int64_t m,        \
                                 double r2, ms_group_work *work);
MS_DECLARE_GROUP_QUERY(ms_tree_f64, _f64)
MS_DECLARE_GROUP_QUERY(ms_tree_f32, _f32)

#endif /* MS_GROUP_QUERY_H */
