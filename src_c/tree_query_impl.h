/*
 * tree_query_impl.h - queries of the k-d tree at one point q, written once
 * for both precisions (included by tree_query.c): kernel sums, counts,
 * shells, the nearest point.
 *
 * Each query is a walk of the tree (tree_walk_impl.h) with its own visit:
 * it takes a node whole where the bound (bounds.h) puts the node inside
 * the kernel's support, skips it where the bound puts it outside, and reads
 * leaves point by point; only what the support's boundary crosses is read.
 */

#include "node_bounds_impl.h"
#include "tree_walk_impl.h"

/* Squared distance from tree point i to q, the expression the bounds
 * follow. */
MS_ALWAYS_INLINE double MS_FN(point_dist)(const MS_TREE *t, int64_t i,
                                          const double *MS_RESTRICT q, const int64_t d)
{
    const MS_T *p = t->pts + i * d;
    double s = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double u = (double)p[j] - q[j];
        s += u * u;
    }
    return s;
}

static inline void MS_FN(add_node)(const MS_TREE *t, int64_t nid, double scale,
                                   double *wsum, double *MS_RESTRICT wx)
{
    const int64_t d = t->d;
    const double *s = t->wx + nid * d;
    *wsum += scale * t->wsum[nid];
    for (int64_t j = 0; j < d; j++) wx[j] += scale * s[j];
}

static inline void MS_FN(add_point)(const MS_TREE *t, int64_t i, double w, double *wsum,
                                    double *MS_RESTRICT wx)
{
    const int64_t d = t->d;
    const MS_T *p = t->pts + i * d;
    if (t->weights) w *= t->weights[i];
    *wsum += w;
    for (int64_t j = 0; j < d; j++) wx[j] += w * (double)p[j];
}

/* ---- flat kernel: every point with squared distance <= r2 ------------- */

/* The last points [i, end) of a leaf's flat sums one at a time, on the
 * lane (i - start) % 4 they would have taken on a vector, then the lanes
 * added up as (0 + 1) + (2 + 3) into w and s: the vector forms' common
 * end.  wts NULL: unit weights. */
MS_ALWAYS_INLINE void MS_FN(leaf_flat_finish)(const double *MS_RESTRICT const *c,
                                              const double *wts, int64_t start, int64_t i,
                                              int64_t end, const double *q, double r2,
                                              double lw[4], double l[][4], double *w,
                                              double *s, const int64_t d)
{
    for (; i < end; i++) {
        const int k = (int)((i - start) % 4);
        double r = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double u = c[j][i] - q[j];
            r = j == 0 ? u * u : r + u * u;
        }
        const double m = r <= r2 ? (wts ? wts[i] : 1.0) : 0.0;
        lw[k] += m;
        for (int64_t j = 0; j < d; j++) l[j][k] += m * c[j][i];
    }
    *w += (lw[0] + lw[1]) + (lw[2] + lw[3]);
    for (int64_t j = 0; j < d; j++) s[j] += (l[j][0] + l[j][1]) + (l[j][2] + l[j][3]);
}

/* Flat sums over points [start, end) of the column copy: w and s[0..d)
 * receive them.  Branch-free, on four lanes: point i goes to lane
 * (i - start) % 4, and the lanes add up as (0 + 1) + (2 + 3), the same in
 * the vector and the scalar form; point_dist's arithmetic, ((double)x_j -
 * q_j)^2 added in j order. */
