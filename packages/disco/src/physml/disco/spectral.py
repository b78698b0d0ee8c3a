"""Harmonic-space building blocks: spectral resampling and the spectrum of isotropic filters.

Spectral resampling between any two sampled spheres (Driscoll & Healy 1994; McEwen & Wiaux
2011 for the MW grids), with the transforms of :mod:`physml.s2fft`:

    resample(f) = inverse_{L_out}( P f̂ ),    f̂ = forward_{L_in}(f),

where P keeps the coefficients with ℓ < min(L_in, L_out) and zero-pads the rest.  It is
exact (to rounding) for signals band-limited at min(L_in, L_out) when the input sampling has
an exact quadrature (MW, MWSS, DH, GL; HEALPix input is refined by ``iter`` Jacobi steps).
The map is real-linear; its adjoint is its reverse-mode pullback.

An isotropic filter ψ(r) of the geodesic distance r acts on spherical harmonics as a
multiplier (Funk–Hecke theorem; e.g. Driscoll & Healy 1994, Theorem 1):

    ∫_{S²} ψ(R_x⁻¹ y) f(y) dΩ(y) = Σ_ℓm λ_ℓ f_ℓm Y_ℓm(x),
    λ_ℓ = 2π ∫_0^π ψ(r) P_ℓ(cos r) sin r dr = √(4π / (2ℓ+1)) ⟨ψ, Y_ℓ0⟩,

so the DISCO convolution with ``normalization="none"`` converges to ``λ_ℓ f_ℓm`` as the grid
is refined (:func:`filter_eigenvalues`).
"""

from __future__ import annotations

import itertools
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax import Array
from numpy.polynomial import legendre

import physml.s2fft as s2
from physml.core import disco_kernels as dk
from physml.core import sampling as _sampling
from physml.core.validation import geometry_context, validate_geometry, validate_L


def filter_eigenvalues(
    basis: dk.FilterBasis, theta_cutoff: float, L: int, *, nodes: int = 64
) -> np.ndarray:
    """Harmonic multipliers λ_{k,ℓ} of the isotropic filters of ``basis`` (Funk–Hecke).

    λ_{k,ℓ} = 2π ∫_0^c ψ_k(r/c) P_ℓ(cos r) sin r dr with c = ``theta_cutoff``, by Gauss–Legendre
    quadrature of ``nodes`` points on each of the n_r intervals between the hats' kinks (exact
    to rounding for the piecewise-linear hats and the smooth Zernike basis alike).

    Parameters
    ----------
    basis : an isotropic :class:`~physml.core.disco_kernels.FilterBasis` (``kernel_shape=(n_r,)``).
    theta_cutoff : support radius in radians, in (0, π].
    L : band-limit: ℓ = 0 … L−1.

    Returns
    -------
    ``(K, L)`` float64 array: conv(f)_ℓm = λ_{k,ℓ} f_ℓm for ``normalization="none"``.

    Examples
    --------
    >>> lam = filter_eigenvalues(dk.FilterBasis("piecewise_linear", (1,)), 0.5, 4)
    >>> bool(np.isclose(lam[0, 0], 2 * np.pi * (1 - np.sin(0.5) / 0.5)))
    True
    """
    if not isinstance(basis, dk.FilterBasis) or not basis.isotropic:
        raise ValueError(
            f"basis must be an isotropic FilterBasis (kernel_shape=(n_r,)), got {basis!r}"
        )
    cutoff = float(theta_cutoff)
    if not 0.0 < cutoff <= np.pi:
        raise ValueError(f"theta_cutoff must lie in (0, π] radians, got theta_cutoff={cutoff!r}")
    L = validate_L(L)
    x, w = legendre.leggauss(nodes)
    edges = np.linspace(0.0, cutoff, basis.kernel_shape[0] + 1)
    lam = np.zeros((basis.size, L))
    for a, b in itertools.pairwise(edges):
        r = 0.5 * (b - a) * x + 0.5 * (b + a)
        psi = basis(r / cutoff, np.zeros_like(r))  # (K, nodes)
        p_ell = legendre.legvander(np.cos(r), L - 1)  # (nodes, L)
        lam += 2 * np.pi * np.einsum("kn,nl,n->kl", psi, p_ell, 0.5 * (b - a) * w * np.sin(r))
    return lam


def _resize(flm: Array, L_in: int, L_out: int) -> Array:
    """Truncate or zero-pad ``(..., L_in, 2L_in−1)`` coefficients to ``(..., L_out, 2L_out−1)``."""
    if L_out <= L_in:
        return flm[..., :L_out, L_in - L_out : L_in + L_out - 1]
    pad = [(0, 0)] * (flm.ndim - 2) + [(0, L_out - L_in), (L_out - L_in, L_out - L_in)]
    return jnp.pad(flm, pad)


def _geometries(L_in, sampling_in, nside_in, L_out, sampling_out, nside_out):
    gin = validate_geometry(L_in, sampling_in, nside_in)
    if L_out is None and sampling_out is None and nside_out is None:
        return gin, gin
    L_out = gin[0] if L_out is None else L_out
    sampling_out = gin[1] if sampling_out is None else sampling_out
    return gin, validate_geometry(L_out, sampling_out, nside_out)


