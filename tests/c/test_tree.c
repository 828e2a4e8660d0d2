/*
 * test_tree.c - checks of the meanshift-fast C core through its public
 * header only (src_c/meanshift.h), against brute-force computations.
 *
 * Build and run (what tests/test_c_core.py does):
 *
 *     cc -O1 -std=c99 -fopenmp -Isrc_c src_c/*.c tests/c/test_tree.c -lm -o t
 *     ./t            # prints "N passed, 0 failed"; exit status 1 on failure
 *
 * Add -DMS_FAULT_INJECTION to the build to also run the allocation-failure
 * section: every entry point, with the n-th allocation failing for
 * n = 0, 1, ..., must return MS_ERR_NOMEM or the right answer (run it under
 * valgrind or ASan to see that failure paths free what they allocated).
 * Pass "quick" as the first argument for smaller sizes (used under valgrind).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meanshift.h"
#include "check.h"

static int quick = 0;

/* ---- deterministic random numbers ------------------------------------- */

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(void) { return (double)(next_u64() >> 11) * 0x1.0p-53; }

static int64_t randint(int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(next_u64() % (uint64_t)(hi - lo + 1));
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "test harness out of memory\n");
        exit(2);
    }
    return p;
}

/* Data: kind 0 uniform in [-5, 5), kind 1 integer grid with duplicates,
 * kind 2 a few tight clusters far from the origin. */
static double *make_data(int64_t n, int64_t d, int kind)
{
    double *X = xmalloc((size_t)(n * d) * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v;
            if (kind == 0)
                v = uniform() * 10.0 - 5.0;
            else if (kind == 1)
                v = (double)randint(-3, 3);
            else
                v = 1000.0 + 10.0 * (double)(i % 3) + 0.5 * uniform();
            X[i * d + j] = v;
        }
    return X;
}

static float *to_f32(const double *X, int64_t n, int64_t d)
{
    float *F = xmalloc((size_t)(n * d) * sizeof(float));
    for (int64_t i = 0; i < n * d; i++) F[i] = (float)X[i];
    return F;
}

/* Squared distance accumulated feature by feature. */
static double sqd(const double *x, const double *q, int64_t d)
{
    double s = 0.0;
    for (int64_t j = 0; j < d; j++) {
        const double u = x[j] - q[j];
        s += u * u;
    }
    return s;
}

static double kernel_weight(ms_kernel k, double d2, double h)
{
    switch (k) {
    case MS_KERNEL_FLAT:
        return d2 <= h * h ? 1.0 : 0.0;
    case MS_KERNEL_GAUSSIAN:
        return exp(-d2 / (2.0 * h * h));
    case MS_KERNEL_EPANECHNIKOV:
        return d2 < h * h ? 1.0 - d2 / (h * h) : 0.0;
    }
    return NAN;
}

/* Brute-force kernel sums at q over rows of Xd (the data as doubles). */
static void brute_sum(const double *Xd, const double *w, int64_t n, int64_t d,
                      const double *q, ms_kernel k, double h, double *W,
                      double *WX, double *absW, double *absWX)
{
    *W = *absW = 0.0;
    for (int64_t j = 0; j < d; j++) WX[j] = absWX[j] = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double kw = kernel_weight(k, sqd(Xd + i * d, q, d), h);
        if (w) kw *= w[i];
        *W += kw;
        *absW += fabs(kw);
        for (int64_t j = 0; j < d; j++) {
            WX[j] += kw * Xd[i * d + j];
            absWX[j] += fabs(kw * Xd[i * d + j]);
        }
    }
}

static const char *kname(ms_kernel k)
{
    return k == MS_KERNEL_FLAT ? "flat" : k == MS_KERNEL_GAUSSIAN ? "gaussian" : "epanechnikov";
}

/* ---- kernel sums ------------------------------------------------------ */

static void test_kernel_sums(void)
{
    const int64_t ns[] = {1, 2, 3, 17, 150, 600};
    const int64_t ds[] = {1, 2, 3, 5};
    const int64_t leafs[] = {0, 1, 2, 5, 16, -1 /* n */, -2 /* n + 10 */};
    const ms_kernel kernels[] = {MS_KERNEL_FLAT, MS_KERNEL_GAUSSIAN, MS_KERNEL_EPANECHNIKOV};
    ms_config cfg = ms_config_default();
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t b = 0; b < sizeof ds / sizeof *ds; b++)
            for (int kind = 0; kind < 3; kind++)
                for (size_t c = 0; c < sizeof leafs / sizeof *leafs; c++)
                    for (int weighted = 0; weighted < 2; weighted++) {
                        const int64_t n = ns[a], d = ds[b];
                        if (quick && n > 17 && !(n == 150 && d == 2 && kind == 0)) continue;
                        int64_t leaf = leafs[c] == -1 ? n : leafs[c] == -2 ? n + 10 : leafs[c];
                        double *X = make_data(n, d, kind);
                        float *F = to_f32(X, n, d);
                        double *Xf = xmalloc((size_t)(n * d) * sizeof(double));
                        for (int64_t i = 0; i < n * d; i++) Xf[i] = (double)F[i];
                        double *w = NULL;
                        if (weighted) {
                            w = xmalloc((size_t)n * sizeof(double));
                            for (int64_t i = 0; i < n; i++)
                                w[i] = kind == 1 ? (double)randint(0, 3) : 2.0 * uniform();
                        }
                        for (size_t kk = 0; kk < 3; kk++) {
                            const ms_kernel k = kernels[kk];
                            ms_tree_f64 *t64 = NULL;
                            ms_tree_f32 *t32 = NULL;
                            ms_status s1 = ms_tree_build_f64(X, w, n, d, leaf, k, &cfg, &t64);
                            ms_status s2 = ms_tree_build_f32(F, w, n, d, leaf, k, &cfg, &t32);
                            check(s1 == MS_OK && s2 == MS_OK && t64 && t32,
                                  "tree build n=%lld d=%lld leaf=%lld", (long long)n,
                                  (long long)d, (long long)leaf);
                            if (s1 != MS_OK || s2 != MS_OK) continue;
                            const double hs[] = {0.0, 0.3, 1.0, 2.5, 40.0, 1e4};
                            for (int qi = 0; qi < 12; qi++) {
                                double q[8];
                                for (int64_t j = 0; j < d; j++)
                                    q[j] = qi < 4 ? X[(qi % n) * d + j]
                                           : kind == 2 ? 1000.0 + 25.0 * uniform()
                                                       : uniform() * 12.0 - 6.0;
                                if (kind == 1 && qi >= 4 && qi < 8)
                                    for (int64_t j = 0; j < d; j++)
                                        q[j] = (double)randint(-4, 4) * 0.5;
                                for (size_t hi = 0; hi < sizeof hs / sizeof *hs; hi++) {
                                    const double h = hs[hi];
                                    if (k != MS_KERNEL_FLAT && h == 0.0) continue;
                                    for (int prec = 0; prec < 2; prec++) {
                                        const double *Xd = prec ? Xf : X;
                                        double W, WX[8], aW, aWX[8], gW, gWX[8];
                                        brute_sum(Xd, w, n, d, q, k, h, &W, WX, &aW, aWX);
                                        ms_status st =
                                            prec ? ms_tree_kernel_sum_f32(t32, q, k, h, 0.0, &gW, gWX)
                                                 : ms_tree_kernel_sum_f64(t64, q, k, h, 0.0, &gW, gWX);
                                        int ok = st == MS_OK;
                                        /* Flat: the same set of points. With
                                         * unit or integer weights on grid
                                         * data every sum is exact. */
                                        const int exact =
                                            k == MS_KERNEL_FLAT && (kind == 1 || !weighted);
                                        const double rel = k == MS_KERNEL_EPANECHNIKOV ? 1e-9 : 1e-12;
                                        if (k == MS_KERNEL_FLAT && exact)
                                            ok = ok && gW == W;
                                        else
                                            ok = ok && fabs(gW - W) <= rel * aW + 1e-300;
                                        for (int64_t j = 0; j < d; j++) {
                                            if (k == MS_KERNEL_FLAT && kind == 1)
                                                ok = ok && gWX[j] == WX[j];
                                            else
                                                ok = ok &&
                                                     fabs(gWX[j] - WX[j]) <=
                                                         rel * (aWX[j] + aW * 1e3) + 1e-300;
                                        }
                                        check(ok,
                                              "kernel_sum_%s %s n=%lld d=%lld leaf=%lld kind=%d "
                                              "w=%d h=%g: tree W=%.17g brute W=%.17g",
                                              prec ? "f32" : "f64", kname(k), (long long)n,
                                              (long long)d, (long long)leaf, kind, weighted, h,
                                              gW, W);
                                        /* Scaled sums: the plain ones times
                                         * exp(r0 / 2h^2), r0 the nearest
                                         * squared distance. */
                                        double r0 = INFINITY, b, sW, sWX[8];
                                        for (int64_t i = 0; i < n; i++) {
                                            if (w != NULL && !(w[i] > 0.0)) continue;
                                            double r = 0.0;
                                            for (int64_t j = 0; j < d; j++) {
                                                const double u = Xd[i * d + j] - q[j];
                                                r += u * u;
                                            }
                                            r0 = r < r0 ? r : r0;
                                        }
                                        st = prec ? ms_tree_kernel_sum_scaled_f32(
                                                        t32, q, k, h, 0.0, &b, &sW, sWX)
                                                  : ms_tree_kernel_sum_scaled_f64(
                                                        t64, q, k, h, 0.0, &b, &sW, sWX);
                                        ok = st == MS_OK;
                                        if (k == MS_KERNEL_GAUSSIAN) {
                                            const double f = exp(-b / (2.0 * h * h));
                                            ok = ok && b == r0 &&
                                                 (weighted || sW >= 1.0) &&
                                                 fabs(sW * f - gW) <= 1e-12 * aW + 1e-300;
                                        } else {
                                            ok = ok && b == 0.0 && sW == gW;
                                            for (int64_t j = 0; j < d; j++)
                                                ok = ok && sWX[j] == gWX[j];
                                        }
                                        check(ok, "kernel_sum_scaled_%s %s n=%lld d=%lld h=%g",
                                              prec ? "f32" : "f64", kname(k), (long long)n,
                                              (long long)d, h);
                                    }
                                }
                            }
                            /* A flat tree has no Epanechnikov moments. */
                            if (k == MS_KERNEL_FLAT) {
                                double gW, gWX[8], q[8] = {0};
                                check(ms_tree_kernel_sum_f64(t64, q, MS_KERNEL_EPANECHNIKOV, 1.0,
                                                             0.0, &gW, gWX) == MS_ERR_INVALID,
                                      "epanechnikov sum on a flat tree is invalid");
                            }
                            ms_tree_free_f64(t64);
                            ms_tree_free_f32(t32);
                        }
                        free(X);
                        free(F);
                        free(Xf);
                        free(w);
                    }
}

