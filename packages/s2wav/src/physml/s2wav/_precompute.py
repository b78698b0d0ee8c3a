"""The ``"precompute"`` method: every spin transform of a wavelet transform from stored kernels.

An analysis runs one forward spin transform at L and, per scale j, one inverse spin transform
at the grid band-limit G_j for each occupied order n (spin −n; see :mod:`._steerable`), plus
the scaling transform; a synthesis runs the reverse.  :func:`precompute_kernels` builds the
:func:`physml.s2fft.precompute_kernels` of each distinct (band-limit, spin) once; transforms
then become batched matrix products.  Memory grows as L³: ask :func:`kernel_nbytes` first.
"""

from __future__ import annotations

import dataclasses

import jax

import physml.s2fft as s2

from . import _steerable
from ._filters import Filters


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class WaveletKernels:
    """Kernels of one wavelet-transform configuration (a pytree: pass through ``jit``).

    Attributes
    ----------
    sphere : :class:`physml.s2fft.Kernels` of the transform at L (forward for analysis,
        inverse for synthesis).
    scales : dict ``(band-limit, spin, reality) → Kernels`` for the per-scale transforms.
    analysis : built for :func:`physml.s2wav.analysis` (True) or synthesis (False).
    layout : the coefficient layout they serve (static).
    """

    sphere: s2.Kernels
    scales: dict
    analysis: bool = dataclasses.field(metadata={"static": True})
    layout: object = dataclasses.field(metadata={"static": True})


def _needed(filt: Filters, layout) -> list[tuple[int, int, bool]]:
    keys = {(layout.scaling_grid_bandlimit, filt.spin, layout.reality)}
    for G, Nj in zip(layout.grid_bandlimits, filt.directions):
        for n in _steerable.orders(filt.N, Nj, layout.reality):
            keys.add((G, -n, layout.reality and n == 0))
    return sorted(keys)


def build(filt: Filters, layout, analysis: bool, dtype=None) -> WaveletKernels:
    """Kernels for ``layout`` (validated by the caller)."""
    nsd = layout.nside or None
    sphere = s2.precompute_kernels(
        filt.L, filt.spin, layout.sampling, nsd, layout.reality, forward=analysis, dtype=dtype
    )
    scales = {
        key: s2.precompute_kernels(
            key[0], key[1], layout.sampling, nsd, key[2], forward=not analysis, dtype=dtype
        )
        for key in _needed(filt, layout)
    }
    return WaveletKernels(sphere, scales, bool(analysis), layout)


def nbytes(filt: Filters, layout, analysis: bool, itemsize: int = 8) -> int:
    """Bytes :func:`build` would allocate (nothing is built)."""
    nsd = layout.nside or None
    dtype = "float64" if itemsize == 8 else "float32"
    total = s2.kernel_nbytes(
        filt.L, filt.spin, layout.sampling, nsd, layout.reality, forward=analysis, dtype=dtype
    )
    for G, spin, real in _needed(filt, layout):
        total += s2.kernel_nbytes(
            G, spin, layout.sampling, nsd, real, forward=not analysis, dtype=dtype
        )
    return int(total)


def check(precomps: object, layout, analysis: bool) -> WaveletKernels:
    """Raise unless ``precomps`` were built for this layout and direction."""
    if not isinstance(precomps, WaveletKernels):
        raise TypeError(
            "method='precompute' needs precomps=physml.s2wav.precompute_kernels(...), got"
            f" {type(precomps).__name__}"
        )
    if precomps.analysis != analysis:
        want = "analysis" if analysis else "synthesis"
        raise ValueError(f"precomps were not built for {want}: pass analysis={analysis}")
    if precomps.layout != layout:
        raise ValueError(
            "precomps were built for another layout (sampling, nside, reality, oversample or"
            " multiresolution differ)"
        )
    return precomps
