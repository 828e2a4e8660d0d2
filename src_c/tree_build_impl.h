/*
 * tree_build_impl.h - building the k-d tree, written once for both
 * precisions (included by tree_build.c with MS_T, MS_TREE and MS_FN
 * defined; the layout is in tree.h).
 *
 * Nodes split at the median of their widest feature; every node gets its
 * tight box, its total weight and weighted coordinate sum, and for the
 * Epanechnikov kernel the moments about its box centre.  Large subtrees
 * are built as OpenMP tasks.
 */

/* Move the rows of [start, end) below v, and the first `ties` rows equal
 * to v, to the front, in one pass (Lomuto's).  Every row is swapped and
 * the front grows by a computed 0 or 1: a branch on values in random
 * order would mispredict half the time. */
MS_ALWAYS_INLINE void MS_FN(partition_rows_d)(MS_TREE *t, int64_t start, int64_t end,
                                              int64_t dim, MS_T v, int64_t ties,
                                              const int64_t d)
{
    MS_T *MS_RESTRICT pts = t->pts;
    int64_t *MS_RESTRICT index = t->index;
    double *MS_RESTRICT w = t->weights;
    int64_t front = start;
    for (int64_t i = start; i < end; i++) {
        MS_T *MS_RESTRICT p = pts + i * d;
        MS_T *MS_RESTRICT f = pts + front * d;
        const MS_T x = p[dim];
        const int64_t tie = (x == v) & (ties > 0);
        const int64_t take = (x < v) | tie;
        ties -= tie;
        /* f == p until the first row stays behind: the swap is then a no-op */
        for (int64_t j = 0; j < d; j++) {
            const MS_T y = p[j];
            p[j] = f[j];
            f[j] = y;
        }
        const int64_t ti = index[i];
        index[i] = index[front];
        index[front] = ti;
        if (w) {
            const double tw = w[i];
            w[i] = w[front];
            w[front] = tw;
        }
        front += take;
    }
}

/* The k-th smallest (0-based) of column dim over rows [start, end), and in *below the
 * number of values smaller than it; col[start, end) is scratch.
 *
 * On long ranges two values of a sample that bracket the k-th with high
 * probability cut the work to one pass that counts the values below the
 * bracket and gathers those inside it, where the selection then runs
 * (Floyd and Rivest's idea); a missed bracket falls back to selecting in
 * the whole column. */
static double MS_FN(column_select)(const MS_TREE *t, double *col, int64_t start,
                                   int64_t end, int64_t k, int64_t dim, int64_t *below)
{
    const int64_t d = t->d, m = end - start;
    const MS_T *MS_RESTRICT x = t->pts + start * d + dim;
    double *MS_RESTRICT c = col + start;
    if (m >= MS_SAMPLED_SELECT_MIN) {
        double sample[MS_SELECT_SAMPLE];
        const int64_t s = m / 8 < MS_SELECT_SAMPLE ? m / 8 : MS_SELECT_SAMPLE;
        for (int64_t j = 0; j < s; j++) sample[j] = (double)x[(j * m / s) * d];
        /* Sample ranks 3.5 standard deviations either side of k's place. */
        const double q = (double)k / (double)m;
        const double margin = 3.5 * sqrt((double)s * q * (1.0 - q)) + 1.0;
        const double at = q * (double)s;
        const int64_t r_lo = at - margin > 0.0 ? (int64_t)(at - margin) : 0;
        const int64_t r_hi =
            at + margin < (double)(s - 1) ? (int64_t)(at + margin) : s - 1;
        const double p_lo = ms__select_double(sample, s, r_lo);
        /* the selection left the values above p_lo after r_lo */
        const double p_hi = r_hi > r_lo ? ms__select_double(sample + r_lo + 1,
                                                            s - r_lo - 1, r_hi - r_lo - 1)
                                        : p_lo;
        int64_t n_lo = 0, n_in = 0;
        for (int64_t i = 0; i < m; i++) {
            const double v = (double)x[i * d];
            c[n_in] = v;
            n_lo += v < p_lo;
            n_in += (v >= p_lo) & (v <= p_hi);
        }
        if (n_lo <= k && k < n_lo + n_in) {
            const double v = ms__select_double(c, n_in, k - n_lo);
            int64_t nb = n_lo;
            for (int64_t i = 0; i < n_in; i++) nb += c[i] < v;
            *below = nb;
            return v;
        }
    }
    for (int64_t i = 0; i < m; i++) c[i] = (double)x[i * d];
    const double v = ms__select_double(c, m, k);
    int64_t nb = 0;
    for (int64_t i = 0; i < m; i++) nb += c[i] < v;
    *below = nb;
    return v;
}

