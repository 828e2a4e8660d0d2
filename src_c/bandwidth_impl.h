/*
 * bandwidth_impl.h - exact k-th neighbour distances for bandwidth
 * estimation, written once for both precisions (included by bandwidth.c).
 *
 * For each point the k-th smallest squared distance is bracketed by two
 * radii (lo2, hi2] with count(lo2) < k <= count(hi2); counting queries
 * take whole tree nodes, so they cost what the sphere's boundary crosses.
 * The bracket is narrowed by bisection until few points lie between the
 * radii, whose distances are then collected and the right one selected.
 * Points are visited in tree order, so the previous point's answer and the
 * triangle inequality give a tight first bracket.
 */

#include "node_bounds_impl.h"
#include "tree_walk_impl.h"

typedef struct MS_FN(collect_query) {
    MS_FN(at_point) at;
    const double *soa;
    double lo2, hi2;
    double *out;
    int64_t cap;
    int64_t inside, shell;
} MS_FN(collect_query);

/* Leaf points are read from the column copy and measured in blocks on
 * SIMD lanes, with the tree's distance arithmetic. */
MS_ALWAYS_INLINE int MS_FN(collect_visit)(void *query, int64_t nid, ms_gap g, int64_t d)
{
    MS_FN(collect_query) *c = query;
    const MS_TREE *t = c->at.t;
    const double *q = c->at.q;
    const double lo2 = c->lo2, hi2 = c->hi2;
    const int64_t n = t->n, cap = c->cap;
    if (g.near2 > hi2) return 0;
    const ms_node *nd = &t->nodes[nid];
    if (g.far2 <= lo2) {
        c->inside += nd->end - nd->start;
        return 0;
    }
    if (nd->left >= 0) return 1;
    double *MS_RESTRICT out = c->out;
    for (int64_t s0 = nd->start; s0 < nd->end; s0 += MS_SOA_BLOCK) {
        const int64_t len = nd->end - s0 < MS_SOA_BLOCK ? nd->end - s0 : MS_SOA_BLOCK;
        double r[MS_SOA_BLOCK];
        for (int64_t i = 0; i < len; i++) r[i] = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double *MS_RESTRICT xj = c->soa + j * n + s0;
            const double qj = q[j];
            for (int64_t i = 0; i < len; i++) {
                const double u = xj[i] - qj;
                r[i] += u * u;
            }
        }
        int64_t in_lo = 0, in_hi = 0;
        for (int64_t i = 0; i < len; i++) {
            in_lo += r[i] <= lo2;
            in_hi += r[i] <= hi2;
        }
        c->inside += in_lo;
        if (in_hi == in_lo) continue;
        /* Compacted without branches: every value is written at the
         * next free place (the spare last one once full). */
        int64_t shell = c->shell;
        for (int64_t i = 0; i < len; i++) {
            out[shell < cap ? shell : cap] = r[i];
            shell += (r[i] > lo2) & (r[i] <= hi2);
        }
        c->shell = shell;
    }
    return 0;
}

/* For the sphere pair lo2 < hi2 around q: *below counts the points within
 * lo2, and the squared distances in (lo2, hi2] go to out while they fit
 * (the count returned); out needs cap + 1 entries. */
MS_ALWAYS_INLINE int64_t MS_FN(count_collect_soa_d)(const MS_TREE *t, const double *soa,
                                                    const double *q, double lo2,
                                                    double hi2, double *out, int64_t cap,
                                                    int64_t *below, const int64_t d)
{
    MS_FN(collect_query) c = {{t, q}, soa, lo2, hi2, out, cap, 0, 0};
    MS_FN(tree_walk)(t, &c, MS_FN(point_reach), MS_FN(collect_visit), 0, d);
    *below = c.inside;
    return c.shell;
}

MS_SIMD_CLONES static int64_t
MS_FN(count_collect_soa)(const MS_TREE *t, const double *soa, const double *q, double lo2,
                         double hi2, double *out, int64_t cap, int64_t *below)
{
    switch (t->d) {
    case 1: return MS_FN(count_collect_soa_d)(t, soa, q, lo2, hi2, out, cap, below, 1);
    case 2: return MS_FN(count_collect_soa_d)(t, soa, q, lo2, hi2, out, cap, below, 2);
    case 3: return MS_FN(count_collect_soa_d)(t, soa, q, lo2, hi2, out, cap, below, 3);
    case 4: return MS_FN(count_collect_soa_d)(t, soa, q, lo2, hi2, out, cap, below, 4);
    default:
        return MS_FN(count_collect_soa_d)(t, soa, q, lo2, hi2, out, cap, below, t->d);
    }
}

