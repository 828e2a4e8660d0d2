/*
 * kdtree_impl.h - the k-d tree, written once for both precisions.
 *
 * Included by kdtree.c with MS_T (the data type), MS_TREE (the tree struct)
 * and MS_FN(name) (name with the precision suffix) defined.
 *
 * Every node carries its tight bounding box and the weighted count and
 * coordinate sum of its points, so that a query can take a node whole
 * when its box lies inside the kernel's support and skip it when the box
 * lies outside: a query costs what the support's boundary crosses, not
 * what it contains.
 *
 * Exactness of the box tests: a point's squared distance is computed as
 * sum_j ((double)x_j - q_j)^2 in increasing j, and a box's nearest and
 * farthest squared distances with the same expression on its faces.
 * Rounding is monotone, so the box bounds really bound every computed
 * point distance and whole-node decisions equal point-by-point ones.
 */

/* ---- construction ---------------------------------------------------- */

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
    for (int64_t i = nd->start + 1; i < nd->end; i++) {
        p = t->pts + i * d;
        for (int64_t j = 0; j < d; j++) {
            if (p[j] < lo[j]) lo[j] = p[j];
            if (p[j] > hi[j]) hi[j] = p[j];
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
            if (end - start >= MS_TASK_MIN_POINTS) {
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
    if (n >= MS_TASK_MIN_POINTS && ms_num_threads(cfg) > 1) {
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

/* ---- queries --------------------------------------------------------- */

/* Nearest and farthest squared distances from q to the box of node nid. */
static inline void MS_FN(box_dist)(const MS_TREE *t, int64_t nid,
                                   const double *MS_RESTRICT q, double *mn, double *mx)
{
    const int64_t d = t->d;
    const MS_T *lo = t->lo + nid * d, *hi = t->hi + nid * d;
    double a = 0.0, b = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double l = (double)lo[j] - q[j];
        const double h = (double)hi[j] - q[j];
        if (l > 0.0)
            a += l * l;
        else if (h < 0.0)
            a += h * h;
        const double far = (-l > h) ? l : h;
        b += far * far;
    }
    *mn = a;
    *mx = b;
}

static inline double MS_FN(point_dist)(const MS_TREE *t, int64_t i,
                                       const double *MS_RESTRICT q)
{
    const int64_t d = t->d;
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

/* Box bounds and point distance with the dimension as an argument, so that
 * callers passing a constant get loops unrolled for that dimension. */
MS_ALWAYS_INLINE void MS_FN(box_dist_d)(const MS_TREE *t, int64_t nid,
                                        const double *MS_RESTRICT q, double *mn,
                                        double *mx, const int64_t d)
{
    const MS_T *lo = t->lo + nid * d, *hi = t->hi + nid * d;
    double a = 0.0, b = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double l = (double)lo[j] - q[j];
        const double h = (double)hi[j] - q[j];
        const double near = l > 0.0 ? l : (h < 0.0 ? h : 0.0);
        const double far = (-l > h) ? l : h;
        a += near * near;
        b += far * far;
    }
    *mn = a;
    *mx = b;
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

/* Flat sums over points [start, end) of the column copy: w and s[0..d)
 * receive them.  Branch-free, so that it runs on SIMD lanes; point_dist's
 * arithmetic, ((double)x_j - q_j)^2 added in j order. */
MS_ALWAYS_INLINE void MS_FN(leaf_flat_soa_d)(const double *MS_RESTRICT soa, int64_t n,
                                             const double *MS_RESTRICT wts, int64_t start,
                                             int64_t end, const double *q, double r2,
                                             double *w, double *s, const int64_t d,
                                             const int weighted)
{
    const double *MS_RESTRICT c0 = soa, *MS_RESTRICT c1 = soa + (d > 1 ? n : 0);
    const double *MS_RESTRICT c2 = soa + (d > 2 ? 2 * n : 0);
    const double *MS_RESTRICT c3 = soa + (d > 3 ? 3 * n : 0);
    const double q0 = q[0], q1 = d > 1 ? q[1] : 0.0, q2 = d > 2 ? q[2] : 0.0,
                 q3 = d > 3 ? q[3] : 0.0;
    double lw = 0.0, l0 = 0.0, l1 = 0.0, l2 = 0.0, l3 = 0.0;
#if defined(_OPENMP) && _OPENMP >= 201307
#pragma omp simd reduction(+ : lw, l0, l1, l2, l3)
#endif
    for (int64_t i = start; i < end; i++) {
        const double u0 = c0[i] - q0;
        double r = u0 * u0;
        if (d > 1) {
            const double u = c1[i] - q1;
            r += u * u;
        }
        if (d > 2) {
            const double u = c2[i] - q2;
            r += u * u;
        }
        if (d > 3) {
            const double u = c3[i] - q3;
            r += u * u;
        }
        const double wi = weighted ? wts[i] : 1.0;
        const double m = r <= r2 ? wi : 0.0;
        lw += m;
        l0 += m * c0[i];
        if (d > 1) l1 += m * c1[i];
        if (d > 2) l2 += m * c2[i];
        if (d > 3) l3 += m * c3[i];
    }
    *w += lw;
    s[0] += l0;
    if (d > 1) s[1] += l1;
    if (d > 2) s[2] += l2;
    if (d > 3) s[3] += l3;
}

/* Flat kernel: every point with squared distance <= r2, weight 1.  Leaf
 * points are summed without branches: a point outside adds zero.  With a
 * column copy soa (d <= MS_SOA_MAX_D; NULL otherwise) leaves are summed on
 * SIMD lanes: a single seed's query (bin seeding) spends most of its time
 * in the leaves its sphere crosses.  Those partial sums add up in another
 * order; the counts and the whole-node decisions are the same. */
MS_ALWAYS_INLINE void MS_FN(sum_flat_d)(const MS_TREE *t, const double *soa,
                                        const double *q, double r2, double *wsum,
                                        double *MS_RESTRICT wx, const int64_t d)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    double w = 0.0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        MS_FN(box_dist_d)(t, nid, q, &mn, &mx, d);
        if (mn > r2) continue;
        if (mx <= r2) {
            const double *s = t->wx + nid * d;
            w += t->wsum[nid];
            for (int64_t j = 0; j < d; j++) wx[j] += s[j];
            continue;
        }
        const ms_node *nd = &t->nodes[nid];
        if (nd->left >= 0) {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
            continue;
        }
        if (soa) { /* weighted or not: two loops, each free of the test */
            if (t->weights)
                MS_FN(leaf_flat_soa_d)(soa, t->n, t->weights, nd->start, nd->end, q, r2,
                                       &w, wx, d, 1);
            else
                MS_FN(leaf_flat_soa_d)(soa, t->n, NULL, nd->start, nd->end, q, r2, &w, wx,
                                       d, 0);
            continue;
        }
        const MS_T *p = t->pts + nd->start * d;
        for (int64_t i = nd->start; i < nd->end; i++, p += d) {
            double r = 0.0;
            for (int64_t j = 0; j < d; j++) {
                const double u = (double)p[j] - q[j];
                r += u * u;
            }
            const double wi = r <= r2 ? (t->weights ? t->weights[i] : 1.0) : 0.0;
            w += wi;
            for (int64_t j = 0; j < d; j++) wx[j] += wi * (double)p[j];
        }
    }
    *wsum += w;
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

/* Epanechnikov kernel through the node moments. */
static void MS_FN(sum_epanechnikov)(const MS_TREE *t, const double *q, double h2,
                                    double *wsum, double *wx)
{
    const int64_t d = t->d;
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        MS_FN(box_dist)(t, nid, q, &mn, &mx);
        if (mn >= h2 && mn > 0.0) continue; /* a point at q weighs 1 */
        const ms_node *nd = &t->nodes[nid];
        if (mx == 0.0) {
            /* Every point sits at q (weight 1), also where h2 underflowed. */
            MS_FN(add_node)(t, nid, 1.0, wsum, wx);
            continue;
        }
        if (mx <= h2) {
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
            continue;
        }
        if (nd->left < 0) {
            for (int64_t i = nd->start; i < nd->end; i++) {
                const double r = MS_FN(point_dist)(t, i, q);
                if (r == 0.0)
                    MS_FN(add_point)(t, i, 1.0, wsum, wx);
                else if (r < h2)
                    MS_FN(add_point)(t, i, (h2 - r) / h2, wsum, wx);
            }
        } else {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
        }
    }
}

/* Gaussian kernel: nearest nodes first; a node whose weights vary by so
 * little that taking their midpoint moves the total by at most tol times
 * the mass already found is taken whole at that midpoint.  Weights are
 * exp(-(r - base) / 2h^2): base, the nearest squared distance to a
 * weighted point, keeps them from all underflowing far from the data,
 * where the unscaled sums would be subnormal and their ratio meaningless. */
static void MS_FN(sum_gaussian)(const MS_TREE *t, const double *q, double h, double tol,
                                double base, double *wsum, double *wx)
{
    const double inv = 1.0 / (2.0 * h * h);
    struct item {
        int64_t nid;
        double mn, mx;
    } stack[MS_STACK_DEPTH];
    int top = 0;
    stack[top].nid = 0;
    MS_FN(box_dist)(t, 0, q, &stack[top].mn, &stack[top].mx);
    top++;
    while (top > 0) {
        const struct item it = stack[--top];
        /* d == base has weight 1 even where 1 / h^2 overflowed. */
        const double wmax = it.mn > base ? exp(-(it.mn - base) * inv) : 1.0;
        if (wmax == 0.0) continue;
        const double wmin = it.mx > base ? exp(-(it.mx - base) * inv) : 1.0;
        const ms_node *nd = &t->nodes[it.nid];
        if ((wmax - wmin) * t->wsum[it.nid] <= 2.0 * tol * (*wsum)) {
            MS_FN(add_node)(t, it.nid, 0.5 * (wmax + wmin), wsum, wx);
            continue;
        }
        if (nd->left < 0) {
            for (int64_t i = nd->start; i < nd->end; i++) {
                const double r = MS_FN(point_dist)(t, i, q);
                MS_FN(add_point)(t, i, r > base ? exp(-(r - base) * inv) : 1.0, wsum, wx);
            }
            continue;
        }
        struct item a = {nd->left, 0.0, 0.0}, b = {nd->right, 0.0, 0.0};
        MS_FN(box_dist)(t, a.nid, q, &a.mn, &a.mx);
        MS_FN(box_dist)(t, b.nid, q, &b.mn, &b.mx);
        if (a.mn <= b.mn) {
            stack[top++] = b;
            stack[top++] = a;
        } else {
            stack[top++] = a;
            stack[top++] = b;
        }
    }
}

/* Kernel sums with the flat radius already squared (r2 = ms_radius_sq(h)).
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
    MS_FN(ms__kernel_sum)(t, NULL, q, kernel, h, ms_radius_sq(h), tol, b, wsum, wx);
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
    volatile int stop = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(ms_num_threads(cfg))
#endif
    for (int64_t b = 0; b < n_blocks; b++) {
        if (stop) continue;
        const int64_t lo = 1 + b * block, hi = lo + block < m ? lo + block : m;
        for (int64_t i = lo; i < hi; i++)
            (void)MS_FN(kernel_sum_checked)(t, Q + i * d, kernel, h, tol, base + i,
                                            wsum + i, wx + i * d);
#ifdef _OPENMP
        if (omp_get_thread_num() == 0 && ms_report_progress(cfg, hi, m)) stop = 1;
#else
        if (ms_report_progress(cfg, hi, m)) stop = 1;
#endif
    }
    return stop ? MS_ERR_INTERRUPTED : MS_OK;
}

MS_ALWAYS_INLINE int64_t MS_FN(count_within_d)(const MS_TREE *t, const double *q,
                                               double r2, const int64_t d)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    int64_t count = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        MS_FN(box_dist_d)(t, nid, q, &mn, &mx, d);
        if (mn > r2) continue;
        const ms_node *nd = &t->nodes[nid];
        if (mx <= r2) {
            count += nd->end - nd->start;
        } else if (nd->left < 0) {
            const MS_T *p = t->pts + nd->start * d;
            for (int64_t i = nd->start; i < nd->end; i++, p += d) {
                double r = 0.0;
                for (int64_t j = 0; j < d; j++) {
                    const double u = (double)p[j] - q[j];
                    r += u * u;
                }
                count += r <= r2;
            }
        } else {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
        }
    }
    return count;
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

/* Squared distances in (lo2, hi2] appended to out; returns their count. */
int64_t MS_FN(ms__collect_shell)(const MS_TREE *t, const double *q, double lo2,
                                 double hi2, double *out)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    int64_t count = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        MS_FN(box_dist)(t, nid, q, &mn, &mx);
        if (mn > hi2 || mx <= lo2) continue;
        const ms_node *nd = &t->nodes[nid];
        if (nd->left < 0) {
            for (int64_t i = nd->start; i < nd->end; i++) {
                const double r = MS_FN(point_dist)(t, i, q);
                if (r > lo2 && r <= hi2) out[count++] = r;
            }
        } else {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
        }
    }
    return count;
}

