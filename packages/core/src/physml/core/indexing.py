"""Harmonic coefficient layouts.

Three layouts of the coefficients f_ℓm (0 ≤ ℓ < L, −ℓ ≤ m ≤ ℓ) of a signal band-limited at L:

- **dense** ``flm[..., ℓ, L−1+m]`` of shape ``(L, 2L−1)``, the layout of the established
  s2fft; entries with m outside [−ℓ, ℓ] are zero.  Every physml transform takes and returns it.
- **compact** ``flm[..., ℓ² + ℓ + m]`` of shape ``(L²,)``, no padding.
- **healpy** ``alm[..., m(2L−1−m)/2 + ℓ]`` of shape ``(L(L+1)/2,)`` with only m ≥ 0, the
  ordering of healpy's ``Alm.getidx(lmax=L−1, l, m)`` for real signals, where the negative
  orders follow from f_{ℓ,−m} = (−1)^m conj(f_ℓm).

Conversions are gathers with static index arrays, so they jit, differentiate and vmap; leading
batch axes are carried through.
"""

from __future__ import annotations

from functools import lru_cache

import jax.numpy as jnp
import numpy as np
from jax import Array

from .validation import validate_L, validate_shape


def flm_shape(L: int) -> tuple[int, int]:
    """Shape ``(L, 2L−1)`` of the dense layout."""
    L = validate_L(L)
    return (L, 2 * L - 1)


def elm2ind(ell: int | np.ndarray, m: int | np.ndarray) -> int | np.ndarray:
    """Compact index ℓ² + ℓ + m."""
    return ell * ell + ell + m


def ind2elm(ind: int | np.ndarray) -> tuple[int | np.ndarray, int | np.ndarray]:
    """Inverse of :func:`elm2ind`: ``(ℓ, m)`` of a compact index."""
    ell = np.floor(np.sqrt(np.asarray(ind, dtype=np.float64))).astype(np.int64)
    m = np.asarray(ind) - ell * ell - ell
    if np.ndim(ind) == 0:
        return int(ell), int(m)
    return ell, m


def healpy_index(L: int, ell: int | np.ndarray, m: int | np.ndarray) -> int | np.ndarray:
    """healpy's alm index for (ℓ, m ≥ 0) with lmax = L − 1: m(2L−1−m)/2 + ℓ."""
    return m * (2 * L - 1 - m) // 2 + ell


def healpy_size(L: int) -> int:
    """Number of healpy alm coefficients, L(L+1)/2."""
    L = validate_L(L)
    return L * (L + 1) // 2


@lru_cache(maxsize=64)
def valid_mask(L: int) -> np.ndarray:
    """Boolean ``(L, 2L−1)`` mask of the dense entries with −ℓ ≤ m ≤ ℓ."""
    ell = np.arange(L)[:, None]
    m = np.arange(-(L - 1), L)[None, :]
    mask = np.abs(m) <= ell
    mask.setflags(write=False)
    return mask


@lru_cache(maxsize=64)
def _compact_positions(L: int) -> tuple[np.ndarray, np.ndarray]:
    ell, m = ind2elm(np.arange(L * L))
    return ell, m + L - 1


@lru_cache(maxsize=64)
def _healpy_positions(L: int) -> tuple[np.ndarray, np.ndarray]:
    m, ell = np.nonzero(np.arange(L)[None, :] >= np.arange(L)[:, None])
    order = np.argsort(healpy_index(L, ell, m), kind="stable")
    return ell[order], m[order]


def flm_2d_to_1d(flm: Array, L: int) -> Array:
    """Dense ``(..., L, 2L−1)`` → compact ``(..., L²)``."""
    L = validate_L(L)
    validate_shape(flm, flm_shape(L), name="flm", context=f"L={L}", batch_ok=True)
    ell, col = _compact_positions(L)
    return jnp.asarray(flm)[..., ell, col]


def flm_1d_to_2d(flm: Array, L: int) -> Array:
    """Compact ``(..., L²)`` → dense ``(..., L, 2L−1)`` (zeros outside −ℓ ≤ m ≤ ℓ)."""
    L = validate_L(L)
    validate_shape(
        flm, (L * L,), name="flm", context=f"the compact layout with L={L}", batch_ok=True
    )
    flm = jnp.asarray(flm)
    ell, col = _compact_positions(L)
    out = jnp.zeros((*flm.shape[:-1], L, 2 * L - 1), dtype=flm.dtype)
    return out.at[..., ell, col].set(flm)


def flm_to_healpy(flm: Array, L: int) -> Array:
    """Dense ``(..., L, 2L−1)`` → healpy ``(..., L(L+1)/2)`` (the m ≥ 0 half)."""
    L = validate_L(L)
    validate_shape(flm, flm_shape(L), name="flm", context=f"L={L}", batch_ok=True)
    ell, m = _healpy_positions(L)
    return jnp.asarray(flm)[..., ell, L - 1 + m]


def healpy_to_flm(alm: Array, L: int) -> Array:
    """healpy ``(..., L(L+1)/2)`` → dense ``(..., L, 2L−1)`` of a real signal.

    Negative orders are filled by reality, f_{ℓ,−m} = (−1)^m conj(f_ℓm).
    """
    L = validate_L(L)
    validate_shape(
        alm, (healpy_size(L),), name="alm", context=f"healpy ordering with L={L}", batch_ok=True
    )
    alm = jnp.asarray(alm)
    ell, m = _healpy_positions(L)
    out = jnp.zeros((*alm.shape[:-1], L, 2 * L - 1), dtype=alm.dtype)
    out = out.at[..., ell, L - 1 + m].set(alm)
    sign = jnp.asarray(np.where(m % 2 == 1, -1.0, 1.0), dtype=alm.real.dtype)
    negative = m > 0
    return out.at[..., ell[negative], L - 1 - m[negative]].set(
        sign[negative] * jnp.conj(alm[..., negative])
    )
