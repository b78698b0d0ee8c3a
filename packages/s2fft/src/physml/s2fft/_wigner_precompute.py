"""Materialised kernels of the Wigner transforms (``method="precompute"``).

The β-part of a Wigner transform is, for each order n, a Legendre sum with d^ℓ_{mn}(θ_t).
Precomputing K[p, ℓ, t, m] = d^ℓ_{m,n_p}(θ_t) once (by the stable recursion of
:mod:`physml.core.wigner`) turns it into one batched contraction per call.  The forward
kernel lives on the rings of the exact quadrature (Driscoll–Healy rings for MW and MWSS, see
:mod:`physml.s2fft._quadrature`).  With ``reality`` only the orders n ≥ 0 are stored.
A kernel holds P·L·nθ·(2L−1) reals, P = 2N−1 (N with ``reality``).
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import sampling as _sampling
from physml.core.validation import validate_geometry, validate_N

from ._legendre import ring_thetas
from ._wigner import wigner_d_rows


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class WignerKernels:
    """Precomputed d^ℓ_{m,n}(θ_t) of one Wigner configuration (a pytree).

    Attributes
    ----------
    kernel : (P, L, nθ, 2L−1) array, P = 2N−1 (N with ``reality``: orders n ≥ 0).
    L, N, sampling, nside, reality, forward : the configuration (static).
    """

    kernel: jax.Array
    L: int = dataclasses.field(metadata={"static": True})
    N: int = dataclasses.field(metadata={"static": True})
    sampling: str = dataclasses.field(metadata={"static": True})
    nside: int = dataclasses.field(metadata={"static": True})
    reality: bool = dataclasses.field(metadata={"static": True})
    forward: bool = dataclasses.field(metadata={"static": True})


def orders(N: int, reality: bool) -> tuple[int, ...]:
    """The orders n whose Legendre sums are computed (n ≥ 0 only for real signals)."""
    return tuple(range(0 if reality else -(N - 1), N))


def kernel_rings(L: int, sampling: str, nside: int, forward: bool) -> tuple[str, int]:
    """Rings of the kernel: the sampling's own, or DH for the exact MW/MWSS forward rule."""
    if forward and sampling in ("mw", "mwss"):
        return ("dh", 0)
    return (sampling, nside)


def precompute_kernels(
    L: int,
    N: int,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    forward: bool = False,
    dtype=None,
) -> WignerKernels:
    """Build the kernel of :func:`physml.s2fft.wigner.forward` (``forward=True``) or
    :func:`~physml.s2fft.wigner.inverse` with ``method="precompute"``.

    Parameters
    ----------
    L, N, sampling, nside, reality : the transform configuration.
    forward : direction of the transform the kernel serves.
    dtype : float32 or float64 (float64 when x64 is enabled).

    Returns
    -------
    WignerKernels
        Memory: P·L·nθ·(2L−1)·itemsize bytes, P = 2N−1 (N with ``reality``).

    Examples
    --------
    >>> k = precompute_kernels(8, 3, sampling="mw", forward=True)
    >>> flmn = forward(f, 8, 3, method="precompute", precomps=k)  # doctest: +SKIP
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    N = validate_N(N, L)
    if not isinstance(reality, bool | np.bool_):
        raise TypeError(f"reality must be True or False, got {reality!r}")
    dt = np.dtype(dtype or (np.float64 if jax.config.jax_enable_x64 else np.float32))
    theta = jnp.asarray(ring_thetas(L, kernel_rings(L, sampling, nside, forward)), dt)
    ns = jnp.asarray(orders(N, bool(reality)), jnp.int32)
    kernel = _rows(theta, ns, L=L)
    return WignerKernels(kernel, L, N, sampling, nside, bool(reality), bool(forward))


@partial(jax.jit, static_argnames="L")
def _rows(theta: jax.Array, ns: jax.Array, *, L: int) -> jax.Array:
    """d^ℓ_{m,n}(θ_t) for every order n in ``ns``, as one compiled program."""
    return jax.vmap(lambda n: wigner_d_rows(L, theta, n, theta.dtype))(ns)


def check_kernels(precomps, L, N, sampling, nside, reality, forward) -> WignerKernels:
    """Raise unless ``precomps`` was built for this configuration and direction."""
    if not isinstance(precomps, WignerKernels):
        raise TypeError(
            "method='precompute' needs precomps=wigner.precompute_kernels(...), got"
            f" {type(precomps).__name__}"
        )
    have = (precomps.L, precomps.N, precomps.sampling, precomps.nside, precomps.reality)
    want = (L, N, sampling, nside, bool(reality))
    if have != want:
        raise ValueError(
            f"precomps were built for (L, N, sampling, nside, reality)={have}, not {want}"
        )
    if precomps.forward != forward:
        direction = "forward" if forward else "inverse"
        raise ValueError(f"precomps hold no {direction} kernel: build them with forward={forward}")
    return precomps


def synthesis(kernel: jax.Array, x: jax.Array) -> jax.Array:
    """G[..., p, t, m] = Σ_ℓ K[p, ℓ, t, m] x[..., p, ℓ, m]."""
    k = kernel.astype(x.real.dtype)
    return jax.lax.complex(
        jnp.einsum("pltm,...plm->...ptm", k, x.real), jnp.einsum("pltm,...plm->...ptm", k, x.imag)
    )


def analysis(kernel: jax.Array, g: jax.Array) -> jax.Array:
    """y[..., p, ℓ, m] = Σ_t K[p, ℓ, t, m] G[..., p, t, m]."""
    k = kernel.astype(g.real.dtype)
    return jax.lax.complex(
        jnp.einsum("pltm,...ptm->...plm", k, g.real), jnp.einsum("pltm,...ptm->...plm", k, g.imag)
    )


def nbytes(L: int, N: int, sampling: str, nside: int, reality: bool, forward: bool, dtype) -> int:
    """Size of the kernel :func:`precompute_kernels` would build."""
    rings = kernel_rings(L, sampling, nside, forward)
    ntheta = _sampling.ntheta(L, rings[0], rings[1] or None)
    return len(orders(N, reality)) * L * ntheta * (2 * L - 1) * np.dtype(dtype).itemsize