/* The batch of queries equals the queries one at a time, bit for bit, on
 * any number of threads; bad arguments are refused. */
static void test_kernel_sums_batch(int n_threads)
{
    const int64_t n = 700, d = 3, m = 257;
    const ms_kernel kernels[] = {MS_KERNEL_FLAT, MS_KERNEL_GAUSSIAN,
                                 MS_KERNEL_EPANECHNIKOV};
    double *X = make_data(n, d, 0);
    double *Q = xmalloc((size_t)(m * d) * sizeof(double));
    for (int64_t i = 0; i < m * d; i++) Q[i] = uniform() * 12.0 - 6.0;
    double *base = xmalloc((size_t)m * sizeof(double));
    double *W = xmalloc((size_t)m * sizeof(double));
    double *WX = xmalloc((size_t)(m * d) * sizeof(double));
    ms_config cfg = ms_config_default();
    cfg.n_threads = n_threads;
    for (size_t kk = 0; kk < 3; kk++) {
        ms_tree_f64 *t = NULL;
        if (ms_tree_build_f64(X, NULL, n, d, 0, kernels[kk], &cfg, &t) != MS_OK) {
            check(0, "batch: tree build");
            continue;
        }
        ms_status st = ms_tree_kernel_sums_scaled_f64(t, Q, m, kernels[kk], 1.3, 0.0,
                                                      &cfg, base, W, WX);
        int ok = st == MS_OK;
        for (int64_t i = 0; ok && i < m; i++) {
            double b, w, wx[3];
            ok = ms_tree_kernel_sum_scaled_f64(t, Q + i * d, kernels[kk], 1.3, 0.0, &b,
                                               &w, wx) == MS_OK &&
                 b == base[i] && w == W[i];
            for (int64_t j = 0; j < d; j++) ok = ok && wx[j] == WX[i * d + j];
        }
        check(ok, "kernel_sums_scaled %s threads=%d equals single queries",
              kname(kernels[kk]), n_threads);
        check(ms_tree_kernel_sums_scaled_f64(t, Q, 0, kernels[kk], 1.3, 0.0, &cfg, base,
                                             W, WX) == MS_OK,
              "kernel_sums_scaled with no rows");
        check(ms_tree_kernel_sums_scaled_f64(t, Q, -1, kernels[kk], 1.3, 0.0, &cfg, base,
                                             W, WX) == MS_ERR_INVALID,
              "kernel_sums_scaled m < 0 is invalid");
        check(ms_tree_kernel_sums_scaled_f64(t, Q, m, kernels[kk], -1.0, 0.0, &cfg, base,
                                             W, WX) == MS_ERR_INVALID,
              "kernel_sums_scaled h < 0 is invalid");
        check(ms_tree_kernel_sums_scaled_f64(t, NULL, m, kernels[kk], 1.3, 0.0, &cfg,
                                             base, W, WX) == MS_ERR_INVALID,
              "kernel_sums_scaled Q NULL is invalid");
        ms_tree_free_f64(t);
    }
    free(X);
    free(Q);
    free(base);
    free(W);
    free(WX);
}

/* ---- large trees: split selection on awkward orders --------------------- */

/* Trees large enough for the sampled median selection, on orders that
 * stress it: sorted and reversed columns, a few distinct values, one
 * value, and a column whose sampled rows all hold its smallest value (the
 * sample's bracket misses and the selection falls back).  Every point
 * must be in the tree exactly once: flat sums at several balls, and the
 * whole-data sum, equal brute force. */
static void test_large_tree_orders(void)
{
    const int64_t n = quick ? 9000 : 30000, d = 2;
    ms_config cfg = ms_config_default();
    for (int order = 0; order < 5; order++)
        for (int threads = 1; threads <= 3; threads += 2) {
            double *X = xmalloc((size_t)(n * d) * sizeof(double));
            for (int64_t i = 0; i < n; i++) {
                const double u = uniform() * 10.0 - 5.0;
                double v;
                switch (order) {
                case 0: v = (double)i * 1e-3; break;         /* sorted */
                case 1: v = (double)(n - i) * 1e-3; break;   /* reversed */
                case 2: v = (double)randint(0, 4); break;    /* five values */
                case 3: v = 1.5; break;                      /* one value */
                default: v = u; break;
                }
                X[i * d] = v;
                X[i * d + 1] = order == 3 ? (double)randint(0, 1) : u;
            }
            if (order == 4) /* the root's sample rows: j * n / 512 */
                for (int64_t j = 0; j < 512; j++) X[(j * n / 512) * d] = -100.0;
            cfg.n_threads = threads;
            ms_tree_f64 *t = NULL;
            ms_status st = ms_tree_build_f64(X, NULL, n, d, 8, MS_KERNEL_FLAT, &cfg, &t);
            check(st == MS_OK && t, "large tree build order=%d", order);
            if (st != MS_OK) {
                free(X);
                continue;
            }
            for (int qi = 0; qi < 6; qi++) {
                double q[2], W, WX[2], aW, aWX[2], gW, gWX[2];
                const int64_t r = randint(0, n - 1);
                q[0] = X[r * d];
                q[1] = X[r * d + 1];
                const double h = qi == 5 ? 1e9 : 0.05 + uniform() * 3.0;
                brute_sum(X, NULL, n, d, q, MS_KERNEL_FLAT, h, &W, WX, &aW, aWX);
                st = ms_tree_kernel_sum_f64(t, q, MS_KERNEL_FLAT, h, 0.0, &gW, gWX);
                int ok = st == MS_OK && gW == W;
                for (int64_t j = 0; j < d; j++)
                    ok = ok && fabs(gWX[j] - WX[j]) <= 1e-12 * aWX[j] + 1e-300;
                check(ok, "large tree order=%d threads=%d h=%g: W=%.17g brute %.17g", order,
                      threads, h, gW, W);
            }
            ms_tree_free_f64(t);
            free(X);
        }
}

