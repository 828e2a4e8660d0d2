"""Hash the library's results on a fixed table of fits, to show that a change
of structure changes no result.

Each line is a case and the SHA-256 (first 16 hex digits) of everything the
case returns: centres, labels and ``n_iter_`` for the estimators, the values
for the other functions.  The table covers every kernel; weights, float32,
per-feature bandwidths and bin seeding; the per-seed and the grouped paths
of the shift loop; prediction and density; the bandwidth functions; the Dask
estimator; and the image module.

    python scripts/result_hashes.py                  # print the table
    python scripts/result_hashes.py --save F         # write it to F
    python scripts/result_hashes.py --check F        # compare; exit 1 on a change

Hashes are of bits, so they belong to one platform and compiler; compare a
commit against the one before it on the same machine.  The image cases in
LUV and Lab (the default colour space of an RGB image) also depend on the
CPU: numpy's power and cbrt, which convert the colours, pick vectorised
versions on some CPUs (AVX-512) whose last bits differ.
"""

import argparse
import hashlib
import sys
import warnings

import numpy as np


def digest(*values):
    h = hashlib.sha256()
    for v in values:
        a = np.ascontiguousarray(np.asarray(v))
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def blobs(n, d, centers, spread, seed):
    rng = np.random.default_rng(seed)
    c = rng.uniform(-10, 10, size=(centers, d))
    return c[rng.integers(0, centers, n)] + rng.normal(scale=spread, size=(n, d))


def datasets():
    rng = np.random.default_rng(7)
    heavy = rng.standard_t(3, size=(3000, 3)) + 8.0 * rng.integers(0, 3, (3000, 1))
    quantised = np.round(blobs(4000, 3, 4, 1.5, 3) * 2.0) / 2.0
    return {
        "blobs3d": (blobs(3000, 3, 3, 0.6, 0), 1.2),
        "blobs2d_big": (blobs(20000, 2, 5, 1.0, 1), 1.5),
        "uniform2d": (rng.uniform(0, 1, size=(5000, 2)), 0.08),
        "heavy3d": (heavy, 1.5),
        "quantised3d": (quantised, 1.0),
        "blobs8d": (blobs(1500, 8, 4, 1.0, 2), 4.0),
        "blobs32d": (blobs(800, 32, 4, 1.0, 4), 9.0),
    }


def estimator_cases():
    from meanshift_fast import MeanShift

    data = datasets()
    X3, h3 = data["blobs3d"]
    w = np.random.default_rng(5).uniform(0.1, 3.0, len(X3))
    cases = {}
    for name, (X, h) in data.items():
        cases[f"flat/every-point/{name}"] = (MeanShift(bandwidth=h), X, None)
        if X.shape[1] <= 8:
            cases[f"flat/bin-seeds/{name}"] = (
                MeanShift(bandwidth=h, bin_seeding=True),
                X,
                None,
            )
        cases[f"flat/float32/{name}"] = (
            MeanShift(bandwidth=h),
            X.astype(np.float32),
            None,
        )
    for kernel in ("gaussian", "epanechnikov"):
        for name in ("blobs3d", "heavy3d", "blobs8d"):
            X, h = data[name]
            cases[f"{kernel}/every-point/{name}"] = (
                MeanShift(bandwidth=h, kernel=kernel),
                X,
                None,
            )
        cases[f"{kernel}/weights/blobs3d"] = (
            MeanShift(bandwidth=h3, kernel=kernel),
            X3,
            w,
        )
        cases[f"{kernel}/float32/blobs3d"] = (
            MeanShift(bandwidth=h3, kernel=kernel),
            X3.astype(np.float32),
            None,
        )
    cases["gaussian/exact-sums/blobs3d"] = (
        MeanShift(bandwidth=h3, kernel="gaussian", gaussian_tol=0.0),
        X3,
        None,
    )
    cases["flat/weights/blobs3d"] = (MeanShift(bandwidth=h3), X3, w)
    cases["flat/weights-bins/blobs3d"] = (
        MeanShift(bandwidth=h3, bin_seeding=True),
        X3,
        w,
    )
    cases["flat/few-seeds/blobs3d"] = (
        MeanShift(bandwidth=h3, seeds=X3[::97]),
        X3,
        None,
    )
    cases["flat/brute/blobs3d"] = (MeanShift(bandwidth=h3, algorithm="brute"), X3, None)
    cases["flat/per-feature/blobs3d"] = (
        MeanShift(bandwidth=np.array([1.0, 1.3, 0.8])),
        X3,
        None,
    )
    cases["flat/scott/blobs3d"] = (MeanShift(bandwidth="scott"), X3, None)
    cases["flat/estimated/blobs3d"] = (MeanShift(), X3, None)
    cases["flat/auto/blobs3d"] = (MeanShift(bandwidth="auto"), X3, None)
    cases["flat/not-all/uniform2d"] = (
        MeanShift(bandwidth=0.05, cluster_all=False),
        data["uniform2d"][0],
        None,
    )
    cases["flat/attractor/blobs3d"] = (
        MeanShift(bandwidth=h3, cluster_assignment="attractor"),
        X3,
        None,
    )
    cases["flat/max-iter/blobs3d"] = (MeanShift(bandwidth=h3, max_iter=3), X3, None)
    return cases


