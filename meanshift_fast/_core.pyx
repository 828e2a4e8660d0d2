# cython: language_level=3, boundscheck=False, wraparound=False
# cython: freethreading_compatible=True
"""The boundary between Python and the C core (src_c/meanshift.h).

Arrays arrive validated, C-contiguous and of the right dtype; this module
only hands them to C with the GIL released and turns status codes into
exceptions.
"""
from cpython.exc cimport PyErr_CheckSignals
from libc.stdint cimport int32_t, int64_t

import numpy as np

from meanshift_fast.cmeanshift cimport (
    MS_ERR_INTERRUPTED,
    MS_ERR_INVALID,
    MS_ERR_NOMEM,
    MS_KERNEL_EPANECHNIKOV,
    MS_KERNEL_FLAT,
    MS_KERNEL_GAUSSIAN,
    MS_OK,
    MS_SEARCH_AUTO,
    MS_SEARCH_SCAN,
    MS_SEARCH_TREE,
    ms_config,
    ms_config_default,
    ms_default_num_threads,
    ms_fault_injection_enabled,
    ms_bin_cells,
    ms_distinct_rows_f32,
    ms_distinct_rows_f64,
    ms_image_filter,
    ms_image_params,
    ms_image_region_means,
    ms_image_segment,
    ms_kernel,
    ms_kth_neighbor_distance_f32,
    ms_leaf_size_hint,
    ms_kth_neighbor_distance_f64,
    ms_merge_centers,
    MS_NEAREST_SCAN_MAX,
    ms_nearest_center_f32,
    ms_nearest_center_f64,
    ms_tree_nearest_center_f32,
    ms_tree_nearest_center_f64,
    ms_openmp_enabled,
    ms_radius_sq,
    ms_flat_radius_sq,
    ms_shift_params,
    ms_shift_seeds_f32,
    ms_shift_seeds_f64,
    ms_status,
    ms_step_f32,
    ms_step_f64,
    ms_step_state,
    ms_tree_build_f32,
    ms_tree_build_f64,
    ms_tree_f32,
    ms_tree_f64,
    ms_tree_free_f32,
    ms_tree_free_f64,
    ms_tree_kernel_sum_f32,
    ms_tree_kernel_sum_f64,
    ms_tree_kernel_sums_scaled_f32,
    ms_tree_kernel_sums_scaled_f64,
    ms_tree_points_f32,
    ms_tree_points_f64,
)

KERNELS = {"flat": MS_KERNEL_FLAT, "gaussian": MS_KERNEL_GAUSSIAN,
           "epanechnikov": MS_KERNEL_EPANECHNIKOV}
# Beyond this many centres, labels come faster through the data's tree.
NEAREST_SCAN_MAX = MS_NEAREST_SCAN_MAX
SEARCHES = {"auto": MS_SEARCH_AUTO, "kd_tree": MS_SEARCH_TREE,
            "brute": MS_SEARCH_SCAN}

# Allocation-failure injection for tests; honoured only by a core compiled
# with MS_FAULT_INJECTION (see fault_injection_enabled()).
_fail_alloc_after = -1


def _c(a, dtype=None):
    """C reads raw pointers: hand it C-contiguous, aligned arrays."""
    return np.require(a, dtype=dtype, requirements=["C", "A"])


def _width(a, int64_t d, what):
    """The core reads d columns of every row of a: refuse another width."""
    if a.shape[0] > 0 and a.shape[1] != d:
        raise ValueError(f"{what} of width {a.shape[1]} where {d} was expected")


def _length(a, int64_t n, what):
    """The core reads n entries of a: refuse another length."""
    if a.shape[0] != n:
        raise ValueError(f"{what} of length {a.shape[0]} where {n} was expected")


def _weights(weights, int64_t n):
    """One float64 weight per row, or ValueError: the core reads n of them."""
    w = _c(weights, np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"weights of shape {w.shape} for {n} rows")
    return w


def openmp_enabled():
    """Whether the core was built with OpenMP (threads); without it every
    call runs on one thread, whatever n_jobs says."""
    return bool(ms_openmp_enabled())


def default_num_threads():
    return ms_default_num_threads()


def fault_injection_enabled():
    return bool(ms_fault_injection_enabled())


