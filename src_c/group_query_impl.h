/*
 * group_query_impl.h - the seed-group query of the flat kernel (see
 * group_query.h for what it does and the glossary), written once for both
 * precisions (included by group_query.c).
 *
 * Up to MS_SOA_MAX_D features the query routes blocks of points
 * (group_blocks_impl.h, compiled with the portable block steps and, where
 * the CPU can be tested, with the AVX2 ones); beyond, it settles points one
 * by one (group_points).  Either way a seed's sums are those of its own
 * query, added in another order.
 */

#include "node_bounds_impl.h"
#include "tree_walk_impl.h"

/* A group query's state while it walks the tree, up to MS_SOA_MAX_D
 * features (group_blocks_impl.h); screen is the block steps' own. */
typedef struct MS_FN(blocks_query) {
    MS_FN(at_box) at;
    const double *soa;
    int64_t m;
    double r2;
    const double *cols;
    double *acc;
    double shared_w, *shared_x;
    const void *screen;
} MS_FN(blocks_query);

#define MS_BLOCKS_FN MS_FN(group_blocks)
#define MS_BLOCKS_FN_D MS_FN(group_blocks_d)
#define MS_BLOCKS_VISIT MS_FN(group_blocks_visit)
#define MS_BLOCK_OP(step) step
#define MS_BLOCK_SCREEN ms_no_screen
#define MS_BLOCKS_TARGET MS_SIMD_CLONES
#define MS_BLOCKS_INLINE MS_ALWAYS_INLINE
#include "group_blocks_impl.h"

#ifdef MS_AVX2_TARGET
#define MS_BLOCKS_FN MS_FN(group_blocks_avx2)
#define MS_BLOCKS_FN_D MS_FN(group_blocks_avx2_d)
#define MS_BLOCKS_VISIT MS_FN(group_blocks_avx2_visit)
#define MS_BLOCK_OP(step) step##_avx2
#define MS_BLOCK_SCREEN ms_seed_screen
#define MS_BLOCKS_TARGET MS_AVX2_TARGET
#define MS_BLOCKS_INLINE MS_AVX2_INLINE
#include "group_blocks_impl.h"
#endif

/* Beyond MS_SOA_MAX_D features: the data tree's nodes against the group,
 * by their balls where those decide (a box's corners lie far from its
 * points in many features, a ball about their mean does not), else by
 * their boxes; then a leaf's points one by one against the group box.
 * The undecided points are buffered in walk order, up to
 * MS_POINTS_BUF at a time (leaves hold few of them), and each buffer is
 * settled against only the seeds whose balls reach its box: the others
 * would add zeros to their sums, which leaves them bitwise unchanged (a
 * sum that starts at +0.0 never becomes -0.0).  Each seed's sums keep the
 * order of the points, in either form of the settling (the portable one
 * below, the screened one of group_points_avx2_impl.h).  The seeds' own
 * sums go to W and to the rows of cx. */
typedef struct MS_FN(points_query) {
    MS_FN(at_box) at;
    int64_t m;
    double r2;
    const double *cols;
    double *W, *cx;
    double shared_w, *shared_x;
    ms_group_work *work;
    /* the seeds' ball (bounds.h, "Balls"), where the tree has balls and
     * the radius allows: its centre (work->gc) and radius, inflated */
    const double *gc;
    double rho;
    ms_ball_test balls;
    int64_t buf[MS_POINTS_BUF]; /* the buffered points, in walk order */
    int64_t nb;
    /* decide buffers with MS_FN(screen_hits): for unit weights only, so
     * that a tree of unit weights takes the portable form and shows that
     * both give the same bits */
    int avx2;
    int avx512; /* and the screen's blocks on AVX-512 */
} MS_FN(points_query);

#ifdef MS_AVX2_TARGET
#include "group_points_avx2_impl.h"
#endif

#ifdef MS_AVX2_TARGET
/* One tile: the four points p (weights wv, 0 for a missing point) against
 * the seeds [q0, q0 + 4). */
