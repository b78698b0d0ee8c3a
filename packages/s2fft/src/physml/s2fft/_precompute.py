r"""Materialised transform kernels for the ``"precompute"`` method.

The on-the-fly path recomputes d^ℓ_{m,−s}(θ_t) on every call.  Precomputing it once turns
each transform into one batched matrix product per order m, with one kernel for both
directions,

.. math::
    K[m, ℓ, t] = (−1)^s \sqrt{(2ℓ+1)/4π}\; d^ℓ_{m,−s}(θ_t), \qquad
    G_m(θ_t) = Σ_ℓ K[m, ℓ, t] f_{ℓm}, \qquad f_{ℓm} = Σ_t K[m, ℓ, t] H_m(θ_t),

where H is the ring-FFT profile times an exact quadrature (:mod:`physml.s2fft._quadrature`).
The rings t are those of the on-the-fly sums (:func:`physml.s2fft._legendre.kernel_rings`):
MW and DH sums run on the L+1 MWSS rings and are moved exactly on the torus, GL, MWSS and
HEALPix on their own rings.  All of these are symmetric about the equator, and
d^ℓ_{mn}(π − θ) = (−1)^{ℓ+n} d^ℓ_{−m,n}(θ) (Varshalovich et al. 1988, §4.4), so the kernel
holds the northern rings only: kernel column m serves the north of order m and the south of
order −m in one product.  Real and imaginary parts, north and south are stacked as four
right-hand sides, so every kernel value is read once per transform (the products are
memory-bound).  With ``reality=True`` (spin 0) only m ≥ 0 is stored, since
d^ℓ_{−m,0} = (−1)^m d^ℓ_{m,0}.

A kernel holds (2L−1)·L·⌈nθ/2⌉ reals (L·L·⌈nθ/2⌉ with ``reality``): ask
:func:`kernel_nbytes` before building one.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import ring_fft
from physml.core import sampling as _sampling
from physml.core.validation import validate_geometry, validate_spin

from . import _legendre
from . import _quadrature as _exact
from ._spherical import ell_scale, hermitian_fill, ring_fill
from ._wigner import wigner_d_rows


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Kernels:
    """Precomputed kernel of one transform configuration (a pytree: pass it through ``jit``).

    One kernel serves :func:`physml.s2fft.forward` (HEALPix ``iter`` refinements included)
    and :func:`physml.s2fft.inverse`.

    Attributes
    ----------
    kernel : (M, L, nθ_north) array
        K[m, ℓ, t] on the northern kernel rings, M = 2L−1 (or L with ``reality``: m ≥ 0).
    L, spin, sampling, nside, reality : the configuration it was built for (static).
    """

    kernel: jax.Array
    L: int = dataclasses.field(metadata={"static": True})
    spin: int = dataclasses.field(metadata={"static": True})
    sampling: str = dataclasses.field(metadata={"static": True})
    nside: int = dataclasses.field(metadata={"static": True})
    reality: bool = dataclasses.field(metadata={"static": True})

    @property
    def forward_kernel(self) -> jax.Array:
        """The kernel (s2fft-style name; the same array serves both directions)."""
        return self.kernel

    @property
    def inverse_kernel(self) -> jax.Array:
        """The kernel (s2fft-style name; the same array serves both directions)."""
        return self.kernel


def _ring_split(L: int, sampling: str, nside: int) -> tuple[tuple[str, int], int, int]:
    """(kernel rings, number of rings, number of northern rings ⌈nθ/2⌉)."""
    rings = _legendre.kernel_rings(sampling, nside)
    nth = _sampling.ntheta(L, rings[0], rings[1] or None)
    return rings, nth, (nth + 1) // 2


def kernel_nbytes(
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    forward: bool = False,
    dtype=np.float64,
) -> int:
    """Bytes :func:`precompute_kernels` would allocate for these arguments (nothing is built).

    The same for both directions (``forward`` is accepted for symmetry with
    :func:`precompute_kernels`).
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    validate_spin(spin, L)
    _, _, north = _ring_split(L, sampling, nside)
    cols = L if reality else 2 * L - 1
    return cols * L * north * np.dtype(dtype).itemsize


