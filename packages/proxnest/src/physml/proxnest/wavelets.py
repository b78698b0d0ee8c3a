r"""Planar orthonormal periodic Daubechies wavelets in JAX.

The Daubechies (1988) extremal-phase filter with ``p`` vanishing moments is obtained by
spectral factorisation: with :math:`y = \sin^2(\omega/2)`,

.. math::

    |H(\omega)|^2 = 2\cos^{2p}(\omega/2)\, P(y),\qquad
    P(y) = \sum_{k=0}^{p-1} \binom{p-1+k}{k} y^k,

and the minimum-phase root of :math:`z^2 - (2 - 4y_i) z + 1` is kept for every root
:math:`y_i` of :math:`P`. The filters agree with PyWavelets' ``dbp`` ``rec_lo`` to rounding.

The periodic one-level analysis along an axis of length ``n`` is

.. math::

    a_k = \sum_j h_j\, x_{(2k + j + s) \bmod n},\qquad
    d_k = \sum_j g_j\, x_{(2k + j + s) \bmod n},\qquad g_j = (-1)^j h_{L-1-j},

with ``s = 1 - L/2`` (PyWavelets' ``mode="periodization"``). The 2-D transform is separable
and the coefficients are stored in the Mallat layout of ``pywt.coeffs_to_array``: the
approximation in the top-left block, ``(approx, detail)`` per axis. Because the filters are
orthonormal, synthesis is the exact adjoint and inverse of analysis.
"""

from __future__ import annotations

import dataclasses
from functools import cache, partial
from math import comb

import jax
import jax.numpy as jnp
import numpy as np

from physml.proxnest._validation import check_int
from physml.proxnest.operators import SameShapeOperator

MAX_ORDER = 20


@cache
def _daubechies_cached(order: int) -> tuple[float, ...]:
    poly = [comb(order - 1 + k, k) for k in range(order)]
    roots_y = np.roots(poly[::-1]) if order > 1 else np.array([])
    zeros = []
    for y in roots_y:
        b = 1.0 - 2.0 * y
        r = np.sqrt(b * b - 1.0 + 0j)
        z1, z2 = b + r, b - r
        zeros.append(z1 if abs(z1) < 1 else z2)
    q = np.poly(zeros) if zeros else np.array([1.0])
    binom = np.array([comb(order, k) for k in range(order + 1)], dtype=float)
    h = np.convolve(binom, q).real
    return tuple(h * np.sqrt(2.0) / h.sum())


def daubechies_filter(order: int) -> np.ndarray:
    """Low-pass (scaling) filter of the Daubechies wavelet ``db<order>``.

    Args:
        order: number of vanishing moments ``p`` (``1`` is Haar), ``1 <= p <= 20``.

    Returns:
        ``(2p,)`` float64 array ``h`` with ``sum(h) = √2`` and ``sum(h_j h_{j+2m}) = δ_m``;
        equal to ``pywt.Wavelet(f"db{p}").rec_lo``.
    """
    order = check_int(order, "order")
    if order > MAX_ORDER:
        raise ValueError(f"order must be <= {MAX_ORDER} (root finding loses accuracy), got {order}")
    return np.array(_daubechies_cached(order))