MS_ALWAYS_INLINE MS_AVX2_TARGET void
MS_FN(settle_tile4)(const MS_T *const *p, const double *wv, const double *acols,
                    double *acx, double *aW, int64_t np, int64_t q0, double r2, int64_t d)
{
    const __m256d vr2 = _mm256_set1_pd(r2), zero = _mm256_setzero_pd();
    __m256d r[4] = {zero, zero, zero, zero};
    for (int64_t j = 0; j < d; j++) {
        const __m256d s = _mm256_loadu_pd(acols + j * np + q0);
        for (int b = 0; b < 4; b++) {
            const __m256d u = _mm256_sub_pd(_mm256_set1_pd((double)p[b][j]), s);
            r[b] = _mm256_add_pd(r[b], _mm256_mul_pd(u, u));
        }
    }
    __m256d in = _mm256_setzero_pd();
    for (int b = 0; b < 4; b++) {
        const __m256d hit = _mm256_cmp_pd(r[b], vr2, _CMP_LE_OQ);
        in = _mm256_or_pd(in, hit);
        r[b] = _mm256_and_pd(hit, _mm256_set1_pd(wv[b]));
    }
    /* No point of the four in any of the four balls: the sums would only
     * take zeros. */
    if (_mm256_movemask_pd(in) == 0) return;
    __m256d w = _mm256_loadu_pd(aW + q0);
    for (int b = 0; b < 4; b++) w = _mm256_add_pd(w, r[b]);
    _mm256_storeu_pd(aW + q0, w);
    for (int64_t j = 0; j < d; j++) {
        double *xs = acx + j * np + q0;
        __m256d sum = _mm256_loadu_pd(xs);
        for (int b = 0; b < 4; b++)
            sum =
                _mm256_add_pd(sum, _mm256_mul_pd(r[b], _mm256_set1_pd((double)p[b][j])));
        _mm256_storeu_pd(xs, sum);
    }
}

/* The four buffered points from b0 (the last one repeated, weight 0, where
 * fewer are left) into p and wv. */
MS_ALWAYS_INLINE void MS_FN(tile_points)(const MS_TREE *t, const int64_t *buf, int64_t nb,
                                         int64_t b0, const MS_T **p, double *wv)
{
    for (int b = 0; b < 4; b++) {
        const int64_t i = buf[b0 + b < nb ? b0 + b : nb - 1];
        p[b] = t->pts + i * t->d;
        wv[b] = b0 + b >= nb ? 0.0 : t->weights ? t->weights[i] : 1.0;
    }
}

/* Fewer than MS_SCREEN_MIN_D features: the buffer's sums for np (a
 * multiple of 4) gathered seeds, by tiles of four seeds and four points
 * held in AVX2 registers: one load of a tile's
 * coordinates or sums serves four points, where the portable loop loads
 * and stores them per point.  Every seed adds the points one after the
 * other, in buffer order, with the portable loop's operations (no fused
 * multiply-add), so both give the same bits.  A missing last point
 * repeats the one before with weight 0, which adds zeros. */
MS_AVX2_TARGET static void MS_FN(settle_tiles_avx2)(const MS_TREE *t, const int64_t *buf,
                                                    int64_t nb, const double *acols,
                                                    double *acx, double *aW, int64_t np,
                                                    double r2, int64_t d)
{
    for (int64_t b0 = 0; b0 < nb; b0 += 4) {
        const MS_T *p[4];
        double wv[4];
        MS_FN(tile_points)(t, buf, nb, b0, p, wv);
        for (int64_t q0 = 0; q0 < np; q0 += 4)
            MS_FN(settle_tile4)(p, wv, acols, acx, aW, np, q0, r2, d);
    }
}
#endif

#if defined(MS_AVX2_TARGET) && defined(MS_AVX512_TARGET)
/* settle_tiles_avx2 on AVX-512: tiles of four points and eight seeds, the
 * last four seeds (np is a multiple of 4) on AVX2 lanes.  Each seed's lane
 * takes the same operations in the same order; where a tile of eight seeds
 * holds a point that one of four did not, that four's lanes add zeros,
 * which change no sum (every sum starts at +0.0, which adding a zero of
 * either sign keeps), so both give the same bits. */