/* Nearest point to q: original index, ties to the lower index; with
 * weighted, points of weight 0 are passed over (-1 and INFINITY when no
 * point is left). */
int64_t MS_FN(ms__nearest)(const MS_TREE *t, const double *q, int weighted,
                           double *best_d2)
{
    const double *wts = weighted ? t->weights : NULL;
    struct item {
        int64_t nid;
        double mn;
    } stack[MS_STACK_DEPTH];
    int top = 0;
    double best = INFINITY;
    int64_t best_i = -1;
    double mx;
    stack[top].nid = 0;
    MS_FN(box_dist)(t, 0, q, &stack[top].mn, &mx);
    top++;
    while (top > 0) {
        const struct item it = stack[--top];
        if (it.mn > best) continue;
        const ms_node *nd = &t->nodes[it.nid];
        if (nd->left < 0) {
            for (int64_t i = nd->start; i < nd->end; i++) {
                if (wts != NULL && !(wts[i] > 0.0)) continue;
                const double r = MS_FN(point_dist)(t, i, q);
                const int64_t idx = t->index[i];
                if (r < best || (r == best && idx < best_i)) {
                    best = r;
                    best_i = idx;
                }
            }
            continue;
        }
        struct item a = {nd->left, 0.0}, b = {nd->right, 0.0};
        MS_FN(box_dist)(t, a.nid, q, &a.mn, &mx);
        MS_FN(box_dist)(t, b.nid, q, &b.mn, &mx);
        if (a.mn <= b.mn) {
            stack[top++] = b;
            stack[top++] = a;
        } else {
            stack[top++] = a;
            stack[top++] = b;
        }
    }
    *best_d2 = best;
    return best_i;
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
    double mn, mx;
    MS_FN(box_dist)(t, 0, q, &mn, &mx);
    return mx;
}

