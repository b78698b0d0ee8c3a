"""Exact resampling of ring profiles on the torus with FFTs (MW and MWSS rings).

For a signal band-limited at L, each ring profile G_m(θ) = Σ_ℓ x_ℓm d^ℓ_{m,n}(θ) is a
trigonometric polynomial of degree < L in θ, and d^ℓ_{mn}(−θ) = (−1)^{m−n} d^ℓ_{mn}(θ)
extends it to the torus with G_m(2π − θ) = (−1)^{m−n} G_m(θ) (McEwen & Wiaux 2011).  MW
rings give 2L−1 equispaced torus samples and MWSS rings 2L, enough to recover its 2L−1
Fourier coefficients with one FFT and to evaluate it on any other equispaced torus grid
with one inverse FFT: O(L² log L) instead of the O(L³) of a dense interpolation matrix.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

# name: (torus points N, offset θ_0 of point 0 in units of π/N, rings kept)
_GRIDS = {
    "mw": lambda L: (2 * L - 1, 1, L),
    "mwss": lambda L: (2 * L, 0, L + 1),
    "dh": lambda L: (4 * L, 1, 2 * L),
}


def _to_torus(g: jax.Array, parity: np.ndarray, L: int, grid: str) -> jax.Array:
    """Ring samples (..., P, nθ, M) → torus samples (..., P, N, M) by the mirror symmetry."""
    size, _, rings = _GRIDS[grid](L)
    sign = jnp.where(jnp.asarray(parity), -1.0, 1.0).astype(jnp.finfo(g.dtype).dtype)[:, None, :]
    # torus point t ≥ rings sits at 2π − θ of ring size − t (MW: size − 1 − t).
    last = size - rings if grid == "mwss" else size - rings - 1
    mirrored = g[..., last - np.arange(size - rings), :]
    return jnp.concatenate([g, sign * mirrored], axis=-2)


def resample(g: jax.Array, parity: np.ndarray, L: int, source: str, target: str) -> jax.Array:
    """Ring profiles on ``source`` rings (..., P, nθ, M) evaluated on ``target`` rings.

    ``parity`` (P, M) is True where m − n_p is odd (a NumPy or a traced JAX array).
    ``source`` is ``"mw"`` or ``"mwss"``; ``target`` is ``"mw"`` or ``"dh"``.  Exact for
    band-limited profiles (degree < L).
    """
    size, offset, _ = _GRIDS[source](L)
    out_size, out_offset, out_rings = _GRIDS[target](L)
    torus = _to_torus(g, parity, L, source)
    k = np.arange(-(L - 1), L)
    spectrum = jnp.fft.fft(torus, axis=-2)
    spectrum = jnp.concatenate([spectrum[..., size - L + 1 :, :], spectrum[..., :L, :]], axis=-2)
    # coefficient c_k of e^{ikθ}: spectrum · e^{−ik θ_0} / N, then shifted to the target grid.
    phase = np.exp(1j * np.pi * k * (out_offset / out_size - offset / size)) / size
    dtype = jnp.result_type(g.dtype, jnp.complex64)
    coeffs = spectrum * jnp.asarray(phase, dtype)[:, None]
    gap = jnp.zeros((*coeffs.shape[:-2], out_size - 2 * L + 1, coeffs.shape[-1]), dtype)
    padded = jnp.concatenate([coeffs[..., L - 1 :, :], gap, coeffs[..., : L - 1, :]], axis=-2)
    values = jnp.fft.ifft(padded, axis=-2, norm="forward")[..., :out_rings, :]
    return values.astype(g.dtype) if jnp.iscomplexobj(g) else values.real.astype(g.dtype)
