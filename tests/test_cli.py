"""The `meanshift-fast` command line: demo, cluster and info.

End-to-end runs go through a subprocess (``python -m meanshift_fast`` and the
installed console script); the many variants of ``cluster`` call
``meanshift_fast.cli.main`` in-process, which is the same code without the
interpreter start-up.
"""

import functools
import importlib.metadata
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import cluster as skc
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

import meanshift_fast
from meanshift_fast import MeanShift, estimate_bandwidth
from meanshift_fast.cli import demo_data, main

DEMO_CENTERS = np.array([[2.0, 2.0, 2.0], [7.0, 7.0, 7.0], [5.0, 13.0, 13.0]])
CENTRE_LINE = re.compile(
    r"cluster (\d+): centre \(([-\d.]+), ([-\d.]+), ([-\d.]+)\), (\d+) points"
)


def run_cli(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "meanshift_fast", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _parse_demo(stdout):
    found = [m.groups() for m in CENTRE_LINE.finditer(stdout)]
    centres = np.array([[float(x) for x in g[1:4]] for g in found])
    sizes = np.array([int(g[4]) for g in found])
    return centres, sizes


def _write(path, X, kind):
    if kind == "npy":
        np.save(path, X)
    elif kind == "csv":
        np.savetxt(path, X, delimiter=",", fmt="%.17g")
    elif kind == "csv_header":
        header = ",".join(f"x{i}" for i in range(X.shape[1]))
        np.savetxt(path, X, delimiter=",", fmt="%.17g", header=header, comments="")
    elif kind == "tsv":
        np.savetxt(path, X, delimiter="\t", fmt="%.17g")
    return path


def _labels(text):
    return np.array([int(v) for v in text.split()])


BLOBS, _ = make_blobs(
    n_samples=120, n_features=2, centers=3, cluster_std=0.7, random_state=0
)


@pytest.fixture
def blobs():
    return BLOBS.copy()


@functools.cache
def sk_fit(**params):
    """scikit-learn's MeanShift on BLOBS, once per parameter set (on one
    OpenMP thread: its brute-force searches are slow on a busy machine)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return skc.MeanShift(**params).fit(BLOBS)


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def test_demo_finds_the_three_blobs():
    out = run_cli("demo")
    assert out.returncode == 0, out.stderr
    centres, sizes = _parse_demo(out.stdout)
    assert "clusters found: 3" in out.stdout
    assert centres.shape == (3, 3)
    # Each printed centre near a different one of the seed document's.
    dist = np.linalg.norm(centres[:, None, :] - DEMO_CENTERS[None, :, :], axis=-1)
    nearest = dist.argmin(axis=1)
    assert sorted(nearest.tolist()) == [0, 1, 2]
    assert (dist.min(axis=1) < 0.5).all()
    assert sizes.sum() == 150
    # The printed numbers are those of the same computation in scikit-learn.
    X = demo_data(150, 0)
    with threadpool_limits(limits=1, user_api="openmp"):
        ref = skc.MeanShift(bandwidth=skc.estimate_bandwidth(X)).fit(X)
    assert_allclose(centres, ref.cluster_centers_, atol=5e-4)
    assert_array_equal(sizes, np.bincount(ref.labels_))
    bw = re.search(r"estimated bandwidth: ([\d.]+)", out.stdout).group(1)
    assert float(bw) == pytest.approx(skc.estimate_bandwidth(X), abs=5e-5)


def test_demo_data_is_the_seed_documents_blobs():
    X = demo_data(150, 0)
    assert X.shape == (150, 3)
    # Three groups of 50 around the centres with standard deviation 0.6.
    for i, c in enumerate(DEMO_CENTERS):
        part = X[50 * i : 50 * (i + 1)]
        assert np.linalg.norm(part.mean(axis=0) - c) < 0.4
        assert 0.4 < part.std(axis=0).mean() < 0.8


def test_demo_options(capsys):
    assert main(["demo", "-n", "300", "--seed", "3", "--kernel", "gaussian"]) == 0
    out = capsys.readouterr().out
    centres, sizes = _parse_demo(out)
    assert out.startswith("300 points")
    assert sizes.sum() == 300
    X = demo_data(300, 3)
    ms = MeanShift(bandwidth=estimate_bandwidth(X), kernel="gaussian").fit(X)
    assert_allclose(centres, ms.cluster_centers_, atol=5e-4)


def test_demo_plot(tmp_path):
    import matplotlib  # noqa: F401  (the test extras install it)

    png = tmp_path / "demo.png"
    out = run_cli("demo", "--plot", str(png))
    assert out.returncode == 0, out.stderr
    assert png.exists()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    assert f"plot saved to {png}" in out.stdout


# ---------------------------------------------------------------------------
# cluster
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "npy"])
def test_cluster_file_subprocess(tmp_path, blobs, kind):
    path = _write(tmp_path / f"points.{kind}", blobs, kind)
    out = run_cli("cluster", str(path), "--bandwidth", "estimate")
    assert out.returncode == 0, out.stderr
    labels = _labels(out.stdout)
    assert_array_equal(labels, MeanShift().fit(blobs).labels_)
    # ... which are scikit-learn's labels.
    assert_array_equal(labels, sk_fit().labels_)
    n_clusters = len(np.unique(labels))
    assert f"{n_clusters} clusters, {len(blobs)} points" in out.stderr


@pytest.mark.parametrize("kind", ["csv", "csv_header", "tsv", "npy"])
def test_cluster_formats(tmp_path, capsys, blobs, kind):
    suffix = {"csv_header": "csv"}.get(kind, kind)
    path = _write(tmp_path / f"points.{suffix}", blobs, kind)
    assert main(["cluster", str(path), "--bandwidth", "1.5"]) == 0
    labels = _labels(capsys.readouterr().out)
    assert_array_equal(labels, MeanShift(bandwidth=1.5).fit(blobs).labels_)


@pytest.mark.parametrize(
    "name, bandwidth", [("auto", "auto"), ("estimate", None), ("scott", "scott")]
)
def test_cluster_named_bandwidths(tmp_path, capsys, blobs, name, bandwidth):
    """--bandwidth auto is MeanShift(bandwidth="auto") (select_bandwidth);
    'estimate' is scikit-learn's default, estimate_bandwidth."""
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path), "--bandwidth", name]) == 0
    labels = _labels(capsys.readouterr().out)
    assert_array_equal(labels, MeanShift(bandwidth=bandwidth).fit(blobs).labels_)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_cluster_says_every_bandwidth_of_a_rule(tmp_path, capsys, rule):
    # scott and silverman give one bandwidth per feature: the summary says
    # them all, not the first as if it were the only one
    X = BLOBS * [1.0, 100.0]
    path = _write(tmp_path / "points.csv", X, "csv")
    assert main(["cluster", str(path), "--bandwidth", rule]) == 0
    err = capsys.readouterr().err
    h = np.ravel(MeanShift(bandwidth=rule).fit(X).bandwidth_)
    assert h.size == 2
    assert ", ".join(f"{v:.6g}" for v in h) in err