def set_fail_alloc_after(int64_t n):
    """Make the n-th allocation of each later C call fail (-1: never)."""
    global _fail_alloc_after
    _fail_alloc_after = n


def radius_sq(double h):
    return ms_radius_sq(h)


def flat_radius_sq(double h):
    return ms_flat_radius_sq(h)


cdef class _Progress:
    """Checks for signals and reports progress while C runs."""
    cdef object callback
    cdef object error

    def __cinit__(self, callback):
        self.callback = callback
        self.error = None

    cdef int tick(self, int64_t done, int64_t total) noexcept:
        try:
            PyErr_CheckSignals()
            if self.callback is not None:
                self.callback(done, total)
        except BaseException as exc:
            self.error = exc
            return 1
        return 0


cdef int _progress_cb(void *ctx, int64_t done, int64_t total) noexcept nogil:
    with gil:
        return (<_Progress>ctx).tick(done, total)


cdef ms_config _config(int n_threads, _Progress prog):
    cdef ms_config cfg = ms_config_default()
    cfg.n_threads = n_threads
    cfg.progress = _progress_cb
    cfg.progress_ctx = <void *>prog
    cfg.fail_alloc_after = _fail_alloc_after
    return cfg


cdef int _check(ms_status st, _Progress prog) except -1:
    if st == MS_OK:
        return 0
    if st == MS_ERR_NOMEM:
        raise MemoryError("meanshift_fast: the C core ran out of memory")
    if st == MS_ERR_INTERRUPTED:
        if prog is not None and prog.error is not None:
            raise prog.error
        raise KeyboardInterrupt
    if st == MS_ERR_INVALID:
        raise ValueError("meanshift_fast: invalid argument to the C core")
    raise RuntimeError(f"meanshift_fast: C core error {st}")


