"""Row-padded sparse contraction for DISCO operators: a Pallas kernel and its pure-JAX fallback.

The sparse DISCO operator of Ocampo, Price & McEwen (2023) in coordinate form,
``(A_k f)[rows[n]] += values[k, n] f[cols[n]]``, is a scatter-add: on a GPU, atomics with
write conflicts between nonzeros of the same output pixel.  Stored row-padded instead
(ELLPACK; Kincaid, Oppe & Young 1989, Bell & Garland 2009), each output row r keeps its
nonzeros in W slots ``cols[r, w]``, ``values[k, r, w]`` (zero in unused slots) and

    (A_k f)[r] = Σ_w values[k, r, w] f[cols[r, w]],

a gather followed by a dense, conflict-free reduction over w.  The gather runs in XLA (it
fuses well); the reduction over w for all K filters is the Pallas kernel, one program per
block of batch items × output rows, with K and W padded to powers of two as Triton requires.
:func:`ell_contract` picks the kernel on a GPU and the ``einsum`` fallback elsewhere; both are
differentiable (the kernel through a custom VJP whose cotangents are two ``einsum``).

Shapes: ``u (…, n_in)`` → ``(…, K, n_out)``; complex ``u`` is contracted as real and
imaginary parts (the operator is real).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import pallas as pl

from ..sharding import pad_axis, padded_size
from ._dispatch import next_power_of_two, use_pallas


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class EllKernel:
    """A real sparse operator from n_in to K × n_out values in row-padded (ELL) form.

    Attributes
    ----------
    values : (K′, R, W) real, zero in unused slots; K′ = K padded to a power of two.
    cols : (R, W) int32 input index of each slot (0 in unused slots).
    K, n_in, n_out : filters, input and output sizes (static); R ≥ n_out is n_out padded to
        a multiple of ``block_rows``.
    block_rows : output rows per Pallas program (a power of two).
    """

    values: jax.Array
    cols: jax.Array
    K: int = field(metadata={"static": True})
    n_in: int = field(metadata={"static": True})
    n_out: int = field(metadata={"static": True})
    block_rows: int = field(metadata={"static": True})


def _check_coo(values, rows, cols, n_out, n_in):
    for name, n in (("n_out", n_out), ("n_in", n_in)):
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    values, rows, cols = np.asarray(values), np.asarray(rows), np.asarray(cols)
    if values.ndim != 2:
        raise ValueError(f"values must have shape (K, nnz), got {values.shape}")
    if not np.issubdtype(values.dtype, np.floating):
        raise TypeError(f"values must be real floating point, got dtype {values.dtype}")
    for name, idx, n in (("rows", rows, n_out), ("cols", cols, n_in)):
        if idx.shape != values.shape[1:]:
            raise ValueError(f"{name} must have shape ({values.shape[1]},), got {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"{name} must be integer indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"{name} must lie in [0, {n}), got [{idx.min()}, {idx.max()}]")
    return values, rows.astype(np.int64), cols.astype(np.int64)


def to_ell(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, n_out: int, n_in: int, block_rows=32
) -> EllKernel:
    """Convert a coordinate-form operator ``(A_k f)[rows[n]] += values[k, n] f[cols[n]]``.

    Parameters
    ----------
    values : (K, nnz) real; rows, cols : (nnz,) integer indices into the output and input.
    n_out, n_in : output and input sizes.
    block_rows : output rows per Pallas program (rounded up to a power of two).

    Returns
    -------
    EllKernel with W = the largest row count rounded up to a power of two.
    """
    values, rows, cols = _check_coo(values, rows, cols, n_out, n_in)
    K = values.shape[0]
    counts = np.bincount(rows, minlength=n_out)
    width = next_power_of_two(max(int(counts.max(initial=0)), 1))
    block = min(next_power_of_two(block_rows), next_power_of_two(n_out))
    n_rows = padded_size(n_out, block)
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    slot = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    ell_values = np.zeros((next_power_of_two(K), n_rows, width), values.dtype)
    ell_values[:K, sorted_rows, slot] = values[:, order]
    ell_cols = np.zeros((n_rows, width), np.int32)
    ell_cols[sorted_rows, slot] = cols[order]
    return EllKernel(jnp.asarray(ell_values), jnp.asarray(ell_cols), K, n_in, n_out, block)


def from_sparse_kernel(kernel, block_rows: int = 32) -> EllKernel:
    """:class:`EllKernel` of a :class:`physml.core.disco_kernels.SparseKernel` (flattened grids)."""
    n_out = int(np.prod(kernel.geometry_out.shape))
    n_in = int(np.prod(kernel.geometry_in.shape))
    return to_ell(kernel.values, kernel.rows, kernel.cols, n_out, n_in, block_rows)


def _reduce_fallback(g: jax.Array, v: jax.Array) -> jax.Array:
    """out[b, k, r] = Σ_w v[k, r, w] g[b, r, w]."""
    return jnp.einsum("brw,krw->bkr", g, v)


def _row_kernel(g_ref, v_ref, o_ref):
    g = g_ref[...]  # (block_batch, block_rows, W)
    for k in range(v_ref.shape[0]):  # K′ is small and static: unrolled
        o_ref[:, k, :] = jnp.sum(g * v_ref[k][None], axis=-1)


def _reduce_pallas(g, v, block_rows, interpret):
    batch, rows, width = g.shape
    block_batch = min(8, next_power_of_two(batch))
    g = pad_axis(g, block_batch, 0)
    K = v.shape[0]
    return pl.pallas_call(
        _row_kernel,
        out_shape=jax.ShapeDtypeStruct((g.shape[0], K, rows), g.dtype),
        grid=(g.shape[0] // block_batch, rows // block_rows),
        in_specs=[
            pl.BlockSpec((block_batch, block_rows, width), lambda i, j: (i, j, 0)),
            pl.BlockSpec((K, block_rows, width), lambda i, j: (0, j, 0)),
        ],
        out_specs=pl.BlockSpec((block_batch, K, block_rows), lambda i, j: (i, 0, j)),
        interpret=interpret,
    )(g, v)[:batch]


def _make_reduce(block_rows: int, interpret: bool):
    @jax.custom_vjp
    def reduce(g, v):
        return _reduce_pallas(g, v, block_rows, interpret)

    def fwd(g, v):
        return reduce(g, v), (g, v)

    def bwd(res, ct):
        g, v = res
        return jnp.einsum("bkr,krw->brw", ct, v), jnp.einsum("bkr,brw->krw", ct, g)

    reduce.defvjp(fwd, bwd)
    return reduce


def ell_contract(
    u: jax.Array, kernel: EllKernel, *, backend: str = "auto", interpret: bool = False
) -> jax.Array:
    """Apply a row-padded sparse operator: out[…, k, r] = Σ_w values[k, r, w] u[…, cols[r, w]].

    Parameters
    ----------
    u : (…, n_in) real or complex input (flattened grid); leading axes batch.
    kernel : :class:`EllKernel` from :func:`to_ell` or :func:`from_sparse_kernel`.
    backend : ``"auto"`` (Pallas on a GPU, fallback elsewhere), ``"pallas"`` or ``"xla"``.
    interpret : run the Pallas kernel in the Pallas interpreter (for CPU tests).

    Returns
    -------
    (…, K, n_out), dtype of u (promoted with the kernel's).
    """
    if not isinstance(kernel, EllKernel):
        raise TypeError(f"kernel must be an EllKernel, got {type(kernel).__name__}")
    pallas = use_pallas(backend)
    u = jnp.asarray(u)
    if u.ndim < 1 or u.shape[-1] != kernel.n_in:
        raise ValueError(f"u must have shape (..., {kernel.n_in}), got {u.shape}")
    batch = u.shape[:-1]
    is_complex = jnp.iscomplexobj(u)
    real_dtype = jnp.result_type(jnp.finfo(u.dtype).dtype, kernel.values.dtype)
    x = u.reshape(-1, kernel.n_in)
    x = jnp.concatenate([x.real, x.imag]) if is_complex else x
    x = x.astype(real_dtype)
    g = x[:, kernel.cols]  # (B, R, W) gather
    v = kernel.values.astype(real_dtype)
    reduce = _make_reduce(kernel.block_rows, interpret) if pallas else _reduce_fallback
    out = reduce(g, v)
    out = out[:, : kernel.K, : kernel.n_out]
    if is_complex:
        half = out.shape[0] // 2
        out = jax.lax.complex(out[:half], out[half:])
    return out.reshape(*batch, kernel.K, kernel.n_out)
