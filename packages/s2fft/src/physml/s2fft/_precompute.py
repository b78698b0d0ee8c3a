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

Column m is zero for ℓ < a_m = max(|m|, |s|), so it holds n_m = L − a_m useful rows.  The
columns are stored in pairs whose useful rows fit one row of length L + 1 (the longest with
the shortest, libsharp-style triangle packing), which halves both the memory and the
bytes read per transform: a kernel holds about L·(L+1)·⌈nθ/2⌉ reals (L²/2·⌈nθ/2⌉ with
``reality``): ask :func:`kernel_nbytes` before building one.

Either direction reads the same numbers, but XLA:CPU's batched matrix products are fast only
when the kernel's contracted axis is its middle one (the kernel is then the left factor of
a tall-times-thin product; contracting the minor axis makes Eigen repack the whole kernel,
2.5–3× slower at L = 512: ``benchmarks/s2fft/micro/kernel_products.py``).  So a kernel is
laid out for one direction, (P, ℓ, t) for the forward (a sum over rings t) and (P, t, ℓ)
for the inverse (a sum over ℓ), chosen by ``forward`` as in the established s2fft; the other
direction still works with it, at the slower speed.
"""

from __future__ import annotations

import dataclasses
import functools
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import sampling as _sampling
from physml.core.validation import validate_geometry, validate_spin

from . import _legendre, _torus
from . import _quadrature as _exact
from ._spherical import ell_scale, hermitian_fill, ring_coefficients, ring_signal
from ._wigner import wigner_d_rows


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Kernels:
    """Precomputed kernel of one transform configuration (a pytree: pass it through ``jit``).

    One kernel serves :func:`physml.s2fft.forward` (HEALPix ``iter`` refinements included)
    and :func:`physml.s2fft.inverse`.

    Attributes
    ----------
    kernel : (P, R, nθ_north) array, or (P, nθ_north, R) when not ``forward``
        K[m, ℓ, t] on the northern kernel rings for the M = 2L−1 orders (L with
        ``reality``: m ≥ 0), the useful rows ℓ ≥ max(|m|, |s|) of two orders packed into
        each of the P ≈ M/2 rows of length R ≤ L + 1 (see :class:`_Packing`).
    L, spin, sampling, nside, reality : the configuration it was built for (static).
    forward : the direction the layout favours (static); both directions accept it.
    """

    kernel: jax.Array
    L: int = dataclasses.field(metadata={"static": True})
    spin: int = dataclasses.field(metadata={"static": True})
    sampling: str = dataclasses.field(metadata={"static": True})
    nside: int = dataclasses.field(metadata={"static": True})
    reality: bool = dataclasses.field(metadata={"static": True})
    forward: bool = dataclasses.field(metadata={"static": True})

    @property
    def forward_kernel(self) -> jax.Array:
        """The kernel (s2fft-style name; the array serves both directions)."""
        return self.kernel

    @property
    def inverse_kernel(self) -> jax.Array:
        """The kernel (s2fft-style name; the array serves both directions)."""
        return self.kernel


@dataclasses.dataclass(frozen=True)
class _Packing:
    """Where each order's useful kernel rows live in the packed kernel (NumPy, static).

    Order column c (m = c − (L−1), or m = c with ``reality``) is zero for ℓ < a_c =
    max(|m|, |s|) and holds n_c = L − a_c useful rows.  The columns are sorted by n_c and the
    longest is paired with the shortest while the two fit R = L + 1 rows, so packed row p
    holds column ``col[p, 0]`` at positions 0…n−1 and ``col[p, 1]`` right after it.  A
    column index M, or an ℓ index L, marks an unused position (read from zero padding).
    """

    L: int
    M: int
    R: int
    col: np.ndarray  # (P, 2) order columns of each packed row (M: empty slot)
    start: np.ndarray  # (P, 2) first packed position of each slot
    a: np.ndarray  # (M,) first useful ℓ of each column
    pair: np.ndarray  # (M,) packed row of each column
    slot: np.ndarray  # (M,) slot (0 or 1) of each column in its packed row

    @property
    def P(self) -> int:
        return self.col.shape[0]

    @functools.cached_property
    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(P, 2, R) column and ℓ held at each packed position of each slot (M, L: none)."""
        a = np.append(self.a, 0)
        length = np.append(self.L - self.a, 0)
        rel = np.arange(self.R)[None, None, :] - self.start[:, :, None]
        used = (rel >= 0) & (rel < length[self.col][:, :, None])
        col = np.where(used, self.col[:, :, None], self.M)
        ell = np.where(used, a[self.col][:, :, None] + rel, self.L)
        return col, ell

    @functools.cached_property
    def kernel_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(P, R) column and ℓ of the kernel value stored at each packed position."""
        col, ell = self.positions
        first = col[:, 0] < self.M
        return np.where(first, col[:, 0], col[:, 1]), np.where(first, ell[:, 0], ell[:, 1])

    @functools.cached_property
    def row_of(self) -> np.ndarray:
        """(M, L) packed position of (column, ℓ); R where ℓ < a (a zero kernel value)."""
        ell = np.arange(self.L)[None, :]
        start = self.start[self.pair, self.slot][:, None]
        return np.where(ell >= self.a[:, None], start + ell - self.a[:, None], self.R)


@functools.lru_cache(maxsize=64)
def _packing(L: int, spin: int, reality: bool) -> _Packing:
    """The pairing of order columns for band-limit ``L`` and spin ``spin``."""
    m = np.arange(L) if reality else np.arange(-(L - 1), L)
    a = np.maximum(np.abs(m), abs(spin))
    n = L - a
    M, R = m.size, L + 1
    order = np.argsort(-n, kind="stable")
    pairs, i, k = [], 0, M - 1
    while i <= k:
        if i < k and n[order[i]] + n[order[k]] <= R:
            pairs.append((order[i], order[k]))
            k -= 1
        else:
            pairs.append((order[i], M))
        i += 1
    col = np.array(pairs, dtype=np.int64)
    start = np.stack([np.zeros(len(col), np.int64), n[col[:, 0]]], axis=1)
    pair = np.empty(M, np.int64)
    slot = np.empty(M, np.int64)
    for s in (0, 1):
        used = col[:, s] < M
        pair[col[used, s]] = np.nonzero(used)[0]
        slot[col[used, s]] = s
    return _Packing(L, M, R, col, start, a, pair, slot)


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

    The same for both directions (``forward`` only changes the layout).
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    validate_spin(spin, L)
    _, _, north = _ring_split(L, sampling, nside)
    pack = _packing(L, abs(spin), bool(reality))
    return pack.P * pack.R * north * np.dtype(dtype).itemsize


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
    forward : lay the kernel out for :func:`physml.s2fft.forward` (True) or
        :func:`physml.s2fft.inverse` (False, the default, as in the established s2fft).
        Either kernel serves both directions; the other one runs 2–3× slower on CPU.
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
    rings, _, north = _ring_split(L, sampling, nside)
    theta = _legendre.ring_thetas(L, rings)[:north]
    forward = bool(forward)
    kernel = _kernel(jnp.asarray(theta, dt), L=L, spin=spin, reality=bool(reality), forward=forward)
    return Kernels(kernel, L, spin, sampling, nside, bool(reality), forward)


@partial(jax.jit, static_argnames=("L", "spin", "reality", "forward"))
def _kernel(theta: jax.Array, *, L: int, spin: int, reality: bool, forward: bool) -> jax.Array:
    """(P, R, nθ_north) packed kernel, or (P, nθ_north, R) for the inverse, as one compiled
    program (eagerly, the recursion's scan and its dozens of small operations would each be
    dispatched, and compiled, on their own)."""
    dt = theta.dtype
    rows = wigner_d_rows(L, theta, -spin, dt) * ell_scale(L, spin, dt)[:, :, None]
    pack = _packing(L, abs(spin), reality)
    col, ell = pack.kernel_rows
    used = jnp.asarray(col < pack.M)
    col = np.minimum(col, pack.M - 1) + (L - 1 if reality else 0)  # columns of (L, nθ, 2L−1)
    ell = np.minimum(ell, L - 1)
    kernel = jnp.where(used[:, :, None], rows[ell, :, col], 0.0)  # (P, R, north)
    return kernel if forward else jnp.swapaxes(kernel, 1, 2)


def check_kernels(precomps: object, L, spin, sampling, nside, reality) -> Kernels:
    """Raise unless ``precomps`` was built for this configuration (either layout serves both
    directions)."""
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


def _split(z: jax.Array, batch: tuple[int, ...], rows_last: bool, columns: bool = False):
    """(M, R, Q) (or (M, Q, R)) products → complex north and south parts (..., R, M), or
    (..., M, R) with ``columns``."""
    if rows_last:
        z = jnp.swapaxes(z, 1, 2)
    z = z.reshape(*z.shape[:2], *batch, 4)
    z = jnp.moveaxis(z, (0, 1), (-3, -2) if columns else (-2, -3))  # (..., M, R, 4)
    return jax.lax.complex(z[..., 0], z[..., 1]), jax.lax.complex(z[..., 2], z[..., 3])


def _packed_synthesis(p: Kernels, rhs: jax.Array) -> jax.Array:
    """z[c, q, t] = Σ_ℓ K[c, ℓ, t] rhs[c, q, ℓ] with the packed kernel.

    ``rhs`` is (M, Q, L) → (M, Q, nθ) for a forward-layout kernel and (M, L, Q) → (M, nθ, Q)
    for an inverse-layout one (the right-hand sides in the orientation each layout
    multiplies fastest).  The right-hand sides of the two columns of a packed row are laid
    side by side (2Q of them), each zero outside its own column's rows, so every packed
    kernel value is read once and multiplies the right-hand sides of its own column only.
    """
    pack = _packing(p.L, abs(p.spin), p.reality)
    col, ell = pack.positions  # (P, 2, R)
    kernel = p.kernel.astype(rhs.dtype)
    if p.forward:
        Q = rhs.shape[1]
        padded = jnp.pad(rhs, ((0, 1), (0, 0), (0, 1)))  # column M and ℓ = L read zero
        packed = jnp.transpose(padded[col, :, ell], (0, 1, 3, 2))  # (P, 2, Q, R)
        z = jnp.einsum("prt,pqr->pqt", kernel, packed.reshape(pack.P, 2 * Q, pack.R))
        return z.reshape(2 * pack.P, Q, -1)[2 * pack.pair + pack.slot]
    Q = rhs.shape[2]
    padded = jnp.pad(rhs, ((0, 1), (0, 1), (0, 0)))
    packed = jnp.transpose(padded[col, ell], (0, 2, 1, 3))  # (P, R, 2, Q)
    z = jnp.einsum("ptr,prq->ptq", kernel, packed.reshape(pack.P, pack.R, 2 * Q))
    z = jnp.transpose(z.reshape(pack.P, -1, 2, Q), (0, 2, 1, 3))  # (P, 2, nθ, Q)
    return z.reshape(2 * pack.P, -1, Q)[2 * pack.pair + pack.slot]


def _packed_analysis(p: Kernels, rhs: jax.Array) -> jax.Array:
    """z[c, ℓ, q] = Σ_t K[c, ℓ, t] rhs[c, t, q] with the packed kernel: (M, nθ, Q) → (M, L, Q)."""
    pack = _packing(p.L, abs(p.spin), p.reality)
    _, north, Q = rhs.shape
    padded = jnp.pad(rhs, ((0, 1), (0, 0), (0, 0)))  # column M (an empty slot) reads zero
    packed = jnp.transpose(padded[pack.col], (0, 2, 1, 3)).reshape(pack.P, north, 2 * Q)
    product = "prt,ptq->prq" if p.forward else "ptr,ptq->prq"
    z = jnp.einsum(product, p.kernel.astype(rhs.dtype), packed)
    z = jnp.pad(z.reshape(pack.P, pack.R, 2, Q), ((0, 0), (0, 1), (0, 0), (0, 0)))
    return z[pack.pair[:, None], pack.row_of, pack.slot[:, None]]  # ℓ < a reads zero


def _legendre_synthesis(p: Kernels, x: jax.Array, columns: bool = False) -> jax.Array:
    """x (..., L, M) → G (..., nθ, M) on the kernel rings, or (..., M, nθ) with ``columns``."""
    dt = x.real.dtype
    _, nth, north = _ring_split(p.L, p.sampling, p.nside)
    mirrored = x if p.reality else x[..., ::-1]  # the south of −m is read at column m
    rhs = _columns(x, _signs(p, dt) * mirrored, dt, rows_last=p.forward)
    z = _packed_synthesis(p, rhs)
    g_north, g_south = _split(z, x.shape[:-2], rows_last=p.forward, columns=columns)
    rings, orders = (-1, -2) if columns else (-2, -1)
    if not p.reality:
        g_south = jnp.flip(g_south, orders)
    south = jax.lax.slice_in_dim(jnp.flip(g_south, rings), north - (nth - north), north, axis=rings)
    return jnp.concatenate([g_north, south], axis=rings)


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
    z = _packed_analysis(p, rhs)  # (M, L, Q)
    y_north, y_south = _split(z, h.shape[:-2], rows_last=False)
    y_south = y_south if p.reality else y_south[..., ::-1]
    return y_north + _signs(p, dt) * y_south


FFT_MOVE_MIN_L = 257
"""From this band-limit on, the precompute inverse moves MWSS ring profiles onto MW rings
with FFTs along θ in the (order, ring) layout the kernel product returns, O(L² log L),
instead of the dense O(L³) move.  Orders of opposite parity share one torus
(:func:`_torus.resample_pairs`: two FFTs per pair of orders), which halves the FFTs of the
one-order-per-torus move (L = 512, spin 0: 8.4 against 12.9 ms).  Onto DH rings (FFTs
of length 4L) the dense move stays faster.  ``benchmarks/s2fft/micro/inverse_move.py``
measures the choice."""


@jax.jit
def inverse_precompute(flm: jax.Array, precomps: Kernels) -> jax.Array:
    """Inverse transform with a materialised kernel."""
    p = precomps
    x = flm[..., p.L - 1 :] if p.reality else flm
    if p.sampling == "mw" and p.L >= FFT_MOVE_MIN_L:
        g = _legendre_synthesis(p, x, columns=True)
        parity = _legendre.parity((-p.spin,), p.L, p.reality)[0]
        g = jnp.swapaxes(_torus.resample_pairs(g, parity, p.L, "mwss", p.sampling), -1, -2)
    else:
        g = _legendre_synthesis(p, x)
        if p.sampling in _legendre._VIA_MWSS:
            g = _legendre.from_mwss(g[..., None, :, :], (-p.spin,), p.L, p.sampling, p.reality)
            g = g[..., 0, :, :]
    return ring_signal(g, p.L, p.sampling, p.nside, p.reality)


def _forward_once(f, p):
    """One quadrature pass: (..., L, M) coefficients (M = L, m ≥ 0, with ``reality``)."""
    F = ring_coefficients(f, p.L, p.sampling, p.nside, p.reality)
    orders = (-p.spin,)
    h, _ = _exact.onto_kernel_rings(F[..., None, :, :], orders, p.L, p.sampling, p.nside, p.reality)
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