def test_cluster_default_bandwidth_is_auto(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path)]) == 0
    labels = _labels(capsys.readouterr().out)
    assert_array_equal(labels, MeanShift(bandwidth="auto").fit(blobs).labels_)


def test_cluster_rejects_an_unknown_bandwidth(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path), "--bandwidth", "wide"]) == 2
    assert "--bandwidth must be a positive number, 'auto'" in capsys.readouterr().err


def test_cluster_bandwidth(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path), "--bandwidth", "2"]) == 0
    captured = capsys.readouterr()
    labels = _labels(captured.out)
    assert_array_equal(labels, MeanShift(bandwidth=2).fit(blobs).labels_)
    assert_array_equal(labels, sk_fit(bandwidth=2).labels_)
    assert "bandwidth 2" in captured.err


def test_cluster_bin_seeding(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path), "--bin-seeding", "--bandwidth", "1.2"]) == 0
    labels = _labels(capsys.readouterr().out)
    ref = sk_fit(bandwidth=1.2, bin_seeding=True)
    assert_array_equal(labels, ref.labels_)
    assert_array_equal(
        labels, MeanShift(bandwidth=1.2, bin_seeding=True).fit(blobs).labels_
    )


def test_cluster_output_and_centers_files(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.npy", blobs, "npy")
    labels_path = tmp_path / "labels.txt"
    centers_path = tmp_path / "centers.csv"
    assert (
        main(
            [
                "cluster",
                str(path),
                "--bandwidth",
                "1.5",
                "-o",
                str(labels_path),
                "--centers",
                str(centers_path),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == ""  # labels went to the file
    ref = sk_fit(bandwidth=1.5)
    assert_array_equal(np.loadtxt(labels_path, dtype=int), ref.labels_)
    centers = np.loadtxt(centers_path, delimiter=",", ndmin=2)
    assert_allclose(centers, ref.cluster_centers_, rtol=1e-12)


def test_cluster_long_output_option(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    out_path = tmp_path / "out.txt"
    assert main(["cluster", str(path), "--output", str(out_path)]) == 0
    assert_array_equal(
        np.loadtxt(out_path, dtype=int), MeanShift(bandwidth="auto").fit(blobs).labels_
    )


def test_cluster_no_cluster_all(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path), "--bandwidth", "0.6", "--no-cluster-all"]) == 0
    labels = _labels(capsys.readouterr().out)
    ref = sk_fit(bandwidth=0.6, cluster_all=False)
    assert_array_equal(labels, ref.labels_)
    assert (labels == -1).any()


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_cluster_kernel_and_threads(tmp_path, capsys, blobs, kernel):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    argv = ["cluster", str(path), "--bandwidth", "1.0", "--kernel", kernel]
    assert main([*argv, "--n-jobs", "1"]) == 0
    labels = _labels(capsys.readouterr().out)
    assert_array_equal(
        labels, MeanShift(bandwidth=1.0, kernel=kernel).fit(blobs).labels_
    )


@pytest.mark.parametrize(
    "header, comments, delimiter",
    [("", "", " "), ("x y", "", " "), ("made by np.savetxt", "# ", ",")],
)
def test_cluster_reads_np_savetxt_default_spaces(
    tmp_path, capsys, blobs, header, comments, delimiter
):
    # np.savetxt separates values with a space unless told otherwise: its
    # first line was taken for a header, the next refused as '3 4'
    path = tmp_path / "points.txt"
    np.savetxt(path, blobs, header=header, comments=comments, delimiter=delimiter)
    assert main(["cluster", str(path), "--bandwidth", "1.5"]) == 0
    labels = _labels(capsys.readouterr().out)
    assert_array_equal(
        labels,
        MeanShift(bandwidth=1.5)
        .fit(np.loadtxt(path, delimiter=delimiter, skiprows=int(bool(header))))
        .labels_,
    )
    assert len(labels) == len(blobs)


def test_cluster_1d_csv(tmp_path, capsys):
    x = np.concatenate([np.linspace(0, 1, 30), np.linspace(5, 6, 20)])
    path = tmp_path / "line.csv"
    np.savetxt(path, x, fmt="%.17g")
    assert main(["cluster", str(path), "--bandwidth", "1"]) == 0
    labels = _labels(capsys.readouterr().out)
    assert_array_equal(labels, skc.MeanShift(bandwidth=1).fit(x.reshape(-1, 1)).labels_)


def test_cluster_missing_file(tmp_path, capsys):
    assert main(["cluster", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "nope.csv" in err


@pytest.mark.parametrize("command", ["cluster", "sweep"])
@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "not a .npy file"),
        (b"1,2\n3,4\n", "not a .npy file"),
        ("truncated", "cannot read"),
    ],
)
def test_unreadable_npy_points_are_a_message(tmp_path, capsys, command, content, says):
    path = tmp_path / "points.npy"
    if content == "truncated":
        np.save(path, BLOBS)
        content = path.read_bytes()[:100]
    path.write_bytes(content)
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("meanshift-fast: ") and says in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["cluster", "sweep"])
@pytest.mark.parametrize(
    "name, points",
    [
        ("nan.csv", np.array([[1.0, 2.0], [3.0, np.nan]])),
        ("flat.npy", np.arange(5.0)),
        ("complex.npy", np.ones((3, 2), dtype=complex)),
    ],
)
def test_refused_points_are_a_one_line_message(tmp_path, capsys, command, name, points):
    # The estimator's message (several lines in scikit-learn's words) is
    # printed on one line, its words kept.
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, points)
    else:
        np.savetxt(path, points, delimiter=",")
    with pytest.raises(ValueError) as refused:
        MeanShift(bandwidth=1.0).fit(np.load(path) if name.endswith(".npy") else points)
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("meanshift-fast: ")
    first = str(refused.value).splitlines()[0].replace("MeanShift", command)
    assert first.strip() in err


