# cython: language_level=3
# Declarations of the C core (src_c/meanshift.h).  Code that compiles and
# links the C sources itself can cimport these; other Cython extensions
# that want the core already inside meanshift_fast._core cimport the
# function table declared in meanshift_fast/_core.pxd instead.
from libc.stdint cimport int32_t, int64_t, uint8_t

cdef extern from "meanshift.h" nogil:
    ctypedef enum ms_status:
        MS_OK
        MS_ERR_NOMEM
        MS_ERR_INVALID
        MS_ERR_INTERRUPTED

    ctypedef enum ms_kernel:
        MS_KERNEL_FLAT
        MS_KERNEL_GAUSSIAN
        MS_KERNEL_EPANECHNIKOV

    ctypedef int (*ms_progress_fn)(void *ctx, int64_t done, int64_t total) noexcept

    int MS_MAX_THREADS

    ctypedef struct ms_config:
        int n_threads
        ms_progress_fn progress
        void *progress_ctx
        int64_t fail_alloc_after

    ctypedef struct ms_shift_params:
        ms_kernel kernel
        double bandwidth
        double stop_thresh
        int64_t max_iter
        double gaussian_tol

    ctypedef struct ms_tree_f64:
        pass

    ctypedef struct ms_tree_f32:
        pass

    ms_config ms_config_default()
    int ms_openmp_enabled()
    int ms_default_num_threads()
    int ms_fault_injection_enabled()
    double ms_radius_sq(double h)
    double ms_flat_radius_sq(double h)

    ms_status ms_tree_build_f64(const double *X, const double *weights,
                                int64_t n, int64_t d, int64_t leaf_size,
                                ms_kernel kernel, const ms_config *cfg,
                                ms_tree_f64 **out)
    ms_status ms_tree_build_f32(const float *X, const double *weights,
                                int64_t n, int64_t d, int64_t leaf_size,
                                ms_kernel kernel, const ms_config *cfg,
                                ms_tree_f32 **out)
    void ms_tree_free_f64(ms_tree_f64 *tree)
    void ms_tree_free_f32(ms_tree_f32 *tree)
    ms_status ms_tree_points_f64(const ms_tree_f64 *tree, double *X)
    ms_status ms_tree_points_f32(const ms_tree_f32 *tree, float *X)

    ms_status ms_tree_kernel_sum_f64(const ms_tree_f64 *tree, const double *q,
                                     ms_kernel kernel, double h, double tol,
                                     double *wsum, double *wx)
    ms_status ms_tree_kernel_sum_f32(const ms_tree_f32 *tree, const double *q,
                                     ms_kernel kernel, double h, double tol,
                                     double *wsum, double *wx)
    ms_status ms_tree_kernel_sum_scaled_f64(
        const ms_tree_f64 *tree, const double *q, ms_kernel kernel, double h,
        double tol, double *base, double *wsum, double *wx)
    ms_status ms_tree_kernel_sum_scaled_f32(
        const ms_tree_f32 *tree, const double *q, ms_kernel kernel, double h,
        double tol, double *base, double *wsum, double *wx)

    ms_status ms_tree_kernel_sums_scaled_f64(
        const ms_tree_f64 *tree, const double *Q, int64_t m, ms_kernel kernel,
        double h, double tol, const ms_config *cfg, double *base, double *wsum,
        double *wx)
    ms_status ms_tree_kernel_sums_scaled_f32(
        const ms_tree_f32 *tree, const double *Q, int64_t m, ms_kernel kernel,
        double h, double tol, const ms_config *cfg, double *base, double *wsum,
        double *wx)

    ms_status ms_shift_seeds_f64(const ms_tree_f64 *tree, const double *seeds,
                                 int64_t n_seeds, const ms_shift_params *params,
                                 const ms_config *cfg, double *means,
                                 double *intensity, int64_t *n_iter,
                                 unsigned char *converged)
    ms_status ms_shift_seeds_f32(const ms_tree_f32 *tree, const double *seeds,
                                 int64_t n_seeds, const ms_shift_params *params,
                                 const ms_config *cfg, double *means,
                                 double *intensity, int64_t *n_iter,
                                 unsigned char *converged)

    ctypedef enum ms_step_state:
        MS_STEP_MOVING
        MS_STEP_CONVERGED
        MS_STEP_MAX_ITER
        MS_STEP_DROPPED

    ms_status ms_step_f64(int64_t m, int64_t d, const ms_shift_params *params,
                          const double *base, const double *wsum, const double *wx,
                          double *pos, double *intensity, int64_t *n_iter,
                          ms_step_state *state)
    ms_status ms_step_f32(int64_t m, int64_t d, const ms_shift_params *params,
                          const double *base, const double *wsum, const double *wx,
                          double *pos, double *intensity, int64_t *n_iter,
                          ms_step_state *state)

    ctypedef enum ms_search:
        MS_SEARCH_AUTO
        MS_SEARCH_TREE
        MS_SEARCH_SCAN

    int64_t ms_leaf_size_hint(int64_t n, int64_t d, int64_t n_queries,
                              ms_kernel kernel, ms_search search)

    ms_status ms_bin_cells(const double *X, const double *weights, int64_t n,
                           int64_t d, double bin_size, double min_freq,
                           const ms_config *cfg, int64_t *first, double *cells,
                           int64_t *n_kept, int64_t *n_cells)
    ms_status ms_distinct_rows_f64(const double *X, const double *weights,
                                   int64_t n, int64_t d, const ms_config *cfg,
                                   int64_t *first, int64_t *inverse,
                                   double *weight, int64_t *n_distinct)
    ms_status ms_distinct_rows_f32(const float *X, const double *weights,
                                   int64_t n, int64_t d, const ms_config *cfg,
                                   int64_t *first, int64_t *inverse,
                                   double *weight, int64_t *n_distinct)
    ms_status ms_merge_centers(const double *means, const double *intensity,
                               int64_t m, int64_t d, double r2,
                               const ms_config *cfg, int64_t *order,
                               int64_t *n_centers)

    ms_status ms_nearest_center_f64(const double *X, int64_t n, int64_t d,
                                    const double *centers, int64_t k, double r2,
                                    const ms_config *cfg, int64_t *labels,
                                    double *sq_dist)
    ms_status ms_nearest_center_f32(const float *X, int64_t n, int64_t d,
                                    const double *centers, int64_t k, double r2,
                                    const ms_config *cfg, int64_t *labels,
                                    double *sq_dist)
    int MS_NEAREST_SCAN_MAX
    ms_status ms_tree_nearest_center_f64(const ms_tree_f64 *tree, const double *centers,
                                         int64_t k, double r2, const ms_config *cfg,
                                         int64_t *labels, double *sq_dist)
    ms_status ms_tree_nearest_center_f32(const ms_tree_f32 *tree, const double *centers,
                                         int64_t k, double r2, const ms_config *cfg,
                                         int64_t *labels, double *sq_dist)

    ms_status ms_kth_neighbor_distance_f64(const ms_tree_f64 *tree, int64_t k,
                                           const ms_config *cfg, double *out)
    ms_status ms_kth_neighbor_distance_f32(const ms_tree_f32 *tree, int64_t k,
                                           const ms_config *cfg, double *out)

    ctypedef struct ms_image_params:
        ms_kernel kernel
        double spatial_radius
        double range_radius
        int64_t max_iter
        double tol

    ms_status ms_image_filter(const double *image, int64_t nz, int64_t ny,
                              int64_t nx, int64_t c, const ms_image_params *params,
                              const ms_config *cfg, double *out)
    ms_status ms_image_segment(const double *modes, int64_t nz, int64_t ny,
                               int64_t nx, int64_t c, double join_radius, int rank,
                               int64_t min_region, const ms_config *cfg,
                               int32_t *labels, int64_t *n_regions)
    ms_status ms_image_region_means(const double *modes, const int32_t *labels,
                                    int64_t n, int64_t c, int64_t k, int64_t *sizes,
                                    double *means)
    ms_status ms_pyr_mean_shift_u8c3(const uint8_t *src, int64_t height,
                                     int64_t width, double sp, double sr,
                                     int max_level, int max_iter, double eps,
                                     const ms_config *cfg, uint8_t *dst)
