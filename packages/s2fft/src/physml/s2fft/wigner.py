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

``reality=True`` (a real signal on SO(3)) uses f_{ℓ,−m,−n} = (−1)^{m−n} conj f_ℓmn: only the
orders n ≥ 0 are transformed (half the work); ``method="precompute"`` contracts with kernels
built once by :func:`precompute_kernels` (size from :func:`kernel_nbytes`).
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
from . import _wigner_precompute as _wp
from ._wigner_precompute import WignerKernels, precompute_kernels

__all__ = ["METHODS", "WignerKernels", "forward", "inverse", "kernel_nbytes", "precompute_kernels"]

METHODS: tuple[str, ...] = ("jax", "precompute")


def _ell_weight(L: int, dtype) -> jax.Array:
    return jnp.asarray((2 * np.arange(L) + 1) / (8 * np.pi**2), dtype)[:, None]


def _fill_negative_orders(pos: jax.Array, L: int, N: int) -> jax.Array:
    """(..., N, L, 2L−1) orders n ≥ 0 → all 2N−1 by f_{ℓ,−m,−n} = (−1)^{m−n} conj f_ℓmn."""
    k = np.arange(1, N)[:, None, None]
    m = np.arange(-(L - 1), L)[None, None, :]
    sign = jnp.asarray((-1.0) ** (m + k), pos.real.dtype)
    negative = (sign * jnp.conj(pos[..., 1:, :, ::-1]))[..., ::-1, :, :]
    return jnp.concatenate([negative, pos], axis=-3)


def _gamma_axis(x, L, sampling, nside):
    return x.ndim - len(_sampling.f_shape(L, sampling, nside or None)) - 1


@partial(jax.jit, static_argnames=("L", "N", "sampling", "nside", "reality"))
def _inverse(flmn, kernel, *, L, N, sampling, nside, reality):
    if reality:
        flmn = flmn[..., N - 1 :, :, :]
    x = flmn * _ell_weight(L, jnp.finfo(flmn.dtype).dtype)
    if kernel is None:
        g = _legendre.synthesis(x, _wp.orders(N, reality), L, (sampling, nside))
    else:
        g = _wp.synthesis(kernel, x)
    fn = ring_fft.inverse(g, L, sampling, nside or None)  # (..., P, *f_shape)
    axis = _gamma_axis(fn, L, sampling, nside)
    if reality:  # f real: the γ-Fourier components obey f_{−n} = conj f_n
        rest = jnp.flip(jax.lax.slice_in_dim(fn, 1, N, axis=axis), axis=axis)
        fn = jnp.concatenate([jnp.conj(rest), fn], axis=axis)
    f = jnp.fft.ifft(jnp.fft.ifftshift(fn, axes=axis), axis=axis, norm="forward")
    return f.real if reality else f


@partial(jax.jit, static_argnames=("L", "N", "sampling", "nside", "reality"))
def _forward(f, kernel, *, L, N, sampling, nside, reality):
    axis = _gamma_axis(f, L, sampling, nside)
    fn = jnp.fft.fftshift(jnp.fft.fft(f, axis=axis), axes=axis) * (2 * np.pi / (2 * N - 1))
    if reality:
        fn = jax.lax.slice_in_dim(fn, N - 1, 2 * N - 1, axis=axis)
    F = ring_fft.forward(fn, L, sampling, nside or None)
    orders = _wp.orders(N, reality)
    if kernel is None:
        y = _quadrature.quadrature_analysis(F, orders, L, sampling, nside)
    else:
        h, _ = _quadrature.to_quadrature_rings(F, np.asarray(orders), L, sampling, nside)
        y = _wp.analysis(kernel, h)
    return _fill_negative_orders(y, L, N) if reality else y


def _check(L, N, sampling, nside, reality, method):
    L, sampling, nside = validate_geometry(L, sampling, nside)
    N = validate_N(N, L)
    if not isinstance(reality, bool | np.bool_):
        raise TypeError(f"reality must be True or False, got {reality!r}")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {METHODS}")
    return L, N, sampling, nside


def _kernel(method, precomps, L, N, sampling, nside, reality, forward):
    if method != "precompute":
        return None
    return _wp.check_kernels(precomps, L, N, sampling, nside, reality, forward).kernel


def kernel_nbytes(
    L: int,
    N: int,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    forward: bool = False,
    dtype=np.float64,
) -> int:
    """Bytes :func:`precompute_kernels` would allocate for these arguments (nothing is built)."""
    L, N, sampling, nside = _check(L, N, sampling, nside, reality, "jax")
    return _wp.nbytes(L, N, sampling, nside, bool(reality), forward, dtype)


def inverse(
    flmn: jax.Array,
    L: int,
    N: int,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    method: str = "jax",
    precomps: WignerKernels | None = None,
) -> jax.Array:
    """Signal on SO(3) from Wigner coefficients.

    Parameters
    ----------
    flmn : (..., 2N−1, L, 2L−1) complex ``flmn[..., N−1+n, ℓ, L−1+m]``.
    L : band-limit; N : number of directions, 1 ≤ N ≤ L (both static).
    sampling, nside : sampling of (α, β) on the sphere.
    reality : the signal is real; only the orders n ≥ 0 of ``flmn`` are read.
    method : ``"jax"`` (on the fly) or ``"precompute"`` (with ``precomps``).
    precomps : :func:`precompute_kernels` output (``forward=False``).

    Returns
    -------
    (..., 2N−1, *f_shape(L, sampling, nside)) signal, real if ``reality`` else complex.
    """
    L, N, sampling, nside = _check(L, N, sampling, nside, reality, method)
    validate_shape(
        flmn, _sampling.flmn_shape(L, N), name="flmn", context=f"L={L}, N={N}", batch_ok=True
    )
    validate_dtype(flmn, name="flmn")
    check_finite(flmn, name="flmn")
    kernel = _kernel(method, precomps, L, N, sampling, nside, reality, False)
    return _inverse(
        as_complex(flmn), kernel, L=L, N=N, sampling=sampling, nside=nside, reality=bool(reality)
    )


def forward(
    f: jax.Array,
    L: int,
    N: int,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    method: str = "jax",
    precomps: WignerKernels | None = None,
) -> jax.Array:
    """Wigner coefficients of a signal on SO(3), exact for band-limited signals (MW, MWSS, DH, GL).

    Parameters
    ----------
    f : (..., 2N−1, *f_shape(L, sampling, nside)) signal (real if ``reality``).
    L, N, sampling, nside, reality, method : as in :func:`inverse`.
    precomps : :func:`precompute_kernels` output (``forward=True``).

    Returns
    -------
    (..., 2N−1, L, 2L−1) complex ``flmn``.
    """
    L, N, sampling, nside = _check(L, N, sampling, nside, reality, method)
    shape = _sampling.so3_shape(L, N, sampling, nside or None)
    context = f"sampling={sampling!r} with L={L}, N={N}"
    validate_shape(f, shape, name="f", context=context, batch_ok=True)
    validate_dtype(f, name="f")
    check_finite(f, name="f")
    if reality and jnp.iscomplexobj(f):
        raise TypeError("reality=True needs a real signal f, got a complex array")
    kernel = _kernel(method, precomps, L, N, sampling, nside, reality, True)
    x = jnp.asarray(f) if reality else as_complex(f)
    return _forward(x, kernel, L=L, N=N, sampling=sampling, nside=nside, reality=bool(reality))
