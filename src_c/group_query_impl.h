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

#define MS_BLOCKS_FN MS_FN(group_blocks)
#define MS_BLOCKS_FN_D MS_FN(group_blocks_d)
#define MS_BLOCK_OP(step) step
#define MS_BLOCK_SCREEN ms_no_screen
#define MS_BLOCKS_TARGET MS_SIMD_CLONES
#include "group_blocks_impl.h"

#ifdef MS_AVX2_TARGET
#define MS_BLOCKS_FN MS_FN(group_blocks_avx2)
#define MS_BLOCKS_FN_D MS_FN(group_blocks_avx2_d)
#define MS_BLOCK_OP(step) step##_avx2
#define MS_BLOCK_SCREEN ms_seed_screen
#define MS_BLOCKS_TARGET MS_AVX2_TARGET
#include "group_blocks_impl.h"
#endif

/* Beyond MS_SOA_MAX_D features: the data tree's points one by one against
 * the group box, and each undecided point seed by seed, one pass per
 * feature over the seeds' columns (on SIMD lanes; each seed's sums keep
 * their order).  The seeds' own sums go to W and, by column, to cx. */
MS_SIMD_CLONES static void MS_FN(group_points)(const MS_TREE *t, const double *glo,
                                               const double *ghi, int64_t m, double r2,
                                               const double *cols, double *W, double *cx,
                                               double *shared_w, double *shared_x)
{
    const int64_t d = t->d;
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        const ms_gap g = MS_FN(node_box_reach)(t, nid, glo, ghi, d);
        if (g.near2 > r2) continue;
        if (g.far2 <= r2) {
            const double *s = t->wx + nid * d;
            *shared_w += t->wsum[nid];
            for (int64_t j = 0; j < d; j++) shared_x[j] += s[j];
            continue;
        }
        const ms_node *nd = &t->nodes[nid];
        if (nd->left >= 0) {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
            continue;
        }
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
                *shared_w += wi;
                for (int64_t j = 0; j < d; j++) shared_x[j] += wi * (double)p[j];
                continue;
            }
            double r[MS_GROUP_MAX];
            for (int64_t k = 0; k < m; k++) r[k] = 0.0;
            for (int64_t j = 0; j < d; j++) {
                const double pj = (double)p[j];
                const double *sj = cols + j * m;
                for (int64_t k = 0; k < m; k++) {
                    const double u = pj - sj[k];
                    r[k] += u * u;
                }
            }
            for (int64_t k = 0; k < m; k++) {
                const double wk = r[k] <= r2 ? wi : 0.0;
                W[k] += wk;
                r[k] = wk;
            }
            for (int64_t j = 0; j < d; j++) {
                const double pj = (double)p[j];
                double *xj = cx + j * m;
                for (int64_t k = 0; k < m; k++) xj[k] += r[k] * pj;
            }
        }
    }
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
        MS_FN(group_points)(t, glo, ghi, m, r2, cols, W, cx, &shared_w, shared_x);
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