/* ---- seed groups ------------------------------------------------------ */

/* Nearest and farthest squared distances between the box [glo, ghi] and
 * node nid's box; as for points, they bound every seed-point distance
 * computed with the same rounding. */
MS_ALWAYS_INLINE void MS_FN(box_box_d)(const MS_TREE *t, int64_t nid,
                                       const double *MS_RESTRICT glo,
                                       const double *MS_RESTRICT ghi, double *mn,
                                       double *mx, const int64_t d)
{
    const MS_T *lo = t->lo + nid * d, *hi = t->hi + nid * d;
    double a = 0.0, b = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double below = (double)lo[j] - ghi[j]; /* > 0: node above group */
        const double above = glo[j] - (double)hi[j]; /* > 0: node below group */
        const double near = below > 0.0 ? below : (above > 0.0 ? above : 0.0);
        const double up = (double)hi[j] - glo[j];
        const double down = ghi[j] - (double)lo[j];
        const double far = up > down ? up : down;
        a += near * near;
        b += far * far;
    }
    *mn = a;
    *mx = b;
}

/* Flat-kernel sums for a group of m seeds (rows of pos) inside the box
 * [glo, ghi].  Nodes inside every seed's ball, or outside all of them, are
 * decided once for the whole group; only points whose membership differs
 * within the group are tested seed by seed.  m <= MS_GROUP_MAX; soa, the
 * tree's column copy, is needed up to MS_SOA_MAX_D features.  W (m)
 * receives the weights and WX (at least (3 m + 1) x d) the coordinate
 * sums in its first m rows, the rest being scratch. */
