"""The picture of a bandwidth sweep (matplotlib, the ``plot`` extra)."""

import numpy as np

# Clusters drawn as their own band; the rest share one grey band.
_BANDS = 8


def plot_sweep(sweep, marked=None, fig=None):
    """Clusters against bandwidth (log scale) over the clusters' shares.

    Top: the number of clusters at each bandwidth.  Bottom: the share of the
    samples in each of the largest clusters, stacked (largest at the
    bottom), the rest in grey.  ``marked`` (a bandwidth) is drawn as a
    dashed line on both.  Returns the figure.
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(7.5, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    h = sweep.bandwidths
    top.step(h, sweep.n_clusters, where="mid", color="C0", lw=2)
    top.plot(h, sweep.n_clusters, "o", color="C0", ms=4)
    top.set_xscale("log")
    top.set_yscale("log")
    top.set_ylabel("clusters")
    ticks = [t for t in (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)]
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
    fig.tight_layout()
    return fig
