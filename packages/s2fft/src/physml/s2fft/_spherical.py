"""Spin spherical harmonic transforms on the sphere, on-the-fly ("jax") path.

Convention (identical to the established s2fft, Price & McEwen 2024; McEwen & Wiaux 2011):

    sY_ℓm(θ, φ) = (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ) e^{imφ},
    f(θ, φ) = Σ_{ℓ<L} Σ_{|m|≤ℓ} f_ℓm sY_ℓm(θ, φ),     f_ℓm = ∫ f sY*_ℓm dΩ,

with d^ℓ_{mn} in the Condon–Shortley convention of :mod:`physml.core.wigner` and f_ℓm in the
dense layout ``flm[..., ℓ, L−1+m]``.

inverse:  f = ring_fft⁻¹[ Σ_ℓ (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ_t) f_ℓm ]
forward:  f_ℓm = (−1)^s sqrt((2ℓ+1)/4π) 2π ∫ G_m(θ) d^ℓ_{m,−s}(θ) sin θ dθ, evaluated exactly
          (see :mod:`physml.s2fft._quadrature`), plus ``iter`` Jacobi refinements
          f_ℓm ← f_ℓm + forward(f − inverse(f_ℓm)) for HEALPix, where no exact rule exists.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import ring_fft

from . import _legendre, _quadrature


def ell_scale(L: int, spin, dtype) -> jax.Array:
    """(L, 1) column (−1)^s sqrt((2ℓ+1)/4π); ``spin`` may be traced."""
    sign = (1 - 2 * (jnp.asarray(spin, jnp.int32) & 1)).astype(dtype)
    return sign * jnp.asarray(np.sqrt((2 * np.arange(L) + 1) / (4 * np.pi)), dtype)[:, None]


def hermitian_fill(flm_pos: jax.Array, L: int) -> jax.Array:
    """Dense (..., L, 2L−1) from the m ≥ 0 columns (..., L, L): f_{ℓ,−m} = (−1)^m conj f_ℓm."""
    sign = jnp.asarray(np.where(np.arange(1, L) % 2 == 1, -1.0, 1.0), flm_pos.real.dtype)
    negative = (sign * jnp.conj(flm_pos[..., 1:]))[..., ::-1]
    return jnp.concatenate([negative, flm_pos], axis=-1)


def ring_coefficients(f, L, sampling, nside, reality):
    """Ring Fourier coefficients (..., nθ, 2L−1) of ``f``; with ``reality`` the orders m ≥ 0
    only, (..., nθ, L), by a real FFT."""
    fft = ring_fft.forward_real if reality else ring_fft.forward
    return fft(f, L, sampling, nside or None)


def ring_signal(g, L, sampling, nside, reality):
    """The signal on the rings from ring coefficients :func:`ring_coefficients` returns."""
    fft = ring_fft.inverse_real if reality else ring_fft.inverse
    return fft(g, L, sampling, nside or None)


def _real_dtype(x: jax.Array):
    return jnp.finfo(x.dtype).dtype


@partial(jax.jit, static_argnames=("spin", "L", "sampling", "nside", "reality"))
def inverse_jax(flm, spin, *, L, sampling, nside, reality):
    """On-the-fly inverse transform of validated complex ``flm`` (..., L, 2L−1); static spin."""
    x = (flm * ell_scale(L, spin, _real_dtype(flm)))[..., None, :, :]
    if reality:  # real signal: sum the orders m ≥ 0 only, F_t(−m) = conj F_t(m)
        g = _legendre.synthesis(x[..., L - 1 :], (0,), L, (sampling, nside), half=True)
    else:
        g = _legendre.synthesis(x, (-spin,), L, (sampling, nside))
    return ring_signal(g[..., 0, :, :], L, sampling, nside, reality)


def _forward_once(f, L, spin, sampling, nside, reality=False):
    """One quadrature pass; with ``reality`` (spin 0, real f) the m ≥ 0 columns (..., L, L)."""
    F = ring_coefficients(f, L, sampling, nside, reality)[..., None, :, :]
    y = _quadrature.quadrature_analysis(F, (-spin,), L, sampling, nside, half=reality)
    return y[..., 0, :, :] * ell_scale(L, spin, _real_dtype(y))


@partial(jax.jit, static_argnames=("spin", "L", "sampling", "nside", "reality", "iter"))
def forward_jax(f, spin, *, L, sampling, nside, reality, iter):
    """On-the-fly forward transform of a validated signal ``f`` (..., *f_shape); static spin."""
    flm = _forward_once(f, L, spin, sampling, nside, reality)
    full = partial(hermitian_fill, L=L) if reality else (lambda y: y)

    def refine(_, flm):
        approx = inverse_jax(full(flm), spin, L=L, sampling=sampling, nside=nside, reality=reality)
        return flm + _forward_once(f - approx, L, spin, sampling, nside, reality)

    if iter:
        flm = jax.lax.fori_loop(0, iter, refine, flm)
    return full(flm)