MS_ALWAYS_INLINE void MS_FN(group_sum_flat_d)(const MS_TREE *t, const double *soa,
                                              const double *glo, const double *ghi,
                                              const double *pos, int64_t m, double r2,
                                              double *W, double *WX, const int64_t d,
                                              const int simd)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    /* WX rows: m seeds (filled at the end), the shared sums, then the seeds'
     * coordinates by column and, beyond MS_SOA_MAX_D features, their private
     * sums by column (cx, with the weights in W). */
    double *MS_RESTRICT shx = WX + m * d;
    double *MS_RESTRICT cols = shx + d;
    double *MS_RESTRICT cx = cols + m * d;
    double shw = 0.0;
    for (int64_t j = 0; j < d; j++) shx[j] = 0.0;
    for (int64_t k = 0; k < m; k++)
        for (int64_t j = 0; j < d; j++) cols[j * m + k] = pos[k * d + j];
    if (d > MS_SOA_MAX_D)
        for (int64_t k = 0; k < m; k++) {
            W[k] = 0.0;
            for (int64_t j = 0; j < d; j++) cx[j * m + k] = 0.0;
        }
    double pb[MS_SOA_MAX_D + 1][MS_PAIR_BUF];      /* undecided points, by column */
    int64_t all[MS_GROUP_MAX], some[MS_GROUP_MAX]; /* seeds, by the buffer's box */
    /* Up to MS_SOA_MAX_D features the seeds' private sums are rows of acc
     * (see subset_sums.h). */
    const int64_t E = MS_SUBSET_W(d);
    double acc[MS_GROUP_MAX * 8];
    if (d <= MS_SOA_MAX_D)
        for (int64_t i = 0; i < m * E; i++) acc[i] = 0.0;
