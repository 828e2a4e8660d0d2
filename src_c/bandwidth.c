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

/* The (0-based) r-th smallest of v[0..m), reordering v. */
static double ms__select_double(double *v, int64_t m, int64_t r)
{
    int64_t lo = 0, hi = m - 1;
    while (hi > lo) {
        const double pivot = v[(lo + hi) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                const double tmp = v[i];
                v[i] = v[j];
                v[j] = tmp;
                i++;
                j--;
            }
        }
        if (r <= j)
            hi = j;
        else if (r >= i)
            lo = i;
        else
            break;
    }
    return v[r];
}

#define MS_IMPL "bandwidth_impl.h"
#include "ms_instantiate.h"