cdef class Tree:
    """A k-d tree over the data, owned by the C core."""
    cdef ms_tree_f64 *t64
    cdef ms_tree_f32 *t32
    cdef readonly int64_t n, d
    cdef readonly bint is_f32

    def __cinit__(self):
        self.t64 = NULL
        self.t32 = NULL

    def __dealloc__(self):
        ms_tree_free_f64(self.t64)
        ms_tree_free_f32(self.t32)

    def __init__(self, X, weights=None, int64_t leaf_size=0, kernel="flat",
                 int n_threads=1):
        cdef const double[:, ::1] x64
        cdef const float[:, ::1] x32
        cdef const double[::1] w
        cdef const double *wp = NULL
        cdef ms_kernel k = KERNELS[kernel]
        cdef _Progress prog = _Progress(None)
        cdef ms_config cfg = _config(n_threads, prog)
        cdef ms_status st
        if self.t64 != NULL or self.t32 != NULL:
            raise RuntimeError("a Tree is built once")
        X = _c(X)
        self.n, self.d = X.shape[0], X.shape[1]
        if weights is not None:
            w = _weights(weights, self.n)
            wp = &w[0]
        self.is_f32 = X.dtype == np.float32
        if self.is_f32:
            x32 = X
            with nogil:
                st = ms_tree_build_f32(
                        &x32[0, 0], wp, self.n, self.d, leaf_size, k, &cfg, &self.t32)
        else:
            x64 = X
            with nogil:
                st = ms_tree_build_f64(
                        &x64[0, 0], wp, self.n, self.d, leaf_size, k, &cfg, &self.t64)
        _check(st, prog)

    def points(self):
        """A copy of the points the tree was built from, in their order."""
        cdef double[:, ::1] x64
        cdef float[:, ::1] x32
        cdef ms_status st
        if self.is_f32:
            out = np.empty((self.n, self.d), dtype=np.float32)
            x32 = out
            with nogil:
                st = ms_tree_points_f32(self.t32, &x32[0, 0])
        else:
            out = np.empty((self.n, self.d))
            x64 = out
            with nogil:
                st = ms_tree_points_f64(self.t64, &x64[0, 0])
        _check(st, None)
        return out

    def shift(self, seeds, kernel, double bandwidth, double stop_thresh,
              int64_t max_iter, double gaussian_tol, int n_threads,
              progress=None):
        """Move every seed to its mode: (means, intensity, n_iter, converged)."""
        cdef const double[:, ::1] s = _c(seeds, np.float64)
        cdef int64_t m = s.shape[0]
        _width(s, self.d, "seeds")
        cdef double[:, ::1] means = np.empty((m, self.d))
        cdef double[::1] inten = np.empty(m)
        cdef int64_t[::1] iters = np.empty(m, dtype=np.int64)
        cdef unsigned char[::1] conv = np.empty(m, dtype=np.uint8)
        cdef ms_shift_params p
        cdef _Progress prog = _Progress(progress)
        cdef ms_config cfg = _config(n_threads, prog)
        cdef ms_status st = MS_OK
        p.kernel = KERNELS[kernel]
        p.bandwidth = bandwidth
        p.stop_thresh = stop_thresh
        p.max_iter = max_iter
        p.gaussian_tol = gaussian_tol
        if m > 0:
            with nogil:
                if self.is_f32:
                    st = ms_shift_seeds_f32(
                            self.t32, &s[0, 0], m, &p, &cfg, &means[0, 0], &inten[0], &iters[0],
                            &conv[0])
                else:
                    st = ms_shift_seeds_f64(
                            self.t64, &s[0, 0], m, &p, &cfg, &means[0, 0], &inten[0], &iters[0],
                            &conv[0])
        _check(st, prog)
        return (np.asarray(means), np.asarray(inten), np.asarray(iters),
                np.asarray(conv).view(bool))

    def nearest_center(self, centers, double r2, int n_threads=1, progress=None):
        """nearest_center for the rows the tree was built from, in their order."""
        cdef const double[:, ::1] c = _c(centers, np.float64)
        _width(c, self.d, "centres")
        cdef int64_t[::1] labels = np.empty(self.n, dtype=np.int64)
        cdef double[::1] dist = np.empty(self.n)
        cdef _Progress prog = _Progress(progress)
        cdef ms_config cfg = _config(n_threads, prog)
        cdef ms_status st = MS_OK
        if self.n == 0:
            return np.asarray(labels), np.asarray(dist)
        with nogil:
            if self.is_f32:
                st = ms_tree_nearest_center_f32(
                        self.t32, &c[0, 0], c.shape[0], r2, &cfg, &labels[0], &dist[0])
            else:
                st = ms_tree_nearest_center_f64(
                        self.t64, &c[0, 0], c.shape[0], r2, &cfg, &labels[0], &dist[0])
        _check(st, prog)
        return np.asarray(labels), np.asarray(dist)

    def kernel_sum(self, queries, kernel, double bandwidth, double tol,
                   int n_threads=1):
        """Kernel-weighted mass and coordinate sums at each query row.

        Returns (base, mass, sums): Gaussian sums are taken relative to the
        nearest point of positive weight, base being its squared distance (the
        plain sums are these times exp(-base / 2h^2)); base is 0 for the other
        kernels.
        """
        cdef const double[:, ::1] q = _c(queries, np.float64)
        cdef int64_t m = q.shape[0]
        _width(q, self.d, "queries")
        cdef double[::1] base = np.empty(m)
        cdef double[::1] w = np.empty(m)
        cdef double[:, ::1] wx = np.empty((m, self.d))
        cdef ms_kernel k = KERNELS[kernel]
        cdef ms_status st = MS_OK
        cdef _Progress prog = _Progress(None)
        cdef ms_config cfg = _config(n_threads, prog)
        if m == 0:
            return np.asarray(base), np.asarray(w), np.asarray(wx)
        with nogil:
            if self.is_f32:
                st = ms_tree_kernel_sums_scaled_f32(
                        self.t32, &q[0, 0], m, k, bandwidth, tol, &cfg, &base[0],
                        &w[0], &wx[0, 0])
            else:
                st = ms_tree_kernel_sums_scaled_f64(
                        self.t64, &q[0, 0], m, k, bandwidth, tol, &cfg, &base[0],
                        &w[0], &wx[0, 0])
        _check(st, prog)
        return np.asarray(base), np.asarray(w), np.asarray(wx)

    def kth_neighbor_distance(self, int64_t k, int n_threads, progress=None):
        """Distance from every point to its k-th nearest (itself first)."""
        cdef double[::1] out = np.empty(self.n)
        cdef _Progress prog = _Progress(progress)
        cdef ms_config cfg = _config(n_threads, prog)
        cdef ms_status st
        with nogil:
            if self.is_f32:
                st = ms_kth_neighbor_distance_f32(self.t32, k, &cfg, &out[0])
            else:
                st = ms_kth_neighbor_distance_f64(self.t64, k, &cfg, &out[0])
        _check(st, prog)
        return np.asarray(out)


