/*
 * meanshift.h - public C interface of the meanshift-fast core.
 *
 * The core is plain C99 with optional OpenMP.  It never aborts or exits:
 * every entry point returns an ms_status, and a failed call leaves its
 * outputs unspecified but frees everything it allocated.
 *
 * Data layout: every matrix is row-major (C order), n rows of d columns.
 * Data may be float64 (the *_f64 entry points) or float32 (*_f32); seeds,
 * centres and all results are float64.  For float32 data the shifted means
 * are rounded to float32 after every step, so that float32 input gives the
 * float32 trajectory the reference (scikit-learn) computes.
 *
 * Typical use:
 *
 *     ms_tree_f64 *tree;
 *     ms_config cfg = ms_config_default();
 *     ms_tree_build_f64(X, NULL, n, d, 0, MS_KERNEL_FLAT, &cfg, &tree);
 *     ms_shift_seeds_f64(tree, seeds, n_seeds, &params, &cfg,
 *                        means, intensity, n_iter);
 *     ms_merge_centers(means, intensity, n_seeds, d, r2, &cfg, order, &k);
 *     ...
 *     ms_tree_free_f64(tree);
 *
 * Thread safety: a built tree is read-only and may be queried from several
 * threads at once; no entry point keeps global state.
 *
 * Arrays: an output must not share memory with an input or another output
 * (some entry points read an input after writing an output).  Pointers
 * may be NULL only where a function says so; an argument outside its
 * documented range gives MS_ERR_INVALID.
 */
#ifndef MEANSHIFT_FAST_H
#define MEANSHIFT_FAST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MS_VERSION_MAJOR 0
#define MS_VERSION_MINOR 1

typedef enum ms_status {
    MS_OK = 0,
    MS_ERR_NOMEM = 1,      /* an allocation failed */
    MS_ERR_INVALID = 2,    /* an argument is out of its documented range */
    MS_ERR_INTERRUPTED = 3 /* the progress callback asked to stop */
} ms_status;

typedef enum ms_kernel {
    /* weight 1 where |x - q| <= h, else 0 (scikit-learn's kernel) */
    MS_KERNEL_FLAT = 0,
    /* weight exp(-|x - q|^2 / (2 h^2)) */
    MS_KERNEL_GAUSSIAN = 1,
    /* weight max(0, 1 - |x - q|^2 / h^2) */
    MS_KERNEL_EPANECHNIKOV = 2
} ms_kernel;

/*
 * Called now and then by the calling thread while a long computation runs.
 * Returning non-zero stops the computation, which then returns
 * MS_ERR_INTERRUPTED.  `done` of `total` work items are finished.
 */
typedef int (*ms_progress_fn)(void *ctx, int64_t done, int64_t total);

/* The most threads a call runs on: a larger n_threads gives this many. */
#define MS_MAX_THREADS 1024

typedef struct ms_config {
    /* >= 1 (below 1: 1; above MS_MAX_THREADS: MS_MAX_THREADS); ignored
     * without OpenMP */
    int n_threads;
    ms_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    /* Fault injection: when >= 0 and the core was compiled with
     * MS_FAULT_INJECTION, the allocation after this many successful ones
     * fails.  Ignored otherwise. */
    int64_t fail_alloc_after;
} ms_config;

/* A config with one thread, no callback and no fault injection. */
ms_config ms_config_default(void);

/* Non-zero when the core was compiled with OpenMP. */
int ms_openmp_enabled(void);

/* Threads OpenMP would use by default (1 without OpenMP). */
int ms_default_num_threads(void);

/* Non-zero when compiled with MS_FAULT_INJECTION (a test build). */
int ms_fault_injection_enabled(void);

/*
 * The largest double r2 such that sqrt(r2) <= h: comparing a squared
 * distance with r2 is then exactly the test `distance <= h` done in
 * distances rather than squares (scikit-learn's test where it compares
 * distances: the points left unlabelled with cluster_all=False).
 */
double ms_radius_sq(double h);

/*
 * The flat kernel's neighbourhood: a point lies within bandwidth h of a
 * query when its squared distance, summed feature by feature, is at most
 * h * h rounded to double, the test of scikit-learn's k-d tree leaves.  It
 * differs from ms_radius_sq's only for points within rounding of the
 * bandwidth, as on quantised data: 0.25000000000000006, the squared
 * distance between (1.3, 0.9) and (1.6, 1.3), is within 0.5 by
 * ms_radius_sq and not by this.  -1 for a negative or NaN h.
 */
double ms_flat_radius_sq(double h);

/* ---- k-d tree --------------------------------------------------------- */

