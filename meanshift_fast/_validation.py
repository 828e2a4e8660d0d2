"""Input and parameter checks, worded as scikit-learn words them."""

import sys
import warnings
from numbers import Integral, Real

import numpy as np


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a wrong type or value."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before `fit`."""


_SKLEARN_TWINS: dict[type, type] = {}


def sklearn_twin(cls):
    """cls, or where scikit-learn is loaded a subclass of cls and of
    scikit-learn's class of that name (in sklearn.exceptions), so that
    scikit-learn's own `except` clauses and warning filters take it too;
    scikit-learn is never imported here."""
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None:
        return cls
    if cls not in _SKLEARN_TWINS:

        def __reduce__(self):
            # pickle finds cls, not the twin, under the twin's name: rebuild
            # from cls (a worker process sends its errors back pickled)
            return _unpickle_twin, (cls, self.args), self.__dict__ or None

        twin = type(
            cls.__name__, (cls, getattr(sk, cls.__name__)), {"__reduce__": __reduce__}
        )
        twin.__module__ = cls.__module__
        _SKLEARN_TWINS[cls] = twin
    return _SKLEARN_TWINS[cls]


def _unpickle_twin(cls, args):
    """An instance of sklearn_twin(cls) from a pickle: of the twin where
    scikit-learn is loaded, else of cls."""
    return sklearn_twin(cls)(*args)


def not_fitted_error(owner):
    """scikit-learn's NotFittedError for an estimator named owner."""
    return sklearn_twin(NotFittedError)(
        f"This {owner} instance is not fitted yet. Call 'fit' with appropriate "
        "arguments before using this estimator."
    )


def check_given_centers(centers, n_features):
    """cluster_centers_ as a caller set them on an estimator, checked, in
    float64 (predict reads them, as scikit-learn's does)."""
    centers = np.asarray(centers, dtype=np.float64)
    if not (
        centers.ndim == 2
        and len(centers) > 0
        and centers.shape[1] == n_features
        and np.isfinite(centers).all()
    ):
        raise ValueError(
            "cluster_centers_ must be a non-empty 2-D array of finite values "
            f"with {n_features} columns; got shape {centers.shape}."
        )
    return centers


_PACKAGE = __file__.rsplit("_validation.py", 1)[0]


def user_stacklevel():
    """warnings.warn's stacklevel that names the first frame outside this
    package, where the caller's warning site lies: the user's own line,
    however deep in the package the warning is raised (a fixed level
    names a library line on some paths, and Python's default filter then
    shows the warning once for every fit of a loop)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def check_feature_names(owner, fitted_names, X):
    """scikit-learn's rules for feature names seen at fit and at predict."""
    names = feature_names(X)
    if fitted_names is None and names is None:
        return
    if fitted_names is not None and names is None:
        warnings.warn(
            f"X does not have valid feature names, but {owner} was fitted with "
            "feature names",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return
    if fitted_names is None:
        warnings.warn(
            f"X has feature names, but {owner} was fitted without feature names",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return
    if len(fitted_names) != len(names) or np.any(fitted_names != names):
        unexpected = sorted(set(names) - set(fitted_names))
        missing = sorted(set(fitted_names) - set(names))
        message = "The feature names should match those that were passed during fit.\n"
        if unexpected:
            message += "Feature names unseen at fit time:\n" + _name_list(unexpected)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + (
                _name_list(missing)
            )
        if not unexpected and not missing:
            message += "Feature names must be in the same order as they were in fit.\n"
        raise ValueError(message)


def _name_list(names):
    """Names one per line, as "- name", the first five and then "- ..."
    (scikit-learn's listing)."""
    lines = [f"- {name}\n" for name in names[:5]]
    if len(names) > 5:
        lines.append("- ...\n")
    return "".join(lines)


def c_array(a, dtype=None):
    """A C-contiguous, aligned, base-class ndarray (a copy only when needed):
    the C core reads raw pointers, which must be aligned."""
    return np.require(a, dtype=dtype, requirements=["C", "A", "E"])


def param_error(owner, name, value, expected):
    return InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    )


def is_int(value):
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value):
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def as_float(x):
    """float(x) for a real number x, with magnitudes beyond a double's range
    (Python ints, fractions) as infinite, so that numpy's isfinite can
    judge any Real."""
    try:
        return float(x)
    except OverflowError:
        return float("inf")


