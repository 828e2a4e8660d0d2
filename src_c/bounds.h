/*
 * bounds.h - the bounds on distances between a point or a box and a box
 * (and, beyond a few features, between two balls), on which every pruning
 * decision of the core rests.
 *
 * Exactness.  A point's squared distance to a query is always computed as
 * sum_j ((double)x_j - q_j)^2, in increasing j.  A box's nearest and
 * farthest squared distances are computed with the same expression, term
 * by term, on its faces.  Rounding is monotone, so these bounds bound every
 * point distance as computed, not only as it would be in exact arithmetic:
 * a node the bound puts inside a radius holds no point whose computed
 * distance exceeds it, and one it puts outside none whose computed distance
 * is within it.  Whole-node decisions therefore equal point-by-point ones,
 * which is why the flat kernel takes exactly the points scikit-learn takes.
 */
#ifndef MS_BOUNDS_H
#define MS_BOUNDS_H

#include <math.h>

#include "ms_internal.h"

/* Squared gaps on one axis, or summed over the axes. */
typedef struct ms_gap {
    double near2; /* nearest: every distance is at least this */
    double far2;  /* farthest: every distance is at most this */
} ms_gap;

/* One axis: the nearest and farthest squared gaps between a point of
 * [alo, ahi] and a point of [blo, bhi] (a point is the interval [x, x]). */
MS_ALWAYS_INLINE ms_gap ms_gap_reach(double alo, double ahi, double blo, double bhi)
{
    const double b_above = blo - ahi, b_below = alo - bhi;
    const double near = b_above > 0.0 ? b_above : (b_below > 0.0 ? b_below : 0.0);
    const double up = bhi - alo, down = ahi - blo;
    const double far = up > down ? up : down;
    const ms_gap g = {near * near, far * far};
    return g;
}

/* The point x (coordinates x[j * stride]) against the box [lo, hi]. */
MS_ALWAYS_INLINE ms_gap ms_point_box_reach(const double *x, int64_t stride,
                                           const double *lo, const double *hi,
                                           const int64_t d)
{
    ms_gap r = {0.0, 0.0};
    for (int64_t j = 0; j < d; j++) {
        const double xj = x[j * stride];
        const ms_gap g = ms_gap_reach(xj, xj, lo[j], hi[j]);
        r.near2 += g.near2;
        r.far2 += g.far2;
    }
    return r;
}

/* Balls.  Beyond a few features a box bounds distances loosely (its
 * corners lie far from its points), while a ball about the points' mean
 * stays tight.  A ball's centre distance and radii come from sums of
 * squares and square roots, whose rounding is not the exact expression's,
 * so a ball decides only with a margin: every such quantity errs by at
 * most about (d + 4) 2^-53 of itself, far less than MS_BALL_SLACK(d), and
 * radii are stored inflated by it.  With r2 within [2^-100, 2^100] and
 * every quantity finite, underflow errs by far less than the margin too.
 * A verdict is therefore the exact expression's decision for every pair;
 * where the margin leaves doubt the caller falls back on the box. */
#define MS_BALL_SLACK(d) ((double)((d) + 8) * 0x1p-50)

/* The radius of a query's balls, with the margins of d features taken
 * once per query. */
typedef struct ms_ball_test {
    double slack;  /* MS_BALL_SLACK(d) */
    double inside; /* sqrt(r2), less the margin */
    double beyond; /* sqrt(r2), plus the margin */
} ms_ball_test;

/* 0 where r2 lies outside the range in which balls may decide. */
MS_ALWAYS_INLINE int ms_ball_test_init(ms_ball_test *b, double r2, int64_t d)
{
    if (!(r2 >= 0x1p-100 && r2 <= 0x1p100)) return 0;
    const double h = sqrt(r2);
    b->slack = MS_BALL_SLACK(d);
    b->inside = h * (1.0 - b->slack);
    b->beyond = h * (1.0 + 2.0 * b->slack);
    return 1;
}

/* The distance between two centres of d coordinates, as computed. */
MS_ALWAYS_INLINE double ms_centre_dist(const double *a, const double *b, int64_t d)
{
    double s = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double u = a[j] - b[j];
        s += u * u;
    }
    return sqrt(s);
}

/* Points within `reach` (their radius plus the seeds' radius, both upper
 * bounds) of two centres `dist` apart (as computed): 1 where every point
 * lies within the radius of every seed, -1 where none does, 0 where the
 * margin leaves doubt. */
MS_ALWAYS_INLINE int ms_ball_verdict(const ms_ball_test *b, double dist, double reach)
{
    if (!(dist + reach <= 0x1p500)) return 0;
    if ((dist + reach) * (1.0 + 2.0 * b->slack) <= b->inside) return 1;
    if (dist * (1.0 - b->slack) > reach * (1.0 + b->slack) + b->beyond) return -1;
    return 0;
}

#endif /* MS_BOUNDS_H */
