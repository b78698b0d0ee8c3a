"""Dense brute-force DISCO quadrature: the slow, obviously-correct path beside the fast one.

    A[k, i, j] = w_j ψ_k(R_{x_i}⁻¹ y_j) / norm_{k,i},    R_x = R_z(φ_x) R_y(θ_x),

for *arbitrary* output points x_i (on a grid or not) and every input pixel y_j, with the frame
of x_i obtained by multiplying explicit 3×3 rotation matrices with the Cartesian input vectors
(an independent code path from the closed-form, ring-by-ring construction in
:mod:`physml.core.disco_kernels`).  Memory is O(K · n_out · n_in): use it for tests, for
evaluating a convolution at off-grid points, and as the dense baseline of the benchmark.
"""

from __future__ import annotations

import numpy as np

from physml.core import disco_kernels as dk
from physml.core import quadrature, sampling


def pixel_positions(L: int, sampling_name: str, nside: int | None = None) -> tuple:
    """(θ, φ, w) of every pixel of a grid, flattened in signal order, each ``(npix,)``."""
    g = sampling.grid(L, sampling_name, nside)
    ring = np.repeat(np.arange(g.ntheta), g.ring_lengths)
    j = np.arange(int(g.ring_lengths.sum())) - np.repeat(g.ring_offsets, g.ring_lengths)
    phi = g.phi0[ring] + 2 * np.pi * j / g.ring_lengths[ring]
    w = quadrature.weights(L, sampling_name, nside)[ring]
    return g.thetas[ring], phi, w


def _unit_vectors(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), st * np.sin(phi), np.cos(theta)], axis=-1)


def _frame(theta: float, phi: float) -> np.ndarray:
    """R_x⁻¹ = R_y(−θ) R_z(−φ) as a 3×3 matrix."""
    c, s = np.cos(phi), np.sin(phi)
    rz = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    c, s = np.cos(theta), np.sin(theta)
    ry = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    return ry @ rz


def quadrature_matrix(
    theta_out: np.ndarray,
    phi_out: np.ndarray,
    L_in: int,
    sampling_in: str = "mw",
    *,
    basis: dk.FilterBasis,
    theta_cutoff: float,
    nside_in: int | None = None,
    normalization: str = "mean",
) -> np.ndarray:
    """Dense DISCO quadrature matrix ``(K, n_points, npix_in)`` in float64.

    ``theta_out``, ``phi_out`` : ``(n_points,)`` output positions (any points on S²).
    Other arguments as in :func:`physml.core.disco_kernels.build`.
    """
    theta_in, phi_in, w = pixel_positions(L_in, sampling_in, nside_in)
    y = _unit_vectors(theta_in, phi_in)
    theta_out = np.atleast_1d(np.asarray(theta_out, dtype=np.float64))
    phi_out = np.atleast_1d(np.asarray(phi_out, dtype=np.float64))
    out = np.empty((basis.size, theta_out.size, theta_in.size))
    for i, (t, p) in enumerate(zip(theta_out, phi_out, strict=True)):
        v = y @ _frame(t, p).T
        r = np.arctan2(np.hypot(v[:, 0], v[:, 1]), v[:, 2])
        alpha = np.arctan2(v[:, 1], v[:, 0])
        out[:, i] = basis(r / theta_cutoff, alpha) * w
    if normalization == "mean":
        norms = np.abs(out).sum(axis=2, keepdims=True)
        out = out / np.where(norms > 0.0, norms, 1.0)
    return out
