"""physml.s2fft — exact, differentiable spin spherical harmonic and Wigner transforms.

Public API
----------
forward, inverse                 spin spherical harmonic transforms (MW, MWSS, DH, GL, HEALPix)
forward_adjoint, inverse_adjoint their exact adjoints
precompute_kernels, kernel_nbytes, Kernels   the ``"precompute"`` method
wigner.forward, wigner.inverse   Wigner transforms on SO(3) with N directions
rotate                           rotation by traced Euler angles
power_spectrum, random_flm       angular power spectra and Gaussian random fields
flm_to_healpy, healpy_to_flm     conversion to and from healpy's alm ordering
sharding                         the transforms on a device mesh (batches, one large map)
"""

from importlib.metadata import PackageNotFoundError, version

from physml.core.indexing import flm_to_healpy, healpy_to_flm

from . import sharding, wigner
from ._precompute import Kernels, kernel_nbytes, precompute_kernels
from ._rotate import rotate
from ._spectra import power_spectrum, random_flm
from ._transforms import METHODS, forward, forward_adjoint, inverse, inverse_adjoint

try:
    __version__ = version("physml-s2fft")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "METHODS",
    "Kernels",
    "__version__",
    "flm_to_healpy",
    "forward",
    "forward_adjoint",
    "healpy_to_flm",
    "inverse",
    "inverse_adjoint",
    "kernel_nbytes",
    "power_spectrum",
    "precompute_kernels",
    "random_flm",
    "rotate",
    "sharding",
    "wigner",
]
