"""Sparse discrete–continuous (DISCO) convolution kernels on the sphere.

The DISCO convolution of Ocampo, Price & McEwen (2023, ICLR) evaluates

    (f ⋆ ψ_k)(x) = ∫_{S²} ψ_k(R_x⁻¹ y) f(y) dΩ(y)  ≈  Σ_j  w_j ψ_k(R_x⁻¹ y_j) f(y_j),

with R_x = R_z(φ_x) R_y(θ_x) the rotation taking the north pole to x, by quadrature on the
input grid (weights w_j from :func:`physml.core.quadrature.weights`) with filters ψ_k that
vanish beyond a geodesic distance ``theta_cutoff``.  The operator is sparse and built once.

Two storage layouts, both O(nnz) and never a dense (n_out × n_in) matrix:

``RingKernel`` (equiangular input and output, ``n_φ,in`` a multiple of ``n_φ,out``)
    Only the output longitude φ = 0 of each output ring is evaluated: a rotation R_z(2πq/n_out)
    maps the input grid onto itself, so output sample q of ring o is the circular
    cross-correlation ``Σ_t Σ_p K_{k,o,t}(p − s q) f_{t,p}`` with stride s = n_φ,in / n_φ,out.
    Only the input rings t with abs(θ_t − θ_o) ≤ theta_cutoff (a band of B rings; the geodesic
    distance is ≥ abs(Δθ)) are enumerated, and each ring kernel is stored by its real FFT along
    longitude: ``spectrum`` of shape (K, n_rings_out, B, n_φ,in//2 + 1), memory O(L² B).
``SparseKernel`` (any pair of samplings, HEALPix included)
    Output pixels are not related by a grid shift, so every (output, input) pair within the
    cutoff is stored in coordinate form ``values (K, nnz), rows (nnz,), cols (nnz,)``; for each
    pair of rings only the longitude window abs(Δφ) ≤ Δ(θ_o, θ_t) inside the cutoff is visited.

Geodesic distance and direction of y seen from x are computed with ``atan2`` from the rotated
vector written in differences (sin(θ−θ_x), sin²(Δφ/2)), which keeps full relative precision
near the filter centre where ``arccos`` of a dot product loses about half the digits.  Kernels
are built in float64 and cast to the requested dtype after normalisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from . import quadrature as _quadrature
from . import sampling as _sampling
from .validation import validate_geometry

BASIS_KINDS: tuple[str, ...] = ("piecewise_linear", "zernike")
NORMALIZATIONS: tuple[str, ...] = ("none", "mean")


# ----------------------------------------------------------------------------------------------
# Filter bases


@dataclass(frozen=True)
class FilterBasis:
    """A set of K continuous filters ψ_k(r, α) supported on the cap r < theta_cutoff.

    ``r`` is the geodesic distance from the filter centre and ``α`` the direction (α = 0 points
    towards increasing colatitude, α = π/2 towards increasing longitude).  With ρ = r / cutoff:

    ``piecewise_linear``, ``kernel_shape=(n_r,)`` (isotropic, K = n_r)
        hats ψ_i(ρ) = max(0, 1 − n_r |ρ − i/n_r|), i = 0 … n_r − 1 (a cone at the centre).
    ``piecewise_linear``, ``kernel_shape=(n_r, n_φ)`` (anisotropic, K = 1 + (n_r − 1) n_φ)
        the central cone, then radial hats i ≥ 1 times periodic hats in α centred on 2πj/n_φ.
    ``zernike``, ``kernel_shape=(n_rad,)`` or ``(n_rad, n_ang)`` (smooth, K = n_rad (2 n_ang − 1))
        Zernike polynomials R_{m+2j}^m(ρ) {cos mα, sin mα}, m < n_ang, j < n_rad, tapered by
        (1 − ρ²)² so that they and their first derivatives vanish at the cutoff.

    All are continuous and vanish for ρ ≥ 1.  Directional (anisotropic) filters make the
    convolution equivariant to rotations about the polar axis only.
    """

    kind: str = "piecewise_linear"
    kernel_shape: tuple[int, ...] = (3,)

    def __post_init__(self) -> None:
        if self.kind not in BASIS_KINDS:
            raise ValueError(f"basis kind={self.kind!r} is not one of {BASIS_KINDS}")
        shape = tuple(self.kernel_shape)
        if not 1 <= len(shape) <= 2 or not all(isinstance(n, int) and n >= 1 for n in shape):
            raise ValueError(
                f"kernel_shape must be (n_r,) or (n_r, n_phi) of positive integers, got {shape!r}"
            )
        object.__setattr__(self, "kernel_shape", shape)

    @property
    def isotropic(self) -> bool:
        return len(self.kernel_shape) == 1

    @property
    def size(self) -> int:
        """Number K of basis functions."""
        if self.kind == "zernike":
            n_rad = self.kernel_shape[0]
            n_ang = 1 if self.isotropic else self.kernel_shape[1]
            return n_rad * (2 * n_ang - 1)
        if self.isotropic:
            return self.kernel_shape[0]
        return 1 + (self.kernel_shape[0] - 1) * self.kernel_shape[1]

    def __call__(self, rho: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """Evaluate all K filters at scaled distances ρ and directions α: shape (K, *ρ.shape)."""
        rho = np.asarray(rho, dtype=np.float64)
        alpha = np.asarray(alpha, dtype=np.float64)
        if self.kind == "zernike":
            return _zernike(rho, alpha, self.kernel_shape)
        return _piecewise_linear(rho, alpha, self.kernel_shape)


def _piecewise_linear(rho: np.ndarray, alpha: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    n_r = shape[0]
    radial = [np.maximum(0.0, 1.0 - n_r * np.abs(rho - i / n_r)) for i in range(n_r)]
    if len(shape) == 1:
        return np.stack(radial)
    n_phi = shape[1]
    out = [radial[0]]
    for i in range(1, n_r):
        for j in range(n_phi):
            if n_phi == 1:
                out.append(radial[i])
                continue
            dist = np.abs(np.angle(np.exp(1j * (alpha - 2 * np.pi * j / n_phi))))
            out.append(radial[i] * np.maximum(0.0, 1.0 - dist * n_phi / (2 * np.pi)))
    return np.stack(out)


def _zernike_radial(n: int, m: int, rho: np.ndarray) -> np.ndarray:
    total = np.zeros_like(rho)
    for s in range((n - m) // 2 + 1):
        c = (-1) ** s * math.factorial(n - s)
        c /= math.factorial(s) * math.factorial((n + m) // 2 - s) * math.factorial((n - m) // 2 - s)
        total = total + c * rho ** (n - 2 * s)
    return total


def _zernike(rho: np.ndarray, alpha: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    n_rad = shape[0]
    n_ang = 1 if len(shape) == 1 else shape[1]
    taper = np.where(rho < 1.0, (1.0 - np.minimum(rho, 1.0) ** 2) ** 2, 0.0)
    out = []
    for m in range(n_ang):
        angular = [np.cos(m * alpha)] + ([np.sin(m * alpha)] if m > 0 else [])
        for ang in angular:
            for j in range(n_rad):
                out.append(_zernike_radial(m + 2 * j, m, rho) * ang * taper)
    return np.stack(out)


# ----------------------------------------------------------------------------------------------
# Geometry


def relative_position(
    theta_x: np.ndarray, theta_y: np.ndarray, dphi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance r and direction α of y = (θ_y, φ_x + Δφ) in the frame of x = (θ_x, φ_x).

    The coordinates of R_x⁻¹ y with R_x = R_z(φ_x) R_y(θ_x), written without cancellation:

        v_x = sin(θ_y − θ_x) − 2 sin θ_y cos θ_x sin²(Δφ/2),   v_y = sin θ_y sin Δφ,
        v_z = cos(θ_y − θ_x) − 2 sin θ_y sin θ_x sin²(Δφ/2),

    r = atan2(√(v_x² + v_y²), v_z) ∈ [0, π] and α = atan2(v_y, v_x).  Arrays broadcast.
    """
    theta_x, theta_y, dphi = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (theta_x, theta_y, dphi))
    )
    half = np.sin(0.5 * dphi) ** 2
    st = np.sin(theta_y)
    vx = np.sin(theta_y - theta_x) - 2.0 * st * np.cos(theta_x) * half
    vy = st * np.sin(dphi)
    vz = np.cos(theta_y - theta_x) - 2.0 * st * np.sin(theta_x) * half
    return np.arctan2(np.hypot(vx, vy), vz), np.arctan2(vy, vx)


