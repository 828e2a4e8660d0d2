/*
 * bandwidth.c - instantiates the k-th neighbour distances
 * (bandwidth_impl.h) for float64 and float32 data.
 */
#include <math.h>

#include "kdtree_decl.h"
#include "ms_internal.h"

/* Collect the distances between two radii once at most this many points
 * lie there. */
#define MS_SHELL_CAP 4096

/* The (0-based) r-th smallest of v[0..m), reordering v.  Quickselect
 * with branch-free partitions (a swap per value and a conditional
 * increment), since shells hold values in random order whose comparisons
 * a branch would mispredict half the time. */
static double ms__select_double(double *v, int64_t m, int64_t r)
{
    int64_t lo = 0, hi = m - 1;
    while (hi - lo > 16) {
        const double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
        const double ab_lo = a < b ? a : b, ab_hi = a < b ? b : a;
        const double pivot = c < ab_lo ? ab_lo : (c > ab_hi ? ab_hi : c);
        /* [lo, i) below the pivot, then [i, k) equal to it */
        int64_t i = lo;
        for (int64_t j = lo; j <= hi; j++) {
            const double x = v[j];
            v[j] = v[i];
            v[i] = x;
            i += x < pivot;
        }
        if (r < i) {
            hi = i - 1;
            continue;
        }
        int64_t k = i;
        for (int64_t j = i; j <= hi; j++) {
            const double x = v[j];
            v[j] = v[k];
            v[k] = x;
            k += x == pivot;
        }
        if (r < k) return pivot;
        lo = k;
    }
    /* insertion sort of the last few */
    for (int64_t j = lo + 1; j <= hi; j++) {
        const double x = v[j];
        int64_t i = j;
        while (i > lo && v[i - 1] > x) {
            v[i] = v[i - 1];
            i--;
        }
        v[i] = x;
    }
    return v[r];
}

#define MS_IMPL "bandwidth_impl.h"
#include "ms_instantiate.h"