def check_int(owner, name, value, low, allow_none=False):
    if allow_none and value is None:
        return
    if not is_int(value) or value < low:
        expected = f"an int in the range [{low}, inf)"
        if allow_none:
            expected += " or None"
        raise param_error(owner, name, value, expected)


# numpy's bool type as scikit-learn names it ('numpy.bool' from numpy 2 on)
_NP_BOOL = f"{np.bool_.__module__}.{np.bool_.__qualname__}"


def check_bool(owner, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise param_error(
            owner, name, value, f"an instance of 'bool' or an instance of '{_NP_BOOL}'"
        )


def check_choice(owner, name, value, choices):
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in sorted(choices))
        raise param_error(owner, name, value, f"a str among {{{options}}}")


def check_n_jobs(owner, value):
    if value is None:
        return
    if not is_int(value) or value == 0:
        raise param_error(owner, "n_jobs", value, "a non-zero int or None")


def check_progress(progress):
    """A progress callback is a callable progress(done, total), or None."""
    if progress is not None and not callable(progress):
        raise TypeError(
            "progress must be a callable progress(done, total) or None; "
            f"got {progress!r}."
        )


def unmasked_image(image, owner):
    """image as a plain ndarray: a masked array's data where nothing is
    masked.  A masked pixel has no colour the filter could take or leave
    out, so it is refused rather than read from under its mask."""
    if not isinstance(image, np.ma.MaskedArray):
        return image
    masked = int(np.ma.count_masked(image))
    if masked:
        raise ValueError(
            f"{owner} does not take masked pixels; {masked} of {image.size} "
            "values are masked. Fill them first (image.filled(value)), or pass "
            "image.data to use the values under the mask."
        )
    return np.ma.getdata(image)


def _is_sparse(x):
    return hasattr(x, "tocsr") and hasattr(x, "nnz")


def feature_names(X):
    """Column names when X is a dataframe whose column names are all str."""
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, np.ndarray):
        return None
    names = np.asarray(list(columns), dtype=object)
    kinds = sorted({type(n).__name__ for n in names})
    if len(kinds) > 1 and "str" in kinds:
        raise TypeError(
            "Feature names are only supported if all input features have string "
            f"names, but your input has {kinds} as feature name / column name "
            "types. If you want feature names to be stored and validated, you must "
            "convert them all to strings, by using X.columns = X.columns.astype(str) "
            "for example. Otherwise you can remove feature / column names from "
            "your input data, or convert them all to a non-string data type."
        )
    if len(names) and kinds == ["str"]:
        return names
    return None


def _series_type(X):
    """The type of X where X is a pandas Series or a pandas array (an
    extension array: its dtype has an ``na_value``), else None."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and (hasattr(X, "iloc") or hasattr(dtype, "na_value")):
        return type(X)
    return None


def check_2d(arr, owner, series_type=None):
    """scikit-learn's words for an array that is not 2-D; series_type: the
    type of the Series (or pandas array) it came from, if it did."""
    if arr.ndim == 0:
        raise ValueError(
            f"Expected 2D array, got scalar array instead:\narray={arr}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data "
            "has a single feature or array.reshape(1, -1) if it contains a "
            "single sample."
        )
    if arr.ndim == 1 and series_type is not None:
        raise ValueError(
            f"Expected a 2-dimensional container but got {series_type} instead. "
            "Pass a DataFrame containing a single row (i.e. single sample) or a "
            "single column (i.e. single feature) instead."
        )
    if arr.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array instead:\narray={arr}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data "
            "has a single feature or array.reshape(1, -1) if it contains a "
            "single sample."
        )
    if arr.ndim > 2:
        raise ValueError(
            f"Found array with dim {arr.ndim}, while dim <= 2 is required by {owner}."
        )


def object_to_float(arr):
    """An object array as float64; missing values that pandas and others
    hold as objects (None, pandas.NA, NaT) become NaN, which the finite
    check then refuses in scikit-learn's words."""
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        pass
    out = np.empty(arr.shape, dtype=np.float64)
    for index, value in np.ndenumerate(arr):
        missing = value is None or type(value).__name__ in ("NAType", "NaTType")
        out[index] = np.nan if missing else float(value)
    return out


