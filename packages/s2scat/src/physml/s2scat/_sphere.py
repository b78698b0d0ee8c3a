"""Spin-0 transforms of one axisymmetric scale between its band-limit and a finer grid.

The wavelet coefficients W_j of an axisymmetric scale (N = 1) are functions on S² of
band-limit L_j.  Their modulus is sampled on a Gauss–Legendre grid (n_θ nodes in cos θ,
n_φ equispaced longitudes) chosen so that the quadrature

    ∫ g dΩ ≈ (2π / n_φ) Σ_t w_t Σ_k g(θ_t, φ_k)

is exact for every band-limit up to ``degree`` = (oversample + 1) L_j − 1 (n_θ ≥ degree/2,
n_φ ≥ degree): the projection of a function of band-limit ``oversample · L_j`` (for
oversample = 2: |W_j|²) onto ℓ < L_j is then exact (Gauss 1814; Driscoll & Healy 1994 for
the separation of variables).  Only ℓ < L_j of the modulus is ever needed: S3 and S4 weigh it
with wavelets of scales ≤ j.

Both directions separate into an FFT along φ and, for each m ≥ 0, a Legendre sum

    f_m(θ_t) = Σ_ℓ Λ_ℓm(θ_t) f_ℓm,      Λ_ℓm(θ) = sqrt((2ℓ+1)/4π) d^ℓ_m0(θ),

with Λ_ℓ,−m = (−1)^m Λ_ℓm.  Λ is either a precomputed (L_j, n_θ/2, L_j) kernel (batched
matrix products over the northern nodes, the southern ones by parity; ``4 n_θ L_j²`` bytes
in float64) or streamed by the stable ℓ-recursion of
:mod:`physml.core.wigner` inside one ``lax.scan`` (O(n_θ L_j) memory).
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import sampling, wigner


def _fft_size(n: int) -> int:
    """Smallest integer ≥ n whose only prime factors are 2, 3 and 5."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def grid_shape(Lj: int, oversample: int) -> tuple[int, int]:
    """(n_θ, n_φ) of the grid of a scale of band-limit L_j (exact to the degree above)."""
    degree = (oversample + 1) * Lj - 1
    return 2 * math.ceil(degree / 4), _fft_size(degree)  # n_θ even: mirrored hemispheres