def _spacing(L: int, sampling: str, nside: int) -> float:
    if sampling == "healpix":
        return math.sqrt(4 * math.pi / (12 * nside * nside))
    return math.pi / _sampling.ntheta(L, sampling)


def default_theta_cutoff(
    L_in: int,
    sampling_in: str,
    L_out: int,
    sampling_out: str,
    basis: FilterBasis,
    nside_in: int | None = None,
    nside_out: int | None = None,
) -> float:
    """A cutoff of max(4, n_r + 1) spacings of the coarser grid (spacing π / n_rings).

    Each radial hat then spans at least two grid spacings; a one-spacing cutoff leaves the
    filter under-resolved at every resolution and never converges to equivariance.
    """
    g_in = validate_geometry(L_in, sampling_in, nside_in)
    g_out = validate_geometry(L_out, sampling_out, nside_out)
    spacing = max(_spacing(*g_in), _spacing(*g_out))
    return min(math.pi, max(4, basis.kernel_shape[0] + 1) * spacing)


def _check_cutoff(theta_cutoff: object) -> float:
    if isinstance(theta_cutoff, bool) or not isinstance(theta_cutoff, (int, float, np.floating)):
        raise TypeError(f"theta_cutoff must be a real number of radians, got {theta_cutoff!r}")
    value = float(theta_cutoff)
    if not 0.0 < value <= math.pi:
        raise ValueError(f"theta_cutoff must lie in (0, π] radians, got theta_cutoff={value!r}")
    return value


