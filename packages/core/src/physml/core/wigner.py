r"""Wigner small-d functions d^ℓ_{mn}(β): stable recursions, streamed or materialised.

Convention
----------
d^ℓ_{mn}(β) = ``⟨ℓm| exp(-iβJ_y) |ℓn⟩`` (Varshalovich, Moskalev & Khersonskii 1988, §4.3), given
by Wigner's explicit sum

.. math::
    d^ℓ_{mn}(β) = \sum_s \frac{(-1)^{m-n+s}\sqrt{(ℓ+m)!(ℓ-m)!(ℓ+n)!(ℓ-n)!}}
        {(ℓ+n-s)!\, s!\, (m-n+s)!\, (ℓ-m-s)!}
        \cos^{2ℓ+n-m-2s}\tfrac{β}{2} \sin^{m-n+2s}\tfrac{β}{2},

with the Condon–Shortley phase: d^1_{10}(β) = -sin β/√2 and d^ℓ_{m0}(β) =
sqrt((ℓ-m)!/(ℓ+m)!) P_ℓ^m(cos β) with P_ℓ^m as in ``scipy.special.lpmv``.  Spin-weighted
harmonics follow as sY_ℓm(θ, φ) = (-1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,-s}(θ) e^{imφ}, the
convention of the established s2fft and ssht.

Layout: m and n live at index L-1+m (axes of length 2L-1), ℓ on the leading axis; entries
with ℓ < max(abs(m), abs(n)) are exactly 0.

Two routes
----------
* Δ = d(π/2) by the Trapani & Navaza (2006) recursion, and d(β) = i^{n-m} Σ_{m'} Δ_{m'm}
  Δ_{m'n} e^{im'β} (:func:`delta_step`, :func:`delta_matrices`, :func:`scan_delta`,
  :func:`wigner_d_from_delta`, :func:`wigner_d_matrix`): exact at any β, O(L²) per ℓ,
  for L ≤ ``DELTA_MAX_L`` (1023 in float64).
* The three-term recursion in ℓ at fixed n for all m and a vector of β, in extended range
  (:func:`recursion_init`, :func:`recursion_step`, :func:`scan_wigner_d`,
  :func:`wigner_d_rows`): what spin transforms need at each ring, O(nβ L) memory, stable
  for any n and L (tested to L = 8192: unitarity ~1e-14, no NaN/inf).

Every function is pure JAX: ``L`` and ``dtype`` are static, angles (and ``n`` under
``jax.vmap``) may be traced, and no Python loop runs over ℓ, so compile time does not grow
with L.  Working precision is float64 when x64 is enabled, else float32.

Examples
--------
>>> import jax.numpy as jnp
>>> from physml.core import wigner
>>> rows = wigner.wigner_d_rows(4, jnp.array([0.3, 1.2]), n=-2)   # (4, 2, 7)
>>> d = wigner.wigner_d_matrix(4, 0.3)                              # (4, 7, 7)
"""

from ._wigner_delta import (
    DELTA_MAX_L,
    delta_init,
    delta_matrices,
    delta_step,
    scan_delta,
    wigner_d_from_delta,
    wigner_d_matrix,
)
from ._wigner_recursion import (
    RecursionState,
    recursion_init,
    recursion_step,
    scan_wigner_d,
    wigner_d_rows,
)

__all__ = [
    "DELTA_MAX_L",
    "RecursionState",
    "delta_init",
    "delta_matrices",
    "delta_step",
    "recursion_init",
    "recursion_step",
    "scan_delta",
    "scan_wigner_d",
    "wigner_d_from_delta",
    "wigner_d_matrix",
    "wigner_d_rows",
]
