"""Elementwise bijections used inside coupling layers: affine and rational-quadratic spline.

Every function maps arrays ``x [..., d]`` with parameters ``[..., d, p]`` and returns the
image and the elementwise ``ln |dy/dx|`` (shape ``[..., d]``); the coupling mask is applied
by the caller. Both directions are exact (no iterative inversion).

Each function takes the array namespace ``xp``: :data:`JAX` (the default; traceable and
differentiable) or :data:`NUMPY`, which evaluates a fitted flow on the host without compiling
anything (the same formulas, so the two agree to floating-point rounding).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np


class _Namespace:
    """An array module (``jax.numpy`` or ``numpy``) plus the few functions they lack or name
    differently: ``select(mask, a, b)``, ``softmax(a, axis)``, ``softplus(a)``, ``gelu(a)``."""

    def __init__(self, base, **special):
        self._base = base
        self.__dict__.update(special)

    def __getattr__(self, name):
        return getattr(self._base, name)


def _np_softmax(a, axis=-1):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_gelu(a):
    """The tanh approximation of GELU, as ``jax.nn.gelu`` (``approximate=True``) computes it."""
    cube = a * a * a  # a**3 is a slow power call in NumPy
    return a * (0.5 * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (a + 0.044715 * cube))))


JAX = _Namespace(
    jnp,
    select=jax.lax.select,  # traces cheaper than jnp.where (no broadcasting or promotion)
    softmax=jax.nn.softmax,
    softplus=jax.nn.softplus,
    gelu=jax.nn.gelu,
)
NUMPY = _Namespace(
    np,
    select=np.where,
    softmax=_np_softmax,
    softplus=lambda a: np.logaddexp(0.0, a),
    gelu=_np_gelu,
)

_SCALE_CLAMP = 3.0


def affine_forward(x, params, xp=JAX):
    """``y = x e^s + t`` with ``s = c tanh(ŝ / c)`` (soft clamp keeps training stable)."""
    s = _SCALE_CLAMP * xp.tanh(params[..., 0] / _SCALE_CLAMP)
    return x * xp.exp(s) + params[..., 1], s


def affine_inverse(y, params, xp=JAX):
    s = _SCALE_CLAMP * xp.tanh(params[..., 0] / _SCALE_CLAMP)
    return (y - params[..., 1]) * xp.exp(-s), -s


_MIN_WIDTH = 1e-3
_MIN_DERIV = 1e-3
# softplus(_DERIV_SHIFT) + _MIN_DERIV = 1: zero network output gives the identity map.
_DERIV_SHIFT = math.log(math.expm1(1.0 - _MIN_DERIV))


def _knots(raw, bound, xp):
    n_bins = raw.shape[-1]
    w = _MIN_WIDTH + (1.0 - _MIN_WIDTH * n_bins) * xp.softmax(raw, axis=-1)
    # interior knots from cumulative widths as a product with a triangular matrix: a cumsum
    # (reduce-window) costs far more compile time on CPU than this small matmul
    inner = bound * (2.0 * (w @ np.triu(np.ones((n_bins, n_bins - 1)), 0).astype(raw.dtype)) - 1.0)
    # the end knots sit exactly at ±bound, so that the tails join continuously
    end = xp.full((*raw.shape[:-1], 1), bound, raw.dtype)
    knots = xp.concatenate([-end, inner, end], axis=-1)
    return knots, knots[..., 1:] - knots[..., :-1]


def _spline_setup(params, bound, xp):
    n_bins = (params.shape[-1] + 1) // 3
    kx, w = _knots(params[..., :n_bins], bound, xp)
    ky, h = _knots(params[..., n_bins : 2 * n_bins], bound, xp)
    inner = _MIN_DERIV + xp.softplus(params[..., 2 * n_bins :] + _DERIV_SHIFT)
    ones = xp.ones_like(inner[..., :1])
    deriv = xp.concatenate([ones, inner, ones], -1)
    return kx, w, ky, h, deriv


def _select(onehot, values, xp):
    """``values [..., d, K]`` at the bin marked by ``onehot [..., d, K]`` → ``[..., d]``.

    A masked sum instead of a gather: elementwise and a reduction, which XLA fuses and
    differentiates cheaply (the gradient reaches the selected bin only).
    """
    values = xp.broadcast_to(values, onehot.shape)
    return xp.sum(xp.select(onehot, values, xp.zeros_like(values)), -1)


def _bin_of(v, knots, xp):
    """One-hot ``[..., d, K]`` of the bin holding ``v [..., d]`` (the last bin is closed)."""
    v = v[..., None]
    last = xp.arange(knots.shape[-1] - 1) == knots.shape[-1] - 2
    return (v >= knots[..., :-1]) & ((v < knots[..., 1:]) | last)


def _bin(v, knots, kx, w, ky, h, deriv, xp):
    """Left knots, widths, heights and end derivatives of the bin of ``v`` in ``knots``."""
    onehot = _bin_of(v, knots, xp)
    return tuple(
        _select(onehot, a, xp)
        for a in (kx[..., :-1], w, ky[..., :-1], h, deriv[..., :-1], deriv[..., 1:])
    )


def _slope(sk, dk, dk1, xi, xp):
    t = xi * (1.0 - xi)
    denom = sk + (dk1 + dk - 2.0 * sk) * t
    dydx = sk**2 * (dk1 * xi**2 + 2.0 * sk * t + dk * (1.0 - xi) ** 2) / denom**2
    return t, denom, xp.log(dydx)


def _outside(inside, a, b, xp):
    """``a`` where ``inside``, else ``b`` (same shapes)."""
    return xp.select(inside, a, xp.broadcast_to(b, a.shape).astype(a.dtype))


def spline_forward(x, params, bound: float, xp=JAX):
    r"""Monotone rational-quadratic spline on ``[-B, B]``, identity outside (Durkan et al. 2019).

    In bin k with :math:`\xi = (x - x_k)/w_k` and :math:`s_k = h_k / w_k`,

    .. math:: y = y_k + h_k \frac{s_k \xi^2 + \delta_k \xi(1-\xi)}
                  {s_k + (\delta_{k+1} + \delta_k - 2 s_k)\xi(1-\xi)}.

    The bin's knots, width, height and end derivatives are picked from ``[..., d, K]`` by a
    one-hot mask (no gather, which compiles slowly) and the formula is evaluated once: a
    quarter of the forward and backward work of evaluating every bin and selecting after.
    """
    kx, w, ky, h, deriv = _spline_setup(params, bound, xp)
    inside = xp.abs(x) < bound
    xc = xp.minimum(xp.maximum(x, -bound), bound)
    xk, wk, yk, hk, dk, dk1 = _bin(xc, kx, kx, w, ky, h, deriv, xp)
    sk = hk / wk
    xi = xp.minimum(xp.maximum((xc - xk) / wk, 0.0), 1.0)
    t, denom, ln_dydx = _slope(sk, dk, dk1, xi, xp)
    y = yk + hk * (sk * xi**2 + dk * t) / denom
    return _outside(inside, y, x, xp), _outside(inside, ln_dydx, 0.0, xp)


def spline_inverse(y, params, bound: float, xp=JAX):
    """Exact inverse of :func:`spline_forward` (the root of a quadratic in ξ)."""
    kx, w, ky, h, deriv = _spline_setup(params, bound, xp)
    inside = xp.abs(y) < bound
    yc = xp.minimum(xp.maximum(y, -bound), bound)
    xk, wk, yk, hk, dk, dk1 = _bin(yc, ky, kx, w, ky, h, deriv, xp)
    sk = hk / wk
    dy = yc - yk
    c2 = dk1 + dk - 2.0 * sk
    a = hk * (sk - dk) + dy * c2
    b = hk * dk - dy * c2
    c = -sk * dy
    disc = xp.maximum(b**2 - 4.0 * a * c, 0.0)
    xi = xp.minimum(xp.maximum(2.0 * c / (-b - xp.sqrt(disc)), 0.0), 1.0)
    _, _, ln_dydx = _slope(sk, dk, dk1, xi, xp)
    return _outside(inside, xk + xi * wk, y, xp), _outside(inside, -ln_dydx, 0.0, xp)
