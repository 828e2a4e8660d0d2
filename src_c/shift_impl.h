/*
 * shift_impl.h - the mean-shift loop over seeds, written once for both
 * precisions (included by shift.c with MS_T, MS_TREE and MS_FN defined).
 */

#include "step_impl.h"

/* One seed, counted the way scikit-learn counts: the iteration counter
 * starts at 0 and the loop ends on convergence or when the counter equals
 * max_iter, after that step's mean was taken. */
static void MS_FN(shift_one)(const MS_TREE *t, const double *soa, const double *seed,
                             const ms_shift_params *p, double r2, double *MS_RESTRICT cur,
                             double *MS_RESTRICT wx, double *intensity, int64_t *n_iter,
                             unsigned char *converged)
{
    const int64_t d = t->d;
    int64_t it = 0;
    double mass = 0.0;
    ms_step_state state;
    for (int64_t j = 0; j < d; j++) cur[j] = seed[j];
    for (;;) {
        double w, base = 0.0;
        /* Gaussian weights are taken relative to the nearest weighted
         * point's, so that a seed far from the data still moves towards it. */
        if (p->kernel == MS_KERNEL_GAUSSIAN) base = MS_FN(ms__gaussian_base)(t, cur);
        MS_FN(ms__kernel_sum)(t, soa, cur, p->kernel, p->bandwidth, r2, p->gaussian_tol,
                              base, &w, wx);
        state = MS_FN(ms__step)(p, base, w, wx, d, cur, &mass, &it);
        if (state != MS_STEP_MOVING) break;
    }
    *intensity = mass;
    *n_iter = it;
    *converged = state == MS_STEP_CONVERGED;
}

/* Flat kernel, many seeds: all seeds advance one step per round, in groups
 * of nearby seeds (the leaves of a k-d tree over their current positions)
 * that share one traversal of the data tree.  The steps are those of
 * shift_one; only the order of summation differs. */