MS_ALWAYS_INLINE void MS_FN(leaf_flat_soa_d)(const double *MS_RESTRICT soa, int64_t n,
                                             const double *MS_RESTRICT wts, int64_t start,
                                             int64_t end, const double *q, double r2,
                                             double *w, double *s, const int64_t d,
                                             const int weighted)
{
    const double *MS_RESTRICT c[MS_SOA_MAX_D];
    for (int64_t j = 0; j < MS_SOA_MAX_D; j++) c[j] = soa + (j < d ? j * n : 0);
    double lw[4] = {0.0, 0.0, 0.0, 0.0}, l[MS_SOA_MAX_D][4] = {{0.0}};
    int64_t i = start;
#ifdef MS_VECTORS
    {
        const ms_v4d vr2 = {r2, r2, r2, r2}, one = {1.0, 1.0, 1.0, 1.0};
        ms_v4d vw = {0.0, 0.0, 0.0, 0.0}, v[MS_SOA_MAX_D] = {{0.0}};
        for (; i + 4 <= end; i += 4) {
            ms_v4d x[MS_SOA_MAX_D], r = {0.0, 0.0, 0.0, 0.0};
            for (int64_t j = 0; j < d; j++) {
                x[j] = MS_LOAD4(c[j] + i);
                const ms_v4d u = x[j] - q[j];
                r = j == 0 ? u * u : r + u * u;
            }
            ms_v4d wi = one;
            if (weighted) wi = MS_LOAD4(wts + i);
            const ms_v4d m = MS_SELECT4(r <= vr2, wi);
            vw += m;
            for (int64_t j = 0; j < d; j++) v[j] += m * x[j];
        }
        for (int k = 0; k < 4; k++) {
            lw[k] = vw[k];
            for (int64_t j = 0; j < d; j++) l[j][k] = v[j][k];
        }
    }
#endif
    MS_FN(leaf_flat_finish)(c, weighted ? wts : NULL, start, i, end, q, r2, lw, l, w, s,
                            d);
}

#ifdef MS_AVX512VL_TARGET
#include <immintrin.h>

/* leaf_flat_soa_d on AVX-512: eight points measured at a time, their sums
 * added to the same four lanes as two groups of four, the first four
 * first, so each lane adds the same points in the same order.  Without
 * weights a point outside adds nothing where the four-lane form adds
 * 0 * x, a zero, which leaves every sum as it is (each starts at +0.0, and
 * adding a zero of either sign keeps +0.0), so both give the same bits. */
MS_AVX512VL_TARGET static void
MS_FN(leaf_flat_soa_avx512)(const double *MS_RESTRICT soa, int64_t n,
                            const double *MS_RESTRICT wts, int64_t start, int64_t end,
                            const double *q, double r2, double *w, double *s,
                            const int64_t d)
{
    const double *MS_RESTRICT c[MS_SOA_MAX_D];
    for (int64_t j = 0; j < MS_SOA_MAX_D; j++) c[j] = soa + (j < d ? j * n : 0);
    const __m512d vr2 = _mm512_set1_pd(r2);
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    __m256d vw = zero, v[MS_SOA_MAX_D];
    for (int64_t j = 0; j < MS_SOA_MAX_D; j++) v[j] = zero;
    int64_t i = start;
    for (; i + 8 <= end; i += 8) {
        __m512d x[MS_SOA_MAX_D], r = _mm512_setzero_pd();
        for (int64_t j = 0; j < d; j++) {
            x[j] = _mm512_loadu_pd(c[j] + i);
            const __m512d u = _mm512_sub_pd(x[j], _mm512_set1_pd(q[j]));
            r = j == 0 ? _mm512_mul_pd(u, u) : _mm512_add_pd(r, _mm512_mul_pd(u, u));
        }
        const __mmask8 k = _mm512_cmp_pd_mask(r, vr2, _CMP_LE_OQ);
        const __mmask8 lo = (__mmask8)(k & 0xF), hi = (__mmask8)(k >> 4);
        if (wts) {
            const __m512d m = _mm512_maskz_loadu_pd(k, wts + i);
            const __m256d mlo = _mm512_castpd512_pd256(m),
                          mhi = _mm512_extractf64x4_pd(m, 1);
            vw = _mm256_add_pd(_mm256_add_pd(vw, mlo), mhi);
            for (int64_t j = 0; j < d; j++) {
                v[j] =
                    _mm256_add_pd(v[j], _mm256_mul_pd(mlo, _mm512_castpd512_pd256(x[j])));
                v[j] = _mm256_add_pd(v[j],
                                     _mm256_mul_pd(mhi, _mm512_extractf64x4_pd(x[j], 1)));
            }
        } else {
            vw = _mm256_mask_add_pd(vw, lo, vw, one);
            vw = _mm256_mask_add_pd(vw, hi, vw, one);
            for (int64_t j = 0; j < d; j++) {
                v[j] = _mm256_mask_add_pd(v[j], lo, v[j], _mm512_castpd512_pd256(x[j]));
                v[j] =
                    _mm256_mask_add_pd(v[j], hi, v[j], _mm512_extractf64x4_pd(x[j], 1));
            }
        }
    }
    for (; i + 4 <= end; i += 4) {
        __m256d x[MS_SOA_MAX_D], r = zero;
        for (int64_t j = 0; j < d; j++) {
            x[j] = _mm256_loadu_pd(c[j] + i);
            const __m256d u = _mm256_sub_pd(x[j], _mm256_set1_pd(q[j]));
            r = j == 0 ? _mm256_mul_pd(u, u) : _mm256_add_pd(r, _mm256_mul_pd(u, u));
        }
        const __mmask8 k = _mm256_cmp_pd_mask(r, _mm512_castpd512_pd256(vr2), _CMP_LE_OQ);
        if (wts) {
            const __m256d m = _mm256_maskz_loadu_pd(k, wts + i);
            vw = _mm256_add_pd(vw, m);
            for (int64_t j = 0; j < d; j++)
                v[j] = _mm256_add_pd(v[j], _mm256_mul_pd(m, x[j]));
        } else {
            vw = _mm256_mask_add_pd(vw, k, vw, one);
            for (int64_t j = 0; j < d; j++)
                v[j] = _mm256_mask_add_pd(v[j], k, v[j], x[j]);
        }
    }
    double lw[4], l[MS_SOA_MAX_D][4];
    _mm256_storeu_pd(lw, vw);
    for (int64_t j = 0; j < d; j++) _mm256_storeu_pd(l[j], v[j]);
    MS_FN(leaf_flat_finish)(c, wts, start, i, end, q, r2, lw, l, w, s, d);
}
#endif