@pytest.mark.parametrize(
    "text, says",
    [
        ("x,y\n1,2\n3,\n", "line 3 holds an empty field (a missing value?)"),
        ("x,y\n1,2\n\n3,NA\n", "line 4 holds 'NA', not a number"),
        ("1,2\n# note\n3,4\n5\n", "line 4 holds 1 value, line 1 holds 2"),
        # a first row with a gap or a missing-value mark is data, not a
        # header to skip: refused with its line, never dropped
        ("1,,2\n1,2,3\n", "line 1 holds an empty field (a missing value?)"),
        ("NA,2\n1.1,2.1\n", "line 1 holds 'NA', not a number"),
        ("1,2,\n1.1,2.1,\n", "line 1 holds an empty field (a missing value?)"),
        (
            "x;y\n1;2\n",
            "line 2 holds '1;2', not a number; "
            "separate the values by commas, tabs or spaces",
        ),
    ],
)
def test_unreadable_table_says_the_line(tmp_path, capsys, text, says):
    # numpy's own message counts rows otherwise (from 0, after the header,
    # without blank lines) and suggests its usecols, no option of the command
    path = tmp_path / "points.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as refused:
        np.loadtxt(path, delimiter=",", skiprows=int(text[0] == "x"), ndmin=2)
    assert says not in str(refused.value)
    assert main(["cluster", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"meanshift-fast: cannot read {path}: {says}\n"


@pytest.mark.parametrize(
    "before",
    [
        "",
        "# written by a tool\n",  # a header after a comment line
        "\n\n",  # or after blank lines
    ],
)
@pytest.mark.parametrize("header", [None, "x,y", "x,y # coordinates"])
def test_the_first_line_with_content_is_the_header_or_data(
    tmp_path, capsys, blobs, before, header
):
    path = tmp_path / "points.csv"
    rows = "".join(f"{a!r},{b!r} # a comment\n" for a, b in blobs.tolist())
    path.write_text(before + ("" if header is None else header + "\n") + rows)
    assert main(["cluster", str(path), "--bandwidth", "estimate"]) == 0
    captured = capsys.readouterr()
    assert f"{len(blobs)} points" in captured.err
    assert_array_equal(_labels(captured.out), MeanShift().fit(blobs).labels_)


def test_a_tab_separated_row_index_is_left_out(tmp_path, blobs, capsys):
    # pandas' to_csv(sep="\t"): the index's empty name is a leading tab
    path = tmp_path / "frame.tsv"
    with open(path, "w") as f:
        f.write("\tx\ty\n")
        f.writelines(f"{i}\t{a!r}\t{b!r}\n" for i, (a, b) in enumerate(blobs.tolist()))
    assert main(["cluster", str(path), "--bandwidth", "estimate"]) == 0
    captured = capsys.readouterr()
    assert "is read as a row index and left out" in captured.err
    assert_array_equal(_labels(captured.out), MeanShift().fit(blobs).labels_)


@pytest.mark.parametrize("kind", ["csv", "npy", "frame"])
def test_a_dash_input_is_standard_input(tmp_path, blobs, kind):
    if kind == "frame":  # a data frame's index: left out, with the warning
        path = tmp_path / "frame.csv"
        path.write_text(
            ",x,y\n"
            + "".join(f"{i},{a!r},{b!r}\n" for i, (a, b) in enumerate(blobs.tolist()))
        )
    else:
        path = _write(tmp_path / f"points.{kind}", blobs, kind)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "meanshift_fast",
            "cluster",
            "-",
            "--bandwidth",
            "estimate",
        ],
        input=path.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert_array_equal(_labels(out.stdout.decode()), MeanShift().fit(blobs).labels_)
    warned = b"standard input: the first column, unnamed in the header" in out.stderr
    assert warned == (kind == "frame")


def test_a_dash_input_names_standard_input_in_its_messages():
    out = subprocess.run(
        [sys.executable, "-m", "meanshift_fast", "cluster", "-"],
        input=b"1,2\n3,x\n",
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr == (
        b"meanshift-fast: cannot read standard input: line 2 holds 'x', not a number\n"
    )


def test_a_dash_output_is_standard_output(tmp_path, capsys, blobs, monkeypatch):
    path = _write(tmp_path / "points.npy", blobs, "npy")
    monkeypatch.chdir(tmp_path)
    assert main(["cluster", str(path), "-o", "-", "--bandwidth", "estimate"]) == 0
    assert_array_equal(_labels(capsys.readouterr().out), MeanShift().fit(blobs).labels_)
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["cluster", "--n-jobs", "0"], "--n-jobs"),
        (["sweep", "--n-jobs", "0"], "--n-jobs"),
        (["sweep", "--min-bin-freq", "0"], "--min-bin-freq"),
    ],
)
def test_bad_counts_are_usage_errors_naming_the_option(tmp_path, capsys, argv, flag):
    # not the library's words ("the 'n_jobs' parameter of select_bandwidth"),
    # after reading the points
    path = _write(tmp_path / "points.npy", BLOBS, "npy")
    with pytest.raises(SystemExit) as stop:
        main([argv[0], str(path), *argv[1:]])
    assert stop.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err


