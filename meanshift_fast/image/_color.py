"""CIE L*a*b* and L*u*v* (D65 white, 2 degree observer) from and to sRGB.

The formulas and constants are scikit-image's (``skimage.color``), so that
radii mean the same in both; only numpy is used.
"""

import numpy as np

# sRGB primaries to CIE XYZ, and back.
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)

# Reference white: D65, 2 degree observer.
WHITE = np.array([0.95047, 1.0, 1.08883])
_UV_DENOM = WHITE[0] + 15.0 * WHITE[1] + 3.0 * WHITE[2]
U0 = 4.0 * WHITE[0] / _UV_DENOM
V0 = 9.0 * WHITE[1] / _UV_DENOM
_EPS = np.finfo(np.float64).eps


def srgb_to_linear(rgb):
    """sRGB in [0, 1] to linear light (the gamma curve undone)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def linear_from_integers(data, scale):
    """srgb_to_linear(data / scale) for unsigned integer data, through a
    table of every level: the same values at a fraction of the cost."""
    table = srgb_to_linear(np.arange(int(scale) + 1, dtype=np.float64) / scale)
    return table[data]


def _times_matrix(v, m):
    """v @ m.T along the last axis of v (an array, or its three planes), as
    products and sums in a fixed order.  numpy's matmul would hand this to
    BLAS: its bits then vary with the BLAS build and CPU, and its threads,
    spinning for a while after the call, take cores from the filter that
    runs next."""
    planes = [v[..., k] for k in range(3)] if isinstance(v, np.ndarray) else v
    out = np.empty(np.shape(planes[0]) + (3,), dtype=np.float64)
    for i in range(3):
        row = out[..., i]
        np.multiply(planes[0], m[i, 0], out=row)
        row += planes[1] * m[i, 1]
        row += planes[2] * m[i, 2]
    return out


# The conversions below work in place where they can: on a 512 x 512
# photo every temporary is megabytes of fresh memory, whose page faults
# cost more than the arithmetic.  Each keeps the order of the operations
# of its formula, so the bits are those of the formula written plainly.


def _rgb_to_xyz(rgb, linear=None):
    if linear is None:
        linear = srgb_to_linear(rgb)
    return _times_matrix(linear, XYZ_FROM_RGB)


def _xyz_to_rgb(xyz):
    """1.055 linear^(1/2.4) - 0.055 above 0.0031308, 12.92 linear below,
    clipped to [0, 1]; linear = xyz @ RGB_FROM_XYZ.T."""
    rgb = _times_matrix(xyz, RGB_FROM_XYZ)
    dark = ~(rgb > 0.0031308)
    dark_values = rgb[dark] * 12.92
    # Negative linear values would give NaN under the power; they are
    # dark, and take the line.
    np.maximum(rgb, 0.0, out=rgb)
    np.power(rgb, 1 / 2.4, out=rgb)
    rgb *= 1.055
    rgb -= 0.055
    rgb[dark] = dark_values
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def _cie_f(t):
    """CIE's f: cbrt(t) above 0.008856, 7.787 t + 16/116 below (in place)."""
    low = ~(t > 0.008856)
    low_values = t[low] * 7.787
    low_values += 16.0 / 116.0
    np.cbrt(t, out=t)
    t[low] = low_values
    return t


def _rgb_to_lab(rgb, linear=None):
    f = _rgb_to_xyz(rgb, linear)
    f /= WHITE
    _cie_f(f)
    out = np.empty(f.shape)
    np.multiply(f[..., 1], 116.0, out=out[..., 0])
    out[..., 0] -= 16.0
    np.subtract(f[..., 0], f[..., 1], out=out[..., 1])
    out[..., 1] *= 500.0
    np.subtract(f[..., 1], f[..., 2], out=out[..., 2])
    out[..., 2] *= 200.0
    return out


def _lab_to_rgb(lab):
    lab = np.asarray(lab, dtype=np.float64)
    f = np.empty(lab.shape)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    np.add(lab[..., 0], 16.0, out=fy)
    fy /= 116.0
    np.divide(lab[..., 1], 500.0, out=fx)
    fx += fy
    np.divide(lab[..., 2], 200.0, out=fz)
    np.subtract(fy, fz, out=fz)
    np.maximum(fz, 0.0, out=fz)
    low = ~(f > 0.2068966)
    low_values = f[low] - 16.0 / 116.0
    low_values /= 7.787
    np.power(f, 3, out=f)
    f[low] = low_values
    f *= WHITE
    return _xyz_to_rgb(f)


