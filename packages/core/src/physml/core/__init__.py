"""physml.core — the foundation of the physml spherical stack.

Public modules
--------------
sampling    sampling schemes on S² (MW, MWSS, DH, GL, HEALPix) and SO(3)
quadrature  quadrature weights, exact where the sampling theorem allows
indexing    harmonic coefficient layouts (dense, compact, healpy)
wigner      Wigner-d functions, stable recursions (streamed or materialised)
ring_fft    Fourier transforms along iso-latitude rings, HEALPix included
validation  argument checks with messages that name what was wrong
disco_kernels  sparse DISCO quadrature kernels for spherical convolutions
sharding    device meshes, padding and sharding rules for transform axes
kernels     Pallas kernels with pure-JAX fallbacks
compilation jax.jit with XLA:CPU options that compile physml's programs faster
"""

from importlib.metadata import PackageNotFoundError, version

from . import (
    compilation,
    disco_kernels,
    indexing,
    kernels,
    quadrature,
    ring_fft,
    sampling,
    sharding,
    validation,
    wigner,
)
from .sampling import Grid, f_shape, grid, nphi, npix, ntheta, phis, thetas
from .validation import SAMPLINGS

try:
    __version__ = version("physml-core")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "SAMPLINGS",
    "Grid",
    "__version__",
    "compilation",
    "disco_kernels",
    "f_shape",
    "grid",
    "indexing",
    "kernels",
    "nphi",
    "npix",
    "ntheta",
    "phis",
    "quadrature",
    "ring_fft",
    "sampling",
    "sharding",
    "thetas",
    "validation",
    "wigner",
]
