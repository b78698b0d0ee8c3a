"""Argument checks used at every public boundary of physml.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong
value) with a message that names the argument and says what was expected, e.g.::

    ValueError: f has shape (32, 63) but sampling='mw' with L=33 needs (33, 65)

Checks on array *values* (NaN, Hermitian symmetry) are only possible on concrete arrays; under
``jax.jit`` tracing they are skipped, because a traced value has no value yet.  Shape and dtype
checks always run.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import jax
import numpy as np

SAMPLINGS: tuple[str, ...] = ("mw", "mwss", "dh", "gl", "healpix")
"""The sampling schemes on the sphere known to physml."""


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_concrete(x: object) -> bool:
    """True when ``x`` holds values (not a tracer inside ``jit``/``grad``/``vmap``)."""
    return not isinstance(x, jax.core.Tracer)


def validate_L(L: object, *, name: str = "L") -> int:
    """Check a band-limit: an integer ``L >= 1`` (harmonic degrees ``0 <= ℓ < L``)."""
    if not _is_int(L):
        raise TypeError(f"{name} must be an integer band-limit, got {L!r} ({type(L).__name__})")
    if L < 1:
        raise ValueError(f"{name} must be a band-limit >= 1, got {name}={L}")
    return int(L)


def validate_sampling(sampling: object) -> str:
    """Check a sampling name; returns it lower-cased."""
    if not isinstance(sampling, str):
        raise TypeError(f"sampling must be a string, one of {SAMPLINGS}, got {sampling!r}")
    key = sampling.lower()
    if key not in SAMPLINGS:
        raise ValueError(f"sampling={sampling!r} is not one of {SAMPLINGS}")
    return key


def validate_nside(nside: object, L: int | None = None) -> int:
    """Check a HEALPix resolution: a power of two, and ``L <= 3 nside`` when ``L`` is given."""
    if nside is None:
        raise ValueError("sampling='healpix' needs nside (a power of two), got nside=None")
    if not _is_int(nside):
        raise TypeError(f"nside must be an integer power of two, got {nside!r}")
    if nside < 1 or (nside & (nside - 1)) != 0:
        raise ValueError(f"nside must be a power of two >= 1, got nside={nside}")
    if L is not None and 3 * nside < L:
        raise ValueError(
            f"L={L} is too large for nside={nside}: HEALPix supports band-limits L <= 3*nside"
            f" = {3 * nside}"
        )
    return int(nside)


def validate_geometry(L: object, sampling: object, nside: object = None) -> tuple[int, str, int]:
    """Check ``(L, sampling, nside)`` together; returns ``(L, sampling, nside or 0)``."""
    L = validate_L(L)
    sampling = validate_sampling(sampling)
    if sampling == "healpix":
        return L, sampling, validate_nside(nside, L)
    if nside is not None:
        raise ValueError(f"nside={nside!r} is only meaningful for sampling='healpix'")
    return L, sampling, 0


def geometry_context(L: int, sampling: str, nside: int | None = None) -> str:
    """How a shape error names the scheme, e.g. ``"sampling='mw' with L=33"``."""
    if sampling == "healpix":
        return f"sampling='healpix' with nside={nside}, L={L}"
    return f"sampling={sampling!r} with L={L}"


def as_complex(x: object) -> jax.Array:
    """``x`` as a JAX array of the matching complex dtype (complex64 or complex128)."""
    x = jax.numpy.asarray(x)
    return x.astype(jax.numpy.result_type(x.dtype, jax.numpy.complex64))


def validate_spin(spin: object, L: int) -> int:
    """Check a spin weight: an integer with ``|spin| < L``."""
    if not _is_int(spin):
        raise TypeError(f"spin must be an integer, got {spin!r}")
    if abs(spin) >= L:
        raise ValueError(f"spin={spin} needs |spin| < L, but L={L}")
    return int(spin)


def validate_N(N: object, L: int) -> int:
    """Check a number of directions for SO(3) signals: ``1 <= N <= L``."""
    if not _is_int(N):
        raise TypeError(f"N (number of directions) must be an integer, got {N!r}")
    if not 1 <= N <= L:
        raise ValueError(f"N={N} directions needs 1 <= N <= L, but L={L}")
    return int(N)


def validate_dtype(x: object, *, name: str, complex_ok: bool = True) -> None:
    """Check that ``x`` has a floating (or complex, if allowed) dtype."""
    dtype = np.dtype(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)
    allowed = np.inexact if complex_ok else np.floating
    if not np.issubdtype(dtype, allowed):
        kinds = "floating or complex" if complex_ok else "real floating"
        raise TypeError(f"{name} must have a {kinds} dtype, got {dtype}")


def check_finite(x: object, *, name: str) -> None:
    """Raise if a concrete array holds NaN or inf (skipped under tracing)."""
    if not is_concrete(x):
        return
    arr = np.asarray(x)
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {n_bad} NaN or inf value(s)")


def validate_shape(
    x: object, expected: Sequence[int], *, name: str, context: str, batch_ok: bool = False
) -> None:
    """Check that ``x`` has shape ``expected`` (or ``(..., *expected)`` if ``batch_ok``).

    ``context`` says where the expectation comes from, e.g. ``"sampling='mw' with L=33"``.
    """
    shape = tuple(np.shape(x))
    expected = tuple(int(n) for n in expected)
    k = len(expected)
    ok = shape[-k:] == expected and len(shape) >= k if batch_ok else shape == expected
    if not ok:
        want = f"(..., {', '.join(map(str, expected))})" if batch_ok else str(expected)
        raise ValueError(f"{name} has shape {shape} but {context} needs {want}")


def check_hermitian(flm: object, L: int, *, name: str = "flm", rtol: float = 1e-6) -> None:
    """Check ``f_{ℓ,-m} = (-1)^m conj(f_{ℓm})``, the symmetry of the flm of a real field.

    ``flm`` is in the dense ``(..., L, 2L-1)`` layout. Skipped under tracing.
    """
    if not is_concrete(flm):
        return
    arr = np.asarray(flm)
    m = np.arange(-(L - 1), L)
    mirrored = ((-1.0) ** m) * np.conj(arr[..., ::-1])
    scale = max(float(np.max(np.abs(arr), initial=0.0)), np.finfo(np.float64).tiny)
    err = float(np.max(np.abs(arr - mirrored), initial=0.0))
    if err > rtol * scale:
        raise ValueError(
            f"{name} is not Hermitian (f_l,-m = (-1)^m conj f_lm fails by {err:.3g} relative to"
            f" max |{name}| = {scale:.3g}) but reality=True; pass reality=False for a complex"
            " signal"
        )
