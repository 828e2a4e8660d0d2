/*
 * node_bounds_impl.h - ms_gap_reach (bounds.h) against a tree node's box,
 * whose corners are stored in the data's precision (included inside a
 * precision instantiation, see ms_instantiate.h).
 */

/* The point q against node nid's box. */
MS_ALWAYS_INLINE ms_gap MS_FN(node_reach)(const MS_TREE *t, int64_t nid,
                                          const double *MS_RESTRICT q, const int64_t d)
{
    const MS_T *lo = t->lo + nid * d, *hi = t->hi + nid * d;
    ms_gap r = {0.0, 0.0};
    for (int64_t j = 0; j < d; j++) {
        const ms_gap g = ms_gap_reach(q[j], q[j], (double)lo[j], (double)hi[j]);
        r.near2 += g.near2;
        r.far2 += g.far2;
    }
    return r;
}

/* The box [glo, ghi] (a seed group's) against node nid's box. */
MS_ALWAYS_INLINE ms_gap MS_FN(node_box_reach)(const MS_TREE *t, int64_t nid,
                                              const double *MS_RESTRICT glo,
                                              const double *MS_RESTRICT ghi,
                                              const int64_t d)
{
    const MS_T *lo = t->lo + nid * d, *hi = t->hi + nid * d;
    ms_gap r = {0.0, 0.0};
    for (int64_t j = 0; j < d; j++) {
        const ms_gap g = ms_gap_reach(glo[j], ghi[j], (double)lo[j], (double)hi[j]);
        r.near2 += g.near2;
        r.far2 += g.far2;
    }
    return r;
}

/* The walks' reach functions (tree_walk_impl.h): a query at a point starts
 * with an at_point, one with a seed group's box with an at_box. */
typedef struct MS_FN(at_point) {
    const MS_TREE *t;
    const double *q;
} MS_FN(at_point);

MS_ALWAYS_INLINE ms_gap MS_FN(point_reach)(void *query, int64_t nid, int64_t d)
{
    const MS_FN(at_point) *at = query;
    return MS_FN(node_reach)(at->t, nid, at->q, d);
}

typedef struct MS_FN(at_box) {
    const MS_TREE *t;
    const double *glo, *ghi;
} MS_FN(at_box);

MS_ALWAYS_INLINE ms_gap MS_FN(box_reach)(void *query, int64_t nid, int64_t d)
{
    const MS_FN(at_box) *at = query;
    return MS_FN(node_box_reach)(at->t, nid, at->glo, at->ghi, d);
}
