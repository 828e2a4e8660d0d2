"""Bad and edge inputs: the exact error in scikit-learn's wording, or the right
result, and never a change to the caller's arrays.

Every case builds fresh inputs, takes a deep snapshot of every array it hands
over (values, dtype, shape, strides, writeable flag, contiguity), runs, and
checks the snapshot still holds.  Error cases assert the exact exception
class and a message regex; result cases compare with
``sklearn.cluster.MeanShift`` on the same data (for inputs scikit-learn
accepts) or with the brute-force reference in tests/reference.py.
"""

import copy
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import reference as R
import scipy.sparse
from sklearn.cluster import MeanShift as SkMeanShift

from meanshift_fast import MeanShift, estimate_bandwidth
from meanshift_fast._units import BinRangeError
from meanshift_fast._validation import InvalidParameterError, NotFittedError

# ---------------------------------------------------------------------------
# data


def small():
    """Two obvious groups (scikit-learn's doctest data)."""
    return np.array([[1.0, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])


def blobs(n=90, d=2, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [0.0, 5.0, 3.0]])[:, :d]
    X = centres[rng.integers(0, 3, n)] + rng.normal(scale=0.5, size=(n, d))
    return X


def readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------------------
# snapshots of the caller's inputs


def _snap(obj):
    if isinstance(obj, np.ndarray):
        return (
            "nd",
            obj.copy(order="K"),
            obj.dtype,
            obj.shape,
            obj.strides,
            obj.flags.writeable,
            obj.flags.c_contiguous,
            obj.flags.f_contiguous,
        )
    if scipy.sparse.issparse(obj):
        return ("sp", obj.copy(), obj.format)
    if isinstance(obj, dict):
        return ("dict", {k: _snap(v) for k, v in obj.items()})
    return ("obj", copy.deepcopy(obj))