MS_AVX2_TARGET MS_AVX512_TARGET static void
MS_FN(settle_tiles_avx512)(const MS_TREE *t, const int64_t *buf, int64_t nb,
                           const double *acols, double *acx, double *aW, int64_t np,
                           double r2, int64_t d)
{
    const __m512d vr2 = _mm512_set1_pd(r2), zero = _mm512_setzero_pd();
    const int64_t np8 = np / 8 * 8;
    for (int64_t b0 = 0; b0 < nb; b0 += 4) {
        const MS_T *p[4];
        double wv[4];
        MS_FN(tile_points)(t, buf, nb, b0, p, wv);
        for (int64_t q0 = 0; q0 < np8; q0 += 8) {
            __m512d r[4] = {zero, zero, zero, zero};
            for (int64_t j = 0; j < d; j++) {
                const __m512d s = _mm512_loadu_pd(acols + j * np + q0);
                for (int b = 0; b < 4; b++) {
                    const __m512d u = _mm512_sub_pd(_mm512_set1_pd((double)p[b][j]), s);
                    r[b] = _mm512_add_pd(r[b], _mm512_mul_pd(u, u));
                }
            }
            __mmask8 any = 0;
            for (int b = 0; b < 4; b++) {
                const __mmask8 hit = _mm512_cmp_pd_mask(r[b], vr2, _CMP_LE_OQ);
                any |= hit;
                r[b] = _mm512_maskz_mov_pd(hit, _mm512_set1_pd(wv[b]));
            }
            if (any == 0) continue;
            __m512d w = _mm512_loadu_pd(aW + q0);
            for (int b = 0; b < 4; b++) w = _mm512_add_pd(w, r[b]);
            _mm512_storeu_pd(aW + q0, w);
            for (int64_t j = 0; j < d; j++) {
                double *xs = acx + j * np + q0;
                __m512d sum = _mm512_loadu_pd(xs);
                for (int b = 0; b < 4; b++)
                    sum = _mm512_add_pd(
                        sum, _mm512_mul_pd(r[b], _mm512_set1_pd((double)p[b][j])));
                _mm512_storeu_pd(xs, sum);
            }
        }
        /* the last four seeds */
        if (np8 < np) MS_FN(settle_tile4)(p, wv, acols, acx, aW, np, np8, r2, d);
    }
}
#endif

/* Points of the buffer and their weights, in buffer order. */
typedef struct MS_FN(point_list) {
    const MS_T *p[64];
    double w[64];
    int64_t n;
} MS_FN(point_list);

/* The buffered points c0 + (the set bits of sel), in order. */
MS_ALWAYS_INLINE void MS_FN(list_bits)(MS_FN(point_list) * l, const MS_TREE *t,
                                       const int64_t *buf, int64_t c0, uint64_t sel,
                                       int64_t d)
{
    l->n = 0;
    while (sel) {
        const int64_t i = buf[c0 + ms_ctz64(sel)];
        sel &= sel - 1;
        l->p[l->n] = t->pts + i * d;
        l->w[l->n] = t->weights ? t->weights[i] : 1.0;
        l->n++;
    }
}

/* row (and *W) += the points of l, one after the other.  Sixteen
 * coordinates at a time stay in registers across the points.  Unit weights
 * skip the product by 1, which is exact. */
MS_ALWAYS_INLINE void MS_FN(add_points)(const MS_FN(point_list) * l, int unit,
                                        double *MS_RESTRICT row, double *MS_RESTRICT W,
                                        int64_t d)
{
    double w = *W;
    for (int64_t h = 0; h < l->n; h++) w += l->w[h];
    *W = w;
    int64_t j0 = 0;
#ifdef MS_VECTORS
    for (; j0 + 16 <= d; j0 += 16) {
        ms_v4d a0 = MS_LOAD4(row + j0), a1 = MS_LOAD4(row + j0 + 4);
        ms_v4d a2 = MS_LOAD4(row + j0 + 8), a3 = MS_LOAD4(row + j0 + 12);
        for (int64_t h = 0; h < l->n; h++) {
            const MS_T *p = l->p[h] + j0;
            ms_v4d p0 = MS_LOAD4(p), p1 = MS_LOAD4(p + 4);
            ms_v4d p2 = MS_LOAD4(p + 8), p3 = MS_LOAD4(p + 12);
            if (!unit) {
                const double wh = l->w[h];
                p0 *= wh, p1 *= wh, p2 *= wh, p3 *= wh;
            }
            a0 += p0, a1 += p1, a2 += p2, a3 += p3;
        }
        MS_STORE4(row + j0, a0);
        MS_STORE4(row + j0 + 4, a1);
        MS_STORE4(row + j0 + 8, a2);
        MS_STORE4(row + j0 + 12, a3);
    }
    for (; j0 + 4 <= d; j0 += 4) {
        ms_v4d a0 = MS_LOAD4(row + j0);
        for (int64_t h = 0; h < l->n; h++) {
            ms_v4d p0 = MS_LOAD4(l->p[h] + j0);
            if (!unit) p0 *= l->w[h];
            a0 += p0;
        }
        MS_STORE4(row + j0, a0);
    }
#endif
    for (; j0 < d; j0++) {
        double a = row[j0];
        for (int64_t h = 0; h < l->n; h++)
            a += unit ? (double)l->p[h][j0] : l->w[h] * (double)l->p[h][j0];
        row[j0] = a;
    }
}

/* add_points for fewer than 16 features: the points c0 + (bits of sel) of
 * the buffer, taken as the bits are walked, one after the other, the row
 * held in registers (whole groups of four coordinates on vector lanes, up
 * to three more alone): a list gains nothing on rows this short. */