typedef struct MS_FN(flat_query) {
    MS_FN(at_point) at;
    const double *soa; /* the column copy (d <= MS_SOA_MAX_D), or NULL */
    double r2;
    double w;   /* the weight found so far */
    double *wx; /* the coordinate sums */
    int avx512; /* the leaves' loop on AVX-512 (column copy only) */
} MS_FN(flat_query);

/* Leaf points are summed without branches: a point outside adds zero.
 * With the column copy, leaves are summed on SIMD lanes: a single seed's
 * query (bin seeding) spends most of its time in the leaves its sphere
 * crosses.  Those partial sums add up in another order; the counts and
 * the whole-node decisions are the same. */
MS_ALWAYS_INLINE int MS_FN(flat_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(flat_query) *f = query;
    const MS_TREE *t = f->at.t;
    const double *q = f->at.q;
    double *MS_RESTRICT wx = f->wx;
    if (g.near2 > f->r2) return 0;
    if (g.far2 <= f->r2) {
        const double *s = t->wx + nid * d;
        f->w += t->wsum[nid];
        for (int64_t j = 0; j < d; j++) wx[j] += s[j];
        return 0;
    }
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0) return 1;
    if (f->soa) { /* weighted or not: two loops, each free of the test */
#ifdef MS_AVX512VL_TARGET
        /* d is a constant here (sum_flat): one and two features keep no call */
        if (d >= 3 && f->avx512) {
            MS_FN(leaf_flat_soa_avx512)(f->soa, t->n, t->weights, nd->start, nd->end, q,
                                        f->r2, &f->w, wx, d);
            return 0;
        }
#endif
        if (t->weights)
            MS_FN(leaf_flat_soa_d)(f->soa, t->n, t->weights, nd->start, nd->end, q, f->r2,
                                   &f->w, wx, d, 1);
        else
            MS_FN(leaf_flat_soa_d)(f->soa, t->n, NULL, nd->start, nd->end, q, f->r2,
                                   &f->w, wx, d, 0);
        return 0;
    }
    const MS_T *p = t->pts + nd->start * d;
    for (int64_t i = nd->start; i < nd->end; i++, p += d) {
        const double r = MS_FN(point_dist)(t, i, q, d);
        const double wi = r <= f->r2 ? (t->weights ? t->weights[i] : 1.0) : 0.0;
        f->w += wi;
        for (int64_t j = 0; j < d; j++) wx[j] += wi * (double)p[j];
    }
    return 0;
}

