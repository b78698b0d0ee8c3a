"""Public wavelet transforms: argument checks, filter construction, layout of coefficients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2
from physml.core import sampling as _sampling
from physml.core.validation import (
    as_complex,
    check_finite,
    geometry_context,
    validate_dtype,
    validate_shape,
)

from . import _precompute
from ._filters import Filters
from ._filters import filters as build_filters
from ._layout import Layout, check_int_option, make_layout
from ._transforms import WaveletCoefficients, coefficients_to_flm, flm_to_coefficients


def resolve_filters(filters, L, N, J_min, lam, spin, family) -> Filters:
    """The given filters (checked against the arguments) or new ones built from them."""
    if filters is None:
        return build_filters(L, N=N, J_min=J_min, lam=lam, spin=spin, family=family)
    if not isinstance(filters, Filters):
        raise TypeError(
            f"filters must be physml.s2wav.filters(...) output, got {type(filters).__name__}"
        )
    have = (filters.L, filters.N, filters.J_min, filters.lam, filters.spin, filters.family)
    want = (L, N, J_min, float(lam), spin, family)
    if have != want:
        names = "(L, N, J_min, lam, spin, family)"
        raise ValueError(f"filters were built for {names}={have}, but the call asks {want}")
    return filters


def check_signal(f, L, sampling, nside, reality):
    shape = _sampling.f_shape(L, sampling, nside or None)
    validate_shape(f, shape, name="f", context=geometry_context(L, sampling, nside), batch_ok=True)
    validate_dtype(f, name="f")
    check_finite(f, name="f")
    f = jnp.asarray(f)
    if reality:
        if jnp.iscomplexobj(f):
            raise TypeError("reality=True needs a real signal f, got a complex array")
        return f
    return as_complex(f)


def check_coefficients(coeffs, filt: Filters, layout: Layout) -> WaveletCoefficients:
    """Validate (f_wav, f_scal) against the layout; returns them as WaveletCoefficients."""
    f_wav, f_scal = coeffs
    if not isinstance(f_wav, tuple | list) or len(f_wav) != filt.n_scales:
        got = len(f_wav) if isinstance(f_wav, tuple | list) else type(f_wav).__name__
        raise ValueError(
            f"f_wav must be a sequence of {filt.n_scales} arrays (scales j = {filt.J_min} …"
            f" {filt.J_max}), got {got}"
        )
    nsd = layout.nside or None
    Gs = layout.scaling_grid_bandlimit
    scal_shape = _sampling.f_shape(Gs, layout.sampling, nsd)
    validate_shape(
        f_scal,
        scal_shape,
        name="f_scal",
        context=geometry_context(Gs, layout.sampling, nsd),
        batch_ok=True,
    )
    batch = np.shape(f_scal)[: np.ndim(f_scal) - len(scal_shape)]
    out = []
    for j, x, G, K in zip(filt.scales, f_wav, layout.grid_bandlimits, layout.grid_directions):
        shape = (*batch, *_sampling.so3_shape(G, K, layout.sampling, nsd))
        context = f"scale j={j} ({geometry_context(G, layout.sampling, nsd)}, K_j={K})"
        validate_shape(x, shape, name=f"f_wav[{j - filt.J_min}]", context=context)
        validate_dtype(x, name=f"f_wav[{j - filt.J_min}]")
        check_finite(x, name=f"f_wav[{j - filt.J_min}]")
        out.append(as_complex(x))
    validate_dtype(f_scal, name="f_scal")
    check_finite(f_scal, name="f_scal")
    scal = jnp.asarray(f_scal) if layout.reality else as_complex(f_scal)
    return WaveletCoefficients(tuple(out), scal)


def flm_to_analysis(
    flm: jax.Array,
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
    method: str = "jax",
    precomps: _precompute.WaveletKernels | None = None,
    gamma_oversample: int = 1,
) -> WaveletCoefficients:
    """Wavelet analysis from harmonic coefficients f_ℓm (see :func:`analysis`).

    Parameters
    ----------
    flm : (..., L, 2L−1) complex ``flm[..., ℓ, L−1+m]``; leading axes batch.
    Other arguments: as in :func:`analysis`.

    Returns
    -------
    WaveletCoefficients ``(wavelet, scaling)``.
    """
    filt = resolve_filters(filters, L, N, J_min, lam, spin, family)
    layout = make_layout(
        filt, sampling, nside, reality, oversample, multiresolution, method, gamma_oversample
    )
    scales = _scale_kernels(precomps, layout, analysis=True)
    validate_shape(flm, (filt.L, 2 * filt.L - 1), name="flm", context=f"L={L}", batch_ok=True)
    validate_dtype(flm, name="flm")
    check_finite(flm, name="flm")
    return flm_to_coefficients(as_complex(flm), filt, layout, scales)


def _scale_kernels(precomps, layout, analysis):
    if layout.method != "precompute":
        return None
    return _precompute.check(precomps, layout, analysis).scales


def _sphere_kwargs(precomps, layout) -> dict:
    if layout is None or layout.method != "precompute":
        return {}
    return {"method": "precompute", "precomps": precomps.sphere}


def analysis(
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
    method: str = "jax",
    precomps: _precompute.WaveletKernels | None = None,
    iter: int = 0,
    gamma_oversample: int = 1,
) -> WaveletCoefficients:
    """Directional wavelet analysis W^j(ρ) = ⟨f, R_ρ ψ^j⟩ and scaling S(ω) = ⟨f, R_ω φ⟩.

    .. math:: W^j_{ℓmn} = \\frac{8π^2}{2ℓ+1} f_{ℓm} \\overline{Ψ^j_{ℓn}}, \\qquad
              S_{ℓm} = \\sqrt{\\frac{4π}{2ℓ+1}} Φ_ℓ f_{ℓm}

    followed by a Wigner transform per scale at its band-limit L_j with N_j directions
    (McEwen et al. 2018; Price et al. 2024).  Coefficients agree with the established
    s2wav for the same filters (its filters are ``filters(..., quad_iters=300)``).

    Parameters
    ----------
    f : (..., *f_shape(L, sampling, nside)) signal of spin ``spin``; leading axes batch.
    L : band-limit.  N : directions (azimuthal band-limit), 1 ≤ N ≤ L.
    J_min : lowest wavelet scale.  lam : scale factor λ > 1.
    spin : spin of f.  sampling, nside : as :func:`physml.s2fft.forward`.
    reality : f is real (spin 0): wavelet and scaling coefficients are then real.
    filters : :func:`physml.s2wav.filters` output for these arguments (built if None).
    family : filter family when ``filters`` is None.
    oversample : sample scale j on a grid of band-limit G_j = oversample · L_j in (α, β).
    multiresolution : scale j at its own band-limit L_j (True) or at L (False).
    method : ``"jax"`` (on the fly) or ``"precompute"`` (needs ``precomps``).
    precomps : :func:`precompute_kernels` output (``analysis=True``) for ``"precompute"``.
    iter : Jacobi refinements of the spherical forward transform (HEALPix).
    gamma_oversample : sample γ of scale j at 2K_j − 1 points, K_j =
        min(gamma_oversample · N_j, G_j) (:func:`coefficient_directions`); with
        ``oversample=2, gamma_oversample=2`` the modulus |W^j| is sampled without aliasing
        in all three Euler angles.  Synthesis needs the same value.

    Returns
    -------
    WaveletCoefficients ``(wavelet, scaling)``: ``wavelet[i]`` of shape
    (..., 2K_j−1, *f_shape(G_j, sampling, nside)) for j = J_min + i, ``scaling`` of shape
    (..., *f_shape(G_s, sampling, nside)); see :func:`coefficient_shapes`.

    Examples
    --------
    >>> f_wav, f_scal = analysis(f, L=32, N=3)                  # doctest: +SKIP
    >>> f_back = synthesis(f_wav, f_scal, L=32, N=3)            # doctest: +SKIP
    """
    filt = resolve_filters(filters, L, N, J_min, lam, spin, family)
    layout = make_layout(
        filt, sampling, nside, reality, oversample, multiresolution, method, gamma_oversample
    )
    scales = _scale_kernels(precomps, layout, analysis=True)
    f = check_signal(f, filt.L, layout.sampling, layout.nside, layout.reality)
    kw = _sphere_kwargs(precomps, layout)
    flm = s2.forward(
        f, filt.L, filt.spin, layout.sampling, nside, layout.reality, iter=_iter(iter), **kw
    )
    return flm_to_coefficients(flm, filt, layout, scales)


def _iter(iter):
    return check_int_option(iter, "iter", 0)


def synthesis_to_flm(
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
    method: str = "jax",
    precomps: _precompute.WaveletKernels | None = None,
    gamma_oversample: int = 1,
) -> jax.Array:
    """Harmonic coefficients f_ℓm = Σ_j Σ_n W^j_ℓmn Ψ^j_ℓn + sqrt(4π/(2ℓ+1)) Φ_ℓ S_ℓm.

    Returns
    -------
    (..., L, 2L−1) complex.
    """
    filt = resolve_filters(filters, L, N, J_min, lam, spin, family)
    layout = make_layout(
        filt, sampling, nside, reality, oversample, multiresolution, method, gamma_oversample
    )
    scales = _scale_kernels(precomps, layout, analysis=False)
    coeffs = check_coefficients((f_wav, f_scal), filt, layout)
    return coefficients_to_flm(coeffs, filt, layout, scales)


def synthesis(
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
    method: str = "jax",
    precomps: _precompute.WaveletKernels | None = None,
    gamma_oversample: int = 1,
) -> jax.Array:
    """Exact inverse of :func:`analysis`: the signal from its wavelet and scaling coefficients.

    Each scale is Wigner-transformed back (exact on MW, MWSS, DH, GL), weighted by Ψ^j_ℓn and
    summed with the scaling part; by admissibility the result equals f for band-limited f.

    Parameters
    ----------
    f_wav, f_scal : as returned by :func:`analysis` (batch axes allowed, equal in both).
    precomps : :func:`precompute_kernels` output with ``analysis=False`` for ``"precompute"``.
    Other arguments: as in :func:`analysis`; they must match those of the analysis.

    Returns
    -------
    (..., *f_shape(L, sampling, nside)) signal (real if ``reality``).
    """
    options = (N, J_min, lam, spin, sampling, nside, reality, filters, family)
    flm = synthesis_to_flm(
        f_wav, f_scal, L, *options, oversample, multiresolution, method, precomps, gamma_oversample
    )
    layout = precomps.layout if method == "precompute" else None
    return s2.inverse(flm, L, spin, sampling, nside, reality, **_sphere_kwargs(precomps, layout))


def precompute_kernels(
    filters: Filters,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    oversample: int = 1,
    multiresolution: bool = True,
    analysis: bool = True,
    dtype=None,
    gamma_oversample: int = 1,
) -> _precompute.WaveletKernels:
    """Kernels of the ``"precompute"`` method for :func:`analysis` (or :func:`synthesis`).

    Parameters
    ----------
    filters : :func:`physml.s2wav.filters` output.
    sampling, nside, reality, oversample, multiresolution, gamma_oversample : the transform
        configuration (as in :func:`analysis`).
    analysis : build for :func:`analysis`/:func:`flm_to_analysis` (True) or for
        :func:`synthesis`/:func:`synthesis_to_flm` (False).
    dtype : float32 or float64 kernels (float64 when x64 is enabled).

    Returns
    -------
    WaveletKernels (memory: :func:`kernel_nbytes`).
    """
    if not isinstance(filters, Filters):
        raise TypeError(f"filters must be physml.s2wav.filters(...) output, got {filters!r}")
    options = (oversample, multiresolution, "precompute", gamma_oversample)
    layout = make_layout(filters, sampling, nside, reality, *options)
    return _precompute.build(filters, layout, bool(analysis), dtype)


def kernel_nbytes(
    filters: Filters,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    oversample: int = 1,
    multiresolution: bool = True,
    analysis: bool = True,
    itemsize: int = 8,
    gamma_oversample: int = 1,
) -> int:
    """Bytes :func:`precompute_kernels` would allocate for these arguments (nothing is built)."""
    options = (oversample, multiresolution, "precompute", gamma_oversample)
    layout = make_layout(filters, sampling, nside, reality, *options)
    return _precompute.nbytes(filters, layout, bool(analysis), itemsize)