MS_ALWAYS_INLINE void MS_FN(add_bits)(const MS_TREE *t, const int64_t *buf, int64_t c0,
                                      uint64_t sel, double *MS_RESTRICT row,
                                      double *MS_RESTRICT W, int64_t d)
{
    double w = *W;
    const int64_t nv = d / 4, nt = d % 4;
    double tail[3] = {0.0, 0.0, 0.0};
    for (int64_t j = 0; j < nt; j++) tail[j] = row[4 * nv + j];
#ifdef MS_VECTORS
    ms_v4d v[3] = {{0.0}};
    for (int64_t k = 0; k < nv; k++) v[k] = MS_LOAD4(row + 4 * k);
#else
    double v[3][4] = {{0.0}};
    for (int64_t k = 0; k < nv; k++)
        for (int l = 0; l < 4; l++) v[k][l] = row[4 * k + l];
#endif
    while (sel) {
        const int64_t i = buf[c0 + ms_ctz64(sel)];
        sel &= sel - 1;
        const MS_T *MS_RESTRICT p = t->pts + i * d;
        const double wi = t->weights ? t->weights[i] : 1.0;
        w += wi;
        for (int64_t k = 0; k < nv; k++) {
#ifdef MS_VECTORS
            ms_v4d x = MS_LOAD4(p + 4 * k);
            if (t->weights) x *= wi;
            v[k] += x;
#else
            for (int l = 0; l < 4; l++)
                v[k][l] += t->weights ? wi * (double)p[4 * k + l] : (double)p[4 * k + l];
#endif
        }
        for (int64_t j = 0; j < nt; j++)
            tail[j] += t->weights ? wi * (double)p[4 * nv + j] : (double)p[4 * nv + j];
    }
    for (int64_t k = 0; k < nv; k++)
#ifdef MS_VECTORS
        MS_STORE4(row + 4 * k, v[k]);
#else
        for (int l = 0; l < 4; l++) row[4 * k + l] = v[k][l];
#endif
    for (int64_t j = 0; j < nt; j++) row[4 * nv + j] = tail[j];
    *W = w;
}

/* row (and *W) += the buffer's points c0 + (bits of sel), in order: the
 * same operations either way, a list only where rows are long. */
MS_ALWAYS_INLINE void MS_FN(add_selected)(const MS_TREE *t, const int64_t *buf,
                                          int64_t c0, uint64_t sel,
                                          MS_FN(point_list) * list,
                                          double *MS_RESTRICT row, double *MS_RESTRICT W,
                                          int64_t d)
{
    if (d < 16) {
        MS_FN(add_bits)(t, buf, c0, sel, row, W, d);
        return;
    }
    MS_FN(list_bits)(list, t, buf, c0, sel, d);
    MS_FN(add_points)(list, t->weights == NULL, row, W, d);
}

/* row += base - the sum of the buffer's points c0 + (bits of sel), and
 * *W += base_w - their weight (miss: d doubles of scratch). */
MS_ALWAYS_INLINE void MS_FN(add_rest)(const MS_TREE *t, const int64_t *buf, int64_t c0,
                                      uint64_t sel, MS_FN(point_list) * list,
                                      const double *MS_RESTRICT base, double base_w,
                                      double *MS_RESTRICT miss, double *MS_RESTRICT row,
                                      double *MS_RESTRICT W, int64_t d)
{
    double miss_w = 0.0;
    for (int64_t j = 0; j < d; j++) miss[j] = 0.0;
    MS_FN(add_selected)(t, buf, c0, sel, list, miss, &miss_w, d);
    *W += base_w - miss_w;
    for (int64_t j = 0; j < d; j++) row[j] += base[j] - miss[j];
}

/* Which of the seeds act[0..na) hold each buffered point, by the exact test
 * of every pair, into work->hits. */
MS_ALWAYS_INLINE void MS_FN(exact_hits)(MS_FN(points_query) * pq, const int64_t *act,
                                        int64_t na, int64_t d)
{
    const MS_TREE *t = pq->at.t;
    const int64_t m = pq->m;
    const double r2 = pq->r2;
    double *MS_RESTRICT acols = pq->work->acols;
    uint64_t *hits = pq->work->hits;
    for (int64_t q = 0; q < na; q++) {
        for (int64_t j = 0; j < d; j++) acols[j * na + q] = pq->cols[j * m + act[q]];
        for (int64_t i = 0; i < MS_HIT_WORDS; i++) hits[q * MS_HIT_WORDS + i] = 0;
    }
    for (int64_t b = 0; b < pq->nb; b++) {
        const MS_T *p = t->pts + pq->buf[b] * d;
        double r[MS_GROUP_MAX];
        for (int64_t q = 0; q < na; q++) r[q] = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double pj = (double)p[j];
            const double *sj = acols + j * na;
            for (int64_t q = 0; q < na; q++) {
                const double u = pj - sj[q];
                r[q] += u * u;
            }
        }
        for (int64_t q = 0; q < na; q++)
            hits[q * MS_HIT_WORDS + b / 64] |= (uint64_t)(r[q] <= r2) << (b % 64);
    }
}