def legendre_kernel(Lj: int, ntheta: int, dtype=None) -> jax.Array:
    """(L_j, n_θ/2, L_j) Λ_ℓm(θ_t) indexed [m, t, ℓ], m ≥ 0, at the northern nodes.

    The Gauss–Legendre nodes are mirrored (θ ↦ π − θ) and Λ_ℓm(π − θ) = (−1)^{ℓ+m} Λ_ℓm(θ),
    so half the nodes suffice.  The layout puts m first so that both transforms are batched
    matrix products over m without a transpose of the kernel; entries with ℓ < m are zero.
    """
    theta, _ = sampling.gauss_legendre_thetas(ntheta)
    dtype = jnp.dtype(dtype or jnp.result_type(float))
    return _legendre_kernel(jnp.asarray(theta[: ntheta // 2], dtype), Lj=Lj)


def legendre_kernels(bandlimits: tuple[int, ...], oversample: int, dtype=None) -> tuple:
    """:func:`legendre_kernel` of each band-limit on its own grid, from one compiled program.

    Λ_ℓm(θ) does not depend on the band-limit it is computed for, so every kernel is a slice
    of the kernel of the largest band-limit at that grid's nodes (padded to the longest node
    list): one compilation of the recursion instead of one per distinct band-limit.
    """
    dtype = jnp.dtype(dtype or jnp.result_type(float))
    nodes = [sampling.gauss_legendre_thetas(grid_shape(Lj, oversample)[0])[0] for Lj in bandlimits]
    norths = [theta[: theta.size // 2] for theta in nodes]
    L_max, n_max = max(bandlimits), max(north.size for north in norths)
    out = []
    for Lj, north in zip(bandlimits, norths, strict=True):
        padded = np.concatenate([north, np.full(n_max - north.size, north[-1])])
        full = _legendre_kernel(jnp.asarray(padded, dtype), Lj=L_max)
        out.append(full[:Lj, : north.size, :Lj])
    return tuple(out)


@partial(jax.jit, static_argnames="Lj")
def _legendre_kernel(north: jax.Array, *, Lj: int) -> jax.Array:
    """:func:`legendre_kernel` at the given northern nodes, as one compiled program."""
    rows = wigner.wigner_d_rows(Lj, north, 0, north.dtype)[..., Lj - 1 :]
    norm = np.sqrt((2 * np.arange(Lj) + 1) / (4 * np.pi))
    return jnp.transpose(rows * jnp.asarray(norm, rows.dtype)[:, None, None], (2, 1, 0))


def _even(Lj: int) -> np.ndarray:
    """(L_j, L_j) [ℓ, m]: whether ℓ + m is even (Λ_ℓm symmetric about the equator)."""
    ell = np.arange(Lj)
    return (ell[:, None] + ell[None, :]) % 2 == 0


def _as_real(*parts: jax.Array) -> jax.Array:
    """Complex (a, b) arrays → real (b, a, 2·len(parts)) for one real batched product."""
    stacked = [x for p in parts for x in (p.real, p.imag)]
    return jnp.stack(stacked, axis=-1).swapaxes(0, 1)


def _from_real(x: jax.Array, index: int) -> jax.Array:
    """Complex (a, b) from channels 2·index, 2·index + 1 of a real (b, a, c) product."""
    return jax.lax.complex(x[..., 2 * index], x[..., 2 * index + 1]).T


def _legendre_sum(kernel: jax.Array, coefficients: jax.Array) -> jax.Array:
    """(n_θ, L_j) f_m(θ_t) = Σ_ℓ Λ_ℓm(θ_t) f_ℓm from the hemisphere kernel."""
    even = _even(coefficients.shape[0])
    x = _as_real(jnp.where(even, coefficients, 0), jnp.where(even, 0, coefficients))
    y = jnp.einsum("mtl,mlc->mtc", kernel.astype(x.dtype), x)
    e, o = _from_real(y, 0), _from_real(y, 1)
    return jnp.concatenate([e + o, (e - o)[::-1]], axis=0)


def _legendre_project(kernel: jax.Array, gm: jax.Array) -> jax.Array:
    """(L_j, L_j) Σ_t Λ_ℓm(θ_t) g_m(θ_t) over all nodes from the hemisphere kernel."""
    half = gm.shape[0] // 2
    north, south = gm[:half], gm[half:][::-1]
    y = jnp.einsum(
        "mtl,mtc->mlc", kernel.astype(gm.real.dtype), _as_real(north + south, north - south)
    )
    return jnp.where(_even(kernel.shape[0]), _from_real(y, 0), _from_real(y, 1))


def legendre_scan(Lj: int, theta: np.ndarray, dtype, fn, init):
    """Stream Λ_ℓm(θ_t) (n_θ, L_j), m ≥ 0, over ℓ < L_j: ``carry, out_ℓ = fn(carry, ℓ, Λ_ℓ)``.

    Uses the stable extended-range recursion of :mod:`physml.core.wigner` (O(n_θ L_j) memory).
    """
    state = wigner.recursion_init(Lj, jnp.asarray(theta, dtype), 0, dtype)

    def body(carry, _):
        state, acc = carry
        ell = state.ell
        state, d = wigner.recursion_step(state)
        lam = d[:, Lj - 1 :] * jnp.sqrt((2 * ell + 1) / (4 * np.pi)).astype(dtype)
        acc, out = fn(acc, ell, lam)
        return (state, acc), out

    (_, acc), outs = jax.lax.scan(body, (state, init), None, length=Lj)
    return acc, outs


def _parity(Lj: int, dtype) -> jax.Array:
    return jnp.asarray(np.where(np.arange(Lj) % 2, -1.0, 1.0), dtype)


def split_m(flm: jax.Array, reality: bool) -> tuple[jax.Array, ...]:
    """(…, L_j, L_j) coefficients f_ℓm for m ≥ 0 (and (−1)^m f_ℓ,−m for m ≤ 0 if complex)."""
    Lj = flm.shape[-2]
    pos = flm[..., Lj - 1 :]
    if reality:
        return (pos,)
    return pos, flm[..., Lj - 1 :: -1] * _parity(Lj, flm.real.dtype)


def to_grid(fm: tuple[jax.Array, ...], nphi: int, reality: bool) -> jax.Array:
    """(n_θ, n_φ) samples Σ_m f_m(θ_t) e^{imφ_k} from the (n_θ, L_j) ring coefficients."""
    ntheta, Lj = fm[0].shape
    if reality:
        # f = Σ_m f_m e^{imφ} with f_−m = conj(f_m): n_φ · irfft.
        return jnp.fft.irfft(fm[0], n=nphi, axis=-1) * nphi
    spectrum = jnp.zeros((ntheta, nphi), fm[0].dtype)
    spectrum = spectrum.at[:, :Lj].set(fm[0])
    spectrum = spectrum.at[:, nphi - Lj + 1 :].add(fm[1][:, :0:-1])
    return jnp.fft.ifft(spectrum, axis=-1) * nphi


def ring_coefficients(g: jax.Array, Lj: int, weights: jax.Array) -> jax.Array:
    """(n_θ, L_j) w_t (2π/n_φ) Σ_k g(θ_t, φ_k) e^{−imφ_k}, m ≥ 0, of real samples g."""
    nphi = g.shape[-1]
    gm = jnp.fft.rfft(g, axis=-1)[:, :Lj] * (2 * np.pi / nphi)
    return gm * weights.astype(g.dtype)[:, None]


def hermitian(pos: jax.Array) -> jax.Array:
    """(L_j, 2L_j−1) coefficients of a real function from its m ≥ 0 half (L_j, L_j)."""
    Lj = pos.shape[0]
    neg = jnp.conj(pos[:, :0:-1]) * _parity(Lj, pos.real.dtype)[:0:-1]
    return jnp.concatenate([neg, pos], axis=-1)


def synthesis(flm: jax.Array, nphi: int, kernel, ntheta: int, reality: bool) -> jax.Array:
    """Samples (n_θ, n_φ) of the band-limit-L_j field with coefficients (L_j, 2L_j−1)."""
    Lj = flm.shape[0]
    parts = split_m(flm, reality)
    if kernel is not None:
        fm = tuple(_legendre_sum(kernel, p) for p in parts)
    else:

        def accumulate(acc, ell, lam):
            return tuple(a + lam * p[ell] for a, p in zip(acc, parts, strict=True)), None

        init = tuple(jnp.zeros((ntheta, Lj), flm.dtype) for _ in parts)
        fm, _ = legendre_scan(Lj, gl_thetas(ntheta), flm.real.dtype, accumulate, init)
    return to_grid(fm, nphi, reality)


def analysis(g: jax.Array, Lj: int, kernel, weights: jax.Array) -> jax.Array:
    """(L_j, 2L_j−1) coefficients ℓ < L_j of the real samples ``g`` (n_θ, n_φ), by quadrature."""
    gm = ring_coefficients(g, Lj, weights)
    if kernel is not None:
        pos = _legendre_project(kernel, gm)
    else:
        _, pos = legendre_scan(
            Lj,
            gl_thetas(g.shape[0]),
            g.dtype,
            lambda acc, ell, lam: (acc, jnp.sum(lam * gm, axis=0)),
            None,
        )
    return hermitian(pos)


def gl_thetas(ntheta: int) -> np.ndarray:
    """(n_θ,) Gauss–Legendre colatitudes θ_t of the grid (north to south)."""
    return sampling.gauss_legendre_thetas(ntheta)[0]


def quadrature_weights(ntheta: int) -> np.ndarray:
    """(n_θ,) Gauss–Legendre weights w_t (Σ = 2) of the grid."""
    return sampling.gauss_legendre_thetas(ntheta)[1]
