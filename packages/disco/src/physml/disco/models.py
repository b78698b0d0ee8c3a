"""A small spherical U-Net (Ronneberger et al. 2015 on S²) built from DISCO layers.

Levels halve the band-limit: L, L/2, …, L/2^depth.  On MWSS grids (2L longitudes) every
down/upsampling operator uses ring storage (the coarse longitudes are a subset of the fine
ones); other samplings fall back to the coordinate (sparse) layout automatically.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx
from jax import Array

from .layers import DiscoConv, DiscoConvTranspose


class SphericalUNet(nnx.Module):
    """Encoder–decoder with skip connections on the sphere.

    Parameters
    ----------
    in_channels, out_channels : channels of the input and output signals.
    L : band-limit of the finest grid (divisible by ``2**depth``).
    sampling : sampling scheme of every level.
    depth : number of down/upsampling steps.
    width : channels at the finest level (doubled at each coarser level).
    kernel_shape, basis : filter basis of every convolution.
    rngs : ``nnx.Rngs``.

    ``__call__(x)``: ``(…, in_channels, *f_shape(L)) → (…, out_channels, *f_shape(L))``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        L: int,
        sampling: str = "mwss",
        depth: int = 2,
        width: int = 8,
        kernel_shape: tuple[int, ...] = (3,),
        basis: str = "piecewise_linear",
        dtype: object = jnp.float32,
        rngs: nnx.Rngs,
    ) -> None:
        if not isinstance(depth, int) or depth < 1 or L % (2**depth):
            raise ValueError(f"L={L} must be divisible by 2**depth with depth >= 1, got {depth!r}")
        levels = [L // 2**i for i in range(depth + 1)]
        widths = [width * 2**i for i in range(depth + 1)]
        opts = {
            "sampling_in": sampling,
            "kernel_shape": kernel_shape,
            "basis": basis,
            "dtype": dtype,
        }
        self.stem = DiscoConv(in_channels, widths[0], L_in=L, **opts, rngs=rngs)
        self.down = nnx.List(
            [
                DiscoConv(
                    widths[i], widths[i + 1], L_in=levels[i], L_out=levels[i + 1], **opts, rngs=rngs
                )
                for i in range(depth)
            ]
        )
        self.up = nnx.List(
            [
                DiscoConvTranspose(
                    widths[i + 1], widths[i], L_in=levels[i + 1], L_out=levels[i], **opts, rngs=rngs
                )
                for i in range(depth)
            ]
        )
        self.merge = nnx.List(
            [
                DiscoConv(2 * widths[i], widths[i], L_in=levels[i], **opts, rngs=rngs)
                for i in range(depth)
            ]
        )
        self.head = DiscoConv(widths[0], out_channels, L_in=L, **opts, rngs=rngs)

    def __call__(self, x: Array) -> Array:
        h = jax.nn.gelu(self.stem(x))
        skips = []
        for down in self.down:
            skips.append(h)
            h = jax.nn.gelu(down(h))
        for up, merge, skip in zip(
            reversed(self.up), reversed(self.merge), reversed(skips), strict=True
        ):
            h = jax.nn.gelu(up(h))
            h = jax.nn.gelu(merge(jnp.concatenate([h, skip], axis=-3 if h.ndim >= 3 else 0)))
        return self.head(h)
