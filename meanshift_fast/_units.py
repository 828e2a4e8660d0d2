"""The units the core computes in.

Mean shift commutes with scaling the data and the bandwidth together.  The
core works in scaled units when that keeps its arithmetic finite and exact:

- data or bandwidths so large or small that squares would overflow or
  underflow are scaled by a power of two, which changes no digit (an exact
  scaling, unlike a general factor);
- per-feature bandwidths are divided out, so the kernel sees bandwidth 1.
"""

import numpy as np

from meanshift_fast._validation import c_array

# Squares of numbers within these bounds are normal doubles with room to
# spare for sums.
SQUARE_LIMIT = 2.0**250
# Bin seeds are bin sizes times cell numbers in float32 (scikit-learn's
# arithmetic), which overflows from 3.4e38 and loses digits below 1.2e-38:
# with bin seeding, magnitudes beyond these bounds are scaled too.
FLOAT32_LIMIT = 2.0**100
# Scaled data stay below 2**SUM_EXPONENT, so that sums of up to 2**100 of
# them are finite; a scaled radius stays above 2**-SMALL_EXPONENT, so that
# its square and the squared distances around it are normal numbers.
SUM_EXPONENT = 900
SMALL_EXPONENT = 250
# Data far within the radius: the radius may grow to 2**500 (its square
# still finite) and the data must stay above 2**-969, where doubles keep
# all 53 bits of every value within 2**53 of the largest.
_LARGE_RADIUS_EXPONENT = 500
_NORMAL_DIGITS_EXPONENT = 969
# With bin seeding the radius is a float32 bin size, times bin numbers
# of at least 1 in magnitude: at most 2**126.
_FLOAT32_RADIUS_EXPONENT = 126


class BinRangeError(ValueError):
    """Bin seeding's float32 bins cannot number these data at this bandwidth."""


def _max_abs(X):
    # Two passes without a temporary: on a large X, np.abs's array of X's
    # size costs more in fresh pages than the arithmetic.
    return float(max(X.max(), -X.min(), 0.0)) if X.size else 0.0


def pow2_exponent(X, h=None, limit=SQUARE_LIMIT, name="bandwidth"):
    """k such that X * 2**k (and h * 2**k) are safe to square, all within
    [1 / limit, limit]; 0 when they already are.

    Where X reaches far beyond h, X * 2**k stays below what sums of it
    hold (its largest values may square to infinity: they only ever lie
    outside a kernel) while h * 2**k keeps a normal square; where X lies
    far within h, X * 2**k keeps its digits while h * 2**k keeps a finite
    square.  Beyond what doubles hold, a ValueError names the parameter.
    """
    top = _max_abs(X)
    if h is None or not h > 0:
        if top == 0 or 1 / limit < top < limit:
            return 0
        return -int(np.frexp(top)[1])
    if 1 / limit < h < limit and top < limit and (top == 0 or top > 1 / limit):
        return 0
    bins = limit < SQUARE_LIMIT  # float32 bin seeds bound the data too
    e_limit = int(np.frexp(limit)[1]) - 1
    big = e_limit if bins else SUM_EXPONENT  # squares may overflow, sums not
    small = min(SMALL_EXPONENT, e_limit)
    e_h = int(np.frexp(h)[1])
    k = -e_h  # h * 2**k in [0.5, 1)
    if top == 0:
        return k
    e_top = int(np.frexp(top)[1])
    if e_top + k > big:  # X far beyond h: X down to 2**big
        k = big - e_top
        if e_h + k < -small:
            raise _ratio_error(name, h, top, "large", big + small, bins)
    elif e_top + k < -small:
        # X far within h: X toward 1 with h * 2**k at most 2**small, as for
        # data near h; where X would then lose digits (below 2**-969), h
        # grows instead, up to a finite square (float32 bin sizes times a
        # bin number, with bin seeding).
        k = min(-e_top, small - e_h)
        if e_top + k < -_NORMAL_DIGITS_EXPONENT:
            k = -_NORMAL_DIGITS_EXPONENT - e_top
            h_cap = _FLOAT32_RADIUS_EXPONENT if bins else _LARGE_RADIUS_EXPONENT
            if e_h + k > h_cap:
                raise _ratio_error(
                    name, h, top, "small", h_cap + _NORMAL_DIGITS_EXPONENT, bins
                )
    return k