def leaf_size_hint(int64_t n, int64_t d, int64_t n_queries, kernel,
                   algorithm="auto"):
    """The core's leaf size for a tree over n points that n_queries seeds
    query (0: unknown)."""
    return ms_leaf_size_hint(n, d, n_queries, KERNELS[kernel], SEARCHES[algorithm])


def step(pos, base, wsum, wx, kernel, double bandwidth, double stop_thresh,
         int64_t max_iter, intensity, n_iter, bint float32):
    """One mean-shift step for every row of pos, in place (pos, intensity and
    n_iter are updated); returns each seed's ms_step_state."""
    cdef double[:, ::1] p = pos
    cdef const double[::1] b = _c(base, np.float64)
    cdef const double[::1] w = _c(wsum, np.float64)
    cdef const double[:, ::1] x = _c(wx, np.float64)
    cdef double[::1] inten = intensity
    cdef int64_t[::1] iters = n_iter
    cdef int64_t m = p.shape[0]
    cdef int64_t d = p.shape[1]
    for a, what in ((b, "base"), (w, "wsum"), (x, "wx"), (inten, "intensity"),
                    (iters, "n_iter")):
        _length(a, m, what)
    _width(x, d, "wx")
    state = np.empty(m, dtype=np.intc)
    cdef int[::1] st_out = state
    cdef ms_shift_params prm
    cdef ms_status st = MS_OK
    prm.kernel = KERNELS[kernel]
    prm.bandwidth = bandwidth
    prm.stop_thresh = stop_thresh
    prm.max_iter = max_iter
    prm.gaussian_tol = 0.0
    if m > 0:
        with nogil:
            if float32:
                st = ms_step_f32(m, d, &prm, &b[0], &w[0], &x[0, 0], &p[0, 0],
                                 &inten[0], &iters[0], <ms_step_state *>&st_out[0])
            else:
                st = ms_step_f64(m, d, &prm, &b[0], &w[0], &x[0, 0], &p[0, 0],
                                 &inten[0], &iters[0], <ms_step_state *>&st_out[0])
    _check(st, None)
    return state


def bin_cells(X, weights, double bin_size, double min_freq, int n_threads=1):
    """(kept grid cells' coordinates, float64, in order of first occurrence;
    the first row of each; number of cells); bin_size 0: the rows are cells
    already."""
    cdef const double[:, ::1] xv = _c(X, np.float64)
    cdef const double[::1] wv
    cdef const double *wp = NULL
    cdef int64_t n = xv.shape[0], d = xv.shape[1], kept = 0, cells = 0
    cdef int64_t[::1] first = np.empty(max(n, 1), dtype=np.int64)
    cdef double[:, ::1] coords = np.empty((max(n, 1), d), dtype=np.float64)
    cdef _Progress prog = _Progress(None)
    cdef ms_config cfg = _config(n_threads, prog)
    cdef ms_status st = MS_OK
    if weights is not None:
        wv = _weights(weights, n)
        wp = &wv[0]
    if n > 0:
        with nogil:
            st = ms_bin_cells(&xv[0, 0], wp, n, d, bin_size, min_freq, &cfg,
                              &first[0], &coords[0, 0], &kept, &cells)
    _check(st, prog)
    return (np.asarray(coords)[:kept].copy(), np.asarray(first)[:kept].copy(),
            cells)