/* The buffer's points against the seeds act[0..na), once work->hits says
 * which seed holds which point.  Stretches of MS_POINTS_STRETCH points go
 * one after the other (their rows stay in cache while every seed reads
 * them).  In each, a point that every seed of the group holds goes to the
 * shared sums; each other seed adds the points it holds, or, when it holds
 * most of them, the sum of them all less the sum of those it misses.  Points are
 * added in buffer order, so the sums depend only on the decisions. */
MS_ALWAYS_INLINE void MS_FN(settle_sums)(MS_FN(points_query) * pq, const int64_t *act,
                                         int64_t na, int64_t d)
{
    const MS_TREE *t = pq->at.t;
    const int64_t nb = pq->nb;
    const uint64_t *hits = pq->work->hits;
    double *rest_x = pq->work->rest_x;
    const int64_t stretch = MS_POINTS_STRETCH(d);
    MS_FN(point_list) list;
    for (int64_t c0 = 0; c0 < nb; c0 += stretch) {
        const int64_t len = nb - c0 < stretch ? nb - c0 : stretch;
        const uint64_t full = len == 64 ? ~0ull : (1ull << len) - 1;
        const uint64_t *word = hits + c0 / 64;
        const int shift = (int)(c0 % 64);
        uint64_t shared = na == pq->m ? full : 0;
        for (int64_t q = 0; q < na && shared; q++)
            shared &= word[q * MS_HIT_WORDS] >> shift;
        if (shared) {
            MS_FN(add_selected)(t, pq->buf, c0, shared, &list, pq->shared_x,
                                &pq->shared_w, d);
        }
        const uint64_t rest = full & ~shared;
        const int n_rest = ms_popcount64(rest);
        double rest_w = 0.0;
        int rest_ready = 0;
        for (int64_t q = 0; q < na && rest; q++) {
            const uint64_t held = (word[q * MS_HIT_WORDS] >> shift) & rest;
            if (held == 0) continue;
            const int64_t k = act[q];
            if (2 * ms_popcount64(held) <= n_rest) {
                MS_FN(add_selected)(t, pq->buf, c0, held, &list, pq->cx + k * d,
                                    pq->W + k, d);
                continue;
            }
            if (!rest_ready) {
                for (int64_t j = 0; j < d; j++) rest_x[j] = 0.0;
                MS_FN(add_selected)(t, pq->buf, c0, rest, &list, rest_x, &rest_w, d);
                rest_ready = 1;
            }
            MS_FN(add_rest)(t, pq->buf, c0, rest & ~held, &list, rest_x, rest_w,
                            pq->work->miss_x, pq->cx + k * d, pq->W + k, d);
        }
    }
}

/* Fewer than MS_SCREEN_MIN_D features: the reaching seeds gathered by
 * column, so that each point is measured and added one pass per feature
 * over contiguous lanes; each seed adds the points it holds in buffer
 * order.  Dense over the pairs: with rows this short, walking each seed's
 * points costs more than measuring and adding every pair on lanes. */
