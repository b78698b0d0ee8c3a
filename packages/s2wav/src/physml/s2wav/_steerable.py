"""Per-scale SO(3) transforms that use only the directions a steerable wavelet occupies.

A wavelet with azimuthal band-limit N has Ψ_ℓn ≠ 0 only for |n| < N with n ≡ N−1 (mod 2),
so its coefficients W(α, β, γ) = Σ_n g_n(α, β) e^{inγ} hold N of the 2N−1 orders n; for a
real signal g_{−n} = conj g_n, leaving ⌈N/2⌉ of them.  Each g_n is a spin transform
(McEwen et al. 2015, eq. 7), since e^{imα} d^ℓ_mn(β) = (−1)^n sqrt(4π/(2ℓ+1)) ₋ₙY_ℓm(β, α):

    g_n = inverse(c_ℓ W_ℓmn, spin=−n),          c_ℓ = (−1)^n sqrt((2ℓ+1)/4π) / 2π,
    W_ℓmn = 2π (−1)^n sqrt(4π/(2ℓ+1)) forward(g_n, spin=−n),

with g_n from W on 2K−1 samples of γ by an exact DFT (any K ≥ N_j; K > N_j oversamples γ).
This is the Wigner transform of :mod:`physml.s2fft.wigner` restricted to the occupied orders,
run through the spin transforms of physml.s2fft with any of their methods (``"jax"`` or
``"precompute"``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2


def orders(N: int, Nj: int, reality: bool) -> tuple[int, ...]:
    """The occupied orders n (|n| < N_j, n ≡ N−1 mod 2), only n ≥ 0 for a real signal."""
    ns = [n for n in range(-(Nj - 1), Nj) if (n + N) % 2 == 1]
    return tuple(n for n in ns if n >= 0) if reality else tuple(ns)


def _scale(L: int, n: int, dtype) -> jax.Array:
    ell = np.arange(L)
    return jnp.asarray((-1.0) ** n * np.sqrt((2 * ell + 1) / (4 * np.pi)) / (2 * np.pi), dtype)


def _gammas(K: int) -> np.ndarray:
    return 2 * np.pi * np.arange(2 * K - 1) / (2 * K - 1)


def _spin_call(fn, x, L, n, layout, kernels, real):
    kw = {"sampling": layout.sampling, "nside": layout.nside or None, "reality": real}
    if layout.method == "precompute":
        kw.update(method="precompute", precomps=kernels[(L, -n, real)])
    return fn(x, L, -n, **kw)


def _fdim(layout) -> int:
    return 1 if layout.sampling == "healpix" else 2


def inverse(wlmn: dict, G: int, N: int, Nj: int, K: int, layout, kernels) -> jax.Array:
    """SO(3) samples (…, 2K−1, *f_shape(G)) from W_ℓmn on the occupied orders.

    ``wlmn[n]`` is (…, G, 2G−1) for each n of :func:`orders`; γ is sampled at 2πk/(2K−1).
    """
    ns = orders(N, Nj, layout.reality)
    gs = []
    for n in ns:
        x = wlmn[n] * _scale(G, n, wlmn[n].real.dtype)[:, None]
        real = layout.reality and n == 0
        gs.append(_spin_call(s2.inverse, x, G, n, layout, kernels, real))
    cplx = _cplx(gs[-1])
    stacked = jnp.stack([g.astype(cplx) for g in gs], axis=-1)  # (…, *f_shape, orders)
    phase = np.exp(1j * np.outer(_gammas(K), ns))  # (2K−1, orders)
    if layout.reality:  # g_{−n} = conj g_n: W = g_0 + 2 Re Σ_{n>0} g_n e^{inγ}
        phase = phase * np.where(np.asarray(ns) == 0, 1.0, 2.0)
    w = stacked @ jnp.asarray(phase.T, cplx)
    if layout.reality:
        w = w.real
    return jnp.moveaxis(w, -1, -1 - _fdim(layout))


def forward(w: jax.Array, G: int, N: int, Nj: int, K: int, layout, kernels) -> dict:
    """W_ℓmn (…, G, 2G−1) on the occupied orders from 2K−1 samples of γ (exact, K ≥ N_j)."""
    ns = orders(N, Nj, layout.reality)
    cplx = _cplx(w)
    phase = np.exp(-1j * np.outer(_gammas(K), ns)) / (2 * K - 1)  # (2K−1, orders)
    gs = jnp.moveaxis(w, -1 - _fdim(layout), -1).astype(cplx) @ jnp.asarray(phase, cplx)
    out = {}
    for i, n in enumerate(ns):
        real = layout.reality and n == 0
        g = gs[..., i].real if real else gs[..., i]
        flm = _spin_call(s2.forward, g, G, n, layout, kernels, real)
        factor = 2 * np.pi * (-1.0) ** n * np.sqrt(4 * np.pi / (2 * np.arange(G) + 1))
        out[n] = flm * jnp.asarray(factor, flm.real.dtype)[:, None]
    return out


def _cplx(x):
    return jnp.result_type(x.dtype, jnp.complex64)
