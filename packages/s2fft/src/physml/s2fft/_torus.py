"""Exact resampling of ring profiles on the torus with FFTs (MW and MWSS rings).

For a signal band-limited at L, each ring profile G_m(θ) = Σ_ℓ x_ℓm d^ℓ_{m,n}(θ) is a
trigonometric polynomial of degree < L in θ, and d^ℓ_{mn}(−θ) = (−1)^{m−n} d^ℓ_{mn}(θ)
extends it to the torus with G_m(2π − θ) = (−1)^{m−n} G_m(θ) (McEwen & Wiaux 2011).  MW
rings give 2L−1 equispaced torus samples and MWSS rings 2L, enough to recover its 2L−1
Fourier coefficients with one FFT and to evaluate it on any other equispaced torus grid
with one inverse FFT: O(L² log L) instead of the O(L³) of a dense interpolation matrix.

Up to ``DENSE_MAX_L`` the same exact moves are applied as dense matrices instead, one real
(n_target, n_source) matrix per parity of m − n (:func:`matrices`, :func:`by_parity`):
a chain of moves (MW → Driscoll–Healy → weighted → MWSS in the forward transform) then
collapses into one matrix product, which XLA:CPU runs 4× faster than the four strided FFTs
along θ it replaces at L = 512 (one GEMM of (L+1)·nθ·2M flops).
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

DENSE_MAX_L = 1024
"""Largest band-limit whose ring moves are dense matrices (two of ≤ (2L)·(L+1) reals:
≤ 34 MiB at L = 1024); above it the O(L² log L) FFT route keeps memory O(L²) small."""

# name: (torus points N, offset θ_0 of point 0 in units of π/N, rings kept)
_GRIDS = {
    "mw": lambda L: (2 * L - 1, 1, L),
    "mwss": lambda L: (2 * L, 0, L + 1),
    "dh": lambda L: (4 * L, 1, 2 * L),
}


def _to_torus(g: jax.Array, parity, L: int, grid: str) -> jax.Array:
    """Ring samples (..., P, M, nθ) → torus samples (..., P, M, N) by the mirror symmetry."""
    size, _, rings = _GRIDS[grid](L)
    sign = jnp.where(jnp.asarray(parity), -1.0, 1.0).astype(jnp.finfo(g.dtype).dtype)[..., None]
    # torus point t ≥ rings sits at 2π − θ of ring size − t (MW: size − 1 − t).
    last = size - rings if grid == "mwss" else size - rings - 1
    mirrored = g[..., last - np.arange(size - rings)]
    return jnp.concatenate([g, sign * mirrored], axis=-1)


def dirichlet(L: int, target: str, source: str) -> np.ndarray:
    """K[j, t] = (1/N) Σ_{|k|<L} e^{ik(θ_j − θ_t)} from torus point t of ``source`` to ring j
    of ``target``: the degree < L trigonometric interpolant (exact whenever N ≥ 2L−1).

    Evaluated in closed form, K = sin((L − ½)x) / (N sin(x/2)) (K = (2L−1)/N at x = 0), with
    x = θ_j − θ_t = π·a/(N_j N) for an integer a reduced exactly modulo the period before the
    sines: every entry is correct to a few ulps, where summing the cosines in floating point
    loses ~L² ε through the rounding of the phases kθ (1e-13 at L = 512).
    """
    size, offset, _ = _GRIDS[source](L)
    out_size, out_offset, out_rings = _GRIDS[target](L)
    a = (out_offset + 2 * np.arange(out_rings))[:, None] * size
    b = (offset + 2 * np.arange(size))[None, :] * out_size
    num, den = a - b, 2 * size * out_size  # x = 2π num / den

    def sine(n):  # sin(π n / den), n reduced exactly to [−den, den)
        n = (n + den) % (2 * den) - den
        return np.sin(np.pi * n / den), n

    top, _ = sine((2 * L - 1) * num)
    bottom, reduced = sine(num)
    at_zero = reduced == 0
    return np.where(at_zero, 2 * L - 1, top / np.where(at_zero, 1, bottom)) / size


@lru_cache(maxsize=32)
def matrices(L: int, source: str, target: str) -> np.ndarray:
    """(2, n_target, n_source) exact moves of ring profiles, for m − n even (0) and odd (1).

    Row j evaluates at target ring θ_j the degree < L trigonometric interpolant of the torus
    samples (:func:`dirichlet`), with the mirrored torus point t ≥ n_source (at 2π − θ of
    ring N − θ_0 − t) folded onto its ring with the sign (−1)^{m−n}.  ``source``: ``"mw"``
    or ``"mwss"``; ``target``: any grid.
    """
    size, offset, rings = _GRIDS[source](L)
    full = dirichlet(L, target, source)
    mirrored = np.zeros((full.shape[0], rings))
    for t in range(rings, size):
        mirrored[:, size - offset - t] += full[:, t]
    out = np.stack([full[:, :rings] + mirrored, full[:, :rings] - mirrored])
    out.setflags(write=False)
    return out


def by_parity(mats: np.ndarray, g: jax.Array, parity: np.ndarray) -> jax.Array:
    """Σ_t mats[q, j, t] g[..., p, t, c] with q = parity[p, c],
    (..., P, n_in, M) → (..., P, n_out, M).

    ``parity`` (P, M) must alternate along the columns (as (m − n_p) mod 2 does), so the
    columns split into even and odd ones by a reshape, and both go through one real matrix
    product (real and imaginary parts side by side).
    """
    parity = np.asarray(parity, bool)
    if parity.shape[-1] > 1 and np.any(parity[:, 1:] == parity[:, :-1]):
        raise ValueError("the column parities of a ring move must alternate")
    rdt = jnp.finfo(g.dtype).dtype
    M, pad = g.shape[-1], g.shape[-1] % 2
    x = jnp.pad(g, [(0, 0)] * (g.ndim - 1) + [(0, pad)])
    x = x.reshape(*x.shape[:-1], (M + pad) // 2, 2)  # (..., P, n_in, M/2, column mod 2)
    flip = jnp.asarray(parity[:, 0])[:, None, None, None]
    x = jnp.where(flip, x[..., ::-1], x)  # last axis: parity 0, 1
    complex_in = jnp.iscomplexobj(x)
    parts = jnp.stack([x.real, x.imag], axis=-1) if complex_in else x[..., None]
    y = jnp.einsum("qjt,...ptcqr->...pjcqr", jnp.asarray(mats, rdt), parts.astype(rdt))
    y = lax.complex(y[..., 0], y[..., 1]) if complex_in else y[..., 0]
    y = jnp.where(flip, y[..., ::-1], y)
    return y.reshape(*y.shape[:-2], M + pad)[..., :M]


def move(g: jax.Array, parity: np.ndarray, L: int, source: str, target: str) -> jax.Array:
    """:func:`resample` as a dense matrix product up to ``DENSE_MAX_L`` (same result);
    ``parity`` is a NumPy array here (the m-split path calls :func:`resample` with a traced one)."""
    if L <= DENSE_MAX_L:
        return by_parity(matrices(L, source, target), g, parity)
    return resample(g, parity, L, source, target)


def resample(g: jax.Array, parity, L: int, source: str, target: str) -> jax.Array:
    """Ring profiles on ``source`` rings (..., P, nθ, M) evaluated on ``target`` rings.

    ``parity`` (P, M) is True where m − n_p is odd (a NumPy or a traced JAX array).
    ``source`` is ``"mw"`` or ``"mwss"``; ``target`` is ``"mw"`` or ``"dh"``.  Exact for
    band-limited profiles (degree < L).  :func:`resample_columns` is the same move with the
    rings on the last axis.
    """
    moved = resample_columns(jnp.swapaxes(g, -1, -2), parity, L, source, target)
    return jnp.swapaxes(moved, -1, -2)


def resample_columns(g: jax.Array, parity, L: int, source: str, target: str) -> jax.Array:
    """:func:`resample` of profiles stored (..., P, M, nθ), each order's rings contiguous:
    the layout XLA:CPU's FFTs along θ read without a transpose.

    Two FFTs per order: the 2L−1 Fourier coefficients c_k of the torus samples, then the
    target rings as a (zero-padded) inverse FFT of c_k shifted by the target's offset.
    """
    out_rings = _GRIDS[target](L)[2]
    torus = _to_torus(g, parity, L, source)
    return _shift(torus, L, source, target, g.dtype)[..., :out_rings]


def _shift(torus: jax.Array, L: int, source: str, target: str, dtype) -> jax.Array:
    """Torus samples (..., N) on ``source`` → the whole ``target`` torus grid (..., N')."""
    size, offset, _ = _GRIDS[source](L)
    out_size, out_offset, _ = _GRIDS[target](L)
    spectrum = jnp.fft.fft(torus, axis=-1)
    # c_k of e^{ikθ} (k ≥ 0 first, then k < 0, the FFT order of the target grid): the
    # spectrum · e^{−ik θ_0} / N, shifted to the target grid.
    k = np.concatenate([np.arange(L), np.arange(-(L - 1), 0)])
    phase = np.exp(1j * np.pi * k * (out_offset / out_size - offset / size)) / size
    cdt = jnp.result_type(dtype, jnp.complex64)
    gap = jnp.zeros((*spectrum.shape[:-1], out_size - 2 * L + 1), cdt)
    coeffs = [spectrum[..., :L], gap, spectrum[..., size - L + 1 :]]
    padded = jnp.concatenate(coeffs, axis=-1) * jnp.asarray(
        np.concatenate([phase[:L], np.ones(out_size - 2 * L + 1), phase[L:]]), cdt
    )
    values = jnp.fft.ifft(padded, axis=-1, norm="forward")
    return (
        values.astype(dtype)
        if jnp.issubdtype(dtype, jnp.complexfloating)
        else values.real.astype(dtype)
    )


def resample_pairs(g: jax.Array, parity: np.ndarray, L: int, source: str, target: str):
    """:func:`resample_columns` with two orders per FFT: half the FFTs.

    An even profile e (G(2π − θ) = G(θ)) and an odd one o share one torus: z = e + o on the
    rings and z(2π − θ) = e(θ) − o(θ) on their mirrors.  Moving z is linear, so the target
    torus holds w(θ') = e(θ') + o(θ') and, at the mirror ring 2π − θ', e(θ') − o(θ'): the
    half sum and half difference separate them.  The orders (2i, 2i+1) form the pairs (a
    zero order pads an odd M); which one is even is set by the parity of the first.

    ``parity`` (P, M) or (M,) must be a NumPy array alternating along the orders (it does
    for a fixed n).  The result equals :func:`resample_columns` for profiles that have
    their parity, i.e. whose odd orders vanish on the pole rings, as every band-limited
    profile d^ℓ_{mn}(θ) with m − n odd does (the precompute inverse's Legendre sums); on
    arbitrary ring samples the two moves differ by what they assume at the poles.
    """
    parity = np.asarray(parity, bool)
    if parity.shape[-1] > 1 and np.any(parity[..., 1:] == parity[..., :-1]):
        raise ValueError("resample_pairs needs parities alternating along the orders")
    size, _, rings = _GRIDS[source](L)
    out_size, out_offset, out_rings = _GRIDS[target](L)
    M, pad = g.shape[-2], g.shape[-2] % 2
    x = jnp.pad(g, [(0, 0)] * (g.ndim - 2) + [(0, pad), (0, 0)])
    x = x.reshape(*x.shape[:-2], (M + pad) // 2, 2, x.shape[-1])
    a, b = x[..., 0, :], x[..., 1, :]  # (..., P, M/2, nθ)
    sign = np.where(parity[..., :1], -1.0, 1.0)[..., None]  # −1: a is the odd one
    sign = jnp.asarray(sign, jnp.finfo(g.dtype).dtype)
    last = size - rings if source == "mwss" else size - rings - 1
    mirrored = (a - b)[..., last - np.arange(size - rings)]
    torus = jnp.concatenate([a + b, sign * mirrored], axis=-1)
    w = _shift(torus, L, source, target, g.dtype)
    j = np.arange(out_rings)
    here, there = w[..., :out_rings], w[..., (out_size - out_offset - j) % out_size]
    even, odd = (here + there) / 2, (here - there) / 2
    # a = even, b = odd where sign = +1; swapped where sign = −1
    a_out = jnp.where(sign > 0, even, odd)
    b_out = jnp.where(sign > 0, odd, even)
    y = jnp.stack([a_out, b_out], axis=-2)
    return y.reshape(*y.shape[:-3], M + pad, out_rings)[..., :M, :]
