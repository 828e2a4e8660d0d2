/*
 * block_sums.h - the steps of a group query on one block of data points,
 * in their portable form; block_sums_avx2.h has the AVX2 form of each, with
 * the same signatures and the same bits, and group_blocks_impl.h is
 * compiled once with each set.
 *
 * Points are taken four at a time.  Their 16 subset sums are formed once,
 * each subset adding its highest point to the subset without it, and each
 * seed then adds the one subset that lies within its ball: one add of d + 1
 * values per seed and four points, where masked sums would need four.
 *
 * Every path forms the same subset sums in the same order and decides
 * membership with the tree's distance expression, so all give the same
 * bits.  The AVX2 path screens eight points at a time in float32, taking
 * the exact double test only where the float32 distance lies within a
 * proven error bound of the radius.
 *
 * The same holds for the steps that feed the sums, each with a portable
 * and an AVX2 form giving the same bits: routing a block's points
 * (ms_route), bounding the undecided ones (ms_buffer_box), sorting the
 * seeds by that box (ms_block_sides, whose AVX2 form screens eight seeds
 * at a time in float32 the same way) and adding the buffer whole to the
 * seeds that hold it (ms_add_whole).  Glossary: group_query.h.
 */
#ifndef MS_BLOCK_SUMS_H
#define MS_BLOCK_SUMS_H

#include <math.h>

#include "bounds.h"
#include "group_query.h"

/* The portable steps screen nothing in float32: their screen is empty. */
typedef struct ms_no_screen {
    char unused;
} ms_no_screen;

static void ms_screen_init(ms_no_screen *sc, const double *cols, int64_t m,
                           const double *glo, const double *ghi, int64_t d)
{
    (void)sc, (void)cols, (void)m, (void)glo, (void)ghi, (void)d;
}

/* Buffered point i to seed k (column k of cols, m seeds): the tree's
 * squared distance, so that it agrees with the box bounds. */
MS_ALWAYS_INLINE double ms_pair_r2(const double pb[][MS_UNDECIDED_BUF], int64_t i,
                                   const double *MS_RESTRICT cols, int64_t m, int64_t k,
                                   const int64_t d)
{
    double u = pb[0][i] - cols[k];
    double r = u * u;
    for (int64_t j = 1; j < d; j++) {
        u = pb[j][i] - cols[j * m + k];
        r += u * u;
    }
    return r;
}

/* Pad the buffer to a multiple of `to` with weight-0 copies of its first
 * point.  A weight-0 point adds signed zeros to subset sums that are never
 * -0.0 (they start at +0.0), so it changes no bit of any sum. */
MS_ALWAYS_INLINE int64_t ms_pad_buffer(double pb[][MS_UNDECIDED_BUF], int64_t np,
                                       int64_t to, const int64_t d)
{
    for (; np % to != 0; np++) {
        for (int64_t j = 0; j < d; j++) pb[j][np] = pb[j][0];
        pb[MS_SOA_MAX_D][np] = 0.0;
    }
    return np;
}

/* T[s]: the weighted sums of the subset s (bit b: point i0 + b). */
MS_ALWAYS_INLINE void ms_subset_table(const double pb[][MS_UNDECIDED_BUF], int64_t i0,
                                      double T[16][8], const int64_t d)
{
    const int64_t E = MS_SEED_SUMS_STRIDE(d);
    for (int64_t j = 0; j < E; j++) T[0][j] = 0.0;
    for (int b = 0; b < 4; b++) {
        const double w = pb[MS_SOA_MAX_D][i0 + b];
        double P[8];
        for (int64_t j = 0; j < E; j++) P[j] = 0.0;
        for (int64_t j = 0; j < d; j++) P[j] = pb[j][i0 + b] * w;
        P[d] = w;
        const int lo = 1 << b;
        for (int s = 0; s < lo; s++)
            for (int64_t j = 0; j < E; j++) T[lo + s][j] = T[s][j] + P[j];
    }
}

/* Adds to acc (rows of MS_SEED_SUMS_STRIDE(d), one per seed) the points
 * pb[.][0..np) within r2 of each of the nl seeds list[0..nl), seeds being
 * columns of cols (m seeds); np <= MS_UNDECIDED_BUF. */
