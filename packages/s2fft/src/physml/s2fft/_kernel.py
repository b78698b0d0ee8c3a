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
- per step, a few fused multiply-adds per (m, ring): coefficients are O(L) vectors;
- when the orders n are closed under negation (spin 0; Wigner transforms over all n) only
  m = +j is recursed, the −m half is a signed copy (see :class:`_Block`).

Blocks can be listed explicitly (:func:`synthesis_columns`, :func:`analysis_columns`, with
traced block indices), which is how one map is split over m across devices
(:mod:`physml.s2fft._msplit`).

Memory is O(L · nθ) whatever the batch of coefficients (all shapes are static).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._seeds import CHECK_EVERY, EXPONENT, pole_distance, seed_table

BLOCK = 16
"""Number of |m| columns per block (each holding m and −m)."""


def _geometry(L: int, theta: np.ndarray, total_blocks: int | None = None):
    nth = theta.size
    north = (nth + 1) // 2
    blocks = max(-(-L // BLOCK), total_blocks or 0)
    return nth, north, nth - north, blocks, blocks * BLOCK


def _setup(L, theta, orders, dt, total_blocks=None):
    nth, north, south, blocks, width = _geometry(L, theta, total_blocks)
    key = tuple(float(t) for t in theta[:north])
    mant, expo = seed_table(L, key, orders, width, np.dtype(dt).name)
    h = jnp.asarray(pole_distance(key, np.dtype(dt).name))
    return nth, north, south, blocks, width, jnp.asarray(mant), jnp.asarray(expo), h


def _merge(a: jax.Array, L: int, axis: int) -> jax.Array:
    """Columns (half, j) at (axis, axis + 1), half 0 m = +j and half 1 m = −j → one axis of
    2L−1 in natural order m = −(L−1) … L−1 (the duplicate −0 and the columns j ≥ L dropped)."""
    a = jnp.moveaxis(a, (axis, axis + 1), (0, 1))
    merged = jnp.concatenate([a[1, L - 1 : 0 : -1], a[0, :L]], axis=0)
    return jnp.moveaxis(merged, 0, axis)


def _negated_orders(orders: tuple[int, ...]) -> tuple[int, ...] | None:
    """Index q(p) with n_q = −n_p for every p, or None when the orders are not closed under ±."""
    index = {n: p for p, n in enumerate(orders)}
    if any(-n not in index for n in orders):
        return None
    return tuple(index[-n] for n in orders)


class _Block:
    """Recursion of one block of |m| columns: coefficients, steps and rescaling.

    When the orders are closed under negation (spin 0, or every Wigner transform over
    n = −N+1 … N−1) only m = +j is recursed: d^ℓ_{−m,n} = (−1)^{m+n} d^ℓ_{m,−n}
    (Varshalovich et al. 1988, §4.4), so the −m half is a signed copy (:meth:`expand`), which
    halves the recursion work.
    """

    def __init__(self, j0, orders, h, mant, expo, dt):
        self.dt, self.h = dt, h
        j = (j0 + jnp.arange(BLOCK)).astype(dt)
        self.negated = _negated_orders(orders)
        halves = 1 if self.negated is not None else 2
        self.m = jnp.stack([j, -j])[None, :halves]  # (1, halves, B)
        self.n = jnp.asarray(orders, dt)[:, None, None]  # (P, 1, 1)
        self.parity = jnp.asarray(np.abs(orders) % 2, jnp.int32)[:, None, None]
        self.ell0 = jnp.maximum(jnp.abs(self.m), jnp.abs(self.n))
        self.seed = lax.dynamic_slice_in_dim(mant[:, :halves], j0, BLOCK, axis=2)
        self.seed_k = lax.dynamic_slice_in_dim(expo[:, :halves], j0, BLOCK, axis=2)
        self.big = 2.0 ** EXPONENT[np.dtype(dt)]
        if self.negated is not None:
            jn = (j0 + jnp.arange(BLOCK))[None, :] + jnp.asarray(orders)[:, None]
            self.flip = (1 - 2 * (jn & 1)).astype(dt)[:, :, None]  # (P, B, 1): (−1)^{m+n}

    @property
    def halves(self) -> int:
        return self.m.shape[1]

    def expand(self, value):
        """(P, halves, B, U) recursed values → (P, 2, B, U) for m = +j and m = −j."""
        if self.negated is None:
            return value
        minus = self.flip * value[np.asarray(self.negated), 0]
        return jnp.stack([value[:, 0], minus], axis=1)

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


def _run_block(j0, L, orders, tables, dt, state, accumulate, grouped=False):
    """Stream ℓ = j0 .. L−1 for one block; ``accumulate(acc, ell, value, blk)`` consumes d^ℓ.

    With ``grouped`` it is called once per group of steps instead, with the values of S
    consecutive degrees stacked, ``accumulate(acc, ell0, values (S, …), blk)``: the analysis
    then reduces a whole group over the rings in one contraction.  When the recursion covers
    m = +j only (orders closed under negation) a group's steps run in a loop of their own:
    unrolled, XLA:CPU fuses the recursion into each consumer of the expanded values and
    recomputes the earlier steps of the group in every one of them.
    """
    h, mant, expo = tables
    blk = _Block(j0, orders, h, mant, expo, dt)
    nmin, nmax = min(abs(n) for n in orders), max(abs(n) for n in orders)
    every = CHECK_EVERY[np.dtype(dt)]
    start = jnp.maximum(j0, nmin)
    stop1 = jnp.minimum(L, jnp.maximum(j0 + BLOCK, nmax + 1))
    zeros = jnp.zeros((len(orders), blk.halves, BLOCK, h.size), dt)

    def seeded(ell, carry):
        curr, aux, k, _, acc = carry
        curr, aux, k = blk.seed_step(ell, curr, aux, k)
        curr, aux, k, scale = blk.rescale(curr, aux, k)
        value = blk.expand(curr * scale)
        return curr, aux, k, scale, accumulate(acc, ell, value[None] if grouped else value, blk)

    carry = lax.fori_loop(start, stop1, seeded, (zeros, zeros, zeros, zeros, state))

    def steps(ell0, curr, aux, scale):
        """The values of ℓ0 … ℓ0 + every − 1, stacked (every, P, 2, B, U)."""
        if blk.negated is not None:

            def one(state, r):
                curr, aux = blk.step(ell0 + r, *state)
                return (curr, aux), blk.expand(curr * scale)

            (curr, aux), values = lax.scan(one, (curr, aux), jnp.arange(every))
            return curr, aux, values
        values = []
        for r in range(every):
            curr, aux = blk.step(ell0 + r, curr, aux)
            values.append(blk.expand(curr * scale))
        return curr, aux, jnp.stack(values)

    def group(g, carry):
        curr, aux, k, scale, acc = carry
        ell0 = stop1 + g * every
        if grouped:
            curr, aux, values = steps(ell0, curr, aux, scale)
            acc = accumulate(acc, ell0, values, blk)
        else:
            for r in range(every):
                curr, aux = blk.step(ell0 + r, curr, aux)
                acc = accumulate(acc, ell0 + r, blk.expand(curr * scale), blk)
        curr, aux, k, scale = blk.rescale(curr, aux, k)
        return curr, aux, k, scale, acc

    groups = jnp.maximum(L - stop1 + every - 1, 0) // every
    return lax.fori_loop(0, groups, group, carry)[-1]


def block_columns(block_ids: np.ndarray) -> np.ndarray:
    """(2, nb·BLOCK) orders m of the columns of the listed blocks: row 0 is +j, row 1 is −j."""
    j = (np.asarray(block_ids)[:, None] * BLOCK + np.arange(BLOCK)).reshape(-1)
    return np.stack([j, -j])


def take_columns(x: jax.Array, L: int, block_ids: jax.Array) -> jax.Array:
    """(..., 2L−1) in natural order → (..., 2, nb·BLOCK) columns ±j of the blocks (0 if j ≥ L)."""
    j = (jnp.asarray(block_ids)[:, None] * BLOCK + jnp.arange(BLOCK)).reshape(-1)
    index = jnp.clip(jnp.stack([L - 1 + j, L - 1 - j]), 0, 2 * L - 2)
    return jnp.where(j < L, jnp.take(x, index, axis=-1), 0)


def _synthesis_columns(xs, ids, L, theta, orders, total_blocks):
    dt = jnp.finfo(xs.dtype).dtype
    nth, north, south, _, _, mant, expo, h = _setup(L, np.asarray(theta), orders, dt, total_blocks)
    batch, P, halves, cols = xs.shape[:-4], len(orders), xs.shape[-2], xs.shape[-1]
    _check_halves(halves, orders)
    even_odd = _even_odd(halves, orders)
    xf = xs.reshape(-1, P, L, halves, cols)
    rows = jnp.pad(jnp.moveaxis(xf, 2, 0), [(0, CHECK_EVERY[np.dtype(dt)])] + [(0, 0)] * 4)
    rows = jnp.stack([rows.real, rows.imag], axis=1).astype(dt)  # (L + pad, 2, Bt, P, H, c)
    shape = (2, 2, xf.shape[0], P, halves, cols, north)  # (north/south, re/im, Bt, P, ±, c, t)

    def block(i, out):
        j0 = ids[i] * BLOCK
        xb = lax.dynamic_slice_in_dim(rows, i * BLOCK, BLOCK, axis=5)

        def accumulate(acc, ell, value, blk):
            a = xb[ell][..., None]  # (re/im, Bt, P, H, B, 1)
            if even_odd:  # one product per step, summed by the parity of ℓ
                par = ell & 1
                row = lax.dynamic_index_in_dim(acc, par, 0, keepdims=False)
                return lax.dynamic_update_index_in_dim(acc, row + value[:, :1] * a, par, 0)
            sign = blk.mirror_sign(ell)[..., None]
            if halves == 1:  # m = +j only: its south value is d at −j, the mirror of +j
                both = jnp.stack([value[:, :1], sign * value[:, 1:]])[:, None, None]
                return acc + both * a
            coef = jnp.stack([a, sign * a[..., ::-1, :, :]])
            return acc + value * coef

        zeros = jnp.zeros((*shape[:-2], BLOCK, north), dt)
        acc = _run_block(j0, L, orders, (h, mant, expo), dt, zeros, accumulate)
        return lax.dynamic_update_slice_in_dim(out, acc, i * BLOCK, axis=5)

    acc = lax.fori_loop(0, ids.shape[0], block, jnp.zeros(shape, dt))
    if even_odd:  # north = even + odd ℓ; south (−1)^ℓ d_{m0}(θ) · (−1)^m = (−1)^m (even − odd)
        sign = _column_signs(ids, dt)[:, None]
        acc = jnp.stack([acc[0] + acc[1], sign * (acc[0] - acc[1])])
    nr, ni, sr, si = acc[0, 0], acc[0, 1], acc[1, 0], acc[1, 1]
    north_g = lax.complex(nr, ni)  # (Bt, P, 2, c, north)
    south_g = lax.complex(sr, si)[:, :, ::-1]  # the south of +m was accumulated at −m
    g = jnp.concatenate([north_g, south_g[..., np.arange(south)[::-1]]], axis=-1)
    return jnp.moveaxis(g, -1, 2).reshape(*batch, P, nth, halves, cols)


def _analysis_columns(g, ids, L, theta, orders, total_blocks):
    dt = jnp.finfo(g.dtype).dtype
    nth, north, south, _, _, mant, expo, h = _setup(L, np.asarray(theta), orders, dt, total_blocks)
    batch, P, halves, cols = g.shape[:-4], len(orders), g.shape[-2], g.shape[-1]
    _check_halves(halves, orders)
    gt = jnp.moveaxis(g.reshape(-1, P, nth, halves, cols), 2, -1)  # (Bt, P, H, c, nθ)
    gn = gt[..., :north]
    gs = jnp.pad(gt[..., nth - 1 - np.arange(south)], [(0, 0)] * 4 + [(0, north - south)])
    gs = gs[:, :, ::-1]  # the south half is read at −m, hence the swapped halves
    even_odd = _even_odd(halves, orders)
    if even_odd:  # rows for even and odd ℓ: north ± (−1)^m south, one product per step
        sign = _column_signs(ids, dt)[:, None]
        gn, gs = gn + sign * gs, gn - sign * gs
    parts = jnp.stack([gn.real, gn.imag, gs.real, gs.imag]).astype(dt)  # (4, Bt, P, H, c, U)
    pad = CHECK_EVERY[np.dtype(dt)]
    out_shape = (L + pad, 2, gt.shape[0], P, halves, cols)

    def block(i, out):
        j0 = ids[i] * BLOCK
        gb = lax.dynamic_slice_in_dim(parts, i * BLOCK, BLOCK, axis=4)

        def accumulate(acc, ell, value, blk):
            """Even/odd rows of a real spin-0 signal, one step at a time."""
            g_par = lax.dynamic_slice_in_dim(gb, 2 * (ell & 1), 2, axis=0)
            row = jnp.sum(value[:, :1] * g_par, axis=-1)  # (2, Bt, P, 1, B)
            return lax.dynamic_update_index_in_dim(acc, row, ell, axis=0)

        def accumulate_group(acc, ell0, values, blk):
            """Rows ℓ0 … ℓ0+S−1 of the north and south sums, from S values (S, P, 2, B, U)."""
            if halves == 1:  # m = +j only: its south ring is read with d at −j
                north = jnp.einsum("spbu,xtpbu->sxtpb", values[:, :, 0], gb[:2, ..., 0, :, :])
                south = jnp.einsum("spbu,xtpbu->sxtpb", values[:, :, 1], gb[2:, ..., 0, :, :])
                rows = jnp.concatenate([north, south], axis=1)[..., None, :]
            else:
                rows = jnp.einsum("sphbu,xtphbu->sxtphb", values, gb)  # (S, 4, Bt, P, 2, B)
            return lax.dynamic_update_slice_in_dim(acc, rows, ell0, axis=0)

        if even_odd:
            zeros = jnp.zeros((*out_shape[:-1], BLOCK), dt)
            acc = _run_block(j0, L, orders, (h, mant, expo), dt, zeros, accumulate)
        else:
            zeros = jnp.zeros((out_shape[0], 4, *out_shape[2:-1], BLOCK), dt)
            tables = (h, mant, expo)
            acc = _run_block(j0, L, orders, tables, dt, zeros, accumulate_group, grouped=True)
            acc = _north_plus_south(acc, orders, halves)
        return lax.dynamic_update_slice_in_dim(out, acc, i * BLOCK, axis=5)

    y = lax.fori_loop(0, ids.shape[0], block, jnp.zeros(out_shape, dt))
    y = jnp.moveaxis(lax.complex(y[:, 0], y[:, 1])[:L], 0, -3)  # (Bt, P, L, H, c)
    return y.reshape(*batch, P, L, halves, cols)


def _north_plus_south(acc: jax.Array, orders: tuple[int, ...], halves: int) -> jax.Array:
    """(ℓ, north re/im + south re/im, Bt, P, H, B) ring sums → (ℓ, re/im, Bt, P, H, B).

    The south rings were summed with d at −m (the mirror of +m, read from the other half of
    the columns when there are two): y_ℓ = north + (−1)^{ℓ+n} south.
    """
    ell = np.arange(acc.shape[0])[:, None]
    sign = jnp.asarray(1 - 2 * ((ell + np.asarray(orders)) & 1), acc.dtype)
    south = acc[:, 2:] if halves == 1 else acc[:, 2:, ..., ::-1, :]
    return acc[:, :2] + sign[:, None, None, :, None, None] * south


def _even_odd(halves: int, orders: tuple[int, ...]) -> bool:
    """Columns m = +j of orders n = 0 only (a real spin-0 signal): d^ℓ_{m0}(π − θ) =
    (−1)^{ℓ+m} d^ℓ_{m0}(θ), so the sums split by the parity of ℓ and each step needs one
    product per ring instead of a north and a south one (the even/odd split of libsharp,
    Reinecke 2011)."""
    return halves == 1 and all(n == 0 for n in orders)


def _column_signs(ids: jax.Array, dt) -> jax.Array:
    """(−1)^j over the columns j of the listed blocks (nb·BLOCK,)."""
    j = (ids[:, None] * BLOCK + jnp.arange(BLOCK)).reshape(-1)
    return (1 - 2 * (j & 1)).astype(dt)


def _check_halves(halves: int, orders: tuple[int, ...]) -> None:
    """Columns hold m = ±j (2 halves) or, for orders closed under negation, m = +j only."""
    if halves not in (1, 2):
        raise ValueError(f"the column layout has 1 (m = +j) or 2 (m = ±j) halves, got {halves}")
    if halves == 1 and _negated_orders(orders) is None:
        raise ValueError(
            f"columns m = +j alone need orders closed under negation, got orders={orders}"
        )


_STATIC = (2, 3, 4, 5)  # L, theta (tuple), orders, total_blocks


@partial(jax.custom_vjp, nondiff_argnums=_STATIC)
def synthesis_columns(xs, block_ids, L, theta, orders, total_blocks=None):
    """G[..., p, t, h, c] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, h, c] on the columns of blocks.

    ``xs`` complex (..., P, L, 2, nb·BLOCK) in the column layout of :func:`take_columns`
    (h = 0: m = +j, h = 1: m = −j); ``block_ids`` (nb,) integers, may be traced (e.g. one
    device's share of the blocks); blocks past ceil(L/BLOCK), up to ``total_blocks``, are
    padding.  ``theta`` is a tuple of ring colatitudes.  Returns (..., P, nθ, 2, nb·BLOCK).
    Reverse-mode derivatives use :func:`analysis_columns`, its exact transpose.
    """
    ids = jnp.asarray(block_ids, jnp.int32)
    return _synthesis_columns(xs, ids, L, theta, orders, total_blocks)


@partial(jax.custom_vjp, nondiff_argnums=_STATIC)
def analysis_columns(g, block_ids, L, theta, orders, total_blocks=None):
    """y[..., p, ℓ, h, c] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, h, c]: the transpose of
    :func:`synthesis_columns`; ``g`` complex (..., P, nθ, 2, nb·BLOCK) → (..., P, L, 2, nb·BLOCK).
    """
    ids = jnp.asarray(block_ids, jnp.int32)
    return _analysis_columns(g, ids, L, theta, orders, total_blocks)


def _synthesis_fwd(xs, block_ids, L, theta, orders, total_blocks):
    return synthesis_columns(xs, block_ids, L, theta, orders, total_blocks), block_ids


def _synthesis_bwd(L, theta, orders, total_blocks, block_ids, ct):
    return analysis_columns(ct, block_ids, L, theta, orders, total_blocks), None


def _analysis_fwd(g, block_ids, L, theta, orders, total_blocks):
    return analysis_columns(g, block_ids, L, theta, orders, total_blocks), block_ids


def _analysis_bwd(L, theta, orders, total_blocks, block_ids, ct):
    return synthesis_columns(ct, block_ids, L, theta, orders, total_blocks), None


synthesis_columns.defvjp(_synthesis_fwd, _synthesis_bwd)
analysis_columns.defvjp(_analysis_fwd, _analysis_bwd)


def _half_columns(x: jax.Array, L: int, ids: np.ndarray) -> jax.Array:
    """(..., L) columns m = 0 … L−1 → (..., 1, nb·BLOCK) columns +j of the blocks (0 if j ≥ L)."""
    pad = ids.size * BLOCK - L
    return jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, pad)])[..., None, :]


