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
    cum = jnp.concatenate([jnp.zeros_like(w[..., :1]), jnp.cumsum(w, -1)], -1)
    knots = bound * (2.0 * cum - 1.0)
    # pin the end knots exactly to ±bound so that the tails join continuously
    knots = knots.at[..., 0].set(-bound).at[..., -1].set(bound)
    return knots, knots[..., 1:] - knots[..., :-1]


def _spline_setup(params, bound):
    n_bins = (params.shape[-1] + 1) // 3
    kx, w = _knots(params[..., :n_bins], bound)
    ky, h = _knots(params[..., n_bins : 2 * n_bins], bound)
    inner = _MIN_DERIV + jax.nn.softplus(params[..., 2 * n_bins :] + _DERIV_SHIFT)
    ones = jnp.ones_like(inner[..., :1])
    deriv = jnp.concatenate([ones, inner, ones], -1)
    return kx, w, ky, h, deriv


def _gather(arr, idx):
    # a one-hot contraction instead of take_along_axis: no scatter in the gradient, which
    # compiles several times faster on CPU for the few bins used here
    onehot = idx[..., None] == jnp.arange(arr.shape[-1])
    return jnp.sum(jnp.where(onehot, arr, 0.0), -1)


def spline_forward(x, params, bound: float):
    r"""Monotone rational-quadratic spline on ``[-B, B]``, identity outside (Durkan et al. 2019).

    In bin k with :math:`\xi = (x - x_k)/w_k` and :math:`s_k = h_k / w_k`,

    .. math:: y = y_k + h_k \frac{s_k \xi^2 + \delta_k \xi(1-\xi)}
                  {s_k + (\delta_{k+1} + \delta_k - 2 s_k)\xi(1-\xi)}.
    """
    kx, w, ky, h, deriv = _spline_setup(params, bound)
    inside = jnp.abs(x) < bound
    xc = jnp.clip(x, -bound, bound)
    idx = jnp.clip(jnp.sum(xc[..., None] >= kx[..., 1:-1], -1), 0, w.shape[-1] - 1)
    xk, wk, yk, hk = _gather(kx, idx), _gather(w, idx), _gather(ky, idx), _gather(h, idx)
    dk, dk1 = _gather(deriv, idx), _gather(deriv, idx + 1)
    sk = hk / wk
    xi = jnp.clip((xc - xk) / wk, 0.0, 1.0)
    t = xi * (1.0 - xi)
    denom = sk + (dk1 + dk - 2.0 * sk) * t
    y = yk + hk * (sk * xi**2 + dk * t) / denom
    dydx = sk**2 * (dk1 * xi**2 + 2.0 * sk * t + dk * (1.0 - xi) ** 2) / denom**2
    return jnp.where(inside, y, x), jnp.where(inside, jnp.log(dydx), 0.0)


def spline_inverse(y, params, bound: float):
    """Exact inverse of :func:`spline_forward` (the root of a quadratic in ξ)."""
    kx, w, ky, h, deriv = _spline_setup(params, bound)
    inside = jnp.abs(y) < bound
    yc = jnp.clip(y, -bound, bound)
    idx = jnp.clip(jnp.sum(yc[..., None] >= ky[..., 1:-1], -1), 0, w.shape[-1] - 1)
    xk, wk, yk, hk = _gather(kx, idx), _gather(w, idx), _gather(ky, idx), _gather(h, idx)
    dk, dk1 = _gather(deriv, idx), _gather(deriv, idx + 1)
    sk = hk / wk
    dy = yc - yk
    c2 = dk1 + dk - 2.0 * sk
    a = hk * (sk - dk) + dy * c2
    b = hk * dk - dy * c2
    c = -sk * dy
    disc = jnp.maximum(b**2 - 4.0 * a * c, 0.0)
    xi = jnp.clip(2.0 * c / (-b - jnp.sqrt(disc)), 0.0, 1.0)
    x = xk + xi * wk
    t = xi * (1.0 - xi)
    denom = sk + c2 * t
    dydx = sk**2 * (dk1 * xi**2 + 2.0 * sk * t + dk * (1.0 - xi) ** 2) / denom**2
    return jnp.where(inside, x, y), jnp.where(inside, -jnp.log(dydx), 0.0)
