"""physml.disco — discrete-continuous (DISCO) spherical convolutions as Flax NNX modules.

Public modules
--------------
convolution  ``conv`` and its exact adjoint ``conv_transpose`` (custom VJPs, pure functions)
layers       ``DiscoConv``, ``DiscoConvTranspose``, quadrature-weighted pooling
models       ``SphericalUNet`` encoder–decoder
reference    dense brute-force quadrature (tests, off-grid evaluation, benchmark baseline)

The sparse operator itself (filter bases, ring and coordinate storage) lives in
:mod:`physml.core.disco_kernels`, re-exported here as ``build`` and ``FilterBasis``.

Reference: Ocampo, Price & McEwen (2023), "Scalable and equivariant spherical CNNs by
discrete-continuous (DISCO) convolutions", ICLR.
"""

from importlib.metadata import PackageNotFoundError, version

from physml.core.disco_kernels import FilterBasis, RingKernel, SparseKernel, build

from . import convolution, layers, models, reference
from .convolution import conv, conv_transpose
from .layers import (
    DiscoAvgPool,
    DiscoConv,
    DiscoConvTranspose,
    DiscoKernelVariable,
    SphericalMeanPool,
    spherical_mean,
)
from .models import SphericalUNet

try:
    __version__ = version("physml-disco")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "DiscoAvgPool",
    "DiscoConv",
    "DiscoConvTranspose",
    "DiscoKernelVariable",
    "FilterBasis",
    "RingKernel",
    "SparseKernel",
    "SphericalMeanPool",
    "SphericalUNet",
    "__version__",
    "build",
    "conv",
    "conv_transpose",
    "convolution",
    "layers",
    "models",
    "reference",
    "spherical_mean",
]