MS_ALWAYS_INLINE void MS_FN(sum_flat_d)(const MS_TREE *t, const double *soa,
                                        const double *q, double r2, double *wsum,
                                        double *wx, const int64_t d)
{
    MS_FN(flat_query) f = {{t, q}, soa, r2, 0.0, wx, 0};
#ifdef MS_AVX512VL_TARGET
    /* In one or two features the four lanes' chains of dependent adds, not
     * the measuring, bound the leaves' loop, and eight points at a time
     * gained nothing (2-D bin seeds: 1.02 times the time). */
    f.avx512 = soa != NULL && d >= 3 && MS_CPU_HAS_AVX512VL();
#endif
    MS_FN(tree_walk)(t, &f, MS_FN(point_reach), MS_FN(flat_visit), 0, d);
    *wsum += f.w;
}

/* soa: the column copy (d <= MS_SOA_MAX_D), or NULL. */
MS_SIMD_CLONES static void MS_FN(sum_flat)(const MS_TREE *t, const double *soa,
                                           const double *q, double r2, double *wsum,
                                           double *wx)
{
    switch (t->d) {
    case 1: MS_FN(sum_flat_d)(t, soa, q, r2, wsum, wx, 1); break;
    case 2: MS_FN(sum_flat_d)(t, soa, q, r2, wsum, wx, 2); break;
    case 3: MS_FN(sum_flat_d)(t, soa, q, r2, wsum, wx, 3); break;
    case 4: MS_FN(sum_flat_d)(t, soa, q, r2, wsum, wx, 4); break;
    default: MS_FN(sum_flat_d)(t, NULL, q, r2, wsum, wx, t->d); break;
    }
}

/* ---- Epanechnikov kernel, through the node moments -------------------- */

typedef struct MS_FN(epan_query) {
    MS_FN(at_point) at;
    double h2;
    double *wsum, *wx;
} MS_FN(epan_query);

MS_ALWAYS_INLINE int MS_FN(epan_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(epan_query) *e = query;
    const MS_TREE *t = e->at.t;
    const double *q = e->at.q;
    const double h2 = e->h2;
    double *wsum = e->wsum, *wx = e->wx;
    if (g.near2 >= h2 && g.near2 > 0.0) return 0; /* a point at q weighs 1 */
    const ms_node *nd = &t->nodes[nid];
    if (g.far2 == 0.0) {
        /* Every point sits at q (weight 1), also where h2 underflowed. */
        MS_FN(add_node)(t, nid, 1.0, wsum, wx);
        return 0;
    }
    if (g.far2 <= h2) {
        /* With y = x - c and r = q - c:
         *   sum w (h2 - |y - r|^2)   = h2 W - (m2 - 2 r.m1 + |r|^2 W)
         *   sum w (h2 - |y - r|^2) y = h2 m1 - (m3 - 2 mxx r + |r|^2 m1)
         * and the coordinate sum adds c times the first. */
        const double *c = t->ctr + nid * d;
        const double *m1 = t->m1 + nid * d;
        const double *m3 = t->m3 + nid * d;
        const double *mxx = t->mxx + nid * d * d;
        const double W = t->wsum[nid];
        double rr = 0.0, rm1 = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double r = q[j] - c[j];
            rr += r * r;
            rm1 += r * m1[j];
        }
        const double kw = (h2 * W - (t->m2[nid] - 2.0 * rm1 + rr * W)) / h2;
        *wsum += kw;
        for (int64_t j = 0; j < d; j++) {
            double mr = 0.0;
            for (int64_t l = 0; l < d; l++) mr += mxx[j * d + l] * (q[l] - c[l]);
            const double ky = (h2 * m1[j] - (m3[j] - 2.0 * mr + rr * m1[j])) / h2;
            wx[j] += ky + c[j] * kw;
        }
        return 0;
    }
    if (nd->left >= 0) return 1;
    for (int64_t i = nd->start; i < nd->end; i++) {
        const double r = MS_FN(point_dist)(t, i, q, d);
        if (r == 0.0)
            MS_FN(add_point)(t, i, 1.0, wsum, wx);
        else if (r < h2)
            MS_FN(add_point)(t, i, (h2 - r) / h2, wsum, wx);
    }
    return 0;
}