def distinct_rows(X, weights):
    """(first row of each distinct row, each row's distinct id, each
    distinct row's count or summed weight) where the rows repeat often
    enough for a fit on the distinct rows to pay; else None."""
    cdef const double[:, ::1] x64
    cdef const float[:, ::1] x32
    cdef const double[::1] wv
    cdef const double *wp = NULL
    cdef int64_t n = X.shape[0], d = X.shape[1], m = 0
    cdef int64_t[::1] first = np.empty(max(n, 1), dtype=np.int64)
    cdef int64_t[::1] inverse = np.empty(max(n, 1), dtype=np.int64)
    cdef double[::1] weight = np.empty(max(n, 1), dtype=np.float64)
    cdef _Progress prog = _Progress(None)
    cdef ms_config cfg = _config(1, prog)
    cdef ms_status st = MS_OK
    if weights is not None:
        wv = _weights(weights, n)
        wp = &wv[0]
    if n > 1 and d > 0:
        if X.dtype == np.float32:
            x32 = _c(X)
            with nogil:
                st = ms_distinct_rows_f32(&x32[0, 0], wp, n, d, &cfg, &first[0],
                                          &inverse[0], &weight[0], &m)
        else:
            x64 = _c(X, np.float64)
            with nogil:
                st = ms_distinct_rows_f64(&x64[0, 0], wp, n, d, &cfg, &first[0],
                                          &inverse[0], &weight[0], &m)
    _check(st, prog)
    if m == 0:
        return None
    return (np.asarray(first)[:m].copy(), np.asarray(inverse),
            np.asarray(weight)[:m].copy())


def merge_centers(means, intensity, double r2, int n_threads=1):
    """Seed indices of the kept centres, in scikit-learn's order."""
    cdef const double[:, ::1] mv = _c(means, np.float64)
    cdef const double[::1] iv = _c(intensity, np.float64)
    cdef int64_t m = mv.shape[0], k = 0
    _length(iv, m, "intensity")
    cdef int64_t[::1] order = np.empty(max(m, 1), dtype=np.int64)
    cdef _Progress prog = _Progress(None)
    cdef ms_config cfg = _config(n_threads, prog)
    cdef ms_status st = MS_OK
    if m > 0:
        with nogil:
            st = ms_merge_centers(&mv[0, 0], &iv[0], m, mv.shape[1], r2, &cfg, &order[0], &k)
    _check(st, prog)
    return np.asarray(order)[:k].copy()


def nearest_center(X, centers, double r2, int n_threads=1, progress=None):
    """(labels, squared distances) of each row of X to its nearest centre."""
    cdef const double[:, ::1] c = _c(centers, np.float64)
    cdef const double[:, ::1] x64
    cdef const float[:, ::1] x32
    cdef int64_t n = X.shape[0], d = X.shape[1]
    _width(c, d, "centres")
    cdef int64_t[::1] labels = np.empty(n, dtype=np.int64)
    cdef double[::1] dist = np.empty(n)
    cdef _Progress prog = _Progress(progress)
    cdef ms_config cfg = _config(n_threads, prog)
    cdef ms_status st = MS_OK
    if n == 0:
        return np.asarray(labels), np.asarray(dist)
    X = _c(X)
    if X.dtype == np.float32:
        x32 = X
        with nogil:
            st = ms_nearest_center_f32(
                    &x32[0, 0], n, d, &c[0, 0], c.shape[0], r2, &cfg, &labels[0], &dist[0])
    else:
        x64 = X
        with nogil:
            st = ms_nearest_center_f64(
                    &x64[0, 0], n, d, &c[0, 0], c.shape[0], r2, &cfg, &labels[0], &dist[0])
    _check(st, prog)
    return np.asarray(labels), np.asarray(dist)


# ---- images (meanshift_fast.image) ----

def image_filter(image, kernel, double spatial_radius, double range_radius,
                 int64_t max_iter, double tol, int n_threads, progress=None):
    """Mean shift filter of a (nz, ny, nx, c) float64 image; same shape out."""
    cdef const double[:, :, :, ::1] img = _c(image, np.float64)
    cdef double[:, :, :, ::1] out = np.empty(image.shape)
    cdef ms_image_params p
    cdef _Progress prog = _Progress(progress)
    cdef ms_config cfg = _config(n_threads, prog)
    cdef ms_status st
    p.kernel = KERNELS[kernel]
    p.spatial_radius = spatial_radius
    p.range_radius = range_radius
    p.max_iter = max_iter
    p.tol = tol
    with nogil:
        st = ms_image_filter(&img[0, 0, 0, 0], img.shape[0], img.shape[1], img.shape[2],
                             img.shape[3], &p, &cfg, &out[0, 0, 0, 0])
    _check(st, prog)
    return np.asarray(out)


