"""The ℓ-sum of every spin and Wigner transform, as a pair of mutually transposed primitives.

For ring colatitudes θ_t of a sampling scheme and one fixed second index n_p per slice p,

    synthesis:  G[..., p, t, m] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, m],
    analysis:   y[..., p, ℓ, m] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, m],

with ``m`` stored at column ``L−1+m``.  The kernel d is real, so analysis is the transpose
(and, on complex data, the adjoint) of synthesis.  d^ℓ is streamed over ℓ by the three-term
recursion (see :mod:`physml.s2fft._kernel`), so memory is O(nθ L) and compile time does not
grow with L.  Profiles G_m(θ) and each d^ℓ_{mn}(θ) are trigonometric polynomials of degree
< L, so on MW and DH rings the sums run on the L+1 MWSS rings (symmetric about the equator,
so folded to L/2+1) and are moved exactly on the torus (:mod:`physml.s2fft._torus`):
synthesis resamples G, analysis applies the transposed resampling first.

Why primitives: differentiating or transposing a loop whose carry holds the recursion state
makes JAX store every d^ℓ as a residual, O(nθ L²) memory.  Registering the two sums as
linear primitives, each the other's transpose, keeps ``grad``, ``jvp``, ``vjp``,
``linear_transpose`` and ``vmap`` at the cost (and memory) of one more transform.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import ShapedArray
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from physml.core import sampling as _sampling

from . import _kernel, _torus


@lru_cache(maxsize=128)
def ring_thetas(L: int, rings: tuple[str, int]) -> np.ndarray:
    """Colatitudes of the rings named by ``rings = (sampling, nside)`` (nside 0 unless HEALPix)."""
    sampling, nside = rings
    return _sampling.thetas(L, sampling, nside or None)


def _synthesis_impl(x, *, L, rings, orders, half):
    return _kernel.synthesis(x, L=L, theta=ring_thetas(L, rings), orders=orders, half=half)


def _analysis_impl(g, *, L, rings, orders, half):
    return _kernel.analysis(g, L=L, theta=ring_thetas(L, rings), orders=orders, half=half)


synthesis_p = Primitive("physml_s2fft_legendre_synthesis")
analysis_p = Primitive("physml_s2fft_legendre_analysis")


def _register(prim, impl, partner, out_rows):
    jitted = jax.jit(impl, static_argnames=("L", "rings", "orders", "half"))
    prim.def_impl(lambda x, **params: jitted(x, **params))

    def abstract(x, *, L, rings, orders, half):
        return ShapedArray((*x.shape[:-2], out_rows(L, rings), x.shape[-1]), x.dtype)

    prim.def_abstract_eval(abstract)
    mlir.register_lowering(prim, mlir.lower_fun(impl, multiple_results=False))

    def jvp(primals, tangents, **params):
        out = prim.bind(primals[0], **params)
        return out, prim.bind(ad.instantiate_zeros(tangents[0]), **params)

    ad.primitive_jvps[prim] = jvp

    def transpose(ct, x, **params):
        if type(ct) is ad.Zero:
            return [None]
        return [partner.bind(ct, **params)]

    ad.primitive_transposes[prim] = transpose

    def batch(args, dims, **params):
        (x,), (xd,) = args, dims
        return prim.bind(jnp.moveaxis(x, xd, 0), **params), 0

    batching.primitive_batchers[prim] = batch


_register(synthesis_p, _synthesis_impl, analysis_p, lambda L, rings: ring_thetas(L, rings).size)
_register(analysis_p, _analysis_impl, synthesis_p, lambda L, rings: L)


# Rings on which the sums run on the (folded) MWSS rings instead, moved exactly on the torus:
# MW is not symmetric about the equator, and DH has twice as many rings as MWSS.
_VIA_MWSS = ("mw", "dh")


def _orders(n, L: int) -> tuple[int, ...]:
    """The static orders n_p: concrete integers with |n| < L."""
    try:
        values = tuple(int(v) for v in np.asarray(n).reshape(-1))
    except jax.errors.ConcretizationTypeError as err:
        raise TypeError("the orders n of a Legendre sum must be static integers") from err
    if any(abs(v) >= L for v in values):
        raise ValueError(f"orders n={values} need |n| < L={L}")
    return values


def parity(orders: tuple[int, ...], L: int, half: bool = False) -> np.ndarray:
    """(P, 2L−1) True where m − n_p is odd (G_m(2π − θ) = −G_m(θ) on the torus); (P, L) on
    the orders m ≥ 0 with ``half``."""
    m = np.arange(0 if half else -(L - 1), L)
    return (m[None, :] - np.asarray(orders)[:, None]) % 2 == 1


def synthesis(x: jax.Array, n, L: int, rings: tuple[str, int], half: bool = False) -> jax.Array:
    """G[..., p, t, m] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, m]; x complex (..., P, L, 2L−1).

    ``n`` holds the P static orders n_p.  With ``half=True`` x holds the orders m = 0 … L−1
    only, (..., P, L, L) → (..., P, nθ, L): for a real spin-0 signal the m < 0 half follows
    from G_{−m} = conj G_m, so half the recursion and accumulation is done.  ``half`` needs
    orders closed under negation (n = 0).
    """
    orders = _orders(n, L)
    half = bool(half)
    if rings[0] not in _VIA_MWSS:
        return synthesis_p.bind(x, L=L, rings=rings, orders=orders, half=half)
    g = synthesis_p.bind(x, L=L, rings=("mwss", 0), orders=orders, half=half)
    return from_mwss(g, orders, L, rings[0], half)


def analysis(g: jax.Array, n, L: int, rings: tuple[str, int], half: bool = False) -> jax.Array:
    """y[..., p, ℓ, m] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, m]; G complex (..., P, nθ, 2L−1)
    (or (..., P, nθ, L) → (..., P, L, L) on the orders m ≥ 0 with ``half=True``)."""
    orders = _orders(n, L)
    half = bool(half)
    if rings[0] not in _VIA_MWSS:
        return analysis_p.bind(g, L=L, rings=rings, orders=orders, half=half)
    h = onto_mwss(g, orders, L, rings[0], half)
    return analysis_p.bind(h, L=L, rings=("mwss", 0), orders=orders, half=half)


def from_mwss(g: jax.Array, orders: tuple[int, ...], L: int, target: str, half: bool = False):
    """The exact torus move of ring profiles (..., P, L+1, M) from MWSS onto ``target`` rings
    (``"mw"`` or ``"dh"``)."""
    return _torus.move(g, parity(orders, L, half), L, "mwss", target)


def onto_mwss(g: jax.Array, orders: tuple[int, ...], L: int, source: str, half: bool = False):
    """Transpose of the exact torus move MWSS → ``source`` rings (``"mw"`` or ``"dh"``):
    (..., P, nθ, M) → (..., P, L+1, M), so that Σ_t d(θ_t) G[t] over ``source`` rings equals
    the same sum over MWSS rings of the result (both are degree < L trigonometric sums)."""
    shape = (*g.shape[:-2], _sampling.ntheta(L, "mwss"), g.shape[-1])
    (h,) = jax.linear_transpose(
        lambda a: from_mwss(a, orders, L, source, half),
        jax.ShapeDtypeStruct(shape, g.dtype),
    )(g)
    return h


def kernel_rings(sampling: str, nside: int) -> tuple[str, int]:
    """Rings on which the ℓ-sums of ``sampling`` run: MWSS for MW and DH, else its own."""
    return ("mwss", 0) if sampling in _VIA_MWSS else (sampling, nside)