#ifdef MS_AVX2_TARGET
    ms_seed_screen screen;
    if (simd) ms_seed_screen_init(&screen, cols, m, glo, ghi, d);
#define MS_SOME_PAIRS(nb)                                                                \
    (simd ? ms_subset_sums_avx2(pb, nb, cols, m, some, n_some, &screen, acc, r2, d)      \
          : ms_subset_sums(pb, nb, cols, m, some, n_some, acc, r2, d))
#define MS_ADD_WHOLE(nb)                                                                 \
    (simd ? ms_add_whole_avx2(pb, nb, all, n_all, acc, d)                                \
          : ms_add_whole(pb, nb, all, n_all, acc, d))
#define MS_BLOCK_SIDES()                                                                 \
    (simd ? ms_block_sides_avx2(cols, m, blo, bhi, r2, &screen, all, &n_all, some,       \
                                &n_some, d)                                              \
          : ms_block_sides(cols, m, blo, bhi, r2, all, &n_all, some, &n_some, d))
#define MS_ROUTE()                                                                       \
    (simd ? ms_route_avx2(soa, n, c, len, av, bv, r2, pb, u, d)                          \
          : ms_route(soa, n, t->weights, c, len, av, bv, r2, pb, u, d))
#define MS_BUFFER_BOX(nb)                                                                \
    (simd ? ms_buffer_box_avx2(pb, nb, blo, bhi, d) : ms_buffer_box(pb, nb, blo, bhi, d))
#else
    (void)simd;
#define MS_SOME_PAIRS(nb) ms_subset_sums(pb, nb, cols, m, some, n_some, acc, r2, d)
#define MS_ADD_WHOLE(nb) ms_add_whole(pb, nb, all, n_all, acc, d)
#define MS_BLOCK_SIDES()                                                                 \
    ms_block_sides(cols, m, blo, bhi, r2, all, &n_all, some, &n_some, d)