/* Reorder rows [start, end) so that the first k hold the k smallest
 * values of column dim and return the k-th smallest (0-based), the
 * smallest value of the rest.  Selecting on a copy of the column and then
 * moving each row once beats selecting on the rows themselves, whose every
 * move carries a whole row. */
static MS_T MS_FN(split_rows)(MS_TREE *t, double *col, int64_t start, int64_t end,
                              int64_t k, int64_t dim)
{
    const int64_t d = t->d;
    int64_t below;
    const double v = MS_FN(column_select)(t, col, start, end, k, dim, &below);
    const MS_T vt = (MS_T)v; /* exact: v is one of the column's values */
    const int64_t ties = k - below;
    switch (d) {
    case 1: MS_FN(partition_rows_d)(t, start, end, dim, vt, ties, 1); break;
    case 2: MS_FN(partition_rows_d)(t, start, end, dim, vt, ties, 2); break;
    case 3: MS_FN(partition_rows_d)(t, start, end, dim, vt, ties, 3); break;
    case 4: MS_FN(partition_rows_d)(t, start, end, dim, vt, ties, 4); break;
    default: MS_FN(partition_rows_d)(t, start, end, dim, vt, ties, d); break;
    }
    return vt;
}

static void MS_FN(node_box)(MS_TREE *t, int64_t nid)
{
    const int64_t d = t->d;
    const ms_node *nd = &t->nodes[nid];
    MS_T *MS_RESTRICT lo = t->lo + nid * d;
    MS_T *MS_RESTRICT hi = t->hi + nid * d;
    const MS_T *p = t->pts + nd->start * d;
    for (int64_t j = 0; j < d; j++) lo[j] = hi[j] = p[j];
    /* Selects, not branches: the compiler takes them on vector lanes (min
     * and max of the same values), where the branches were mispredicted
     * on every other coordinate of scattered points. */
    for (int64_t i = nd->start + 1; i < nd->end; i++) {
        p = t->pts + i * d;
        for (int64_t j = 0; j < d; j++) {
            const MS_T x = p[j];
            lo[j] = x < lo[j] ? x : lo[j];
            hi[j] = x > hi[j] ? x : hi[j];
        }
    }
}

/* Per-node sums; children are complete when the parent is computed. */
static void MS_FN(node_sums)(MS_TREE *t, int64_t nid)
{
    const int64_t d = t->d;
    const ms_node *nd = &t->nodes[nid];
    double *MS_RESTRICT wx = t->wx + nid * d;
    double w = 0.0;
    for (int64_t j = 0; j < d; j++) wx[j] = 0.0;
    if (nd->left < 0) {
        for (int64_t i = nd->start; i < nd->end; i++) {
            const MS_T *p = t->pts + i * d;
            const double wi = t->weights ? t->weights[i] : 1.0;
            w += wi;
            for (int64_t j = 0; j < d; j++) wx[j] += wi * (double)p[j];
        }
    } else {
        const int64_t c[2] = {nd->left, nd->right};
        for (int k = 0; k < 2; k++) {
            w += t->wsum[c[k]];
            for (int64_t j = 0; j < d; j++) wx[j] += t->wx[c[k] * d + j];
        }
    }
    t->wsum[nid] = w;
    if (t->ctr == NULL) return;

    /* Moments about the box centre keep the Epanechnikov sums free of
     * cancellation when the data sit far from the origin. */
    double *MS_RESTRICT c = t->ctr + nid * d;
    double *MS_RESTRICT m1 = t->m1 + nid * d;
    double *MS_RESTRICT m3 = t->m3 + nid * d;
    double *MS_RESTRICT mxx = t->mxx + nid * d * d;
    double m2 = 0.0;
    for (int64_t j = 0; j < d; j++) {
        c[j] = 0.5 * ((double)t->lo[nid * d + j] + (double)t->hi[nid * d + j]);
        m1[j] = m3[j] = 0.0;
    }
    for (int64_t j = 0; j < d * d; j++) mxx[j] = 0.0;
    for (int64_t i = nd->start; i < nd->end; i++) {
        const MS_T *p = t->pts + i * d;
        const double wi = t->weights ? t->weights[i] : 1.0;
        double r = 0.0;
        for (int64_t j = 0; j < d; j++) {
            const double y = (double)p[j] - c[j];
            r += y * y;
        }
        m2 += wi * r;
        for (int64_t j = 0; j < d; j++) {
            const double y = (double)p[j] - c[j];
            m1[j] += wi * y;
            m3[j] += wi * r * y;
            for (int64_t l = 0; l < d; l++)
                mxx[j * d + l] += wi * y * ((double)p[l] - c[l]);
        }
    }
    t->m2[nid] = m2;
}

