"""Step 0 of the demo: a non-Gaussian, weak-lensing-like field on the sphere.

The convergence-like field is a shifted lognormal transform of a Gaussian field g
(Hilbert, Hartlap & Schneider 2011; Xavier et al. 2016)::

    κ(ω) = λ [exp(g(ω) − σ_g²/2) − 1],    σ_g² = Σ_ℓ (2ℓ+1) C^g_ℓ / (4π),

so ⟨κ⟩ = 0, κ > −λ (a skewed, heavy-tailed one-point PDF like lensing convergence), and to
its two-point function is exactly ξ_κ(θ) = λ² (exp ξ_g(θ) − 1), from which
:func:`lognormal_cl` gives C^κ_ℓ by Gauss–Legendre quadrature.  The exponential is not
band-limited: it is evaluated on a grid of band-limit 2L and projected onto ℓ < L by the MW
quadrature at 2L (aliasing comes only from power at ℓ ≥ 2L, which the damping of C^g makes
negligible), so the field handed to the rest of the chain is band-limited at L by construction.

The Gaussian spectrum is an analytic lensing-like shape, C^g_ℓ ∝ (ℓ + ℓ₀)^(−2) e^(−(ℓ/ℓ_s)²),
with the amplitude fixed by the variance σ_g² requested.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from physml import s2fft
from physml.core import quadrature, sampling


@dataclass(frozen=True)
class FieldSpec:
    """Parameters of the lognormal field (defaults give a κ-like map)."""

    L: int = 64
    sigma_g: float = 0.5  # r.m.s. of the Gaussian field g: sets the non-Gaussianity
    shift: float = 0.05  # λ: the lognormal shift (κ > −λ)
    ell0: float = 8.0
    ell_s_fraction: float = 0.6  # Gaussian damping scale ℓ_s = fraction × L


def gaussian_cl(spec: FieldSpec, L: int | None = None) -> np.ndarray:
    """C^g_ℓ, ℓ < L, normalised so that Σ_ℓ (2ℓ+1) C^g_ℓ / 4π = σ_g² for ℓ < spec.L; C_0 = 0."""
    L = spec.L if L is None else L
    ell = np.arange(max(L, spec.L), dtype=float)
    shape = (ell + spec.ell0) ** -2.0 * np.exp(-((ell / (spec.ell_s_fraction * spec.L)) ** 2))
    shape[0] = 0.0
    shape[spec.L :] = 0.0  # g is band-limited at spec.L
    norm = np.sum((2 * ell + 1) * shape) / (4 * np.pi)
    return (shape * spec.sigma_g**2 / norm)[:L]


def leading_order_cl(spec: FieldSpec) -> np.ndarray:
    """The leading-order κ spectrum λ² C^g_ℓ (right at large scales, wrong in shape)."""
    return spec.shift**2 * gaussian_cl(spec)


def lognormal_cl(spec: FieldSpec, n_nodes: int | None = None) -> np.ndarray:
    """The exact κ spectrum for ℓ < L from ξ_κ = λ² (e^{ξ_g} − 1).

    ξ_g(θ) = Σ_ℓ (2ℓ+1)/(4π) C^g_ℓ P_ℓ(cos θ) and C^κ_ℓ = 2π ∫ ξ_κ P_ℓ d(cos θ), both sums
    evaluated on Gauss–Legendre nodes (default 8L, converged to rounding for these spectra).
    """
    n_nodes = 8 * spec.L if n_nodes is None else n_nodes
    theta, w = sampling.gauss_legendre_thetas(n_nodes)
    p = _legendre_table(spec.L, np.cos(theta))  # (L, n_nodes)
    ell = np.arange(spec.L)
    xi_g = ((2 * ell + 1) / (4 * np.pi) * gaussian_cl(spec)) @ p
    xi_k = spec.shift**2 * np.expm1(xi_g)
    return 2 * np.pi * (p * w) @ xi_k


def _legendre_table(L: int, x: np.ndarray) -> np.ndarray:
    table = np.empty((L, x.size))
    table[0] = 1.0
    if L > 1:
        table[1] = x
    for n in range(1, L - 1):
        table[n + 1] = ((2 * n + 1) * x * table[n] - n * table[n - 1]) / (n + 1)
    return table


def lognormal_flm(key: jax.Array, spec: FieldSpec, batch: tuple[int, ...] = ()) -> jax.Array:
    """Harmonic coefficients (…, L, 2L−1) of band-limited lognormal fields κ."""
    L, L2 = spec.L, 2 * spec.L
    glm = s2fft.random_flm(key, L2, jnp.asarray(gaussian_cl(spec, L2)), batch=batch)
    g = s2fft.inverse(glm, L2, reality=True)
    kappa = spec.shift * (jnp.exp(g - spec.sigma_g**2 / 2) - 1.0)
    klm = s2fft.forward(kappa, L2, reality=True)
    return klm[..., :L, L2 - L : L2 + L - 1]


def gaussian_twin_flm(key: jax.Array, flm: jax.Array, L: int) -> jax.Array:
    """A Gaussian field with exactly the same C_ℓ per ℓ as ``flm`` (random phases)."""
    cl = s2fft.power_spectrum(flm, L)
    twin = s2fft.random_flm(key, L, jnp.ones(L))
    twin_cl = s2fft.power_spectrum(twin, L)
    return twin * jnp.sqrt(jnp.where(twin_cl > 0, cl / twin_cl, 0.0))[:, None]


def pad_flm(flm: jax.Array, L: int, L_out: int) -> jax.Array:
    """Zero-pad (…, L, 2L−1) coefficients to band-limit ``L_out`` ≥ L."""
    pad = [(0, 0)] * (flm.ndim - 2) + [(0, L_out - L), (L_out - L, L_out - L)]
    return jnp.pad(flm, pad)


def moments(flm: jax.Array, L: int) -> dict[str, float]:
    """Mean, std, skewness and excess kurtosis of the band-limited field on S², exactly.

    f⁴ is band-limited at 4L − 3, so Gauss–Legendre quadrature at band-limit 2L (2L rings,
    4L − 1 longitudes) integrates every moment up to the fourth exactly.
    """
    L2 = 2 * L
    f = np.asarray(s2fft.inverse(pad_flm(flm, L, L2), L2, sampling="gl", reality=True))
    w = np.asarray(quadrature.weights(L2, "gl"))[:, None]
    area = 4 * np.pi
    mean = float(np.sum(w * f) / area)
    d = f - mean
    var = float(np.sum(w * d**2) / area)
    skew = float(np.sum(w * d**3) / area / var**1.5)
    kurt = float(np.sum(w * d**4) / area / var**2 - 3.0)
    return {"mean": mean, "std": var**0.5, "skewness": skew, "kurtosis": kurt}
