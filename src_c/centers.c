/*
 * centers.c - from converged seeds to cluster centres and labels.
 */
#include <math.h>
#include <string.h>

#include "bounds.h"
#include "equal_rows.h"
#include "parallel.h"
#include "tree.h"

typedef struct sort_ctx {
    const double *means;
    const double *key; /* intensity per entry, or NULL */
    int64_t d;
} sort_ctx;

/* Lexicographic comparison of two rows; -0.0 equals 0.0 as in Python. */
static int cmp_rows(const sort_ctx *c, int64_t a, int64_t b)
{
    const double *x = c->means + a * c->d, *y = c->means + b * c->d;
    for (int64_t j = 0; j < c->d; j++) {
        if (x[j] < y[j]) return -1;
        if (x[j] > y[j]) return 1;
    }
    return 0;
}

/* Final order: (intensity, coordinates) descending. */
static int cmp_rank(const sort_ctx *c, int64_t a, int64_t b)
{
    if (c->key[a] > c->key[b]) return -1;
    if (c->key[a] < c->key[b]) return 1;
    return -cmp_rows(c, a, b);
}

/* Stable merge sort of v[0..m) with scratch tmp[0..m). */
static void merge_sort(int64_t *v, int64_t *tmp, int64_t m, const sort_ctx *c,
                       int (*cmp)(const sort_ctx *, int64_t, int64_t))
{
    for (int64_t width = 1; width < m; width *= 2) {
        for (int64_t lo = 0; lo < m; lo += 2 * width) {
            const int64_t mid = lo + width < m ? lo + width : m;
            const int64_t hi = lo + 2 * width < m ? lo + 2 * width : m;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = cmp(c, v[j], v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid) tmp[k++] = v[i++];
            while (j < hi) tmp[k++] = v[j++];
        }
        memcpy(v, tmp, (size_t)m * sizeof(int64_t));
    }
}

ms_status ms_merge_centers(const double *means, const double *intensity, int64_t m,
                           int64_t d, double r2, const ms_config *cfg, int64_t *order,
                           int64_t *n_centers)
{
    if (n_centers == NULL || m < 0 || d < 1) return MS_ERR_INVALID;
    *n_centers = 0;
    if (m == 0) return MS_OK;
    if (means == NULL || intensity == NULL || order == NULL) return MS_ERR_INVALID;
    if (!(r2 >= 0.0) && r2 != -1.0) return MS_ERR_INVALID;

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_row_set distinct;
    const int ok = ms_row_set_init(&distinct, &rt, d, m);
    int64_t *idx = ms_alloc(&rt, (size_t)m, sizeof(int64_t));
    int64_t *tmp = ms_alloc(&rt, (size_t)m, sizeof(int64_t));
    double *key = ms_alloc(&rt, (size_t)m, sizeof(double));
    double *cand = NULL;
    unsigned char *alive = NULL;
    ms_tree_f64 *tree = NULL;
    ms_status st = MS_ERR_NOMEM;
    if (!ok || !idx || !tmp || !key) goto done;

    /* Candidates: one per distinct position; as in a dict keyed by the
     * position, the first seed gives the key and the last its intensity.
     * Rows are equal as equal_rows.h says, so -0.0 is 0.0 and a row
     * holding NaN stands alone. */
    int64_t ng = 0;
    for (int64_t s = 0; s < m; s++) {
        if (!(intensity[s] > 0.0)) continue;
        int added;
        const int64_t id = ms_row_set_add(&distinct, means + s * d, &added);
        if (id < 0) goto done;
        if (added) idx[ng++] = s;
        key[idx[id]] = intensity[s];
    }
    const sort_ctx c = {means, key, d};
    merge_sort(idx, tmp, ng, &c, cmp_rank);

    /* Greedy suppression in rank order, through a tree over candidates. */
    cand = ms_alloc(&rt, (size_t)ng * (size_t)d, sizeof(double));
    alive = ms_alloc(&rt, (size_t)ng, 1);
    if (!cand || !alive) goto done;
    for (int64_t i = 0; i < ng; i++) {
        memcpy(cand + i * d, means + idx[i] * d, (size_t)d * sizeof(double));
        alive[i] = 1;
    }
    int64_t kept = 0;
    if (ng > 0) {
        ms_config one = cfg ? *cfg : ms_config_default();
        one.fail_alloc_after = rt.allocs_left;
        st = ms_tree_build_f64(cand, NULL, ng, d, 8, MS_KERNEL_FLAT, &one, &tree);
        if (st != MS_OK) goto done;
        for (int64_t i = 0; i < ng; i++) {
            if (!alive[i]) continue;
            if (r2 >= 0.0) ms_tree_suppress_f64(tree, cand + i * d, r2, i, alive);
            order[kept++] = idx[i];
        }
    }
    *n_centers = kept;
    st = MS_OK;
done:
    ms_tree_free_f64(tree);
    ms_free(idx);
    ms_free(tmp);
    ms_row_set_free(&distinct);
    ms_free(key);
    ms_free(cand);
    ms_free(alive);
    return st;
}

/* The tree's nearest-point rule by scanning: the same squared distances,
 * ties to the lower index, on coordinates times scale (1, or a power of two
 * for nearest_far).  The running minimum is selected, not branched on,
 * since points between two centres would mispredict. */