/* ---- k-th neighbour distances ------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_kth_neighbor(int n_threads)
{
    const int64_t ns[] = {1, 2, 5, 60, 400};
    const int64_t ds[] = {1, 2, 3, 4};
    ms_config cfg = ms_config_default();
    cfg.n_threads = n_threads;
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t b = 0; b < sizeof ds / sizeof *ds; b++)
            for (int kind = 0; kind < 3; kind++) {
                const int64_t n = ns[a], d = ds[b];
                if (quick && n > 60) continue;
                double *X = make_data(n, d, kind);
                float *F = to_f32(X, n, d);
                double *Xf = xmalloc((size_t)(n * d) * sizeof(double));
                for (int64_t i = 0; i < n * d; i++) Xf[i] = (double)F[i];
                ms_tree_f64 *t64;
                ms_tree_f32 *t32;
                const int64_t leaf = randint(0, 20);
                check(ms_tree_build_f64(X, NULL, n, d, leaf, MS_KERNEL_FLAT, &cfg, &t64) == MS_OK,
                      "build");
                check(ms_tree_build_f32(F, NULL, n, d, leaf, MS_KERNEL_FLAT, &cfg, &t32) == MS_OK,
                      "build");
                double *dist = xmalloc((size_t)n * sizeof(double));
                double *out = xmalloc((size_t)n * sizeof(double));
                const int64_t ks[] = {1, 2, n / 3 > 0 ? n / 3 : 1, (n * 3) / 10 > 0 ? (n * 3) / 10 : 1, n};
                for (size_t kk = 0; kk < sizeof ks / sizeof *ks; kk++) {
                    const int64_t k = ks[kk];
                    if (k > n) continue;
                    for (int prec = 0; prec < 2; prec++) {
                        const double *Xd = prec ? Xf : X;
                        ms_status st = prec ? ms_kth_neighbor_distance_f32(t32, k, &cfg, out)
                                            : ms_kth_neighbor_distance_f64(t64, k, &cfg, out);
                        int ok = st == MS_OK;
                        for (int64_t i = 0; ok && i < n; i++) {
                            for (int64_t m = 0; m < n; m++) dist[m] = sqd(Xd + m * d, Xd + i * d, d);
                            qsort(dist, (size_t)n, sizeof(double), cmp_double);
                            ok = out[i] == sqrt(dist[k - 1]);
                            if (!ok)
                                fprintf(stderr, "  point %lld: got %.17g want %.17g\n",
                                        (long long)i, out[i], sqrt(dist[k - 1]));
                        }
                        check(ok, "kth_neighbor_distance_%s n=%lld d=%lld kind=%d k=%lld threads=%d",
                              prec ? "f32" : "f64", (long long)n, (long long)d, kind, (long long)k,
                              n_threads);
                    }
                }
                check(ms_kth_neighbor_distance_f64(t64, 0, &cfg, out) == MS_ERR_INVALID, "k=0");
                check(ms_kth_neighbor_distance_f64(t64, n + 1, &cfg, out) == MS_ERR_INVALID,
                      "k>n");
                check(ms_kth_neighbor_distance_f32(t32, n + 1, &cfg, out) == MS_ERR_INVALID,
                      "k>n f32");
                check(ms_kth_neighbor_distance_f64(t64, 1, &cfg, NULL) == MS_ERR_INVALID,
                      "out NULL");
                check(ms_kth_neighbor_distance_f64(NULL, 1, &cfg, out) == MS_ERR_INVALID,
                      "tree NULL");
                free(dist);
                free(out);
                free(X);
                free(F);
                free(Xf);
                ms_tree_free_f64(t64);
                ms_tree_free_f32(t32);
            }
    /* A NaN or infinite coordinate has no k-th distance (NaN distances fail
     * the comparisons that count and collect neighbours alike, which left
     * the selection reading values never written): refused. */
    {
        const double bad[] = {NAN, INFINITY, -INFINITY};
        for (int b = 0; b < 3; b++) {
            double X[2 * 30];
            float F[2 * 30];
            for (int i = 0; i < 60; i++) F[i] = (float)(X[i] = (double)(i % 7) * 0.5);
            X[17] = bad[b];
            F[17] = (float)bad[b];
            ms_tree_f64 *t64 = NULL;
            ms_tree_f32 *t32 = NULL;
            double out[30];
            check(ms_tree_build_f64(X, NULL, 30, 2, 4, MS_KERNEL_FLAT, &cfg, &t64) == MS_OK &&
                      ms_kth_neighbor_distance_f64(t64, 3, &cfg, out) == MS_ERR_INVALID,
                  "kth_neighbor_distance_f64 refuses a %g coordinate", bad[b]);
            check(ms_tree_build_f32(F, NULL, 30, 2, 4, MS_KERNEL_FLAT, &cfg, &t32) == MS_OK &&
                      ms_kth_neighbor_distance_f32(t32, 3, &cfg, out) == MS_ERR_INVALID,
                  "kth_neighbor_distance_f32 refuses a %g coordinate", bad[b]);
            ms_tree_free_f64(t64);
            ms_tree_free_f32(t32);
        }
    }
}

/* ---- nearest centre ----------------------------------------------------- */

