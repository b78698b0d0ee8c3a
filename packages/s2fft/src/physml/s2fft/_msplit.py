r"""One map on a device mesh, split over m for the Legendre stage and over rings for the FFTs.

The classic distributed spherical harmonic transform (Reinecke 2011, libsharp's MPI mode;
Price & McEwen 2024 §5): the ℓ-sums are independent per order m and the ring FFTs per ring
θ_t, so each device runs the Wigner-d recursion for its own orders only and the FFTs for its
own rings, with one all-to-all in between::

    inverse:  G_m(θ_t) = Σ_ℓ (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ_t) f_ℓm   (local m, all rings)
              ── all-to-all: (all rings, local m) → (local rings, all m) ──
              f(θ_t, ·) = FFT⁻¹_φ G(θ_t)                                    (local rings)
    forward:  F(θ_t) = FFT_φ f(θ_t, ·)                                       (local rings)
              ── all-to-all: (local rings, all m) → (all rings, local m) ──
              f_ℓm = (−1)^s sqrt((2ℓ+1)/4π) 2π ∫ G_m d^ℓ_{m,−s} sin θ dθ      (local m, exact)

Orders are handed out in the blocks of |m| of :mod:`physml.s2fft._kernel` (m and −m
together), zig-zag over the devices (block b costs ∝ L − 16b, so device d takes blocks
d, 2D−1−d, 2D+d, …), padded with empty blocks when their number is not a multiple of D;
rings are padded to a multiple of D.  The exact MW/MWSS/DH quadratures move ring profiles
along θ on the torus (:mod:`physml.s2fft._torus`), which is local in the m-split.  Each device
holds O(L²/D) of the map and of the profiles; the coefficients are replicated (inverse input)
or gathered (forward output), the size of one map.
"""

from __future__ import annotations

from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import PartitionSpec

from physml.core import quadrature as _core_quadrature
from physml.core import ring_fft as _ring_fft
from physml.core import sampling as _sampling
from physml.core import sharding as _sharding

from . import _kernel, _spherical, _torus

# Samplings whose ℓ-sums run on the MWSS rings and are moved to their own rings on the torus.
_VIA_MWSS = ("mw", "dh")


