/*
 * kdtree_decl.h - the tree's internal queries, for the other modules.
 */
#ifndef MS_KDTREE_DECL_H
#define MS_KDTREE_DECL_H

#include "ms_internal.h"

#define MS_DECLARE_TREE_QUERIES(T, TREE, SFX)                                            \
    /* soa: NULL, or the column copy for flat sums with d <= MS_SOA_MAX_D;               \
     * base: Gaussian sums come scaled by exp(base / 2h^2) */                            \
    void ms__kernel_sum##SFX(const TREE *t, const double *soa, const double *q,          \
                             ms_kernel kernel, double h, double r2, double tol,          \
                             double base, double *wsum, double *wx);                     \
    int64_t ms__count_within##SFX(const TREE *t, const double *q, double r2);            \
    int64_t ms__collect_shell##SFX(const TREE *t, const double *q, double lo2,           \
                                   double hi2, double *out);                             \
    int64_t ms__nearest##SFX(const TREE *t, const double *q, int weighted,               \
                             double *best_d2);                                           \
    double ms__gaussian_base##SFX(const TREE *t, const double *q);                       \
    double ms__farthest_sq##SFX(const TREE *t, const double *q);                         \
    void ms__group_sum_flat##SFX(const TREE *t, const double *soa, const double *glo,    \
                                 const double *ghi, const double *pos, int64_t m,        \
                                 double r2, double *W, double *WX);                      \
    double *ms__column_copy##SFX(const TREE *t, ms_runtime *rt);                         \
    int64_t ms__count_collect_soa##SFX(const TREE *t, const double *soa,                 \
                                       const double *q, double lo2, double hi2,          \
                                       double *out, int64_t cap, int64_t *below);

MS_DECLARE_TREE_QUERIES(double, ms_tree_f64, _f64)
MS_DECLARE_TREE_QUERIES(float, ms_tree_f32, _f32)

#endif