/* The node's ball (bounds.h, "Balls"): a leaf's centre is its points' mean
 * and its radius their farthest distance from it; an inner node's centre is
 * the mean of its children's, weighted by their counts, and its radius
 * reaches the farther child's ball (one pass over the points per leaf, not
 * per level).  Any centre serves: the radius is measured from it. */
static void MS_FN(node_ball)(MS_TREE *t, int64_t nid)
{
    const int64_t d = t->d;
    const ms_node *nd = &t->nodes[nid];
    const double slack = MS_BALL_SLACK(d);
    double *MS_RESTRICT c = t->bc + nid * d;
    double r = 0.0;
    if (nd->left < 0) {
        for (int64_t j = 0; j < d; j++) c[j] = 0.0;
        for (int64_t i = nd->start; i < nd->end; i++)
            for (int64_t j = 0; j < d; j++) c[j] += (double)t->pts[i * d + j];
        const double count = (double)(nd->end - nd->start);
        for (int64_t j = 0; j < d; j++) c[j] /= count;
        double far2 = 0.0;
        for (int64_t i = nd->start; i < nd->end; i++) {
            double s = 0.0;
            for (int64_t j = 0; j < d; j++) {
                const double u = (double)t->pts[i * d + j] - c[j];
                s += u * u;
            }
            far2 = s > far2 ? s : far2;
        }
        r = sqrt(far2) * (1.0 + slack);
    } else {
        const int64_t kids[2] = {nd->left, nd->right};
        const double nl = (double)(t->nodes[nd->left].end - t->nodes[nd->left].start);
        const double nr = (double)(t->nodes[nd->right].end - t->nodes[nd->right].start);
        const double *cl = t->bc + nd->left * d, *cr = t->bc + nd->right * d;
        for (int64_t j = 0; j < d; j++) c[j] = (nl * cl[j] + nr * cr[j]) / (nl + nr);
        for (int k = 0; k < 2; k++) {
            const double dist = ms_centre_dist(t->bc + kids[k] * d, c, d);
            const double rk = (dist * (1.0 + slack) + t->br[kids[k]]) * (1.0 + slack);
            r = rk > r ? rk : r;
        }
    }
    t->br[nid] = r;
}

/* Box of node nid as the union of its children's boxes. */
static void MS_FN(union_box)(MS_TREE *t, int64_t nid, int64_t a, int64_t b)
{
    const int64_t d = t->d;
    MS_T *MS_RESTRICT lo = t->lo + nid * d;
    MS_T *MS_RESTRICT hi = t->hi + nid * d;
    const MS_T *alo = t->lo + a * d, *ahi = t->hi + a * d;
    const MS_T *blo = t->lo + b * d, *bhi = t->hi + b * d;
    for (int64_t j = 0; j < d; j++) {
        lo[j] = alo[j] < blo[j] ? alo[j] : blo[j];
        hi[j] = ahi[j] > bhi[j] ? ahi[j] : bhi[j];
    }
}

/* Builds the subtree over rows [start, end) at node nid.  Its nodes take
 * the ids after nid in depth-first order, the right subtree starting where
 * a full left subtree would end, so that both halves can be built at once
 * and the layout does not depend on the thread count (a left subtree cut
 * short by identical points leaves unused ids).
 *
 * On entry the node's box slot holds a box that contains its points, not
 * necessarily a tight one: the parent's box cut at the split value.  It
 * picks the split dimension; tight boxes are then made bottom-up (leaves
 * scan their points, inner nodes join their children), so that building
 * costs one pass over the points per level for the selection alone. */