def _band(theta_in: np.ndarray, theta_o: float, cutoff: float) -> tuple[int, int]:
    """Index range [lo, hi) of the input rings with |θ_t − θ_o| ≤ cutoff (sorted θ)."""
    slack = 1e-12
    lo = int(np.searchsorted(theta_in, theta_o - cutoff - slack, side="left"))
    hi = int(np.searchsorted(theta_in, theta_o + cutoff + slack, side="right"))
    return lo, hi


# ----------------------------------------------------------------------------------------------
# Operators


@dataclass(frozen=True)
class Geometry:
    """Static description of a sampled sphere: ``(L, sampling, nside)`` and its signal shape."""

    L: int
    sampling: str
    nside: int = 0

    @property
    def grid(self) -> _sampling.Grid:
        return _sampling.grid(self.L, self.sampling, self.nside or None)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.grid.shape


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class RingKernel:
    """DISCO operator between equiangular grids, stored per output ring in Fourier space.

    ``spectrum[k, o, b, m]`` = conj of the real DFT over input longitude p of
    ``w_t ψ_k(R_{x_o}⁻¹ y_{t,p}) / norm_{k,o}`` with t = ``ring_index[o, b]`` and x_o the
    output sample of ring o at φ = 0.  Padded band slots have a zero spectrum.
    """

    spectrum: jax.Array  # (K, n_rings_out, B, n_phi_in // 2 + 1) complex
    ring_index: jax.Array  # (n_rings_out, B) int32
    geometry_in: Geometry = field(metadata={"static": True})
    geometry_out: Geometry = field(metadata={"static": True})
    basis: FilterBasis = field(metadata={"static": True})
    theta_cutoff: float = field(metadata={"static": True})
    stride: int = field(metadata={"static": True})


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SparseKernel:
    """DISCO operator between any two samplings in coordinate (COO) form.

    ``(A_k f)[rows[n]] += values[k, n] f[cols[n]]`` over flattened pixel indices.
    """

    values: jax.Array  # (K, nnz) real
    rows: jax.Array  # (nnz,) int32 flattened output index
    cols: jax.Array  # (nnz,) int32 flattened input index
    geometry_in: Geometry = field(metadata={"static": True})
    geometry_out: Geometry = field(metadata={"static": True})
    basis: FilterBasis = field(metadata={"static": True})
    theta_cutoff: float = field(metadata={"static": True})


def ring_compatible(geometry_in: Geometry, geometry_out: Geometry) -> bool:
    """True when output longitudes are a subset of input longitudes on every ring (shift trick)."""
    if not (geometry_in.grid.equiangular and geometry_out.grid.equiangular):
        return False
    return geometry_in.shape[1] % geometry_out.shape[1] == 0