MS_ALWAYS_INLINE void MS_FN(settle_columns)(MS_FN(points_query) * pq, const int64_t *act,
                                            int64_t na, int64_t d)
{
    const MS_TREE *t = pq->at.t;
    const double r2 = pq->r2;
    const int64_t m = pq->m, nb = pq->nb;
    const ms_group_work *w = pq->work;
    double *MS_RESTRICT acols = w->acols, *MS_RESTRICT acx = w->acx;
    double *MS_RESTRICT aW = w->aW;
    /* Padded to a multiple of 4 with copies of the first seed, whose sums
     * are dropped. */
    const int64_t np = (na + 3) / 4 * 4;
    for (int64_t q = 0; q < np; q++) {
        const int64_t k = act[q < na ? q : 0];
        aW[q] = pq->W[k];
        for (int64_t j = 0; j < d; j++) {
            acols[j * np + q] = pq->cols[j * m + k];
            acx[j * np + q] = pq->cx[k * d + j];
        }
    }
    int tiled = 0;
#if defined(MS_AVX2_TARGET) && defined(MS_AVX512_TARGET)
    if (pq->avx512) {
        MS_FN(settle_tiles_avx512)(t, pq->buf, nb, acols, acx, aW, np, r2, d);
        tiled = 1;
    }
#endif
#ifdef MS_AVX2_TARGET
    if (!tiled && pq->avx2) {
        MS_FN(settle_tiles_avx2)(t, pq->buf, nb, acols, acx, aW, np, r2, d);
        tiled = 1;
    }
#endif
    if (!tiled)
        for (int64_t b = 0; b < nb; b++) {
            const int64_t i = pq->buf[b];
            const MS_T *p = t->pts + i * d;
            const double wi = t->weights ? t->weights[i] : 1.0;
            double r[MS_GROUP_MAX];
            for (int64_t q = 0; q < np; q++) r[q] = 0.0;
            for (int64_t j = 0; j < d; j++) {
                const double pj = (double)p[j];
                const double *sj = acols + j * np;
                for (int64_t q = 0; q < np; q++) {
                    const double u = pj - sj[q];
                    r[q] += u * u;
                }
            }
            for (int64_t q = 0; q < np; q++) {
                const double wq = r[q] <= r2 ? wi : 0.0;
                aW[q] += wq;
                r[q] = wq;
            }
            for (int64_t j = 0; j < d; j++) {
                const double pj = (double)p[j];
                double *xj = acx + j * np;
                for (int64_t q = 0; q < np; q++) xj[q] += r[q] * pj;
            }
        }
    for (int64_t q = 0; q < na; q++) {
        const int64_t k = act[q];
        pq->W[k] = aW[q];
        for (int64_t j = 0; j < d; j++) pq->cx[k * d + j] = acx[j * np + q];
    }
}

MS_ALWAYS_INLINE void MS_FN(settle_buffer)(MS_FN(points_query) * pq, int64_t d)
{
    const double *cols = pq->cols;
    const int64_t m = pq->m;
    const ms_group_work *w = pq->work;
    int64_t act[MS_GROUP_MAX], na = 0;
    for (int64_t k = 0; k < m; k++)
        if (ms_point_box_reach(cols + k, m, w->blo, w->bhi, d).near2 <= pq->r2)
            act[na++] = k;
    if (na > 0 && d < MS_SCREEN_MIN_D) {
        MS_FN(settle_columns)(pq, act, na, d);
    } else if (na > 0) {
#ifdef MS_AVX2_TARGET
        if (!pq->avx2 || !MS_FN(screen_hits)(pq->at.t, pq->buf, pq->nb, cols, m, act, na,
                                             pq->r2, pq->work, pq->avx512, d))
#endif
            MS_FN(exact_hits)(pq, act, na, d);
        MS_FN(settle_sums)(pq, act, na, d);
    }
    pq->nb = 0;
}

/* One point of a leaf, its bounds against the group box (near2, far2)
 * taken: skipped, added to the shared sums, or buffered. */
MS_ALWAYS_INLINE void MS_FN(route_point)(MS_FN(points_query) * pq, int64_t i,
                                         double near2, double far2, int64_t d)
{
    const MS_TREE *t = pq->at.t;
    if (near2 > pq->r2) return;
    const MS_T *p = t->pts + i * d;
    if (far2 <= pq->r2) {
        const double wi = t->weights ? t->weights[i] : 1.0;
        double *shared_x = pq->shared_x;
        pq->shared_w += wi;
        for (int64_t j = 0; j < d; j++) shared_x[j] += wi * (double)p[j];
        return;
    }
    double *blo = pq->work->blo, *bhi = pq->work->bhi;
    if (pq->nb == 0)
        for (int64_t j = 0; j < d; j++) blo[j] = bhi[j] = (double)p[j];
    else
        for (int64_t j = 0; j < d; j++) {
            const double x = (double)p[j];
            blo[j] = x < blo[j] ? x : blo[j];
            bhi[j] = x > bhi[j] ? x : bhi[j];
        }
    pq->buf[pq->nb++] = i;
    if (pq->nb == MS_POINTS_BUF) MS_FN(settle_buffer)(pq, d);
}

#ifdef MS_AVX2_TARGET
/* The points [start, end) of a leaf routed as route_point routes them,
 * their bounds taken four points at a time on the lanes (a 4 x 4 transpose
 * of their rows), each lane adding its terms in increasing j with the
 * scalar loop's operations: the same bounds, so the same routes, at a
 * quarter of the scalar loop's dependent adds. */