@lru_cache(maxsize=32)
def block_table(L: int, parts: int) -> tuple[np.ndarray, int]:
    """(parts, nb) zig-zag assignment of the |m| blocks to devices, and the padded block count."""
    blocks = -(-L // _kernel.BLOCK)
    rounds = -(-blocks // parts)
    table = np.zeros((parts, rounds), np.int32)
    for r in range(rounds):
        order = range(parts) if r % 2 == 0 else range(parts - 1, -1, -1)
        for d, k in enumerate(order):
            table[d, r] = r * parts + k
    table.setflags(write=False)
    return table, rounds * parts


@lru_cache(maxsize=32)
def _column_maps(L: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the gathered (device, ±, c) layout ↔ natural orders m = −(L−1) … L−1.

    Returns ``natural`` (2L−1,) with the gathered column of each m (+j for m ≥ 0, −j for
    m < 0), and ``gathered`` (parts·2·nb·B,) with the natural column of each gathered one
    (−1 for padding columns j ≥ L and for the duplicate −0).
    """
    table, _ = block_table(L, parts)
    m = np.concatenate([_kernel.block_columns(ids).reshape(-1) for ids in table])
    half = np.concatenate([np.repeat([0, 1], table.shape[1] * _kernel.BLOCK) for _ in range(parts)])
    valid = (np.abs(m) < L) & ~((m == 0) & (half == 1))
    gathered = np.where(valid, m + L - 1, -1)
    natural = np.zeros(2 * L - 1, np.int64)
    natural[gathered[valid]] = np.nonzero(valid)[0]
    return natural, gathered


def _kernel_rings(L: int, sampling: str) -> tuple[float, ...]:
    return tuple(_sampling.thetas(L, "mwss" if sampling in _VIA_MWSS else sampling))


def _parity(ids: jax.Array, spin: int) -> jax.Array:
    """(1, 2·nb·B) True where m − n is odd (n = −s) for the columns of the blocks ``ids``."""
    j = (ids[:, None] * _kernel.BLOCK + jnp.arange(_kernel.BLOCK)).reshape(-1)
    m = jnp.concatenate([j, -j])
    return ((m + spin) % 2 == 1)[None]


def _to_own_rings(g: jax.Array, parity: jax.Array, L: int, sampling: str) -> jax.Array:
    """(nθ_kernel, M) profiles on the kernel's rings → (nθ, M) on the sampling's rings."""
    if sampling not in _VIA_MWSS:
        return g
    return _torus.resample(g[None], parity, L, "mwss", sampling)[0]


def _weighted_on_kernel_rings(F: jax.Array, parity, L: int, spin: int, sampling: str):
    """Ring FFT sums (nθ, M) → weighted profiles on the kernel's rings (exact quadrature).

    As :func:`physml.s2fft._quadrature.to_quadrature_rings` followed by the transposed torus
    move of :func:`physml.s2fft._legendre.analysis`, for any set of columns.
    """
    dt = jnp.finfo(F.dtype).dtype
    if sampling in ("mw", "mwss"):
        dh = _core_quadrature.weights(L, "dh") * (2 * L - 1) / _sampling.nphi(L, sampling)
        h = _torus.resample(F[None], parity, L, sampling, "dh")[0] * jnp.asarray(dh, dt)[:, None]
    else:
        h = F * jnp.asarray(_core_quadrature.weights(L, sampling), dt)[:, None]
    if sampling == "gl":
        return h
    shape = (1, _sampling.ntheta(L, "mwss"), F.shape[-1])
    (back,) = jax.linear_transpose(
        lambda a: _torus.resample(a, parity, L, "mwss", "dh"), jax.ShapeDtypeStruct(shape, h.dtype)
    )(h[None])
    return back[0]


def _plan(L: int, sampling: str, parts: int):
    """Static layout: block table, padded block count, column maps, ring count, kernel rings."""
    table, total = block_table(L, parts)
    natural, gathered = _column_maps(L, parts)
    return (
        table,
        total,
        natural,
        gathered,
        _sampling.ntheta(L, sampling),
        _kernel_rings(L, sampling),
    )


@partial(jax.jit, static_argnames=("L", "spin", "sampling", "mesh", "name"))
def inverse(flm, *, L, spin, sampling, mesh, name):
    """Inverse transform of validated complex (L, 2L−1) ``flm``; rings split over ``name``."""
    parts = mesh.shape[name]
    table, total, natural, _, nth, theta = _plan(L, sampling, parts)
    x = flm * _spherical.ell_scale(L, spin, jnp.finfo(flm.dtype).dtype)

    def local(ids, x):
        ids = ids[0]
        xs = _kernel.take_columns(x, L, ids)[None]
        g = _kernel.synthesis_columns(xs, ids, L, theta, (-spin,), total)[0]
        g = _to_own_rings(g.reshape(g.shape[0], -1), _parity(ids, spin), L, sampling)
        g = _sharding.pad_axis(g, parts, 0)
        g = lax.all_to_all(g, name, split_axis=0, concat_axis=1, tiled=True)
        return _ring_fft._equiangular_inverse(g[:, natural], L=L, sampling=sampling)

    f = _sharding.shard_map(
        local,
        mesh=mesh,
        in_specs=(PartitionSpec(name), PartitionSpec()),
        out_specs=PartitionSpec(name, None),
        check=False,
    )(jnp.asarray(table), x)
    return f[:nth]


@partial(jax.jit, static_argnames=("L", "spin", "sampling", "mesh", "name"))
def forward(f, *, L, spin, sampling, mesh, name):
    """Forward transform of validated complex ``f`` (nθ, nφ); rings split over ``name``."""
    dt = jnp.finfo(f.dtype).dtype
    parts = mesh.shape[name]
    table, total, natural, gathered, nth, theta = _plan(L, sampling, parts)
    valid = jnp.asarray(gathered >= 0)
    source = jnp.asarray(np.maximum(gathered, 0))

    def local(f_local, ids):
        ids = ids[0]
        F = _ring_fft._equiangular_forward(f_local, L=L, sampling=sampling)
        F = jnp.where(valid, F[:, source], 0)  # (local rings, every device's columns)
        h = lax.all_to_all(F, name, split_axis=1, concat_axis=0, tiled=True)[:nth]
        h = _weighted_on_kernel_rings(h, _parity(ids, spin), L, spin, sampling)
        cols = h.shape[-1] // 2
        h = h.reshape(1, h.shape[0], 2, cols)
        y = _kernel.analysis_columns(h, ids, L, theta, (-spin,), total)[0]
        return y.reshape(L, 2 * cols)

    y = _sharding.shard_map(
        local,
        mesh=mesh,
        in_specs=(PartitionSpec(name, None), PartitionSpec(name)),
        out_specs=PartitionSpec(None, name),
        check=False,
    )(_sharding.pad_axis(f, parts, 0), jnp.asarray(table))
    return y[:, natural] * _spherical.ell_scale(L, spin, dt)
