/*
 * select.c - the r-th smallest of an array of doubles, for the tree's
 * median splits and the k-th neighbour distances.
 */
#include "ms_internal.h"

static void sift_down(double *v, int64_t root, int64_t m)
{
    for (;;) {
        int64_t c = 2 * root + 1;
        if (c >= m) return;
        if (c + 1 < m && v[c + 1] > v[c]) c++;
        if (!(v[c] > v[root])) return;
        const double x = v[c];
        v[c] = v[root];
        v[root] = x;
        root = c;
    }
}

/* Heapsort of v[0..m): the O(m log m) bound behind the selection. */
static void heap_sort(double *v, int64_t m)
{
    for (int64_t i = m / 2 - 1; i >= 0; i--) sift_down(v, i, m);
    for (int64_t end = m - 1; end > 0; end--) {
        const double x = v[0];
        v[0] = v[end];
        v[end] = x;
        sift_down(v, 0, end);
    }
}

/* The (0-based) r-th smallest of v[0..m), reordering v.  Quickselect
 * with branch-free partitions (a swap per value and a conditional
 * increment), since shells and columns hold values in random order whose
 * comparisons a branch would mispredict half the time.  Orders that defeat
 * the median-of-three pivot (which random data need not fear, but a
 * caller's data may be built that way) exhaust a budget of passes, and a
 * heapsort finishes in O(m log m). */
double ms__select_double(double *v, int64_t m, int64_t r)
{
    int64_t lo = 0, hi = m - 1;
    int64_t budget = 8 * m + 64; /* values a partition may still visit */
    while (hi - lo > 16) {
        budget -= hi - lo + 1;
        if (budget < 0) {
            heap_sort(v + lo, hi - lo + 1);
            return v[r];
        }
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
