"""Distributed fit on a local Dask cluster: time and peak worker memory.

    python benchmarks/dask_fit.py --n 10000000 --workers 2 --chunk 1000000

The points (2-D, five blobs) are generated on the workers, chunk by chunk,
so they never pass through the client; the fit is bin-seeded with a fixed
bandwidth.  With --check N, the first N rows are also clustered in memory
and compared.
"""

import argparse
import resource
import time

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import meanshift_fast as mf
from meanshift_fast.dask import MeanShift

CENTRES = np.array([[-8.0, 3.0], [-2.0, -7.0], [1.0, 6.0], [6.0, -1.0], [9.0, 8.0]])


def _chunk(block_id, rows, seed):
    rng = np.random.default_rng([seed, block_id])
    labels = rng.integers(0, len(CENTRES), size=rows)
    return CENTRES[labels] + rng.normal(size=(rows, 2))


def points(n, chunk, seed=0):
    sizes = [min(chunk, n - s) for s in range(0, n, chunk)]
    blocks = [
        da.from_delayed(
            __import__("dask").delayed(_chunk)(i, m, seed), shape=(m, 2), dtype=float
        )
        for i, m in enumerate(sizes)
    ]
    return da.concatenate(blocks, axis=0)


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000_000)
    p.add_argument("--chunk", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--bandwidth", type=float, default=1.5)
    p.add_argument("--check", type=int, default=0)
    args = p.parse_args(argv)

    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            memory_limit="8GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        X = points(args.n, args.chunk)
        start = time.perf_counter()
        ms = MeanShift(bandwidth=args.bandwidth, bin_seeding=True, client=client)
        ms.fit(X)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        counts = np.bincount(ms.labels_.compute(), minlength=len(ms.cluster_centers_))
        label_s = time.perf_counter() - start
        peaks = client.run(_peak_rss_mib)
        print(f"n={args.n} chunks={X.numblocks[0]} workers={args.workers}")
        print(f"fit {fit_s:.2f} s, labels {label_s:.2f} s, n_iter {ms.n_iter_}")
        print(f"centres:\n{np.round(ms.cluster_centers_, 3)}\nsizes {counts.tolist()}")
        print(f"peak worker RSS (MiB): {[round(v) for v in peaks.values()]}")
        if args.check:
            Xs = X[: args.check].compute()
            local = mf.MeanShift(bandwidth=args.bandwidth, bin_seeding=True).fit(Xs)
            dist = MeanShift(bandwidth=args.bandwidth, bin_seeding=True, client=client)
            dist.fit(da.from_array(Xs, chunks=args.chunk // 4))
            same = np.allclose(
                local.cluster_centers_, dist.cluster_centers_, rtol=1e-12
            )
            same &= bool((local.labels_ == dist.labels_.compute()).all())
            print(f"in-memory check on {args.check} rows: identical={same}")


if __name__ == "__main__":
    main()