def _ratio_error(name, h, top, extreme, exponent, bins):
    """The ValueError (BinRangeError with bin seeding) for data too large
    or too small against the radius h."""
    error = BinRangeError if bins else ValueError
    if extreme == "large":
        return error(
            f"{name}={h!r} is too small for values as large as {top!r}: "
            + ratio_limit_text(exponent, bins)
        )
    return error(
        f"{name}={h!r} is too large for values as small as {top!r}: their ratio "
        f"must stay below 2**{exponent}"
        + (" with bin seeding (float32 bins)" if bins else "")
        + ", or the values lose digits. "
        + ("Use bin_seeding=False, or rescale" if bins else "Rescale")
        + " the data."
    )


def ratio_limit_text(exponent, bins=False):
    """Why no scaling serves: the largest ratio of magnitude to radius."""
    what = (
        "bin seeding takes its bins in float32 (scikit-learn's arithmetic)"
        if bins
        else "mean shift measures squared distances in double precision"
    )
    advice = "Use bin_seeding=False, or centre" if bins else "Centre"
    return (
        f"{what}, which holds a ratio of up to 2**{exponent} between the largest "
        f"magnitude and the radius. {advice} or rescale the data."
    )


def weight_exponent(w):
    """k such that the sums of w * 2**k neither overflow nor lose digits to
    subnormal numbers; 0 for weights that are safe as they are.  Scaling
    every weight by a power of two changes no weighted mean."""
    if w is None or len(w) == 0:
        return 0
    top = float(w.max())
    if not top > 0 or (top * len(w) < 2.0**900 and top > 2.0**-900):
        return 0
    return -int(np.frexp(top)[1])


class Units:
    """Either an exact power-of-two scaling (`exponent`) or per-feature
    factors (`factors`, the reciprocal bandwidths)."""

    def __init__(self, exponent=0, factors=None):
        self.exponent = int(exponent)
        self.factors = None if factors is None else np.asarray(factors, float)

    @property
    def identity(self):
        return self.factors is None and self.exponent == 0

    def to_core(self, X, dtype=None):
        """X in the core's units, as dtype (X's own by default); float32
        data that float32 cannot hold in these units come as float64."""
        dtype = X.dtype if dtype is None else dtype
        if self.factors is not None:
            with np.errstate(over="ignore"):
                out = np.asarray(X, dtype=np.float64) * self.factors
        elif self.exponent:
            # queries far outside the fitted scale may overflow: they lie
            # beyond every kernel, at infinity
            with np.errstate(over="ignore"):
                out = np.ldexp(np.asarray(X, dtype=np.float64), self.exponent)
        else:
            return c_array(X, dtype=dtype)
        if np.dtype(dtype) == np.float32:
            with np.errstate(over="ignore", under="ignore"):
                narrow = out.astype(np.float32)
            # every value as it is (a power of two), or for general factors
            # none overflowing and none lost to zero or subnormal numbers
            held = np.array_equal(narrow, out) or (
                self.factors is not None
                and np.isfinite(narrow).all()
                and not (
                    (out != 0) & (np.abs(narrow) < np.finfo(np.float32).tiny)
                ).any()
            )
            if held:
                return c_array(narrow)
            dtype = np.float64
        return c_array(out, dtype=dtype)

    def from_core(self, X, dtype):
        if self.factors is not None:
            out = X / self.factors
        elif self.exponent:
            out = np.ldexp(X, -self.exponent)
        else:
            out = X
        return np.asarray(out).astype(dtype, copy=False)

    def scalar_to_core(self, h):
        return float(np.ldexp(h, self.exponent))

    def log_jacobian(self, d):
        """log of the factor by which densities grow from data to core units."""
        if self.factors is not None:
            return float(np.sum(np.log(self.factors)))
        return d * self.exponent * float(np.log(2.0))