#define MS_ROUTE() ms_route(soa, n, t->weights, c, len, av, bv, r2, pb, u, d)
#define MS_BUFFER_BOX(nb) ms_buffer_box(pb, nb, blo, bhi, d)
#endif
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        MS_FN(box_box_d)(t, nid, glo, ghi, &mn, &mx, d);
        if (mn > r2) continue;
        if (mx <= r2) {
            const double *s = t->wx + nid * d;
            shw += t->wsum[nid];
            for (int64_t j = 0; j < d; j++) shx[j] += s[j];
            continue;
        }
        const ms_node *nd = &t->nodes[nid];
        if (nd->left >= 0 &&
            (d > MS_SOA_MAX_D || nd->end - nd->start > MS_BLOCK_POINTS)) {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
            continue;
        }
        if (d <= MS_SOA_MAX_D) {
            /* A block of at most MS_BLOCK_POINTS points, or a leaf.  Its
             * points are measured against the group box on SIMD lanes,
             * then routed without branches: inside every ball to the
             * shared sums, undecided to the buffer (ms_route). */
            const int64_t n = t->n;
            for (int64_t c = nd->start; c < nd->end; c += MS_PAIR_BUF) {
                const int64_t len = nd->end - c < MS_PAIR_BUF ? nd->end - c : MS_PAIR_BUF;
                double av[MS_PAIR_BUF], bv[MS_PAIR_BUF];
#if defined(_OPENMP) && _OPENMP >= 201307
#pragma omp simd
#endif
                for (int64_t i = 0; i < len; i++) {
                    const ms_gap g = ms_box_reach(soa + c + i, n, glo, ghi, d);
                    av[i] = g.near2;
                    bv[i] = g.far2;
                }
                double u[MS_SOA_MAX_D + 1];
                const int64_t nb = MS_ROUTE();
                for (int64_t j = 0; j < d; j++) shx[j] += u[j];
                shw += u[d];
                if (nb == 0) continue;
                /* Each seed is then measured against the box of the
                 * undecided points (thinner than the block's where the
                 * group box decided part of it): a seed whose ball holds
                 * the box (all) takes every one of them, one whose ball
                 * misses it takes none, and only the rest (some) are
                 * tested point by point. */
                double blo[MS_SOA_MAX_D], bhi[MS_SOA_MAX_D];
                MS_BUFFER_BOX(nb);
                int64_t n_all, n_some;
                MS_BLOCK_SIDES();
                if (n_all > 0) MS_ADD_WHOLE(nb);
                if (n_some > 0) MS_SOME_PAIRS(nb);
            }
            continue;
        }
        /* Beyond MS_SOA_MAX_D features: point by point, and each
         * undecided point seed by seed, one pass per feature over the
         * seeds' columns (on SIMD lanes; each seed's sums keep their
         * order). */
        const MS_T *p = t->pts + nd->start * d;
        for (int64_t i = nd->start; i < nd->end; i++, p += d) {
            const double wi = t->weights ? t->weights[i] : 1.0;
            double a = 0.0, b = 0.0;
            for (int64_t j = 0; j < d; j++) {
                const ms_gap g = ms_gap_reach((double)p[j], glo[j], ghi[j]);
                a += g.near2;
                b += g.far2;
            }
            if (a > r2) continue;
            if (b <= r2) {
                shw += wi;
                for (int64_t j = 0; j < d; j++) shx[j] += wi * (double)p[j];
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
#undef MS_SOME_PAIRS
#undef MS_ADD_WHOLE
#undef MS_BLOCK_SIDES
#undef MS_ROUTE
#undef MS_BUFFER_BOX
    for (int64_t k = 0; k < m; k++) {
        if (d <= MS_SOA_MAX_D) {
            W[k] = acc[k * E + d] + shw;
            for (int64_t j = 0; j < d; j++) WX[k * d + j] = acc[k * E + j] + shx[j];
        } else {
            W[k] += shw;
            for (int64_t j = 0; j < d; j++) WX[k * d + j] = cx[j * m + k] + shx[j];
        }
    }
}

#ifdef MS_AVX2_TARGET
/* Unit weights, at most MS_SOA_MAX_D features, on a CPU with AVX2. */
MS_AVX2_TARGET static void MS_FN(group_sum_flat_avx2)(const MS_TREE *t, const double *soa,
                                                      const double *glo,
                                                      const double *ghi,
                                                      const double *pos, int64_t m,
                                                      double r2, double *W, double *WX)
{
    switch (t->d) {
    case 1: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 1, 1); break;
    case 2: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 2, 1); break;
    case 3: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 3, 1); break;
    default: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 4, 1); break;
    }
}
#endif