static void MS_FN(sum_epanechnikov)(const MS_TREE *t, const double *q, double h2,
                                    double *wsum, double *wx)
{
    MS_FN(epan_query) e = {{t, q}, h2, wsum, wx};
    MS_FN(tree_walk)(t, &e, MS_FN(point_reach), MS_FN(epan_visit), 0, t->d);
}

/* ---- Gaussian kernel -------------------------------------------------- */

/* Nearest nodes first; a node whose weights vary so little that taking
 * them all at their midpoint keeps the error committed so far within tol
 * times the mass surely found so far (the sum less that error) is taken
 * whole at that midpoint.  The mass found only grows, so the total's
 * relative error stays within tol: a budget, not a per-node bound, which
 * many approximated nodes would exceed together.  Weights are exp(-(r -
 * base) / 2h^2): base, the nearest squared distance to a weighted point,
 * keeps them from all underflowing far from the data, where the unscaled
 * sums would be subnormal and their ratio meaningless. */
typedef struct MS_FN(gauss_query) {
    MS_FN(at_point) at;
    double inv; /* 1 / 2h^2 */
    double tol, base;
    double err; /* the largest error the midpoints taken so far can have */
    double *wsum, *wx;
} MS_FN(gauss_query);

MS_ALWAYS_INLINE int MS_FN(gauss_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(gauss_query) *k = query;
    const MS_TREE *t = k->at.t;
    const double base = k->base, inv = k->inv;
    /* d == base has weight 1 even where 1 / h^2 overflowed. */
    const double wmax = g.near2 > base ? exp(-(g.near2 - base) * inv) : 1.0;
    if (wmax == 0.0) return 0;
    const double wmin = g.far2 > base ? exp(-(g.far2 - base) * inv) : 1.0;
    const ms_node *nd = &t->nodes[nid];
    const double err = k->err + 0.5 * (wmax - wmin) * t->wsum[nid];
    if (err <= k->tol * (*k->wsum - k->err)) {
        k->err = err;
        MS_FN(add_node)(t, nid, 0.5 * (wmax + wmin), k->wsum, k->wx);
        return 0;
    }
    if (nd->left >= 0) return 1;
    for (int64_t i = nd->start; i < nd->end; i++) {
        const double r = MS_FN(point_dist)(t, i, k->at.q, d);
        MS_FN(add_point)(t, i, r > base ? exp(-(r - base) * inv) : 1.0, k->wsum, k->wx);
    }
    return 0;
}

static void MS_FN(sum_gaussian)(const MS_TREE *t, const double *q, double h, double tol,
                                double base, double *wsum, double *wx)
{
    MS_FN(gauss_query) k = {{t, q}, 1.0 / (2.0 * h * h), tol, base, 0.0, wsum, wx};
    MS_FN(tree_walk)(t, &k, MS_FN(point_reach), MS_FN(gauss_visit), 1, t->d);
}

/* Kernel sums with the flat radius already squared (r2 = ms_flat_radius_sq(h)).
 * Gaussian sums are scaled by exp(base / 2h^2) (see sum_gaussian). */
void MS_FN(ms__kernel_sum)(const MS_TREE *t, const double *soa, const double *q,
                           ms_kernel kernel, double h, double r2, double tol, double base,
                           double *wsum, double *wx)
{
    *wsum = 0.0;
    for (int64_t j = 0; j < t->d; j++) wx[j] = 0.0;
    switch (kernel) {
    case MS_KERNEL_FLAT: MS_FN(sum_flat)(t, soa, q, r2, wsum, wx); break;
    case MS_KERNEL_GAUSSIAN: MS_FN(sum_gaussian)(t, q, h, tol, base, wsum, wx); break;
    case MS_KERNEL_EPANECHNIKOV: MS_FN(sum_epanechnikov)(t, q, h * h, wsum, wx); break;
    }
}