static void test_nearest_center(int n_threads)
{
    ms_config cfg = ms_config_default();
    cfg.n_threads = n_threads;
    const int64_t ks[] = {1, 2, 3, 10, 40};
    for (size_t a = 0; a < sizeof ks / sizeof *ks; a++)
        for (int64_t d = 1; d <= 4; d++)
            for (int kind = 0; kind < 3; kind++) {
                const int64_t k = ks[a], n = quick ? 300 : 2000;
                double *C = make_data(k, d, kind);
                if (k > 2) memcpy(C + 2 * d, C, (size_t)d * sizeof(double)); /* a duplicate */
                double *X = make_data(n, d, kind);
                float *F = to_f32(X, n, d);
                int64_t *lab = xmalloc((size_t)n * sizeof(int64_t));
                double *sq = xmalloc((size_t)n * sizeof(double));
                const double r2s[] = {-1.0, 0.0, 0.7, 4.0};
                for (size_t r = 0; r < 4; r++)
                    for (int prec = 0; prec < 2; prec++) {
                        const double r2 = r2s[r];
                        ms_status st = prec ? ms_nearest_center_f32(F, n, d, C, k, r2, &cfg, lab, sq)
                                            : ms_nearest_center_f64(X, n, d, C, k, r2, &cfg, lab, sq);
                        int ok = st == MS_OK;
                        for (int64_t i = 0; ok && i < n; i++) {
                            double q[8];
                            for (int64_t j = 0; j < d; j++)
                                q[j] = prec ? (double)F[i * d + j] : X[i * d + j];
                            int64_t best = -1;
                            double bd = INFINITY;
                            for (int64_t c = 0; c < k; c++) {
                                const double s = sqd(C + c * d, q, d);
                                if (s < bd) {
                                    bd = s;
                                    best = c;
                                }
                            }
                            if (r2 >= 0.0 && bd > r2) best = -1;
                            ok = lab[i] == best && sq[i] == bd;
                        }
                        check(ok, "nearest_center_%s k=%lld d=%lld kind=%d r2=%g threads=%d",
                              prec ? "f32" : "f64", (long long)k, (long long)d, kind, r2,
                              n_threads);
                    }
                /* sq_dist may be NULL */
                check(ms_nearest_center_f64(X, n, d, C, k, -1.0, &cfg, lab, NULL) == MS_OK,
                      "nearest_center without sq_dist");
                free(C);
                free(X);
                free(F);
                free(lab);
                free(sq);
            }
    /* Equidistant centres: the lower index wins. */
    {
        const double C[] = {1.0, -1.0, 1.0};
        const double X[] = {0.0, 1.0, -1.0, 2.0};
        int64_t lab[4];
        double sq[4];
        ms_status st = ms_nearest_center_f64(X, 4, 1, C, 3, -1.0, &cfg, lab, sq);
        check(st == MS_OK && lab[0] == 0 && lab[1] == 0 && lab[2] == 1 && lab[3] == 0 &&
                  sq[0] == 1.0 && sq[3] == 1.0,
              "nearest_center ties go to the lower index (got %lld %lld %lld %lld)",
              (long long)lab[0], (long long)lab[1], (long long)lab[2], (long long)lab[3]);
    }
    /* Every squared distance overflows: r2 = +inf or NaN leave no row out
     * (only r2 >= 0 does, and nothing lies beyond +inf), and the tree's
     * labels are the scan's, with few centres (a scan) and many (a tree). */
    {
        const int64_t n = 40, d = 2;
        double X[80], C[2 * 24];
        for (int64_t i = 0; i < n * d; i++) X[i] = (i % 3 - 1) * 1e300 + (double)i * 1e290;
        for (int64_t i = 0; i < 2 * 24; i++) C[i] = (i % 5 - 2) * 1e300 - (double)i * 1e291;
        ms_tree_f64 *t = NULL;
        check(ms_tree_build_f64(X, NULL, n, d, 4, MS_KERNEL_FLAT, &cfg, &t) == MS_OK,
              "far points: build");
        const int64_t ks[] = {3, 24};
        const double r2s[] = {-1.0, INFINITY, NAN, 1.0};
        for (int a = 0; a < 2 && t; a++) {
            int64_t ref[40]; /* r2 = -1's labels, which r2 = +inf and NaN keep */
            for (int r = 0; r < 4; r++) {
                int64_t lab[40], tlab[40];
                double sq[40], tsq[40];
                const int64_t k = ks[a];
                const double r2 = r2s[r];
                ms_status st = ms_nearest_center_f64(X, n, d, C, k, r2, &cfg, lab, sq);
                ms_status st2 = ms_tree_nearest_center_f64(t, C, k, r2, &cfg, tlab, tsq);
                int ok = st == MS_OK && st2 == MS_OK;
                for (int64_t i = 0; ok && i < n; i++)
                    ok = lab[i] == tlab[i] && sq[i] == tsq[i] &&
                         (r2 == 1.0 ? lab[i] == -1 : lab[i] >= 0 && lab[i] < k) &&
                         (r == 0 || r == 3 || lab[i] == ref[i]);
                if (r == 0) memcpy(ref, lab, sizeof ref);
                check(ok, "nearest_center of far points k=%lld r2=%g threads=%d: every row "
                          "labelled unless r2 is finite, tree = scan", (long long)k, r2, n_threads);
            }
        }
        ms_tree_free_f64(t);
    }
}

/* ---- seeding grid --------------------------------------------------------- */

/* Reference: cells by pairwise comparison, in order of first occurrence. */
static int64_t brute_cells(const double *R, const double *w, int64_t n, int64_t d,
                           double min_freq, int64_t *first, int64_t *n_cells)
{
    int64_t cells = 0, kept = 0;
    int64_t *own = xmalloc((size_t)n * sizeof(int64_t));
    double *freq = xmalloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        int64_t c = 0;
        for (; c < cells; c++) {
            int same = 1;
            for (int64_t j = 0; j < d; j++) same &= R[own[c] * d + j] == R[i * d + j];
            if (same) break;
        }
        if (c == cells) {
            own[cells] = i;
            freq[cells++] = 0.0;
        }
        freq[c] += w ? w[i] : 1.0;
    }
    for (int64_t c = 0; c < cells; c++)
        if (freq[c] >= min_freq) first[kept++] = own[c];
    *n_cells = cells;
    free(own);
    free(freq);
    return kept;
}

static void test_bin_cells(void)
{
    ms_config cfg = ms_config_default();
    for (int64_t d = 1; d <= 5; d++)
        for (int span = 1; span <= 40; span *= 3) {
            const int64_t n = quick ? 500 : 3000;
            const double bin_size = 0.37;
            double *X = xmalloc((size_t)(n * d) * sizeof(double));
            double *R = xmalloc((size_t)(n * d) * sizeof(double));
            double *w = xmalloc((size_t)n * sizeof(double));
            for (int64_t i = 0; i < n * d; i++) {
                /* cells by the caller: integers, some -0.0 (equal to 0.0) */
                R[i] = (double)randint(-span, span);
                if (R[i] == 0.0 && next_u64() % 2) R[i] = -0.0;
                /* cells by the core: values near the cells' edges, where
                 * rounding half to even decides */
                X[i] = ((double)randint(-2 * span, 2 * span) * 0.5 +
                        (next_u64() % 3 == 0 ? 0.0 : 0.3 * (uniform() - 0.5))) *
                       bin_size;
            }
            for (int64_t i = 0; i < n; i++) w[i] = uniform();
            /* the reference cells of X */
            double *RX = xmalloc((size_t)(n * d) * sizeof(double));
            for (int64_t i = 0; i < n * d; i++) RX[i] = nearbyint(X[i] / bin_size) + 0.0;
            int64_t *got = xmalloc((size_t)n * sizeof(int64_t));
            int64_t *want = xmalloc((size_t)n * sizeof(int64_t));
            double *coords = xmalloc((size_t)(n * d) * sizeof(double));
            const double freqs[] = {1.0, 2.0, 5.0, 0.0};
            for (int scaled = 0; scaled < 2; scaled++)
                for (int f = 0; f < 4; f++)
                    for (int weighted = 0; weighted < 2; weighted++) {
                        const double *wp = weighted ? w : NULL;
                        int64_t kept = -1, cells = -1, want_cells;
                        ms_status st = ms_bin_cells(scaled ? X : R, wp, n, d,
                                                    scaled ? bin_size : 0.0, freqs[f], &cfg,
                                                    got, coords, &kept, &cells);
                        const double *ref = scaled ? RX : R;
                        const int64_t want_kept =
                            brute_cells(ref, wp, n, d, freqs[f], want, &want_cells);
                        /* each kept cell's coordinates: its first row's, -0.0 as 0.0 */
                        int same_coords = st == MS_OK;
                        for (int64_t k = 0; same_coords && k < kept && k < want_kept; k++)
                            for (int64_t j = 0; j < d; j++) {
                                const double c = ref[want[k] * d + j] + 0.0;
                                same_coords &= !memcmp(&coords[k * d + j], &c, sizeof c);
                            }
                        check(st == MS_OK && kept == want_kept && cells == want_cells &&
                                  !memcmp(got, want, (size_t)kept * sizeof(int64_t)) &&
                                  same_coords,
                              "bin_cells d=%lld span=%d scaled=%d min_freq=%g weighted=%d: "
                              "%lld of %lld cells (want %lld of %lld)",
                              (long long)d, span, scaled, freqs[f], weighted, (long long)kept,
                              (long long)cells, (long long)want_kept, (long long)want_cells);
                    }
            /* Every failed allocation, growth included, is reported. */
            if (ms_fault_injection_enabled()) {
                int64_t want_cells;
                const int64_t want_kept = brute_cells(R, NULL, n, d, 1.0, want, &want_cells);
                int nomem = 0, bad = 0;
                for (int64_t fail = 0; fail < 64; fail++) {
                    ms_config fc = cfg;
                    fc.fail_alloc_after = fail;
                    int64_t kept = -1, cells = -1;
                    ms_status st =
                        ms_bin_cells(R, NULL, n, d, 0.0, 1.0, &fc, got, coords, &kept, &cells);
                    if (st == MS_ERR_NOMEM) {
                        nomem++;
                        continue;
                    }
                    bad += st != MS_OK || kept != want_kept || cells != want_cells ||
                           memcmp(got, want, (size_t)kept * sizeof(int64_t)) != 0;
                    break;
                }
                check(nomem > 0 && bad == 0, "bin_cells fault injection d=%lld span=%d",
                      (long long)d, span);
            }
            free(X);
            free(R);
            free(RX);
            free(w);
            free(got);
            free(want);
            free(coords);
        }
    int64_t first[1], kept, cells;
    double coords[1];
    const double row[1] = {0.0};
    check(ms_bin_cells(NULL, NULL, 1, 1, 0.0, 1.0, &cfg, first, coords, &kept, &cells) ==
              MS_ERR_INVALID,
          "bin_cells rejects NULL rows");
    check(ms_bin_cells(row, NULL, 1, 1, 0.0, 1.0, &cfg, first, NULL, &kept, &cells) ==
              MS_ERR_INVALID,
          "bin_cells rejects a NULL cells buffer");
    check(ms_bin_cells(row, NULL, 1, 1, -1.0, 1.0, &cfg, first, coords, &kept, &cells) ==
              MS_ERR_INVALID,
          "bin_cells rejects a negative bin size");
    check(ms_bin_cells(row, NULL, 0, 1, 1.0, 1.0, &cfg, first, coords, &kept, &cells) == MS_OK &&
              kept == 0 && cells == 0,
          "bin_cells of no rows");
}