static ms_status MS_FN(shift_grouped)(const MS_TREE *t, const double *seeds,
                                      int64_t n_seeds, const ms_shift_params *p,
                                      ms_runtime *rt, double *means, double *intensity,
                                      int64_t *n_iter, unsigned char *converged)
{
    const int64_t d = t->d;
    const double r2 = ms_flat_radius_sq(p->bandwidth);
    const int few_seeds = n_seeds <= t->n / MS_SPLIT_POINTS_PER_SEED;
    int64_t *act = ms_alloc(rt, (size_t)n_seeds, sizeof(int64_t));
    double *pos = ms_alloc(rt, (size_t)(n_seeds * d), sizeof(double));
    double *W = ms_alloc(rt, (size_t)n_seeds, sizeof(double));
    double *WX = ms_alloc(rt, (size_t)(n_seeds * d), sizeof(double));
    int64_t *leaves = ms_alloc(rt, (size_t)n_seeds, sizeof(int64_t));
    /* per active seed: 0, or 1 + its state after the steps it took alone */
    unsigned char *stepped = ms_alloc(rt, (size_t)n_seeds, 1);
    /* Leaf points are measured against a group's box on SIMD lanes. */
    double *soa = d <= MS_SOA_MAX_D ? MS_FN(ms__column_copy)(t, rt) : NULL;
    ms_status st = MS_ERR_NOMEM;
    if (!act || !pos || !W || !WX || !leaves || !stepped || (d <= MS_SOA_MAX_D && !soa))
        goto done;
    memset(stepped, 0, (size_t)n_seeds);
    for (int64_t k = 0; k < n_seeds; k++) {
        act[k] = k;
        n_iter[k] = 0;
        intensity[k] = 0.0;
        if (converged) converged[k] = 0;
        for (int64_t j = 0; j < d; j++) means[k * d + j] = seeds[k * d + j];
    }
    int64_t n_act = n_seeds, finished = 0, rounds = 0;
    while (n_act > 0) {
        for (int64_t a = 0; a < n_act; a++)
            for (int64_t j = 0; j < d; j++) pos[a * d + j] = means[act[a] * d + j];
        ms_tree_f64 *groups = NULL;
        ms_config one = *rt->cfg;
        one.fail_alloc_after = rt->allocs_left;
        /* the size of a seed-tree leaf n_act / 2^k nearest the target */
        int64_t group = n_act;
        const double target = MS_GROUP_TARGET(d, rounds == 0);
        while ((double)group > target * 1.4142135623730951) group = (group + 1) / 2;
        /* Only the seed tree's leaves and boxes are used: built as for the
         * Gaussian kernel, which adds nothing to them (no balls, no moments). */
        st = ms_tree_build_f64(pos, NULL, n_act, d, group, MS_KERNEL_GAUSSIAN, &one,
                               &groups);
        if (st != MS_OK) goto done;
        int64_t n_leaves = 0;
        int sparse = 0;
        for (int64_t nid = 0; nid < groups->n_nodes; nid++)
            if (groups->nodes[nid].left == -1) {
                leaves[n_leaves++] = nid;
                const int64_t m = groups->nodes[nid].end - groups->nodes[nid].start;
                sparse |= few_seeds && d <= MS_SOA_MAX_D && m > 1 &&
                          ms_group_overlap(groups->lo + nid * d, groups->hi + nid * d, m,
                                           p->bandwidth, d) < MS_GROUP_MIN_OVERLAP;
            }
        if (sparse) {
            /* Seeds whose balls overlap little (bin seeds, seeds at many
             * small modes) share little of a traversal: such groups are
             * split, down to single seeds where need be. */
            ms_tree_free_f64(groups);
            groups = NULL;
            one.fail_alloc_after = rt->allocs_left;
            st = ms_tree_build_f64(pos, NULL, n_act, d, 1, MS_KERNEL_GAUSSIAN, &one,
                                   &groups);
            if (st != MS_OK) goto done;
            n_leaves = ms_compact_groups(groups, group, p->bandwidth, leaves);
        }
        /* Where no seed shares a traversal (sparse seeds, every group a
         * single seed), rounds only make the seeds wait for each other: a
         * lone seed takes several steps per round, and the seeds regroup
         * after them.  Up to 3 features, where a single seed's query is
         * cheap; in 4, seeds that soon meet gained more from sharing. */
        const int64_t lone_steps =
            sparse && n_leaves == n_act && d <= MS_LONE_MAX_D ? MS_LONE_STEPS : 1;
        ms_loop loop;
        ms_loop_init(&loop, rt, n_seeds, 16);
        loop.done = finished;
        MS_OMP(parallel num_threads(ms_num_threads(rt->cfg)))
        {
            /* A leaf of the seed tree holds at most MS_GROUP_MAX seeds,
             * unless its seeds coincide: such leaves go in slices. */
            const int64_t cap = MS_GROUP_MAX;
            double *space = ms_loop_scratch(&loop, ms_group_work_size(d), sizeof(double));
            ms_group_work work = ms_group_work_at(space, d);
            int64_t mine = 0;
            int64_t l;
            MS_OMP(for schedule(dynamic, 1))
            for (l = 0; l < n_leaves; l++) {
                if (ms_loop_halted(&loop, space)) continue;
                const int64_t nid = leaves[l];
                const ms_node *nd = &groups->nodes[nid];
                /* A lone seed takes the single-seed sums, lighter per point. */
                const int64_t lone = nd->end - nd->start == 1;
                if (lone) {
                    /* It shares no traversal, so it need not wait for the
                     * round: it takes up to lone_steps steps at once. */
                    const int64_t a = groups->index[nd->start], k = act[a];
                    ms_step_state state;
                    int64_t steps = 0;
                    do {
                        MS_FN(ms__kernel_sum)(t, soa, means + k * d, MS_KERNEL_FLAT,
                                              p->bandwidth, r2, 0.0, 0.0, &W[a],
                                              WX + a * d);
                        state = MS_FN(ms__step)(p, 0.0, W[a], WX + a * d, d,
                                                means + k * d, intensity + k, n_iter + k);
                    } while (state == MS_STEP_MOVING && ++steps < lone_steps);
                    stepped[a] = (unsigned char)(1 + state);
                }
                for (int64_t s0 = nd->start; s0 < nd->end && !lone; s0 += cap) {
                    const int64_t m = nd->end - s0 < cap ? nd->end - s0 : cap;
                    MS_FN(ms__group_sum_flat)(t, soa, groups->lo + nid * d,
                                              groups->hi + nid * d, groups->pts + s0 * d,
                                              m, r2, &work);
                    for (int64_t i = 0; i < m; i++) {
                        const int64_t a = groups->index[s0 + i];
                        W[a] = work.W[i];
                        for (int64_t j = 0; j < d; j++)
                            WX[a * d + j] = work.WX[i * d + j];
                    }
                }
                ms_loop_tick(&loop, 0, &mine);
            }
            ms_free(space);
        }
        ms_tree_free_f64(groups);
        rounds++;
        st = ms_loop_status(&loop);
        if (st != MS_OK) goto done;
        /* The step, for every active seed. */
        int64_t kept = 0;
        for (int64_t a = 0; a < n_act; a++) {
            const int64_t k = act[a];
            const ms_step_state state =
                stepped[a] ? (ms_step_state)(stepped[a] - 1)
                           : MS_FN(ms__step)(p, 0.0, W[a], WX + a * d, d, means + k * d,
                                             intensity + k, n_iter + k);
            stepped[a] = 0;
            if (converged) converged[k] = state == MS_STEP_CONVERGED;
            if (state == MS_STEP_MOVING)
                act[kept++] = k;
            else
                finished++;
        }
        n_act = kept;
    }
    st = MS_OK;
done:
    ms_free(act);
    ms_free(pos);
    ms_free(W);
    ms_free(WX);
    ms_free(leaves);
    ms_free(stepped);
    ms_free(soa);
    return st;
}