static void MS_FN(build_node)(MS_TREE *t, double *col, int64_t nid, int64_t start,
                              int64_t end, int64_t leaf_size)
{
    ms_node *nd = &t->nodes[nid];
    nd->start = start;
    nd->end = end;
    nd->left = nd->right = -1;
    const int64_t d = t->d;
    if (end - start > leaf_size) {
        const MS_T *lo = t->lo + nid * d, *hi = t->hi + nid * d;
        int64_t dim = 0;
        double widest = -1.0;
        for (int64_t j = 0; j < d; j++) {
            const double w = (double)hi[j] - (double)lo[j];
            if (w > widest) {
                widest = w;
                dim = j;
            }
        }
        /* Identical points stay one leaf: its box is a point, so every
         * query takes or skips it whole. */
        if (widest > 0.0) {
            const int64_t mid = start + (end - start) / 2;
            const MS_T split = MS_FN(split_rows)(t, col, start, end, mid - start, dim);
            const int64_t left = nid + 1;
            const int64_t right = left + ms__subtree_nodes(mid - start, leaf_size);
            memcpy(t->lo + left * d, lo, (size_t)d * sizeof(MS_T));
            memcpy(t->hi + left * d, hi, (size_t)d * sizeof(MS_T));
            memcpy(t->lo + right * d, lo, (size_t)d * sizeof(MS_T));
            memcpy(t->hi + right * d, hi, (size_t)d * sizeof(MS_T));
            t->hi[left * d + dim] = split;
            t->lo[right * d + dim] = split;
#if MS_OMP_TASKS
            if ((end - start) * d >= MS_TASK_MIN_COORDS) {
#pragma omp task
                MS_FN(build_node)(t, col, left, start, mid, leaf_size);
                MS_FN(build_node)(t, col, right, mid, end, leaf_size);
#pragma omp taskwait
            } else
#endif
            {
                MS_FN(build_node)(t, col, left, start, mid, leaf_size);
                MS_FN(build_node)(t, col, right, mid, end, leaf_size);
            }
            t->nodes[nid].left = left;
            t->nodes[nid].right = right;
            MS_FN(union_box)(t, nid, left, right);
        }
    }
    if (t->nodes[nid].left < 0) MS_FN(node_box)(t, nid);
    MS_FN(node_sums)(t, nid);
    if (t->bc) MS_FN(node_ball)(t, nid);
}

void MS_FN(ms_tree_free)(MS_TREE *t)
{
    if (t == NULL) return;
    ms_free(t->pts);
    ms_free(t->lo);
    ms_free(t->hi);
    ms_free(t->nodes);
    ms_free(t->index);
    ms_free(t->weights);
    ms_free(t->wsum);
    ms_free(t->wx);
    ms_free(t->ctr);
    ms_free(t->m1);
    ms_free(t->m2);
    ms_free(t->m3);
    ms_free(t->mxx);
    ms_free(t->bc);
    ms_free(t->br);
    ms_free(t);
}

