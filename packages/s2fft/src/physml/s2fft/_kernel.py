r"""The on-the-fly Legendre sums: d^ℓ_{mn}(θ_t) streamed over ℓ, folded, blocked, in place.

Both sums of :mod:`physml.s2fft._legendre` run the three-term recursion in ℓ (Varshalovich
et al. 1988, §4.8.2; Kostelec & Rockmore 2008) in its pole-adapted form: with
E^ℓ = d^ℓ − d^{ℓ−1} and h = sin²(θ/2),

.. math::
    E^ℓ = (κ_ℓ − 2α_ℓ h)\, d^{ℓ−1} + b_ℓ E^{ℓ−1}, \qquad d^ℓ = d^{ℓ−1} + E^ℓ,

α_ℓ = ℓ(2ℓ−1)/R_ℓ, b_ℓ = ℓR_{ℓ−1}/((ℓ−1)R_ℓ), R_ℓ = sqrt((ℓ²−m²)(ℓ²−n²)), and κ_ℓ the
cancellation-free form of α_ℓ(1 − mn/(ℓ(ℓ−1))) − 1 − b_ℓ (every coefficient is small and
exact near the pole, so the error stays ~ℓε there).  It is seeded at ℓ0 = max(|m|, |n|)
by :mod:`physml.s2fft._seeds` and carried as mant·2^{Tk} (rescaled every few steps), so
seeds far below the floating-point range are not lost.

What makes it fast (the work is ~L³ multiply-adds, as in libsharp; Reinecke 2011):

- north/south folding: d^ℓ_{mn}(π − θ) = (−1)^{ℓ+n} d^ℓ_{−m,n}(θ), so the recursion runs on
  the rings θ ≤ π/2 only and every value serves a ring and its mirror;
- blocks of |m| columns (m and −m together) whose ℓ-loop starts at the block's smallest
  |m|: the zeros ℓ < |m| are never visited, and a block's state stays in cache;
- per step, a few fused multiply-adds per (m, ring): coefficients are O(L) vectors.

Memory is O(L · nθ) whatever the batch of coefficients (all shapes are static).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._seeds import CHECK_EVERY, EXPONENT, pole_distance, seed_table

BLOCK = 16
"""Number of |m| columns per block (each holding m and −m)."""


def _geometry(L: int, theta: np.ndarray):
    nth = theta.size
    north = (nth + 1) // 2
    blocks = -(-L // BLOCK)
    return nth, north, nth - north, blocks, blocks * BLOCK


def _setup(L, theta, orders, dt):
    nth, north, south, blocks, width = _geometry(L, theta)
    key = tuple(float(t) for t in theta[:north])
    mant, expo = seed_table(L, key, orders, width, np.dtype(dt).name)
    h = jnp.asarray(pole_distance(key, np.dtype(dt).name))
    return nth, north, south, blocks, width, jnp.asarray(mant), jnp.asarray(expo), h


def _split(a: jax.Array, L: int, width: int) -> jax.Array:
    """(..., 2L−1, U) → (..., 2, width, U): half 0 holds m = +j, half 1 holds m = −j."""
    halves = jnp.stack([a[..., L - 1 :, :], a[..., L - 1 :: -1, :]], axis=-3)
    pad = [(0, 0)] * halves.ndim
    pad[-2] = (0, width - L)
    return jnp.pad(halves, pad)


def _merge(a: jax.Array, L: int, axis: int) -> jax.Array:
    """Inverse of :func:`_split` along (half, j) = (axis, axis + 1) → one axis of 2L−1."""
    a = jnp.moveaxis(a, (axis, axis + 1), (0, 1))
    merged = jnp.concatenate([a[1, L - 1 : 0 : -1], a[0, :L]], axis=0)
    return jnp.moveaxis(merged, 0, axis)


class _Block:
    """Recursion of one block of |m| columns: coefficients, steps and rescaling."""

    def __init__(self, j0, orders, h, mant, expo, dt):
        self.dt, self.h = dt, h
        j = (j0 + jnp.arange(BLOCK)).astype(dt)
        self.m = jnp.stack([j, -j])[None]  # (1, 2, B)
        self.n = jnp.asarray(orders, dt)[:, None, None]  # (P, 1, 1)
        self.parity = jnp.asarray(np.abs(orders) % 2, jnp.int32)[:, None, None]
        self.ell0 = jnp.maximum(jnp.abs(self.m), jnp.abs(self.n))
        self.seed = lax.dynamic_slice_in_dim(mant, j0, BLOCK, axis=2)
        self.seed_k = lax.dynamic_slice_in_dim(expo, j0, BLOCK, axis=2)
        self.big = 2.0 ** EXPONENT[np.dtype(dt)]

    def mirror_sign(self, ell):
        """(−1)^{ℓ+n} of shape (P, 1, 1)."""
        return (1 - 2 * ((ell + self.parity) & 1)).astype(self.dt)

    def coefficients(self, ell):
        dt, m, n = self.dt, self.m, self.n
        lf = ell.astype(dt)
        running = lf > self.ell0
        lm1 = jnp.maximum(lf - 1, 1)

        def radius(j):
            a = jnp.where(running, (j - m) * (j + m), 1)
            return jnp.sqrt(a) * jnp.sqrt(jnp.where(running, jnp.maximum((j - n) * (j + n), 0), 1))

        def delta(j, rj):
            den = j * j - m * n + rj
            return jnp.where(den > 0, j * j * (m - n) ** 2 / jnp.where(den > 0, den, 1), 0)

        r, r_prev = radius(lf), radius(lf - 1)
        kappa = (delta(lf, r) + lf / lm1 * delta(lf - 1, r_prev)) / r
        alpha2 = 2 * lf * (2 * lf - 1) / r
        b = lf / lm1 * r_prev / r
        zero = jnp.zeros((), dt)
        return tuple(jnp.where(running, c, zero)[..., None] for c in (kappa, alpha2, b))

    def step(self, ell, curr, aux):
        kappa, alpha2, b = self.coefficients(ell)
        aux = (kappa - alpha2 * self.h) * curr + b * aux
        return curr + aux, aux

    def seed_step(self, ell, curr, aux, k):
        new, aux = self.step(ell, curr, aux)
        seeding = (ell.astype(self.dt) == self.ell0)[..., None]
        new = jnp.where(seeding, self.seed, new)
        aux = jnp.where(seeding, self.seed, aux)
        return new, aux, jnp.where(seeding, self.seed_k, k)

    def rescale(self, curr, aux, k):
        big = jnp.abs(curr) > self.big
        shrink = jnp.asarray(1 / self.big, self.dt)
        curr = jnp.where(big, curr * shrink, curr)
        aux = jnp.where(big, aux * shrink, aux)
        k = jnp.where(big, k + 1, k)
        scale = jnp.where(k == 0, 1, jnp.where(k == -1, shrink, 0)).astype(self.dt)
        return curr, aux, k, scale


def _run_block(j0, L, orders, tables, dt, state, accumulate):
    """Stream ℓ = j0 .. L−1 for one block; ``accumulate(acc, ell, value)`` consumes d^ℓ."""
    h, mant, expo = tables
    blk = _Block(j0, orders, h, mant, expo, dt)
    nmin, nmax = min(abs(n) for n in orders), max(abs(n) for n in orders)
    every = CHECK_EVERY[np.dtype(dt)]
    start = jnp.maximum(j0, nmin)
    stop1 = jnp.minimum(L, jnp.maximum(j0 + BLOCK, nmax + 1))
    zeros = jnp.zeros((len(orders), 2, BLOCK, h.size), dt)

    def seeded(ell, carry):
        curr, aux, k, _, acc = carry
        curr, aux, k = blk.seed_step(ell, curr, aux, k)
        curr, aux, k, scale = blk.rescale(curr, aux, k)
        return curr, aux, k, scale, accumulate(acc, ell, curr * scale, blk)

    carry = lax.fori_loop(start, stop1, seeded, (zeros, zeros, zeros, zeros, state))

    def group(g, carry):
        curr, aux, k, scale, acc = carry
        for r in range(every):
            ell = stop1 + g * every + r
            curr, aux = blk.step(ell, curr, aux)
            acc = accumulate(acc, ell, curr * scale, blk)
        curr, aux, k, scale = blk.rescale(curr, aux, k)
        return curr, aux, k, scale, acc

    groups = jnp.maximum(L - stop1 + every - 1, 0) // every
    return lax.fori_loop(0, groups, group, carry)[-1]


def synthesis(x: jax.Array, *, L: int, theta: np.ndarray, orders: tuple[int, ...]) -> jax.Array:
    """G[..., p, t, m] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, m] for complex x (..., P, L, 2L−1)."""
    dt = jnp.finfo(x.dtype).dtype
    nth, north, south, blocks, width, mant, expo, h = _setup(L, theta, orders, dt)
    batch, P = x.shape[:-3], len(orders)
    xf = x.reshape(-1, P, L, 2 * L - 1)
    rows = jnp.moveaxis(_split(jnp.swapaxes(xf, -1, -2), L, width), -1, 0)  # (L, Bt, P, 2, W)
    rows = jnp.pad(rows, [(0, CHECK_EVERY[np.dtype(dt)])] + [(0, 0)] * 4)
    rows = jnp.stack([rows.real, rows.imag], axis=1).astype(dt)  # (L + pad, 2, Bt, P, 2, W)
    shape = (2, 2, xf.shape[0], P, 2, width, north)  # (north/south, re/im, Bt, P, ±, j, t)

    def block(b, out):
        j0 = b * BLOCK
        xb = lax.dynamic_slice_in_dim(rows, j0, BLOCK, axis=5)

        def accumulate(acc, ell, value, blk):
            a = xb[ell][..., None]
            sign = blk.mirror_sign(ell)[..., None]
            coef = jnp.stack([a, sign * a[..., ::-1, :, :]])
            return acc + value * coef

        zeros = jnp.zeros((*shape[:-2], BLOCK, north), dt)
        acc = _run_block(j0, L, orders, (h, mant, expo), dt, zeros, accumulate)
        return lax.dynamic_update_slice_in_dim(out, acc, j0, axis=5)

    acc = lax.fori_loop(0, blocks, block, jnp.zeros(shape, dt))
    nr, ni, sr, si = acc[0, 0], acc[0, 1], acc[1, 0], acc[1, 1]
    north_g = jnp.swapaxes(_merge(lax.complex(nr, ni), L, 2), -1, -2)
    south_g = jnp.swapaxes(_merge(lax.complex(sr, si)[:, :, ::-1], L, 2), -1, -2)
    g = jnp.concatenate([north_g, south_g[..., np.arange(south)[::-1], :]], axis=-2)
    return g.reshape(*batch, P, nth, 2 * L - 1)


def analysis(g: jax.Array, *, L: int, theta: np.ndarray, orders: tuple[int, ...]) -> jax.Array:
    """y[..., p, ℓ, m] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, m] for complex G (..., P, nθ, 2L−1)."""
    dt = jnp.finfo(g.dtype).dtype
    nth, north, south, blocks, width, mant, expo, h = _setup(L, theta, orders, dt)
    batch, P = g.shape[:-3], len(orders)
    gf = g.reshape(-1, P, nth, 2 * L - 1)
    g_north = gf[..., :north, :]
    g_south = gf[..., nth - 1 - np.arange(south), :]
    g_south = jnp.pad(g_south, [(0, 0), (0, 0), (0, north - south), (0, 0)])
    # (Bt, P, 2, W, U); the south half is read at −m, hence the swapped halves.
    gn = _split(jnp.swapaxes(g_north, -1, -2), L, width)
    gs = _split(jnp.swapaxes(g_south, -1, -2), L, width)[:, :, ::-1]
    parts = jnp.stack([gn.real, gn.imag, gs.real, gs.imag]).astype(dt)  # (4, Bt, P, 2, W, U)
    pad = CHECK_EVERY[np.dtype(dt)]
    out_shape = (L + pad, 2, gf.shape[0], P, 2, width)

    def block(b, out):
        j0 = b * BLOCK
        gb = lax.dynamic_slice_in_dim(parts, j0, BLOCK, axis=4)

        def accumulate(acc, ell, value, blk):
            r = jnp.sum(value * gb, axis=-1)  # (4, Bt, P, 2, B)
            row = r[:2] + blk.mirror_sign(ell) * r[2:, ..., ::-1, :]
            return lax.dynamic_update_index_in_dim(acc, row, ell, axis=0)

        zeros = jnp.zeros((*out_shape[:-1], BLOCK), dt)
        acc = _run_block(j0, L, orders, (h, mant, expo), dt, zeros, accumulate)
        return lax.dynamic_update_slice_in_dim(out, acc, j0, axis=5)

    y = lax.fori_loop(0, blocks, block, jnp.zeros(out_shape, dt))
    yr, yi = y[:, 0], y[:, 1]
    y = jnp.moveaxis(lax.complex(yr, yi)[:L], 0, -3)  # (Bt, P, L, 2, W)
    y = _merge(y[..., None], L, 3)[..., 0]
    return y.reshape(*batch, P, L, 2 * L - 1)