static ms_status MS_FN(kernel_sum_checked)(const MS_TREE *t, const double *q,
                                           ms_kernel kernel, double h, double tol,
                                           double *base, double *wsum, double *wx)
{
    if (t == NULL || q == NULL || wsum == NULL || wx == NULL) return MS_ERR_INVALID;
    if (!(h >= 0.0) || !(tol >= 0.0)) return MS_ERR_INVALID;
    if (kernel == MS_KERNEL_EPANECHNIKOV && t->ctr == NULL) return MS_ERR_INVALID;
    if (kernel != MS_KERNEL_FLAT && !(h > 0.0)) return MS_ERR_INVALID;
    if (kernel != MS_KERNEL_FLAT && kernel != MS_KERNEL_GAUSSIAN &&
        kernel != MS_KERNEL_EPANECHNIKOV)
        return MS_ERR_INVALID;
    double b = 0.0;
    if (base != NULL && kernel == MS_KERNEL_GAUSSIAN) b = MS_FN(ms__gaussian_base)(t, q);
    if (base != NULL) *base = b;
    MS_FN(ms__kernel_sum)(t, NULL, q, kernel, h, ms_flat_radius_sq(h), tol, b, wsum, wx);
    return MS_OK;
}

ms_status MS_FN(ms_tree_kernel_sum)(const MS_TREE *t, const double *q, ms_kernel kernel,
                                    double h, double tol, double *wsum, double *wx)
{
    return MS_FN(kernel_sum_checked)(t, q, kernel, h, tol, NULL, wsum, wx);
}

ms_status MS_FN(ms_tree_kernel_sum_scaled)(const MS_TREE *t, const double *q,
                                           ms_kernel kernel, double h, double tol,
                                           double *base, double *wsum, double *wx)
{
    if (base == NULL) return MS_ERR_INVALID;
    return MS_FN(kernel_sum_checked)(t, q, kernel, h, tol, base, wsum, wx);
}

ms_status MS_FN(ms_tree_kernel_sums_scaled)(const MS_TREE *t, const double *Q, int64_t m,
                                            ms_kernel kernel, double h, double tol,
                                            const ms_config *cfg, double *base,
                                            double *wsum, double *wx)
{
    if (m < 0 || base == NULL || wsum == NULL || wx == NULL || (m > 0 && Q == NULL))
        return MS_ERR_INVALID;
    if (m == 0) return t == NULL ? MS_ERR_INVALID : MS_OK;
    /* The first query checks the arguments for all of them. */
    const ms_status first =
        MS_FN(kernel_sum_checked)(t, Q, kernel, h, tol, base, wsum, wx);
    if (first != MS_OK) return first;
    const int64_t d = t->d;
    /* Rows are independent: blocks of them go to the threads, and each
     * row's sums are the single-query sums, whatever the thread count. */
    const int64_t block = 64;
    const int64_t n_blocks = (m - 1 + block - 1) / block;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_loop loop;
    ms_loop_init(&loop, &rt, m, 1);
    loop.done = 1;
    MS_OMP(parallel num_threads(ms_num_threads(cfg)))
    {
        int64_t mine = 0;
        int64_t b;
        MS_OMP(for schedule(dynamic, 1))
        for (b = 0; b < n_blocks; b++) {
            if (ms_loop_halted(&loop, &loop)) continue;
            const int64_t lo = 1 + b * block, hi = lo + block < m ? lo + block : m;
            for (int64_t i = lo; i < hi; i++)
                (void)MS_FN(kernel_sum_checked)(t, Q + i * d, kernel, h, tol, base + i,
                                                wsum + i, wx + i * d);
            ms_loop_tick(&loop, hi - lo, &mine);
        }
    }
    return ms_loop_status(&loop);
}

/* ---- counts, shells, nearest point ----------------------------------- */

typedef struct MS_FN(count_query) {
    MS_FN(at_point) at;
    double r2;
    int64_t count;
} MS_FN(count_query);

MS_ALWAYS_INLINE int MS_FN(count_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(count_query) *c = query;
    const MS_TREE *t = c->at.t;
    if (g.near2 > c->r2) return 0;
    const ms_node *nd = &t->nodes[nid];
    if (g.far2 <= c->r2) {
        c->count += nd->end - nd->start;
        return 0;
    }
    if (nd->left >= 0) return 1;
    for (int64_t i = nd->start; i < nd->end; i++)
        c->count += MS_FN(point_dist)(t, i, c->at.q, d) <= c->r2;
    return 0;
}

