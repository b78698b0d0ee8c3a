"""Materialised transform kernels for the ``"precompute"`` method.

The on-the-fly path recomputes d^ℓ_{m,−s}(θ_t) on every call.  Precomputing it once turns
each transform into one batched matrix product per order m:

    inverse:  G[t, m] = Σ_ℓ K⁻[m, ℓ, t] f_ℓm,       K⁻ = (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ_t)
    forward:  f_ℓm   = Σ_t K⁺[m, ℓ, t] F_t(m),      F the unnormalised ring FFT,

where K⁺ folds in the exact quadrature (ring weights, or the MW/MWSS resampling onto
Driscoll–Healy rings of :mod:`physml.s2fft._quadrature`).  A kernel holds L·nθ·(2L−1)
reals (L·nθ·L with ``reality=True``): ask :func:`kernel_nbytes` before building one.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import quadrature as _quadrature
from physml.core import ring_fft
from physml.core import sampling as _sampling
from physml.core.validation import validate_geometry, validate_spin

from . import _quadrature as _exact
from ._spherical import ell_scale, hermitian_fill, ring_fill
from ._wigner import wigner_d_rows


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Kernels:
    """Precomputed kernels of one transform configuration (a pytree: pass it through ``jit``).

    Attributes
    ----------
    forward_kernel : (M, L, nθ) array or None
        K⁺ for :func:`physml.s2fft.forward`, M = 2L−1 (or L with ``reality``).
    inverse_kernel : (M, L, nθ) array or None
        K⁻ for :func:`physml.s2fft.inverse` (and HEALPix ``iter`` refinements).
    L, spin, sampling, nside, reality : the configuration they were built for (static).
    """

    forward_kernel: jax.Array | None
    inverse_kernel: jax.Array | None
    L: int = dataclasses.field(metadata={"static": True})
    spin: int = dataclasses.field(metadata={"static": True})
    sampling: str = dataclasses.field(metadata={"static": True})
    nside: int = dataclasses.field(metadata={"static": True})
    reality: bool = dataclasses.field(metadata={"static": True})


def _parts(L, sampling, nside, forward):
    """Which kernels a configuration needs: HEALPix forward also refines with the inverse."""
    return (forward, (not forward) or sampling == "healpix")


def kernel_nbytes(
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    forward: bool = False,
    dtype=np.float64,
) -> int:
    """Bytes :func:`precompute_kernels` would allocate for these arguments (nothing is built)."""
    L, sampling, nside = validate_geometry(L, sampling, nside)
    validate_spin(spin, L)
    ntheta = _sampling.ntheta(L, sampling, nside or None)
    cols = L if reality else 2 * L - 1
    count = sum(_parts(L, sampling, nside, forward))
    return count * cols * L * ntheta * np.dtype(dtype).itemsize


def _rows(L, rings, spin, dt):
    """(L, nθ, 2L−1) sign·λ_ℓ d^ℓ_{m,−s}(θ_t)."""
    theta = _exact._legendre.ring_thetas(L, rings)
    return wigner_d_rows(L, theta, -spin, dt) * ell_scale(L, spin, dt)[:, :, None]


def _inverse_kernel(L, spin, sampling, nside, dt):
    return jnp.transpose(_rows(L, (sampling, nside), spin, dt), (2, 0, 1))


def _forward_kernel(L, spin, sampling, nside, dt):
    if sampling in ("mw", "mwss"):
        even, odd = (jnp.asarray(a, dt) for a in _exact.resampling_matrices(L, sampling))
        rows = _rows(L, ("dh", 0), spin, dt)  # (L, 2L, 2L−1)
        odd_order = (np.arange(-(L - 1), L) + spin) % 2 == 1
        k_even = jnp.einsum("ljm,jt->mlt", rows, even)
        k_odd = jnp.einsum("ljm,jt->mlt", rows, odd)
        return jnp.where(odd_order[:, None, None], k_odd, k_even)
    w = jnp.asarray(_quadrature.weights(L, sampling, nside or None), dt)
    return jnp.transpose(_rows(L, (sampling, nside), spin, dt) * w[:, None], (2, 0, 1))


def precompute_kernels(
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    forward: bool = False,
    dtype=None,
) -> Kernels:
    """Build the kernels of the ``"precompute"`` method once; pass them as ``precomps``.

    Parameters
    ----------
    L, spin, sampling, nside, reality : the transform configuration.
    forward : build the forward kernel (True) or the inverse one (False).  A HEALPix forward
        kernel set also holds the inverse kernel, used by ``iter`` refinements.
    dtype : float32 or float64 (float64 when x64 is enabled).

    Returns
    -------
    Kernels
        Memory: :func:`kernel_nbytes` bytes.

    Examples
    --------
    >>> kernels = precompute_kernels(16, spin=2, sampling="mw", forward=True)
    >>> flm = forward(f, 16, spin=2, method="precompute", precomps=kernels)  # doctest: +SKIP
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    spin = validate_spin(spin, L)
    if reality and spin != 0:
        raise ValueError(f"reality=True describes a real signal, which needs spin=0, got {spin}")
    dt = np.dtype(dtype or (np.float64 if jax.config.jax_enable_x64 else np.float32))
    cols = slice(L - 1, None) if reality else slice(None)
    want_forward, want_inverse = _parts(L, sampling, nside, forward)
    fk = _forward_kernel(L, spin, sampling, nside, dt)[cols] if want_forward else None
    ik = _inverse_kernel(L, spin, sampling, nside, dt)[cols] if want_inverse else None
    return Kernels(fk, ik, L, spin, sampling, nside, bool(reality))