def _rgb_to_luv(rgb, linear=None):
    xyz = _rgb_to_xyz(rgb, linear)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    yr = y / WHITE[1]
    dark = ~(yr > 0.008856)
    dark_values = yr[dark] * 903.3
    L = np.cbrt(yr, out=yr)
    L *= 116.0
    L -= 16.0
    L[dark] = dark_values
    denom = y * 15.0
    denom += x
    denom += z * 3.0
    denom += _EPS
    L13 = L * 13.0
    u = x * 4.0
    u /= denom
    u -= U0
    u *= L13
    v = y * 9.0
    v /= denom
    v -= V0
    v *= L13
    return np.stack([L, u, v], axis=-1)


def _luv_to_rgb(luv):
    luv = np.asarray(luv, dtype=np.float64)
    L, u, v = luv[..., 0], luv[..., 1], luv[..., 2]
    bright = L > 7.999625
    y = L + 16.0
    y /= 116.0
    np.power(y, 3, out=y)
    y[~bright] = L[~bright] / 903.3
    y *= WHITE[1]
    d = L * 13.0
    d += _EPS
    a = u / d
    a += U0
    b = np.divide(v, d, out=d)
    b += V0
    c = b * 5.0
    c -= 3.0
    c *= y * 3.0
    # Black (L = 0) has y = 0 and any chromaticity: x = z = 0 there.
    with np.errstate(divide="ignore", invalid="ignore"):
        z = a - 4.0
        z *= c
        t = a * 15.0
        t *= b
        t *= y
        z -= t
        z /= np.multiply(b, 12.0, out=t)
        x = np.divide(c, b, out=c)
        x += np.multiply(z, 3.0, out=t)
        np.negative(x, out=x)
    x[~np.isfinite(x)] = 0.0
    z[~np.isfinite(z)] = 0.0
    return _xyz_to_rgb((x, y, z))


# Pixels converted at a time.  Every step above is elementwise, so blocks
# give the bits of the whole; a block's temporaries (384 KiB at most) are
# reused by the allocator, where those of a whole photo are fresh pages
# whenever the allocator has none to spare, as in a fresh process.
_BLOCK = 16384


def _in_blocks(convert, *arrays):
    """convert(*arrays) (each (..., 3), or None) block by block of pixels."""
    shape = next(np.shape(a) for a in arrays if a is not None)
    n = int(np.prod(shape[:-1]))
    if n <= _BLOCK:
        return convert(*arrays)
    rows = [None if a is None else np.reshape(a, (n, 3)) for a in arrays]
    out = np.empty((n, 3))
    for i in range(0, n, _BLOCK):
        out[i : i + _BLOCK] = convert(
            *(None if r is None else r[i : i + _BLOCK] for r in rows)
        )
    return out.reshape(shape)


def rgb_to_lab(rgb, linear=None):
    """sRGB in [0, 1] (last axis) to CIE L*a*b*; `linear`, when given, is
    srgb_to_linear(rgb) already computed."""
    return _in_blocks(_rgb_to_lab, rgb, linear)


def lab_to_rgb(lab):
    """CIE L*a*b* (last axis) to sRGB, clipped to [0, 1]."""
    return _in_blocks(_lab_to_rgb, np.asarray(lab, dtype=np.float64))


def rgb_to_luv(rgb, linear=None):
    """sRGB in [0, 1] (last axis) to CIE L*u*v*; `linear`, when given, is
    srgb_to_linear(rgb) already computed."""
    return _in_blocks(_rgb_to_luv, rgb, linear)


def luv_to_rgb(luv):
    """CIE L*u*v* (last axis) to sRGB, clipped to [0, 1]."""
    return _in_blocks(_luv_to_rgb, np.asarray(luv, dtype=np.float64))


TO_WORKING = {"lab": rgb_to_lab, "luv": rgb_to_luv}
FROM_WORKING = {"lab": lab_to_rgb, "luv": luv_to_rgb}
