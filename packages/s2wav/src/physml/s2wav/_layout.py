"""Where the wavelet coefficients live: the grid of each scale on SO(3) and of the scaling part.

Scale j is band-limited at L_j in (α, β) and holds the orders |n| < N_j in γ.  It is sampled on
the SO(3) grid of :func:`physml.core.sampling.so3_shape` with grid band-limit G_j and K_j grid
directions (2K_j − 1 samples of γ)::

    G_j = oversample · (L_j if multiresolution else L),
    K_j = min(gamma_oversample · N_j, G_j).

Both factors are 1 by default (the critically sampled grid of the established s2wav).  A
product of two coefficients of scale j, such as |W^j|², is band-limited at 2L_j − 1 in (α, β)
and holds the orders |n| ≤ 2N_j − 2, so with ``oversample=2, gamma_oversample=2``
(G_j = 2L_j, K_j = 2N_j) it is sampled without aliasing and
:func:`physml.s2fft.wigner.forward` at (G_j, K_j) integrates it exactly.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from physml.core import sampling as _sampling
from physml.core.validation import validate_geometry

from ._filters import Filters

METHODS: tuple[str, ...] = ("jax", "precompute")


@dataclasses.dataclass(frozen=True)
class Layout:
    """Static description of where the coefficients live (hashable; a jit static argument)."""

    sampling: str
    nside: int
    reality: bool
    grid_bandlimits: tuple[int, ...]
    scaling_grid_bandlimit: int
    method: str = "jax"
    grid_directions: tuple[int, ...] = ()


def check_int_option(value: object, name: str, minimum: int) -> int:
    """``value`` as an int ≥ ``minimum`` (TypeError/ValueError naming ``name`` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {name}={value}")
    return int(value)


def check_method(method):
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {METHODS}")


def make_layout(
    filt: Filters,
    sampling,
    nside,
    reality,
    oversample,
    multiresolution,
    method="jax",
    gamma_oversample=1,
) -> Layout:
    """Validate the layout options; grid band-limits G_j, G_s and grid directions K_j."""
    L, sampling, nside = validate_geometry(filt.L, sampling, nside)
    if not isinstance(reality, bool | np.bool_):
        raise TypeError(f"reality must be True or False, got {reality!r}")
    if reality and filt.spin != 0:
        raise ValueError(f"reality=True needs spin=0 (a real signal), got spin={filt.spin}")
    oversample = check_int_option(oversample, "oversample", 1)
    gamma_oversample = check_int_option(gamma_oversample, "gamma_oversample", 1)
    if not isinstance(multiresolution, bool | np.bool_):
        raise TypeError(f"multiresolution must be True or False, got {multiresolution!r}")
    base = filt.bandlimits if multiresolution else (L,) * filt.n_scales
    grids = tuple(oversample * b for b in base)
    scal = oversample * (filt.scaling_bandlimit if multiresolution else L)
    if sampling == "healpix" and max(*grids, scal) > 3 * nside:
        raise ValueError(
            f"oversample={oversample} needs band-limits up to {max(*grids, scal)} but"
            f" nside={nside} supports L <= {3 * nside}"
        )
    check_method(method)
    directions = tuple(min(gamma_oversample * Nj, G) for Nj, G in zip(filt.directions, grids))
    return Layout(sampling, nside, bool(reality), grids, scal, method, directions)


def coefficient_shapes(
    filt: Filters,
    sampling: str = "mw",
    nside: int | None = None,
    oversample: int = 1,
    multiresolution: bool = True,
    gamma_oversample: int = 1,
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Shapes of the wavelet coefficients per scale and of the scaling coefficients.

    Returns
    -------
    (wavelet_shapes, scaling_shape): ``wavelet_shapes[i] = (2K_j−1, *f_shape(G_j))`` for scale
    j = J_min + i and ``scaling_shape = f_shape(G_s)``, with the grid band-limits of
    :func:`coefficient_bandlimits` and the grid directions of :func:`coefficient_directions`.
    """
    layout = make_layout(
        filt, sampling, nside, False, oversample, multiresolution, "jax", gamma_oversample
    )
    nsd = layout.nside or None
    wav = tuple(
        _sampling.so3_shape(G, K, layout.sampling, nsd)
        for G, K in zip(layout.grid_bandlimits, layout.grid_directions)
    )
    return wav, _sampling.f_shape(layout.scaling_grid_bandlimit, layout.sampling, nsd)


def coefficient_bandlimits(
    filt: Filters, oversample: int = 1, multiresolution: bool = True
) -> tuple[tuple[int, ...], int]:
    """Grid band-limits (G_j per scale, G_s) on which the coefficients are sampled.

    G_j = oversample · L_j (multiresolution) or oversample · L; the coefficient of scale j is
    band-limited at L_j, so with ``oversample=2`` its square modulus |W^j|² (band-limit
    2L_j − 1) is sampled exactly in (α, β), as the scattering statistics need.
    """
    layout = make_layout(filt, "mw", None, False, oversample, multiresolution)
    return layout.grid_bandlimits, layout.scaling_grid_bandlimit


def coefficient_directions(
    filt: Filters, gamma_oversample: int = 1, oversample: int = 1, multiresolution: bool = True
) -> tuple[int, ...]:
    """Grid directions K_j = min(gamma_oversample · N_j, G_j) per scale (2K_j − 1 samples of γ).

    The coefficient of scale j holds the orders |n| < N_j; with ``gamma_oversample=2`` (and
    ``oversample=2``, so that G_j ≥ 2N_j) its square modulus, with orders |n| ≤ 2N_j − 2, is
    sampled without aliasing in γ.
    """
    layout = make_layout(
        filt, "mw", None, False, oversample, multiresolution, "jax", gamma_oversample
    )
    return layout.grid_directions