MS_SIMD_CLONES void MS_FN(ms__group_sum_flat)(const MS_TREE *t, const double *soa,
                                              const double *glo, const double *ghi,
                                              const double *pos, int64_t m, double r2,
                                              double *W, double *WX)
{
#ifdef MS_AVX2_TARGET
    if (t->weights == NULL && t->d <= MS_SOA_MAX_D && MS_CPU_HAS_AVX2()) {
        MS_FN(group_sum_flat_avx2)(t, soa, glo, ghi, pos, m, r2, W, WX);
        return;
    }
#endif
    switch (t->d) {
    case 1: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 1, 0); break;
    case 2: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 2, 0); break;
    case 3: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 3, 0); break;
    case 4: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, 4, 0); break;
    default: MS_FN(group_sum_flat_d)(t, soa, glo, ghi, pos, m, r2, W, WX, t->d, 0); break;
    }
}

/* For the sphere pair lo2 < hi2 around q: *below counts the points within
 * lo2, and the squared distances in (lo2, hi2] go to out while they fit
 * (the count returned).  Leaf points are read from a copy of the points by
 * column (soa[j * n + i], tree order, as doubles) and measured in blocks
 * on SIMD lanes, with point_dist's arithmetic; out needs cap + 1
 * entries. */
MS_ALWAYS_INLINE int64_t MS_FN(count_collect_soa_d)(
    const MS_TREE *t, const double *MS_RESTRICT soa, const double *q, double lo2,
    double hi2, double *MS_RESTRICT out, int64_t cap, int64_t *below, const int64_t d)
{
    int64_t stack[MS_STACK_DEPTH];
    int top = 0;
    int64_t inside = 0, shell = 0;
    const int64_t n = t->n;
    stack[top++] = 0;
    while (top > 0) {
        const int64_t nid = stack[--top];
        double mn, mx;
        MS_FN(box_dist_d)(t, nid, q, &mn, &mx, d);
        if (mn > hi2) continue;
        const ms_node *nd = &t->nodes[nid];
        if (mx <= lo2) {
            inside += nd->end - nd->start;
            continue;
        }
        if (nd->left >= 0) {
            stack[top++] = nd->right;
            stack[top++] = nd->left;
            continue;
        }
        for (int64_t s0 = nd->start; s0 < nd->end; s0 += MS_SOA_BLOCK) {
            const int64_t len = nd->end - s0 < MS_SOA_BLOCK ? nd->end - s0 : MS_SOA_BLOCK;
            double r[MS_SOA_BLOCK];
            for (int64_t i = 0; i < len; i++) r[i] = 0.0;
            for (int64_t j = 0; j < d; j++) {
                const double *MS_RESTRICT xj = soa + j * n + s0;
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
            inside += in_lo;
            if (in_hi == in_lo) continue;
            /* Compacted without branches: every value is written at the
             * next free place (the spare last one once full). */
            for (int64_t i = 0; i < len; i++) {
                out[shell < cap ? shell : cap] = r[i];
                shell += (r[i] > lo2) & (r[i] <= hi2);
            }
        }
    }
    *below = inside;
    return shell;
}

MS_SIMD_CLONES int64_t MS_FN(ms__count_collect_soa)(const MS_TREE *t, const double *soa,
                                                    const double *q, double lo2,
                                                    double hi2, double *out, int64_t cap,
                                                    int64_t *below)
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
