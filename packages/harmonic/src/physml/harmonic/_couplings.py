"""Elementwise bijections used inside coupling layers: affine and rational-quadratic spline.

Every function maps arrays ``x [..., d]`` with parameters ``[..., d, p]`` and returns the
image and the elementwise ``ln |dy/dx|`` (shape ``[..., d]``); the coupling mask is applied
by the caller. Both directions are exact (no iterative inversion).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

_SCALE_CLAMP = 3.0


def affine_forward(x, params):
    """``y = x e^s + t`` with ``s = c tanh(ŝ / c)`` (soft clamp keeps training stable)."""
    s = _SCALE_CLAMP * jnp.tanh(params[..., 0] / _SCALE_CLAMP)
    return x * jnp.exp(s) + params[..., 1], s


def affine_inverse(y, params):
    s = _SCALE_CLAMP * jnp.tanh(params[..., 0] / _SCALE_CLAMP)
    return (y - params[..., 1]) * jnp.exp(-s), -s


_MIN_WIDTH = 1e-3
_MIN_DERIV = 1e-3
# softplus(_DERIV_SHIFT) + _MIN_DERIV = 1: zero network output gives the identity map.
_DERIV_SHIFT = math.log(math.expm1(1.0 - _MIN_DERIV))


def _knots(raw, bound):
    n_bins = raw.shape[-1]
    w = _MIN_WIDTH + (1.0 - _MIN_WIDTH * n_bins) * jax.nn.softmax(raw, axis=-1)
    # cumulative widths as a product with a triangular matrix: a cumsum (reduce-window) costs
    # far more compile time on CPU than this small matmul
    cum = w @ jnp.triu(jnp.ones((n_bins, n_bins + 1), raw.dtype), 1)
    j = jnp.arange(n_bins + 1)
    # pin the end knots exactly to ±bound so that the tails join continuously
    knots = jnp.where(j == 0, -bound, jnp.where(j == n_bins, bound, bound * (2.0 * cum - 1.0)))
    return knots, knots[..., 1:] - knots[..., :-1]


def _spline_setup(params, bound):
    n_bins = (params.shape[-1] + 1) // 3
    kx, w = _knots(params[..., :n_bins], bound)
    ky, h = _knots(params[..., n_bins : 2 * n_bins], bound)
    inner = _MIN_DERIV + jax.nn.softplus(params[..., 2 * n_bins :] + _DERIV_SHIFT)
    ones = jnp.ones_like(inner[..., :1])
    deriv = jnp.concatenate([ones, inner, ones], -1)
    return kx, w, ky, h, deriv


def _bin_of(v, knots):
    """One-hot ``[..., d, K]`` of the bin holding ``v [..., d]`` (the last bin is closed)."""
    v = v[..., None]
    last = jnp.arange(knots.shape[-1] - 1) == knots.shape[-1] - 2
    return (v >= knots[..., :-1]) & ((v < knots[..., 1:]) | last)


def _slope(sk, dk, dk1, xi):
    t = xi * (1.0 - xi)
    denom = sk + (dk1 + dk - 2.0 * sk) * t
    dydx = sk**2 * (dk1 * xi**2 + 2.0 * sk * t + dk * (1.0 - xi) ** 2) / denom**2
    return t, denom, jnp.log(dydx)


def spline_forward(x, params, bound: float):
    r"""Monotone rational-quadratic spline on ``[-B, B]``, identity outside (Durkan et al. 2019).

    In bin k with :math:`\xi = (x - x_k)/w_k` and :math:`s_k = h_k / w_k`,

    .. math:: y = y_k + h_k \frac{s_k \xi^2 + \delta_k \xi(1-\xi)}
                  {s_k + (\delta_{k+1} + \delta_k - 2 s_k)\xi(1-\xi)}.

    Every bin's formula is evaluated (``[..., d, K]``, elementwise, so XLA fuses it) and the
    bin holding ``x`` is selected, which compiles much faster than gathering per-bin values.
    """
    kx, w, ky, h, deriv = _spline_setup(params, bound)
    inside = jnp.abs(x) < bound
    xc = jnp.clip(x, -bound, bound)
    sk, dk, dk1 = h / w, deriv[..., :-1], deriv[..., 1:]
    xi = jnp.clip((xc[..., None] - kx[..., :-1]) / w, 0.0, 1.0)
    t, denom, ln_dydx = _slope(sk, dk, dk1, xi)
    y = ky[..., :-1] + h * (sk * xi**2 + dk * t) / denom
    onehot = _bin_of(xc, kx)
    y = jnp.sum(jnp.where(onehot, y, 0.0), -1)
    ln_dydx = jnp.sum(jnp.where(onehot, ln_dydx, 0.0), -1)
    return jnp.where(inside, y, x), jnp.where(inside, ln_dydx, 0.0)


def spline_inverse(y, params, bound: float):
    """Exact inverse of :func:`spline_forward` (the root of a quadratic in ξ), every bin at once."""
    kx, w, ky, h, deriv = _spline_setup(params, bound)
    inside = jnp.abs(y) < bound
    yc = jnp.clip(y, -bound, bound)
    sk, dk, dk1 = h / w, deriv[..., :-1], deriv[..., 1:]
    dy = yc[..., None] - ky[..., :-1]
    c2 = dk1 + dk - 2.0 * sk
    a = h * (sk - dk) + dy * c2
    b = h * dk - dy * c2
    c = -sk * dy
    disc = jnp.maximum(b**2 - 4.0 * a * c, 0.0)
    xi = jnp.clip(2.0 * c / (-b - jnp.sqrt(disc)), 0.0, 1.0)
    _, _, ln_dydx = _slope(sk, dk, dk1, xi)
    onehot = _bin_of(yc, ky)
    x = jnp.sum(jnp.where(onehot, kx[..., :-1] + xi * w, 0.0), -1)
    ln_dydx = jnp.sum(jnp.where(onehot, ln_dydx, 0.0), -1)
    return jnp.where(inside, x, y), jnp.where(inside, -ln_dydx, 0.0)