typedef struct ms_tree_f64 ms_tree_f64;
typedef struct ms_tree_f32 ms_tree_f32;

/*
 * Build a k-d tree over n points of dimension d.  `weights` (length n,
 * finite, >= 0: others give MS_ERR_INVALID) may be NULL for unit
 * weights.  leaf_size <= 0 picks a default; leaf_size >= n gives a single
 * leaf (brute force).  `kernel` decides which per-node aggregates are kept
 * (the Epanechnikov kernel needs second and third moments).  The tree
 * keeps its own copy of the data; X may be freed after the call.
 */
ms_status ms_tree_build_f64(const double *X, const double *weights, int64_t n, int64_t d,
                            int64_t leaf_size, ms_kernel kernel, const ms_config *cfg,
                            ms_tree_f64 **out);
ms_status ms_tree_build_f32(const float *X, const double *weights, int64_t n, int64_t d,
                            int64_t leaf_size, ms_kernel kernel, const ms_config *cfg,
                            ms_tree_f32 **out);
void ms_tree_free_f64(ms_tree_f64 *tree);
void ms_tree_free_f32(ms_tree_f32 *tree);

/*
 * The tree's copy of its points, written to X (n x d, row-major) in the
 * order they were given to ms_tree_build: a caller that keeps the tree
 * need not keep a copy of the points beside it.
 */
ms_status ms_tree_points_f64(const ms_tree_f64 *tree, double *X);
ms_status ms_tree_points_f32(const ms_tree_f32 *tree, float *X);

/*
 * Kernel-weighted sums at one query point q: *wsum receives the total
 * weight and wx (length d) the weighted coordinate sum.  For the Gaussian
 * kernel the sums are exact up to a relative error of `tol` in the total
 * weight (tol = 0 gives exact sums up to rounding).  h >= 0; the
 * Epanechnikov kernel needs a tree built for it (MS_ERR_INVALID else).
 */
ms_status ms_tree_kernel_sum_f64(const ms_tree_f64 *tree, const double *q,
                                 ms_kernel kernel, double h, double tol, double *wsum,
                                 double *wx);
ms_status ms_tree_kernel_sum_f32(const ms_tree_f32 *tree, const double *q,
                                 ms_kernel kernel, double h, double tol, double *wsum,
                                 double *wx);

/*
 * The same sums, with Gaussian weights taken relative to the nearest
 * point's: *base receives the squared distance r0 from q to its nearest
 * point of positive weight, and the weights are exp(-(r - r0) / 2h^2), so
 * that the sums keep their digits however far q lies from the data (the
 * plain sums times exp(r0 / 2h^2)); r0 is INFINITY, and the sums 0, when
 * no point has positive weight.  For the other kernels *base is 0 and the
 * sums are the plain ones.
 */
ms_status ms_tree_kernel_sum_scaled_f64(const ms_tree_f64 *tree, const double *q,
                                        ms_kernel kernel, double h, double tol,
                                        double *base, double *wsum, double *wx);
ms_status ms_tree_kernel_sum_scaled_f32(const ms_tree_f32 *tree, const double *q,
                                        ms_kernel kernel, double h, double tol,
                                        double *base, double *wsum, double *wx);

/*
 * ms_tree_kernel_sum_scaled for the m rows of Q (m x d, row-major), on
 * cfg's threads: base, wsum (length m) and wx (m x d) receive each row's
 * results, which do not depend on the thread count.  Returns
 * MS_ERR_INTERRUPTED when the progress callback asks to stop.
 */
ms_status ms_tree_kernel_sums_scaled_f64(const ms_tree_f64 *tree, const double *Q,
                                         int64_t m, ms_kernel kernel, double h,
                                         double tol, const ms_config *cfg, double *base,
                                         double *wsum, double *wx);
ms_status ms_tree_kernel_sums_scaled_f32(const ms_tree_f32 *tree, const double *Q,
                                         int64_t m, ms_kernel kernel, double h,
                                         double tol, const ms_config *cfg, double *base,
                                         double *wsum, double *wx);

/* ---- the mean-shift loop ---------------------------------------------- */

typedef struct ms_shift_params {
    ms_kernel kernel;
    double bandwidth;    /* h > 0 (h == 0 is allowed for the flat kernel) */
    double stop_thresh;  /* a seed stops once |new - old| <= stop_thresh */
    int64_t max_iter;    /* >= 0 */
    double gaussian_tol; /* relative tolerance of Gaussian sums, >= 0 */
} ms_shift_params;

