"""Wigner transforms: signals on the rotation group SO(3) with N directions.

Convention (identical to the established s2fft; McEwen et al. 2015)::

    D^ℓ_{mn}(α, β, γ) = e^{−imα} d^ℓ_{mn}(β) e^{−inγ},
    f(α, β, γ) = Σ_{|n|<N} Σ_{ℓ<L} Σ_{|m|≤ℓ} (2ℓ+1)/(8π²) f_ℓmn D^{ℓ*}_{mn}(α, β, γ),
    f_ℓmn = ∫_{SO(3)} f D^ℓ_{mn} dα sin β dβ dγ,

on the samples (γ_k, β_t, α_p) of :func:`physml.core.sampling.so3_shape`:
``f[..., k, t, p]`` of shape ``(2N−1, *f_shape(L, sampling, nside))`` with γ_k = 2πk/(2N−1),
and ``flmn[..., N−1+n, ℓ, L−1+m]`` of shape ``(2N−1, L, 2L−1)``.

For each n the (α, β) part is a spin transform with d^ℓ_{mn}: the ℓ-sums run in one streamed
recursion for all 2N−1 orders n at once (vectorised over n, not a Python loop), so the
transform is exact and stable for every N ≤ L and compiles once per (L, N, sampling).  The γ
integral is an exact DFT (−N < n < N on 2N−1 samples).  The forward β integral uses the exact
quadrature of :mod:`physml.s2fft._quadrature` (MW/MWSS resampled exactly onto the
Driscoll–Healy rings).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import ring_fft
from physml.core import sampling as _sampling
from physml.core.validation import (
    as_complex,
    check_finite,
    validate_dtype,
    validate_geometry,
    validate_N,
    validate_shape,
)

from . import _legendre, _quadrature

__all__ = ["forward", "inverse"]


def _orders(N: int) -> jax.Array:
    return jnp.arange(-(N - 1), N, dtype=jnp.int32)


def _ell_weight(L: int, dtype) -> jax.Array:
    return jnp.asarray((2 * np.arange(L) + 1) / (8 * np.pi**2), dtype)[:, None]


@partial(jax.jit, static_argnames=("L", "N", "sampling", "nside"))
def _inverse(flmn, *, L, N, sampling, nside):
    x = flmn * _ell_weight(L, jnp.finfo(flmn.dtype).dtype)
    g = _legendre.synthesis(x, _orders(N), L, (sampling, nside))
    fn = ring_fft.inverse(g, L, sampling, nside or None)  # (..., 2N−1, *f_shape)
    axis = fn.ndim - len(_sampling.f_shape(L, sampling, nside or None)) - 1
    return jnp.fft.ifft(jnp.fft.ifftshift(fn, axes=axis), axis=axis, norm="forward")


@partial(jax.jit, static_argnames=("L", "N", "sampling", "nside"))
def _forward(f, *, L, N, sampling, nside):
    axis = f.ndim - len(_sampling.f_shape(L, sampling, nside or None)) - 1
    fn = jnp.fft.fftshift(jnp.fft.fft(f, axis=axis), axes=axis) * (2 * np.pi / (2 * N - 1))
    F = ring_fft.forward(fn, L, sampling, nside or None)
    return _quadrature.quadrature_analysis(F, _orders(N), L, sampling, nside)


def _check(L, N, sampling, nside):
    L, sampling, nside = validate_geometry(L, sampling, nside)
    return L, validate_N(N, L), sampling, nside


def inverse(
    flmn: jax.Array, L: int, N: int, sampling: str = "mw", nside: int | None = None
) -> jax.Array:
    """Signal on SO(3) from Wigner coefficients.

    Parameters
    ----------
    flmn : (..., 2N−1, L, 2L−1) complex ``flmn[..., N−1+n, ℓ, L−1+m]``.
    L : band-limit; N : number of directions, 1 ≤ N ≤ L (both static).
    sampling, nside : sampling of (α, β) on the sphere.

    Returns
    -------
    (..., 2N−1, *f_shape(L, sampling, nside)) complex signal.
    """
    L, N, sampling, nside = _check(L, N, sampling, nside)
    validate_shape(
        flmn, _sampling.flmn_shape(L, N), name="flmn", context=f"L={L}, N={N}", batch_ok=True
    )
    validate_dtype(flmn, name="flmn")
    check_finite(flmn, name="flmn")
    return _inverse(as_complex(flmn), L=L, N=N, sampling=sampling, nside=nside)


def forward(
    f: jax.Array, L: int, N: int, sampling: str = "mw", nside: int | None = None
) -> jax.Array:
    """Wigner coefficients of a signal on SO(3), exact for band-limited signals (MW, MWSS, DH, GL).

    Parameters
    ----------
    f : (..., 2N−1, *f_shape(L, sampling, nside)) signal.
    L, N, sampling, nside : as in :func:`inverse`.

    Returns
    -------
    (..., 2N−1, L, 2L−1) complex ``flmn``.
    """
    L, N, sampling, nside = _check(L, N, sampling, nside)
    shape = _sampling.so3_shape(L, N, sampling, nside or None)
    context = f"sampling={sampling!r} with L={L}, N={N}"
    validate_shape(f, shape, name="f", context=context, batch_ok=True)
    validate_dtype(f, name="f")
    check_finite(f, name="f")
    return _forward(as_complex(f), L=L, N=N, sampling=sampling, nside=nside)
