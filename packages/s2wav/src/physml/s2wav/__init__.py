"""physml.s2wav — exact, differentiable directional wavelets on the sphere.

Public API
----------
::

    filters, Filters, FAMILIES        wavelet/scaling kernels (scale-discretised, needlet, spline)
    admissibility                     the resolution of identity Σ_j abs(Ψ^j)² + abs(Φ)² per ℓ
    analysis, synthesis               wavelet transform of a sampled signal and its exact inverse
    flm_to_analysis, synthesis_to_flm the same from/to harmonic coefficients
    analysis_adjoint, synthesis_adjoint   exact adjoints
    WaveletCoefficients               the ``(wavelet, scaling)`` pytree they return
    coefficient_shapes, coefficient_bandlimits, coefficient_directions
                                      where the coefficients of each scale live (grid
                                      band-limits G_j, directions K_j)
    precompute_kernels, kernel_nbytes, WaveletKernels   the precompute method
"""

from importlib.metadata import PackageNotFoundError, version

from ._adjoint import analysis_adjoint, synthesis_adjoint
from ._api import (
    analysis,
    flm_to_analysis,
    kernel_nbytes,
    precompute_kernels,
    synthesis,
    synthesis_to_flm,
)
from ._filters import FAMILIES, Filters, admissibility, filters
from ._layout import (
    METHODS,
    coefficient_bandlimits,
    coefficient_directions,
    coefficient_shapes,
)
from ._precompute import WaveletKernels
from ._transforms import WaveletCoefficients

try:
    __version__ = version("physml-s2wav")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "FAMILIES",
    "METHODS",
    "Filters",
    "WaveletCoefficients",
    "WaveletKernels",
    "__version__",
    "admissibility",
    "analysis",
    "analysis_adjoint",
    "coefficient_bandlimits",
    "coefficient_directions",
    "coefficient_shapes",
    "filters",
    "flm_to_analysis",
    "kernel_nbytes",
    "precompute_kernels",
    "synthesis",
    "synthesis_adjoint",
    "synthesis_to_flm",
]