/*
 * Move every seed (n_seeds x d, float64) to its mode.  Per seed: means
 * (n_seeds x d) gets the final position; intensity gets the kernel mass of
 * the last query (0 marks a seed whose first neighbourhood was empty:
 * a dropped seed; Gaussian weights are taken relative to the nearest
 * point's, so a Gaussian mass is 0 only where sample weights are, and one
 * that underflows is reported as the smallest positive double); n_iter gets
 * the number of completed iterations, counted
 * as scikit-learn counts them; converged (may be NULL) gets 1 for a seed
 * that stopped because its step fell to stop_thresh, 0 for one stopped by
 * max_iter or dropped.  Seeds run in parallel; results do not depend on
 * the thread count.
 */
ms_status ms_shift_seeds_f64(const ms_tree_f64 *tree, const double *seeds,
                             int64_t n_seeds, const ms_shift_params *params,
                             const ms_config *cfg, double *means, double *intensity,
                             int64_t *n_iter, unsigned char *converged);
ms_status ms_shift_seeds_f32(const ms_tree_f32 *tree, const double *seeds,
                             int64_t n_seeds, const ms_shift_params *params,
                             const ms_config *cfg, double *means, double *intensity,
                             int64_t *n_iter, unsigned char *converged);

/* Where a seed stands after a step. */
typedef enum ms_step_state {
    MS_STEP_MOVING = 0,    /* it moves on */
    MS_STEP_CONVERGED = 1, /* its step fell to stop_thresh */
    MS_STEP_MAX_ITER = 2,  /* it stopped at max_iter without converging */
    MS_STEP_DROPPED = 3    /* its neighbourhood held no weight */
} ms_step_state;

/*
 * One step of the loop ms_shift_seeds runs, for m seeds whose kernel sums
 * the caller gathered (for instance over blocks of data held apart): the
 * seed at pos (m x d, updated in place) moves to wx / wsum (rounded to
 * float32 by ms_step_f32, as float32 data's means are), and intensity,
 * n_iter (the counter of ms_shift_seeds, advanced when the seed moves on)
 * and state (length m) are updated.  base (may be NULL: all 0) is, for
 * Gaussian sums, the squared distance their weights are relative to, as
 * ms_tree_kernel_sum_scaled gives it.  A seed that is not MS_STEP_MOVING
 * is finished; its pos is then final (a dropped seed's is unchanged).
 */
ms_status ms_step_f64(int64_t m, int64_t d, const ms_shift_params *params,
                      const double *base, const double *wsum, const double *wx,
                      double *pos, double *intensity, int64_t *n_iter,
                      ms_step_state *state);
ms_status ms_step_f32(int64_t m, int64_t d, const ms_shift_params *params,
                      const double *base, const double *wsum, const double *wx,
                      double *pos, double *intensity, int64_t *n_iter,
                      ms_step_state *state);

/* How the neighbours of a query are found. */
typedef enum ms_search {
    MS_SEARCH_AUTO = 0, /* the tree, except where scanning was measured faster */
    MS_SEARCH_TREE = 1, /* a k-d tree */
    MS_SEARCH_SCAN = 2  /* every point, for every query (one leaf) */
} ms_search;

/*
 * The leaf size to build a tree with (for ms_tree_build_*) over n points
 * of d features that n_queries seeds will query with `kernel` (n_queries
 * <= 0: as many as points).  MS_SEARCH_SCAN, and MS_SEARCH_AUTO for the
 * Gaussian kernel from 16 features on (whose bounds stop pruning there),
 * give n: one leaf.  Returns at least 1 for n >= 1.
 */
int64_t ms_leaf_size_hint(int64_t n, int64_t d, int64_t n_queries, ms_kernel kernel,
                          ms_search search);

/* ---- post-processing -------------------------------------------------- */

/*
 * Merge the converged means into cluster centres the way scikit-learn does:
 * seeds with intensity 0 are ignored; means with identical coordinates
 * are one candidate, carrying the intensity of the last such seed; the
 * candidates are sorted by (intensity, coordinates) descending, and walking
 * that order every later candidate within squared distance r2 of a kept one
 * is removed.  `order` (length m) receives the seed indices of the kept
 * centres in their final order and *n_centers their count (0 when every
 * seed was dropped).  r2 = -1 removes nothing (every distinct candidate is
 * kept, ranked); any other r2 below 0, or NaN, gives MS_ERR_INVALID.
 */
ms_status ms_merge_centers(const double *means, const double *intensity, int64_t m,
                           int64_t d, double r2, const ms_config *cfg, int64_t *order,
                           int64_t *n_centers);

/*
 * Label every row of X with the index of its nearest centre (ties go to
 * the lower index).  When r2 >= 0, rows farther than that squared distance
 * from every centre get -1.  sq_dist (may be NULL) receives the squared
 * distance to the nearest centre.
 */
