"""Elementwise bijections used inside coupling layers: affine and rational-quadratic spline.

Every function maps arrays ``x [..., d]`` with parameters ``[..., d, p]`` and returns the
image and the elementwise ``ln |dy/dx|`` (shape ``[..., d]``); the coupling mask is applied
by the caller. Both directions are exact (no iterative inversion).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

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
    # interior knots from cumulative widths as a product with a triangular matrix: a cumsum
    # (reduce-window) costs far more compile time on CPU than this small matmul
    inner = bound * (2.0 * (w @ np.triu(np.ones((n_bins, n_bins - 1)), 0).astype(raw.dtype)) - 1.0)
    # the end knots sit exactly at ±bound, so that the tails join continuously
    end = jnp.full((*raw.shape[:-1], 1), bound, raw.dtype)
    knots = jnp.concatenate([-end, inner, end], axis=-1)
    return knots, knots[..., 1:] - knots[..., :-1]


def _spline_setup(params, bound):
    n_bins = (params.shape[-1] + 1) // 3
    kx, w = _knots(params[..., :n_bins], bound)
    ky, h = _knots(params[..., n_bins : 2 * n_bins], bound)
    inner = _MIN_DERIV + jax.nn.softplus(params[..., 2 * n_bins :] + _DERIV_SHIFT)
    ones = jnp.ones_like(inner[..., :1])
    deriv = jnp.concatenate([ones, inner, ones], -1)
    return kx, w, ky, h, deriv


def _select(onehot, values):
    """``values [..., d, K]`` at the bin marked by ``onehot [..., d, K]`` → ``[..., d]``.

    A masked sum instead of a gather: elementwise and a reduction, which XLA fuses and
    differentiates cheaply (the gradient reaches the selected bin only).
    """
    values = jnp.broadcast_to(values, onehot.shape)
    return jnp.sum(jax.lax.select(onehot, values, jnp.zeros_like(values)), -1)


def _bin_of(v, knots):
    """One-hot ``[..., d, K]`` of the bin holding ``v [..., d]`` (the last bin is closed)."""
    v = v[..., None]
    last = jnp.arange(knots.shape[-1] - 1) == knots.shape[-1] - 2
    return (v >= knots[..., :-1]) & ((v < knots[..., 1:]) | last)


def _bin(v, knots, kx, w, ky, h, deriv):
    """Left knots, widths, heights and end derivatives of the bin of ``v`` in ``knots``."""
    onehot = _bin_of(v, knots)
    return tuple(
        _select(onehot, a)
        for a in (kx[..., :-1], w, ky[..., :-1], h, deriv[..., :-1], deriv[..., 1:])
    )


def _slope(sk, dk, dk1, xi):
    t = xi * (1.0 - xi)
    denom = sk + (dk1 + dk - 2.0 * sk) * t
    dydx = sk**2 * (dk1 * xi**2 + 2.0 * sk * t + dk * (1.0 - xi) ** 2) / denom**2
    return t, denom, jnp.log(dydx)


def _outside(inside, a, b):
    """``a`` where ``inside``, else ``b`` (same shapes; ``lax.select`` traces cheaper)."""
    return jax.lax.select(inside, a, jnp.broadcast_to(b, a.shape).astype(a.dtype))


def spline_forward(x, params, bound: float):
    r"""Monotone rational-quadratic spline on ``[-B, B]``, identity outside (Durkan et al. 2019).

    In bin k with :math:`\xi = (x - x_k)/w_k` and :math:`s_k = h_k / w_k`,

    .. math:: y = y_k + h_k \frac{s_k \xi^2 + \delta_k \xi(1-\xi)}
                  {s_k + (\delta_{k+1} + \delta_k - 2 s_k)\xi(1-\xi)}.

    The bin's knots, width, height and end derivatives are picked from ``[..., d, K]`` by a
    one-hot mask (no gather, which compiles slowly) and the formula is evaluated once: a
    quarter of the forward and backward work of evaluating every bin and selecting after.
    """
    kx, w, ky, h, deriv = _spline_setup(params, bound)
    inside = jnp.abs(x) < bound
    xc = jnp.minimum(jnp.maximum(x, -bound), bound)
    xk, wk, yk, hk, dk, dk1 = _bin(xc, kx, kx, w, ky, h, deriv)
    sk = hk / wk
    xi = jnp.minimum(jnp.maximum((xc - xk) / wk, 0.0), 1.0)
    t, denom, ln_dydx = _slope(sk, dk, dk1, xi)
    y = yk + hk * (sk * xi**2 + dk * t) / denom
    return _outside(inside, y, x), _outside(inside, ln_dydx, 0.0)


def spline_inverse(y, params, bound: float):
    """Exact inverse of :func:`spline_forward` (the root of a quadratic in ξ)."""
    kx, w, ky, h, deriv = _spline_setup(params, bound)
    inside = jnp.abs(y) < bound
    yc = jnp.minimum(jnp.maximum(y, -bound), bound)
    xk, wk, yk, hk, dk, dk1 = _bin(yc, ky, kx, w, ky, h, deriv)
    sk = hk / wk
    dy = yc - yk
    c2 = dk1 + dk - 2.0 * sk
    a = hk * (sk - dk) + dy * c2
    b = hk * dk - dy * c2
    c = -sk * dy
    disc = jnp.maximum(b**2 - 4.0 * a * c, 0.0)
    xi = jnp.minimum(jnp.maximum(2.0 * c / (-b - jnp.sqrt(disc)), 0.0), 1.0)
    _, _, ln_dydx = _slope(sk, dk, dk1, xi)
    return _outside(inside, xk + xi * wk, y), _outside(inside, -ln_dydx, 0.0)