def image_segment(modes, double join_radius, int rank, int64_t min_region,
                  int n_threads):
    """(labels (nz, ny, nx) int32, number of regions) of a filtered image."""
    cdef const double[:, :, :, ::1] m = _c(modes, np.float64)
    cdef int32_t[:, :, ::1] labels = np.empty(modes.shape[:3], dtype=np.int32)
    cdef int64_t k = 0
    cdef _Progress prog = _Progress(None)
    cdef ms_config cfg = _config(n_threads, prog)
    cdef ms_status st
    with nogil:
        st = ms_image_segment(&m[0, 0, 0, 0], m.shape[0], m.shape[1], m.shape[2],
                              m.shape[3], join_radius, rank, min_region, &cfg,
                              &labels[0, 0, 0], &k)
    _check(st, prog)
    return np.asarray(labels), int(k)


def image_region_means(modes, labels, int64_t k):
    """(sizes (k,) int64, means (k, c)): each label's pixel count and mean
    mode, the modes (n, c) added in pixel order."""
    cdef const double[:, ::1] m = _c(modes, np.float64)
    cdef const int32_t[::1] lab = _c(labels, np.int32)
    _length(lab, m.shape[0], "labels")
    cdef int64_t[::1] sizes = np.empty(k, dtype=np.int64)
    cdef double[:, ::1] means = np.empty((k, m.shape[1]), dtype=np.float64)
    cdef ms_status st
    with nogil:
        st = ms_image_region_means(&m[0, 0] if m.shape[0] else NULL,
                                   &lab[0] if lab.shape[0] else NULL,
                                   m.shape[0], m.shape[1], k,
                                   &sizes[0] if k else NULL,
                                   &means[0, 0] if k else NULL)
    _check(st, None)
    return np.asarray(sizes), np.asarray(means)

# ---- end of images ----


# ---- the function table for other Cython extensions (_core.pxd) ----

# Set once a call through the table asked for more than one thread: its
# OpenMP team leaves a forked child as broken as a fit's does, and
# _threads then runs that child's calls on one thread.
cdef bint _api_team = False


cdef inline void _note_team(const ms_config *cfg) noexcept nogil:
    global _api_team
    if cfg != NULL and cfg.n_threads > 1:
        _api_team = True


def api_team_started():
    """Whether another extension ran the core on several threads."""
    return bool(_api_team)


cdef ms_config api_config_default() noexcept nogil:
    return ms_config_default()

cdef int api_openmp_enabled() noexcept nogil:
    return ms_openmp_enabled()

cdef int api_default_num_threads() noexcept nogil:
    return ms_default_num_threads()

cdef int api_fault_injection_enabled() noexcept nogil:
    return ms_fault_injection_enabled()

cdef double api_radius_sq(double h) noexcept nogil:
    return ms_radius_sq(h)


cdef double api_flat_radius_sq(double h) noexcept nogil:
    return ms_flat_radius_sq(h)

cdef ms_status api_tree_build_f64(
        const double *X, const double *weights, int64_t n, int64_t d, int64_t leaf_size,
        ms_kernel kernel, const ms_config *cfg, ms_tree_f64 **out) noexcept nogil:
    _note_team(cfg)
    return ms_tree_build_f64(X, weights, n, d, leaf_size, kernel, cfg, out)

cdef ms_status api_tree_build_f32(
        const float *X, const double *weights, int64_t n, int64_t d, int64_t leaf_size,
        ms_kernel kernel, const ms_config *cfg, ms_tree_f32 **out) noexcept nogil:
    _note_team(cfg)
    return ms_tree_build_f32(X, weights, n, d, leaf_size, kernel, cfg, out)

cdef void api_tree_free_f64(ms_tree_f64 *tree) noexcept nogil:
    ms_tree_free_f64(tree)

cdef void api_tree_free_f32(ms_tree_f32 *tree) noexcept nogil:
    ms_tree_free_f32(tree)

cdef ms_status api_tree_kernel_sum_f64(
        const ms_tree_f64 *tree, const double *q, ms_kernel kernel, double h, double tol,
        double *wsum, double *wx) noexcept nogil:
    return ms_tree_kernel_sum_f64(tree, q, kernel, h, tol, wsum, wx)