def _normalise(values: np.ndarray, norms: np.ndarray, normalization: str) -> np.ndarray:
    if normalization == "none":
        return values
    return values / np.where(norms > 0.0, norms, 1.0)


def _build_ring(gin: Geometry, gout: Geometry, basis: FilterBasis, cutoff: float, norm: str):
    grid_in, grid_out = gin.grid, gout.grid
    n_in = gin.shape[1]
    w = _quadrature.weights(gin.L, gin.sampling)
    bands = [_band(grid_in.thetas, t, cutoff) for t in grid_out.thetas]
    width = max(1, max(hi - lo for lo, hi in bands))
    n_out_rings = grid_out.ntheta
    ring_index = np.zeros((n_out_rings, width), dtype=np.int32)
    kernels = np.zeros((basis.size, n_out_rings, width, n_in))
    dphi = 2 * np.pi * np.arange(n_in) / n_in
    for o, (lo, hi) in enumerate(bands):
        if hi <= lo:
            continue
        t = np.arange(lo, hi)
        ring_index[o, : hi - lo] = t
        r, alpha = relative_position(grid_out.thetas[o], grid_in.thetas[t, None], dphi[None, :])
        psi = basis(r / cutoff, alpha) * w[t, None]
        kernels[:, o, : hi - lo] = psi
    norms = np.abs(kernels).sum(axis=(2, 3), keepdims=True)
    kernels = _normalise(kernels, norms, norm)
    spectrum = np.conj(np.fft.rfft(kernels, axis=-1))
    return spectrum, ring_index


def _window(theta_o: float, theta_t: np.ndarray, cutoff: float) -> np.ndarray:
    """Half-width Δ of the longitudes of ring θ_t within ``cutoff`` of (θ_o, 0); π = all."""
    denom = np.sin(theta_o) * np.sin(theta_t)
    num = np.cos(cutoff) - np.cos(theta_o) * np.cos(theta_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(denom > 1e-300, num / denom, -np.inf)
    return np.where(c <= -1.0, np.pi, np.arccos(np.clip(c, -1.0, 1.0)))


def _build_sparse(gin: Geometry, gout: Geometry, basis: FilterBasis, cutoff: float, norm: str):
    grid_in, grid_out = gin.grid, gout.grid
    w = _quadrature.weights(gin.L, gin.sampling, gin.nside or None)
    values, rows, cols = [], [], []
    for o, theta_o in enumerate(grid_out.thetas):
        n_o = int(grid_out.ring_lengths[o])
        phi_out = grid_out.phi0[o] + 2 * np.pi * np.arange(n_o) / n_o
        out_index = grid_out.ring_offsets[o] + np.arange(n_o)
        lo, hi = _band(grid_in.thetas, theta_o, cutoff)
        half = _window(theta_o, grid_in.thetas[lo:hi], cutoff)
        for t, delta in zip(range(lo, hi), half, strict=True):
            n_t = int(grid_in.ring_lengths[t])
            step = 2 * np.pi / n_t
            count = n_t if delta >= np.pi else min(n_t, int(2 * delta / step) + 5)
            start = np.floor((phi_out - delta - grid_in.phi0[t]) / step).astype(np.int64) - 1
            if count == n_t:
                start = np.zeros_like(start)
            p = (start[:, None] + np.arange(count)[None, :]) % n_t
            dphi = grid_in.phi0[t] + step * p - phi_out[:, None]
            r, alpha = relative_position(theta_o, grid_in.thetas[t], dphi)
            psi = basis(r / cutoff, alpha) * w[t]
            keep = np.any(psi != 0.0, axis=0)
            values.append(psi[:, keep])
            rows.append(np.broadcast_to(out_index[:, None], p.shape)[keep])
            cols.append(grid_in.ring_offsets[t] + p[keep])
    values = np.concatenate(values, axis=1) if values else np.zeros((basis.size, 0))
    rows = np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, np.int32)
    cols = np.concatenate(cols).astype(np.int32) if cols else np.zeros(0, np.int32)
    n_out = int(np.prod(gout.shape))
    norms = np.zeros((basis.size, n_out))
    for k in range(basis.size):
        np.add.at(norms[k], rows, np.abs(values[k]))
    values = _normalise(values, norms[:, rows], norm)
    return values, rows, cols