/* ---- merge ---------------------------------------------------------------- */

static int same_rows(const double *means, const int64_t *order, int64_t k, const double *want,
                     int64_t d)
{
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < d; j++)
            if (means[order[i] * d + j] != want[i * d + j]) return 0;
    return 1;
}

static void test_merge(void)
{
    ms_config cfg = ms_config_default();
    /* seed 0 (0,0) mass 3; seeds 1 and 3 at (0.5,0) with masses 5 then 4:
     * one candidate carrying the last mass, 4; seed 2 (10,10) mass 2; seed 4
     * dropped (mass 0); seed 5 (0,3) mass 4: ties seed 1 on mass and sorts
     * after it on coordinates descending ((0.5,0) > (0,3)). */
    const double means[] = {0, 0, 0.5, 0, 10, 10, 0.5, 0, 5, 5, 0, 3};
    const double inten[] = {3, 5, 2, 4, 0, 4};
    int64_t order[6], k = -1;
    ms_status st = ms_merge_centers(means, inten, 6, 2, 1.0, &cfg, order, &k);
    /* Ranked: (0.5,0):4, (0,3):4, (0,0):3, (10,10):2; (0,0) lies within 1
     * of (0.5,0) and goes. Which of seeds 1 and 3 stands for (0.5,0) is not
     * specified: compare coordinates. */
    const double want3[] = {0.5, 0, 0, 3, 10, 10};
    check(st == MS_OK && k == 3 && same_rows(means, order, k, want3, 2),
          "merge_centers hand case (k=%lld)", (long long)k);
    st = ms_merge_centers(means, inten, 6, 2, -1.0, &cfg, order, &k);
    const double want4[] = {0.5, 0, 0, 3, 0, 0, 10, 10};
    check(st == MS_OK && k == 4 && same_rows(means, order, k, want4, 2),
          "merge_centers without suppression (r2 = -1)");
    /* Inclusive radius: exactly at distance 0.5 merges when r2 = 0.25. */
    st = ms_merge_centers(means, inten, 6, 2, 0.25, &cfg, order, &k);
    check(st == MS_OK && k == 3 && same_rows(means, order, k, want3, 2),
          "merge_centers radius is inclusive");
    st = ms_merge_centers(means, inten, 6, 2, nextafter(0.25, 0.0), &cfg, order, &k);
    check(st == MS_OK && k == 4, "merge_centers just inside the radius keeps both");
    /* Suppression only by kept centres: a chain a-b-c, each 0.9 apart;
     * b goes (near a), c stays (near b only). */
    const double chain[] = {0.0, 0.9, 1.8};
    const double cm[] = {3, 2, 1};
    st = ms_merge_centers(chain, cm, 3, 1, 1.0, &cfg, order, &k);
    check(st == MS_OK && k == 2 && order[0] == 0 && order[1] == 2, "merge_centers chain");
    /* Every seed dropped. */
    const double zero[] = {0, 0, 0};
    st = ms_merge_centers(chain, zero, 3, 1, 1.0, &cfg, order, &k);
    check(st == MS_OK && k == 0, "merge_centers with every seed dropped");
    st = ms_merge_centers(NULL, NULL, 0, 1, 1.0, &cfg, order, &k);
    check(st == MS_OK && k == 0, "merge_centers with m = 0");
    check(ms_merge_centers(chain, cm, 3, 1, 1.0, &cfg, order, NULL) == MS_ERR_INVALID,
          "merge n_centers NULL");
    check(ms_merge_centers(chain, cm, -1, 1, 1.0, &cfg, order, &k) == MS_ERR_INVALID,
          "merge m < 0");
    check(ms_merge_centers(chain, cm, 3, 0, 1.0, &cfg, order, &k) == MS_ERR_INVALID,
          "merge d < 1");
    check(ms_merge_centers(NULL, cm, 3, 1, 1.0, &cfg, order, &k) == MS_ERR_INVALID,
          "merge means NULL");
    check(ms_merge_centers(chain, cm, 3, 1, NAN, &cfg, order, &k) == MS_ERR_INVALID,
          "merge r2 NaN");
}

/* ---- the mean-shift loop -------------------------------------------------- */

/* Brute force, flat kernel, the documented semantics. */
static void brute_shift(const double *X, int64_t n, int64_t d, const double *seed, double h,
                        int64_t max_iter, double *mean, double *mass, int64_t *iters,
                        unsigned char *conv)
{
    double cur[8], nxt[8];
    int64_t it = 0;
    memcpy(cur, seed, (size_t)d * sizeof(double));
    *conv = 0;
    for (;;) {
        double W = 0.0, WX[8] = {0};
        for (int64_t i = 0; i < n; i++)
            if (sqd(X + i * d, cur, d) <= h * h) {
                W += 1.0;
                for (int64_t j = 0; j < d; j++) WX[j] += X[i * d + j];
            }
        if (!(W > 0.0)) {
            *mass = 0.0;
            break;
        }
        *mass = W;
        double s = 0.0;
        for (int64_t j = 0; j < d; j++) {
            nxt[j] = WX[j] / W;
            s += (nxt[j] - cur[j]) * (nxt[j] - cur[j]);
        }
        memcpy(cur, nxt, (size_t)d * sizeof(double));
        if (sqrt(s) <= 1e-3 * h) {
            *conv = 1;
            break;
        }
        if (it == max_iter) break;
        it++;
    }
    memcpy(mean, cur, (size_t)d * sizeof(double));
    *iters = it;
}

static int progress_calls = 0;
static int64_t progress_last_done = -1, progress_last_total = -1;

static int count_progress(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    progress_calls++;
    progress_last_done = done;
    progress_last_total = total;
    return 0;
}

static int stop_progress(void *ctx, int64_t done, int64_t total)
{
    (void)done;
    (void)total;
    (*(int *)ctx)++;
    return 1;
}

