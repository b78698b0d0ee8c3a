"""Rotation of band-limited signals in harmonic space, with traced Euler angles.

A rotation R(α, β, γ) (zyz Euler angles) acts on harmonic coefficients degree by degree,

    f'_ℓm = Σ_{m'} D^ℓ_{mm'}(α, β, γ) f_ℓm',      D^ℓ_{mm'} = e^{−imα} d^ℓ_{mm'}(β) e^{−im'γ},

the convention of the established s2fft.  d^ℓ(β) is factored through Δ^ℓ = d^ℓ(π/2)
(Risbo 1996; McEwen et al. 2015):

    d^ℓ_{mm'}(β) = i^{m'−m} Σ_k Δ^ℓ_{km} Δ^ℓ_{km'} e^{ikβ},

so the angles enter only through phases: they are traced (a new angle never recompiles) and
differentiable.  Δ^ℓ is streamed over ℓ in one ``lax.scan`` from the recursion of
:mod:`physml.core.wigner` at β = π/2, so memory is O(L²) and compile time does not grow with L.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from physml.core.validation import check_finite, validate_dtype, validate_L, validate_shape

from ._wigner import recursion_init, recursion_step


def _i_power(k: jax.Array, dtype) -> jax.Array:
    """i^k for integer arrays k."""
    phase = (k % 4).astype(dtype) * (np.pi / 2)
    return lax.complex(jnp.round(jnp.cos(phase)), jnp.round(jnp.sin(phase)))


@partial(jax.jit, static_argnames=("L",))
def _rotate(flm, alpha, beta, gamma, *, L):
    dt = jnp.finfo(flm.dtype).dtype
    m = jnp.arange(-(L - 1), L)
    orders = m.astype(jnp.int32)
    state = jax.vmap(lambda n: recursion_init(L, jnp.asarray(np.pi / 2, dt), n, dt))(orders)
    e_alpha = jnp.exp(-1j * m * alpha.astype(dt))
    e_beta = jnp.exp(1j * m * beta.astype(dt))
    e_gamma = jnp.exp(-1j * m * gamma.astype(dt))
    i_pos, i_neg = _i_power(m, dt), _i_power(-m, dt)

    def body(st, f_ell):
        st, delta = jax.vmap(recursion_step)(st)  # delta[n, L−1+k] = Δ^ℓ_{kn}
        v = f_ell * e_gamma * i_pos  # over m'
        w = jnp.einsum("nk,...n->...k", delta, v) * e_beta
        u = jnp.einsum("mk,...k->...m", delta, w) * i_neg
        return st, u * e_alpha

    _, rotated = lax.scan(body, state, jnp.moveaxis(flm, -2, 0))
    return jnp.moveaxis(rotated, 0, -2)


def rotate(flm: jax.Array, L: int, alpha, beta, gamma) -> jax.Array:
    """Rotate a band-limited signal by Euler angles (α, β, γ) (zyz, active).

    Parameters
    ----------
    flm : (..., L, 2L−1) complex coefficients.
    L : band-limit (static).
    alpha, beta, gamma : scalar angles in radians (traced: no recompilation per angle, and
        differentiable).

    Returns
    -------
    (..., L, 2L−1) coefficients f'_ℓm = Σ_m' e^{−imα} d^ℓ_{mm'}(β) e^{−im'γ} f_ℓm'.

    Examples
    --------
    >>> rotated = rotate(flm, 16, 0.1, 0.2, 0.3)                           # doctest: +SKIP
    >>> back = rotate(rotated, 16, -0.3, -0.2, -0.1)                       # doctest: +SKIP
    """
    L = validate_L(L)
    validate_shape(flm, (L, 2 * L - 1), name="flm", context=f"L={L}", batch_ok=True)
    validate_dtype(flm, name="flm")
    check_finite(flm, name="flm")
    flm = jnp.asarray(flm)
    flm = flm.astype(jnp.result_type(flm.dtype, jnp.complex64))
    angles = []
    for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        if np.shape(value) != ():
            raise ValueError(f"{name} must be a scalar angle, got shape {np.shape(value)}")
        check_finite(value, name=name)
        angles.append(jnp.asarray(value))
    return _rotate(flm, *angles, L=L)
