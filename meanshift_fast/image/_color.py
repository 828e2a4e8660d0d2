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
    """v @ m.T along the last axis of v, as products and sums in a fixed
    order.  numpy's matmul would hand this to BLAS: its bits then vary
    with the BLAS build and CPU, and its threads, spinning for a while
    after the call, take cores from the filter that runs next (+17% on a
    two-thread filter of a 512 x 512 photo)."""
    out = np.empty(np.shape(v), dtype=np.float64)
    for i in range(3):
        row = out[..., i]
        np.multiply(v[..., 0], m[i, 0], out=row)
        row += v[..., 1] * m[i, 1]
        row += v[..., 2] * m[i, 2]
    return out


def _rgb_to_xyz(rgb, linear=None):
    if linear is None:
        linear = srgb_to_linear(rgb)
    return _times_matrix(linear, XYZ_FROM_RGB)


def _xyz_to_rgb(xyz):
    linear = _times_matrix(xyz, RGB_FROM_XYZ)
    # Negative linear values would give NaN under the power; they are
    # clipped to 0 below either way.
    positive = np.maximum(linear, 0.0)
    rgb = np.where(
        linear > 0.0031308, 1.055 * positive ** (1 / 2.4) - 0.055, linear * 12.92
    )
    return np.clip(rgb, 0.0, 1.0)


def rgb_to_lab(rgb, linear=None):
    """sRGB in [0, 1] (last axis) to CIE L*a*b*; `linear`, when given, is
    srgb_to_linear(rgb) already computed."""
    t = _rgb_to_xyz(rgb, linear) / WHITE
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16.0 / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def lab_to_rgb(lab):
    """CIE L*a*b* (last axis) to sRGB, clipped to [0, 1]."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = lab[..., 1] / 500.0 + fy
    fz = np.maximum(fy - lab[..., 2] / 200.0, 0.0)
    f = np.stack([fx, fy, fz], axis=-1)
    t = np.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787)
    return _xyz_to_rgb(t * WHITE)


def rgb_to_luv(rgb, linear=None):
    """sRGB in [0, 1] (last axis) to CIE L*u*v*; `linear`, when given, is
    srgb_to_linear(rgb) already computed."""
    xyz = _rgb_to_xyz(rgb, linear)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    yr = y / WHITE[1]
    L = np.where(yr > 0.008856, 116.0 * np.cbrt(yr) - 16.0, 903.3 * yr)
    denom = x + 15.0 * y + 3.0 * z + _EPS
    u = 13.0 * L * (4.0 * x / denom - U0)
    v = 13.0 * L * (9.0 * y / denom - V0)
    return np.stack([L, u, v], axis=-1)


def luv_to_rgb(luv):
    """CIE L*u*v* (last axis) to sRGB, clipped to [0, 1]."""
    luv = np.asarray(luv, dtype=np.float64)
    L, u, v = luv[..., 0], luv[..., 1], luv[..., 2]
    y = np.where(L > 7.999625, ((L + 16.0) / 116.0) ** 3, L / 903.3) * WHITE[1]
    a = U0 + u / (13.0 * L + _EPS)
    b = V0 + v / (13.0 * L + _EPS)
    c = 3.0 * y * (5.0 * b - 3.0)
    # Black (L = 0) has y = 0 and any chromaticity: x = z = 0 there.
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((a - 4.0) * c - 15.0 * a * b * y) / (12.0 * b)
        x = -(c / b + 3.0 * z)
    x = np.where(np.isfinite(x), x, 0.0)
    z = np.where(np.isfinite(z), z, 0.0)
    return _xyz_to_rgb(np.stack([x, y, z], axis=-1))


TO_WORKING = {"lab": rgb_to_lab, "luv": rgb_to_luv}
FROM_WORKING = {"lab": lab_to_rgb, "luv": luv_to_rgb}