static void test_shift(void)
{
    /* Grid data: every sum is exact, so the tree must give the brute-force
     * trajectories bit for bit, whatever the grouping of seeds or the
     * thread count. Sizes cover the per-seed loop (< 64 seeds) and the
     * grouped one, and many coinciding seeds. */
    const int64_t ns[] = {5, 40, 120, 300, 900};
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (int64_t d = 1; d <= 3; d++)
            for (int dup = 0; dup < 2; dup++) {
                const int64_t n = ns[a];
                if (quick && n > 40) continue;
                double *X = make_data(n, d, 1);
                const int64_t m = dup ? n + 150 : n;
                double *seeds = xmalloc((size_t)(m * d) * sizeof(double));
                memcpy(seeds, X, (size_t)(n * d) * sizeof(double));
                for (int64_t s = n; s < m; s++) /* 150 copies of one seed */
                    memcpy(seeds + s * d, X, (size_t)d * sizeof(double));
                double *means = xmalloc((size_t)(m * d) * sizeof(double));
                double *inten = xmalloc((size_t)m * sizeof(double));
                int64_t *iters = xmalloc((size_t)m * sizeof(int64_t));
                unsigned char *conv = xmalloc((size_t)m);
                const double hs[] = {0.0, 1.0, 1.5, 2.2};
                const int64_t max_iters[] = {0, 1, 300};
                ms_tree_f64 *t;
                ms_config cfg = ms_config_default();
                check(ms_tree_build_f64(X, NULL, n, d, 0, MS_KERNEL_FLAT, &cfg, &t) == MS_OK,
                      "build");
                double *bmeans = xmalloc((size_t)(m * d) * sizeof(double));
                double *binten = xmalloc((size_t)m * sizeof(double));
                int64_t *biters = xmalloc((size_t)m * sizeof(int64_t));
                unsigned char *bconv = xmalloc((size_t)m);
                for (size_t hi = 0; hi < 4; hi++)
                    for (size_t mi = 0; mi < 3; mi++) {
                        for (int64_t s = 0; s < m; s++)
                            brute_shift(X, n, d, seeds + s * d, hs[hi], max_iters[mi],
                                        bmeans + s * d, binten + s, biters + s, bconv + s);
                        for (int threads = 1; threads <= 4; threads += 3) {
                            ms_shift_params p;
                            p.kernel = MS_KERNEL_FLAT;
                            p.bandwidth = hs[hi];
                            p.stop_thresh = 1e-3 * hs[hi];
                            p.max_iter = max_iters[mi];
                            p.gaussian_tol = 0.0;
                            cfg.n_threads = threads;
                            ms_status st =
                                ms_shift_seeds_f64(t, seeds, m, &p, &cfg, means, inten, iters, conv);
                            int ok = st == MS_OK &&
                                     !memcmp(means, bmeans, (size_t)(m * d) * sizeof(double)) &&
                                     !memcmp(inten, binten, (size_t)m * sizeof(double)) &&
                                     !memcmp(iters, biters, (size_t)m * sizeof(int64_t)) &&
                                     !memcmp(conv, bconv, (size_t)m);
                            check(ok, "shift_seeds_f64 flat n=%lld d=%lld seeds=%lld h=%g "
                                      "max_iter=%lld threads=%d",
                                  (long long)n, (long long)d, (long long)m, hs[hi],
                                  (long long)max_iters[mi], threads);
                        }
                    }
                free(bmeans);
                free(binten);
                free(biters);
                free(bconv);
                /* A progress callback that asks to stop. */
                {
                    ms_shift_params p = {MS_KERNEL_FLAT, 1.5, 1.5e-3, 300, 0.0};
                    int calls = 0;
                    cfg.n_threads = 2;
                    cfg.progress = stop_progress;
                    cfg.progress_ctx = &calls;
                    ms_status st = ms_shift_seeds_f64(t, seeds, m, &p, &cfg, means, inten, iters, conv);
                    check(st == MS_ERR_INTERRUPTED && calls >= 1,
                          "a progress callback returning 1 interrupts (st=%d)", (int)st);
                    cfg.progress = count_progress;
                    cfg.progress_ctx = NULL;
                    progress_calls = 0;
                    st = ms_shift_seeds_f64(t, seeds, m, &p, &cfg, means, inten, iters, conv);
                    check(st == MS_OK && progress_calls >= 1 && progress_last_done == m &&
                              progress_last_total == m,
                          "progress reports completion (calls=%d last=%lld/%lld)", progress_calls,
                          (long long)progress_last_done, (long long)progress_last_total);
                    cfg.progress = NULL;
                }
                ms_tree_free_f64(t);
                free(X);
                free(seeds);
                free(means);
                free(inten);
                free(iters);
                free(conv);
            }
}

/* Gaussian and Epanechnikov trajectories: 1 thread and 4 threads agree bit
 * for bit, and the float32 tree matches the float64 tree on data that are
 * exact in float32 up to the float32 rounding of each mean. */
static void test_shift_threads_other_kernels(void)
{
    const int64_t n = quick ? 100 : 1200, d = 2;
    double *X = make_data(n, d, 0);
    const ms_kernel ks[] = {MS_KERNEL_GAUSSIAN, MS_KERNEL_EPANECHNIKOV};
    double *m1 = xmalloc((size_t)(n * d) * sizeof(double)), *m4 = xmalloc((size_t)(n * d) * sizeof(double));
    double *i1 = xmalloc((size_t)n * sizeof(double)), *i4 = xmalloc((size_t)n * sizeof(double));
    int64_t *n1 = xmalloc((size_t)n * sizeof(int64_t)), *n4 = xmalloc((size_t)n * sizeof(int64_t));
    for (int a = 0; a < 2; a++) {
        ms_tree_f64 *t;
        ms_config cfg = ms_config_default();
        check(ms_tree_build_f64(X, NULL, n, d, 0, ks[a], &cfg, &t) == MS_OK, "build");
        ms_shift_params p = {ks[a], 0.8, 0.8e-3, 300, 1e-8};
        cfg.n_threads = 1;
        ms_status s1 = ms_shift_seeds_f64(t, X, n, &p, &cfg, m1, i1, n1, NULL);
        cfg.n_threads = 4;
        ms_status s4 = ms_shift_seeds_f64(t, X, n, &p, &cfg, m4, i4, n4, NULL);
        check(s1 == MS_OK && s4 == MS_OK && !memcmp(m1, m4, (size_t)(n * d) * sizeof(double)) &&
                  !memcmp(i1, i4, (size_t)n * sizeof(double)) &&
                  !memcmp(n1, n4, (size_t)n * sizeof(int64_t)),
              "%s shift: 1 and 4 threads agree", kname(ks[a]));
        ms_tree_free_f64(t);
    }
    free(X);
    free(m1);
    free(m4);
    free(i1);
    free(i4);
    free(n1);
    free(n4);
}

/* ---- radius, config, invalid arguments ------------------------------------ */