ms_status MS_FN(ms_kth_neighbor_distance)(const MS_TREE *t, int64_t k,
                                          const ms_config *cfg, double *out)
{
    if (t == NULL || out == NULL || k < 1 || k > t->n) return MS_ERR_INVALID;
    /* The brackets below count and collect by comparisons that NaN
     * distances (a NaN or infinite coordinate) fail, so that counts and
     * shells would disagree: such points have no k-th distance. */
    for (int64_t i = 0; i < t->n * t->d; i++)
        if (!isfinite((double)t->pts[i])) return MS_ERR_INVALID;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    const int64_t n = t->n, d = t->d;
    const int64_t chunk = 256;
    const int64_t n_chunks = (n + chunk - 1) / chunk;
    /* The points by column, for the shell queries' SIMD leaf loops. */
    double *soa = MS_FN(ms__column_copy)(t, &rt);
    if (soa == NULL) return MS_ERR_NOMEM;
    ms_loop loop;
    ms_loop_init(&loop, &rt, n, 1);
    MS_OMP(parallel num_threads(ms_num_threads(cfg)))
    {
        /* The shell (and a spare entry), then q, prev and g. */
        double *shell =
            ms_loop_scratch(&loop, MS_SHELL_CAP + 1 + 3 * (size_t)d, sizeof(double));
        int64_t mine = 0;
        double *q = shell ? shell + MS_SHELL_CAP + 1 : NULL; /* the point */
        double *prev = shell ? q + d : NULL;                 /* the one before */
        double *g = shell ? q + 2 * d : NULL;                /* gradient of dk */
        int64_t c;
        MS_OMP(for schedule(dynamic, 1))
        for (c = 0; c < n_chunks; c++) {
            if (ms_loop_halted(&loop, shell)) continue;
            const int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
            double prev_dk = -1.0, err = INFINITY;
            for (int64_t j = 0; j < d; j++) g[j] = 0.0;
            for (int64_t i = c * chunk; i < end; i++) {
                double lo2 = -1.0, hi2;
                int64_t c_lo = 0, c_hi = n;
                double step = -1.0;
                if (prev_dk >= 0.0) {
                    step = 0.0;
                    for (int64_t j = 0; j < d; j++) {
                        const double u = (double)t->pts[i * d + j] - prev[j];
                        step += u * u;
                    }
                    step = sqrt(step);
                }
                for (int64_t j = 0; j < d; j++) q[j] = (double)t->pts[i * d + j];
                hi2 = MS_FN(ms__farthest_sq)(t, q);
                int64_t m = -1; /* points collected in (lo2, hi2], if known */
                /* |dk(p) - dk(prev)| <= |p - prev| = step bounds the answer,
                 * but the shell's points are what a bracket costs, and dk
                 * varies smoothly: first try a narrow bracket around a
                 * linear prediction (the gradient estimate g, updated by a
                 * secant step per point), three recent errors wide,
                 * then the guaranteed one. */
                double centre[2] = {prev_dk, prev_dk}, width[2] = {step, step};
                if (step > 0.0) {
                    double lin = 0.0;
                    for (int64_t j = 0; j < d; j++) lin += g[j] * (q[j] - prev[j]);
                    centre[0] = prev_dk + lin;
                    width[0] = 3.0 * err;
                }
                for (int w = step >= 0.0 ? 0 : 2; w < 2; w++) {
                    if (w == 0 && !(width[0] < 0.5 * step)) continue;
                    /* widened for rounding; one pass counts inside the lower
                     * radius and collects the shell up to the upper one */
                    double lo = centre[w] - width[w], hi = centre[w] + width[w];
                    if (lo < prev_dk - step) lo = prev_dk - step;
                    if (hi > prev_dk + step) hi = prev_dk + step;
                    lo *= 1.0 - 1e-12;
                    hi *= 1.0 + 1e-12;
                    const double try_lo2 = lo > 0.0 ? lo * lo : -1.0;
                    const double try_hi2 = hi * hi < hi2 ? hi * hi : hi2;
                    int64_t below;
                    const int64_t in = MS_FN(count_collect_soa)(
                        t, soa, q, try_lo2, try_hi2, shell, MS_SHELL_CAP, &below);
                    if (below < k && below + in >= k) {
                        lo2 = try_lo2;
                        hi2 = try_hi2;
                        c_lo = below;
                        c_hi = below + in;
                        m = in <= MS_SHELL_CAP ? in : -1;
                        break;
                    }
                }
                double dk2;
                for (;;) {
                    if (c_hi - c_lo <= MS_SHELL_CAP) {
                        if (m < 0) m = MS_FN(ms__collect_shell)(t, q, lo2, hi2, shell);
                        dk2 = ms__select_double(shell, m, k - c_lo - 1);
                        break;
                    }
                    const double base = lo2 > 0.0 ? lo2 : 0.0;
                    const double mid = base + 0.5 * (hi2 - base);
                    if (!(mid > lo2 && mid < hi2)) {
                        dk2 = hi2; /* nothing lies strictly between */
                        break;
                    }
                    const int64_t c_mid = MS_FN(ms__count_within)(t, q, mid);
                    m = -1;
                    if (c_mid >= k) {
                        hi2 = mid;
                        c_hi = c_mid;
                    } else {
                        lo2 = mid;
                        c_lo = c_mid;
                    }
                }
                const double dk = sqrt(dk2);
                if (step > 0.0) {
                    /* Secant update of g along v = p - prev, and the error
                     * scale: the last miss, decaying by half per point. */
                    double gv = 0.0;
                    for (int64_t j = 0; j < d; j++) gv += g[j] * (q[j] - prev[j]);
                    const double miss = fabs(prev_dk + gv - dk);
                    err = miss > 0.5 * err || err == INFINITY ? miss : 0.5 * err;
                    const double f = (dk - prev_dk - gv) / (step * step);
                    for (int64_t j = 0; j < d; j++) g[j] += f * (q[j] - prev[j]);
                }
                prev_dk = dk;
                for (int64_t j = 0; j < d; j++) prev[j] = q[j];
                out[t->index[i]] = dk;
            }
            ms_loop_tick(&loop, end - c * chunk, &mine);
        }
        ms_free(shell);
    }
    ms_free(soa);
    return ms_loop_status(&loop);
}
