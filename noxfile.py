"""Developer and CI sessions for the physml monorepo.

``nox -s lint tests`` is what CI runs (see ``.ci/run``). Sessions:

- ``tests``: one run per package, each in its own virtual environment holding ONLY that
  package (plus the sibling packages it declares) and its ``test`` extra, so an undeclared
  dependency on a sibling fails.  ``nox -s "tests(package='core')"`` runs one.
- ``slow``: the ``slow``-marked tests of each package (large band-limits).
- ``smoke``: plain ``pip install packages/<name>`` into an empty venv, then import it.
- ``integration``: every package installed together, running ``integration_tests/``.
- ``docs``: the Sphinx site, warnings are errors.
- ``bench``: one run per folder of ``benchmarks/``; peer libraries are installed here only.
- ``lint``: ``ruff format --check`` and ``ruff check``.
- ``demo``: the main job.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests", "integration"]

ROOT = Path(__file__).parent
PACKAGES_DIR = ROOT / "packages"
BENCH_DIR = ROOT / "benchmarks"
TEST_ENV = {"JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu", "PYTHONHASHSEED": "0"}


def _root_group(name: str) -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(data["dependency-groups"][name])


def _package_meta(name: str) -> dict:
    return tomllib.loads((PACKAGES_DIR / name / "pyproject.toml").read_text())["project"]


def _packages() -> list[str]:
    return sorted(p.parent.name for p in PACKAGES_DIR.glob("*/pyproject.toml"))


def _benchmarks() -> list[str]:
    return sorted(p.parent.name for p in BENCH_DIR.glob("*/run.py"))


def _sibling_closure(name: str, extra: str | None = None) -> list[str]:
    """The package and every physml sibling it declares, transitively (declared deps only).

    With ``extra``, the siblings named in that optional-dependency group of ``name`` itself
    (e.g. a ``test`` extra that needs ``physml-s2wav`` for an optional ``sphere`` feature)
    are included too; siblings are not on PyPI, so they must be installed from their folders.
    """
    seen: list[str] = []
    meta = _package_meta(name)
    todo = [name]
    if extra:
        todo += _sibling_names(meta.get("optional-dependencies", {}).get(extra, []))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo += _sibling_names(_package_meta(current).get("dependencies", []))
    return seen


def _sibling_names(requirements: list[str]) -> list[str]:
    names = []
    for requirement in requirements:
        match = re.match(r"physml-([a-z0-9]+)", requirement.strip())
        if match:
            names.append(match.group(1))
    return names


def _install_packages(session: nox.Session, names: list[str], extra: str | None) -> None:
    """Install local packages non-editable (so the built wheel is what gets tested)."""
    if not names:
        return
    targets = []
    for name in names:
        path = f"./packages/{name}"
        targets.append(f"{path}[{extra}]" if extra else path)
    reinstall = [arg for name in names for arg in ("--reinstall-package", f"physml-{name}")]
    session.install(*reinstall, *targets)


@nox.session
@nox.parametrize("package", _packages())
def tests(session: nox.Session, package: str) -> None:
    """Run one package's unit tests in a venv that holds only that package."""
    siblings = [name for name in _sibling_closure(package, "test") if name != package]
    session.install(*_root_group("test"))
    _install_packages(session, siblings, extra=None)
    _install_packages(session, [package], extra="test")
    args = session.posargs or ["-m", "not slow", "-n", "2", "-q"]
    session.run("pytest", f"packages/{package}/tests", *args, env=TEST_ENV)


@nox.session
@nox.parametrize("package", _packages())
def slow(session: nox.Session, package: str) -> None:
    """Run one package's slow tests (large band-limits)."""
    siblings = [name for name in _sibling_closure(package, "test") if name != package]
    session.install(*_root_group("test"))
    _install_packages(session, siblings, extra=None)
    _install_packages(session, [package], extra="test")
    # Exit code 5 (no test collected) is fine: not every package has slow tests.
    session.run(
        "pytest",
        f"packages/{package}/tests",
        "-m",
        "slow",
        "-q",
        *session.posargs,
        env=TEST_ENV,
        success_codes=[0, 5],
    )


@nox.session(venv_backend="venv")
@nox.parametrize("package", _packages())
def smoke(session: nox.Session, package: str) -> None:
    """Plain ``pip install packages/<name>`` into an empty venv, then import it.

    Sibling packages are not on PyPI yet, so the declared ones are pip-installed from their
    folders first, exactly as a user of this repository would.
    """
    for name in reversed(_sibling_closure(package)):
        session.run("python", "-m", "pip", "install", "--quiet", f"./packages/{name}")
    session.run("python", "-c", f"import physml.{package} as m; print(m.__name__, 'imports')")


@nox.session
def integration(session: nox.Session) -> None:
    """Install every package together and run the cross-package tests."""
    session.install(*_root_group("test"), *_root_group("demo"))
    _install_packages(session, _packages(), extra="test")
    args = session.posargs or ["-q", "--durations=5"]
    session.run("pytest", "integration_tests", *args, env=TEST_ENV)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the Sphinx site; any warning is an error."""
    session.install(*_root_group("docs"))
    _install_packages(session, _packages(), extra=None)
    for stale in (ROOT / "docs").glob("*/_autosummary"):  # stubs of renamed/removed modules
        shutil.rmtree(stale)
    session.run(
        "sphinx-build",
        "-E",  # fresh environment: an incremental build would hide warnings of unchanged pages
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session
@nox.parametrize("name", _benchmarks())
def bench(session: nox.Session, name: str) -> None:
    """Run one benchmark folder side by side with its peer libraries.

    Each ``benchmarks/<name>/`` has ``run.py`` and a ``requirements.txt`` naming the peer
    libraries it compares against; they are installed into this session's venv only.
    """
    folder = BENCH_DIR / name
    session.install(*_root_group("bench"))
    requirements = folder / "requirements.txt"
    if requirements.exists():
        # pip's local wheel folders (e.g. the CPU-only torch wheel) are not seen by uv unless
        # passed on: without this a torch pin would pull the CUDA build from the index.
        links = [
            arg
            for path in os.environ.get("PIP_FIND_LINKS", "").split()
            for arg in ("--find-links", path)
        ]
        session.install(*links, "-r", str(requirements))
    _install_packages(session, _packages(), extra=None)
    env = {"JAX_ENABLE_X64": "1", "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "")}
    session.run("python", str(folder / "run.py"), *session.posargs, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """Formatting and static checks."""
    session.install("ruff>=0.8")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the cross-package chain on its embedded default data (``demo/run.py``).

    ``nox -s demo`` runs the full size; ``nox -s demo -- --quick`` the CI-sized one.
    """
    _install_packages(session, _packages(), extra=None)
    session.install(*_root_group("demo"))
    session.run("python", "demo/run.py", *session.posargs, env=TEST_ENV)