static void test_misc(void)
{
    int edge_ok = 1;
    for (int i = 0; i < 20000 && edge_ok; i++) {
        const double h = i < 10000 ? uniform() * 10.0 : ldexp(uniform() + 0.5, (int)randint(-500, 500));
        const double r2 = ms_radius_sq(h);
        const double up = nextafter(r2, INFINITY);
        edge_ok = sqrt(r2) <= h && sqrt(up) > h;
        if (!edge_ok) fprintf(stderr, "  ms_radius_sq(%.17g) = %.17g\n", h, r2);
    }
    check(edge_ok, "ms_radius_sq gives the largest r2 with sqrt(r2) <= h");
    check(ms_radius_sq(0.0) == 0.0, "radius_sq(0)");
    check(ms_radius_sq(-1.0) < 0.0, "radius_sq(-1) is negative");
    check(ms_radius_sq(NAN) < 0.0, "radius_sq(NaN) is negative");
    check(isinf(ms_radius_sq(INFINITY)), "radius_sq(inf)");
    check(ms_flat_radius_sq(0.5) == 0.25 && ms_flat_radius_sq(3.0) == 9.0,
          "flat_radius_sq is h * h");
    check(ms_flat_radius_sq(-1.0) < 0.0 && ms_flat_radius_sq(NAN) < 0.0,
          "flat_radius_sq of a negative or NaN h is negative");
    check(isinf(ms_flat_radius_sq(INFINITY)), "flat_radius_sq(inf)");

    ms_config c = ms_config_default();
    check(c.n_threads == 1 && c.progress == NULL && c.fail_alloc_after == -1,
          "ms_config_default");
    check(ms_default_num_threads() >= 1, "default_num_threads >= 1");
    check(ms_openmp_enabled() == 0 || ms_openmp_enabled() == 1, "openmp_enabled is 0 or 1");

    const double X[] = {0, 1, 2, 3, 4, 5};
    const float F[] = {0, 1, 2, 3, 4, 5};
    ms_tree_f64 *t = NULL;
    ms_tree_f32 *tf = NULL;
    check(ms_tree_build_f64(NULL, NULL, 3, 2, 0, MS_KERNEL_FLAT, &c, &t) == MS_ERR_INVALID,
          "build X NULL is invalid");
    check(ms_tree_build_f64(X, NULL, 3, 2, 0, MS_KERNEL_FLAT, &c, NULL) == MS_ERR_INVALID,
          "build out NULL");
    check(ms_tree_build_f64(X, NULL, 0, 2, 0, MS_KERNEL_FLAT, &c, &t) == MS_ERR_INVALID, "n = 0");
    check(ms_tree_build_f64(X, NULL, -3, 2, 0, MS_KERNEL_FLAT, &c, &t) == MS_ERR_INVALID, "n < 0");
    check(ms_tree_build_f64(X, NULL, 3, 0, 0, MS_KERNEL_FLAT, &c, &t) == MS_ERR_INVALID, "d = 0");
    check(ms_tree_build_f32(F, NULL, 0, 2, 0, MS_KERNEL_FLAT, &c, &tf) == MS_ERR_INVALID,
          "f32 n = 0");
    check(ms_tree_build_f64(X, NULL, 3, 2, 0, (ms_kernel)7, &c, &t) == MS_ERR_INVALID,
          "unknown kernel");
    {
        /* weights are documented finite and >= 0: others are refused */
        const double bad[][3] = {
            {1, -1, 1}, {1, NAN, 1}, {1, INFINITY, 1}, {-INFINITY, 1, 1}};
        for (int i = 0; i < 4; i++) {
            ms_tree_f64 *tw = NULL;
            ms_tree_f32 *twf = NULL;
            check(ms_tree_build_f64(X, bad[i], 3, 2, 0, MS_KERNEL_FLAT, &c, &tw) ==
                          MS_ERR_INVALID &&
                      tw == NULL,
                  "f64 build refuses weight %g", bad[i][0] < 0 ? bad[i][0] : bad[i][1]);
            check(ms_tree_build_f32(F, bad[i], 3, 2, 0, MS_KERNEL_GAUSSIAN, &c, &twf) ==
                          MS_ERR_INVALID &&
                      twf == NULL,
                  "f32 build refuses weight %g", bad[i][0] < 0 ? bad[i][0] : bad[i][1]);
            ms_tree_free_f64(tw);
            ms_tree_free_f32(twf);
        }
        const double fine[3] = {0.0, -0.0, 2.5};
        ms_tree_f64 *tw = NULL;
        check(ms_tree_build_f64(X, fine, 3, 2, 0, MS_KERNEL_FLAT, &c, &tw) == MS_OK,
              "zero weights are allowed");
        ms_tree_free_f64(tw);
    }
    ms_tree_free_f64(NULL); /* must be a no-op */
    ms_tree_free_f32(NULL);

    check(ms_tree_build_f64(X, NULL, 3, 2, 0, MS_KERNEL_FLAT, NULL, &t) == MS_OK,
          "build with cfg NULL");
    {
        /* the tree gives its points back in the order they came */
        double back[6];
        check(ms_tree_points_f64(t, back) == MS_OK && memcmp(back, X, sizeof back) == 0,
              "points back in order");
        check(ms_tree_points_f64(NULL, back) == MS_ERR_INVALID, "points tree NULL");
        check(ms_tree_points_f64(t, NULL) == MS_ERR_INVALID, "points out NULL");
        float fback[6];
        ms_tree_f32 *tp = NULL;
        check(ms_tree_build_f32(F, NULL, 3, 2, 1, MS_KERNEL_FLAT, NULL, &tp) == MS_OK &&
                  ms_tree_points_f32(tp, fback) == MS_OK &&
                  memcmp(fback, F, sizeof fback) == 0,
              "f32 points back in order");
        ms_tree_free_f32(tp);
    }
    double W, WX[2], q[2] = {2, 3}, means[6], inten[3];
    int64_t it[3];
    check(ms_tree_kernel_sum_f64(NULL, q, MS_KERNEL_FLAT, 1.0, 0.0, &W, WX) == MS_ERR_INVALID,
          "kernel_sum tree NULL");
    check(ms_tree_kernel_sum_f64(t, NULL, MS_KERNEL_FLAT, 1.0, 0.0, &W, WX) == MS_ERR_INVALID,
          "kernel_sum q NULL");
    check(ms_tree_kernel_sum_scaled_f64(t, q, MS_KERNEL_GAUSSIAN, 1.0, 0.0, NULL, &W, WX) ==
              MS_ERR_INVALID,
          "kernel_sum_scaled base NULL");
    check(ms_tree_kernel_sum_f64(t, q, MS_KERNEL_FLAT, -1.0, 0.0, &W, WX) == MS_ERR_INVALID,
          "kernel_sum h < 0");
    check(ms_tree_kernel_sum_f64(t, q, MS_KERNEL_FLAT, NAN, 0.0, &W, WX) == MS_ERR_INVALID,
          "kernel_sum h NaN");
    check(ms_tree_kernel_sum_f64(t, q, MS_KERNEL_GAUSSIAN, 0.0, 0.0, &W, WX) == MS_ERR_INVALID,
          "gaussian h = 0");
    check(ms_tree_kernel_sum_f64(t, q, MS_KERNEL_GAUSSIAN, 1.0, -1.0, &W, WX) == MS_ERR_INVALID,
          "tol < 0");
    check(ms_tree_kernel_sum_f64(t, q, MS_KERNEL_FLAT, 0.0, 0.0, &W, WX) == MS_OK && W == 1.0,
          "flat h = 0 counts the coincident point");
    ms_shift_params p = {MS_KERNEL_FLAT, 1.0, 1e-3, 300, 0.0};
    check(ms_shift_seeds_f64(t, X, 3, &p, NULL, means, inten, it, NULL) == MS_OK,
          "shift with cfg NULL and converged NULL");
    check(ms_shift_seeds_f64(NULL, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift tree NULL");
    check(ms_shift_seeds_f64(t, X, 3, NULL, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift params NULL");
    check(ms_shift_seeds_f64(t, X, -1, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift n_seeds < 0");
    check(ms_shift_seeds_f64(t, NULL, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift seeds NULL");
    check(ms_shift_seeds_f64(t, X, 0, &p, &c, NULL, NULL, NULL, NULL) == MS_OK,
          "shift no seeds");
    p.max_iter = -1;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift max_iter < 0");
    p.max_iter = 300;
    p.bandwidth = -1.0;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift h < 0");
    p.bandwidth = NAN;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift h NaN");
    p.bandwidth = 0.0;
    p.kernel = MS_KERNEL_GAUSSIAN;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "gaussian shift h = 0");
    p.bandwidth = 1.0;
    p.kernel = MS_KERNEL_EPANECHNIKOV;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "epanechnikov shift on a flat tree");
    p.kernel = (ms_kernel)9;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift unknown kernel");
    p.kernel = MS_KERNEL_FLAT;
    p.stop_thresh = -1.0;
    check(ms_shift_seeds_f64(t, X, 3, &p, &c, means, inten, it, NULL) == MS_ERR_INVALID,
          "shift stop_thresh < 0");

    int64_t lab[3];
    const double C[] = {0, 0};
    check(ms_nearest_center_f64(X, 3, 2, C, 0, -1.0, &c, lab, NULL) == MS_ERR_INVALID,
          "nearest k = 0");
    check(ms_nearest_center_f64(X, 3, 2, NULL, 1, -1.0, &c, lab, NULL) == MS_ERR_INVALID,
          "nearest centers NULL");
    check(ms_nearest_center_f64(X, 3, 2, C, 1, -1.0, &c, NULL, NULL) == MS_ERR_INVALID,
          "nearest labels NULL");
    check(ms_nearest_center_f64(X, -1, 2, C, 1, -1.0, &c, lab, NULL) == MS_ERR_INVALID,
          "nearest n < 0");
    check(ms_nearest_center_f64(X, 3, 0, C, 1, -1.0, &c, lab, NULL) == MS_ERR_INVALID,
          "nearest d = 0");
    check(ms_nearest_center_f64(NULL, 0, 2, C, 1, -1.0, &c, lab, NULL) == MS_OK, "nearest n = 0");
    check(ms_nearest_center_f32(NULL, 3, 2, C, 1, -1.0, &c, lab, NULL) == MS_ERR_INVALID,
          "nearest f32 X NULL");
    ms_tree_free_f64(t);
}

/* ---- allocation failures ---------------------------------------------------- */

static void test_fault_injection(void)
{
    if (!ms_fault_injection_enabled()) return;
    const int64_t n = 400, d = 2;
    double *X = make_data(n, d, 0);
    float *F = to_f32(X, n, d);
    double *means = xmalloc((size_t)(n * d) * sizeof(double)), *inten = xmalloc((size_t)n * sizeof(double));
    double *ref_means = xmalloc((size_t)(n * d) * sizeof(double));
    double *out = xmalloc((size_t)n * sizeof(double)), *ref_out = xmalloc((size_t)n * sizeof(double));
    int64_t *iters = xmalloc((size_t)n * sizeof(int64_t)), *order = xmalloc((size_t)n * sizeof(int64_t));
    int64_t *lab = xmalloc((size_t)n * sizeof(int64_t)), *ref_lab = xmalloc((size_t)n * sizeof(int64_t));
    ms_config cfg = ms_config_default();
    ms_tree_f64 *ref_tree;
    ms_tree_build_f64(X, NULL, n, d, 0, MS_KERNEL_EPANECHNIKOV, &cfg, &ref_tree);
    ms_shift_params pf = {MS_KERNEL_FLAT, 1.0, 1e-3, 300, 0.0};
    ms_shift_params pe = {MS_KERNEL_EPANECHNIKOV, 1.0, 1e-3, 300, 0.0};
    ms_shift_seeds_f64(ref_tree, X, n, &pf, &cfg, ref_means, inten, iters, NULL);
    ms_kth_neighbor_distance_f64(ref_tree, 40, &cfg, ref_out);
    int64_t ref_k;
    ms_merge_centers(ref_means, inten, n, d, 1.0, &cfg, order, &ref_k);
    ms_nearest_center_f64(X, n, d, X, 50, 0.5, &cfg, ref_lab, NULL);

    for (int threads = 1; threads <= 3; threads += 2) {
        int nomem[6] = {0}, ok[6] = {0}, bad[6] = {0};
        for (int64_t fail = 0; fail < 400; fail++) {
            cfg.n_threads = threads;
            cfg.fail_alloc_after = fail;
            ms_status st;
            int all_ok = 1;
            /* 0: build f64 (Epanechnikov: the most allocations) */
            ms_tree_f64 *t = NULL;
            st = ms_tree_build_f64(X, NULL, n, d, 0, MS_KERNEL_EPANECHNIKOV, &cfg, &t);
            if (st == MS_ERR_NOMEM) { nomem[0]++; all_ok = 0; }
            else if (st == MS_OK) { ok[0]++; ms_tree_free_f64(t); }
            else bad[0]++;
            /* 1: build f32 with weights */
            ms_tree_f32 *tf = NULL;
            st = ms_tree_build_f32(F, inten, n, d, 0, MS_KERNEL_FLAT, &cfg, &tf);
            if (st == MS_ERR_NOMEM) { nomem[1]++; all_ok = 0; }
            else if (st == MS_OK) { ok[1]++; ms_tree_free_f32(tf); }
            else bad[1]++;
            /* 2: shift (flat: grouped loop) */
            st = ms_shift_seeds_f64(ref_tree, X, n, &pf, &cfg, means, inten + 0, iters, NULL);
            if (st == MS_ERR_NOMEM) { nomem[2]++; all_ok = 0; }
            else if (st == MS_OK && !memcmp(means, ref_means, (size_t)(n * d) * sizeof(double))) ok[2]++;
            else bad[2]++;
            /* 3: shift Epanechnikov (per-seed loop) */
            st = ms_shift_seeds_f64(ref_tree, X, 50, &pe, &cfg, means, out, iters, NULL);
            if (st == MS_ERR_NOMEM) { nomem[3]++; all_ok = 0; }
            else if (st == MS_OK) ok[3]++;
            else bad[3]++;
            /* restore the flat intensities for the merge */
            ms_config plain = ms_config_default();
            ms_shift_seeds_f64(ref_tree, X, n, &pf, &plain, means, inten, iters, NULL);
            /* 4: merge */
            int64_t k = -1;
            st = ms_merge_centers(ref_means, inten, n, d, 1.0, &cfg, order, &k);
            if (st == MS_ERR_NOMEM) { nomem[4]++; all_ok = 0; }
            else if (st == MS_OK && k == ref_k) ok[4]++;
            else bad[4]++;
            /* 5: kth neighbour and nearest centre */
            st = ms_kth_neighbor_distance_f64(ref_tree, 40, &cfg, out);
            ms_status st2 = ms_nearest_center_f64(X, n, d, X, 50, 0.5, &cfg, lab, NULL);
            if (st == MS_ERR_NOMEM || st2 == MS_ERR_NOMEM) {
                nomem[5]++;
                all_ok = 0;
                if ((st != MS_OK && st != MS_ERR_NOMEM) || (st2 != MS_OK && st2 != MS_ERR_NOMEM)) bad[5]++;
            } else if (st == MS_OK && st2 == MS_OK &&
                       !memcmp(out, ref_out, (size_t)n * sizeof(double)) &&
                       !memcmp(lab, ref_lab, (size_t)n * sizeof(int64_t)))
                ok[5]++;
            else
                bad[5]++;
            if (all_ok) break;
        }
        for (int op = 0; op < 6; op++)
            check(bad[op] == 0 && nomem[op] > 0 && ok[op] > 0,
                  "fault injection op %d threads=%d: %d NOMEM, %d ok, %d bad", op, threads,
                  nomem[op], ok[op], bad[op]);
    }
    ms_tree_free_f64(ref_tree);
    free(X);
    free(F);
    free(means);
    free(inten);
    free(ref_means);
    free(out);
    free(ref_out);
    free(iters);
    free(order);
    free(lab);
    free(ref_lab);
}

#define SECTION(call)                                                                    \
    do {                                                                                 \
        const clock_t t0_ = clock();                                                     \
        call;                                                                            \
        if (verbose)                                                                     \
            fprintf(stderr, "%-40s %6.2f s cpu\n", #call,                               \
                    (double)(clock() - t0_) / CLOCKS_PER_SEC);                           \
    } while (0)

int main(int argc, char **argv)
{
    const int verbose = getenv("MS_TEST_VERBOSE") != NULL;
    quick = argc > 1 && strcmp(argv[1], "quick") == 0;
    SECTION(test_misc());
    SECTION(test_merge());
    SECTION(test_bin_cells());
    SECTION(test_kernel_sums());
    SECTION(test_kernel_sums_batch(1));
    SECTION(test_kernel_sums_batch(3));
    SECTION(test_large_tree_orders());
    SECTION(test_kth_neighbor(1));
    SECTION(test_kth_neighbor(3));
    SECTION(test_nearest_center(1));
    SECTION(test_nearest_center(3));
    SECTION(test_shift());
    SECTION(test_shift_threads_other_kernels());
    SECTION(test_fault_injection());
    printf("%d passed, %d failed\n", n_passed, n_failed);
    printf("openmp=%d fault_injection=%d\n", ms_openmp_enabled(), ms_fault_injection_enabled());
    return n_failed == 0 ? 0 : 1;
}
