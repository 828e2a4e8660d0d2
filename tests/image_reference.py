"""Brute-force references for meanshift_fast.image, in plain numpy, written
from the documented semantics rather than from the package's code.

Filter: every pixel is a point (position, colour); a step moves the state
(p, c) to the weighted mean of the pixels q with |pos_q - p| <= hs and
|col_q - c| <= hr (inclusive, Euclidean); weights 1, exp(-u / 2) or
max(0, 1 - u) with u = |dp|^2 / hs^2 + |dc|^2 / hr^2; a pixel stops on an
empty window, after a step with |dp|^2 / hs^2 + |dc|^2 / hr^2 <= tol^2, or
after max_iter steps.  Squared distances are accumulated coordinate by
coordinate in increasing order, so that on integer data the flat kernel's
results are exact and must be reproduced bit for bit.

Segmentation: neighbouring pixels whose modes lie within hr / 2 join, then
the smallest region below min_region (ties: lowest id, a region's id being
that of its first pixel's initial region, kept by the region that absorbs
others) merges into the neighbour with the nearest mean mode (ties: lowest
id), until none is left; labels are numbered in raster order.
"""

import itertools

import numpy as np


def filter_work(work, hs, hr, kernel="flat", max_iter=100, tol=1e-3):
    """Filter a (nz, ny, nx, c) float64 array in its own units."""
    nz, ny, nx, c = work.shape
    grid = (
        np.stack(
            np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij"),
            axis=-1,
        )
        .reshape(-1, 3)
        .astype(np.float64)
    )
    cols = work.reshape(-1, c).astype(np.float64)
    out = np.empty_like(cols)
    for i in range(len(cols)):
        p = grid[i].copy()
        col = cols[i].copy()
        for _ in range(max_iter):
            ds = np.zeros(len(cols))
            for j in range(3):
                t = grid[:, j] - p[j]
                ds = ds + t * t
            dc = np.zeros(len(cols))
            for k in range(c):
                t = cols[:, k] - col[k]
                dc = dc + t * t
            inside = (np.sqrt(ds) <= hs) & (np.sqrt(dc) <= hr)
            u = ds * (1.0 / (hs * hs)) + dc * (1.0 / (hr * hr))
            if kernel == "flat":
                w = np.ones(len(cols))
            elif kernel == "gaussian":
                w = np.exp(-0.5 * u)
            else:
                w = np.maximum(0.0, 1.0 - u)
            w = np.where(inside, w, 0.0)
            total = w.sum()
            if not total > 0:
                break
            new_p = (w[:, None] * grid).sum(axis=0) / total
            new_c = (w[:, None] * cols).sum(axis=0) / total
            sp = 0.0
            for j in range(3):
                sp += (new_p[j] - p[j]) ** 2
            sc = 0.0
            for k in range(c):
                sc += (new_c[k] - col[k]) ** 2
            p, col = new_p, new_c
            if sp / (hs * hs) + sc / (hr * hr) <= tol * tol:
                break
        out[i] = col
    return out.reshape(work.shape)


def _neighbour_offsets(connectivity, ndim):
    rank = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[connectivity]
    offs = []
    for d in itertools.product((-1, 0, 1), repeat=ndim):
        nonzero = sum(v != 0 for v in d)
        if 0 < nonzero <= rank:
            offs.append(d)
    return offs


def segment_modes(modes, join_radius, min_region, connectivity):
    """Labels of a (spatial..., c) array of pixel modes."""
    shape = modes.shape[:-1]
    c = modes.shape[-1]
    n = int(np.prod(shape))
    flat = modes.reshape(n, c)
    coords = list(itertools.product(*[range(s) for s in shape]))
    index = {xy: i for i, xy in enumerate(coords)}
    offs = _neighbour_offsets(connectivity, len(shape))
    nbrs = []
    for xy in coords:
        row = []
        for d in offs:
            q = tuple(a + b for a, b in zip(xy, d, strict=True))
            if q in index:
                row.append(index[q])
        nbrs.append(row)
    # Initial regions: connected components of the "close modes" graph.
    region = [-1] * n
    n_reg = 0
    for s in range(n):
        if region[s] >= 0:
            continue
        region[s] = n_reg
        stack = [s]
        while stack:
            i = stack.pop()
            for q in nbrs[i]:
                if region[q] < 0 and np.sqrt(((flat[i] - flat[q]) ** 2).sum()) <= (
                    join_radius
                ):
                    region[q] = n_reg
                    stack.append(q)
        n_reg += 1
    region = np.array(region)
    members = {r: list(np.flatnonzero(region == r)) for r in range(n_reg)}

    def mode(r):
        return flat[members[r]].mean(axis=0)

    while True:
        small = [r for r in members if len(members[r]) < min_region]
        if not small:
            break
        # ties: the region whose first pixel comes first
        r = min(small, key=lambda r: (len(members[r]), min(members[r])))
        adjacent = {region[q] for i in members[r] for q in nbrs[i]} - {r}
        if not adjacent:  # the whole image is one region
            break
        mr = mode(r)
        best = min(
            adjacent, key=lambda b: (((mode(b) - mr) ** 2).sum(), min(members[b]))
        )
        members[best] = members[best] + members.pop(r)
        region[region == r] = best
    labels = np.empty(n, dtype=np.int64)
    seen = {}
    for i in range(n):
        labels[i] = seen.setdefault(region[i], len(seen))
    return labels.reshape(shape)