ms_status ms_nearest_center_f64(const double *X, int64_t n, int64_t d,
                                const double *centers, int64_t k, double r2,
                                const ms_config *cfg, int64_t *labels, double *sq_dist);
ms_status ms_nearest_center_f32(const float *X, int64_t n, int64_t d,
                                const double *centers, int64_t k, double r2,
                                const ms_config *cfg, int64_t *labels, double *sq_dist);

/*
 * The same labels and squared distances for the rows a tree was built
 * from (ms_tree_build_*), in their original order, found leaf by leaf:
 * each leaf scans only the centres that can be nearest to a point of its
 * box.  The results are ms_nearest_center's on those rows, and come
 * faster from here beyond MS_NEAREST_SCAN_MAX centres; up to it,
 * ms_nearest_center scans every centre for each row in the rows' own
 * order, which is faster.
 */
#define MS_NEAREST_SCAN_MAX 16
ms_status ms_tree_nearest_center_f64(const ms_tree_f64 *tree, const double *centers,
                                     int64_t k, double r2, const ms_config *cfg,
                                     int64_t *labels, double *sq_dist);
ms_status ms_tree_nearest_center_f32(const ms_tree_f32 *tree, const double *centers,
                                     int64_t k, double r2, const ms_config *cfg,
                                     int64_t *labels, double *sq_dist);

/* ---- seeding grid ------------------------------------------------------ */

/*
 * The cells of a grid of spacing bin_size that the rows of X (n x d)
 * occupy, in order of first occurrence: a row's cell is x / bin_size
 * rounded half to even per coordinate (numpy's np.round); with bin_size 0
 * the rows are cell coordinates already.  -0.0 and 0.0 are one cell.
 * Cells whose count (or summed weight, when weights is not NULL) is at
 * least min_freq are kept: first (length n) receives each kept cell's
 * first row index, cells (n x d) the kept cells' coordinates (-0.0 written
 * as 0.0), n_kept how many were kept, n_cells how many cells there are in
 * all.
 */
ms_status ms_bin_cells(const double *X, const double *weights, int64_t n, int64_t d,
                       double bin_size, double min_freq, const ms_config *cfg,
                       int64_t *first, double *cells, int64_t *n_kept, int64_t *n_cells);

/* ---- repeated rows ----------------------------------------------------- */

/*
 * The distinct rows of X (n x d), for fitting data whose rows repeat many
 * times over (quantised colours, integer features) on each distinct row
 * once, weighted by its count.  Rows compare as in ms_bin_cells (-0.0
 * equals 0.0).  Where at most n / MS_DISTINCT_SHARE rows are distinct:
 * first (length n) receives each distinct row's first row index, in order
 * of first occurrence, inverse (length n) each row's distinct id, weight
 * (length n) each distinct row's count (or summed weights, when weights is
 * not NULL), and n_distinct their number.  Otherwise n_distinct is 0 and
 * the rest is unspecified: fit the rows as they are.  An evenly spaced
 * probe decides first, so data whose rows seldom repeat cost little.
 */
#define MS_DISTINCT_SHARE 4
ms_status ms_distinct_rows_f64(const double *X, const double *weights, int64_t n,
                               int64_t d, const ms_config *cfg, int64_t *first,
                               int64_t *inverse, double *weight, int64_t *n_distinct);
ms_status ms_distinct_rows_f32(const float *X, const double *weights, int64_t n,
                               int64_t d, const ms_config *cfg, int64_t *first,
                               int64_t *inverse, double *weight, int64_t *n_distinct);

/* ---- bandwidth estimation --------------------------------------------- */

/*
 * For every data point, its distance to its k-th nearest data point, the
 * point itself counting as the first (1 <= k <= n).  out (length n) is in
 * the original row order.  Exact: the same values as sorting all
 * distances.  A tree holding a NaN or infinite coordinate gives
 * MS_ERR_INVALID.
 */
ms_status ms_kth_neighbor_distance_f64(const ms_tree_f64 *tree, int64_t k,
                                       const ms_config *cfg, double *out);
ms_status ms_kth_neighbor_distance_f32(const ms_tree_f32 *tree, int64_t k,
                                       const ms_config *cfg, double *out);

/* ---- images ----------------------------------------------------------- */

typedef struct ms_image_params {
    ms_kernel kernel;      /* weight of the joint normalised distance u below */
    double spatial_radius; /* hs > 0, finite */
    double range_radius;   /* hr > 0, finite */
    int64_t max_iter;      /* >= 0: most steps per pixel */
    double tol;            /* >= 0, finite */
} ms_image_params;