MS_ALWAYS_INLINE int64_t MS_FN(count_within_d)(const MS_TREE *t, const double *q,
                                               double r2, const int64_t d)
{
    MS_FN(count_query) c = {{t, q}, r2, 0};
    MS_FN(tree_walk)(t, &c, MS_FN(point_reach), MS_FN(count_visit), 0, d);
    return c.count;
}

/* Number of points with squared distance <= r2 (unit weights). */
int64_t MS_FN(ms__count_within)(const MS_TREE *t, const double *q, double r2)
{
    switch (t->d) {
    case 1: return MS_FN(count_within_d)(t, q, r2, 1);
    case 2: return MS_FN(count_within_d)(t, q, r2, 2);
    case 3: return MS_FN(count_within_d)(t, q, r2, 3);
    case 4: return MS_FN(count_within_d)(t, q, r2, 4);
    default: return MS_FN(count_within_d)(t, q, r2, t->d);
    }
}

typedef struct MS_FN(shell_query) {
    MS_FN(at_point) at;
    double lo2, hi2;
    double *out;
    int64_t count;
} MS_FN(shell_query);

MS_ALWAYS_INLINE int MS_FN(shell_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(shell_query) *s = query;
    const MS_TREE *t = s->at.t;
    if (g.near2 > s->hi2 || g.far2 <= s->lo2) return 0;
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0) return 1;
    for (int64_t i = nd->start; i < nd->end; i++) {
        const double r = MS_FN(point_dist)(t, i, s->at.q, d);
        if (r > s->lo2 && r <= s->hi2) s->out[s->count++] = r;
    }
    return 0;
}

/* Squared distances in (lo2, hi2] appended to out; returns their count. */
int64_t MS_FN(ms__collect_shell)(const MS_TREE *t, const double *q, double lo2,
                                 double hi2, double *out)
{
    MS_FN(shell_query) s = {{t, q}, lo2, hi2, out, 0};
    MS_FN(tree_walk)(t, &s, MS_FN(point_reach), MS_FN(shell_visit), 0, t->d);
    return s.count;
}

typedef struct MS_FN(nearest_query) {
    MS_FN(at_point) at;
    const double *wts; /* NULL, or weights whose zeros are passed over */
    double best;
    int64_t best_i;
} MS_FN(nearest_query);

MS_ALWAYS_INLINE int MS_FN(nearest_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(nearest_query) *b = query;
    const MS_TREE *t = b->at.t;
    if (g.near2 > b->best) return 0;
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0) return 1;
    for (int64_t i = nd->start; i < nd->end; i++) {
        if (b->wts != NULL && !(b->wts[i] > 0.0)) continue;
        const double r = MS_FN(point_dist)(t, i, b->at.q, d);
        const int64_t idx = t->index[i];
        if (r < b->best || (r == b->best && idx < b->best_i)) {
            b->best = r;
            b->best_i = idx;
        }
    }
    return 0;
}

/* Nearest point to q: original index, ties to the lower index; with
 * weighted, points of weight 0 are passed over (-1 and INFINITY when no
 * point is left). */
int64_t MS_FN(ms__nearest)(const MS_TREE *t, const double *q, int weighted,
                           double *best_d2)
{
    MS_FN(nearest_query) b = {{t, q}, weighted ? t->weights : NULL, INFINITY, -1};
    MS_FN(tree_walk)(t, &b, MS_FN(point_reach), MS_FN(nearest_visit), 1, t->d);
    *best_d2 = b.best;
    return b.best_i;
}

/* The squared distance to the nearest point of positive weight, relative to
 * which Gaussian weights are taken (INFINITY when there is none: then
 * every weight is 0 anyway). */
double MS_FN(ms__gaussian_base)(const MS_TREE *t, const double *q)
{
    double b = INFINITY;
    if (t->n > 0) MS_FN(ms__nearest)(t, q, 1, &b);
    return b;
}

/* Squared distance from q to the farthest corner of the root box: no
 * point lies farther. */
double MS_FN(ms__farthest_sq)(const MS_TREE *t, const double *q)
{
    return MS_FN(node_reach)(t, 0, q, t->d).far2;
}
