"""Exact analysis quadrature for every equiangular scheme, spin included.

After the ring FFT a spin-s signal band-limited at L has, for each order m, the ring profile

    G_m(θ) = (1/2π) ∫ f(θ, φ) e^{−imφ} dφ = Σ_ℓ f_ℓm (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ),

and the coefficients are f_ℓm = 2π ∫_0^π G_m(θ) (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ) sin θ dθ.
Both G_m and d^ℓ_{m,−s} are (1−x)^{|m+s|/2} (1+x)^{|m−s|/2} times a polynomial in
x = cos θ, so the integrand is a polynomial in x of degree ≤ 2L−2 *for every spin*: a
Gauss–Legendre rule with L nodes (``gl``) or the Driscoll–Healy rule with 2L rings (``dh``)
integrates it exactly.

MW (McEwen & Wiaux 2011) and MWSS (Ocampo, Price & McEwen 2023) have too few rings for that.
There, G_m is a trigonometric polynomial of degree < L in θ, and d^ℓ_{m,n}(−θ) =
(−1)^{m−n} d^ℓ_{m,n}(θ) extends it to the torus, G_m(2π − θ) = (−1)^{m+s} G_m(θ).  The rings
then give 2L−1 (MW) or 2L (MWSS) equispaced torus samples, enough to interpolate G_m exactly
onto the 2L Driscoll–Healy rings, where the exact rule above applies.  Folding each mirrored
torus sample back onto its ring gives one (2L × nθ) matrix per parity of m+s.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import quadrature as _quadrature
from physml.core import sampling as _sampling

from . import _legendre, _torus


@lru_cache(maxsize=32)
def resampling_matrices(L: int, sampling: str) -> tuple[np.ndarray, np.ndarray]:
    """(even, odd) matrices (2L, nθ) mapping ring profiles to 2π w_j G_m(θ_j^DH) / nφ.

    ``even`` applies to orders with m+s even, ``odd`` to m+s odd; the Driscoll–Healy weights
    w_j and the 1/nφ that turns the unnormalised ring FFT into G_m are folded in.  The DH
    rule (2L closed-form nodes) is used rather than Gauss–Legendre (L nodes) because its
    nodes and weights are exact to rounding: the Gauss–Legendre weights of
    ``numpy.polynomial.legendre.leggauss`` reproduce orthogonality only to ~4e-13 at L = 128,
    which costs a round trip error of ~5e-12 there, against ~1e-13 with DH.
    """
    dh = _quadrature.weights(L, "dh") * (2 * L - 1) / (2 * np.pi)
    scale = dh[:, None] * (2 * np.pi) / _sampling.nphi(L, sampling)
    even, odd = scale * _torus.matrices(L, sampling, "dh")
    for arr in (even, odd):
        arr.setflags(write=False)
    return even, odd


@lru_cache(maxsize=16)
def kernel_matrices(L: int, sampling: str) -> np.ndarray:
    """(2, L+1, nθ) ring FFT sums on ``sampling`` rings → weighted MWSS kernel profiles.

    The chain of :func:`to_quadrature_rings` (exact move onto the Driscoll–Healy rings,
    weights 2π w_j/nφ) and the transposed MWSS → DH move of the Legendre analysis, for
    m − n even (0) and odd (1), as one matrix:
    A_q = T_q(MWSS → DH)ᵀ · diag(w_DH (2L−1)/nφ) · T_q(sampling → DH) (identity for DH).
    """
    back = _torus.matrices(L, "mwss", "dh").transpose(0, 2, 1)
    if sampling == "dh":  # already on the DH rings: the weights alone
        out = back * (_quadrature.weights(L, "dh") * (2 * L - 1) / _sampling.nphi(L, "dh"))
    else:
        out = back @ np.stack(resampling_matrices(L, sampling))
    out.setflags(write=False)
    return out


def onto_kernel_rings(F: jax.Array, n, L: int, sampling: str, nside: int, half: bool = False):
    """Ring FFT sums F (..., P, nθ, M) → weighted profiles on the rings the Legendre sums run on.

    Returns ``(H, rings)`` with Σ_t d^ℓ_{m,n}(θ_t) H[..., t, m] over ``rings`` equal to
    2π ∫ G_m d^ℓ_{m,n} sin θ dθ, ``rings`` being :func:`physml.s2fft._legendre.kernel_rings`
    (MWSS for MW, MWSS and DH, as one dense :func:`kernel_matrices` product up to
    ``_torus.DENSE_MAX_L``, else by FFTs on the torus).
    """
    orders = tuple(int(v) for v in np.asarray(n).reshape(-1))
    if sampling in ("mw", "mwss", "dh") and L <= _torus.DENSE_MAX_L:
        parity = _legendre.parity(orders, L, half)
        return _torus.by_parity(kernel_matrices(L, sampling), F, parity), ("mwss", 0)
    h, rings = to_quadrature_rings(F, orders, L, sampling, nside, half)
    if rings[0] in _legendre._VIA_MWSS:
        return _legendre.onto_mwss(h, orders, L, rings[0], half), ("mwss", 0)
    return h, rings


def to_quadrature_rings(F: jax.Array, n, L: int, sampling: str, nside: int, half: bool = False):
    """Ring FFT sums F (..., P, nθ, 2L−1) → weighted profiles on rings with an exact rule.

    Returns ``(H, rings)`` such that Σ_t d^ℓ_{m,n}(θ_t) H[..., t, m] over ``rings`` equals
    2π ∫ G_m d^ℓ_{m,n} sin θ dθ exactly (MW/MWSS/DH/GL; HEALPix to its quadrature accuracy).
    MW/MWSS profiles are moved onto the Driscoll–Healy rings by FFTs on the torus.  With
    ``half`` F holds the orders m = 0 … L−1 only (..., P, nθ, L).
    """
    dt = jnp.finfo(F.dtype).dtype
    if sampling in ("mw", "mwss"):
        parity = _legendre.parity(tuple(np.asarray(n).reshape(-1)), L, half)
        dh = _quadrature.weights(L, "dh") * (2 * L - 1) / _sampling.nphi(L, sampling)
        h = _torus.resample(F, parity, L, sampling, "dh")
        return h * jnp.asarray(dh, dt)[:, None], ("dh", 0)
    w = jnp.asarray(_quadrature.weights(L, sampling, nside or None), dt)
    return F * w[:, None], (sampling, nside)


def quadrature_analysis(F: jax.Array, n, L: int, sampling: str, nside: int, half: bool = False):
    """y[..., p, ℓ, m] = 2π ∫ G_m(θ) d^ℓ_{m,n_p}(θ) sin θ dθ from ring FFT sums F (on the
    orders m ≥ 0 only with ``half``, see :func:`physml.s2fft._legendre.analysis`)."""
    h, rings = onto_kernel_rings(F, n, L, sampling, nside, half)
    return _legendre.analysis(h, n, L, rings, half)
