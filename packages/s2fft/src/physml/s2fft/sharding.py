"""Spherical harmonic and Wigner transforms on a device mesh.

Two ways to use several devices (all with :mod:`physml.core.sharding` and
:func:`jax.shard_map`; results equal the single-device transforms to rounding):

*Batch of maps* (:func:`forward_batch`, :func:`inverse_batch`, :func:`wigner_forward_batch`,
:func:`wigner_inverse_batch`): the leading batch axis is split over the devices; each device
transforms its block with the ordinary transform, any method (``"jax"``, ``"precompute"``).
No communication.

*One large map* (:func:`forward_distributed`, :func:`inverse_distributed`; MW, MWSS, DH, GL).
By default (``split="m"``, :mod:`physml.s2fft._msplit`) the Legendre stage is split over the
orders m and the ring FFTs over the rings, with one all-to-all between them (the classic
distributed SHT).  With ``split="rings"`` both stages are split over the θ rings instead.
Both stages of a transform are local per ring — the ring FFT
along φ and the ℓ-streamed Wigner-d recursion, which is vectorised over colatitudes —
so each device runs the recursion only for its own rings (work and recursion memory / D)::

    inverse:  G_m(θ_t) = Σ_ℓ (−1)^s sqrt((2ℓ+1)/4π) d^ℓ_{m,−s}(θ_t) f_ℓm   (local rings t)
              f(θ_t, ·) = FFT⁻¹_φ G(θ_t)                                    (local rings t)
    forward:  F(θ_t) = FFT_φ f(θ_t, ·)                                       (local rings t)
              H_j = Σ_t K_jt F_t   (MW/MWSS → Driscoll–Healy rings; a reduce-scatter over j)
              f_ℓm = Σ_j d^ℓ_{m,−s}(θ_j) H_j (−1)^s sqrt((2ℓ+1)/4π)  (partial sums over
              local rings j, combined by a reduce-scatter that leaves f_ℓm split over m)

The coefficients (L × (2L−1), the size of one map) are replicated for the inverse and
returned split over m by the forward.  HEALPix rings have different lengths and are not
split; use the batch functions for HEALPix.

Ring counts need not divide the number of devices: padded rings have zero signal (forward)
or are dropped (inverse).  Derivatives of the distributed transforms differentiate through the
recursion's ``lax.scan`` (O(nθ L²/D) residual memory per device); the batch transforms keep
the single-device primitives and their analytic transposes.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, PartitionSpec

from physml.core import quadrature as _core_quadrature
from physml.core import ring_fft as _ring_fft
from physml.core import sampling as _sampling
from physml.core import sharding as _sharding
from physml.core.validation import (
    as_complex,
    check_finite,
    geometry_context,
    validate_dtype,
    validate_geometry,
    validate_sampling,
    validate_shape,
    validate_spin,
)
from physml.core.wigner import recursion_init, recursion_step, scan_wigner_d

from . import _msplit, _quadrature, _spherical, _transforms, wigner

DISTRIBUTED_SAMPLINGS: tuple[str, ...] = ("mw", "mwss", "dh", "gl")


# ----------------------------------------------------------------------------------------------
# Batch of maps


def _flatten_batch(x: jax.Array, core_ndim: int, name: str) -> tuple[jax.Array, tuple[int, ...]]:
    if x.ndim <= core_ndim:
        raise ValueError(
            f"{name} needs a leading batch axis to split over devices, got shape {x.shape};"
            " for one map use forward_distributed / inverse_distributed"
        )
    batch = x.shape[: x.ndim - core_ndim]
    return x.reshape(-1, *x.shape[x.ndim - core_ndim :]), batch


def _geometry(L, sampling, nside):
    L, sampling, nside = validate_geometry(L, sampling, nside)
    return L, sampling, nside or None


_STATIC = ("L", "spin", "sampling", "nside", "reality", "method", "iter", "mesh", "axis_name")


@partial(jax.jit, static_argnames=_STATIC)
def _forward_flat(f, precomps, *, L, spin, sampling, nside, reality, method, iter, mesh, axis_name):
    def fn(x, p):
        return _transforms.forward(x, L, spin, sampling, nside, reality, method, p, iter)

    return _sharding.batch_map(fn, mesh, axis_name)(f, replicated=(precomps,))


@partial(jax.jit, static_argnames=_STATIC[:-3] + _STATIC[-2:])
def _inverse_flat(flm, precomps, *, L, spin, sampling, nside, reality, method, mesh, axis_name):
    def fn(x, p):
        return _transforms.inverse(x, L, spin, sampling, nside, reality, method, p)

    return _sharding.batch_map(fn, mesh, axis_name)(flm, replicated=(precomps,))


@partial(jax.jit, static_argnames=("L", "N", "sampling", "nside", "forward", "mesh", "axis_name"))
def _wigner_flat(x, *, L, N, sampling, nside, forward, mesh, axis_name):
    transform = wigner.forward if forward else wigner.inverse
    return _sharding.batch_map(lambda y: transform(y, L, N, sampling, nside), mesh, axis_name)(x)


def _batched(flat_fn, x, core_ndim, name, mesh, axis_name, *args, **static):
    check_finite(x, name=name)
    axis_name = _sharding.resolve_axis(mesh, axis_name)
    flat, batch = _flatten_batch(jnp.asarray(x), core_ndim, name)
    out = flat_fn(flat, *args, mesh=mesh, axis_name=axis_name, **static)
    return out.reshape(*batch, *out.shape[1:])


def forward_batch(
    f: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    method: str = "jax",
    precomps=None,
    iter: int = 0,
    *,
    mesh: Mesh,
    axis_name: str | None = None,
) -> jax.Array:
    """:func:`physml.s2fft.forward` of a batch of maps split over the devices of ``mesh``.

    Parameters
    ----------
    f : (B…, *f_shape(L, sampling, nside)) with at least one leading batch axis.
    L, spin, sampling, nside, reality, method, precomps, iter : as in
        :func:`physml.s2fft.forward` (``precomps`` are replicated on every device).
    mesh : a :class:`jax.sharding.Mesh`, e.g. :func:`physml.core.sharding.mesh`.
    axis_name : mesh axis the batch is split over (default: its first axis).

    Returns
    -------
    (B…, L, 2L−1) complex coefficients, equal to the single-device transform.
    """
    shape = _sampling.f_shape(*_geometry(L, sampling, nside))
    return _batched(
        _forward_flat,
        f,
        len(shape),
        "f",
        mesh,
        axis_name,
        precomps,
        L=L,
        spin=spin,
        sampling=sampling,
        nside=nside,
        reality=reality,
        method=method,
        iter=iter,
    )


def inverse_batch(
    flm: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    method: str = "jax",
    precomps=None,
    *,
    mesh: Mesh,
    axis_name: str | None = None,
) -> jax.Array:
    """:func:`physml.s2fft.inverse` of a batch (B…, L, 2L−1) split over ``mesh``.

    Returns (B…, *f_shape(L, sampling, nside)), equal to the single-device transform.
    """
    _geometry(L, sampling, nside)
    return _batched(
        _inverse_flat,
        flm,
        2,
        "flm",
        mesh,
        axis_name,
        precomps,
        L=L,
        spin=spin,
        sampling=sampling,
        nside=nside,
        reality=reality,
        method=method,
    )


def wigner_forward_batch(
    f: jax.Array,
    L: int,
    N: int,
    sampling: str = "mw",
    nside: int | None = None,
    *,
    mesh: Mesh,
    axis_name: str | None = None,
) -> jax.Array:
    """:func:`physml.s2fft.wigner.forward` of a batch ``(B…, 2N−1, *f_shape)`` over ``mesh``.

    Returns (B…, 2N−1, L, 2L−1).
    """
    core = 1 + len(_sampling.f_shape(*_geometry(L, sampling, nside)))
    return _batched(
        _wigner_flat,
        f,
        core,
        "f",
        mesh,
        axis_name,
        L=L,
        N=N,
        sampling=sampling,
        nside=nside,
        forward=True,
    )


def wigner_inverse_batch(
    flmn: jax.Array,
    L: int,
    N: int,
    sampling: str = "mw",
    nside: int | None = None,
    *,
    mesh: Mesh,
    axis_name: str | None = None,
) -> jax.Array:
    """:func:`physml.s2fft.wigner.inverse` of a batch (B…, 2N−1, L, 2L−1) split over ``mesh``.

    Returns (B…, 2N−1, *f_shape(L, sampling, nside)).
    """
    _geometry(L, sampling, nside)
    return _batched(
        _wigner_flat,
        flmn,
        3,
        "flmn",
        mesh,
        axis_name,
        L=L,
        N=N,
        sampling=sampling,
        nside=nside,
        forward=False,
    )


# ----------------------------------------------------------------------------------------------
# One map split over rings


def _synthesis_rings(x: jax.Array, theta: jax.Array, n: int, L: int) -> jax.Array:
    """G[t, m] = Σ_ℓ d^ℓ_{m,n}(θ_t) x[ℓ, m] on the given rings; x complex (L, 2L−1)."""
    dt = theta.dtype
    zeros = jnp.zeros((theta.size, 2 * L - 1), dt)

    def accumulate(carry, ell, d):
        row = lax.dynamic_index_in_dim(x, ell, axis=0, keepdims=False)
        return carry[0] + d * row.real, carry[1] + d * row.imag

    g_re, g_im = scan_wigner_d(L, theta, n, accumulate, (zeros, zeros), dt)
    return lax.complex(g_re, g_im)


def _analysis_rings(h: jax.Array, theta: jax.Array, n: int, L: int) -> jax.Array:
    """y[ℓ, m] = Σ_t d^ℓ_{m,n}(θ_t) H[t, m] over the given rings; H complex (nt, 2L−1)."""
    h_re, h_im = h.real, h.imag

    def body(state, _):
        state, d = recursion_step(state)
        return state, (jnp.sum(d * h_re, axis=0), jnp.sum(d * h_im, axis=0))

    # Rows leave the scan as outputs, not as updates of an (L, 2L−1) carry.
    _, (y_re, y_im) = lax.scan(body, recursion_init(L, theta, n, theta.dtype), None, length=L)
    return lax.complex(y_re, y_im)


def _distributed_options(L, spin, sampling, mesh, axis_name):
    if validate_sampling(sampling) not in DISTRIBUTED_SAMPLINGS:
        raise ValueError(
            f"sampling={sampling!r} cannot be split over rings; use one of"
            f" {DISTRIBUTED_SAMPLINGS}, or forward_batch/inverse_batch for HEALPix"
        )
    L, sampling, _ = validate_geometry(L, sampling, None)
    return L, validate_spin(spin, L), sampling, _sharding.resolve_axis(mesh, axis_name)


def _padded_thetas(theta: np.ndarray, parts: int, dtype) -> jax.Array:
    # Padding rings sit at π/2, where the recursion is well conditioned; they carry no signal.
    return _sharding.pad_axis(jnp.asarray(theta, dtype), parts, 0, np.pi / 2)


@partial(jax.jit, static_argnames=("L", "spin", "sampling", "mesh", "name"))
def _inverse_distributed(flm, *, L, spin, sampling, mesh, name):
    dt = jnp.finfo(flm.dtype).dtype
    parts = mesh.shape[name]
    x = flm * _spherical.ell_scale(L, spin, dt)
    theta = _padded_thetas(_sampling.thetas(L, sampling), parts, dt)

    def local(theta_local, x):
        g = _synthesis_rings(x, theta_local, -spin, L)
        return _ring_fft._equiangular_inverse(g, L=L, sampling=sampling)

    rings = PartitionSpec(name)
    f = _sharding.shard_map(
        local,
        mesh=mesh,
        in_specs=(rings, PartitionSpec()),
        out_specs=PartitionSpec(name, None),
        check=False,
    )(theta, x)
    return f[: _sampling.ntheta(L, sampling)]


def inverse_distributed(
    flm: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    *,
    mesh: Mesh,
    axis_name=None,
    split: str = "m",
) -> jax.Array:
    """Inverse transform of one map whose rings are split over the devices of ``mesh``.

    Parameters
    ----------
    flm : (L, 2L−1) complex coefficients (replicated on every device).
    L, spin : band-limit and spin (static).
    sampling : ``"mw" | "mwss" | "dh" | "gl"``.
    mesh, axis_name : the mesh and the axis the rings are split over (default its first).
    split : ``"m"`` (default): the Legendre stage split over orders m, the FFTs over rings,
        one all-to-all between them (:mod:`physml.s2fft._msplit`); ``"rings"``: both stages
        split over rings, no communication in the inverse.

    Returns
    -------
    (nθ, nφ) complex map, rings split over ``axis_name``; equal to
    :func:`physml.s2fft.inverse` to rounding.
    """
    L, spin, sampling, name = _distributed_options(L, spin, sampling, mesh, axis_name)
    validate_shape(flm, (L, 2 * L - 1), name="flm", context=f"L={L}")
    validate_dtype(flm, name="flm")
    check_finite(flm, name="flm")
    impl = _split_impl(split, _msplit.inverse, _inverse_distributed)
    return impl(as_complex(flm), L=L, spin=spin, sampling=sampling, mesh=mesh, name=name)


def _quadrature_operator(L, spin, sampling, parts, dt):
    """(K, θ_q, parity): ring FFT sums → rings θ_q of an exact rule, padded for ``parts``.

    MW/MWSS: K = the (even, odd) resampling matrices onto Driscoll–Healy rings, stacked
    (2, R′, nθ′); GL/DH: K = the diagonal weights as (1, 1, nθ′) and θ_q = the input rings.
    """
    if sampling in ("mw", "mwss"):
        mats = np.stack(_quadrature.resampling_matrices(L, sampling))
        mats = _sharding.pad_axis(_sharding.pad_axis(jnp.asarray(mats, dt), parts, 1), parts, 2)
        theta_q = _padded_thetas(_sampling.thetas(L, "dh"), parts, dt)
    else:
        w = _core_quadrature.weights(L, sampling)
        mats = _sharding.pad_axis(jnp.asarray(w, dt)[None, None, :], parts, 2)
        theta_q = _padded_thetas(_sampling.thetas(L, sampling), parts, dt)
    m = np.arange(-(L - 1), L)
    parity = jnp.asarray((m + spin) % 2 == 1)  # m − n odd with n = −s
    return mats, theta_q, parity


@partial(jax.jit, static_argnames=("L", "spin", "sampling", "mesh", "name"))
def _forward_distributed(f, *, L, spin, sampling, mesh, name):
    dt = jnp.finfo(f.dtype).dtype
    parts = mesh.shape[name]
    f = _sharding.pad_axis(f, parts, 0)
    mats, theta_q, parity = _quadrature_operator(L, spin, sampling, parts, dt)
    resample = sampling in ("mw", "mwss")

    def local(f_local, mats_local, theta_local):
        F = _ring_fft._equiangular_forward(f_local, L=L, sampling=sampling)
        if resample:
            even, odd = mats_local[0] @ F, mats_local[1] @ F
            h = lax.psum_scatter(
                jnp.where(parity, odd, even), name, scatter_dimension=0, tiled=True
            )
        else:
            h = mats_local[0, 0][:, None] * F
        y = _analysis_rings(h, theta_local, -spin, L)
        y = _sharding.pad_axis(y, parts, 1)
        return lax.psum_scatter(y, name, scatter_dimension=1, tiled=True)

    rings = PartitionSpec(name)
    flm = _sharding.shard_map(
        local,
        mesh=mesh,
        in_specs=(PartitionSpec(name, None), PartitionSpec(None, None, name), rings),
        out_specs=PartitionSpec(None, name),
        check=False,
    )(f, mats, theta_q)
    return flm[:, : 2 * L - 1] * _spherical.ell_scale(L, spin, dt)


def forward_distributed(
    f: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    *,
    mesh: Mesh,
    axis_name=None,
    split: str = "m",
) -> jax.Array:
    """Forward transform of one map whose rings are split over the devices of ``mesh``.

    Exact for band-limited signals on MW, MWSS, DH and GL, as :func:`physml.s2fft.forward`
    (the same quadrature, summed in a different order).

    Parameters
    ----------
    f : (nθ, nφ) map, real or complex.
    L, spin, sampling, mesh, axis_name, split : as in :func:`inverse_distributed`
        (``split="rings"`` combines the per-ring partial sums by reduce-scatters).

    Returns
    -------
    (L, 2L−1) complex coefficients.
    """
    L, spin, sampling, name = _distributed_options(L, spin, sampling, mesh, axis_name)
    shape = _sampling.f_shape(L, sampling)
    validate_shape(f, shape, name="f", context=geometry_context(L, sampling))
    validate_dtype(f, name="f")
    check_finite(f, name="f")
    impl = _split_impl(split, _msplit.forward, _forward_distributed)
    return impl(as_complex(f), L=L, spin=spin, sampling=sampling, mesh=mesh, name=name)


SPLITS: tuple[str, ...] = ("m", "rings")


def _split_impl(split, by_m, by_rings):
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not one of {SPLITS}")
    return by_m if split == "m" else by_rings
