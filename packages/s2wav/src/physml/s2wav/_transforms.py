"""Directional wavelet analysis and synthesis on the sphere (the harmonic-space cores).

Analysis of f with harmonic coefficients f_ℓm (McEwen et al. 2018, eqs. 12–15; Price et al.
2024)::

    W^j_ℓmn = (8π²/(2ℓ+1)) f_ℓm conj(Ψ^j_ℓn),   W^j(ρ) = wigner.inverse(W^j_ℓmn)(ρ) on SO(3),
    S_ℓm   = sqrt(4π/(2ℓ+1)) Φ_ℓ f_ℓm,          S(ω)  = inverse(S_ℓm)(ω) on S²,

i.e. W^j(ρ) = ⟨f, R_ρ ψ^j⟩ and S(ω) = ⟨f, R_ω φ⟩.  Synthesis is the exact inverse::

    f_ℓm = Σ_j Σ_n W^j_ℓmn Ψ^j_ℓn + sqrt(4π/(2ℓ+1)) Φ_ℓ S_ℓm,

exact because the kernels resolve the identity (:func:`physml.s2wav.admissibility`).  Scale
j lives at its own band-limit L_j with N_j directions (multiresolution); its grid may be finer
(``oversample``) so that products such as |W^j|² are sampled without aliasing.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2

from . import _steerable
from ._filters import Filters
from ._layout import Layout


class WaveletCoefficients(NamedTuple):
    """Wavelet and scaling coefficients (a pytree; unpacks as ``f_wav, f_scal``).

    Attributes
    ----------
    wavelet : tuple over scales j = J_min … J of arrays (..., 2K_j−1, *f_shape(G_j)), the
        signal on SO(3) sampled at (γ_k, β_t, α_p) of :func:`physml.core.sampling.so3_shape`
        with grid band-limit G_j and K_j grid directions (K_j = N_j unless γ is oversampled;
        see :func:`physml.s2wav.coefficient_bandlimits` and
        :func:`physml.s2wav.coefficient_directions`).
    scaling : (..., *f_shape(G_s)) scaling coefficients on S².
    """

    wavelet: tuple[jax.Array, ...]
    scaling: jax.Array


def _nside(layout: Layout):
    return layout.nside or None


def _ell_factor(L: int, num: float, dtype) -> jax.Array:
    return jnp.asarray(num / (2 * np.arange(L) + 1), dtype)


def _pad(x: jax.Array, L: int, G: int) -> jax.Array:
    """Embed (..., L, 2L−1) harmonic blocks in (..., G, 2G−1)."""
    if G == L:
        return x
    pad = [(0, 0)] * (x.ndim - 2) + [(0, G - L), (G - L, G - L)]
    return jnp.pad(x, pad)


def _crop(x: jax.Array, G: int, L: int) -> jax.Array:
    return x[..., :L, G - L : G - 1 + L]


def _wavelet_kernel(filt: Filters, index: int, dtype, conj: bool) -> jax.Array:
    """(L_j, 2N_j−1) slice of Ψ^j_ℓn (conjugated and weighted by 8π²/(2ℓ+1) for analysis)."""
    Lj, Nj, N = filt.bandlimits[index], filt.directions[index], filt.N
    psi = filt.psi[index, :Lj, N - Nj : N - 1 + Nj].astype(dtype)
    if conj:
        return jnp.conj(psi) * _ell_factor(Lj, 8 * np.pi**2, psi.real.dtype)[:, None]
    return psi


def _scaling_kernel(filt: Filters, dtype) -> jax.Array:
    Ls = filt.scaling_bandlimit
    return filt.phi[:Ls].astype(dtype) * jnp.sqrt(_ell_factor(Ls, 4 * np.pi, dtype))


def _hermitian_mirror(p: jax.Array) -> jax.Array:
    """(−1)^m conj(p_ℓ,−m): the contribution of the orders −n of a real signal."""
    L = p.shape[-2]
    sign = (-1.0) ** np.arange(-(L - 1), L)
    return jnp.conj(p[..., ::-1]) * jnp.asarray(sign, p.real.dtype)


@partial(jax.jit, static_argnames=("layout",))
def flm_to_coefficients(
    flm: jax.Array, filt: Filters, layout: Layout, kernels=None
) -> WaveletCoefficients:
    """Wavelet and scaling coefficients from harmonic coefficients (no validation)."""
    L, N = filt.L, filt.N
    real = flm.real.dtype
    wav = []
    for index, G in enumerate(layout.grid_bandlimits):
        Lj, Nj = filt.bandlimits[index], filt.directions[index]
        kernel = _wavelet_kernel(filt, index, flm.dtype, conj=True)  # (L_j, 2N_j−1)
        block = _crop(flm, L, Lj)
        wlmn = {
            n: _pad(block * kernel[:, Nj - 1 + n, None], Lj, G)
            for n in _steerable.orders(N, Nj, layout.reality)
        }
        K = layout.grid_directions[index]
        wav.append(_steerable.inverse(wlmn, G, N, Nj, K, layout, kernels))
    Ls, Gs = filt.scaling_bandlimit, layout.scaling_grid_bandlimit
    slm = _crop(flm, L, Ls) * _scaling_kernel(filt, real)[:, None]
    kw = {"sampling": layout.sampling, "nside": _nside(layout), "reality": layout.reality}
    if layout.method == "precompute":
        kw.update(method="precompute", precomps=kernels[(Gs, filt.spin, layout.reality)])
    scal = s2.inverse(_pad(slm, Ls, Gs), Gs, filt.spin, **kw)
    return WaveletCoefficients(tuple(wav), scal)


@partial(jax.jit, static_argnames=("layout",))
def coefficients_to_flm(
    coeffs: WaveletCoefficients, filt: Filters, layout: Layout, kernels=None
) -> jax.Array:
    """Harmonic coefficients f_ℓm from wavelet and scaling coefficients (no validation)."""
    L, N = filt.L, filt.N
    Ls, Gs = filt.scaling_bandlimit, layout.scaling_grid_bandlimit
    kw = {"sampling": layout.sampling, "nside": _nside(layout), "reality": layout.reality}
    if layout.method == "precompute":
        kw.update(method="precompute", precomps=kernels[(Gs, filt.spin, layout.reality)])
    slm = _crop(s2.forward(coeffs.scaling, Gs, filt.spin, **kw), Gs, Ls)
    flm = _pad(slm * _scaling_kernel(filt, slm.real.dtype)[:, None], Ls, L)
    for index, G in enumerate(layout.grid_bandlimits):
        Lj, Nj = filt.bandlimits[index], filt.directions[index]
        K = layout.grid_directions[index]
        wlmn = _steerable.forward(coeffs.wavelet[index], G, N, Nj, K, layout, kernels)
        kernel = _wavelet_kernel(filt, index, flm.dtype, conj=False)
        part = 0.0
        mirrored = 0.0
        for n, x in wlmn.items():
            term = _crop(x, G, Lj) * kernel[:, Nj - 1 + n, None]
            if layout.reality and n > 0:
                mirrored = mirrored + term
            else:
                part = part + term
        if layout.reality and not isinstance(mirrored, float):
            part = part + mirrored + _hermitian_mirror(mirrored)
        flm = flm + _pad(part, Lj, L)
    return flm
