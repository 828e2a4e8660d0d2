"""The example scripts run and draw their pictures (matplotlib extra)."""

import ast
import subprocess
import sys
from pathlib import Path

import matplotlib  # noqa: F401  (the test extras install it: no skip)
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "script, expect",
    [
        ("kde_surface.py", "3 modes"),
        ("trajectories.py", "3 modes"),
        ("color_quantization.py", "colours from"),
        ("bandwidth_sweep.py", " 5 clusters; saved"),
        ("image_segmentation.py", "regions from"),
    ],
)
def test_example_draws_png(tmp_path, script, expect):
    out = tmp_path / "picture.png"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert expect in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "script",
    sorted(p.name for p in EXAMPLES.glob("*.py")),
)
def test_example_help_says_its_first_paragraph(script):
    # --help shows the docstring's first paragraph whole, not a line of it
    # cut off mid-sentence.
    path = EXAMPLES / script
    result = subprocess.run(
        [sys.executable, str(path), "--help"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    first = ast.get_docstring(ast.parse(path.read_text())).split("\n\n")[0]
    assert " ".join(first.split()) in " ".join(result.stdout.split())