MS_AVX2_TARGET static void MS_FN(route_leaf_avx2)(MS_FN(points_query) * pq, int64_t start,
                                                  int64_t end, int64_t d)
{
    const MS_TREE *t = pq->at.t;
    const double *glo = pq->at.glo, *ghi = pq->at.ghi;
    const __m256d zero = _mm256_setzero_pd();
    for (int64_t i0 = start; i0 < end; i0 += 4) {
        const int64_t nq = end - i0 < 4 ? end - i0 : 4;
        const MS_T *p[4];
        for (int64_t k = 0; k < 4; k++) p[k] = t->pts + (i0 + (k < nq ? k : nq - 1)) * d;
        __m256d near2 = zero, far2 = zero;
#define MS_ROUTE_TERM(x, j)                                                              \
    do {                                                                                 \
        const __m256d lo_ = _mm256_set1_pd(glo[j]), hi_ = _mm256_set1_pd(ghi[j]);        \
        const __m256d near_ = _mm256_max_pd(                                             \
            _mm256_max_pd(_mm256_sub_pd(lo_, x), _mm256_sub_pd(x, hi_)), zero);          \
        const __m256d far_ =                                                             \
            _mm256_max_pd(_mm256_sub_pd(hi_, x), _mm256_sub_pd(x, lo_));                 \
        near2 = _mm256_add_pd(near2, _mm256_mul_pd(near_, near_));                       \
        far2 = _mm256_add_pd(far2, _mm256_mul_pd(far_, far_));                           \
    } while (0)
        int64_t j = 0;
        for (; j + 4 <= d; j += 4) {
            const __m256d r0 = MS_FN(load4)(p[0] + j), r1 = MS_FN(load4)(p[1] + j);
            const __m256d r2 = MS_FN(load4)(p[2] + j), r3 = MS_FN(load4)(p[3] + j);
            const __m256d t0 = _mm256_unpacklo_pd(r0, r1),
                          t1 = _mm256_unpackhi_pd(r0, r1);
            const __m256d t2 = _mm256_unpacklo_pd(r2, r3),
                          t3 = _mm256_unpackhi_pd(r2, r3);
            const __m256d c0 = _mm256_permute2f128_pd(t0, t2, 0x20);
            const __m256d c1 = _mm256_permute2f128_pd(t1, t3, 0x20);
            const __m256d c2 = _mm256_permute2f128_pd(t0, t2, 0x31);
            const __m256d c3 = _mm256_permute2f128_pd(t1, t3, 0x31);
            MS_ROUTE_TERM(c0, j);
            MS_ROUTE_TERM(c1, j + 1);
            MS_ROUTE_TERM(c2, j + 2);
            MS_ROUTE_TERM(c3, j + 3);
        }
        for (; j < d; j++) {
            const __m256d c = _mm256_set_pd((double)p[3][j], (double)p[2][j],
                                            (double)p[1][j], (double)p[0][j]);
            MS_ROUTE_TERM(c, j);
        }
#undef MS_ROUTE_TERM
        double n2[4], f2[4];
        _mm256_storeu_pd(n2, near2);
        _mm256_storeu_pd(f2, far2);
        for (int64_t k = 0; k < nq; k++) MS_FN(route_point)(pq, i0 + k, n2[k], f2[k], d);
    }
}
#endif

MS_ALWAYS_INLINE int MS_FN(points_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(points_query) *pq = query;
    const MS_TREE *t = pq->at.t;
    const double *glo = pq->at.glo, *ghi = pq->at.ghi;
    const double r2 = pq->r2;
    if (g.near2 > r2) return 0;
    if (g.far2 <= r2) {
        const double *s = t->wx + nid * d;
        double *shared_x = pq->shared_x;
        pq->shared_w += t->wsum[nid];
        for (int64_t j = 0; j < d; j++) shared_x[j] += s[j];
        return 0;
    }
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0) return 1;
#ifdef MS_AVX2_TARGET
    if (pq->avx2) {
        MS_FN(route_leaf_avx2)(pq, nd->start, nd->end, d);
        return 0;
    }
#endif
    const MS_T *p = t->pts + nd->start * d;
    for (int64_t i = nd->start; i < nd->end; i++, p += d) {
        double near2 = 0.0, far2 = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double x = (double)p[j];
            const ms_gap gj = ms_gap_reach(x, x, glo[j], ghi[j]);
            near2 += gj.near2;
            far2 += gj.far2;
        }
        MS_FN(route_point)(pq, i, near2, far2, d);
    }
    return 0;
}

/* A node against the group: by the balls where they decide (a node whose
 * ball lies inside every seed's ball taken whole, one outside all of them
 * skipped), else by the boxes. */
