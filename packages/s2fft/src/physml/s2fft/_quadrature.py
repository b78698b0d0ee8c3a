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


def _interpolation_matrix(L: int, target: np.ndarray, torus: np.ndarray) -> np.ndarray:
    """K[j, t] evaluating at ``target`` the degree < L trigonometric interpolant of torus samples.

    K[j, t] = (1/N) Σ_{|k|<L} e^{ik(θ_j − θ_t)}, exact for degree < L whenever N ≥ 2L−1.
    """
    k = np.arange(1, L)
    cos_target, sin_target = np.cos(np.outer(target, k)), np.sin(np.outer(target, k))
    cos_torus, sin_torus = np.cos(np.outer(torus, k)), np.sin(np.outer(torus, k))
    return (1.0 + 2.0 * (cos_target @ cos_torus.T + sin_target @ sin_torus.T)) / torus.size


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
    if sampling == "mw":
        n_torus, first = 2 * L - 1, np.pi / (2 * L - 1)
    else:
        n_torus, first = 2 * L, 0.0
    rings = _sampling.ntheta(L, sampling)
    torus = first + 2 * np.pi * np.arange(n_torus) / n_torus
    target = _sampling.thetas(L, "dh")
    full = _interpolation_matrix(L, target, torus)
    # Torus sample t ≥ rings lies at 2π − θ of ring n_torus − t (MW: 2L−2−t, MWSS: 2L−t).
    mirrored = np.zeros((target.size, rings))
    for t in range(rings, n_torus):
        mirrored[:, n_torus - t if sampling == "mwss" else 2 * L - 2 - t] += full[:, t]
    direct = full[:, :rings]
    dh = _quadrature.weights(L, "dh") * (2 * L - 1) / (2 * np.pi)
    scale = dh[:, None] * (2 * np.pi) / _sampling.nphi(L, sampling)
    even, odd = scale * (direct + mirrored), scale * (direct - mirrored)
    for arr in (even, odd):
        arr.setflags(write=False)
    return even, odd


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
    h, rings = to_quadrature_rings(F, n, L, sampling, nside, half)
    return _legendre.analysis(h, n, L, rings, half)