def run_estimators(out):
    from meanshift_fast import ConvergenceWarning

    queries = np.random.default_rng(11).normal(size=(200, 3)) * 5
    for case, (est, X, w) in estimator_cases().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, sample_weight=w)
        values = [est.cluster_centers_, est.labels_, est.n_iter_]
        if case.endswith("/blobs3d") and X.shape[1] == 3:
            values += [est.predict(queries.astype(X.dtype))]
            if est.kernel != "flat" or case.startswith("flat/weights"):
                values += [est.score_samples(queries.astype(X.dtype))]
        out[case] = digest(*values)


def run_functions(out):
    import meanshift_fast as msf

    data = datasets()
    X3, h3 = data["blobs3d"]
    X2, h2 = data["blobs2d_big"]
    out["estimate_bandwidth/blobs3d"] = digest(msf.estimate_bandwidth(X3))
    out["estimate_bandwidth/q0.1/blobs2d_big"] = digest(
        msf.estimate_bandwidth(X2, quantile=0.1, n_samples=3000)
    )
    out["get_bin_seeds/blobs2d_big"] = digest(msf.get_bin_seeds(X2, h2, min_bin_freq=3))
    out["select_bandwidth/blobs3d"] = digest(msf.select_bandwidth(X3))
    sweep = msf.bandwidth_sweep(X2, n_bandwidths=8, return_labels=True)
    values = [sweep.bandwidths, sweep.n_clusters]
    for i in range(len(sweep.bandwidths)):
        values += [sweep.centers[i], sweep.sizes[i], sweep.labels[i]]
    out["bandwidth_sweep/blobs2d_big"] = digest(*values)
    seeds = X3[::50]
    res = msf.shift_seeds(X3, seeds, bandwidth=h3, kernel="gaussian")
    out["shift_seeds/gaussian/blobs3d"] = digest(*res)
    centers, labels = msf.mean_shift(X3, bandwidth=h3)
    out["mean_shift/blobs3d"] = digest(centers, labels)


def run_dask(out):
    try:
        import dask
        import dask.array as da
    except ImportError:
        out["dask"] = "skipped (dask not installed)"
        return
    from meanshift_fast.dask import MeanShift

    data = datasets()
    X3, h3 = data["blobs3d"]
    X2, h2 = data["blobs2d_big"]
    with dask.config.set(scheduler="synchronous"):
        runs = {
            "dask/flat/blobs3d": (MeanShift(bandwidth=h3), X3),
            "dask/gaussian/blobs3d": (MeanShift(bandwidth=h3, kernel="gaussian"), X3),
            "dask/epanechnikov/blobs3d": (
                MeanShift(bandwidth=h3, kernel="epanechnikov"),
                X3,
            ),
            "dask/flat/bins/blobs2d_big": (
                MeanShift(bandwidth=h2, bin_seeding=True),
                X2,
            ),
            "dask/float32/blobs3d": (MeanShift(bandwidth=h3), X3.astype(np.float32)),
            "dask/estimated/blobs3d": (MeanShift(), X3),
        }
        for case, (est, X) in runs.items():
            est.fit(da.from_array(X, chunks=len(X) // 3 + 1))
            labels = np.asarray(est.labels_)
            out[case] = digest(est.cluster_centers_, labels, est.n_iter_)


def run_images(out):
    from meanshift_fast import image

    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:48, 0:64]
    rgb = np.stack([(xx * 4) % 256, (yy * 5) % 256, ((xx + yy) * 3) % 256], axis=-1)
    rgb = np.clip(rgb + rng.normal(scale=12, size=rgb.shape), 0, 255).astype(np.uint8)
    grey = rgb[..., 0].astype(np.float32)
    volume = rng.uniform(0, 1, size=(6, 10, 12))
    for kernel in ("flat", "gaussian", "epanechnikov"):
        out[f"image/filter/{kernel}/rgb"] = digest(
            image.mean_shift_filter(rgb, 6, 6.5, kernel=kernel)
        )
    out["image/filter/raw/grey32"] = digest(image.mean_shift_filter(grey, 4, 20))
    out["image/filter/lab/rgb"] = digest(
        image.mean_shift_filter(rgb, 5, 7, color_space="lab")
    )
    out["image/filter/volume"] = digest(image.mean_shift_filter(volume, 2, 0.2))
    seg = image.segment(rgb, 6, 6.5, min_region=20)
    out["image/segment/rgb"] = digest(
        seg.labels, seg.n_regions, seg.modes, seg.filtered
    )
    out["image/pyr/rgb"] = digest(
        image.pyr_mean_shift_filtering(rgb, 8, 16, max_level=1)
    )


def table():
    out = {}
    run_estimators(out)
    run_functions(out)
    run_dask(out)
    run_images(out)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", metavar="FILE", help="write the table to FILE")
    parser.add_argument(
        "--check", metavar="FILE", help="compare with the table in FILE"
    )
    args = parser.parse_args(argv)
    out = table()
    text = "".join(f"{case} {h}\n" for case, h in out.items())
    if args.save:
        with open(args.save, "w") as f:
            f.write(text)
    if not args.check:
        sys.stdout.write(text)
        return 0
    with open(args.check) as f:
        want = dict(line.rsplit(" ", 1) for line in f.read().splitlines() if line)
    changed = [c for c in sorted(set(want) | set(out)) if want.get(c) != out.get(c)]
    for c in changed:
        print(f"CHANGED {c}: {want.get(c)} -> {out.get(c)}")
    print(f"{len(out) - len(changed)} of {len(out)} cases unchanged")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