MS_ALWAYS_INLINE ms_gap MS_FN(points_reach)(void *query, int64_t nid, int64_t d)
{
    const MS_FN(points_query) *pq = query;
    const MS_TREE *t = pq->at.t;
    if (pq->gc != NULL) {
        const double dist = ms_centre_dist(t->bc + nid * d, pq->gc, d);
        const int v = ms_ball_verdict(&pq->balls, dist, t->br[nid] + pq->rho);
        if (v != 0) {
            const double far = v > 0 ? 0.0 : INFINITY;
            const ms_gap g = {far, far};
            return g;
        }
    }
    return MS_FN(box_reach)(query, nid, d);
}

/* The ball of the m seeds (columns of cols, stride m): their mean, into gc,
 * and their farthest distance from it, inflated. */
MS_ALWAYS_INLINE double MS_FN(seeds_ball)(const double *cols, int64_t m, double *gc,
                                          int64_t d)
{
    for (int64_t j = 0; j < d; j++) {
        double s = 0.0;
        for (int64_t k = 0; k < m; k++) s += cols[j * m + k];
        gc[j] = s / (double)m;
    }
    double far2 = 0.0;
    for (int64_t k = 0; k < m; k++) {
        double s = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double u = cols[j * m + k] - gc[j];
            s += u * u;
        }
        far2 = s > far2 ? s : far2;
    }
    return sqrt(far2) * (1.0 + MS_BALL_SLACK(d));
}

MS_SIMD_CLONES static void MS_FN(group_points)(const MS_TREE *t, const double *glo,
                                               const double *ghi, int64_t m, double r2,
                                               const double *cols, double *W, double *cx,
                                               double *shared_w, double *shared_x,
                                               ms_group_work *work)
{
    /* the members not named start at zero: no ball, an empty buffer */
    MS_FN(points_query)
    pq = {{t, glo, ghi}, m, r2, cols, W, cx, *shared_w, shared_x, work};
    if (t->bc != NULL && ms_ball_test_init(&pq.balls, r2, t->d)) {
        pq.rho = MS_FN(seeds_ball)(cols, m, work->gc, t->d);
        pq.gc = work->gc;
    }
#ifdef MS_AVX2_TARGET
    pq.avx2 = t->weights == NULL && MS_CPU_HAS_AVX2();
#ifdef MS_AVX512_TARGET
    pq.avx512 = pq.avx2 && MS_CPU_HAS_AVX512();
#endif
#endif
    MS_FN(tree_walk)(t, &pq, MS_FN(points_reach), MS_FN(points_visit), 0, t->d);
    if (pq.nb > 0) MS_FN(settle_buffer)(&pq, t->d);
    *shared_w = pq.shared_w;
}

void MS_FN(ms__group_sum_flat)(const MS_TREE *t, const double *soa, const double *glo,
                               const double *ghi, const double *pos, int64_t m, double r2,
                               ms_group_work *work)
{
    const int64_t d = t->d;
    double *W = work->W, *WX = work->WX, *cols = work->cols, *shared_x = work->shared_x;
    double shared_w = 0.0;
    for (int64_t j = 0; j < d; j++) shared_x[j] = 0.0;
    for (int64_t k = 0; k < m; k++)
        for (int64_t j = 0; j < d; j++) cols[j * m + k] = pos[k * d + j];
    if (d > MS_SOA_MAX_D) {
        double *cx = work->cx;
        for (int64_t k = 0; k < m; k++) W[k] = 0.0;
        for (int64_t i = 0; i < m * d; i++) cx[i] = 0.0;
        MS_FN(group_points)(t, glo, ghi, m, r2, cols, W, cx, &shared_w, shared_x, work);
        for (int64_t k = 0; k < m; k++) {
            W[k] += shared_w;
            for (int64_t j = 0; j < d; j++) WX[k * d + j] = cx[k * d + j] + shared_x[j];
        }
        return;
    }
    const int64_t stride = MS_SEED_SUMS_STRIDE(d);
    double acc[MS_GROUP_MAX * 8]; /* the seed sums, a row per seed */
    for (int64_t i = 0; i < m * stride; i++) acc[i] = 0.0;
#ifdef MS_AVX2_TARGET
    if (MS_CPU_HAS_AVX2())
        MS_FN(group_blocks_avx2)(t, soa, glo, ghi, m, r2, cols, acc, &shared_w, shared_x);
    else
#endif
        MS_FN(group_blocks)(t, soa, glo, ghi, m, r2, cols, acc, &shared_w, shared_x);
    for (int64_t k = 0; k < m; k++) {
        W[k] = acc[k * stride + d] + shared_w;
        for (int64_t j = 0; j < d; j++) WX[k * d + j] = acc[k * stride + j] + shared_x[j];
    }
}