def check_kernels(precomps: object, L, spin, sampling, nside, reality, forward: bool) -> Kernels:
    """Raise unless ``precomps`` was built for this configuration and direction."""
    if not isinstance(precomps, Kernels):
        raise TypeError(
            "method='precompute' needs precomps=precompute_kernels(...), got"
            f" {type(precomps).__name__}"
        )
    have = (precomps.L, precomps.spin, precomps.sampling, precomps.nside, precomps.reality)
    want = (L, spin, sampling, nside, bool(reality))
    if have != want:
        raise ValueError(
            f"precomps were built for (L, spin, sampling, nside, reality)={have}, not {want}"
        )
    kernel = precomps.forward_kernel if forward else precomps.inverse_kernel
    if kernel is None:
        direction = "forward" if forward else "inverse"
        raise ValueError(f"precomps hold no {direction} kernel: build them with forward={forward}")
    return precomps


def _apply(kernel, x):
    """y[..., ℓ, m] = Σ_t kernel[m, ℓ, t] x[..., t, m] on real and imaginary parts."""
    k = kernel.astype(x.real.dtype)
    return jax.lax.complex(
        jnp.einsum("mlt,...tm->...lm", k, x.real), jnp.einsum("mlt,...tm->...lm", k, x.imag)
    )


def _apply_t(kernel, x):
    k = kernel.astype(x.real.dtype)
    return jax.lax.complex(
        jnp.einsum("mlt,...lm->...tm", k, x.real), jnp.einsum("mlt,...lm->...tm", k, x.imag)
    )


@jax.jit
def inverse_precompute(flm: jax.Array, precomps: Kernels) -> jax.Array:
    """Inverse transform with a materialised kernel."""
    p = precomps
    if p.reality:
        g = ring_fill(_apply_t(p.inverse_kernel, flm[..., p.L - 1 :]))
        return ring_fft.inverse(g, p.L, p.sampling, p.nside or None).real
    g = _apply_t(p.inverse_kernel, flm)
    return ring_fft.inverse(g, p.L, p.sampling, p.nside or None)


def _forward_once(f, p):
    F = ring_fft.forward(f, p.L, p.sampling, p.nside or None)
    if p.reality:
        return hermitian_fill(_apply(p.forward_kernel, F[..., p.L - 1 :]), p.L)
    return _apply(p.forward_kernel, F)


@partial(jax.jit, static_argnames=("iter",))
def forward_precompute(f: jax.Array, precomps: Kernels, iter: int = 0) -> jax.Array:
    """Forward transform with a materialised kernel (``iter`` refinements for HEALPix)."""
    flm = _forward_once(f, precomps)
    for _ in range(iter):
        flm = flm + _forward_once(f - inverse_precompute(flm, precomps), precomps)
    return flm
