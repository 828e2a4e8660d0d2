/*
 * group_blocks_impl.h - the group query up to MS_SOA_MAX_D features, for
 * one set of block steps (block_sums.h or block_sums_avx2.h).
 *
 * group_query_impl.h includes this file once per set, with:
 *   MS_BLOCKS_FN, MS_BLOCKS_FN_D, MS_BLOCKS_VISIT  the names of the
 *                                 function, of its body for a constant d
 *                                 and of its visit (tree_walk_impl.h),
 *   MS_BLOCK_OP(step)             the set's name of a step,
 *   MS_BLOCK_SCREEN               the set's seed screen type,
 *   MS_BLOCKS_INLINE              how the set's inner functions are
 *                                 declared: forced inline, with the
 *                                 set's target where it has one,
 *   MS_BLOCKS_TARGET              the entry point's target attribute
 *                                 (AVX2, or clones, or nothing).
 *
 * Data nodes of at most MS_BLOCK_POINTS points (blocks) are measured point
 * by point against the group box on SIMD lanes and routed: decided points
 * go to the shared sums, undecided ones to a buffer.  Each seed is then
 * measured against the box of the buffered points: seeds whose ball holds
 * it take them all, the others that reach it test them one by one.
 */

MS_BLOCKS_INLINE int MS_BLOCKS_VISIT(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(blocks_query) *bq = query;
    const MS_TREE *t = bq->at.t;
    const double *glo = bq->at.glo, *ghi = bq->at.ghi, *soa = bq->soa, *cols = bq->cols;
    const double r2 = bq->r2;
    const int64_t n = t->n, m = bq->m;
    const MS_BLOCK_SCREEN *screen = bq->screen;
    double *shared_x = bq->shared_x;
    if (g.near2 > r2) return 0;
    if (g.far2 <= r2) {
        const double *s = t->wx + nid * d;
        bq->shared_w += t->wsum[nid];
        for (int64_t j = 0; j < d; j++) shared_x[j] += s[j];
        return 0;
    }
    const ms_node *nd = &t->nodes[nid];
    if (nd->left >= 0 && nd->end - nd->start > MS_BLOCK_POINTS) return 1;
    double undecided[MS_SOA_MAX_D + 1][MS_UNDECIDED_BUF]; /* by column, then weight */
    int64_t all[MS_GROUP_MAX], some[MS_GROUP_MAX];
    for (int64_t c = nd->start; c < nd->end; c += MS_UNDECIDED_BUF) {
        const int64_t len =
            nd->end - c < MS_UNDECIDED_BUF ? nd->end - c : MS_UNDECIDED_BUF;
        double near2[MS_UNDECIDED_BUF], far2[MS_UNDECIDED_BUF];
#if defined(_OPENMP) && _OPENMP >= 201307
#pragma omp simd
#endif
        for (int64_t i = 0; i < len; i++) {
            const ms_gap p = ms_point_box_reach(soa + c + i, n, glo, ghi, d);
            near2[i] = p.near2;
            far2[i] = p.far2;
        }
        double inside[MS_SOA_MAX_D + 1]; /* coordinates, then weight */
        const int64_t nb = MS_BLOCK_OP(ms_route)(soa, n, t->weights, c, len, near2, far2,
                                                 r2, undecided, inside, d);
        for (int64_t j = 0; j < d; j++) shared_x[j] += inside[j];
        bq->shared_w += inside[d];
        if (nb == 0) continue;
        double blo[MS_SOA_MAX_D], bhi[MS_SOA_MAX_D];
        MS_BLOCK_OP(ms_buffer_box)(undecided, nb, blo, bhi, d);
        int64_t n_all, n_some;
        MS_BLOCK_OP(ms_block_sides)(cols, m, blo, bhi, r2, screen, all, &n_all, some,
                                    &n_some, d);
        if (n_all > 0) MS_BLOCK_OP(ms_add_whole)(undecided, nb, all, n_all, bq->acc, d);
        if (n_some > 0)
            MS_BLOCK_OP(ms_subset_sums)(undecided, nb, cols, m, some, n_some, screen,
                                        bq->acc, r2, d);
    }
    return 0;
}

MS_BLOCKS_INLINE void MS_BLOCKS_FN_D(const MS_TREE *t, const double *soa,
                                     const double *glo, const double *ghi, int64_t m,
                                     double r2, const double *cols, double *acc,
                                     double *shared_w, double *shared_x, const int64_t d)
{
    MS_BLOCK_SCREEN screen;
    MS_BLOCK_OP(ms_screen_init)(&screen, cols, m, glo, ghi, d);
    MS_FN(blocks_query)
    bq = {{t, glo, ghi}, soa, m, r2, cols, acc, *shared_w, shared_x, &screen};
    MS_FN(tree_walk)(t, &bq, MS_FN(box_reach), MS_BLOCKS_VISIT, 0, d);
    *shared_w = bq.shared_w;
}

MS_BLOCKS_TARGET static void MS_BLOCKS_FN(const MS_TREE *t, const double *soa,
                                          const double *glo, const double *ghi, int64_t m,
                                          double r2, const double *cols, double *acc,
                                          double *shared_w, double *shared_x)
{
    switch (t->d) {
    case 1:
        MS_BLOCKS_FN_D(t, soa, glo, ghi, m, r2, cols, acc, shared_w, shared_x, 1);
        break;
    case 2:
        MS_BLOCKS_FN_D(t, soa, glo, ghi, m, r2, cols, acc, shared_w, shared_x, 2);
        break;
    case 3:
        MS_BLOCKS_FN_D(t, soa, glo, ghi, m, r2, cols, acc, shared_w, shared_x, 3);
        break;
    default:
        MS_BLOCKS_FN_D(t, soa, glo, ghi, m, r2, cols, acc, shared_w, shared_x, 4);
        break;
    }
}

#undef MS_BLOCKS_FN
#undef MS_BLOCKS_FN_D
#undef MS_BLOCKS_VISIT
#undef MS_BLOCK_OP
#undef MS_BLOCK_SCREEN
#undef MS_BLOCKS_TARGET
#undef MS_BLOCKS_INLINE