def _tables(n: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather tables for periodic analysis (``fwd``) and synthesis (``inv``, ``mask``)."""
    s = 1 - length // 2
    k = np.arange(n // 2)[:, None]
    j = np.arange(length)[None, :]
    fwd = (2 * k + j + s) % n
    m = np.arange(n)[:, None]
    diff = m - j - s
    mask = (diff % 2 == 0).astype(float)
    inv = (diff // 2) % (n // 2)
    return fwd, inv, mask


def _analysis_axis(x: jax.Array, h: jax.Array, g: jax.Array, axis: int) -> jax.Array:
    x = jnp.moveaxis(x, axis, -1)
    fwd, _, _ = _tables(x.shape[-1], h.shape[0])
    patches = x[..., fwd]
    out = jnp.concatenate([patches @ h, patches @ g], axis=-1)
    return jnp.moveaxis(out, -1, axis)


def _synthesis_axis(c: jax.Array, h: jax.Array, g: jax.Array, axis: int) -> jax.Array:
    c = jnp.moveaxis(c, axis, -1)
    n = c.shape[-1]
    _, inv, mask = _tables(n, h.shape[0])
    a, d = c[..., : n // 2], c[..., n // 2 :]
    mask = jnp.asarray(mask, h.dtype)
    out = (a[..., inv] * (mask * h)).sum(-1)
    out = out + (d[..., inv] * (mask * g)).sum(-1)
    return jnp.moveaxis(out, -1, axis)


def _high_pass(h: jax.Array) -> jax.Array:
    signs = jnp.asarray((-1.0) ** np.arange(h.shape[0]), h.dtype)
    return signs * h[::-1]


@partial(jax.jit, static_argnames="levels")
def analysis(x: jax.Array, h: jax.Array, levels: int) -> jax.Array:
    """Multi-level periodic 2-D DWT of ``x`` (``(..., ny, nx)``) in the Mallat layout."""
    out = jnp.asarray(x)
    h = jnp.asarray(h, out.dtype)  # float64 filters must not upcast float32 images
    g = _high_pass(h)
    ny, nx = x.shape[-2:]
    for lev in range(levels):
        by, bx = ny >> lev, nx >> lev
        block = out[..., :by, :bx]
        block = _analysis_axis(_analysis_axis(block, h, g, -2), h, g, -1)
        out = out.at[..., :by, :bx].set(block)
    return out


@partial(jax.jit, static_argnames="levels")
def synthesis(c: jax.Array, h: jax.Array, levels: int) -> jax.Array:
    """Inverse (= adjoint) of :func:`analysis`."""
    out = jnp.asarray(c)
    h = jnp.asarray(h, out.dtype)
    g = _high_pass(h)
    ny, nx = c.shape[-2:]
    for lev in reversed(range(levels)):
        by, bx = ny >> lev, nx >> lev
        block = out[..., :by, :bx]
        block = _synthesis_axis(_synthesis_axis(block, h, g, -1), h, g, -2)
        out = out.at[..., :by, :bx].set(block)
    return out


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class DaubechiesWavelet2D(SameShapeOperator):
    """Orthonormal periodic Daubechies wavelet transform of ``(ny, nx)`` images.

    ``forward`` is the analysis ``x ↦ Wx`` (coefficients in the Mallat layout, same shape as
    the image) and ``adjoint`` the synthesis ``W†c = W⁻¹c``.

    Args:
        shape: image shape ``(ny, nx)``; both divisible by ``2**levels``.
        order: vanishing moments ``p`` of ``db<p>``.
        levels: number of decomposition levels.

    Example:
        >>> W = DaubechiesWavelet2D.create((32, 32), order=4, levels=3)
        >>> c = W.forward(jnp.ones((32, 32)))
    """

    h: jax.Array
    shape: tuple[int, int] = dataclasses.field(metadata={"static": True})
    levels: int = dataclasses.field(metadata={"static": True})

    @classmethod
    def create(cls, shape: tuple[int, int], order: int = 4, levels: int = 3):
        """Build the operator, checking that ``shape`` allows ``levels`` levels."""
        levels = check_int(levels, "levels")
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2:
            raise ValueError(f"shape must be (ny, nx), got {shape}")
        for s in shape:
            if s % (2**levels):
                raise ValueError(
                    f"shape {shape} with levels={levels} needs both sides divisible by "
                    f"2**levels = {2**levels}"
                )
        return cls(h=jnp.asarray(daubechies_filter(order)), shape=shape, levels=levels)

    @property
    def orthonormal(self) -> bool:
        return True

    @property
    def tight(self) -> float | None:
        return 1.0

    def forward(self, x: jax.Array) -> jax.Array:
        x = jnp.asarray(x)
        return analysis(x, self.h.astype(x.dtype), self.levels)

    def adjoint(self, c: jax.Array) -> jax.Array:
        c = jnp.asarray(c)
        return synthesis(c, self.h.astype(c.dtype), self.levels)
