"""Integration tests run against the installed packages, in float64.

The repository root is put on ``sys.path`` so that the tests can reuse the demo's building
blocks (``demo/``): the chain the tests check is the chain the demo runs.
"""

import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pytest_configure(config):
    # Not excluded anywhere: `nox -s integration` runs these; `-m "not demo"` skips them locally.
    config.addinivalue_line(
        "markers", "demo: runs the demo's --quick configuration end to end (about 2 min)"
    )
