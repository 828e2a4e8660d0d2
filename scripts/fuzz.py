"""Fuzz meanshift_fast against a brute-force numpy reference.

Hypothesis draws small data sets (n <= 40, d <= 4: integer and dyadic grids
with duplicates, or Gaussian floats, float64 or float32) and random
parameters (kernel, bandwidth or None, explicit seeds, bin seeding,
min_bin_freq, cluster_all, max_iter, sample weights), fits
``meanshift_fast.MeanShift`` and the reference in tests/reference.py, and
compares:

- flat kernel on exact-arithmetic data (grids, dyadic weights): centres,
  labels, n_iter_, predict and the ConvergenceWarning count must be equal
  bit for bit (every sum is exact, so any correct implementation agrees);
- Gaussian and Epanechnikov kernels, or float data: the same, to a tolerance,
  whenever no decision of the reference (a stop test, a merge distance, an
  intensity order, a label) lies within rounding of its threshold;
- always: both raise ValueError or neither does; centres lie in the data's
  bounding box; labels lie in range.

Usage::

    python scripts/fuzz.py --seconds 60          # time-bounded, random
    python scripts/fuzz.py --seconds 20 --seed 1 # reproducible batches

Prints the number of executions; exits non-zero (after hypothesis prints
the shrunk falsifying example) on the first disagreement.  atheris is not
needed.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import reference as R  # noqa: E402

import meanshift_fast  # noqa: E402
from meanshift_fast import ConvergenceWarning, MeanShift  # noqa: E402

KERNELS = ("flat", "gaussian", "epanechnikov")
STATS = {"executions": 0, "exact": 0, "tolerant": 0, "invariants_only": 0, "errors": 0}


@st.composite
def problems(draw):
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["int", "dyadic", "float"]))
    pool_size = draw(st.integers(1, n))
    if kind == "float":
        pool = draw(
            st.lists(
                st.lists(
                    st.floats(-4, 4, allow_nan=False, width=32), min_size=d, max_size=d
                ),
                min_size=pool_size,
                max_size=pool_size,
            )
        )
        pool = np.array(pool, dtype=np.float64)
    else:
        lo = draw(st.integers(-6, 0))
        hi = draw(st.integers(0, 6))
        pool = draw(
            st.lists(
                st.lists(st.integers(lo, hi), min_size=d, max_size=d),
                min_size=pool_size,
                max_size=pool_size,
            )
        )
        pool = np.array(pool, dtype=np.float64)
        if kind == "dyadic":
            pool = pool / draw(st.sampled_from([2.0, 4.0, 8.0]))
    rows = draw(st.lists(st.integers(0, pool_size - 1), min_size=n, max_size=n))
    X = pool[rows]
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = np.ascontiguousarray(X, dtype=dtype)

    kernel = draw(st.sampled_from(KERNELS))
    bandwidth = draw(
        st.one_of(
            st.none(),
            st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0]),
            st.floats(0.05, 6.0),
        )
    )
    seeds = None
    if draw(st.booleans()) and draw(st.booleans()):
        m = draw(st.integers(1, 8))
        seeds = np.array(
            draw(
                st.lists(
                    st.lists(st.integers(-10, 10), min_size=d, max_size=d),
                    min_size=m,
                    max_size=m,
                )
            ),
            dtype=np.float64,
        ) / draw(st.sampled_from([1.0, 2.0]))
    weights = None
    if draw(st.booleans()):
        weights = np.array(
            draw(
                st.lists(
                    st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]), min_size=n, max_size=n
                )
            )
        )
        if not (weights > 0).any():
            weights[draw(st.integers(0, n - 1))] = 1.0
    params = {
        "bandwidth": bandwidth,
        "seeds": seeds,
        "bin_seeding": draw(st.booleans()),
        "min_bin_freq": draw(st.integers(1, 3)),
        "cluster_all": draw(st.booleans()),
        "max_iter": draw(st.sampled_from([0, 1, 2, 5, 300])),
        "kernel": kernel,
    }
    if kernel == "gaussian":
        params["gaussian_tol"] = draw(st.sampled_from([0.0, 1e-8]))
    return X, weights, params, kind


def fit_both(X, weights, params):
    """(model or exception, reference dict or exception, capped warnings)."""
    ref_params = {k: v for k, v in params.items() if k != "gaussian_tol"}
    h = params["bandwidth"]
    if h is None:
        h = meanshift_fast.estimate_bandwidth(X)
        brute = R.estimate_bandwidth(X)
        assert np.isclose(h, brute, rtol=1e-12, atol=0), (h, brute)
    ref_params["bandwidth"] = h
    model_err = ref_err = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = MeanShift(**params).fit(X, sample_weight=weights)
        except ValueError as exc:
            model, model_err = None, exc
    capped = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    try:
        if params["kernel"] != "flat" and not h > 0:
            raise ValueError("estimated bandwidth 0")
        ref = R.mean_shift(X, sample_weight=weights, **ref_params)
    except ValueError as exc:
        ref, ref_err = None, exc
    return model, model_err, ref, ref_err, capped, h


def check_invariants(model, X):
    c = model.cluster_centers_
    assert c.ndim == 2 and c.shape[1] == X.shape[1] and len(c) >= 1
    assert c.dtype == X.dtype
    lo, hi = X.min(axis=0), X.max(axis=0)
    slack = 1e-9 * (1 + np.abs(X).max())
    assert np.all(c >= lo - slack) and np.all(c <= hi + slack), (
        "centre outside the data"
    )
    lab = model.labels_
    assert lab.shape == (len(X),)
    assert lab.min() >= (-1 if not model.cluster_all else 0) and lab.max() < len(c)


def compare(X, weights, params, kind):
    model, model_err, ref, ref_err, capped, h = fit_both(X, weights, params)
    assert (model_err is None) == (ref_err is None), (model_err, ref_err)
    STATS["executions"] += 1
    if model_err is not None:
        STATS["errors"] += 1
        return
    check_invariants(model, X)
    if params["bandwidth"] is None:
        assert model.bandwidth_ == h
    exact = params["kernel"] == "flat" and kind != "float"
    if exact:
        tol = 0.0
    else:
        gtol = (
            params.get("gaussian_tol", 0.0) if params["kernel"] == "gaussian" else 0.0
        )
        eps = (1e-4 if gtol else 1e-6) * max(h, 1e-300)
        if X.dtype == np.float32:
            eps = max(eps, 1e-4 * max(h, 1e-300))
        # Sums taken in another order differ by rounding, which scales with
        # the coordinates, not the bandwidth: where the bandwidth is far
        # below them (points that nearly coincide), rounding is the larger.
        scale = float(np.max(np.abs(X), initial=0.0))
        eps = max(eps, 64 * float(np.finfo(X.dtype).eps) * scale)
        stable = (
            ref["stop_margin"] > eps
            and ref["merge_margin"] > eps
            and ref["rank_gap"] > 1e-6
            and ref["label_margin"] > eps
            and ref["merge_stable"]
        )
        if not stable:
            STATS["invariants_only"] += 1
            return
        tol = eps * 1e-1
    STATS["exact" if exact else "tolerant"] += 1
    c_ref = ref["centers"]
    assert model.cluster_centers_.shape == c_ref.shape, (model.cluster_centers_, c_ref)
    if exact:
        np.testing.assert_array_equal(model.cluster_centers_, c_ref)
    else:
        np.testing.assert_allclose(model.cluster_centers_, c_ref, rtol=0, atol=tol)
    np.testing.assert_array_equal(model.labels_, ref["labels"])
    assert model.n_iter_ == ref["n_iter"], (model.n_iter_, ref["n_iter"])
    if exact:
        np.testing.assert_array_equal(
            model.predict(X), R.nearest_labels(X, ref["centers64"])
        )
        n_capped = int(np.count_nonzero(~ref["converged"] & (ref["intensity"] > 0)))
        if params["max_iter"] > 0 and n_capped:
            assert len(capped) == 1 and str(capped[0].message).startswith(
                f"{n_capped} of {len(ref['seeds'])} seeds"
            ), [str(w.message) for w in capped]
        else:
            assert not capped, [str(w.message) for w in capped]


def run(seconds, base_seed, batch):
    deadline = time.monotonic() + seconds

    @settings(
        max_examples=batch,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(problems())
    def one(problem):
        X, weights, params, kind = problem
        compare(X, weights, params, kind)

    i = 0
    while time.monotonic() < deadline:
        test = one if base_seed is None else seed(base_seed + i)(one)
        test()
        i += 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="time budget")
    parser.add_argument(
        "--seed", type=int, default=None, help="base seed (reproducible)"
    )
    parser.add_argument(
        "--batch", type=int, default=25, help="examples per hypothesis run"
    )
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        run(args.seconds, args.seed, args.batch)
    finally:
        elapsed = time.monotonic() - start
        print(
            f"fuzz: {STATS['executions']} executions in {elapsed:.1f} s "
            f"({STATS['exact']} exact, {STATS['tolerant']} within tolerance, "
            f"{STATS['invariants_only']} invariants only, {STATS['errors']} "
            "raised ValueError in both)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