def check_array(
    X,
    *,
    owner,
    input_name="X",
    min_samples=1,
    keep_float32=True,
    ensure_2d=True,
):
    """Validated float copy-or-view of X: 2-D, finite, C-contiguous.

    float32 stays float32 (when keep_float32), everything else becomes
    float64.  The caller's array is never written to; a view is returned
    only when no conversion was needed.
    """
    if _is_sparse(X):
        raise TypeError(
            f"Sparse data was passed for {input_name}, but dense data is "
            "required. Use '.toarray()' to convert to a dense numpy array."
        )
    if isinstance(X, np.matrix):
        raise TypeError(
            "np.matrix is not supported. Please convert to a numpy array with "
            "np.asarray."
        )
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists, say
        raise ValueError(
            f"{input_name} could not be converted to an array: {exc}"
        ) from None
    check_kind(arr, input_name)
    if arr.dtype.kind == "O":
        if ensure_2d and arr.ndim == 0:  # a generator or a dict, say
            check_2d(arr, owner)
        arr = object_to_float(arr)
        check_kind(arr, input_name)  # complex numbers held as objects
    if ensure_2d:
        check_2d(arr, owner, _series_type(X))
    small_float = arr.dtype.kind == "f" and arr.dtype.itemsize <= 4
    dtype = np.float32 if (keep_float32 and small_float) else np.float64
    arr = c_array(arr, dtype=dtype)
    if arr.ndim == 2:
        check_counts(arr.shape, owner, min_samples)
    check_finite(arr, input_name, owner)
    return arr


def check_counts(shape, owner, min_samples=1):
    """scikit-learn's words for a 2-D array with too few rows or no
    columns."""
    if shape[0] < min_samples:
        raise ValueError(
            f"Found array with {shape[0]} sample(s) (shape={shape}) "
            f"while a minimum of {min_samples} is required by {owner}."
        )
    if shape[1] < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={shape}) while a "
            f"minimum of 1 is required by {owner}."
        )


def check_kind(arr, input_name="X"):
    """scikit-learn's words for an array whose dtype holds no real numbers
    (objects aside: the caller converts those)."""
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{arr}\n")
    if arr.dtype.kind in "USV":
        raise ValueError(
            "dtype='numeric' is not compatible with arrays of bytes/strings."
            "Convert your data to numeric values explicitly instead."
        )
    if arr.dtype.kind not in "biufO":
        raise ValueError(f"{input_name} has unsupported dtype {arr.dtype}")


def check_finite(arr, input_name, owner):
    # A sum is one pass and is finite exactly when every entry is (barring
    # overflow, which the slower test below then sorts out).
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr, dtype=np.float64)):
            return
    if not np.isfinite(arr).all():
        raise non_finite_error(np.isnan(arr).any(), input_name, owner, arr.dtype)


def non_finite_error(nan, input_name, owner, dtype):
    """scikit-learn's error for input with a NaN (nan) or an infinity."""
    if nan:
        return ValueError(
            f"Input {input_name} contains NaN.\n{owner} does not accept missing "
            "values encoded as NaN natively."
        )
    return ValueError(
        f"Input {input_name} contains infinity or a value too large for "
        f"dtype({dtype.name!r})."
    )


def check_fit_input(X, sample_weight, owner):
    """X as check_array returns it, its sample weights (None or float64) and
    its feature names (None unless X is a dataframe with str columns)."""
    names = feature_names(X)
    X = check_array(X, owner=owner)
    return X, check_sample_weight(sample_weight, X.shape[0]), names


def check_seeds(seeds, n_features, owner):
    """Seeds as a float64 array of X's width."""
    seeds = check_array(seeds, owner=owner, input_name="seeds", keep_float32=False)
    if seeds.shape[1] != n_features:
        raise ValueError(
            f"seeds has {seeds.shape[1]} features, but {owner} is expecting "
            f"{n_features} features as input."
        )
    return seeds


WEIGHTS_NOT_1D = "Sample weights must be 1D array or scalar"


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind == "O":  # numbers held as objects, None as NaN
        w = object_to_float(w)
    if w.dtype.kind not in "biuf":
        raise TypeError(
            f"sample_weight must be an array of numbers, got dtype {w.dtype}"
        )
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    w = c_array(w, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(WEIGHTS_NOT_1D)
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n_samples,)}!")
    error = weight_values_error(np.isfinite(w).all(), (w < 0).any(), (w > 0).any())
    if error is not None:
        raise error
    return w


def weight_values_error(finite, negative, positive):
    """The error check_sample_weight raises for weights that are not all
    finite, or hold a negative value, or no positive one; None for good
    weights."""
    if not finite:
        return ValueError("Input sample_weight contains NaN or infinity.")
    if negative:
        return ValueError("Negative values in data passed to `sample_weight`")
    if not positive:
        return ValueError("Sample weights must contain at least one non-zero number.")
    return None