def _same(a, b):
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        return a == b or (a != a and b != b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _check_snap(snap, obj, where):
    kind = snap[0]
    if kind == "nd":
        _, values, dtype, shape, strides, writeable, c, f = snap
        assert isinstance(obj, np.ndarray), where
        assert obj.dtype == dtype and obj.shape == shape and obj.strides == strides, (
            where
        )
        assert obj.flags.writeable == writeable, f"{where}: writeable flag changed"
        assert obj.flags.c_contiguous == c and obj.flags.f_contiguous == f, where
        if values.dtype.kind == "O":
            assert all(
                _same(a, b) for a, b in zip(values.ravel(), obj.ravel(), strict=True)
            ), where
        else:
            np.testing.assert_array_equal(obj, values, err_msg=f"{where} was modified")
    elif kind == "sp":
        assert obj.format == snap[2]
        assert (obj != snap[1]).nnz == 0, f"{where} was modified"
    elif kind == "dict":
        assert set(obj) == set(snap[1]), where
        for k, s in snap[1].items():
            _check_snap(s, obj[k], f"{where}[{k!r}]")
    else:
        assert _same(obj, snap[1]), f"{where} was modified"


# ---------------------------------------------------------------------------
# the table


@dataclass
class Case:
    """One input case.

    make() returns a dict with "X", "params", and optionally
    "sample_weight" and "predict" (the input to predict after fit).
    stage: "fit", "predict" (fit then predict), "unfitted" (predict on a new
    estimator) or "estimate" (estimate_bandwidth(X, **params)).
    error/match: the exact exception class and a regex on its message, or
    check(inputs, model, prediction) for cases that must succeed.
    """

    make: Any
    stage: str = "fit"
    error: type | None = None
    match: str | None = None
    check: Any = None
    marks: list = field(default_factory=list)


def fit_error(make_X, match, error=ValueError, **params):
    return Case(lambda: {"X": make_X(), "params": params}, error=error, match=match)


def param_error(name, value, expected_re, X=small):
    got = re.escape(repr(value))
    return Case(
        lambda: {"X": X(), "params": {name: value}},
        error=InvalidParameterError,
        match=(
            rf"^The '{name}' parameter of MeanShift must be {expected_re}\. "
            rf"Got {got} instead\.$"
        ),
    )


def weight_error(make_w, match, error=ValueError):
    return Case(
        lambda: {"X": small(), "params": {"bandwidth": 2.0}, "sample_weight": make_w()},
        error=error,
        match=match,
    )


def predict_error(make_P, match, error=ValueError):
    return Case(
        lambda: {"X": small(), "params": {"bandwidth": 2.0}, "predict": make_P()},
        stage="predict",
        error=error,
        match=match,
    )


BW_RANGE = r"a float in the range \(0(\.0)?, inf\).*"
NAN_X = (
    r"^Input X contains NaN\.\nMeanShift does not accept missing values encoded as NaN"
)
INF_X = r"^Input X contains infinity or a value too large for dtype\('float(64|32)'\)\."
TWO_D = r"^Expected 2D array, got 1D array instead:\narray=.*\.\nReshape your data"
SCALAR = r"^Expected 2D array, got scalar array instead:\narray=.*\.\nReshape your data"
NO_SAMPLES = (
    r"^Found array with 0 sample\(s\) \(shape=\(0, 2\)\) while a minimum of 1 "
    r"is required by MeanShift\.$"
)


def _nan_at(X, i, j, v):
    X = np.array(X)
    X[i, j] = v
    return X


ERROR_CASES = {
    # -- X: shape
    "X-empty-2d": fit_error(lambda: np.empty((0, 2)), NO_SAMPLES),
    "X-empty-list": fit_error(lambda: [], TWO_D),
    "X-1d": fit_error(lambda: np.arange(5.0), TWO_D),
    "X-scalar": fit_error(lambda: 3.0, SCALAR),
    "X-None": fit_error(lambda: None, SCALAR),
    # scikit-learn 1.9's wording; the package words this one differently.
    "X-3d": fit_error(
        lambda: np.zeros((3, 2, 2)),
        r"^Found array with dim 3, while dim <= 2 is required by MeanShift\.$",
    ),
    "X-zero-features": fit_error(
        lambda: np.empty((5, 0)),
        r"^Found array with 0 feature\(s\) \(shape=\(5, 0\)\) while a minimum of 1 "
        r"is required by MeanShift\.$",
    ),
    "X-list-of-empty-rows": fit_error(
        lambda: [[], []], r"^Found array with 0 feature\(s\) \(shape=\(2, 0\)\)"
    ),
    # -- X: values and types
    "X-nan": fit_error(lambda: _nan_at(small(), 2, 1, np.nan), NAN_X),
    "X-nan-float32": fit_error(
        lambda: _nan_at(small(), 0, 0, np.nan).astype(np.float32), NAN_X
    ),
    "X-inf": fit_error(lambda: _nan_at(small(), 4, 0, np.inf), INF_X),
    "X-minus-inf": fit_error(lambda: _nan_at(small(), 1, 1, -np.inf), INF_X),
    "X-inf-float32": fit_error(
        lambda: _nan_at(small(), 1, 1, np.inf).astype(np.float32),
        r"^Input X contains infinity or a value too large for dtype\('float32'\)\.",
    ),
    "X-object-None": fit_error(
        lambda: np.array([[1.0, None], [2, 3]], dtype=object), NAN_X
    ),
    "X-object-strings": fit_error(
        lambda: np.array([["a", "b"], ["c", "d"]], dtype=object),
        r"could not convert string to float: 'a'",
    ),
    "X-str-dtype": fit_error(
        lambda: np.array([["1", "2"], ["3", "4"]]),
        r"^dtype='numeric' is not compatible with arrays of bytes/strings\.",
    ),
    "X-complex": fit_error(lambda: small() + 1j, r"^Complex data not supported\n"),
    "X-complex-object": fit_error(
        lambda: np.array([[1 + 1j, 2.0]], dtype=object),
        r"float\(\) argument must be a string or a real number, not 'complex'",
        error=TypeError,
    ),
    "X-ragged": fit_error(
        lambda: [[1.0, 2.0], [3.0]], r"setting an array element with a sequence"
    ),
    "X-sparse": fit_error(
        lambda: scipy.sparse.csr_matrix(small()),
        r"^Sparse data was passed for X, but dense data is required\. "
        r"Use '\.toarray\(\)' to convert to a dense numpy array\.$",
        error=TypeError,
    ),
    # -- bandwidth
    "bandwidth-0": param_error("bandwidth", 0, BW_RANGE),
    "bandwidth-0.0": param_error("bandwidth", 0.0, BW_RANGE),
    "bandwidth-negative": param_error("bandwidth", -1.5, BW_RANGE),
    "bandwidth-nan": param_error("bandwidth", float("nan"), BW_RANGE),
    "bandwidth-inf": param_error("bandwidth", float("inf"), BW_RANGE),
    "bandwidth-minus-inf": param_error("bandwidth", -float("inf"), BW_RANGE),
    "bandwidth-np.float32-inf": param_error("bandwidth", np.float32(np.inf), BW_RANGE),
    "bandwidth-np.float32-nan": param_error("bandwidth", np.float32(np.nan), BW_RANGE),
    "bandwidth-string": param_error("bandwidth", "wide", r".*"),
    "bandwidth-dict": param_error("bandwidth", {}, BW_RANGE),
    # No scaling keeps both the radius's square and sums of the data finite.
    "bandwidth-too-small-for-the-data": fit_error(
        lambda: np.array([[0.0], [1e308], [5.0]]),
        r"^bandwidth=1e-300 is too small for values as large as 1e\+308: ",
        bandwidth=1e-300,
    ),
    "bandwidth-per-feature-too-small-for-the-data": fit_error(
        lambda: np.array([[0.0, 0.0], [1e300, 0.0], [5.0, 0.0]]),
        r"^bandwidth\[0\]=1e-300 is too small for values as large as 1e\+300",
        bandwidth=[1e-300, 1.0],
    ),
    "bin-seeding-bins-beyond-float32": fit_error(
        lambda: np.array([[0.0], [0.5], [5.0], [1e39]]),
        r"^bandwidth=1\.0 is too small for values this large: bin seeding numbers "
        r"its bins in float32",
        error=BinRangeError,  # a ValueError, which select_bandwidth tells apart
        bandwidth=1.0,
        bin_seeding=True,
    ),
    "bin-seeding-ratio-beyond-float32": fit_error(
        lambda: np.array([[1e-9], [1.2e-9], [5e-9], [5.1e-9], [1e308]]),
        r"^bandwidth=1e-09 is too small for values as large as 1e\+308: bin seeding",
        error=BinRangeError,
        bandwidth=1e-9,
        bin_seeding=True,
    ),
    "bandwidth-too-large-for-the-data": fit_error(
        lambda: np.array([[1.0], [2.0]]) * 1e-300,
        r"^bandwidth=1e\+200 is too large for values as small as 2e-300: ",
        bandwidth=1e200,
    ),
    "bandwidth-list-too-long": fit_error(
        small,
        r"^bandwidth has 3 values, but MeanShift is expecting 2 \(one per feature\)\.$",
        bandwidth=[1.0, 2.0, 3.0],
    ),
    "bandwidth-list-empty": fit_error(
        small, r"^bandwidth has 0 values, but MeanShift is expecting 2", bandwidth=[]
    ),
    "bandwidth-list-with-zero": param_error("bandwidth", [1.0, 0.0], r".*"),
    "bandwidth-list-with-nan": param_error("bandwidth", [1.0, float("nan")], r".*"),
    "bandwidth-list-2d": param_error("bandwidth", [[1.0, 1.0]], r".*"),
    # -- other parameters
    "max_iter-negative": param_error("max_iter", -1, r"an int in the range \[0, inf\)"),
    "max_iter-float": param_error("max_iter", 1.5, r"an int in the range \[0, inf\)"),
    "max_iter-str": param_error("max_iter", "10", r"an int in the range \[0, inf\)"),
    "min_bin_freq-0": param_error("min_bin_freq", 0, r"an int in the range \[1, inf\)"),
    "min_bin_freq-float": param_error(
        "min_bin_freq", 1.0, r"an int in the range \[1, inf\)"
    ),
    "n_jobs-0": param_error("n_jobs", 0, r".*"),
    "n_jobs-float": param_error("n_jobs", 1.5, r".*"),
    "bin_seeding-int": param_error("bin_seeding", 1, r"an instance of 'bool'.*"),
    "cluster_all-str": param_error("cluster_all", "yes", r"an instance of 'bool'.*"),
    "kernel-unknown": param_error(
        "kernel", "triangular", r"a str among \{'epanechnikov', 'flat', 'gaussian'\}"
    ),
    "kernel-None": param_error(
        "kernel", None, r"a str among \{'epanechnikov', 'flat', 'gaussian'\}"
    ),
    "algorithm-unknown": param_error(
        "algorithm", "ball_tree", r"a str among \{'auto', 'brute', 'kd_tree'\}"
    ),
    "gaussian_tol-negative": param_error("gaussian_tol", -1.0, r".*"),
    # -- seeds
    "seeds-orphaned": fit_error(
        small,
        r"^No point was within bandwidth=0\.100000 of any seed\. Try a different "
        r"seeding strategy\s+or increase the bandwidth\.$",
        bandwidth=0.1,
        seeds=[[100.0, 100.0], [-50.0, 3.0]],
    ),
    "seeds-nan": fit_error(
        small, r"^Input seeds contains NaN", bandwidth=2.0, seeds=[[np.nan, 1.0]]
    ),
    "seeds-inf": fit_error(
        small,
        r"^Input seeds contains infinity",
        bandwidth=2.0,
        seeds=np.array([[1.0, np.inf]]),
    ),
    "seeds-3-features": fit_error(
        small,
        r"^seeds has 3 features, but MeanShift is expecting 2 features as input\.$",
        bandwidth=2.0,
        seeds=[[1.0, 2.0, 3.0]],
    ),
    "seeds-1d": fit_error(small, TWO_D, bandwidth=2.0, seeds=np.array([1.0, 2.0])),
    "seeds-empty": fit_error(small, NO_SAMPLES, bandwidth=2.0, seeds=np.empty((0, 2))),
    "bin_seeding-no-bin-full-enough": fit_error(
        small,
        r"^No bin of size 2\.000000 holds min_bin_freq=100 samples",
        bandwidth=2.0,
        bin_seeding=True,
        min_bin_freq=100,
    ),
    "identical-points-gaussian-estimated-0": fit_error(
        lambda: np.ones((5, 2)), r"estimated bandwidth is 0", kernel="gaussian"
    ),
    # -- sample_weight
    "weight-negative": weight_error(
        lambda: np.array([1.0, 1, -1, 1, 1, 1]),
        r"^Negative values in data passed to `sample_weight`",
    ),
    "weight-nan": weight_error(
        lambda: np.array([1.0, np.nan, 1, 1, 1, 1]), r"sample_weight contains NaN"
    ),
    "weight-inf": weight_error(
        lambda: np.array([1.0, np.inf, 1, 1, 1, 1]),
        r"sample_weight contains NaN or inf",
    ),
    "weight-too-short": weight_error(
        lambda: np.ones(5), r"^sample_weight\.shape == \(5,\), expected \(6,\)!$"
    ),
    "weight-2d": weight_error(
        lambda: np.ones((6, 1)), r"^Sample weights must be 1D array or scalar$"
    ),
    "weight-all-zero": weight_error(
        lambda: np.zeros(6),
        r"^Sample weights must contain at least one non-zero number\.$",
    ),
    "weight-object-None": weight_error(
        lambda: np.array([1.0, None, 1, 1, 1, 1], dtype=object),
        r"^Input sample_weight contains NaN",
    ),
    "weight-strings": weight_error(
        lambda: np.array(["a"] * 6), r"dtype", error=TypeError
    ),
    # -- predict
    "predict-before-fit": Case(
        lambda: {"X": small(), "params": {}, "predict": small()},
        stage="unfitted",
        error=NotFittedError,
        match=r"^This MeanShift instance is not fitted yet\. Call 'fit' with "
        r"appropriate arguments before using this estimator\.$",
    ),
    "predict-nan": predict_error(lambda: np.array([[np.nan, 1.0]]), NAN_X),
    "predict-inf": predict_error(lambda: np.array([[np.inf, 1.0]]), INF_X),
    "predict-3-features": predict_error(
        lambda: np.ones((2, 3)),
        r"^X has 3 features, but MeanShift is expecting 2 features as input\.$",
    ),
    "predict-1-feature": predict_error(
        lambda: np.ones((4, 1)),
        r"^X has 1 features, but MeanShift is expecting 2 features as input\.$",
    ),
    "predict-1d": predict_error(lambda: np.ones(2), TWO_D),
    "predict-empty": predict_error(lambda: np.empty((0, 2)), NO_SAMPLES),
    "predict-complex": predict_error(
        lambda: small() * 1j, r"^Complex data not supported"
    ),
    "predict-sparse": predict_error(
        lambda: scipy.sparse.csr_matrix(small()),
        r"^Sparse data was passed for X, but dense data is required",
        error=TypeError,
    ),
    # -- estimate_bandwidth
    "estimate-quantile-above-1": Case(
        lambda: {"X": small(), "params": {"quantile": 1.5}},
        stage="estimate",
        error=InvalidParameterError,
        match=r"^The 'quantile' parameter of estimate_bandwidth must be a float in "
        r"the range \[0(\.0)?, 1(\.0)?\]\. Got 1\.5 instead\.$",
    ),
    "estimate-n_samples-0": Case(
        lambda: {"X": small(), "params": {"n_samples": 0}},
        stage="estimate",
        error=InvalidParameterError,
        match=r"^The 'n_samples' parameter of estimate_bandwidth must be an int in "
        r"the range \[1, inf\) or None\. Got 0 instead\.$",
    ),
    "estimate-X-nan": Case(
        lambda: {"X": _nan_at(small(), 0, 0, np.nan), "params": {}},
        stage="estimate",
        error=ValueError,
        match=r"^Input X contains NaN",
    ),
}


def _run(case):
    inputs = case.make()
    snap = _snap(inputs)
    model = None if case.stage == "estimate" else MeanShift(**inputs["params"])
    prediction = None
    try:
        if case.stage == "estimate":
            prediction = estimate_bandwidth(inputs["X"], **inputs["params"])
        elif case.stage == "unfitted":
            model.predict(inputs["predict"])
        else:
            kw = {}
            if "sample_weight" in inputs:
                kw["sample_weight"] = inputs["sample_weight"]
            model.fit(inputs["X"], **kw)
            if "predict" in inputs:
                prediction = model.predict(inputs["predict"])
    finally:
        _check_snap(snap, inputs, "input")
    return inputs, model, prediction


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_bad_input_raises(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(BaseException) as excinfo:
            _run(case)
    exc = excinfo.value
    # The exact class, by qualified name (a test elsewhere may re-import the
    # package, making a second class object of the same name).
    got, want = type(exc), case.error
    assert (got.__module__, got.__qualname__) == (want.__module__, want.__qualname__), (
        f"{got.__name__}: {exc}"
    )
    assert re.search(case.match, str(exc)), str(exc)
    if case.error is InvalidParameterError:
        assert isinstance(exc, ValueError) and isinstance(exc, TypeError)
    if case.error is NotFittedError:
        assert isinstance(exc, ValueError) and isinstance(exc, AttributeError)


# ---------------------------------------------------------------------------
# cases that must succeed


def sk_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SkMeanShift(**params).fit(X)


def assert_like(
    model, ref_centers, ref_labels, ref_n_iter=None, dtype=None, rtol=1e-12
):
    c = model.cluster_centers_
    assert c.shape == np.shape(ref_centers), (c, ref_centers)
    np.testing.assert_allclose(c, ref_centers, rtol=rtol, atol=0)
    np.testing.assert_array_equal(model.labels_, ref_labels)
    if ref_n_iter is not None:
        assert model.n_iter_ == ref_n_iter
    if dtype is not None:
        assert c.dtype == dtype


def like_sklearn(ref_X=None, dtype=None, rtol=1e-12, predict=False, **sk_params):
    """Check the fit against scikit-learn on ref_X(inputs) (default: X)."""

    def check(inputs, model, prediction):
        X = inputs["X"] if ref_X is None else ref_X(inputs)
        params = dict(inputs["params"])
        params.update(sk_params)
        sk = sk_fit(X, **params)
        want = sk.cluster_centers_.dtype if dtype is None else dtype
        assert_like(model, sk.cluster_centers_, sk.labels_, sk.n_iter_, want, rtol)
        if predict:
            P = inputs["predict"]
            np.testing.assert_array_equal(prediction, sk.predict(P))

    return check


def ok(make, check, stage="fit", **kw):
    return Case(make, stage=stage, check=check, **kw)


def fit_ok(make_X, check, **params):
    return ok(lambda: {"X": make_X(), "params": params}, check)


def one_center_at_mean(inputs, model, prediction):
    X = np.asarray(inputs["X"], dtype=np.float64)
    assert model.cluster_centers_.shape == (1, X.shape[1])
    np.testing.assert_allclose(model.cluster_centers_[0], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(model.labels_, 0)


def each_point_its_own_centre(inputs, model, prediction):
    """Tiny bandwidth: every distinct point is a mode, ordered like the flat
    kernel orders them (by multiplicity, then coordinates, descending)."""
    X = np.asarray(inputs["X"], dtype=np.float64)
    sk = sk_fit(X, bandwidth=inputs["params"]["bandwidth"])
    assert len(sk.cluster_centers_) == len(np.unique(X, axis=0))
    assert_like(model, sk.cluster_centers_, sk.labels_)


def brute(**overrides):
    def check(inputs, model, prediction):
        params = dict(inputs["params"])
        params.update(overrides)
        params.pop("gaussian_tol", None)
        ref = R.mean_shift(
            np.asarray(inputs["X"]), sample_weight=inputs.get("sample_weight"), **params
        )
        assert_like(model, ref["centers"], ref["labels"], ref["n_iter"])

    return check


def repeated_rows(inputs, model, prediction):
    """Integer weights: the result of repeating rows."""
    X, w = inputs["X"], inputs["sample_weight"]
    rep = np.repeat(X, w.astype(int), axis=0)
    sk = sk_fit(rep, **inputs["params"])
    np.testing.assert_array_equal(model.cluster_centers_, sk.cluster_centers_)
    first = np.cumsum(np.concatenate([[0], w.astype(int)]))[:-1]
    keep = w > 0
    np.testing.assert_array_equal(model.labels_[keep], sk.labels_[first[keep]])


def _scaled(s, dtype=np.float64):
    return lambda: np.ascontiguousarray(blobs(60, 2, seed=3) * s, dtype=dtype)


def scale_invariant(inputs, model, prediction):
    """Data at ~1e200 or ~1e-200: the result equals the result on the same
    data scaled by a power of two to ~1 (an exact scaling), centres scaled
    back; on the ~1 data the flat kernel also matches scikit-learn."""
    Y = inputs["X"]
    params = dict(inputs["params"])
    k = int(np.frexp(np.max(np.abs(Y)))[1])
    Z = np.ldexp(Y, -k)
    assert np.array_equal(np.ldexp(Z, k), Y)
    if params.get("bandwidth") is not None:
        params["bandwidth"] = float(np.ldexp(params["bandwidth"], -k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        at_one = MeanShift(**params).fit(Z)
    np.testing.assert_array_equal(
        model.cluster_centers_, np.ldexp(at_one.cluster_centers_, k)
    )
    np.testing.assert_array_equal(model.labels_, at_one.labels_)
    assert model.n_iter_ == at_one.n_iter_
    if params.get("kernel", "flat") == "flat":
        sk = sk_fit(Z, **params)
        assert_like(at_one, sk.cluster_centers_, sk.labels_, sk.n_iter_, rtol=1e-9)


def no_runtime_warning(check):
    """The check, and no numpy RuntimeWarning (overflow) escaped the fit."""

    def wrapped(inputs, model, prediction):
        X = inputs["X"]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            MeanShift(**inputs["params"]).fit(X)
        check(inputs, model, prediction)

    return wrapped


def _fortran(a):
    return np.asfortranarray(a)


def _noncontig():
    big = np.zeros((12, 5))
    big[::2, ::2] = small()[:, [0, 1, 0]]
    return big[::2, ::2][:, :2]


def _bigendian(dt):
    return lambda: small().astype(dt)


def unaligned(a):
    """A C-contiguous float64 copy of a whose data start one byte off an
    8-byte boundary (as np.frombuffer at an odd offset gives)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    raw = np.zeros(a.nbytes + 1, dtype=np.uint8)
    raw[1:] = a.view(np.uint8).ravel()
    out = np.frombuffer(raw.data, dtype=np.float64, count=a.size, offset=1).reshape(
        a.shape
    )
    assert not out.flags.aligned and out.flags.c_contiguous
    return out


def _subnormal():
    # Small integers times 2**-1040: exactly representable subnormals.
    return np.ldexp(small(), -1040)


def _far_point(far, scale=1.0):
    """small() times scale with one row moved out to far."""

    def make():
        X = small() * scale
        X[0] = far
        return X

    return make


def _identical():
    return np.full((7, 3), 2.5)


RESULT_CASES = {
    "one-sample": fit_ok(lambda: np.array([[1.0, 2.0]]), like_sklearn()),
    "one-sample-bandwidth": fit_ok(
        lambda: np.array([[1.0, 2.0]]), like_sklearn(), bandwidth=1.0
    ),
    "one-sample-one-feature": fit_ok(lambda: np.array([[3.0]]), like_sklearn()),
    "one-feature": fit_ok(lambda: blobs(40, 1), like_sklearn(), bandwidth=0.7),
    "identical-points-estimated-0": fit_ok(_identical, like_sklearn()),
    "identical-points-bin-seeding": fit_ok(
        _identical, like_sklearn(), bin_seeding=True
    ),
    "identical-points-gaussian": fit_ok(
        _identical, brute(), kernel="gaussian", bandwidth=1.0
    ),
    "identical-points-epanechnikov": fit_ok(
        _identical, brute(), kernel="epanechnikov", bandwidth=1.0
    ),
    "duplicates-and-tiny-bandwidth": fit_ok(
        lambda: np.array([[0.0, 0], [0, 0], [1, 1], [2, 2], [2, 2], [2, 2]]),
        like_sklearn(),
        bandwidth=1e-3,
    ),
    "huge-bandwidth-flat": fit_ok(small, like_sklearn(), bandwidth=1e300),
    "huge-bandwidth-gaussian": fit_ok(
        small, one_center_at_mean, bandwidth=1e300, kernel="gaussian"
    ),
    "huge-bandwidth-epanechnikov": fit_ok(
        small, one_center_at_mean, bandwidth=1e300, kernel="epanechnikov"
    ),
    "large-bandwidth-epanechnikov-1e160": fit_ok(
        small, one_center_at_mean, bandwidth=1e160, kernel="epanechnikov"
    ),
    "tiny-bandwidth-flat": fit_ok(small, like_sklearn(), bandwidth=1e-300),
    "tiny-bandwidth-gaussian": fit_ok(
        small, each_point_its_own_centre, bandwidth=1e-300, kernel="gaussian"
    ),
    "tiny-bandwidth-epanechnikov": fit_ok(
        small, each_point_its_own_centre, bandwidth=1e-300, kernel="epanechnikov"
    ),
    "small-bandwidth-gaussian-1e-160": fit_ok(
        small, each_point_its_own_centre, bandwidth=1e-160, kernel="gaussian"
    ),
    "coords-1e200-flat": fit_ok(_scaled(1e200), scale_invariant, bandwidth=1e200),
    "coords-1e200-gaussian": fit_ok(
        _scaled(1e200), scale_invariant, bandwidth=1e200, kernel="gaussian"
    ),
    "coords-1e200-epanechnikov": fit_ok(
        _scaled(1e200), scale_invariant, bandwidth=1e200, kernel="epanechnikov"
    ),
    "coords-1e200-bandwidth-estimated": fit_ok(_scaled(1e200), scale_invariant),
    "coords-1e200-bin-seeding": fit_ok(
        _scaled(1e200), scale_invariant, bandwidth=1e200, bin_seeding=True
    ),
    "coords-1e-200-flat": fit_ok(_scaled(1e-200), scale_invariant, bandwidth=1e-200),
    "coords-1e-200-gaussian": fit_ok(
        _scaled(1e-200), scale_invariant, bandwidth=1e-200, kernel="gaussian"
    ),
    "coords-1e-200-epanechnikov": fit_ok(
        _scaled(1e-200), scale_invariant, bandwidth=1e-200, kernel="epanechnikov"
    ),
    "coords-1e-200-bandwidth-estimated": fit_ok(_scaled(1e-200), scale_invariant),
    "coords-1e-200-bin-seeding": fit_ok(
        _scaled(1e-200), scale_invariant, bandwidth=1e-200, bin_seeding=True
    ),
    "coords-1e307-no-overflow-warning": fit_ok(
        _scaled(1e307), no_runtime_warning(scale_invariant), bandwidth=1e307
    ),
    "coords-1e307-bandwidth-estimated": fit_ok(_scaled(1e307), scale_invariant),
    # A point 2**930 bandwidths out: the rest keep exact squared distances.
    "far-point-1e280-flat": fit_ok(_far_point(1e280), like_sklearn(), bandwidth=1.0),
    "far-point-1e300-flat-small-bandwidth": fit_ok(
        _far_point(1e300, 2.0**-64), like_sklearn(), bandwidth=2.0**-64
    ),
    "far-point-1e280-gaussian": fit_ok(
        _far_point(1e280), brute(), bandwidth=1.0, kernel="gaussian"
    ),
    "far-point-1e280-per-feature-bandwidth": fit_ok(
        _far_point(1e280), like_sklearn(bandwidth=1.0), bandwidth=[1.0, 1.0]
    ),
    "tiny-data-huge-bandwidth": fit_ok(
        lambda: np.array([[1e-100], [2e-100], [3e-100]]),
        like_sklearn(),
        bandwidth=1e250,
    ),
    "tiny-data-bandwidth-2**1290-larger": fit_ok(
        lambda: np.array([[1.0, 2.0], [1.5, 2.5], [9.0, 2.0]]) * 1e-300,
        like_sklearn(),
        bandwidth=1e100,
    ),
    "tiny-data-huge-bandwidth-bin-seeding": fit_ok(
        lambda: np.array([[1.0, 2.0], [1.5, 2.5], [9.0, 2.0]]) * 1e-30,
        one_center_at_mean,
        bandwidth=1e300,
        bin_seeding=True,
    ),
    "float32-tiny-bandwidth": fit_ok(
        lambda: np.array([[0.0], [0.0], [1.0], [1.0], [1.5]], dtype=np.float32),
        like_sklearn(),
        bandwidth=1e-80,
    ),
    "float32-far-point-tiny-bandwidth": fit_ok(
        lambda: np.array([[0.0], [0.0], [1.0], [1.0], [3e38]], dtype=np.float32),
        like_sklearn(),
        bandwidth=1e-250,
    ),
    "coords-subnormal": fit_ok(
        _subnormal, scale_invariant, bandwidth=float(np.ldexp(2.0, -1040))
    ),
    "coords-subnormal-bandwidth-estimated": fit_ok(_subnormal, scale_invariant),
    "int64": fit_ok(lambda: small().astype(np.int64), like_sklearn(), bandwidth=2),
    "int8-negative": fit_ok(
        lambda: (-small()).astype(np.int8), like_sklearn(), bandwidth=2
    ),
    "uint8": fit_ok(lambda: small().astype(np.uint8), like_sklearn(), bandwidth=2),
    "bool": fit_ok(lambda: small() > 2, like_sklearn(), bandwidth=2),
    "list-of-ints": fit_ok(
        lambda: small().astype(int).tolist(), like_sklearn(), bandwidth=2
    ),
    "list-of-ints-estimated-bandwidth": fit_ok(
        lambda: blobs(30).round().astype(int).tolist(), like_sklearn()
    ),
    "tuple-of-tuples": fit_ok(
        lambda: tuple(map(tuple, small().tolist())), like_sklearn(), bandwidth=2.0
    ),
    "object-numeric": fit_ok(
        lambda: small().astype(object), like_sklearn(), bandwidth=2
    ),
    "read-only": fit_ok(lambda: readonly(blobs()), like_sklearn(), bandwidth=1.0),
    "read-only-bin-seeding": fit_ok(
        lambda: readonly(blobs()), like_sklearn(), bandwidth=1.0, bin_seeding=True
    ),
    "read-only-float32": fit_ok(
        lambda: readonly(blobs().astype(np.float32)),
        like_sklearn(rtol=1e-6),
        bandwidth=1.0,
    ),
    "non-contiguous": fit_ok(_noncontig, like_sklearn(), bandwidth=2.0),
    "negative-strides": fit_ok(lambda: blobs()[::-1], like_sklearn(), bandwidth=1.0),
    "fortran-ordered": fit_ok(lambda: _fortran(blobs()), like_sklearn(), bandwidth=1.0),
    "fortran-ordered-float32": fit_ok(
        lambda: _fortran(blobs().astype(np.float32)),
        like_sklearn(rtol=1e-6),
        bandwidth=1.0,
    ),
    "float32": fit_ok(
        lambda: blobs().astype(np.float32), like_sklearn(rtol=1e-6), bandwidth=1.0
    ),
    # float16 is computed as float32 (scikit-learn would compute in float16).
    "float16": fit_ok(
        lambda: blobs().astype(np.float16),
        like_sklearn(
            ref_X=lambda i: i["X"].astype(np.float32), dtype=np.float32, rtol=1e-6
        ),
        bandwidth=1.0,
    ),
    "big-endian-float64": fit_ok(_bigendian(">f8"), like_sklearn(), bandwidth=2.0),
    "unaligned-float64": fit_ok(
        lambda: unaligned(blobs()), like_sklearn(), bandwidth=1.0
    ),
    "unaligned-bin-seeding": fit_ok(
        lambda: unaligned(blobs()), like_sklearn(), bandwidth=1.0, bin_seeding=True
    ),
    "unaligned-estimated-bandwidth": fit_ok(lambda: unaligned(blobs()), like_sklearn()),
    "unaligned-seeds": fit_ok(
        blobs, like_sklearn(), bandwidth=1.0, seeds=unaligned(blobs()[:10])
    ),
    "unaligned-weights": ok(
        lambda: {
            "X": small(),
            "params": {"bandwidth": 2.0},
            "sample_weight": unaligned([1.0, 2, 0, 1, 3, 1]),
        },
        repeated_rows,
    ),
    "big-endian-float32": fit_ok(
        _bigendian(">f4"),
        like_sklearn(
            ref_X=lambda i: i["X"].astype(np.float32), dtype=np.float32, rtol=1e-6
        ),
        bandwidth=2.0,
    ),
    "seeds-list-of-ints": fit_ok(
        small, like_sklearn(), bandwidth=2.0, seeds=[[1, 1], [4, 7], [1, 1]]
    ),
    "seeds-read-only-fortran": fit_ok(
        small,
        like_sklearn(),
        bandwidth=2.0,
        seeds=readonly(np.asfortranarray(small()[:3])),
    ),
    "seeds-float32-for-float64-X": fit_ok(
        small,
        like_sklearn(),
        bandwidth=2.0,
        seeds=np.array([[1, 1], [3, 6]], np.float32),
    ),
    # Every plain Gaussian weight underflows there: the seed still moves, to
    # the weighted mean (the nearest sample, the others' weights being 0).
    "seeds-far-gaussian": fit_ok(
        small, brute(), bandwidth=0.1, kernel="gaussian", seeds=[[1000.0, 1000.0]]
    ),
    "seeds-some-orphaned": fit_ok(
        small, like_sklearn(), bandwidth=2.0, seeds=[[1.0, 1.0], [100.0, 100.0]]
    ),
    "cluster_all-false": fit_ok(
        lambda: np.vstack([small(), [[20.0, 20.0]]]),
        like_sklearn(),
        bandwidth=1.5,
        cluster_all=False,
    ),
    "max_iter-0": fit_ok(blobs, like_sklearn(), bandwidth=1.0, max_iter=0),
    "max_iter-numpy-int": fit_ok(
        blobs, like_sklearn(), bandwidth=1.0, max_iter=np.int64(3)
    ),
    "bandwidth-numpy-float32": fit_ok(
        blobs, like_sklearn(), bandwidth=np.float32(1.25)
    ),
    "bandwidth-int": fit_ok(small, like_sklearn(), bandwidth=2),
    "bandwidth-per-feature-read-only": fit_ok(
        small,
        brute(bandwidth=1.0),  # equal per-feature bandwidths: the same as 1.0
        bandwidth=readonly([1.0, 1.0]),
    ),
    "weights-read-only-integers": ok(
        lambda: {
            "X": small(),
            "params": {"bandwidth": 2.0},
            "sample_weight": readonly(np.array([1.0, 2, 0, 1, 3, 1])),
        },
        repeated_rows,
    ),
    # Numbers held as objects (a pandas object column): numbers, as in X.
    "weights-object-integers": ok(
        lambda: {
            "X": small(),
            "params": {"bandwidth": 2.0},
            "sample_weight": np.array([1, 2, 0, 1, 3, 1], dtype=object),
        },
        repeated_rows,
    ),
    "weights-scalar": ok(
        lambda: {"X": small(), "params": {"bandwidth": 2.0}, "sample_weight": 2.0},
        like_sklearn(),
    ),
    "predict-read-only-int": ok(
        lambda: {
            "X": small(),
            "params": {"bandwidth": 2.0},
            "predict": readonly(np.array([[0, 0], [5, 5], [3, 3]], dtype=np.int32)),
        },
        like_sklearn(predict=True),
        stage="predict",
    ),
    "predict-fortran-float32": ok(
        lambda: {
            "X": blobs(),
            "params": {"bandwidth": 1.0},
            "predict": np.asfortranarray(blobs(20, seed=5).astype(np.float32)),
        },
        like_sklearn(predict=True),
        stage="predict",
    ),
    "predict-unaligned": ok(
        lambda: {
            "X": blobs(),
            "params": {"bandwidth": 1.0},
            "predict": unaligned(blobs(20, seed=5)),
        },
        like_sklearn(predict=True),
        stage="predict",
    ),
    "predict-list": ok(
        lambda: {
            "X": small(),
            "params": {"bandwidth": 2.0},
            "predict": [[0, 0], [9, 9]],
        },
        like_sklearn(predict=True),
        stage="predict",
    ),
    "predict-huge-coords": ok(
        lambda: {
            "X": _scaled(1e200)(),
            "params": {"bandwidth": 1e200},
            "predict": blobs(15, seed=9) * 1e200,
        },
        lambda inputs, model, prediction: np.testing.assert_array_equal(
            prediction,
            R.nearest_labels(inputs["predict"] / 1e200, model.cluster_centers_ / 1e200),
        ),
        stage="predict",
    ),
    "estimate-list-of-ints": Case(
        lambda: {"X": blobs(25).round().astype(int).tolist(), "params": {}},
        stage="estimate",
        check=lambda inputs, model, est: np.testing.assert_allclose(
            est, R.estimate_bandwidth(np.array(inputs["X"], float)), rtol=1e-12
        ),
    ),
    "estimate-read-only-fortran": Case(
        lambda: {"X": readonly(_fortran(blobs())), "params": {"quantile": 0.5}},
        stage="estimate",
        check=lambda inputs, model, est: np.testing.assert_allclose(
            est, R.estimate_bandwidth(inputs["X"], 0.5), rtol=1e-12
        ),
    ),
    "estimate-coords-1e200": Case(
        lambda: {"X": _scaled(1e200)(), "params": {}},
        stage="estimate",
        check=lambda inputs, model, est: np.testing.assert_allclose(
            est / 1e200, R.estimate_bandwidth(inputs["X"] / 1e200), rtol=1e-12
        ),
    ),
}


@pytest.mark.parametrize("case", RESULT_CASES.values(), ids=RESULT_CASES.keys())
def test_edge_input_result(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs, model, prediction = _run(case)
    if case.stage != "estimate":
        assert np.all(np.isfinite(model.cluster_centers_))
    case.check(inputs, model, prediction)


def test_fit_does_not_keep_a_writable_alias_of_X():
    """Writing to the fitted attributes never reaches the caller's data."""
    X = blobs()
    before = X.copy()
    model = MeanShift(bandwidth=1.0).fit(X)
    model.cluster_centers_[...] = -1
    model.labels_[...] = -1
    np.testing.assert_array_equal(X, before)
    assert not np.shares_memory(model.cluster_centers_, X)


# ---------------------------------------------------------------------------
# the C boundary


class _CheckedCore:
    """Stands in for meanshift_fast._core: every ndarray handed to the C
    boundary must be aligned and C-contiguous (the C core reads it through
    typed pointers; a misaligned double pointer is undefined behaviour)."""

    def __init__(self, real, seen, tree_class=None):
        self._real = real
        self._seen = seen
        self._tree_class = tree_class or real.Tree

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        return self._wrap(attr, name) if callable(attr) else attr

    def _wrap(self, func, name):
        def checked(*args, **kwargs):
            for i, a in enumerate(list(args) + list(kwargs.values())):
                if isinstance(a, np.ndarray):
                    self._seen.append((name, i, a.flags.aligned, a.flags.c_contiguous))
            out = func(*args, **kwargs)
            if isinstance(out, self._tree_class):
                return _CheckedCore(out, self._seen, self._tree_class)
            return out

        return checked


@pytest.mark.parametrize(
    "params, use_weights",
    [
        ({"bandwidth": 1.0}, False),
        ({"bandwidth": 1.0, "bin_seeding": True}, False),
        ({}, False),
        ({"bandwidth": 1.0, "kernel": "epanechnikov"}, True),
        ({"bandwidth": 1.0, "cluster_assignment": "attractor"}, False),
        ({"bandwidth": 1.0, "seeds": "unaligned"}, False),
    ],
    ids=["flat", "bin-seeding", "estimated", "weights", "attractor", "seeds"],
)
def test_c_boundary_gets_aligned_arrays_from_unaligned_input(
    monkeypatch, params, use_weights
):
    import meanshift_fast._bandwidth as bandwidth_module
    import meanshift_fast._estimator as estimator_module
    from meanshift_fast import _core

    seen = []
    for module in (estimator_module, bandwidth_module):
        monkeypatch.setattr(module, "_core", _CheckedCore(_core, seen))
    X = unaligned(blobs())
    params = dict(params)
    if params.get("seeds") == "unaligned":
        params["seeds"] = unaligned(blobs()[:10])
    weights = unaligned(np.arange(len(X)) % 3 + 1.0) if use_weights else None
    model = MeanShift(**params).fit(X, sample_weight=weights)
    model.predict(unaligned(blobs(20, seed=5)))
    estimate_bandwidth(X)
    assert seen, "no call reached the C boundary"
    bad = [s for s in seen if not (s[2] and s[3])]
    assert not bad, f"(call, argument, aligned, C-contiguous): {bad}"


# ---------------------------------------------------------------------------
# get_bin_seeds: the bin size


@pytest.mark.parametrize(
    "bin_size",
    [
        -1.0,
        -1e-300,
        float("nan"),
        float("inf"),
        -np.inf,
        10**400,
        [0.5, -0.5],
        [0.5, 0.0],
        [0.5, np.nan],
        "0.5",
        None,
        True,
    ],
)
def test_get_bin_seeds_refuses_a_bad_bin_size(bin_size):
    from meanshift_fast import get_bin_seeds

    X = blobs()
    before = X.copy()
    with pytest.raises(
        InvalidParameterError,
        match=r"The 'bin_size' parameter of get_bin_seeds must be a float in the "
        r"range \[0, inf\)",
    ):
        get_bin_seeds(X, bin_size)
    assert np.array_equal(X, before)


def test_get_bin_seeds_zero_returns_the_data():
    """scikit-learn's documented behaviour: bin_size=0 means no binning."""
    from meanshift_fast import get_bin_seeds

    X = blobs()
    assert get_bin_seeds(X, 0) is X
    assert get_bin_seeds(X, 0.0) is X


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(1), "shape"),
        (np.ones(401), "shape"),
        (-np.ones(400), "Negative"),
        (np.full(400, np.nan), "NaN"),
        (np.zeros(400), "non-zero"),
    ],
)
def test_get_bin_seeds_checks_sample_weight(weights, message):
    # The core reads one weight per row: a short array must never reach it.
    from meanshift_fast import get_bin_seeds

    X = blobs(400)
    with pytest.raises(ValueError, match=message):
        get_bin_seeds(X, 0.5, sample_weight=weights)


def test_core_refuses_weights_of_another_length():
    from meanshift_fast import _core

    X = blobs(100)
    for call in (
        lambda: _core.bin_cells(X, np.ones(3), 0.5, 1.0),
        lambda: _core.distinct_rows(X, np.ones(3)),
        lambda: _core.Tree(X, weights=np.ones(3)),
        lambda: _core.Tree(X, weights=np.ones((100, 1))),
    ):
        with pytest.raises(ValueError, match="for 100 rows"):
            call()


def test_get_bin_seeds_per_feature_sizes_warn_where_every_point_is_a_seed():
    from meanshift_fast import get_bin_seeds

    X = blobs(100)
    with pytest.warns(UserWarning, match=r"bin_size=\[0.001 0.001\]"):
        assert get_bin_seeds(X, np.array([0.001, 0.001])) is X


def test_bin_seeding_warning_names_the_callers_bandwidth():
    # The fit bins in the core's units (scaled by a power of two, or per
    # feature); the warning must still name the bandwidth the caller gave.
    X = blobs(50)
    with pytest.warns(UserWarning, match=r"bin_size=0\.000000,"):
        MeanShift(bandwidth=1e-303, bin_seeding=True).fit(X * 1e-300)
    with pytest.warns(UserWarning, match=r"bin_size=\[0\.001 0\.002\],"):
        MeanShift(bandwidth=np.array([0.001, 0.002]), bin_seeding=True).fit(X)


def test_get_bin_seeds_per_feature_sizes_bin_each_axis():
    from meanshift_fast import get_bin_seeds

    X = blobs(200)
    sizes = np.array([0.5, 2.0])
    seeds = get_bin_seeds(X, sizes)
    cells = {tuple(c) for c in np.round(X / sizes)}
    assert {tuple(s) for s in np.round(seeds / sizes)} == cells


# ---------------------------------------------------------------------------
# containers scikit-learn refuses, refused alike


def _containers():
    import pandas as pd  # in the test extras: no skip

    X = blobs(20)
    nullable = pd.DataFrame(
        {
            "a": pd.array([1, 2, None, 4] * 5, dtype="Int64"),
            "b": pd.array(list(range(20)), dtype="Int64"),
        }
    )
    return {
        "matrix": np.asmatrix(X),
        "pandas NA": nullable,
        "generator": (x for x in range(3)),
        "dict": {"a": [1, 2]},
        "None": None,
        "mixed column names": pd.DataFrame(X, columns=["a", 1]),
        "object array with a str": np.array([[1, "a"], [2, 3]], dtype=object),
        "object array with None": np.array([[1.0, None], [2.0, 3.0]], dtype=object),
    }


@pytest.mark.parametrize(
    "name",
    [
        "matrix",
        "pandas NA",
        "generator",
        "dict",
        "None",
        "mixed column names",
        "object array with a str",
        "object array with None",
    ],
)
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.asmatrix
def test_containers_are_refused_as_scikit_learn_refuses_them(name):
    outcomes = []
    for cls in (SkMeanShift, MeanShift):
        X = _containers()[name]  # a fresh generator each time
        with pytest.raises((TypeError, ValueError)) as err:
            cls(bandwidth=1.0).fit(X)
        outcomes.append((err.type, str(err.value).split("\n")[0][:60]))
    assert outcomes[1] == outcomes[0]


# ---------------------------------------------------------------------------
# the core's boundary: arrays whose sizes disagree never reach the C core


def test_core_refuses_arrays_of_another_width():
    from meanshift_fast import _core

    X = blobs(100)
    tree = _core.Tree(X)
    wide = np.zeros((3, 5))
    with pytest.raises(ValueError, match="width"):
        tree.shift(wide, "flat", 1.0, 1e-3, 10, 0.0, 1)
    with pytest.raises(ValueError, match="width"):
        tree.kernel_sum(wide, "flat", 1.0, 0.0)
    with pytest.raises(ValueError, match="width"):
        tree.nearest_center(wide, -1.0)
    with pytest.raises(ValueError, match="width"):
        _core.nearest_center(X, wide, -1.0)
    with pytest.raises(ValueError, match="length"):
        _core.merge_centers(X, np.ones(3), 1.0)
    with pytest.raises(RuntimeError, match="once"):
        tree.__init__(np.zeros((10, 1)))
    assert tree.points().shape == X.shape  # the tree is as it was


def test_unpickled_model_with_edited_arrays_is_refused():
    import pickle

    fitted = MeanShift(bandwidth=2.0).fit(blobs(100))
    state = pickle.loads(pickle.dumps(fitted)).__getstate__()
    narrow = MeanShift()
    narrow.__dict__.update(state)
    narrow._centers_scaled = narrow._centers_scaled[:, :1].copy()
    with pytest.raises(ValueError, match="width"):
        narrow.predict(blobs(5))
    wide = MeanShift()
    wide.__dict__.update(state)
    wide._fit_data = np.hstack([wide._fit_data, wide._fit_data])
    with pytest.raises(ValueError, match="width"):
        wide.score_samples(blobs(5))


@pytest.mark.parametrize("kernel", ["flat", "gaussian", "epanechnikov"])
@pytest.mark.parametrize("weight", [1e307, 1e-320])
def test_weights_of_any_scale_give_the_unweighted_fit(kernel, weight):
    # Equal weights change no weighted mean, however large or small: sums
    # of 200 weights of 1e307 overflow, subnormal ones lose digits.
    X = blobs(200)
    base = MeanShift(bandwidth=2.0, kernel=kernel).fit(X)
    fit = MeanShift(bandwidth=2.0, kernel=kernel).fit(
        X, sample_weight=np.full(len(X), weight)
    )
    np.testing.assert_array_equal(fit.labels_, base.labels_)
    np.testing.assert_allclose(fit.cluster_centers_, base.cluster_centers_, rtol=1e-12)
    np.testing.assert_allclose(
        fit.score_samples(X[:5]), base.score_samples(X[:5]), rtol=1e-12
    )


def test_get_bin_seeds_checks_sizes_and_frequency():
    from meanshift_fast import get_bin_seeds

    X = [[0.1], [0.2], [3.0], [3.1]]
    with pytest.raises(ValueError, match="bin_size has 3 values"):
        get_bin_seeds(X, [1.0, 2.0, 5.0])
    for freq in (float("nan"), -5, True, "2", 10**400):
        with pytest.raises(InvalidParameterError, match="min_bin_freq"):
            get_bin_seeds(X, 1.0, freq)


def test_fitted_methods_use_the_fitted_parameters():
    # set_params after fit changes the next fit, not the fitted model.
    X = blobs(200)
    fitted = MeanShift(bandwidth=2.0, kernel="gaussian").fit(X)
    score, labels = fitted.score_samples(X[:7]), fitted.predict(X[:7])
    fitted.set_params(
        kernel="epanechnikov",
        gaussian_tol=1e6,
        max_iter=-1,
        cluster_assignment="attractor",
    )
    np.testing.assert_array_equal(fitted.score_samples(X[:7]), score)
    np.testing.assert_array_equal(fitted.predict(X[:7]), labels)


@pytest.mark.parametrize("kernel", ["flat", "gaussian"])
def test_subnormal_per_feature_bandwidths_whose_inverse_overflows(kernel):
    """Subnormal data and per-feature bandwidths (1 / bandwidth is infinite):
    the result of the same data scaled by 2**1040 (exactly) with the
    bandwidth scaled alike, centres scaled back."""
    X = np.ldexp(small(), -1040)
    h = float(np.ldexp(2.0, -1040))
    got = MeanShift(bandwidth=[h, h], kernel=kernel).fit(X)
    want = MeanShift(bandwidth=2.0, kernel=kernel).fit(small())
    np.testing.assert_array_equal(got.labels_, want.labels_)
    np.testing.assert_array_equal(
        got.cluster_centers_, np.ldexp(want.cluster_centers_, -1040)
    )


def test_per_feature_bandwidths_with_a_far_point_and_a_wide_feature():
    """One feature reaching 2**997 bandwidths, the other's bandwidth 1e300:
    the fit of X / bandwidth at bandwidth 1 (scikit-learn's), scaled back."""
    X = np.array([[0.0, 0.0], [0.5, 1e300], [5.0, 0.0], [1e300, 0.0], [0.25, 0.0]])
    h = np.array([1.0, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = MeanShift(bandwidth=h).fit(X)
    want = sk_fit(X / h, bandwidth=1.0)
    np.testing.assert_array_equal(got.labels_, want.labels_)
    np.testing.assert_allclose(
        got.cluster_centers_, want.cluster_centers_ * h, rtol=1e-12
    )


@pytest.mark.parametrize("n_centres", [5, 40])
def test_labels_name_the_nearest_centre_where_squared_distances_overflow(n_centres):
    """A point 1e300 bandwidths from every centre: in core units its squared
    distances overflow to infinity.  Its label, from fit and from predict
    (a scan of the centres up to 16, the tree beyond), must still be the
    nearest centre up to rounding, not the first of a tie of infinities
    (the centre at +1e300, twice as far) nor -1 with cluster_all=True."""
    X = np.r_[np.arange(n_centres, dtype=float)[:, None] * 10.0, [[1e300], [-1e300]]]
    w = np.ones(len(X))
    w[-1] = 0.0  # no seed of its own: its centres are the others
    m = MeanShift(bandwidth=1.0).fit(X, sample_weight=w)
    C = m.cluster_centers_
    assert len(C) == n_centres + 1
    queries = np.r_[X, [[-1e200], [-5e299]]]
    dist = np.abs(queries - C[:, 0])  # 1-D: distances, no squares to overflow
    nearest = dist.min(axis=1)
    for labels, rows in ((m.labels_, X), (m.predict(queries), queries)):
        assert ((labels >= 0) & (labels < len(C))).all(), labels
        got = np.abs(rows[:, 0] - C[labels, 0])
        assert (got <= nearest[: len(rows)] * (1 + 1e-12)).all(), labels


def test_float32_bins_beyond_range_refused_without_a_runtime_warning():
    X = np.array([[0, 0], [1, 1], [1, 1.2]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="bin seeding numbers its bins"):
            MeanShift(bandwidth=1e-45, bin_seeding=True).fit(X)


@pytest.mark.parametrize("bw", [np.int64(3), np.uint8(3)])
@pytest.mark.parametrize("data", ["far point", "tiny"])
def test_a_numpy_integer_bandwidth_bins_as_scikit_learn_does(bw, data):
    # The fit scales data and bandwidth by a power of two; an integer type
    # kept for the scaled bandwidth truncated it (every point a seed, the far
    # point a centre) or overflowed (tiny data).
    rng = np.random.default_rng(0)
    if data == "far point":
        X = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(10, 1, (30, 2)), [[1e35] * 2]]
    else:
        X = rng.normal(0, 1e-35, (60, 2))
    want = SkMeanShift(bandwidth=bw, bin_seeding=True, min_bin_freq=3).fit(X)
    got = MeanShift(bandwidth=bw, bin_seeding=True, min_bin_freq=3).fit(X)
    np.testing.assert_array_equal(got.labels_, want.labels_)
    np.testing.assert_allclose(got.cluster_centers_, want.cluster_centers_, rtol=1e-12)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.0, "0"])
def test_a_bad_random_state_gets_scikit_learns_words(seed):
    from sklearn.cluster import estimate_bandwidth as sk_estimate_bandwidth

    X = blobs(60)
    with pytest.raises(InvalidParameterError) as ours:
        estimate_bandwidth(X, n_samples=20, random_state=seed)
    with pytest.raises(ValueError) as theirs:
        sk_estimate_bandwidth(X, n_samples=20, random_state=seed)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [{"bandwidth": -1}, {"max_iter": -2}])
def test_mean_shift_names_itself_in_parameter_errors(kwargs):
    from meanshift_fast import mean_shift

    with pytest.raises(InvalidParameterError, match="parameter of mean_shift must"):
        mean_shift(blobs(60), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bin_seeding": 1},
        {"cluster_all": "yes"},
        {"cluster_all": None},
        {"min_bin_freq": 0},
        {"max_iter": -1},
        {"max_iter": 1.5},
    ],
    ids=repr,
)
def test_parameter_errors_are_scikit_learns_words(kwargs):
    # The parameters whose meaning is scikit-learn's, worded as its
    # InvalidParameterError words them.
    from sklearn.cluster import MeanShift as SkMeanShift

    X = blobs(60)
    with pytest.raises(InvalidParameterError) as ours:
        MeanShift(**kwargs).fit(X)
    with pytest.raises(ValueError) as theirs:
        SkMeanShift(**kwargs).fit(X)
    assert str(ours.value) == str(theirs.value)
