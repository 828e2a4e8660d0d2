"""bandwidth_sweep: every row is the independent fit, bit for bit."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from meanshift_fast import BandwidthSweep, MeanShift, bandwidth_sweep


def blobs(n=600, d=2, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-8, 8, size=(k, d))
    X = centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, d))
    return X.astype(dtype)


def fit(X, h, **kw):
    return MeanShift(bandwidth=h, **kw).fit(X, sample_weight=kw.pop("w", None))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_rows_equal_independent_fits(dtype, n_jobs):
    X = blobs(dtype=dtype)
    sweep = bandwidth_sweep(X, n_bandwidths=12, n_jobs=n_jobs, return_labels=True)
    assert len(sweep) == 12
    for i, h in enumerate(sweep.bandwidths):
        ms = MeanShift(bandwidth=h, bin_seeding=True).fit(X)
        assert sweep.centers[i].dtype == ms.cluster_centers_.dtype
        assert np.array_equal(sweep.centers[i], ms.cluster_centers_)
        assert np.array_equal(sweep.labels[i], ms.labels_)
        assert sweep.n_clusters[i] == len(ms.cluster_centers_)
        assert sweep.n_iter[i] == ms.n_iter_
        assert np.array_equal(
            sweep.sizes[i], np.bincount(ms.labels_, minlength=len(ms.cluster_centers_))
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel": "gaussian"},
        {"kernel": "epanechnikov", "bin_seeding": False},
        {"min_bin_freq": 3},
    ],
)
def test_rows_equal_fits_for_other_settings(kwargs):
    X = blobs(n=300, seed=1)
    hs = [0.8, 1.5, 3.0]
    sweep = bandwidth_sweep(X, hs, return_labels=True, **kwargs)
    kwargs.setdefault("bin_seeding", True)
    # The row's bandwidth as the sweep holds it, a numpy float64: with bin
    # seeding a Python float would make float32 seeds (scikit-learn's rule).
    for i, h in enumerate(sweep.bandwidths):
        ms = MeanShift(bandwidth=h, **kwargs).fit(X)
        assert np.array_equal(sweep.centers[i], ms.cluster_centers_)
        assert np.array_equal(sweep.labels[i], ms.labels_)


def test_rows_equal_fits_where_seed_precision_matters():
    # On integer data the flat kernel's clusters depend on whether the bin
    # seeds are float32 or float64; the rows must be the fits at the
    # sweep's own bandwidths.
    rng = np.random.default_rng(0)
    centres = ((0, 0), (5, 5), (9, 0))
    X = np.round(np.concatenate([rng.normal(c, 1, (60, 2)) for c in centres]) * 3)
    for kernel in ("flat", "gaussian"):
        sweep = bandwidth_sweep(X, [0.7558, 2.0], kernel=kernel, return_labels=True)
        for i, h in enumerate(sweep.bandwidths):
            ms = MeanShift(bandwidth=h, kernel=kernel, bin_seeding=True).fit(X)
            assert np.array_equal(sweep.centers[i], ms.cluster_centers_)
            assert np.array_equal(sweep.labels[i], ms.labels_)


def test_weighted_rows_equal_weighted_fits():
    X = blobs(n=400, seed=2)
    w = np.random.default_rng(0).integers(0, 4, size=len(X)).astype(float)
    w_before = w.copy()
    X_before = X.copy()
    sweep = bandwidth_sweep(X, [1.0, 2.0], sample_weight=w, return_labels=True)
    for i, h in enumerate(sweep.bandwidths):
        ms = MeanShift(bandwidth=h, bin_seeding=True).fit(X, sample_weight=w)
        assert np.array_equal(sweep.centers[i], ms.cluster_centers_)
        assert np.array_equal(sweep.labels[i], ms.labels_)
        assert np.allclose(sweep.sizes[i].sum(), w.sum())
    assert np.array_equal(w, w_before) and np.array_equal(X, X_before)


def test_bandwidths_sorted_and_labels_optional():
    X = blobs(n=200)
    sweep = bandwidth_sweep(X, [3.0, 0.5, 1.0])
    assert isinstance(sweep, BandwidthSweep)
    assert sweep.bandwidths.tolist() == [0.5, 1.0, 3.0]
    assert sweep.labels is None
    assert all(s.sum() == len(X) for s in sweep.sizes)


def test_default_bandwidths_geometric_and_cover_one_cluster():
    X = blobs(n=500)
    sweep = bandwidth_sweep(X, n_bandwidths=7)
    h = sweep.bandwidths
    assert len(h) == 7 and np.all(np.diff(h) > 0)
    ratios = h[1:] / h[:-1]
    assert np.allclose(ratios, ratios[0])
    lo, hi = _reference_bounds(X)
    assert h[0] == pytest.approx(lo, rel=1e-12)
    assert h[-1] == pytest.approx(hi, rel=1e-12)
    assert sweep.n_clusters[-1] == 1
    assert sweep.n_clusters[0] > 3


def _fenced(x):
    q1, q3 = np.percentile(x, [25, 75])
    return x[x <= q3 + 3 * (q3 - q1)]


def _reference_bounds(X):
    """The default range by brute force: the mean radius of the balls
    holding 1% of the rows (at least two, the row itself first) and the
    largest distance from the median, both without far outliers."""
    dist = np.linalg.norm(X - np.median(X, axis=0), axis=1)
    k = max(2, int(np.ceil(0.01 * len(X))))
    pair = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=2)
    radii = np.sort(pair, axis=1)[:, k - 1]
    return _fenced(radii).mean(), _fenced(dist).max()


def test_default_range_ignores_a_far_outlier():
    # One point far away must not stretch the range past the blobs' scale:
    # the bounds are those of the blobs alone, and "auto" finds the blobs.
    X = blobs(n=500)
    far = np.vstack([X, [[1e4, 1e4]]])
    h = bandwidth_sweep(far, n_bandwidths=5).bandwidths
    lo, hi = _reference_bounds(far)
    assert h[0] == pytest.approx(lo, rel=1e-12) and h[-1] == pytest.approx(
        hi, rel=1e-12
    )
    assert h[-1] < 5 * np.linalg.norm(X - np.median(X, axis=0), axis=1).max()
    alone = MeanShift(bandwidth="auto").fit(X)
    with_far = MeanShift(bandwidth="auto").fit(far)
    assert len(with_far.cluster_centers_) == len(alone.cluster_centers_) + 1
    assert adjusted_rand_score(alone.labels_, with_far.labels_[:-1]) == 1.0


def test_default_bandwidths_depend_only_on_random_state():
    X = blobs(n=3000)
    a = bandwidth_sweep(X, n_bandwidths=3, random_state=5).bandwidths
    b = bandwidth_sweep(X, n_bandwidths=3, random_state=5).bandwidths
    assert np.array_equal(a, b)


def test_default_range_ignores_rows_of_zero_weight():
    # Beyond 1000 rows the range is measured on a draw; a draw among all
    # rows could take none of the few of positive weight and measure rows
    # that weigh nothing.  Rows of weight 0 must not move the range.
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (12000, 2))
    w = np.zeros(len(X))
    w[:6] = 1.0
    X[:3], X[3:6] = [100, 100], [110, 100]
    want = bandwidth_sweep(X[:6], n_bandwidths=3).bandwidths
    for random_state in range(4):
        got = bandwidth_sweep(
            X, n_bandwidths=3, sample_weight=w, random_state=random_state
        )
        assert np.array_equal(got.bandwidths, want)


@pytest.mark.parametrize(
    "bandwidths, match",
    [
        ([], "at least one"),
        ([1.0, 0.0], r"range \(0, inf\)"),
        ([1.0, -2.0], r"range \(0, inf\)"),
        ([1.0, np.nan], r"range \(0, inf\)"),
        ([np.inf], r"range \(0, inf\)"),
        ("scott", "bandwidths"),
        ([[1.0, 2.0]], "1-D"),
    ],
)
def test_bad_bandwidths(bandwidths, match):
    with pytest.raises(ValueError, match=match):
        bandwidth_sweep(blobs(n=50), bandwidths)


def test_bad_data_and_parameters():
    X = blobs(n=50)
    for bad in (np.nan, np.inf):
        Y = X.copy()
        Y[3, 1] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            bandwidth_sweep(Y)
    with pytest.raises(ValueError, match="n_bandwidths"):
        bandwidth_sweep(X, n_bandwidths=0)
    with pytest.raises(ValueError, match="kernel"):
        bandwidth_sweep(X, kernel="box")
    with pytest.raises(ValueError, match="n_jobs"):
        bandwidth_sweep(X, n_jobs=0)
    with pytest.raises(ValueError):
        bandwidth_sweep(np.empty((0, 2)))


def test_table_marks_the_row():
    sweep = bandwidth_sweep(blobs(n=200), [0.5, 1.0, 4.0])
    text = sweep.table(marked=1.0)
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[2].endswith("<-") and "<-" not in lines[1] + lines[3]
    assert str(sweep) == sweep.table()


def test_random_state_is_checked_even_when_unused():
    from meanshift_fast import select_bandwidth

    X = blobs(n=100)
    with pytest.raises(ValueError, match="RandomState"):
        bandwidth_sweep(X, [1.0], random_state="x")
    with pytest.raises(ValueError, match="RandomState"):
        select_bandwidth(X, random_state="x")


def test_table_marks_the_nearest_row():
    sweep = bandwidth_sweep(blobs(n=200), [0.5, 1.0, 4.0])
    lines = sweep.table(marked=1.7).splitlines()
    # 1.7 is nearer to 1.0 than to 4.0 on the log scale
    assert lines[2].endswith("<- nearest to 1.7")
    assert "<-" not in lines[1] + lines[3]
    assert sweep.table(marked=3.0).splitlines()[3].endswith("<- nearest to 3")


def test_table_marks_the_nearest_row_at_any_scale():
    # The ratio of a bandwidth to the marked one can overflow or underflow;
    # the nearest row on the log scale is still the one marked.
    X = blobs(n=30) * 1e-75
    sweep = bandwidth_sweep(X, [1e-100, 1e-75, 1e-50], bin_seeding=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        high = sweep.table(marked=1e300).splitlines()
        low = sweep.table(marked=1e-320).splitlines()
        assert "<-" not in sweep.table(marked=np.inf)
    assert high[3].endswith("<- nearest to 1e+300")
    assert "<-" not in high[1] + high[2]
    assert "<- nearest to" in low[1] and "<-" not in low[2] + low[3]


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    sweep = bandwidth_sweep(blobs(n=100), [0.5, 1.0])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"meanshift-fast\[plot\]"):
        sweep.plot()


def test_cli_sweep_reads_what_spreadsheets_write(tmp_path, capsys):
    from meanshift_fast.cli import main

    X = blobs(n=200)
    bom = tmp_path / "bom.csv"
    with open(bom, "w", encoding="utf-8-sig") as f:
        f.writelines(f"{a},{b}\n" for a, b in X)
    tab = tmp_path / "tab.csv"
    np.savetxt(tab, X, delimiter="\t")
    for path in (bom, tab):
        assert main(["sweep", str(path), "--n-bandwidths", "3"]) == 0
        assert capsys.readouterr().out.startswith("200 points, 2 features")


def test_cli_sweep_says_when_bandwidths_find_no_cluster(tmp_path, capsys):
    from meanshift_fast import select_bandwidth
    from meanshift_fast.cli import main

    X = blobs(n=300)
    path = tmp_path / "points.csv"
    np.savetxt(path, X, delimiter=",")
    args = ["sweep", str(path), "--bandwidths=0.5,2", "--min-bin-freq", "1000"]
    assert main(args) == 0
    err = capsys.readouterr().err
    # MeanShift itself finds no seed at any of these bandwidths
    n_rows = len(np.union1d([0.5, 2.0], [select_bandwidth(X)]))
    for h in [0.5, 2.0]:
        with pytest.raises(ValueError, match="min_bin_freq=1000"):
            MeanShift(bandwidth=h, bin_seeding=True, min_bin_freq=1000).fit(X)
    assert f"{n_rows} of {n_rows} bandwidths found no cluster" in err
    assert main(["sweep", str(path), "--bandwidths=0.5,2"]) == 0
    assert "found no cluster" not in capsys.readouterr().err


def test_cli_sweep_options_are_checked(tmp_path, capsys):
    import matplotlib  # noqa: F401  (the test extras install it)

    from meanshift_fast.cli import main

    path = tmp_path / "points.npy"
    np.save(path, blobs(n=200))
    for value in ("", "abc", "1,x"):
        assert main(["sweep", str(path), f"--bandwidths={value}"]) == 2
        assert "--bandwidths takes numbers" in capsys.readouterr().err
    missing = tmp_path / "no_such_dir" / "s.png"
    assert main(["sweep", str(path), "--plot", str(missing)]) == 2
    captured = capsys.readouterr()
    assert "no such directory" in captured.err and captured.out == ""
    # matplotlib adds .png to a name without a suffix: say where it went
    assert (
        main(["sweep", str(path), "--n-bandwidths", "3", "--plot", str(tmp_path / "p")])
        == 0
    )
    assert f"plot saved to {tmp_path / 'p.png'}" in capsys.readouterr().out
    assert (tmp_path / "p.png").exists()
    # a directory of that name is no obstacle: the plot goes to its .png
    (tmp_path / "q").mkdir()
    assert (
        main(["sweep", str(path), "--n-bandwidths", "3", "--plot", str(tmp_path / "q")])
        == 0
    )
    assert f"plot saved to {tmp_path / 'q.png'}" in capsys.readouterr().out
    assert (tmp_path / "q.png").exists()


def test_cli_warnings_are_one_line(tmp_path):
    path = tmp_path / "one.csv"
    np.savetxt(path, blobs(n=1), delimiter=",")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "meanshift_fast",
            "cluster",
            str(path),
            "--bandwidth",
            "1",
            "--bin-seeding",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert any(ln.startswith("meanshift-fast: warning:") for ln in lines)
    assert not any("warnings.warn" in ln or ".py:" in ln for ln in lines)


def test_cli_sweep_prints_table_and_draws(tmp_path):
    path = tmp_path / "points.csv"
    np.savetxt(path, blobs(n=300), delimiter=",")
    cmd = [sys.executable, "-m", "meanshift_fast", "sweep", str(path)]
    out = subprocess.run(
        cmd + ["--n-bandwidths", "5"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "select_bandwidth" in out.stdout
    # five default bandwidths plus the chosen one, marked
    rows = [ln for ln in out.stdout.splitlines()[2:] if ln.strip()]
    assert len(rows) == 6 and sum("<-" in r for r in rows) == 1
    bad = subprocess.run(
        cmd + ["--bandwidths", "1,-1"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "range (0, inf)" in bad.stderr
    import matplotlib  # noqa: F401  (the test extras install it)

    png = tmp_path / "sweep.png"
    out = subprocess.run(
        cmd + ["--plot", str(png)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bandwidth_where_the_fit_raises_gets_an_empty_row():
    X = blobs(n=100)
    h_small, h_big = 0.05, 40.0
    # No bin of side h_small holds 5 samples; one of side h_big does.
    with pytest.raises(ValueError, match="No bin"):
        MeanShift(bandwidth=h_small, bin_seeding=True, min_bin_freq=5).fit(X)
    sweep = bandwidth_sweep(X, [h_small, h_big], min_bin_freq=5, return_labels=True)
    assert sweep.n_clusters.tolist() == [0, 1]
    assert sweep.centers[0].shape == (0, 2) and len(sweep.sizes[0]) == 0
    assert (sweep.labels[0] == -1).all()
    assert "0" in sweep.table().splitlines()[1]


def test_default_range_ignores_how_far_a_far_row_lies():
    """A row 1e200 out is an outlier like one 1e30 out (where no scaling
    is needed): the same default bandwidths, not a range scaled to it."""
    from sklearn.datasets import make_blobs

    from meanshift_fast._sweep import default_bandwidths

    X, _ = make_blobs(120, centers=[[0, 0], [8, 8]], cluster_std=1.0, random_state=0)
    near = default_bandwidths(np.vstack([X, [[1e30, 0.0]]]), 24)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for far in (1e200, 1e300):
            got = default_bandwidths(np.vstack([X, [[far, 0.0]]]), 24)
            np.testing.assert_array_equal(got, near)
    assert near[-1] < 20


def test_plot_of_rows_without_clusters_warns_nothing():
    # Every row without clusters (no bin holds min_bin_freq samples): the
    # table and the picture still come, without matplotlib's warning that
    # a log axis has no positive value (which the CLI would print).
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = blobs(n=100)
    sweep = bandwidth_sweep(X, [0.05, 0.06], min_bin_freq=5)
    assert sweep.n_clusters.tolist() == [0, 0]
    assert np.array_equal(sweep.largest_shares(2), np.zeros((2, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = sweep.plot(marked=0.05)
        fig.canvas.draw()
    plt.close(fig)


def test_largest_shares_checks_k():
    sweep = bandwidth_sweep(blobs(n=200), [0.5, 2.0])
    for k, shape in [(0, (2, 0)), (1, (2, 1)), (5, (2, 5))]:
        shares = sweep.largest_shares(k)
        assert shares.shape == shape
        # every row's shares sum to at most 1 and are sorted, largest first
        assert (shares.sum(axis=1) <= 1 + 1e-12).all()
        assert (np.diff(shares, axis=1) <= 0).all()
    for k in (-1, 1.5, "3"):
        with pytest.raises(ValueError, match="'k' parameter of largest_shares"):
            sweep.largest_shares(k)
