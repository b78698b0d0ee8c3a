"""Accelerator kernels (Pallas) with pure-JAX fallbacks.

Each kernel comes with a fallback that computes the same thing with ordinary ``jax.numpy``;
a dispatcher runs the kernel only where it helps (a GPU) and the fallback elsewhere, and the
tests check that the two agree (the kernel through the Pallas interpreter on CPU).

disco_ell   row-padded (ELL) sparse contraction for DISCO operators
"""

from . import disco_ell
from ._dispatch import BACKENDS, use_pallas
from .disco_ell import EllKernel, ell_contract, from_sparse_kernel, to_ell

__all__ = [
    "BACKENDS",
    "EllKernel",
    "disco_ell",
    "ell_contract",
    "from_sparse_kernel",
    "to_ell",
    "use_pallas",
]
