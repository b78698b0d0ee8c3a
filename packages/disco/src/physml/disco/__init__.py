"""physml.disco — discrete-continuous (DISCO) spherical convolutions as Flax NNX modules.

Public modules
--------------
convolution  ``conv`` and its exact adjoint ``conv_transpose`` (custom VJPs, pure functions)
layers       ``DiscoConv``, ``DiscoConvTranspose``, quadrature-weighted pooling
models       ``SphericalUNet`` encoder–decoder
directional  directional filters with SO(3)-valued outputs (``DiscoConvSO3``, ``conv_so3``)
spectral     spectral up/down-sampling via physml.s2fft (``resample``, ``SpectralResample``) and
             the harmonic multipliers of isotropic filters (``filter_eigenvalues``)
reference    dense brute-force quadrature (tests, off-grid evaluation, benchmark baseline)

The sparse operator itself (filter bases, ring and coordinate storage) lives in
:mod:`physml.core.disco_kernels`, re-exported here as ``build`` and ``FilterBasis``.

Reference: Ocampo, Price & McEwen (2023), "Scalable and equivariant spherical CNNs by
discrete-continuous (DISCO) convolutions", ICLR.
"""

from importlib.metadata import PackageNotFoundError, version

from physml.core.disco_kernels import FilterBasis, RingKernel, SparseKernel, build

from . import convolution, directional, layers, models, reference, spectral
from .convolution import conv, conv_transpose
from .directional import DiscoConvSO3, OrientedBasis, conv_so3, orientation_pool
from .layers import (
    DiscoAvgPool,
    DiscoConv,
    DiscoConvTranspose,
    DiscoKernelVariable,
    SphericalMeanPool,
    spherical_mean,
)
from .models import SphericalUNet
from .spectral import SpectralResample, filter_eigenvalues, resample, resample_adjoint

try:
    __version__ = version("physml-disco")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "DiscoAvgPool",
    "DiscoConv",
    "DiscoConvSO3",
    "DiscoConvTranspose",
    "DiscoKernelVariable",
    "FilterBasis",
    "OrientedBasis",
    "RingKernel",
    "SparseKernel",
    "SpectralResample",
    "SphericalMeanPool",
    "SphericalUNet",
    "__version__",
    "build",
    "conv",
    "conv_so3",
    "conv_transpose",
    "convolution",
    "directional",
    "filter_eigenvalues",
    "layers",
    "models",
    "orientation_pool",
    "reference",
    "resample",
    "resample_adjoint",
    "spectral",
    "spherical_mean",
]