cdef ms_status api_tree_kernel_sum_f32(
        const ms_tree_f32 *tree, const double *q, ms_kernel kernel, double h, double tol,
        double *wsum, double *wx) noexcept nogil:
    return ms_tree_kernel_sum_f32(tree, q, kernel, h, tol, wsum, wx)

cdef ms_status api_shift_seeds_f64(
        const ms_tree_f64 *tree, const double *seeds, int64_t n_seeds,
        const ms_shift_params *params, const ms_config *cfg, double *means, double *intensity,
        int64_t *n_iter, unsigned char *converged) noexcept nogil:
    _note_team(cfg)
    return ms_shift_seeds_f64(
            tree, seeds, n_seeds, params, cfg, means, intensity, n_iter, converged)

cdef ms_status api_shift_seeds_f32(
        const ms_tree_f32 *tree, const double *seeds, int64_t n_seeds,
        const ms_shift_params *params, const ms_config *cfg, double *means, double *intensity,
        int64_t *n_iter, unsigned char *converged) noexcept nogil:
    _note_team(cfg)
    return ms_shift_seeds_f32(
            tree, seeds, n_seeds, params, cfg, means, intensity, n_iter, converged)

cdef ms_status api_merge_centers(
        const double *means, const double *intensity, int64_t m, int64_t d, double r2,
        const ms_config *cfg, int64_t *order, int64_t *n_centers) noexcept nogil:
    _note_team(cfg)
    return ms_merge_centers(means, intensity, m, d, r2, cfg, order, n_centers)

cdef ms_status api_nearest_center_f64(
        const double *X, int64_t n, int64_t d, const double *centers, int64_t k, double r2,
        const ms_config *cfg, int64_t *labels, double *sq_dist) noexcept nogil:
    _note_team(cfg)
    return ms_nearest_center_f64(X, n, d, centers, k, r2, cfg, labels, sq_dist)

cdef ms_status api_nearest_center_f32(
        const float *X, int64_t n, int64_t d, const double *centers, int64_t k, double r2,
        const ms_config *cfg, int64_t *labels, double *sq_dist) noexcept nogil:
    _note_team(cfg)
    return ms_nearest_center_f32(X, n, d, centers, k, r2, cfg, labels, sq_dist)

cdef ms_status api_kth_neighbor_distance_f64(
        const ms_tree_f64 *tree, int64_t k, const ms_config *cfg, double *out) noexcept nogil:
    _note_team(cfg)
    return ms_kth_neighbor_distance_f64(tree, k, cfg, out)

cdef ms_status api_kth_neighbor_distance_f32(
        const ms_tree_f32 *tree, int64_t k, const ms_config *cfg, double *out) noexcept nogil:
    _note_team(cfg)
    return ms_kth_neighbor_distance_f32(tree, k, cfg, out)


# ==== images: OpenCV-compatible pyramid mean-shift filtering ====
# (src_c/image_pyr.c; wrapped for meanshift_fast.image.pyr_mean_shift_filtering)

from libc.stdint cimport uint8_t

from meanshift_fast.cmeanshift cimport ms_pyr_mean_shift_u8c3


def pyr_mean_shift_u8c3(src, double sp, double sr, int max_level, int max_iter,
                        double eps, int n_threads, progress=None):
    """cv2.pyrMeanShiftFiltering's bytes for a C-contiguous (H, W, 3) uint8
    image, as a new array; the parameters are already validated."""
    cdef const uint8_t[:, :, ::1] s = _c(src, np.uint8)
    cdef int64_t h = s.shape[0], w = s.shape[1]
    out = np.empty((h, w, 3), dtype=np.uint8)
    cdef uint8_t[:, :, ::1] d = out
    cdef _Progress prog = _Progress(progress)
    cdef ms_config cfg = _config(n_threads, prog)
    cdef ms_status st
    with nogil:
        st = ms_pyr_mean_shift_u8c3(&s[0, 0, 0], h, w, sp, sr, max_level, max_iter, eps,
                                    &cfg, &d[0, 0, 0])
    _check(st, prog)
    return out

# ==== end of pyramid mean-shift filtering ====