def precompute_kernels(
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    forward: bool = False,
    dtype=None,
) -> Kernels:
    """Build the kernel of the ``"precompute"`` method once; pass it as ``precomps``.

    Parameters
    ----------
    L, spin, sampling, nside, reality : the transform configuration.
    forward : accepted for compatibility with the established s2fft's separate forward and
        inverse kernels; here one kernel serves both directions.
    dtype : float32 or float64 (float64 when x64 is enabled).

    Returns
    -------
    Kernels
        Memory: :func:`kernel_nbytes` bytes.

    Examples
    --------
    >>> kernels = precompute_kernels(16, spin=2, sampling="mw")
    >>> flm = forward(f, 16, spin=2, method="precompute", precomps=kernels)  # doctest: +SKIP
    """
    del forward  # one kernel for both directions
    L, sampling, nside = validate_geometry(L, sampling, nside)
    spin = validate_spin(spin, L)
    if reality and spin != 0:
        raise ValueError(f"reality=True describes a real signal, which needs spin=0, got {spin}")
    dt = np.dtype(dtype or (np.float64 if jax.config.jax_enable_x64 else np.float32))
    rings, _, north = _ring_split(L, sampling, nside)
    theta = _legendre.ring_thetas(L, rings)[:north]
    kernel = _kernel(jnp.asarray(theta, dt), L=L, spin=spin, reality=bool(reality))
    return Kernels(kernel, L, spin, sampling, nside, bool(reality))


@partial(jax.jit, static_argnames=("L", "spin", "reality"))
def _kernel(theta: jax.Array, *, L: int, spin: int, reality: bool) -> jax.Array:
    """(M, L, nθ_north) kernel as one compiled program (eagerly, the recursion's scan and
    its dozens of small operations would each be dispatched, and compiled, on their own)."""
    dt = theta.dtype
    rows = wigner_d_rows(L, theta, -spin, dt) * ell_scale(L, spin, dt)[:, :, None]
    kernel = jnp.transpose(rows, (2, 0, 1))  # (2L−1, L, north)
    return kernel[L - 1 :] if reality else kernel


def check_kernels(precomps: object, L, spin, sampling, nside, reality, forward: bool) -> Kernels:
    """Raise unless ``precomps`` was built for this configuration."""
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
    return precomps


def _signs(p: Kernels, dtype) -> jax.Array:
    """(L, M) mirror signs: (−1)^{ℓ+n} with n = −s, times (−1)^m with ``reality`` (the south
    of order m then comes from kernel column m itself, d^ℓ_{−m,0} = (−1)^m d^ℓ_{m,0})."""
    ell = np.arange(p.L)[:, None]
    m = np.arange(p.L)[None, :] if p.reality else 0
    return jnp.asarray(1 - 2 * ((ell - p.spin + m) % 2), dtype)


def _columns(north: jax.Array, south: jax.Array, dtype, rows_last: bool) -> jax.Array:
    """(..., R, M) north and south → right-hand sides (M, R, Q), or (M, Q, R) with
    ``rows_last``; Q = 4·batch (re/im × north/south).

    The kernel's order axis leads and each order's right-hand sides are contiguous: the
    layouts XLA:CPU multiplies fastest (the others copy the kernel first, 3–5× slower at
    L = 512).
    """
    x = jnp.stack([north.real, north.imag, south.real, south.imag], axis=-1).astype(dtype)
    x = jnp.moveaxis(x, (-3, -2), (1, 0))  # (M, R, ..., 4)
    x = x.reshape(*x.shape[:2], -1)
    return jnp.swapaxes(x, 1, 2) if rows_last else x


def _split(z: jax.Array, batch: tuple[int, ...], rows_last: bool):
    """(M, R, Q) (or (M, Q, R)) products → complex north and south parts (..., R, M)."""
    if rows_last:
        z = jnp.swapaxes(z, 1, 2)
    z = z.reshape(*z.shape[:2], *batch, 4)
    z = jnp.moveaxis(z, (0, 1), (-2, -3))  # (..., R, M, 4)
    return jax.lax.complex(z[..., 0], z[..., 1]), jax.lax.complex(z[..., 2], z[..., 3])