MS_ALWAYS_INLINE void ms_subset_sums_d(double pb[][MS_UNDECIDED_BUF], int64_t np,
                                       const double *MS_RESTRICT cols, int64_t m,
                                       const int64_t *MS_RESTRICT list, int64_t nl,
                                       double *MS_RESTRICT acc, double r2,
                                       const int64_t d)
{
    const int64_t E = MS_SEED_SUMS_STRIDE(d);
    double T[16][8];
    unsigned char in[MS_GROUP_MAX];
    np = ms_pad_buffer(pb, np, 4, d);
    for (int64_t i0 = 0; i0 < np; i0 += 4) {
        ms_subset_table(pb, i0, T, d);
        for (int64_t l = 0; l < nl; l++) {
            int s = 0;
            for (int b = 0; b < 4; b++)
                s |= (ms_pair_r2(pb, i0 + b, cols, m, list[l], d) <= r2) << b;
            in[l] = (unsigned char)s;
        }
        for (int64_t l = 0; l < nl; l++) {
            const double *MS_RESTRICT t = T[in[l]];
            double *MS_RESTRICT a = acc + list[l] * E;
            for (int64_t j = 0; j < E; j++) a[j] += t[j];
        }
    }
}

static void ms_subset_sums(double pb[][MS_UNDECIDED_BUF], int64_t np, const double *cols,
                           int64_t m, const int64_t *list, int64_t nl,
                           const ms_no_screen *sc, double *acc, double r2, int64_t d)
{
    (void)sc;
    switch (d) {
    case 1: ms_subset_sums_d(pb, np, cols, m, list, nl, acc, r2, 1); break;
    case 2: ms_subset_sums_d(pb, np, cols, m, list, nl, acc, r2, 2); break;
    case 3: ms_subset_sums_d(pb, np, cols, m, list, nl, acc, r2, 3); break;
    default: ms_subset_sums_d(pb, np, cols, m, list, nl, acc, r2, 4); break;
    }
}

/* Routes the points [c, c + len) (len <= MS_UNDECIDED_BUF) of the column copy
 * soa (n points; weights or NULL) by their gaps to the group box, av and
 * bv: those inside every ball (bv <= r2) are summed into u (weighted
 * coordinates, then the weight), point i of the chunk into lane i % 4 and
 * the lanes combined as (0 + 1) + (2 + 3), so that no chain of adds runs
 * through the chunk; the undecided ones (av <= r2 < bv) are copied to pb
 * in point order.  Returns their count. */
MS_ALWAYS_INLINE int64_t ms_route_d(const double *MS_RESTRICT soa, int64_t n,
                                    const double *weights, int64_t c, int64_t len,
                                    const double *av, const double *bv, double r2,
                                    double pb[][MS_UNDECIDED_BUF], double *u,
                                    const int64_t d)
{
    double L[4][MS_SOA_MAX_D + 1] = {{0.0}};
    int64_t nb = 0;
    for (int64_t i = 0; i < len; i++) {
        const int64_t ii = c + i;
        const double wi = weights ? weights[ii] : 1.0;
        const double win = bv[i] <= r2 ? wi : 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double x = soa[j * n + ii];
            L[i & 3][j] += win * x;
            pb[j][nb] = x;
        }
        L[i & 3][d] += win;
        pb[MS_SOA_MAX_D][nb] = wi;
        nb += (av[i] <= r2) & (bv[i] > r2);
    }
    for (int64_t j = 0; j <= d; j++) u[j] = (L[0][j] + L[1][j]) + (L[2][j] + L[3][j]);
    return nb;
}

static int64_t ms_route(const double *soa, int64_t n, const double *weights, int64_t c,
                        int64_t len, const double *av, const double *bv, double r2,
                        double pb[][MS_UNDECIDED_BUF], double *u, int64_t d)
{
    switch (d) {
    case 1: return ms_route_d(soa, n, weights, c, len, av, bv, r2, pb, u, 1);
    case 2: return ms_route_d(soa, n, weights, c, len, av, bv, r2, pb, u, 2);
    case 3: return ms_route_d(soa, n, weights, c, len, av, bv, r2, pb, u, 3);
    default: return ms_route_d(soa, n, weights, c, len, av, bv, r2, pb, u, 4);
    }
}

