"""Raw (unnormalised) scattering moments from harmonic coefficients.

For each scale λ (index j) the wavelet coefficients W_j(ρ) = (f ⋆ ψ_j)(ρ) live on SO(3) with
band-limit L_j and N_j directions (McEwen et al. 2018)::

    W_j,ℓmn = (8π²/(2ℓ+1)) f_ℓm conj(Ψ^j_ℓn).

They are sampled on a grid of band-limit ``oversample · L_j`` with 2N_j − 1 directions, where
|W_j|² is exactly representable, and the modulus M_j = |W_j| is taken back to Wigner
coefficients M_j,ℓmk by exact quadrature.  Its k-th Fourier harmonic in the orientation γ,
written as spherical-harmonic coefficients, is::

    m^k_j,ℓm = sqrt(4π(2ℓ+1)) / (8π²) · M_j,ℓmk     (k = 0: the direction-averaged modulus).

Spherical averages over SO(3) then reduce to harmonic sums (Parseval), which are exactly
rotation invariant (a rotation acts on the index m by a unitary matrix)::

    S1_j        = ⟨M_j⟩ = m^0_j,00 / sqrt(4π),
    S2_j        = ⟨|W_j|²⟩ = Σ_ℓ C_ℓ (2ℓ+1) K_j(ℓ) / (8π²),
    S3[λ1,λ2,k] = ⟨W_λ2 conj(m^k_λ1 ⋆ ψ_λ2)⟩ = Σ_ℓ K_λ2(ℓ)/(8π²) Σ_m f_ℓm conj(m^k_λ1,ℓm),
    S4[λ1,λ2,λ3,k1,k2] = Σ_ℓ K_λ3(ℓ)/(8π²) Σ_m m^k1_λ1,ℓm conj(m^k2_λ2,ℓm),

with K_j(ℓ) = (8π²/(2ℓ+1)) Σ_n |Ψ^j_ℓn|².  The wavelets vanish at ℓ = 0, so these are
covariances (means removed).  All pairs and triples of scales come from two ``einsum``s over
stacked arrays: the compiled program has one transform pair per scale and nothing per pair.

References: Mallat (2012); McEwen, Wallis & Mavor-Parker (2022); Mousset et al. (2024).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import quadrature
from physml.s2fft import wigner

from . import _sphere, _streamed
from ._operator import Scattering


class Moments(NamedTuple):
    """Raw moments of one field (shapes for J scales, P pairs, T triples, K harmonics)."""

    mean: jax.Array  # () complex
    var: jax.Array  # () real
    s1: jax.Array  # (J,) real
    s2: jax.Array  # (J,) real
    s3: jax.Array  # (P, K) complex
    s4: jax.Array  # (T, K, K) complex


def modulus(w: jax.Array, eps2: jax.Array) -> jax.Array:
    """sqrt(|w|² + ε²) (ε = 0: |w| with a zero, not NaN, gradient where w = 0)."""
    r2 = jnp.abs(w) ** 2 + eps2
    positive = r2 > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, r2, 1.0)), 0.0)


def nonlinearity(w: jax.Array, s2_j: jax.Array, op: Scattering) -> jax.Array:
    """The envelope M_j of the wavelet coefficients ``w`` of a scale with ⟨|w|²⟩ = ``s2_j``.

    ``"square"``: |w|² / sqrt(S2_j), band-limited at 2L_j (so its sampling is exact);
    ``"modulus"``: sqrt(|w|² + ε² S2_j) (ε = 0: |w|, not band-limited).  Both have the units
    of w, so the normalisations of :class:`~physml.s2scat.Statistics` apply to either.
    """
    if op.nonlinearity == "square":
        safe = jnp.where(s2_j > 0, s2_j, 1.0)
        return jnp.abs(w) ** 2 * jnp.where(s2_j > 0, jax.lax.rsqrt(safe), 0.0)
    return modulus(w, op.epsilon**2 * s2_j)


def _ell(L: int, dtype) -> np.ndarray:
    return np.arange(L).astype(dtype)


def _pad_lm(x: jax.Array, L_in: int, L_out: int) -> jax.Array:
    """Crop or zero-pad (..., L_in, 2L_in−1) harmonic blocks to (..., L_out, 2L_out−1)."""
    if L_out <= L_in:
        return x[..., :L_out, L_in - L_out : L_in - 1 + L_out]
    pad = [(0, 0)] * (x.ndim - 2) + [(0, L_out - L_in), (L_out - L_in, L_out - L_in)]
    return jnp.pad(x, pad)


def _scale_modulus(flm, psi, op: Scattering, grid: tuple[int, ...], legendre=None):
    """(S2_j, m^k_j,ℓm) of one scale with kernel ``psi`` = Ψ^j_ℓn of shape (L_j, 2N_j−1).

    ``grid = (L_j, N_j, G, N_g)``: the scale's band-limit and directions, and the band-limit
    and directions of the grid on which the modulus is sampled (N_j > 1; axisymmetric scales
    use the Gauss–Legendre grid of :mod:`._sphere`).  ``legendre``: that grid's precomputed
    kernel or ``None`` (streamed).  Returns m as (K, L, 2L−1).
    """
    L = op.L
    Lj, Nj, G, Ng = grid
    real = flm.real.dtype
    psi = psi.astype(flm.dtype)
    f_j = _pad_lm(flm, L, Lj)
    if Nj == 1:
        # Axisymmetric: W_j is a function on S², W_j,ℓm = sqrt(4π/(2ℓ+1)) conj(Ψ^j_ℓ0) f_ℓm.
        factor = np.sqrt(4 * np.pi / (2 * _ell(Lj, np.float64) + 1))
        wlm = f_j * (jnp.conj(psi[:, 0]) * jnp.asarray(factor, real))[:, None]
        ntheta, nphi = _sphere.grid_shape(Lj, op.oversample)
        w = _sphere.synthesis(wlm, nphi, legendre, ntheta, op.reality)
        gl = jnp.asarray(_sphere.quadrature_weights(ntheta), real)
        s2_j = jnp.sum(gl[:, None] * jnp.abs(w) ** 2) / (2 * nphi)
        m = nonlinearity(w, s2_j, op)
        mlm = _sphere.analysis(m, Lj, legendre, gl)[None]
        # W_j does not depend on the orientation: its harmonics k ≥ 1 vanish.
        mlm = jnp.pad(mlm, [(0, op.harmonics - 1), (0, 0), (0, 0)])
        return s2_j, _pad_lm(mlm, Lj, L)
    weights = jnp.asarray(quadrature.weights(G, "mw"), real)[:, None]
    ell_factor = jnp.asarray(8 * np.pi**2 / (2 * _ell(Lj, np.float64) + 1), real)
    flmn = jnp.einsum("lm,ln->nlm", f_j, jnp.conj(psi) * ell_factor[:, None])
    pad_n = (Ng - Nj, Ng - Nj)
    flmn = jnp.pad(_pad_lm(flmn, Lj, G), [pad_n, (0, 0), (0, 0)])
    w = wigner.inverse(flmn, G, Ng, "mw")
    s2_j = jnp.sum(weights * jnp.abs(w) ** 2) / (8 * np.pi**2) * (2 * np.pi / (2 * Ng - 1))
    mlmn = wigner.forward(nonlinearity(w, s2_j, op).astype(w.dtype), G, Ng, "mw")
    to_sphere = np.sqrt(4 * np.pi * (2 * _ell(G, np.float64) + 1)) / (8 * np.pi**2)
    kept = min(op.harmonics, Ng)
    mlm = mlmn[Ng - 1 : Ng - 1 + kept] * jnp.asarray(to_sphere, real)[:, None]
    mlm = jnp.pad(mlm, [(0, op.harmonics - kept), (0, 0), (0, 0)])
    return s2_j, _pad_lm(mlm, G, L)


def _all_moduli(flm: jax.Array, op: Scattering):
    """(J,) S2 and (J, K, L, 2L−1) modulus harmonics of every scale.

    Scales that share a grid (:attr:`Scattering.groups`: equal band-limits under
    multiresolution, all scales without it) go through one batched (``vmap``) transform pair,
    so a kernel is read once per group.  Multiresolution: least work, one transform pair per
    distinct band-limit in the program.  Without it: one pair on the finest grid, so the
    compiled program does not depend on the number of scales.
    """
    filt = op.filters
    N = filt.N
    if op.streamed:
        return _streamed.all_moduli(flm, op, lambda w, s2_j: nonlinearity(w, s2_j, op))
    s2_all, mods = [], []
    for number, group in enumerate(op.groups):
        Lj, Nj = op.group_grid(group)[:2]
        psi = filt.psi[np.asarray(group), :Lj, N - Nj : N - 1 + Nj]
        legendre = op.kernels[number] if op.kernels else None
        grid = op.group_grid(group)
        s2_j, m_j = jax.vmap(lambda p, g=grid, k=legendre: _scale_modulus(flm, p, op, g, k))(psi)
        s2_all.append(s2_j)
        mods.append(m_j)
    return jnp.concatenate(s2_all), jnp.concatenate(mods)


def moments(flm: jax.Array, op: Scattering) -> Moments:
    """Raw moments of one field from its (L, 2L−1) coefficients (no validation, no batch)."""
    L = op.L
    real = flm.real.dtype
    mean = flm[0, L - 1] / np.sqrt(4 * np.pi)
    var = (jnp.sum(jnp.abs(flm) ** 2) - jnp.abs(flm[0, L - 1]) ** 2) / (4 * np.pi)
    s2_all, mods = _all_moduli(flm, op)  # (J,), (J, K, L, 2L−1)
    s1 = mods[:, 0, 0, L - 1].real / np.sqrt(4 * np.pi)
    kernel = op.power.astype(real) / (8 * np.pi**2)  # (J, L)
    if op.reality and op.N == 1:
        # Hermitian f and m (a_ℓ,−m = (−1)^m conj(a_ℓm)): Σ_m a conj(b) = Re Σ_{m≥0} c_m a conj(b)
        # with c_0 = 1, c_m = 2, half the work; the sums are real.
        c = jnp.asarray(np.where(np.arange(L) > 0, 2.0, 1.0), real)
        half, mh = flm[:, L - 1 :] * c, mods[..., L - 1 :]
        cross = jnp.einsum("lm,jklm->jkl", half, jnp.conj(mh)).real.astype(flm.dtype)
        auto = jnp.einsum("aklm,bqlm->abkql", mh * c, jnp.conj(mh)).real.astype(flm.dtype)
    else:
        cross = jnp.einsum("lm,jklm->jkl", flm, jnp.conj(mods))  # Σ_m f_ℓm conj(m^k_j,ℓm)
        auto = jnp.einsum("aklm,bqlm->abkql", mods, jnp.conj(mods))
    pairs, triples = op.pairs, op.triples
    s3 = jnp.einsum("pl,pkl->pk", kernel[pairs[:, 1]], cross[pairs[:, 0]])
    s4 = jnp.einsum("tl,tkql->tkq", kernel[triples[:, 2]], auto[triples[:, 0], triples[:, 1]])
    return Moments(mean, var, s1, s2_all, s3, s4)
