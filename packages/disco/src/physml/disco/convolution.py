"""DISCO convolution and its exact adjoint (the transposed convolution) as pure functions.

With a precomputed operator ``A_k`` from :func:`physml.core.disco_kernels.build` and weights
``W[c_out, c_in, k]`` (``c_in`` counted within a group),

    conv(x)[…, c_out]  =  Σ_{c_in, k}  W[c_out, c_in, k]  (A_k x[…, c_in]),

    conv_transpose(y)  =  conv*(y),  the adjoint:  ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩.

For a :class:`~physml.core.disco_kernels.RingKernel`, ``A_k x`` is evaluated as banded circular
cross-correlations along longitude: real FFT of every input ring, a product with the stored
ring-kernel spectra summed over the B input rings of each output ring (a ``lax.scan`` over the
band, so no B-fold copy of the input is made), inverse FFT and a stride to the output
longitudes.  A :class:`~physml.core.disco_kernels.SparseKernel` is a gather and segment sum.

Both functions carry a custom VJP: the backward pass recomputes the K-expanded intermediate
``A_k x`` (needed only for the weight gradient) instead of keeping it from the forward pass, so
memory stays O(input + output) per channel.  Reverse mode (any order) is supported; forward
mode (``jvp``) is not, as for every ``custom_vjp`` function.

Reference: Ocampo, Price & McEwen (2023), "Scalable and equivariant spherical CNNs by
discrete-continuous (DISCO) convolutions", ICLR.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from physml.core import disco_kernels as dk

Kernel = dk.RingKernel | dk.SparseKernel


def _pre(kernel: Kernel, x: Array) -> Array:
    if isinstance(kernel, dk.RingKernel):
        return jnp.fft.rfft(x, axis=-1)
    return x.reshape(*x.shape[: x.ndim - len(kernel.geometry_in.shape)], -1)


def _post(kernel: Kernel, z: Array) -> Array:
    if isinstance(kernel, dk.RingKernel):
        n_in = kernel.geometry_in.shape[1]
        return jnp.fft.irfft(z, n=n_in, axis=-1)[..., :: kernel.stride]
    return z.reshape(*z.shape[:-1], *kernel.geometry_out.shape)


def _psi(kernel: Kernel, u: Array) -> Array:
    """(…, C, *in) → (…, C, K, *out) in the transformed domain of :func:`_pre`/:func:`_post`."""
    if isinstance(kernel, dk.RingKernel):
        spectrum = kernel.spectrum.astype(jnp.result_type(kernel.spectrum, u))

        def step(acc, band):
            spec_b, index_b = band  # (K, O, M), (O,)
            rings = u[..., index_b, :]  # (…, C, O, M)
            return acc + rings[..., None, :, :] * spec_b, None

        shape = (*u.shape[:-2], spectrum.shape[0], spectrum.shape[1], u.shape[-1])
        acc0 = jnp.zeros(shape, dtype=spectrum.dtype)
        bands = (jnp.moveaxis(spectrum, 2, 0), jnp.moveaxis(kernel.ring_index, 1, 0))
        return jax.lax.scan(step, acc0, bands)[0]
    n_out = int(np.prod(kernel.geometry_out.shape))
    values = kernel.values.astype(jnp.result_type(kernel.values, u))
    products = u[..., None, kernel.cols] * values  # (…, C, K, nnz)
    moved = jnp.moveaxis(products, -1, 0)
    summed = jax.ops.segment_sum(moved, kernel.rows, num_segments=n_out)
    return jnp.moveaxis(summed, 0, -1)


def _mix(weight: Array, y: Array, groups: int, n_z: int) -> Array:
    """Σ_{c,k} W[d, c, k] y[…, c, k, …] within each of the ``groups`` channel blocks.

    ``y`` is ``(…, C_in, K, *z)`` with ``n_z`` transformed-domain axes ``z``.
    """
    c_out, c_in_g, K = weight.shape
    batch, spatial = y.shape[: y.ndim - 2 - n_z], y.shape[y.ndim - n_z :]
    yg = y.reshape(*batch, groups, c_in_g, K, -1)
    wg = weight.reshape(groups, c_out // groups, c_in_g, K).astype(jnp.result_type(weight, y))
    out = jnp.einsum("...gckz,gdck->...gdz", yg, wg)
    return out.reshape(*batch, c_out, *spatial)


def _n_z(kernel: Kernel) -> int:
    return 2 if isinstance(kernel, dk.RingKernel) else 1


def _forward_raw(kernel: Kernel, x: Array, weight: Array, groups: int) -> Array:
    return _post(kernel, _mix(weight, _psi(kernel, _pre(kernel, x)), groups, _n_z(kernel)))


def _transpose_raw(kernel: Kernel, y: Array, weight: Array, groups: int, x_shape, x_dtype):
    fn = partial(_forward_raw, kernel, weight=weight, groups=groups)
    (x,) = jax.linear_transpose(fn, jax.ShapeDtypeStruct(x_shape, x_dtype))(y)
    return x


def _weight_cotangent(kernel: Kernel, x: Array, weight: Array, cot: Array, groups: int) -> Array:
    """∂⟨conv(x; W), cot⟩/∂W, recomputing A_k x rather than storing it."""
    y = _psi(kernel, _pre(kernel, x))
    z_shape = jax.eval_shape(lambda: _mix(weight, y, groups, _n_z(kernel)))
    (z_cot,) = jax.linear_transpose(partial(_post, kernel), z_shape)(cot)
    _, pullback = jax.vjp(lambda w: _mix(w, y, groups, _n_z(kernel)), weight)
    return pullback(z_cot)[0]


def _zero_cotangent(kernel: Kernel) -> Kernel:
    def zero(a):
        if jnp.issubdtype(a.dtype, jnp.integer):
            return np.zeros(a.shape, dtype=jax.dtypes.float0)
        return jnp.zeros_like(a)

    return jax.tree.map(zero, kernel)


@partial(jax.custom_vjp, nondiff_argnums=(3,))
def _conv(kernel: Kernel, x: Array, weight: Array, groups: int) -> Array:
    return _forward_raw(kernel, x, weight, groups)


def _conv_fwd(kernel, x, weight, groups):
    return _forward_raw(kernel, x, weight, groups), (kernel, x, weight)


def _conv_bwd(groups, residuals, cot):
    kernel, x, weight = residuals
    dx = _transpose_raw(kernel, cot, weight, groups, x.shape, x.dtype)
    dw = _weight_cotangent(kernel, x, weight, cot, groups)
    return _zero_cotangent(kernel), dx, dw


_conv.defvjp(_conv_fwd, _conv_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _conv_t(kernel: Kernel, y: Array, weight: Array, groups: int, x_shape: tuple) -> Array:
    return _transpose_raw(kernel, y, weight, groups, x_shape, y.dtype)


def _conv_t_fwd(kernel, y, weight, groups, x_shape):
    return _conv_t(kernel, y, weight, groups, x_shape), (kernel, y, weight)


def _conv_t_bwd(groups, x_shape, residuals, cot):
    kernel, y, weight = residuals
    # ⟨A_W* y, g⟩ = ⟨y, A_W g⟩: the input cotangent is the forward convolution of g, and the
    # weight cotangent that of the forward convolution at input g with output cotangent y.
    dy = _forward_raw(kernel, cot, weight, groups)
    dw = _weight_cotangent(kernel, cot, weight, y, groups)
    return _zero_cotangent(kernel), dy, dw


_conv_t.defvjp(_conv_t_fwd, _conv_t_bwd)


def _check(kernel: Kernel, x: Array, weight: Array, groups: int, transpose: bool) -> tuple:
    if not isinstance(kernel, (dk.RingKernel, dk.SparseKernel)):
        raise TypeError(
            f"kernel must be a RingKernel or SparseKernel from physml.core.disco_kernels.build,"
            f" got {type(kernel).__name__}"
        )
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got groups={groups!r}")
    weight_shape = tuple(np.shape(weight))
    K = kernel.basis.size
    if len(weight_shape) != 3 or weight_shape[2] != K:
        raise ValueError(
            f"weight has shape {weight_shape} but needs (out_channels, in_channels // groups,"
            f" K={K}) for a basis of {K} filters"
        )
    c_out, c_in = weight_shape[0], weight_shape[1] * groups
    if c_out % groups:
        raise ValueError(f"out_channels={c_out} is not divisible by groups={groups}")
    g_x = kernel.geometry_out if transpose else kernel.geometry_in
    channels = c_out if transpose else c_in
    name = "y" if transpose else "x"
    expected = (channels, *g_x.shape)
    shape = tuple(np.shape(x))
    if len(shape) < len(expected) or shape[len(shape) - len(expected) :] != expected:
        raise ValueError(
            f"{name} has shape {shape} but needs (..., channels={channels}, *{g_x.shape}) for"
            f" sampling={g_x.sampling!r} with L={g_x.L} and weight of shape {weight_shape}"
            f" (groups={groups})"
        )
    if not jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating):
        raise TypeError(f"{name} must have a real floating dtype, got {jnp.asarray(x).dtype}")
    dtype = jnp.result_type(x, weight, jnp.finfo(_real_dtype(kernel)).dtype)
    return jnp.asarray(x, dtype), jnp.asarray(weight, dtype), c_in, c_out


def _real_dtype(kernel: Kernel):
    arr = kernel.spectrum if isinstance(kernel, dk.RingKernel) else kernel.values
    return jnp.finfo(arr.dtype).dtype


def conv(kernel: Kernel, x: Array, weight: Array, *, groups: int = 1) -> Array:
    """DISCO convolution S² → S².

    Parameters
    ----------
    kernel : precomputed operator (input grid → output grid) with K filters.
    x : ``(…, in_channels, *in_shape)`` real signal on the input grid.
    weight : ``(out_channels, in_channels // groups, K)`` filter coefficients.
    groups : channels split into ``groups`` independent blocks (``in`` and ``out``).

    Returns
    -------
    ``(…, out_channels, *out_shape)``:  Σ_{c,k} W[o, c, k] (A_k x_c).

    Examples
    --------
    >>> from physml.core import disco_kernels as dk
    >>> op = dk.build(8, "mwss")
    >>> conv(op, jnp.ones((2, 9, 16)), jnp.ones((4, 2, 3))).shape
    (4, 9, 16)
    """
    x, weight, _, _ = _check(kernel, x, weight, groups, transpose=False)
    return _conv(kernel, x, weight, groups)


def conv_transpose(kernel: Kernel, y: Array, weight: Array, *, groups: int = 1) -> Array:
    """Transposed DISCO convolution: the exact adjoint of :func:`conv`, output grid → input grid.

    Parameters
    ----------
    kernel : the operator of the *forward* convolution (its input grid is the fine grid).
    y : ``(…, out_channels, *out_shape)`` signal on the kernel's output grid.
    weight : ``(out_channels, in_channels // groups, K)``, as for :func:`conv`.

    Returns
    -------
    ``(…, in_channels, *in_shape)`` with ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩.
    """
    y, weight, c_in, _ = _check(kernel, y, weight, groups, transpose=True)
    batch = y.shape[: y.ndim - 1 - len(kernel.geometry_out.shape)]
    x_shape = (*batch, c_in, *kernel.geometry_in.shape)
    return _conv_t(kernel, y, weight, groups, x_shape)