def build(
    L_in: int,
    sampling_in: str = "mw",
    L_out: int | None = None,
    sampling_out: str | None = None,
    *,
    basis: FilterBasis | None = None,
    theta_cutoff: float | None = None,
    nside_in: int | None = None,
    nside_out: int | None = None,
    normalization: str = "mean",
    method: str = "auto",
    dtype: object = np.float64,
) -> RingKernel | SparseKernel:
    """Precompute the DISCO operator from one sampled sphere to another.

    Parameters
    ----------
    L_in, sampling_in, nside_in : the input grid (quadrature from its sampling).
    L_out, sampling_out, nside_out : the output grid (default: the input grid).
    basis : the filters (default: isotropic piecewise-linear with 3 hats).
    theta_cutoff : filter support radius in radians, in (0, π]; default
        :func:`default_theta_cutoff`.
    normalization : ``"none"`` — the plain quadrature of ∫ ψ_k(R_x⁻¹ y) f(y) dΩ(y);
        ``"mean"`` — each filter divided, at each output point, by its discrete L1 norm
        Σ_j w_j |ψ_k(R_x⁻¹ y_j)| (for non-negative filters: integrates to one).
    method : ``"ring"`` (equiangular grids with n_φ,in a multiple of n_φ,out), ``"sparse"``
        (any grids) or ``"auto"`` (ring when possible).
    dtype : float32 or float64; the operator is built in float64 and cast at the end.

    Returns
    -------
    :class:`RingKernel` or :class:`SparseKernel`.

    Examples
    --------
    >>> op = build(16, "mwss", 8, "mwss", basis=FilterBasis("piecewise_linear", (3,)))
    >>> op.spectrum.shape[:2]
    (3, 9)
    """
    gin = Geometry(*validate_geometry(L_in, sampling_in, nside_in))
    if L_out is None and sampling_out is None and nside_out is None:
        gout = gin
    else:
        L_out = gin.L if L_out is None else L_out
        sampling_out = gin.sampling if sampling_out is None else sampling_out
        gout = Geometry(*validate_geometry(L_out, sampling_out, nside_out))
    basis = FilterBasis() if basis is None else basis
    if not isinstance(basis, FilterBasis):
        raise TypeError(f"basis must be a FilterBasis, got {type(basis).__name__}")
    if theta_cutoff is None:
        theta_cutoff = default_theta_cutoff(
            gin.L, gin.sampling, gout.L, gout.sampling, basis, gin.nside or None, gout.nside or None
        )
    cutoff = _check_cutoff(theta_cutoff)
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization={normalization!r} is not one of {NORMALIZATIONS}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if method not in ("auto", "ring", "sparse"):
        raise ValueError(f"method={method!r} is not one of ('auto', 'ring', 'sparse')")
    compatible = ring_compatible(gin, gout)
    if method == "ring" and not compatible:
        raise ValueError(
            "method='ring' needs equiangular input and output grids whose input longitudes"
            f" contain the output longitudes (n_phi_in a multiple of n_phi_out); got input"
            f" {gin.sampling!r} with shape {gin.shape} and output {gout.sampling!r} with shape"
            f" {gout.shape}. Use method='sparse' for this pair of grids."
        )
    if method == "ring" or (method == "auto" and compatible):
        spectrum, ring_index = _build_ring(gin, gout, basis, cutoff, normalization)
        complex_dtype = np.result_type(dtype, np.complex64)
        return RingKernel(
            spectrum=jnp.asarray(spectrum.astype(complex_dtype)),
            ring_index=jnp.asarray(ring_index),
            geometry_in=gin,
            geometry_out=gout,
            basis=basis,
            theta_cutoff=cutoff,
            stride=gin.shape[1] // gout.shape[1],
        )
    values, rows, cols = _build_sparse(gin, gout, basis, cutoff, normalization)
    return SparseKernel(
        values=jnp.asarray(values.astype(dtype)),
        rows=jnp.asarray(rows),
        cols=jnp.asarray(cols),
        geometry_in=gin,
        geometry_out=gout,
        basis=basis,
        theta_cutoff=cutoff,
    )