/* The bounding box [lo, hi] of the np > 0 buffered points. */
MS_ALWAYS_INLINE void ms_buffer_box_d(const double pb[][MS_UNDECIDED_BUF], int64_t np,
                                      double *lo, double *hi, const int64_t d)
{
    for (int64_t j = 0; j < d; j++) {
        double a = pb[j][0], b = pb[j][0];
        for (int64_t i = 1; i < np; i++) {
            const double x = pb[j][i];
            a = x < a ? x : a;
            b = x > b ? x : b;
        }
        lo[j] = a;
        hi[j] = b;
    }
}

static void ms_buffer_box(const double pb[][MS_UNDECIDED_BUF], int64_t np, double *lo,
                          double *hi, int64_t d)
{
    switch (d) {
    case 1: ms_buffer_box_d(pb, np, lo, hi, 1); break;
    case 2: ms_buffer_box_d(pb, np, lo, hi, 2); break;
    case 3: ms_buffer_box_d(pb, np, lo, hi, 3); break;
    default: ms_buffer_box_d(pb, np, lo, hi, 4); break;
    }
}

/* Sorts the m seeds (columns of cols) by the box [blo, bhi]: all gets
 * those whose ball holds the box, some those whose ball crosses it, both
 * in seed order; the rest miss it.  The bounds are those of the tree's
 * point-to-box tests (ms_gap_reach). */
MS_ALWAYS_INLINE void ms_block_sides_d(const double *MS_RESTRICT cols, int64_t m,
                                       const double *blo, const double *bhi, double r2,
                                       int64_t *MS_RESTRICT all, int64_t *n_all,
                                       int64_t *MS_RESTRICT some, int64_t *n_some,
                                       const int64_t d)
{
    double sa[MS_GROUP_MAX], sb[MS_GROUP_MAX];
#if defined(_OPENMP) && _OPENMP >= 201307
#pragma omp simd
#endif
    for (int64_t k = 0; k < m; k++) {
        const ms_gap g = ms_point_box_reach(cols + k, m, blo, bhi, d);
        sa[k] = g.near2;
        sb[k] = g.far2;
    }
    int64_t na = 0, ns = 0;
    for (int64_t k = 0; k < m; k++) { /* without branches: the sides mix */
        all[na] = k;
        some[ns] = k;
        na += sb[k] <= r2;
        ns += (sa[k] <= r2) & (sb[k] > r2);
    }
    *n_all = na;
    *n_some = ns;
}

static void ms_block_sides(const double *cols, int64_t m, const double *blo,
                           const double *bhi, double r2, const ms_no_screen *sc,
                           int64_t *all, int64_t *n_all, int64_t *some, int64_t *n_some,
                           int64_t d)
{
    (void)sc;
    switch (d) {
    case 1: ms_block_sides_d(cols, m, blo, bhi, r2, all, n_all, some, n_some, 1); break;
    case 2: ms_block_sides_d(cols, m, blo, bhi, r2, all, n_all, some, n_some, 2); break;
    case 3: ms_block_sides_d(cols, m, blo, bhi, r2, all, n_all, some, n_some, 3); break;
    default: ms_block_sides_d(cols, m, blo, bhi, r2, all, n_all, some, n_some, 4); break;
    }
}

/* Adds the sum of the buffered points, in buffer order, to the rows of
 * acc listed in all. */
static void ms_add_whole(const double pb[][MS_UNDECIDED_BUF], int64_t np,
                         const int64_t *all, int64_t n_all, double *acc, int64_t d)
{
    const int64_t E = MS_SEED_SUMS_STRIDE(d);
    double u[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    for (int64_t i = 0; i < np; i++) {
        const double w = pb[MS_SOA_MAX_D][i];
        for (int64_t j = 0; j < d; j++) u[j] += pb[j][i] * w;
        u[d] += w;
    }
    for (int64_t l = 0; l < n_all; l++) {
        double *MS_RESTRICT a = acc + all[l] * E;
        for (int64_t j = 0; j < E; j++) a[j] += u[j];
    }
}

#endif /* MS_BLOCK_SUMS_H */
