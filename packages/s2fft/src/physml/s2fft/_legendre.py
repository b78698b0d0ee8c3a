"""The ℓ-sum of every spin and Wigner transform, as a pair of mutually transposed primitives.

For ring colatitudes θ_t of a sampling scheme and one fixed second index n_p per slice p,

    synthesis:  G[..., p, t, m] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, m],
    analysis:   y[..., p, ℓ, m] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, m],

with ``m`` stored at column ``L−1+m``.  The kernel d is real, so analysis is the transpose
(and, on complex data, the adjoint) of synthesis.  Both stream d^ℓ over ℓ with the extended-
range recursion of :mod:`physml.core.wigner` inside one ``lax.scan``, so memory is O(nθ L)
and compile time does not grow with L.

Why primitives: differentiating or transposing a ``lax.scan`` whose carry holds the
recursion state makes JAX store every d^ℓ as a residual, O(nθ L²) memory.  Registering the
two sums as linear primitives, each the other's transpose, keeps ``grad``, ``jvp``, ``vjp``,
``linear_transpose`` and ``vmap`` at the cost (and memory) of one more transform.
"""

from __future__ import annotations

from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.core import ShapedArray
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from physml.core import sampling as _sampling

from ._wigner import recursion_init, recursion_step


@lru_cache(maxsize=128)
def ring_thetas(L: int, rings: tuple[str, int]) -> np.ndarray:
    """Colatitudes of the rings named by ``rings = (sampling, nside)`` (nside 0 unless HEALPix)."""
    sampling, nside = rings
    return _sampling.thetas(L, sampling, nside or None)


def _real_dtype(x: jax.Array) -> np.dtype:
    return np.dtype(jnp.finfo(x.dtype).dtype)


def _init(L: int, theta: jax.Array, n: jax.Array, dtype: np.dtype):
    return jax.vmap(lambda k: recursion_init(L, theta, k, dtype))(n)


def _synthesis_impl(x: jax.Array, n: jax.Array, *, L: int, rings: tuple[str, int]) -> jax.Array:
    dt = _real_dtype(x)
    theta = jnp.asarray(ring_thetas(L, rings), dt)
    state = _init(L, theta, n, dt)
    # ℓ leads so the scan slices one degree per step: (L, ..., P, 2L−1) real and imaginary.
    xs = (jnp.moveaxis(x.real, -2, 0), jnp.moveaxis(x.imag, -2, 0))
    zeros = jnp.zeros((*x.shape[:-2], theta.size, x.shape[-1]), dt)

    def body(carry, x_ell):
        st, g_re, g_im = carry
        st, d = jax.vmap(recursion_step)(st)  # (P, nθ, 2L−1)
        g_re = g_re + d * x_ell[0][..., None, :]
        g_im = g_im + d * x_ell[1][..., None, :]
        return (st, g_re, g_im), None

    (_, g_re, g_im), _ = lax.scan(body, (state, zeros, zeros), xs)
    return lax.complex(g_re, g_im)


def _analysis_impl(g: jax.Array, n: jax.Array, *, L: int, rings: tuple[str, int]) -> jax.Array:
    dt = _real_dtype(g)
    theta = jnp.asarray(ring_thetas(L, rings), dt)
    state = _init(L, theta, n, dt)
    g_re, g_im = g.real, g.imag

    def body(st, _):
        st, d = jax.vmap(recursion_step)(st)
        return st, (jnp.sum(d * g_re, axis=-2), jnp.sum(d * g_im, axis=-2))

    _, (y_re, y_im) = lax.scan(body, state, None, length=L)
    return jnp.moveaxis(lax.complex(y_re, y_im), 0, -2)


synthesis_p = Primitive("physml_s2fft_legendre_synthesis")
analysis_p = Primitive("physml_s2fft_legendre_analysis")


def _register(prim, impl, partner, out_rows):
    jitted = jax.jit(impl, static_argnames=("L", "rings"))
    prim.def_impl(lambda x, n, **params: jitted(x, n, **params))

    def abstract(x, n, *, L, rings):
        return ShapedArray((*x.shape[:-2], out_rows(L, rings), x.shape[-1]), x.dtype)

    prim.def_abstract_eval(abstract)
    mlir.register_lowering(prim, mlir.lower_fun(impl, multiple_results=False))

    def jvp(primals, tangents, **params):
        x, n = primals
        out = prim.bind(x, n, **params)
        tx = ad.instantiate_zeros(tangents[0])
        return out, prim.bind(tx, n, **params)

    ad.primitive_jvps[prim] = jvp

    def transpose(ct, x, n, **params):
        if type(ct) is ad.Zero:
            return [None, None]
        return [partner.bind(ct, n, **params), None]

    ad.primitive_transposes[prim] = transpose
    batching.primitive_batchers[prim] = partial(_batch, prim)


def _batch(prim, args, dims, **params):
    """Leading axes of x are free batch axes; a batched n multiplies the slice axis p."""
    x, n = args
    xd, nd = dims
    if nd is None:
        return prim.bind(jnp.moveaxis(x, xd, 0), n, **params), 0
    n = jnp.moveaxis(n, nd, 0)
    batch, slices = n.shape
    if xd is None:
        x = jnp.broadcast_to(x, (batch, *x.shape))
        xd = 0
    x = jnp.moveaxis(x, xd, -4)
    x = x.reshape(*x.shape[:-4], batch * slices, *x.shape[-2:])
    out = prim.bind(x, n.reshape(-1), **params)
    out = out.reshape(*out.shape[:-3], batch, slices, *out.shape[-2:])
    return out, out.ndim - 4


_register(synthesis_p, _synthesis_impl, analysis_p, lambda L, rings: ring_thetas(L, rings).size)
_register(analysis_p, _analysis_impl, synthesis_p, lambda L, rings: L)


def synthesis(x: jax.Array, n: jax.Array, L: int, rings: tuple[str, int]) -> jax.Array:
    """G[..., p, t, m] = Σ_ℓ d^ℓ_{m,n_p}(θ_t) x[..., p, ℓ, m]; x complex (..., P, L, 2L−1)."""
    return synthesis_p.bind(x, jnp.asarray(n, jnp.int32), L=L, rings=rings)


def analysis(g: jax.Array, n: jax.Array, L: int, rings: tuple[str, int]) -> jax.Array:
    """y[..., p, ℓ, m] = Σ_t d^ℓ_{m,n_p}(θ_t) G[..., p, t, m]; G complex (..., P, nθ, 2L−1)."""
    return analysis_p.bind(g, jnp.asarray(n, jnp.int32), L=L, rings=rings)
