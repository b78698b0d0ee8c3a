"""Flax NNX modules: DISCO convolution, transposed convolution and quadrature pooling.

Signals are ``(…, channels, *grid_shape)``: ``(…, C, ntheta, nphi)`` on MW/MWSS/DH/GL grids
and ``(…, C, 12 nside²)`` on HEALPix.  The sparse operator is built once at construction (in
float64, cast to ``dtype``) and stored in a non-trainable :class:`DiscoKernelVariable`, so
``nnx.grad``/optimisers that filter on :class:`flax.nnx.Param` never touch it.

Equivariance: with an isotropic basis (``kernel_shape=(n_r,)``) the layers commute with
every rotation of S² up to quadrature error, which falls with resolution at fixed physical
cutoff.  With a directional basis (``kernel_shape=(n_r, n_phi)``) the output is S²-valued with
the filter orientation fixed relative to the meridians, so the layer is equivariant to
rotations about the polar axis only (its error under generic rotations is O(1)); for full
equivariance carry the orientations with :class:`physml.disco.directional.DiscoConvSO3`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax import Array

from physml.core import disco_kernels as dk
from physml.core import quadrature
from physml.core import sampling as _sampling

from .convolution import conv, conv_transpose


class DiscoKernelVariable(nnx.Variable):
    """A precomputed, non-trainable DISCO operator (RingKernel or SparseKernel)."""


def _basis(basis: str | dk.FilterBasis, kernel_shape: tuple[int, ...]) -> dk.FilterBasis:
    if isinstance(basis, dk.FilterBasis):
        return basis
    return dk.FilterBasis(basis, tuple(kernel_shape))


def _check_channels(in_channels: int, out_channels: int, groups: int) -> None:
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels={in_channels} and out_channels={out_channels} must both be divisible"
            f" by groups={groups}"
        )


def _init_parameters(shape, in_per_group, out_channels, use_bias, dtype, rngs):
    """Weights ``shape = (c, c', K)`` uniform in ±1/√(in_per_group · K); zero bias or None."""
    bound = 1.0 / math.sqrt(in_per_group * shape[-1])
    weight = jax.random.uniform(rngs.params(), shape, dtype, minval=-bound, maxval=bound)
    bias = nnx.Param(jnp.zeros((out_channels,), dtype)) if use_bias else None
    return nnx.Param(weight), bias


class _DiscoBase(nnx.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        fine: tuple[int, str, int | None],
        coarse: tuple[int, str, int | None],
        kernel_shape: tuple[int, ...],
        basis: str | dk.FilterBasis,
        theta_cutoff: float | None,
        groups: int,
        use_bias: bool,
        normalization: str,
        method: str,
        dtype: object,
        transpose: bool,
        rngs: nnx.Rngs,
    ) -> None:
        _check_channels(in_channels, out_channels, groups)
        basis = _basis(basis, kernel_shape)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        kernel = dk.build(
            fine[0],
            fine[1],
            coarse[0],
            coarse[1],
            nside_in=fine[2],
            nside_out=coarse[2],
            basis=basis,
            theta_cutoff=theta_cutoff,
            normalization=normalization,
            method=method,
            dtype=dtype,
        )
        self.kernel = DiscoKernelVariable(kernel)
        # The transposed layer holds the weights of the forward convolution it is the adjoint of.
        c_a, c_b = (in_channels, out_channels) if transpose else (out_channels, in_channels)
        self.weight, self.bias = _init_parameters(
            (c_a, c_b // groups, basis.size), in_channels // groups, out_channels, use_bias,
            dtype, rngs,
        )  # fmt: skip

    def _add_bias(self, out: Array, n_spatial: int) -> Array:
        if self.bias is None:
            return out
        return out + self.bias[...].reshape(-1, *([1] * n_spatial))


class DiscoConv(_DiscoBase):
    """DISCO convolution S² → S² (Ocampo, Price & McEwen 2023) with channels, groups and bias.

    Parameters
    ----------
    in_channels, out_channels : channel counts (each divisible by ``groups``).
    L_in, sampling_in, nside_in : input grid (``"mw" | "mwss" | "dh" | "gl" | "healpix"``).
    L_out, sampling_out, nside_out : output grid (default: the input grid); a coarser output
        grid downsamples.
    kernel_shape, basis : filter basis (``"piecewise_linear"`` or ``"zernike"``, or a
        :class:`~physml.core.disco_kernels.FilterBasis`); ``(n_r,)`` is isotropic.
    theta_cutoff : support radius (radians); default several spacings of the coarser grid.
    normalization, method : passed to :func:`physml.core.disco_kernels.build`.
    rngs : ``nnx.Rngs`` for the weights, uniform in ±1/√(in_channels/groups · K).

    ``__call__(x)``: ``(…, in_channels, *in_shape) → (…, out_channels, *out_shape)``.
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
        kernel_shape: tuple[int, ...] = (3,),
        basis: str | dk.FilterBasis = "piecewise_linear",
        theta_cutoff: float | None = None,
        groups: int = 1,
        use_bias: bool = True,
        normalization: str = "mean",
        method: str = "auto",
        dtype: object = jnp.float32,
        rngs: nnx.Rngs,
    ) -> None:
        out = (
            L_in if L_out is None else L_out,
            sampling_in if sampling_out is None else sampling_out,
            nside_in if (L_out is None and sampling_out is None) else nside_out,
        )
        super().__init__(
            in_channels,
            out_channels,
            fine=(L_in, sampling_in, nside_in),
            coarse=out,
            kernel_shape=kernel_shape,
            basis=basis,
            theta_cutoff=theta_cutoff,
            groups=groups,
            use_bias=use_bias,
            normalization=normalization,
            method=method,
            dtype=dtype,
            transpose=False,
            rngs=rngs,
        )

    def __call__(self, x: Array) -> Array:
        kernel = self.kernel.get_value()
        out = conv(kernel, x, self.weight[...], groups=self.groups)
        return self._add_bias(out, len(kernel.geometry_out.shape))


class DiscoConvTranspose(_DiscoBase):
    """Transposed DISCO convolution: the exact adjoint of a :class:`DiscoConv` from the output
    grid back to the input grid, e.g. coarse → fine for upsampling.

    Parameters are those of :class:`DiscoConv`, with the roles of the grids reversed:
    ``L_in``/``sampling_in`` is the (coarse) grid of the input ``x`` and ``L_out``/
    ``sampling_out`` the (fine) grid of the output; the operator is built fine → coarse, so
    ring storage applies when the fine grid's longitudes contain the coarse grid's.

    ``__call__(x)``: ``(…, in_channels, *in_shape) → (…, out_channels, *out_shape)``.
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
        kernel_shape: tuple[int, ...] = (3,),
        basis: str | dk.FilterBasis = "piecewise_linear",
        theta_cutoff: float | None = None,
        groups: int = 1,
        use_bias: bool = True,
        normalization: str = "mean",
        method: str = "auto",
        dtype: object = jnp.float32,
        rngs: nnx.Rngs,
    ) -> None:
        fine = (
            L_in if L_out is None else L_out,
            sampling_in if sampling_out is None else sampling_out,
            nside_in if (L_out is None and sampling_out is None) else nside_out,
        )
        super().__init__(
            in_channels,
            out_channels,
            fine=fine,
            coarse=(L_in, sampling_in, nside_in),
            kernel_shape=kernel_shape,
            basis=basis,
            theta_cutoff=theta_cutoff,
            groups=groups,
            use_bias=use_bias,
            normalization=normalization,
            method=method,
            dtype=dtype,
            transpose=True,
            rngs=rngs,
        )

    def __call__(self, x: Array) -> Array:
        kernel = self.kernel.get_value()
        out = conv_transpose(kernel, x, self.weight[...], groups=self.groups)
        return self._add_bias(out, len(kernel.geometry_in.shape))


def spherical_mean(x: Array, L: int, sampling: str = "mw", nside: int | None = None) -> Array:
    """Quadrature-weighted global mean (1/4π) ∫ f dΩ over the last grid axes.

    ``x``: ``(…, *f_shape(L, sampling, nside))`` → ``(…)``.  Exact for band-limited signals on
    MW/MWSS/DH/GL grids (see :func:`physml.core.quadrature.weights`).
    """
    w = quadrature.weights(L, sampling, nside) / (4 * np.pi)
    if sampling == "healpix":
        w = np.repeat(w, _sampling.healpix_ring_lengths(nside))
        return jnp.tensordot(x, jnp.asarray(w, x.dtype), axes=1)
    return jnp.einsum("...tp,t->...", x, jnp.asarray(w, x.dtype))


class SphericalMeanPool(nnx.Module):
    """Global quadrature-weighted average pooling: ``(…, C, *grid) → (…, C)``."""

    def __init__(self, L: int, sampling: str = "mw", nside: int | None = None) -> None:
        self.L, self.sampling, self.nside = L, sampling, nside

    def __call__(self, x: Array) -> Array:
        return spherical_mean(x, self.L, self.sampling, self.nside)


class DiscoAvgPool(nnx.Module):
    """Local quadrature-weighted average pooling to a (coarser) grid.

    ``out(x) = Σ_j w_j ψ(R_x⁻¹ y_j) f(y_j) / Σ_j w_j ψ(R_x⁻¹ y_j)`` with ψ the cone of radius
    ``theta_cutoff``: each channel is averaged separately (no trainable parameters).
    """

    def __init__(
        self,
        *,
        L_in: int,
        sampling_in: str = "mw",
        L_out: int,
        sampling_out: str | None = None,
        nside_in: int | None = None,
        nside_out: int | None = None,
        theta_cutoff: float | None = None,
        dtype: object = jnp.float32,
    ) -> None:
        kernel = dk.build(
            L_in,
            sampling_in,
            L_out,
            sampling_in if sampling_out is None else sampling_out,
            nside_in=nside_in,
            nside_out=nside_out,
            basis=dk.FilterBasis("piecewise_linear", (1,)),
            theta_cutoff=theta_cutoff,
            normalization="mean",
            dtype=dtype,
        )
        self.kernel = DiscoKernelVariable(kernel)

    def __call__(self, x: Array) -> Array:
        kernel = self.kernel.get_value()
        n_grid = len(kernel.geometry_in.shape)
        channels = x.shape[-1 - n_grid]
        weight = jnp.ones((channels, 1, 1), dtype=x.dtype)
        return conv(kernel, x, weight, groups=channels)