ms_status MS_FN(ms_shift_seeds)(const MS_TREE *t, const double *seeds, int64_t n_seeds,
                                const ms_shift_params *p, const ms_config *cfg,
                                double *means, double *intensity, int64_t *n_iter,
                                unsigned char *converged)
{
    if (t == NULL || p == NULL || n_seeds < 0) return MS_ERR_INVALID;
    if (n_seeds > 0 &&
        (seeds == NULL || means == NULL || intensity == NULL || n_iter == NULL))
        return MS_ERR_INVALID;
    if (!(p->bandwidth >= 0.0) || !(p->stop_thresh >= 0.0) || p->max_iter < 0 ||
        !(p->gaussian_tol >= 0.0))
        return MS_ERR_INVALID;
    if (p->kernel != MS_KERNEL_FLAT && p->kernel != MS_KERNEL_GAUSSIAN &&
        p->kernel != MS_KERNEL_EPANECHNIKOV)
        return MS_ERR_INVALID;
    if (p->kernel != MS_KERNEL_FLAT && !(p->bandwidth > 0.0)) return MS_ERR_INVALID;
    if (p->kernel == MS_KERNEL_EPANECHNIKOV && t->ctr == NULL) return MS_ERR_INVALID;

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    if (p->kernel == MS_KERNEL_FLAT && n_seeds >= MS_GROUP_MIN_SEEDS) {
        const ms_config fallback = ms_config_default();
        if (rt.cfg == NULL) rt.cfg = &fallback;
        ms_status st = MS_FN(shift_grouped)(t, seeds, n_seeds, p, &rt, means, intensity,
                                            n_iter, converged);
        if (st == MS_OK && ms_report_progress(cfg, n_seeds, n_seeds))
            st = MS_ERR_INTERRUPTED;
        return st;
    }
    const int64_t d = t->d;
    const double r2 = ms_flat_radius_sq(p->bandwidth);
    /* The flat kernel reads leaf points by column, on SIMD lanes. */
    double *soa = NULL;
    if (p->kernel == MS_KERNEL_FLAT && d <= MS_SOA_MAX_D && n_seeds > 0) {
        soa = MS_FN(ms__column_copy)(t, &rt);
        if (soa == NULL) return MS_ERR_NOMEM;
    }
    ms_loop loop;
    ms_loop_init(&loop, &rt, n_seeds, 16);
    MS_OMP(parallel num_threads(ms_num_threads(cfg)))
    {
        double *buf = ms_loop_scratch(&loop, (size_t)(2 * d), sizeof(double));
        int64_t mine = 0;
        int64_t s;
        MS_OMP(for schedule(dynamic, 8))
        for (s = 0; s < n_seeds; s++) {
            if (ms_loop_halted(&loop, buf)) continue;
            unsigned char conv;
            MS_FN(shift_one)(t, soa, seeds + s * d, p, r2, buf, buf + d, intensity + s,
                             n_iter + s, &conv);
            if (converged) converged[s] = conv;
            for (int64_t j = 0; j < d; j++) means[s * d + j] = buf[j];
            ms_loop_tick(&loop, 1, &mine);
        }
        ms_free(buf);
    }
    ms_free(soa);
    const ms_status st = ms_loop_status(&loop);
    if (st != MS_OK) return st;
    if (ms_report_progress(cfg, n_seeds, n_seeds)) return MS_ERR_INTERRUPTED;
    return MS_OK;
}