def _run_columns(impl, x, L, theta, orders, half):
    """Every block of ``impl`` (the synthesis or analysis on columns) on natural-order input:
    (..., 2L−1) columns m = −(L−1) … L−1, or (..., L) columns m ≥ 0 with ``half``."""
    ids = np.arange(-(-L // BLOCK))
    block_ids = jnp.asarray(ids, jnp.int32)
    if half:
        return impl(_half_columns(x, L, ids), block_ids, L, tuple(theta), orders, None)[..., 0, :L]
    y = impl(take_columns(x, L, ids), block_ids, L, tuple(theta), orders, None)
    return _merge(y, L, y.ndim - 2)


def synthesis(
    x: jax.Array, *, L: int, theta: np.ndarray, orders: tuple[int, ...], half: bool = False
) -> jax.Array:
    """G[..., p, t, m] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, m] for complex x (..., P, L, 2L−1).

    With ``half=True`` only the orders m = 0 … L−1 are present, x (..., P, L, L) → G
    (..., P, nθ, L) (orders n closed under negation): half the work, e.g. for a real signal.
    """
    return _run_columns(_synthesis_columns, x, L, theta, orders, half)


def analysis(
    g: jax.Array, *, L: int, theta: np.ndarray, orders: tuple[int, ...], half: bool = False
) -> jax.Array:
    """y[..., p, ℓ, m] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, m] for complex G (..., P, nθ, 2L−1)
    (or, with ``half=True``, the orders m = 0 … L−1 only: G (..., P, nθ, L) → (..., P, L, L))."""
    return _run_columns(_analysis_columns, g, L, theta, orders, half)