ms_status MS_FN(ms_tree_build)(const MS_T *X, const double *weights, int64_t n, int64_t d,
                               int64_t leaf_size, ms_kernel kernel, const ms_config *cfg,
                               MS_TREE **out)
{
    if (out == NULL) return MS_ERR_INVALID;
    *out = NULL;
    if (X == NULL || n < 1 || d < 1) return MS_ERR_INVALID;
    if (kernel != MS_KERNEL_FLAT && kernel != MS_KERNEL_GAUSSIAN &&
        kernel != MS_KERNEL_EPANECHNIKOV)
        return MS_ERR_INVALID;
    if (leaf_size <= 0) leaf_size = MS_DEFAULT_LEAF_SIZE;
    if (leaf_size > n) leaf_size = n;
    if (n > INT64_MAX / d) return MS_ERR_INVALID;
    /* Weights are finite and >= 0 (meanshift.h): the node sums and the
     * pruning bounds take them so. */
    if (weights)
        for (int64_t i = 0; i < n; i++)
            if (!(weights[i] >= 0.0 && weights[i] < INFINITY)) return MS_ERR_INVALID;

    ms_runtime rt;
    ms_runtime_init(&rt, cfg);
    MS_TREE *t = ms_alloc(&rt, 1, sizeof(MS_TREE));
    if (t == NULL) return MS_ERR_NOMEM;
    memset(t, 0, sizeof(*t));
    t->n = n;
    t->d = d;
    const int64_t max_nodes = ms__subtree_nodes(n, leaf_size);
    const size_t nd = (size_t)n * (size_t)d;
    const size_t bd = (size_t)max_nodes * (size_t)d;
    t->pts = ms_alloc(&rt, nd, sizeof(MS_T));
    t->index = ms_alloc(&rt, (size_t)n, sizeof(int64_t));
    t->nodes = ms_alloc(&rt, (size_t)max_nodes, sizeof(ms_node));
    t->lo = ms_alloc(&rt, bd, sizeof(MS_T));
    t->hi = ms_alloc(&rt, bd, sizeof(MS_T));
    t->wsum = ms_alloc(&rt, (size_t)max_nodes, sizeof(double));
    t->wx = ms_alloc(&rt, bd, sizeof(double));
    int ok = t->pts && t->index && t->nodes && t->lo && t->hi && t->wsum && t->wx;
    if (ok && weights) {
        t->weights = ms_alloc(&rt, (size_t)n, sizeof(double));
        ok = t->weights != NULL;
    }
    if (ok && kernel == MS_KERNEL_EPANECHNIKOV) {
        if ((size_t)d > SIZE_MAX / (bd ? bd : 1)) {
            MS_FN(ms_tree_free)(t);
            return MS_ERR_NOMEM;
        }
        t->ctr = ms_alloc(&rt, bd, sizeof(double));
        t->m1 = ms_alloc(&rt, bd, sizeof(double));
        t->m2 = ms_alloc(&rt, (size_t)max_nodes, sizeof(double));
        t->m3 = ms_alloc(&rt, bd, sizeof(double));
        t->mxx = ms_alloc(&rt, bd * (size_t)d, sizeof(double));
        ok = t->ctr && t->m1 && t->m2 && t->m3 && t->mxx;
    }
    if (ok && kernel == MS_KERNEL_FLAT && d > MS_SOA_MAX_D) {
        t->bc = ms_alloc(&rt, bd, sizeof(double));
        t->br = ms_alloc(&rt, (size_t)max_nodes, sizeof(double));
        ok = t->bc && t->br;
    }
    /* Scratch for the split selections; subtrees built at once use
     * disjoint parts of it. */
    double *col = NULL;
    if (ok && n > leaf_size) {
        col = ms_alloc(&rt, (size_t)n, sizeof(double));
        ok = col != NULL;
    }
    if (!ok) {
        MS_FN(ms_tree_free)(t);
        return MS_ERR_NOMEM;
    }
    memcpy(t->pts, X, nd * sizeof(MS_T));
    for (int64_t i = 0; i < n; i++) t->index[i] = i;
    if (weights) memcpy(t->weights, weights, (size_t)n * sizeof(double));
    for (int64_t i = 0; i < max_nodes; i++) {
        t->nodes[i].start = t->nodes[i].end = 0;
        t->nodes[i].left = t->nodes[i].right = MS_NODE_UNUSED;
    }
    t->n_nodes = max_nodes;
    t->nodes[0].end = n; /* the root's box, from which the children's are cut */
    MS_FN(node_box)(t, 0);
#if MS_OMP_TASKS
    if (n * d >= MS_TASK_MIN_COORDS && ms_num_threads(cfg) > 1) {
#pragma omp parallel num_threads(ms_num_threads(cfg))
#pragma omp single
        MS_FN(build_node)(t, col, 0, 0, n, leaf_size);
    } else
#endif
        MS_FN(build_node)(t, col, 0, 0, n, leaf_size);
    ms_free(col);
    *out = t;
    return MS_OK;
}

ms_status MS_FN(ms_tree_points)(const MS_TREE *t, MS_T *X)
{
    if (t == NULL || X == NULL) return MS_ERR_INVALID;
    const int64_t d = t->d;
    for (int64_t i = 0; i < t->n; i++)
        memcpy(X + t->index[i] * d, t->pts + i * d, (size_t)d * sizeof(MS_T));
    return MS_OK;
}

/* The points by column (soa[j * n + i], tree order, as doubles), for the
 * leaf loops that run across SIMD lanes; NULL when out of memory. */
double *MS_FN(ms__column_copy)(const MS_TREE *t, ms_runtime *rt)
{
    const int64_t n = t->n, d = t->d;
    double *soa = ms_alloc(rt, (size_t)n * (size_t)d, sizeof(double));
    if (soa == NULL) return NULL;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) soa[j * n + i] = (double)t->pts[i * d + j];
    return soa;
}
