"""All axisymmetric scales on the fly in one ℓ-recursion (compile time independent of J).

Without precomputed kernels each scale would need its own streamed Legendre recursion (one
``lax.scan`` per grid in the program).  Here the Gauss–Legendre nodes of every scale's grid
are concatenated (T = Σ_j n_θ,j nodes) and one recursion over ℓ < L serves them all: node t
of scale s(t) accumulates Λ_ℓm(θ_t) W_s,ℓm (zero for ℓ ≥ L_s), and the projection back sums
Λ_ℓm(θ_t) g_m(θ_t) per scale with a segment sum.  The per-scale work left outside the two
scans (ring FFTs, the envelope) is cheap to compile.  Memory stays O(T L) = O(L²), also for
gradients: the two transforms are each other's transposes and serve as each other's
derivatives, so reverse mode re-runs a recursion instead of storing its steps.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import linear_call

from . import _sphere
from ._operator import Scattering


def _layout(op: Scattering):
    """Per-scale grids, the concatenated nodes and which scale owns each node."""
    shapes = [_sphere.grid_shape(Lj, op.oversample) for Lj in op.filters.bandlimits]
    theta = np.concatenate([_sphere.gl_thetas(nt) for nt, _ in shapes])
    owner = np.concatenate([np.full(nt, s) for s, (nt, _) in enumerate(shapes)])
    starts = np.cumsum([0] + [nt for nt, _ in shapes])
    return shapes, theta, owner, starts


def _transforms(L: int, theta: np.ndarray, owner: np.ndarray, J: int, dtype):
    """The streamed Legendre synthesis (J, L, L) → (T, L) and projection (T, L) → (J, L, L).

    They are linear and each other's transposes (Λ is real); ``linear_call`` registers each
    as the other's transpose, so forward mode applies the map to the tangent and reverse mode
    re-runs a recursion instead of storing its L steps (O(T L²) = O(L³) residuals).
    """

    def synth_fwd_only(p):
        def accumulate(acc, ell, lam):
            return acc + lam * p[:, ell][owner], None

        acc, _ = _sphere.legendre_scan(
            L, theta, dtype, accumulate, jnp.zeros((len(theta), L), p.dtype)
        )
        return acc

    def project_fwd_only(g):
        def gather(acc, ell, lam):
            return acc, jax.ops.segment_sum(lam * g, owner, num_segments=J)

        _, outs = _sphere.legendre_scan(
            L, theta, dtype, gather, None
        )  # (L, J, L) indexed [ℓ, s, m]
        return jnp.transpose(outs, (1, 0, 2))

    def synth(p):
        return linear_call(lambda _, v: synth_fwd_only(v), lambda _, ct: project(ct), None, p)

    def project(g):
        return linear_call(lambda _, v: project_fwd_only(v), lambda _, ct: synth(ct), None, g)

    return synth, project


def all_moduli(flm: jax.Array, op: Scattering, envelope):
    """(J,) S2 and (J, 1, L, 2L−1) envelope harmonics of every axisymmetric scale.

    ``envelope(w, s2_j)`` is the nonlinearity applied to the samples w of one scale.
    """
    L, J = op.L, op.n_scales
    real = flm.real.dtype
    shapes, theta, owner, starts = _layout(op)
    ell = np.arange(L)
    band = ell[None, :] < np.asarray(op.filters.bandlimits)[:, None]  # (J, L)
    factor = np.sqrt(4 * np.pi / (2 * ell + 1)) * band
    psi = jnp.conj(op.filters.psi[:, :, 0]).astype(flm.dtype) * jnp.asarray(factor, real)
    parts = _sphere.split_m(flm[None] * psi[:, :, None], op.reality)  # each (J, L, L)
    synth, project = _transforms(L, theta, owner, J, real)
    fm = tuple(synth(p) for p in parts)
    s2_all, rings = [], []
    for s, (nt, nphi) in enumerate(shapes):
        Ls = op.filters.bandlimits[s]
        block = tuple(f[starts[s] : starts[s + 1], :Ls] for f in fm)
        w = _sphere.to_grid(block, nphi, op.reality)
        gl = jnp.asarray(_sphere.quadrature_weights(nt), real)
        s2_j = jnp.sum(gl[:, None] * jnp.abs(w) ** 2) / (2 * nphi)
        gm = _sphere.ring_coefficients(envelope(w, s2_j), Ls, gl)
        s2_all.append(s2_j)
        rings.append(jnp.pad(gm, [(0, 0), (0, L - Ls)]))
    g = jnp.concatenate(rings)  # (T, L)
    outs = project(g)  # (J, L, L) indexed [s, ℓ, m]
    mods = []
    for s in range(J):
        Ls = op.filters.bandlimits[s]
        full = _sphere.hermitian(outs[s, :Ls, :Ls])
        mods.append(jnp.pad(full, [(0, L - Ls), (L - Ls, L - Ls)]))
    return jnp.stack(s2_all), jnp.stack(mods)[:, None]
