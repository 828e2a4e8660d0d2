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

/* Beyond MS_SOA_MAX_D features: the data tree's points one by one against
 * the group box.  The undecided points are buffered in walk order, up to
 * MS_POINTS_BUF at a time (leaves hold few of them), and each buffer is
 * settled against only the seeds whose balls reach its box: the others
 * would add zeros to their sums, which leaves them bitwise unchanged (a
 * sum that starts at +0.0 never becomes -0.0).  The reaching seeds are
 * gathered by column, so that each point is measured and added one pass
 * per feature over contiguous lanes; each seed's sums keep the order of
 * the points.  The seeds' own sums go to W and, by column, to cx. */
typedef struct MS_FN(points_query) {
    MS_FN(at_box) at;
    int64_t m;
    double r2;
    const double *cols;
    double *W, *cx;
    double shared_w, *shared_x;
    ms_group_work *work;
    int64_t buf[MS_POINTS_BUF]; /* the buffered points, in walk order */
    int64_t nb;
    int avx2; /* settle buffers with MS_FN(settle_avx2) */
} MS_FN(points_query);

#ifdef MS_AVX2_TARGET
/* The buffer's sums for np (a multiple of 4) gathered seeds, by tiles of
 * four seeds and four points held in AVX2 registers: one load of a tile's
 * coordinates or sums serves four points, where the portable loop loads
 * and stores them per point.  Every seed adds the points one after the
 * other, in buffer order, with the portable loop's operations (no fused
 * multiply-add), so both give the same bits.  A missing last point
 * repeats the one before with weight 0, which adds zeros. */
MS_AVX2_TARGET static void MS_FN(settle_avx2)(const MS_TREE *t, const int64_t *buf,
                                              int64_t nb, const double *acols,
                                              double *acx, double *aW, int64_t np,
                                              double r2, int64_t d)
{
    const __m256d vr2 = _mm256_set1_pd(r2), zero = _mm256_setzero_pd();
    for (int64_t b0 = 0; b0 < nb; b0 += 4) {
        const MS_T *p[4];
        __m256d wp[4];
        for (int b = 0; b < 4; b++) {
            const int64_t i = buf[b0 + b < nb ? b0 + b : nb - 1];
            p[b] = t->pts + i * d;
            wp[b] = _mm256_set1_pd(b0 + b >= nb ? 0.0 : t->weights ? t->weights[i] : 1.0);
        }
        for (int64_t q0 = 0; q0 < np; q0 += 4) {
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
                r[b] = _mm256_and_pd(hit, wp[b]);
            }
            /* No point of the four in any of the four balls: the sums
             * would only take zeros. */
            if (_mm256_movemask_pd(in) == 0) continue;
            __m256d w = _mm256_loadu_pd(aW + q0);
            for (int b = 0; b < 4; b++) w = _mm256_add_pd(w, r[b]);
            _mm256_storeu_pd(aW + q0, w);
            for (int64_t j = 0; j < d; j++) {
                double *xs = acx + j * np + q0;
                __m256d sum = _mm256_loadu_pd(xs);
                for (int b = 0; b < 4; b++)
                    sum = _mm256_add_pd(
                        sum, _mm256_mul_pd(r[b], _mm256_set1_pd((double)p[b][j])));
                _mm256_storeu_pd(xs, sum);
            }
        }
    }
}
#endif

MS_ALWAYS_INLINE void MS_FN(settle_buffer)(MS_FN(points_query) * pq, int64_t d)
{
    const MS_TREE *t = pq->at.t;
    const double *cols = pq->cols;
    const double r2 = pq->r2;
    const int64_t m = pq->m;
    const ms_group_work *w = pq->work;
    double *MS_RESTRICT acols = w->acols, *MS_RESTRICT acx = w->acx;
    double *MS_RESTRICT aW = w->aW;
    int64_t act[MS_GROUP_MAX], na = 0;
    for (int64_t k = 0; k < m; k++)
        if (ms_point_box_reach(cols + k, m, w->blo, w->bhi, d).near2 <= r2) act[na++] = k;
    const int64_t nb = pq->nb;
    pq->nb = 0;
    if (na == 0) return;
    /* Padded to a multiple of 4 with copies of the first seed, whose sums
     * are dropped. */
    const int64_t np = (na + 3) / 4 * 4;
    for (int64_t q = 0; q < np; q++) {
        const int64_t k = act[q < na ? q : 0];
        aW[q] = pq->W[k];
        for (int64_t j = 0; j < d; j++) {
            acols[j * np + q] = cols[j * m + k];
            acx[j * np + q] = pq->cx[j * m + k];
        }
    }
#ifdef MS_AVX2_TARGET
    if (pq->avx2)
        MS_FN(settle_avx2)(t, pq->buf, nb, acols, acx, aW, np, r2, d);
    else
#endif
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
    for (int64_t q = 0; q < na; q++) pq->W[act[q]] = aW[q];
    for (int64_t j = 0; j < d; j++)
        for (int64_t q = 0; q < na; q++) pq->cx[j * m + act[q]] = acx[j * np + q];
}

