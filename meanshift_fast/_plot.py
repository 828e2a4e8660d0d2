"""The picture of a bandwidth sweep (matplotlib, the ``plot`` extra)."""

import numpy as np

# Clusters drawn as their own band; the rest share one grey band.
_BANDS = 8
# The share that makes a cluster count for select_bandwidth.
_SHARE = 0.02


def plot_sweep(sweep, marked=None, fig=None):
    """Clusters against bandwidth (log scale) over the clusters' shares.

    Top: the number of clusters at each bandwidth, and of those holding
    2% of the samples (the ones select_bandwidth counts).  Bottom: the share of the
    samples in each of the largest clusters, stacked (largest at the
    bottom), the rest in grey.  ``marked`` (a bandwidth) is drawn as a
    dashed line on both.  ``fig`` (a figure or subfigure to draw in; a new
    one by default) is returned.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "BandwidthSweep.plot needs matplotlib: pip install 'meanshift-fast[plot]'"
        ) from exc

    own = fig is None
    if own:
        fig = plt.figure(figsize=(7.5, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    h = sweep.bandwidths
    top.step(h, sweep.n_clusters, where="mid", color="C0", lw=2, label="all")
    top.plot(h, sweep.n_clusters, "o", color="C0", ms=4)
    big = [
        np.count_nonzero(s >= _SHARE * s.sum()) if len(s) else 0 for s in sweep.sizes
    ]
    top.step(
        h,
        big,
        where="mid",
        color="C1",
        lw=1.5,
        ls="-.",
        label=f"holding {_SHARE:.0%} of the samples or more",
    )
    top.legend(loc="lower left", fontsize="small", title="clusters")
    top.set_xscale("log")
    if not (sweep.n_clusters > 0).any():
        # Rows without clusters only (no bin held min_bin_freq samples): a
        # log axis finds no range of its own in them.
        top.set_ylim(0.8, 3)
    top.set_yscale("log")
    top.set_ylabel("clusters")
    ticks = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000]
    ticks = [t for t in ticks if t <= max(2, sweep.n_clusters.max()) * 1.5]
    top.set_yticks(ticks)
    top.set_yticklabels([str(t) for t in ticks])
    top.minorticks_off()
    top.grid(True, which="major", alpha=0.3)

    shares = sweep.largest_shares(_BANDS)
    rest = np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0)
    colors = [plt.get_cmap("tab10")(i % 10) for i in range(_BANDS)] + ["0.8"]
    bottom.stackplot(
        h, *shares.T, rest, colors=colors, step="mid", edgecolor="white", lw=0.3
    )
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("share of samples\n(largest clusters)")
    bottom.set_xlabel("bandwidth")
    bottom.set_xscale("log")
    if h[-1] < 100 * h[0]:
        # Within two decades the log axis labels its minor ticks, which
        # overlap: label 1, 2 and 5 times the powers of ten instead.
        from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

        bottom.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        bottom.xaxis.set_major_formatter(StrMethodFormatter("{x:.3g}"))
        bottom.xaxis.set_minor_formatter(NullFormatter())

    if marked is not None:
        for ax in (top, bottom):
            ax.axvline(marked, color="k", ls="--", lw=1.2)
        top.annotate(
            f"chosen: {marked:.3g}",
            xy=(marked, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -14),
            textcoords="offset points",
        )
    top.set_title("Mean shift across bandwidths")
    if own:
        fig.tight_layout()
    return fig