def _check_signal(f: Array, geometry: tuple, name: str) -> Array:
    L, sampling, nside = geometry
    expected = _sampling.f_shape(L, sampling, nside or None)
    shape = tuple(np.shape(f))
    if len(shape) < len(expected) or shape[len(shape) - len(expected) :] != expected:
        context = geometry_context(L, sampling, nside)
        raise ValueError(f"{name} has shape {shape} but {context} needs (..., *{expected})")
    f = jnp.asarray(f)
    if not jnp.issubdtype(f.dtype, jnp.floating):
        raise TypeError(f"{name} must have a real floating dtype, got {f.dtype}")
    return f


@partial(jax.jit, static_argnames=("gin", "gout", "iter"))
def _resample(f: Array, gin: tuple, gout: tuple, iter: int) -> Array:
    (L_in, s_in, n_in), (L_out, s_out, n_out) = gin, gout
    flm = s2.forward(f, L_in, sampling=s_in, nside=n_in or None, reality=True, iter=iter)
    flm = _resize(flm, L_in, L_out)
    return s2.inverse(flm, L_out, sampling=s_out, nside=n_out or None, reality=True)


def resample(
    f: Array,
    L_in: int,
    L_out: int | None = None,
    *,
    sampling_in: str = "mw",
    sampling_out: str | None = None,
    nside_in: int | None = None,
    nside_out: int | None = None,
    iter: int = 0,
) -> Array:
    """Spectral up- or downsampling of a real signal from one sampled sphere to another.

    Parameters
    ----------
    f : ``(..., *f_shape(L_in, sampling_in, nside_in))`` real signal.
    L_in, sampling_in, nside_in : input grid.
    L_out, sampling_out, nside_out : output grid (default: the input grid).
    iter : Jacobi refinements of the forward transform (useful for HEALPix input).

    Returns
    -------
    ``(..., *f_shape(L_out, sampling_out, nside_out))``: Σ_{ℓ<min(L_in, L_out)} f_ℓm Y_ℓm.

    Examples
    --------
    >>> resample(jnp.ones((9, 16)), 8, 4, sampling_in="mwss", sampling_out="gl").shape
    (4, 7)
    """
    gin, gout = _geometries(L_in, sampling_in, nside_in, L_out, sampling_out, nside_out)
    return _resample(_check_signal(f, gin, "f"), gin, gout, iter)


def resample_adjoint(
    g: Array,
    L_in: int,
    L_out: int | None = None,
    *,
    sampling_in: str = "mw",
    sampling_out: str | None = None,
    nside_in: int | None = None,
    nside_out: int | None = None,
    iter: int = 0,
) -> Array:
    """Adjoint of :func:`resample` (same arguments): ⟨resample(f), g⟩ = ⟨f, resample_adjoint(g)⟩.

    ``g`` : ``(..., *f_shape(L_out, …))`` → ``(..., *f_shape(L_in, …))``.
    """
    gin, gout = _geometries(L_in, sampling_in, nside_in, L_out, sampling_out, nside_out)
    g = _check_signal(g, gout, "g")
    in_shape = _sampling.f_shape(gin[0], gin[1], gin[2] or None)
    batch = g.shape[: g.ndim - len(_sampling.f_shape(gout[0], gout[1], gout[2] or None))]
    # The map is linear, so its pullback at any point (here 0) is the exact adjoint.  (The
    # reverse-mode rules of the transforms are used rather than jax.linear_transpose, which
    # does not transpose the scatter in physml.s2fft's MW/MWSS torus extension.)
    _, pullback = jax.vjp(
        partial(_resample, gin=gin, gout=gout, iter=iter), jnp.zeros((*batch, *in_shape), g.dtype)
    )
    return pullback(g)[0]


class SpectralResample(nnx.Module):
    """Spectral resampling as a parameter-free NNX module (e.g. between U-Net levels).

    Arguments as in :func:`resample`; ``__call__(x)`` maps ``(..., *in_shape)`` to
    ``(..., *out_shape)`` and ``adjoint(y)`` goes back with the exact adjoint.
    """

    def __init__(
        self,
        *,
        L_in: int,
        L_out: int | None = None,
        sampling_in: str = "mw",
        sampling_out: str | None = None,
        nside_in: int | None = None,
        nside_out: int | None = None,
        iter: int = 0,
    ) -> None:
        gin, gout = _geometries(L_in, sampling_in, nside_in, L_out, sampling_out, nside_out)
        self.options = {
            "L_in": gin[0],
            "L_out": gout[0],
            "sampling_in": gin[1],
            "sampling_out": gout[1],
            "nside_in": gin[2] or None,
            "nside_out": gout[2] or None,
            "iter": iter,
        }

    def __call__(self, x: Array) -> Array:
        return resample(x, **self.options)

    def adjoint(self, y: Array) -> Array:
        return resample_adjoint(y, **self.options)
