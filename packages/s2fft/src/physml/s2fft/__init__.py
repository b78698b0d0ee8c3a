"""physml.s2fft — exact, differentiable spin spherical harmonic and Wigner transforms.

Public API
----------
forward, inverse                 spin spherical harmonic transforms (MW, MWSS, DH, GL, HEALPix)
forward_adjoint, inverse_adjoint their exact adjoints
precompute_kernels, kernel_nbytes, Kernels   the ``"precompute"`` method
"""

from importlib.metadata import PackageNotFoundError, version

from ._precompute import Kernels, kernel_nbytes, precompute_kernels
from ._transforms import METHODS, forward, forward_adjoint, inverse, inverse_adjoint

try:
    __version__ = version("physml-s2fft")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "METHODS",
    "Kernels",
    "__version__",
    "forward",
    "forward_adjoint",
    "inverse",
    "inverse_adjoint",
    "kernel_nbytes",
    "precompute_kernels",
]
