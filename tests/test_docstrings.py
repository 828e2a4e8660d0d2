"""The Examples sections of the public docstrings run as written, print what
they show, and warn about nothing."""

import doctest
import importlib
import warnings

import pytest

MODULES = [
    "meanshift_fast._estimator",
    "meanshift_fast._select",
    "meanshift_fast._sweep",
    "meanshift_fast.image._pyr",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} examples of {name} failed"


def test_every_module_with_examples_is_listed():
    """A new Examples section is run by the test above."""
    from pathlib import Path

    import meanshift_fast

    root = Path(meanshift_fast.__file__).resolve().parent
    with_examples = {
        ".".join(("meanshift_fast", *p.relative_to(root).with_suffix("").parts))
        for p in root.rglob("*.py")
        if ">>> " in p.read_text(encoding="utf-8")
    }
    assert with_examples == set(MODULES)