MS_ALWAYS_INLINE int64_t nearest_brute_d(const double *centers, int64_t k,
                                         const double *MS_RESTRICT q, double *best_d2,
                                         const int64_t d, const double scale)
{
    int64_t best = 0;
    double bd = INFINITY;
    for (int64_t c = 0; c < k; c++) {
        const double *MS_RESTRICT p = centers + c * d;
        double s = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double y = p[j] * scale - q[j] * scale;
            s += y * y;
        }
        const int closer = s < bd;
        best = closer ? c : best;
        bd = closer ? s : bd;
    }
    *best_d2 = bd;
    return best;
}

static int64_t nearest_brute(const double *centers, int64_t k, int64_t d,
                             const double *MS_RESTRICT q, double *best_d2)
{
    switch (d) {
    case 1: return nearest_brute_d(centers, k, q, best_d2, 1, 1.0);
    case 2: return nearest_brute_d(centers, k, q, best_d2, 2, 1.0);
    case 3: return nearest_brute_d(centers, k, q, best_d2, 3, 1.0);
    case 4: return nearest_brute_d(centers, k, q, best_d2, 4, 1.0);
    default: return nearest_brute_d(centers, k, q, best_d2, d, 1.0);
    }
}

/* The nearest centre to q where every squared distance overflows to
 * infinity (data spanning 2^512 and more in core units, as a point far
 * from every centre): the same rule on coordinates scaled by 2^-600, whose
 * squares stay finite for any doubles; scaling by a power of two is exact
 * but for digits far below the terms that overflowed.  Ties to the lower
 * index.  A label is then the nearest centre, not the first of a tie of
 * infinities (nor -1, where the tree's walk took no point). */
static int64_t nearest_far(const double *centers, int64_t k, int64_t d,
                           const double *MS_RESTRICT q)
{
    double best_d2;
    return nearest_brute_d(centers, k, q, &best_d2, d, 0x1p-600);
}

static ms_status nearest_center(const void *X, int is_f32, int64_t n, int64_t d,
                                const double *centers, int64_t k, double r2,
                                const ms_config *cfg, int64_t *labels, double *sq_dist)
{
    if (n < 0 || d < 1 || k < 1 || labels == NULL || centers == NULL)
        return MS_ERR_INVALID;
    if (n == 0) return MS_OK;
    if (X == NULL) return MS_ERR_INVALID;
    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    ms_tree_f64 *tree = NULL;
    if (k > MS_NEAREST_SCAN_MAX) { /* a scan beats a tree over few centres */
        ms_config one = cfg ? *cfg : ms_config_default();
        ms_status st =
            ms_tree_build_f64(centers, NULL, k, d, 8, MS_KERNEL_FLAT, &one, &tree);
        if (st != MS_OK) return st;
    }
    const int64_t block = 4096;
    const int64_t n_blocks = (n + block - 1) / block;
    ms_loop loop;
    ms_loop_init(&loop, &rt, n, 1);
    MS_OMP(parallel num_threads(ms_num_threads(cfg)))
    {
        double *q = ms_loop_scratch(&loop, (size_t)d, sizeof(double));
        int64_t mine = 0;
        int64_t b;
        MS_OMP(for schedule(dynamic, 1))
        for (b = 0; b < n_blocks; b++) {
            if (ms_loop_halted(&loop, q)) continue;
            const int64_t end = (b + 1) * block < n ? (b + 1) * block : n;
            for (int64_t i = b * block; i < end; i++) {
                if (is_f32) {
                    const float *row = (const float *)X + i * d;
                    for (int64_t j = 0; j < d; j++) q[j] = row[j];
                } else {
                    const double *row = (const double *)X + i * d;
                    for (int64_t j = 0; j < d; j++) q[j] = row[j];
                }
                double best;
                int64_t lab = tree ? ms__nearest_f64(tree, q, 0, &best)
                                   : nearest_brute(centers, k, d, q, &best);
                /* every distance overflowed (or the tree's walk took no
                 * centre): the nearest one, unless r2 >= 0 leaves the row
                 * out; r2 = +inf or NaN keep every row */
                if (r2 >= 0.0 && best > r2)
                    lab = -1;
                else if (!(best < INFINITY))
                    lab = nearest_far(centers, k, d, q);
                labels[i] = lab;
                if (sq_dist) sq_dist[i] = best;
            }
            ms_loop_tick(&loop, end - b * block, &mine);
        }
        ms_free(q);
    }
    ms_tree_free_f64(tree);
    return ms_loop_status(&loop);
}

ms_status ms_nearest_center_f64(const double *X, int64_t n, int64_t d,
                                const double *centers, int64_t k, double r2,
                                const ms_config *cfg, int64_t *labels, double *sq_dist)
{
    return nearest_center(X, 0, n, d, centers, k, r2, cfg, labels, sq_dist);
}

ms_status ms_nearest_center_f32(const float *X, int64_t n, int64_t d,
                                const double *centers, int64_t k, double r2,
                                const ms_config *cfg, int64_t *labels, double *sq_dist)
{
    return nearest_center(X, 1, n, d, centers, k, r2, cfg, labels, sq_dist);
}

/* Labels of a tree's own points, leaf by leaf (tree_labels_impl.h). */
#define MS_IMPL "tree_labels_impl.h"
#include "ms_instantiate.h"
