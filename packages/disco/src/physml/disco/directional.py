"""Directional DISCO convolutions with SO(3)-valued outputs (orientations carried).

A directional filter ψ(r, α) seen from x with its own orientation γ,

    (f ⋆ ψ)(x, γ) = ∫_{S²} ψ(R_z(γ)⁻¹ R_x⁻¹ y) f(y) dΩ(y),    ψ(R_z(γ)⁻¹ v) = ψ(r, α − γ),

is a function on SO(3) ∋ Q = R_z(φ) R_y(θ) R_z(γ) (Euler angles (φ, θ, γ), ZYZ), and it is
rotation equivariant: (R f ⋆ ψ)(Q) = (f ⋆ ψ)(R⁻¹ Q) (McEwen, Wallis & Mortlock 2015;
Cohen et al. 2018).  Sampling γ at N orientations γ_n = 2πn/N gives the output
``(..., channels, N, *grid)``.  It is evaluated as one DISCO operator whose K·N filters are
the K basis filters rotated to each γ_n (:class:`OrientedBasis`), with the weights shared
across orientations.  Keeping only γ = 0 (an S²-valued directional layer) is equivariant to
rotations about the polar axis only; the orientations make it equivariant to all of SO(3).

Reference: Ocampo, Price & McEwen (2023), ICLR, section 3 (directional filters).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax import Array

from physml.core import disco_kernels as dk

from .convolution import conv
from .layers import DiscoKernelVariable, _check_channels, _init_parameters


@dataclass(frozen=True)
class OrientedBasis(dk.FilterBasis):
    """The filters of a :class:`~physml.core.disco_kernels.FilterBasis` rotated to
    ``n_orientations`` angles γ_n = 2πn/N about their centre: ψ_{n,k}(r, α) = ψ_k(r, α − γ_n).

    Filter index n·K + k (orientation-major); ``size`` is N·K.
    """

    n_orientations: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.n_orientations
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n_orientations must be a positive integer, got {n!r}")

    @property
    def base(self) -> dk.FilterBasis:
        return dk.FilterBasis(self.kind, self.kernel_shape)

    @property
    def size(self) -> int:
        return self.n_orientations * self.base.size

    def __call__(self, rho: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        gammas = 2 * np.pi * np.arange(self.n_orientations) / self.n_orientations
        alpha = np.asarray(alpha, dtype=np.float64)
        return np.concatenate([self.base(rho, alpha - g) for g in gammas])


def _expand(weight: Array, n: int) -> Array:
    """W[o, c, k] → W'[(o, n), c, (n', k)] = W[o, c, k] δ_{n n'}: one filter set per γ_n."""
    c_out, c_in_g, K = weight.shape
    eye = jnp.eye(n, dtype=weight.dtype)
    expanded = weight[:, None, :, None, :] * eye[None, :, None, :, None]  # (o, n, c, n', k)
    return expanded.reshape(c_out * n, c_in_g, n * K)


def conv_so3(kernel: dk.RingKernel | dk.SparseKernel, x: Array, weight: Array, *, groups=1):
    """Directional DISCO convolution S² → SO(3) with orientations carried.

    Parameters
    ----------
    kernel : operator built with an :class:`OrientedBasis` of N orientations and K filters.
    x : ``(…, in_channels, *in_shape)`` real signal.
    weight : ``(out_channels, in_channels // groups, K)``, shared by the N orientations.

    Returns
    -------
    ``(…, out_channels, N, *out_shape)``: the output at Euler angles (φ, θ, γ_n).
    """
    basis = kernel.basis if isinstance(kernel, (dk.RingKernel, dk.SparseKernel)) else None
    if not isinstance(basis, OrientedBasis):
        raise TypeError(
            "kernel must be built with an OrientedBasis (physml.disco.directional), got"
            f" basis {basis!r}"
        )
    n, K = basis.n_orientations, basis.base.size
    shape = tuple(np.shape(weight))
    if len(shape) != 3 or shape[2] != K:
        raise ValueError(
            f"weight has shape {shape} but needs (out_channels, in_channels // groups, K={K})"
            f" for {n} orientations of a basis of {K} filters"
        )
    out = conv(kernel, x, _expand(jnp.asarray(weight), n), groups=groups)
    grid = kernel.geometry_out.shape
    return out.reshape(*out.shape[: out.ndim - len(grid) - 1], shape[0], n, *grid)


class DiscoConvSO3(nnx.Module):
    """Directional DISCO convolution lifting S² signals to SO(3): ``(…, C_in, *grid) →
    (…, C_out, n_orientations, *grid_out)``, with bias; equivariant to all rotations.

    Parameters are those of :class:`~physml.disco.DiscoConv`, plus ``n_orientations``; the
    ``kernel_shape`` must be directional, ``(n_r, n_φ)``.  Follow it with
    :func:`orientation_pool` to return to S² with rotation-equivariant features.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        L_in: int,
        sampling_in: str = "mw",
        L_out: int | None = None,
        sampling_out: str | None = None,
        nside_in: int | None = None,
        nside_out: int | None = None,
        kernel_shape: tuple[int, ...] = (3, 4),
        basis: str = "piecewise_linear",
        n_orientations: int = 4,
        theta_cutoff: float | None = None,
        groups: int = 1,
        use_bias: bool = True,
        dtype: object = jnp.float32,
        rngs: nnx.Rngs,
    ) -> None:
        _check_channels(in_channels, out_channels, groups)
        oriented = OrientedBasis(basis, tuple(kernel_shape), n_orientations)
        if oriented.isotropic:
            raise ValueError(
                f"kernel_shape must be directional, (n_r, n_phi), got {tuple(kernel_shape)!r}:"
                " isotropic filters look the same at every orientation (use DiscoConv)"
            )
        same = L_out is None and sampling_out is None
        kernel = dk.build(
            L_in,
            sampling_in,
            L_in if L_out is None else L_out,
            sampling_in if sampling_out is None else sampling_out,
            nside_in=nside_in,
            nside_out=nside_in if same else nside_out,
            basis=oriented,
            theta_cutoff=theta_cutoff,
            dtype=dtype,
        )
        self.kernel = DiscoKernelVariable(kernel)
        self.groups = groups
        shape = (out_channels, in_channels // groups, oriented.base.size)
        self.weight, self.bias = _init_parameters(
            shape, in_channels // groups, out_channels, use_bias, dtype, rngs
        )

    def __call__(self, x: Array) -> Array:
        kernel = self.kernel.get_value()
        out = conv_so3(kernel, x, self.weight[...], groups=self.groups)
        if self.bias is None:
            return out
        return out + self.bias[...].reshape(-1, *([1] * (1 + len(kernel.geometry_out.shape))))


def orientation_pool(y: Array, n_grid_axes: int = 2, *, kind: str = "max") -> Array:
    """Pool an SO(3) signal ``(…, C, N, *grid)`` over its N orientations → ``(…, C, *grid)``.

    ``kind="max"`` or ``"mean"``.  A rotation moves the output at (x, γ) to (R x, γ + δ(x)) with
    a continuous shift δ, so the pooled S² signal is rotation equivariant up to the sampling of
    γ (exactly in the limit N → ∞).  ``n_grid_axes``: 2 (equiangular) or 1 (HEALPix).
    """
    if kind not in ("max", "mean"):
        raise ValueError(f"kind={kind!r} is not one of ('max', 'mean')")
    axis = -1 - n_grid_axes
    return jnp.max(y, axis=axis) if kind == "max" else jnp.mean(y, axis=axis)
