r"""Δ^ℓ_{mn} = d^ℓ_{mn}(π/2) by the Trapani–Navaza recursion, and d^ℓ(β) from Δ.

Δ does not depend on β, so it is the natural precomputation for rotations and for exact
evaluation of d^ℓ_{mn}(β) at any β by a short Fourier sum (Risbo 1996; Trapani & Navaza
2006; McEwen & Wiaux 2011):

.. math::
    d^ℓ_{mn}(β) = i^{\,n-m} \sum_{m'=-ℓ}^{ℓ} Δ^ℓ_{m'm} Δ^ℓ_{m'n} e^{i m' β}.

The recursion runs in plain floating point: the corner entries Δ^ℓ_{±ℓ,±ℓ} = 2^{-ℓ} seed
whole columns, so it is limited to L ≤ 1023 in float64 and L ≤ 127 in float32 (past that
the seeds leave the normal range, XLA flushes them to zero and columns are lost).  For
larger L use the extended-range recursion of :func:`physml.core.wigner.wigner_d_rows`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._wigner_recursion import as_beta, resolve_dtype, sign_of_parity
from .validation import validate_L

DELTA_MAX_L = {np.dtype(np.float64): 1023, np.dtype(np.float32): 127}
"""Largest band-limit for which the Δ recursion keeps every seed in the normal range."""


def _check_delta_L(L: object, dtype: np.dtype) -> int:
    L = validate_L(L)
    if DELTA_MAX_L[dtype] < L:
        raise ValueError(
            f"L={L} is too large for the Δ = d(π/2) recursion in {dtype} (its seeds 2^-ℓ"
            f" underflow past L={DELTA_MAX_L[dtype]}); use wigner_d_rows, which is stable to"
            " any L"
        )
    return L


def delta_init(L: int, dtype: object = None) -> jax.Array:
    """Δ^0 in the padded layout: shape (2L-1, 2L-1), 1 at the centre (m = n = 0)."""
    L = validate_L(L)
    dt = resolve_dtype(dtype)
    return jnp.zeros((2 * L - 1, 2 * L - 1), dt).at[L - 1, L - 1].set(1)


def delta_step(delta_prev: jax.Array, ell: object, L: int) -> jax.Array:
    r"""Δ^ℓ from Δ^{ℓ-1} (Trapani & Navaza 2006, eqs. 9-11).

    The edge row comes from the previous degree,

    .. math::
        Δ^ℓ_{ℓ n} = -\sqrt{\frac{ℓ(2ℓ-1)}{2(ℓ+n)(ℓ-n)}}\, Δ^{ℓ-1}_{ℓ-1,n}\ (|n| < ℓ),
        \qquad Δ^ℓ_{ℓ,\pm ℓ} = \tfrac12 Δ^{ℓ-1}_{ℓ-1,ℓ-1},

    the rows m = ℓ-1, ..., 0 from the three-term recursion in the first index (run towards
    m = 0, the direction in which it is stable),

    .. math::
        Δ^ℓ_{m-1,n} = \frac{2n\, Δ^ℓ_{mn} - \sqrt{(ℓ-m)(ℓ+m+1)}\, Δ^ℓ_{m+1,n}}
                           {\sqrt{(ℓ+m)(ℓ-m+1)}},

    and the rows m < 0 from Δ^ℓ_{-m,n} = (-1)^{ℓ-n} Δ^ℓ_{mn}.

    Parameters
    ----------
    delta_prev : array of shape (2L-1, 2L-1)
        Δ^{ℓ-1} at index (L-1+m, L-1+n) (ignored for ℓ = 0).
    ell : int or int32 scalar
        Degree to compute, 0 ≤ ℓ < L; may be traced (inside ``lax.scan``).
    L : int
        Band-limit (static).

    Returns
    -------
    array of shape (2L-1, 2L-1)
        Δ^ℓ, zero where |m| > ℓ or |n| > ℓ.
    """
    L = validate_L(L)
    delta_prev = jnp.asarray(delta_prev)
    if delta_prev.shape != (2 * L - 1, 2 * L - 1):
        raise ValueError(
            f"delta_prev has shape {delta_prev.shape} but L={L} needs {(2 * L - 1, 2 * L - 1)}"
        )
    dt = delta_prev.dtype
    ell = jnp.asarray(ell, jnp.int32)
    n = jnp.arange(-(L - 1), L)
    nf, lf = n.astype(dt), ell.astype(dt)

    row_prev = lax.dynamic_index_in_dim(delta_prev, L - 2 + ell, axis=0, keepdims=False)
    corner = lax.dynamic_index_in_dim(row_prev, L - 2 + ell, axis=0, keepdims=False)
    inside = jnp.abs(n) < ell
    edge_coef = -jnp.sqrt(lf * (2 * lf - 1) / (2 * jnp.where(inside, (lf + nf) * (lf - nf), 1)))
    edge = jnp.where(inside, edge_coef * row_prev, jnp.where(jnp.abs(n) == ell, corner / 2, 0))

    def body(i, carry):
        mat, row_m, row_above = carry
        mf = (ell - i).astype(dt)
        row_below = (2 * nf * row_m - jnp.sqrt((lf - mf) * (lf + mf + 1)) * row_above) / jnp.sqrt(
            (lf + mf) * (lf - mf + 1)
        )
        mat = lax.dynamic_update_index_in_dim(mat, row_below, L - 2 + ell - i, axis=0)
        return mat, row_below, row_m

    mat = lax.dynamic_update_index_in_dim(jnp.zeros_like(delta_prev), edge, L - 1 + ell, 0)
    mat, _, _ = lax.fori_loop(0, ell, body, (mat, edge, jnp.zeros_like(edge)))
    m = jnp.arange(-(L - 1), L)[:, None]
    full = jnp.where(m < 0, sign_of_parity(ell - n)[None, :] * mat[::-1, :], mat)
    return jnp.where(ell == 0, delta_init(L, dt), full)


def _scan(L: int, dt: np.dtype, fn: Callable, init: Any) -> tuple[Any, Any]:
    def body(carry, ell):
        delta, acc = carry
        delta = delta_step(delta, ell, L)
        acc, out = fn(acc, ell, delta)
        return (delta, acc), out

    ells = jnp.arange(L, dtype=jnp.int32)
    (_, acc), ys = lax.scan(body, (delta_init(L, dt), init), ells)
    return acc, ys


def scan_delta(
    L: int, fn: Callable[[Any, jax.Array, jax.Array], Any], init: Any, dtype: object = None
) -> Any:
    """Stream Δ^ℓ over ℓ = 0..L-1 in one ``lax.scan``: ``carry = fn(carry, ell, delta_ell)``.

    Memory is O(L²) (one Δ^ℓ at a time); ``delta_ell`` has shape (2L-1, 2L-1).  Limited to
    ``L <= DELTA_MAX_L[dtype]`` (1023 in float64, 127 in float32).
    """
    dt = resolve_dtype(dtype)
    L = _check_delta_L(L, dt)
    acc, _ = _scan(L, dt, lambda c, ell, d: (fn(c, ell, d), None), init)
    return acc


def delta_matrices(L: int, dtype: object = None) -> jax.Array:
    """All Δ^ℓ_{mn} = d^ℓ_{mn}(π/2), materialised: shape (L, 2L-1, 2L-1).

    ``out[ℓ, L-1+m, L-1+n] = Δ^ℓ_{mn}``; limited to ``L <= DELTA_MAX_L[dtype]``.
    """
    dt = resolve_dtype(dtype)
    L = _check_delta_L(L, dt)
    _, ys = _scan(L, dt, lambda c, ell, d: (c, d), None)
    return ys


def wigner_d_from_delta(delta_ell: jax.Array, beta: object) -> jax.Array:
    r"""d^ℓ_{mn}(β) for all m, n from Δ^ℓ by the exact Fourier sum.

    .. math::
        d^ℓ_{mn}(β) = \begin{cases}
          (-1)^{(n-m)/2} \sum_{m'} Δ^ℓ_{m'm} Δ^ℓ_{m'n} \cos m'β & n-m \text{ even} \\
          -(-1)^{(n-m-1)/2} \sum_{m'} Δ^ℓ_{m'm} Δ^ℓ_{m'n} \sin m'β & n-m \text{ odd}
        \end{cases}

    which is the real form of d = i^{n-m} Σ Δ Δ e^{i m' β} (McEwen & Wiaux 2011, eq. 8;
    the phase was checked against Wigner's explicit sum).  Each sum has Σ|ΔΔ| ≤ 1, so the
    error is a few ε whatever ℓ and β.

    Parameters
    ----------
    delta_ell : array of shape (2L-1, 2L-1)
        Δ^ℓ in the padded layout (e.g. one slice of :func:`delta_matrices`).
    beta : float or array of shape (nβ,)
        Angles in radians.

    Returns
    -------
    array of shape (2L-1, 2L-1) or (nβ, 2L-1, 2L-1)
        ``out[..., L-1+m, L-1+n] = d^ℓ_{mn}(β)``.
    """
    delta = jnp.asarray(delta_ell)
    if delta.ndim != 2 or delta.shape[0] != delta.shape[1] or delta.shape[0] % 2 != 1:
        raise ValueError(
            f"delta_ell has shape {delta.shape} but must be a square (2L-1, 2L-1) matrix"
        )
    L = (delta.shape[0] + 1) // 2
    b = as_beta(beta, delta.dtype)
    k = jnp.arange(-(L - 1), L)
    angle = b[..., None] * k.astype(delta.dtype)
    cos_sum = jnp.einsum("km,...k,kn->...mn", delta, jnp.cos(angle), delta)
    sin_sum = jnp.einsum("km,...k,kn->...mn", delta, jnp.sin(angle), delta)
    diff = k[None, :] - k[:, None]
    even = diff % 2 == 0
    return jnp.where(
        even,
        sign_of_parity(diff // 2) * cos_sum,
        -sign_of_parity((diff - 1) // 2) * sin_sum,
    )


def wigner_d_matrix(L: int, beta: object, dtype: object = None) -> jax.Array:
    """All d^ℓ_{mn}(β) for one β, via Δ: shape (L, 2L-1, 2L-1).

    ``out[ℓ, L-1+m, L-1+n] = d^ℓ_{mn}(β)``, zero where ℓ < max(|m|, |n|).  O(L⁴) work and
    O(L³) memory: meant for rotations and references at moderate L
    (``L <= DELTA_MAX_L[dtype]``).  ``beta`` must be a scalar (traced is fine).
    """
    dt = resolve_dtype(dtype)
    L = _check_delta_L(L, dt)
    b = as_beta(beta, dt, scalar=True)
    _, ys = _scan(L, dt, lambda c, ell, d: (c, wigner_d_from_delta(d, b)), None)
    return ys
