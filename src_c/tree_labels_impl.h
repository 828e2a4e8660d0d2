/*
 * tree_labels_impl.h - the nearest centre of every point of a k-d tree,
 * leaf by leaf (included by centers.c through ms_instantiate.h).
 *
 * For one leaf, the centre whose farthest squared distance to the leaf's
 * box is smallest bounds every point's nearest distance; a centre whose
 * nearest squared distance to the box exceeds that bound is farther from
 * every point of the leaf, as computed (bounds.h), so it can be neither
 * the nearest centre nor tied with it.  The others are scanned as
 * nearest_brute scans all of them, in index order, ties to the lower
 * index: the labels are those of ms_nearest_center, point by point.
 */

#include "node_bounds_impl.h"

static ms_status MS_FN(tree_labels)(const MS_TREE *t, const double *centers, int64_t k,
                                    double r2, const ms_config *cfg, int64_t *labels,
                                    double *sq_dist)
{
    const int64_t d = t->d;
    if (k < 1 || centers == NULL || labels == NULL) return MS_ERR_INVALID;
    if (t->n == 0) return MS_OK;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    int64_t *leaves = ms_alloc(&rt, (size_t)t->n_nodes, sizeof(int64_t));
    if (leaves == NULL) return MS_ERR_NOMEM;
    int64_t n_leaves = 0;
    for (int64_t nid = 0; nid < t->n_nodes; nid++)
        if (t->nodes[nid].left == -1) leaves[n_leaves++] = nid;
    ms_loop loop;
    ms_loop_init(&loop, &rt, t->n, 1);
    MS_OMP(parallel num_threads(ms_num_threads(cfg)))
    {
        /* per thread: the candidates' ids, their nearest bounds, a point */
        double *space = ms_loop_scratch(&loop, (size_t)(2 * k + d), sizeof(double));
        int64_t *cand = (int64_t *)space;
        double *near2 = space ? space + k : NULL, *q = near2 ? near2 + k : NULL;
        int64_t mine = 0;
        int64_t l;
        MS_OMP(for schedule(dynamic, 4))
        for (l = 0; l < n_leaves; l++) {
            if (ms_loop_halted(&loop, space)) continue;
            const ms_node *nd = &t->nodes[leaves[l]];
            double bound = INFINITY;
            for (int64_t c = 0; c < k; c++) {
                const ms_gap g = MS_FN(node_reach)(t, leaves[l], centers + c * d, d);
                near2[c] = g.near2;
                bound = g.far2 < bound ? g.far2 : bound;
            }
            int64_t m = 0;
            for (int64_t c = 0; c < k; c++)
                if (near2[c] <= bound) cand[m++] = c;
            for (int64_t i = nd->start; i < nd->end; i++) {
                for (int64_t j = 0; j < d; j++) q[j] = (double)t->pts[i * d + j];
                /* no candidate only where bounds are NaN: bd stays inf */
                int64_t best = m > 0 ? cand[0] : 0;
                double bd = INFINITY;
                for (int64_t a = 0; a < m; a++) {
                    const double *MS_RESTRICT p = centers + cand[a] * d;
                    double s = 0.0;
                    for (int64_t j = 0; j < d; j++) {
                        const double y = p[j] - q[j];
                        s += y * y;
                    }
                    const int closer = s < bd;
                    best = closer ? cand[a] : best;
                    bd = closer ? s : bd;
                }
                /* every distance overflowed: centres.c's rule (the candidates
                 * are every centre then) */
                const int left_out = r2 >= 0.0 && bd > r2;
                if (!left_out && !(bd < INFINITY)) best = nearest_far(centers, k, d, q);
                const int64_t row = t->index[i];
                labels[row] = left_out ? -1 : best;
                if (sq_dist) sq_dist[row] = bd;
            }
            ms_loop_tick(&loop, nd->end - nd->start, &mine);
        }
        ms_free(space);
    }
    ms_free(leaves);
    return ms_loop_status(&loop);
}

ms_status MS_FN(ms_tree_nearest_center)(const MS_TREE *tree, const double *centers,
                                        int64_t k, double r2, const ms_config *cfg,
                                        int64_t *labels, double *sq_dist)
{
    if (tree == NULL) return MS_ERR_INVALID;
    return MS_FN(tree_labels)(tree, centers, k, r2, cfg, labels, sq_dist);
}