def test_cluster_bad_bandwidth(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    assert main(["cluster", str(path), "--bandwidth", "wide"]) == 2
    assert "--bandwidth must be a positive number" in capsys.readouterr().err
    assert main(["cluster", str(path), "--bandwidth", "-1"]) == 2
    assert "bandwidth" in capsys.readouterr().err


def test_cluster_bad_values(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("1,2\n3,nan\n")
    assert main(["cluster", str(path)]) == 2
    assert "NaN" in capsys.readouterr().err


def test_unwritable_outputs_get_a_message(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    missing = tmp_path / "no_such_dir"
    for extra in (
        ["-o", str(missing / "l.txt")],
        ["--centers", str(missing / "c.csv")],
    ):
        assert main(["cluster", str(path), "--bandwidth", "2", *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("meanshift-fast: cannot write") and str(missing) in err
    # nothing half-written where the directory exists
    assert main(["cluster", str(path), "--bandwidth", "2", "-o", str(tmp_path)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_outputs_that_would_overwrite_the_input_are_refused(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    before = path.read_bytes()
    other = tmp_path / "out.txt"
    for extra in (
        ["-o", str(path)],
        ["--centers", str(tmp_path / "." / "points.csv")],
        ["-o", str(other), "--centers", str(other)],
    ):
        assert main(["cluster", str(path), "--bandwidth", "2", *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("meanshift-fast: ") and len(err.splitlines()) == 1
    assert path.read_bytes() == before
    assert not other.exists()
    npy = _write(tmp_path / "points.npy", blobs, "npy")
    assert main(["sweep", str(npy), "--plot", str(npy)]) == 2
    assert "input" in capsys.readouterr().err
    assert_array_equal(np.load(npy), blobs)


class _FullStdout:
    """A standard output on a full disk."""

    def write(self, text):
        import errno
        import os

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self):
        pass


@pytest.mark.parametrize("argv", [["info"], ["demo", "-n", "30"], ["cluster"]])
def test_a_full_standard_output_is_a_message(tmp_path, capsys, monkeypatch, argv):
    if argv == ["cluster"]:
        argv = ["cluster", str(_write(tmp_path / "p.npy", BLOBS, "npy"))]
    monkeypatch.setattr(sys, "stdout", _FullStdout())
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("meanshift-fast: cannot write to standard output")
    assert len(err.splitlines()) == 1


def test_demo_plot_errors_are_messages(tmp_path, capsys, monkeypatch):
    import matplotlib  # noqa: F401  (the test extras install it)

    target = tmp_path / "no_such_dir" / "demo.png"
    assert main(["demo", "--plot", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err
    # an unknown format is refused before any work, by demo and sweep alike
    points = tmp_path / "points.npy"
    np.save(points, BLOBS)
    for args in (["demo"], ["sweep", str(points)]):
        assert main([*args, "--plot", str(tmp_path / "plot.xyz")]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and "a plot is written as" in captured.err
        assert ".png" in captured.err
    # without matplotlib, the message comes before any work
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["demo", "--plot", str(tmp_path / "demo.png")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "needs matplotlib" in captured.err


@pytest.mark.parametrize("n", ["2", "-5", "x"])
def test_demo_rejects_too_few_points(capsys, n):
    with pytest.raises(SystemExit) as stop:
        main(["demo", "-n", n])
    assert stop.value.code == 2
    assert "-n" in capsys.readouterr().err


def test_demo_rejects_a_negative_seed(capsys):
    # numpy's generators take no negative seed: a usage error, not a traceback
    with pytest.raises(ValueError):
        demo_data(150, -1)
    with pytest.raises(SystemExit) as stop:
        main(["demo", "--seed", "-1"])
    assert stop.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_cluster_bandwidth_must_be_positive(tmp_path, capsys, blobs):
    path = _write(tmp_path / "points.csv", blobs, "csv")
    for value in ("0", "-1", "nan", "inf"):
        assert main(["cluster", str(path), "--bandwidth", value]) == 2
        assert "--bandwidth must be a positive number" in capsys.readouterr().err


def test_cluster_empty_file(tmp_path, recwarn, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert main(["cluster", str(path), "--bandwidth", "1"]) == 2
    assert "0 sample" in capsys.readouterr().err
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_version():
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.split() == ["meanshift-fast", meanshift_fast.__version__]


def test_no_command_is_an_error():
    out = run_cli()
    assert out.returncode == 2
    assert "usage" in out.stderr.lower()


# ---------------------------------------------------------------------------
# info, console script
# ---------------------------------------------------------------------------


def test_info():
    out = run_cli("info")
    assert out.returncode == 0, out.stderr
    fields = dict(
        line.split(None, 1) for line in out.stdout.splitlines() if len(line.split()) > 1
    )
    assert fields["version"] == meanshift_fast.__version__
    assert fields["version"] == importlib.metadata.version("meanshift-fast")
    assert fields["openmp"] == str(meanshift_fast.openmp_enabled())
    assert "openmp_runtime" in fields
    assert int(fields["threads_default"]) >= 1
    # the build's record travels with the extension, in place builds too
    assert fields.get("compiler") and fields.get("cflags")


def test_console_script(tmp_path, blobs):
    exe = Path(sysconfig.get_path("scripts")) / "meanshift-fast"
    assert exe.exists(), "the meanshift-fast entry point is not installed"
    path = _write(tmp_path / "points.npy", blobs, "npy")
    out = subprocess.run(
        [str(exe), "cluster", str(path), "--bandwidth", "1.5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert_array_equal(_labels(out.stdout), MeanShift(bandwidth=1.5).fit(blobs).labels_)


def test_cluster_summary_counts_one_cluster_in_the_singular(tmp_path, capsys):
    points = np.random.default_rng(4).normal(size=(30, 2))
    path = _write(tmp_path / "one.npy", points, "npy")
    assert main(["cluster", str(path), "--bandwidth", "100"]) == 0
    assert MeanShift(bandwidth=100).fit(points).cluster_centers_.shape[0] == 1
    assert "1 cluster, 30 points, bandwidth 100" in capsys.readouterr().err


def test_a_row_index_column_without_a_name_is_left_out(tmp_path, blobs, capsys):
    def run_on(header):
        path = tmp_path / "frame.csv"
        with open(path, "w") as f:
            f.write(header)
            f.writelines(
                f"{i},{float(a)!r},{float(b)!r}\n" for i, (a, b) in enumerate(blobs)
            )
        assert main(["cluster", str(path), "--bandwidth", "estimate"]) == 0
        captured = capsys.readouterr()
        return _labels(captured.out), captured.err

    # what a data frame's to_csv writes by default: ",x,y" then "0,..."
    labels, err = run_on(",x,y\n")
    assert_array_equal(labels, MeanShift().fit(blobs).labels_)
    assert "is read as a row index and left out" in err
    # a header that names every column keeps them all
    labels, err = run_on("i,x,y\n")
    with_index = np.column_stack([np.arange(len(blobs)), blobs])
    assert_array_equal(labels, MeanShift().fit(with_index).labels_)
    assert "row index" not in err


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_a_table_that_is_not_utf8_gets_a_message(tmp_path, capsys, encoding):
    path = tmp_path / "points.csv"
    path.write_bytes("x,y\n1.5,2\n3,4\n# caf\u00e9\n".encode(encoding))
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    assert main(["cluster", str(path)]) == 2
    err = capsys.readouterr().err
    assert "it is not UTF-8 text" in err and len(err.strip().splitlines()) == 1