/*
 * Mean shift filter of an image or volume (Comaniciu and Meer, 2002).
 * `image` holds nz x ny x nx pixels of c channels, row-major (a 2-D image
 * has nz = 1), all finite (a NaN or infinite colour gives MS_ERR_INVALID);
 * `out` (same layout) receives every pixel's filtered colour.
 *
 * Each pixel starts at the state (its position (z, y, x), its colour).  A
 * step moves the state (p, col) to the weighted mean, over positions and
 * colours, of the pixels q with |pos_q - p| <= hs and |colour_q - col| <=
 * hr, both Euclidean and inclusive; the weight is 1 (MS_KERNEL_FLAT),
 * exp(-u / 2) (gaussian) or max(0, 1 - u) (Epanechnikov), where
 * u = |pos_q - p|^2 / hs^2 + |colour_q - col|^2 / hr^2.  Positions are
 * continuous.  A pixel stops when its window holds no weight, after a step
 * with |dp|^2 / hs^2 + |dcol|^2 / hr^2 <= tol^2, or after max_iter steps;
 * its filtered colour is the colour of its last state.  Pixels run in
 * parallel (rows of the image per thread); results do not depend on the
 * thread count.  Memory: O(pixels).
 */
ms_status ms_image_filter(const double *image, int64_t nz, int64_t ny, int64_t nx,
                          int64_t c, const ms_image_params *params, const ms_config *cfg,
                          double *out);

/*
 * Regions of a filtered image (modes: nz x ny x nx pixels of c channels).
 * Neighbouring pixels whose modes lie within join_radius of each other
 * (Euclidean, inclusive) join one region, transitively.  Neighbours differ
 * by at most 1 in every coordinate and in at most `rank` coordinates (1:
 * 4- or 6-connectivity, 2: 8- or 18-, 3: 26-).  Then, while some region
 * has fewer than min_region pixels, the smallest one (ties: the one whose
 * first pixel comes first) merges into its neighbouring region with the
 * nearest mode, a region's mode being the mean of its pixels' modes (ties:
 * again the first).  labels (nz x ny x nx) receives 0..k-1, numbered in
 * raster order of each region's first pixel, and *n_regions k.  Every
 * region is connected.  The neighbour tests, joins and region pairs run
 * in bands of rows on cfg's threads, the merges serially; the labels do
 * not depend on the thread count.  join_radius >= 0.  At most INT32_MAX
 * pixels.
 */
ms_status ms_image_segment(const double *modes, int64_t nz, int64_t ny, int64_t nx,
                           int64_t c, double join_radius, int rank, int64_t min_region,
                           const ms_config *cfg, int32_t *labels, int64_t *n_regions);

/*
 * Each region's size and mean mode, from the n pixels' modes (c channels
 * each) and their labels (0..k-1): sizes (k) and means (k x c).  A
 * region's modes are added in pixel order, then divided by its size.
 * MS_ERR_INVALID for a label outside 0..k-1.
 */
ms_status ms_image_region_means(const double *modes, const int32_t *labels, int64_t n,
                                int64_t c, int64_t k, int64_t *sizes, double *means);

/* ---- images: OpenCV-compatible pyramid mean-shift filtering ---------- */

/*
 * cv::pyrMeanShiftFiltering(src, dst, sp, sr, max_level, termcrit) with
 * termcrit = (MAX_ITER | EPS, max_iter, eps), byte for byte.  src and dst
 * are C-contiguous height x width x 3 uint8 images (any channel order:
 * the three are treated alike); src is only read and must not overlap
 * dst.  Ranges (others give MS_ERR_INVALID): height, width >= 1;
 * 0 < sp <= 1e6 (the window half-side at the finest level, halved per
 * level, never below 1); 0 <= sr <= 1e4 (the colour radius: squared
 * colour distances up to round(sr^2) pass); 0 <= max_level <= 8 (pyramid
 * levels below the image); 1 <= max_iter <= 100; eps >= 0 (a pixel stops
 * once |dx| + |dy| + |dcolour|^2 <= eps).  Rows run in parallel on
 * cfg->n_threads threads; the bytes do not depend on the thread count.
 * The progress callback is told of filtered rows, all levels together.
 */
ms_status ms_pyr_mean_shift_u8c3(const uint8_t *src, int64_t height, int64_t width,
                                 double sp, double sr, int max_level, int max_iter,
                                 double eps, const ms_config *cfg, uint8_t *dst);

#ifdef __cplusplus
}
#endif
#endif /* MEANSHIFT_FAST_H */
