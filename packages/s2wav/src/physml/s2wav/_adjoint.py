"""Exact adjoints of the wavelet transforms (needed by proximal imaging algorithms).

For a C-linear map A the adjoint satisfies ⟨A x, y⟩ = ⟨x, A† y⟩ with the Euclidean inner
product ⟨a, b⟩ = Σ conj(a) b over every sample (and every scale); A† = conj ∘ Aᵀ ∘ conj with
Aᵀ the transpose JAX derives (reverse mode) from the transforms' analytic transposes, so an adjoint
costs about one transform and is itself differentiable.  With ``reality=True`` the maps are
real-linear on real arrays and the adjoint is the plain transpose.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

import physml.s2fft as s2
from physml.core import sampling as _sampling

from . import _api
from ._filters import Filters
from ._layout import Layout, make_layout
from ._transforms import WaveletCoefficients, coefficients_to_flm, flm_to_coefficients


def _transpose(fn, primal, y):
    """Aᵀ applied to conj(y), conjugated.  Through ``vjp`` (at x = 0) rather than
    ``linear_transpose`` so that index updates with repeated indices stay transposable."""
    conj = partial(jax.tree_util.tree_map, jnp.conj)
    zeros = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), primal)
    _, pullback = jax.vjp(fn, zeros)
    (x,) = pullback(conj(y))
    return conj(x)


def _signal_struct(filt: Filters, layout: Layout, batch, dtype) -> jax.ShapeDtypeStruct:
    shape = (*batch, *_sampling.f_shape(filt.L, layout.sampling, layout.nside or None))
    real = jnp.finfo(dtype).dtype
    return jax.ShapeDtypeStruct(shape, real if layout.reality else jnp.result_type(real, 1j))


@partial(jax.jit, static_argnames=("layout",))
def _analysis_adjoint(coeffs, filt, layout):
    nsd = layout.nside or None
    scal_ndim = len(_sampling.f_shape(layout.scaling_grid_bandlimit, layout.sampling, nsd))
    batch = coeffs.scaling.shape[: coeffs.scaling.ndim - scal_ndim]

    def fn(f):
        flm = s2.forward(f, filt.L, filt.spin, layout.sampling, nsd, layout.reality)
        return flm_to_coefficients(flm, filt, layout)

    return _transpose(fn, _signal_struct(filt, layout, batch, coeffs.scaling.dtype), coeffs)


@partial(jax.jit, static_argnames=("layout",))
def _synthesis_adjoint(f, filt, layout):
    nsd = layout.nside or None
    batch = f.shape[: f.ndim - len(_sampling.f_shape(filt.L, layout.sampling, nsd))]
    real = jnp.finfo(f.dtype).dtype
    dtype = real if layout.reality else jnp.result_type(real, 1j)
    wav = tuple(
        jax.ShapeDtypeStruct((*batch, *_sampling.so3_shape(G, K, layout.sampling, nsd)), dtype)
        for G, K in zip(layout.grid_bandlimits, layout.grid_directions)
    )
    scal_shape = (*batch, *_sampling.f_shape(layout.scaling_grid_bandlimit, layout.sampling, nsd))
    primal = WaveletCoefficients(wav, jax.ShapeDtypeStruct(scal_shape, dtype))

    def fn(coeffs):
        if layout.reality:
            coeffs = WaveletCoefficients(
                tuple(x.astype(jnp.result_type(real, 1j)) for x in coeffs.wavelet),
                coeffs.scaling,
            )
        flm = coefficients_to_flm(coeffs, filt, layout)
        return s2.inverse(flm, filt.L, filt.spin, layout.sampling, nsd, layout.reality)

    return _transpose(fn, primal, f)


def analysis_adjoint(
    f_wav,
    f_scal: jax.Array,
    L: int,
    N: int = 1,
    J_min: int = 0,
    lam: float = 2.0,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    filters: Filters | None = None,
    family: str = "scale_discretised",
    oversample: int = 1,
    multiresolution: bool = True,
    gamma_oversample: int = 1,
) -> jax.Array:
    """Adjoint W† of :func:`physml.s2wav.analysis`: ⟨W f, c⟩ = ⟨f, W† c⟩ exactly.

    Parameters
    ----------
    f_wav, f_scal : coefficients shaped as :func:`physml.s2wav.analysis` returns them.
    Other arguments: as in :func:`physml.s2wav.analysis`.

    Returns
    -------
    (..., *f_shape(L, sampling, nside)) signal (real with ``reality``).
    """
    filt = _api.resolve_filters(filters, L, N, J_min, lam, spin, family)
    layout = make_layout(
        filt, sampling, nside, reality, oversample, multiresolution, "jax", gamma_oversample
    )
    coeffs = _api.check_coefficients((f_wav, f_scal), filt, layout)
    if layout.reality:
        coeffs = WaveletCoefficients(tuple(x.real for x in coeffs.wavelet), coeffs.scaling)
    return _analysis_adjoint(coeffs, filt, layout)


def synthesis_adjoint(
    f: jax.Array,
    L: int,
    N: int = 1,
    J_min: int = 0,
    lam: float = 2.0,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    filters: Filters | None = None,
    family: str = "scale_discretised",
    oversample: int = 1,
    multiresolution: bool = True,
    gamma_oversample: int = 1,
) -> WaveletCoefficients:
    """Adjoint of :func:`physml.s2wav.synthesis`: ⟨S c, f⟩ = ⟨c, S† f⟩ exactly.

    Returns
    -------
    WaveletCoefficients shaped as :func:`physml.s2wav.analysis` returns them.
    """
    filt = _api.resolve_filters(filters, L, N, J_min, lam, spin, family)
    layout = make_layout(
        filt, sampling, nside, reality, oversample, multiresolution, "jax", gamma_oversample
    )
    f = _api.check_signal(f, filt.L, layout.sampling, layout.nside, layout.reality)
    return _synthesis_adjoint(f, filt, layout)
