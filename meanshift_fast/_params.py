"""The parameters both estimators share, and the one rule each is read by.

``meanshift_fast.MeanShift`` and ``meanshift_fast.dask.MeanShift`` take the
same mean-shift parameters; both validate them here, so that a value is
accepted or refused, with the same message, whichever estimator it is given
to.  Each estimator then checks the parameters of its own.
"""

import numpy as np

from meanshift_fast._validation import (
    as_float,
    check_bool,
    check_choice,
    check_int,
    check_n_jobs,
    is_real,
    param_error,
)

KERNELS = ("flat", "gaussian", "epanechnikov")

# Both estimators' shared parameters and their defaults.
SHARED_DEFAULTS = {
    "bandwidth": None,
    "seeds": None,
    "bin_seeding": False,
    "min_bin_freq": 1,
    "cluster_all": True,
    "n_jobs": None,
    "max_iter": 300,
    "kernel": "flat",
    "gaussian_tol": 1e-8,
}


class EstimatorProtocol:
    """scikit-learn's estimator protocol (get_params, set_params, a repr
    that shows the changed parameters, clone, tags, is-fitted), over the
    class's ``_DEFAULTS``, without importing scikit-learn."""

    _DEFAULTS: dict = {}
    # parameters a clone shares rather than copies (a cluster's client)
    _SHARED: tuple = ()

    def __sklearn_clone__(self):
        """scikit-learn's clone: the parameters deep-copied but for those
        in _SHARED, and the metadata requests, as its default clone does."""
        import copy

        clone = type(self)(**{
            name: value if name in self._SHARED else copy.deepcopy(value)
            for name, value in self.get_params().items()
        })  # fmt: skip
        if "_metadata_request" in self.__dict__:
            clone._metadata_request = copy.deepcopy(self._metadata_request)
        return clone

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags  # type: ignore[import-untyped]

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
        )

    def __sklearn_is_fitted__(self):
        return hasattr(self, "cluster_centers_")

    @classmethod
    def _param_defaults(cls):
        """The parameters and defaults of this class's __init__: _DEFAULTS,
        or a subclass's own signature, as scikit-learn reads it."""
        owner = next(c for c in cls.__mro__ if "__init__" in c.__dict__)
        if "_DEFAULTS" in owner.__dict__:
            return owner._DEFAULTS
        import inspect

        return {
            p.name: p.default
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def get_params(self, deep=True):
        """Parameters of this estimator, as a dict."""
        return {name: getattr(self, name) for name in self._param_defaults()}

    def set_params(self, **params):
        """Set parameters; validation happens in ``fit``."""
        valid = self._param_defaults()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self!r}. "
                    f"Valid parameters are: {sorted(valid)!r}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = []
        for name, default in self._param_defaults().items():
            value = getattr(self, name, default)
            same = value is default or (
                not isinstance(value, np.ndarray)
                and type(value) is type(default)
                and value == default
            )
            if not same:
                changed.append(f"{name}={value!r}")
        return _cut(f"{type(self).__name__}({', '.join(changed)})")

    def _repr_html_(self):
        """A notebook's view: scikit-learn's diagram of the estimator, as its
        own estimators show, where scikit-learn is installed and its display
        is "diagram"; None (the plain repr) otherwise.  scikit-learn is
        imported here, at display time only."""
        try:
            import sklearn  # type: ignore[import-untyped]
            from sklearn.utils import (  # type: ignore[import-untyped]
                estimator_html_repr,
            )
        except ImportError:
            return None
        if sklearn.get_config().get("display", "diagram") != "diagram":
            return None
        return estimator_html_repr(self)


# scikit-learn's reprs show at most about this many non-blank characters.
_REPR_CHARS = 700


def _cut(text):
    """text with its middle replaced by "..." where it has more than
    _REPR_CHARS non-blank characters, as scikit-learn cuts its reprs: half
    of them kept from each end, the end's part from the start of a line
    where the two parts lie on different lines."""
    if len("".join(text.split())) <= _REPR_CHARS:
        return text
    import re

    keep = r"^(\s*\S){%d}" % (_REPR_CHARS // 2)
    left = re.match(keep, text).end()
    right = re.match(keep, text[::-1]).end()
    if "\n" in text[left:-right]:
        right = re.match(keep + r"[^\n]*\n", text[::-1]).end()
    if left + len("...") < len(text) - right:
        return text[:left] + "..." + text[-right:]
    return text


RULES = ("scott", "silverman")


def check_bandwidth(owner, bw, *, per_feature=True, rules=RULES):
    """None, a positive finite float, a rule's name among ``rules``, or
    (with ``per_feature``) a 1-D array of positive finite floats."""
    if isinstance(bw, str):
        check_choice(owner, "bandwidth", bw, rules)
    elif bw is not None and not (is_real(bw) and bw > 0):
        arr = None if is_real(bw) or not per_feature else np.asarray(bw)
        if arr is None or arr.ndim != 1 or arr.dtype.kind not in "iuf":
            expected = "a float in the range (0, inf)"
            if per_feature:
                expected += ", an array of them"
            if rules:
                names = ", ".join(repr(r) for r in sorted(rules))
                expected += ", a str among {%s}" % names
            raise param_error(owner, "bandwidth", bw, expected + " or None")
        if not (np.isfinite(arr).all() and (arr > 0).all()):
            raise param_error(
                owner, "bandwidth", bw, "positive and finite in every feature"
            )
    if is_real(bw) and not np.isfinite(as_float(bw)):
        raise param_error(owner, "bandwidth", bw, "a float in the range (0, inf)")


def check_gaussian_tol(owner, tol):
    if not (is_real(tol) and 0 <= tol < 1):
        raise param_error(owner, "gaussian_tol", tol, "a float in the range [0, 1)")


def check_shared_params(est, *, per_feature_bandwidth=True, rules=RULES):
    """Validate the mean-shift parameters that both estimators take."""
    owner = type(est).__name__
    check_bandwidth(
        owner, est.bandwidth, per_feature=per_feature_bandwidth, rules=rules
    )
    check_bool(owner, "bin_seeding", est.bin_seeding)
    check_int(owner, "min_bin_freq", est.min_bin_freq, 1)
    check_bool(owner, "cluster_all", est.cluster_all)
    check_n_jobs(owner, est.n_jobs)
    check_int(owner, "max_iter", est.max_iter, 0)
    check_choice(owner, "kernel", est.kernel, KERNELS)
    check_gaussian_tol(owner, est.gaussian_tol)


def stop_thresh(h):
    """scikit-learn's stopping rule: a seed stops once its step is at most
    1e-3 of the bandwidth."""
    return 1e-3 * h