MS_ALWAYS_INLINE int MS_FN(points_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(points_query) *pq = query;
    const MS_TREE *t = pq->at.t;
    const double *glo = pq->at.glo, *ghi = pq->at.ghi;
    const double r2 = pq->r2;
    double *shared_x = pq->shared_x;
    double *blo = pq->work->blo, *bhi = pq->work->bhi;
    if (g.near2 > r2) return 0;
    if (g.far2 <= r2) {
        const double *s = t->wx + nid * d;
        pq->shared_w += t->wsum[nid];
        for (int64_t j = 0; j < d; j++) shared_x[j] += s[j];
        return 0;
    }
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0) return 1;
    const MS_T *p = t->pts + nd->start * d;
    for (int64_t i = nd->start; i < nd->end; i++, p += d) {
        const double wi = t->weights ? t->weights[i] : 1.0;
        double near2 = 0.0, far2 = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double x = (double)p[j];
            const ms_gap gj = ms_gap_reach(x, x, glo[j], ghi[j]);
            near2 += gj.near2;
            far2 += gj.far2;
        }
        if (near2 > r2) continue;
        if (far2 <= r2) {
            pq->shared_w += wi;
            for (int64_t j = 0; j < d; j++) shared_x[j] += wi * (double)p[j];
            continue;
        }
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
    return 0;
}

MS_SIMD_CLONES static void MS_FN(group_points)(const MS_TREE *t, const double *glo,
                                               const double *ghi, int64_t m, double r2,
                                               const double *cols, double *W, double *cx,
                                               double *shared_w, double *shared_x,
                                               ms_group_work *work)
{
    MS_FN(points_query)
    pq = {{t, glo, ghi}, m, r2, cols, W, cx, *shared_w, shared_x, work, {0}, 0, 0};
#ifdef MS_AVX2_TARGET
    pq.avx2 = MS_CPU_HAS_AVX2();
#endif
    MS_FN(tree_walk)(t, &pq, MS_FN(box_reach), MS_FN(points_visit), 0, t->d);
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
        for (int64_t k = 0; k < m; k++) {
            W[k] = 0.0;
            for (int64_t j = 0; j < d; j++) cx[j * m + k] = 0.0;
        }
        MS_FN(group_points)(t, glo, ghi, m, r2, cols, W, cx, &shared_w, shared_x, work);
        for (int64_t k = 0; k < m; k++) {
            W[k] += shared_w;
            for (int64_t j = 0; j < d; j++) WX[k * d + j] = cx[j * m + k] + shared_x[j];
        }
        return;
    }
    const int64_t stride = MS_SEED_SUMS_STRIDE(d);
    double acc[MS_GROUP_MAX * 8]; /* the seed sums, a row per seed */
    for (int64_t i = 0; i < m * stride; i++) acc[i] = 0.0;
#ifdef MS_AVX2_TARGET
    if (t->weights == NULL && MS_CPU_HAS_AVX2())
        MS_FN(group_blocks_avx2)(t, soa, glo, ghi, m, r2, cols, acc, &shared_w, shared_x);
    else
#endif
        MS_FN(group_blocks)(t, soa, glo, ghi, m, r2, cols, acc, &shared_w, shared_x);
    for (int64_t k = 0; k < m; k++) {
        W[k] = acc[k * stride + d] + shared_w;
        for (int64_t j = 0; j < d; j++) WX[k * d + j] = acc[k * stride + j] + shared_x[j];
    }
}
