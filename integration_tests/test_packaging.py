"""The monorepo's architecture, checked on the installed distributions.

- Every package under packages/ is installed and importable as ``physml.<name>`` from one
  PEP 420 namespace (no ``physml/__init__.py`` anywhere).
- Dependency arrows point only down DESIGN.md's table: a package's declared physml
  requirements are among those allowed, and its source imports no physml sibling that it does
  not declare (a hidden dependency would break a user's ``pip install physml-<name>``).
"""

import ast
import importlib
import importlib.metadata as md
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent.name for p in (ROOT / "packages").glob("*/pyproject.toml"))

# DESIGN.md, "Packages and what each owns": the physml siblings each package may depend on.
ALLOWED = {
    "core": set(),
    "s2fft": {"core"},
    "s2wav": {"core", "s2fft"},
    "s2scat": {"core", "s2fft", "s2wav"},
    "disco": {"core", "s2fft"},
    "harmonic": {"core"},
    "proxnest": {"core", "s2fft", "s2wav"},
}


def _declared_siblings(name: str, extras: bool = False) -> set[str]:
    """physml siblings in the package's metadata: required ones, plus optional extras'."""
    found = set()
    for requirement in md.requires(f"physml-{name}") or []:
        if "extra ==" in requirement and (not extras or 'extra == "test"' in requirement):
            continue
        match = re.match(r"physml-([a-z0-9]+)", requirement)
        if match:
            found.add(match.group(1))
    return found


def _imported_siblings(name: str) -> set[str]:
    found = set()
    for path in (ROOT / "packages" / name / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "physml" and len(parts) > 1 and parts[1] != name:
                    found.add(parts[1])
    return found


def test_every_package_is_known_to_the_design():
    assert set(PACKAGES) <= set(ALLOWED), set(PACKAGES) - set(ALLOWED)


@pytest.mark.parametrize("name", PACKAGES)
def test_package_imports_from_the_shared_namespace(name):
    module = importlib.import_module(f"physml.{name}")
    physml = importlib.import_module("physml")
    assert getattr(physml, "__file__", None) is None, "physml must be a PEP 420 namespace"
    assert md.version(f"physml-{name}").startswith("0.")
    assert Path(module.__file__).parent.name == name


@pytest.mark.parametrize("name", PACKAGES)
def test_dependency_arrows_point_down_the_design_table(name):
    declared = _declared_siblings(name)
    assert declared <= ALLOWED[name], f"physml-{name} declares {declared - ALLOWED[name]}"
    optional = _declared_siblings(name, extras=True)  # e.g. proxnest[sphere] → s2wav
    assert optional <= ALLOWED[name], f"physml-{name} extras declare {optional - ALLOWED[name]}"
    hidden = _imported_siblings(name) - optional
    assert not hidden, f"physml.{name} imports undeclared siblings {hidden}"


def test_no_namespace_init_is_shipped():
    assert not list((ROOT / "packages").glob("*/src/physml/__init__.py"))
    for dist in md.distributions():
        if (dist.metadata["Name"] or "").startswith("physml-"):
            files = [str(f) for f in dist.files or []]
            assert "physml/__init__.py" not in files, dist.metadata["Name"]