def _legendre_synthesis(p: Kernels, x: jax.Array) -> jax.Array:
    """x (..., L, M) → G (..., nθ, M) on the kernel rings."""
    dt = x.real.dtype
    _, nth, north = _ring_split(p.L, p.sampling, p.nside)
    mirrored = x if p.reality else x[..., ::-1]  # the south of −m is read at column m
    rhs = _columns(x, _signs(p, dt) * mirrored, dt, rows_last=True)  # (M, Q, L)
    z = jnp.einsum("clt,cql->cqt", p.kernel.astype(dt), rhs)
    g_north, g_south = _split(z, x.shape[:-2], rows_last=True)
    if not p.reality:
        g_south = g_south[..., ::-1]
    south = nth - north
    return jnp.concatenate([g_north, g_south[..., :south, :][..., ::-1, :]], axis=-2)


def _legendre_analysis(p: Kernels, h: jax.Array) -> jax.Array:
    """h (..., nθ, M) on the kernel rings → y (..., L, M), the transpose of the synthesis."""
    dt = h.real.dtype
    _, nth, north = _ring_split(p.L, p.sampling, p.nside)
    south = nth - north
    h_north = h[..., :north, :]
    h_south = h[..., nth - 1 - np.arange(south), :]
    h_south = jnp.pad(h_south, [(0, 0)] * (h.ndim - 2) + [(0, north - south), (0, 0)])
    if not p.reality:
        h_south = h_south[..., ::-1]
    rhs = _columns(h_north, h_south, dt, rows_last=False)  # (M, nθ_north, Q)
    z = jnp.einsum("clt,ctq->clq", p.kernel.astype(dt), rhs)
    y_north, y_south = _split(z, h.shape[:-2], rows_last=False)
    y_south = y_south if p.reality else y_south[..., ::-1]
    return y_north + _signs(p, dt) * y_south


@jax.jit
def inverse_precompute(flm: jax.Array, precomps: Kernels) -> jax.Array:
    """Inverse transform with a materialised kernel."""
    p = precomps
    x = flm[..., p.L - 1 :] if p.reality else flm
    g = _legendre_synthesis(p, x)
    if p.sampling in _legendre._VIA_MWSS:
        g = _legendre.from_mwss(g[..., None, :, :], (-p.spin,), p.L, p.sampling, p.reality)
        g = g[..., 0, :, :]
    if p.reality:
        return ring_fft.inverse(ring_fill(g), p.L, p.sampling, p.nside or None).real
    return ring_fft.inverse(g, p.L, p.sampling, p.nside or None)


def _forward_once(f, p):
    """One quadrature pass: (..., L, M) coefficients (M = L, m ≥ 0, with ``reality``)."""
    F = ring_fft.forward(f, p.L, p.sampling, p.nside or None)
    if p.reality:
        F = F[..., p.L - 1 :]
    orders = (-p.spin,)
    h, rings = _exact.to_quadrature_rings(
        F[..., None, :, :], orders, p.L, p.sampling, p.nside, p.reality
    )
    if rings[0] in _legendre._VIA_MWSS:
        h = _legendre.onto_mwss(h, orders, p.L, rings[0], p.reality)
    return _legendre_analysis(p, h[..., 0, :, :])


@partial(jax.jit, static_argnames=("iter",))
def forward_precompute(f: jax.Array, precomps: Kernels, iter: int = 0) -> jax.Array:
    """Forward transform with a materialised kernel (``iter`` refinements for HEALPix)."""
    p = precomps
    full = partial(hermitian_fill, L=p.L) if p.reality else (lambda y: y)
    flm = _forward_once(f, p)
    for _ in range(iter):
        flm = flm + _forward_once(f - inverse_precompute(full(flm), p), p)
    return full(flm)
