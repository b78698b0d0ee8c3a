"""Batched Fourier transforms along the iso-latitude rings of a sampling scheme.

For a signal sampled on rings t with longitudes φ_{t,p} = φ₀(t) + 2πp/n_t,

    forward:  F_t(m) = Σ_p f(θ_t, φ_{t,p}) e^{−i m φ_{t,p}},        −L < m < L,
    inverse:  f(θ_t, φ_{t,p}) = Σ_{−L<m<L} F_t(m) e^{+i m φ_{t,p}},

with ``F[..., t, L−1+m]`` of shape ``(..., ntheta, 2L−1)``.  No normalisation is applied, so
:func:`forward` and :func:`inverse` are exact adjoints (conjugate transposes) of each other;
quadrature weights are applied by the spherical transforms, not here.  For real signals
:func:`forward_real` and :func:`inverse_real` carry only the orders m ≥ 0 (F_t(−m) =
conj F_t(m)) and take real FFTs on equiangular rings, half the work.  On rings with fewer than
2L−1 samples (HEALPix polar caps) orders alias: F_t(m) involves the DFT bin m mod n_t, which is
what the sums above say.

Equiangular schemes use one batched FFT.  HEALPix rings have different lengths (4, 8, …,
4 nside samples) and phase offsets φ₀; instead of one FFT size per ring (a Python loop over
rings whose compile time grows with nside) every ring is transformed by Bluestein's chirp-z
algorithm (Bluestein 1970; Rabiner, Schafer & Rader 1969) with one common padded FFT length
(the 2 nside + 1 equatorial-belt rings, all of length 4 nside, take one plain batched FFT):
with pq = (p² + q² − (q−p)²)/2,

    Σ_p x_p e^{−2πi p q/n} = e^{−iπq²/n} Σ_p [x_p e^{−iπp²/n}] e^{+iπ(q−p)²/n},

a linear convolution evaluated by FFTs of length M ≥ 4 (nside − 1) + 2L − 2, shared by all cap
rings.
The ring length n enters only through chirp *values* (computed in the graph from integer
arithmetic, (p² mod 2n), so phases stay exact), never through shapes: the compiled program is
the same for every nside up to its array sizes.
"""

from __future__ import annotations

from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from . import sampling as _sampling
from .validation import (
    as_complex,
    geometry_context,
    validate_dtype,
    validate_geometry,
    validate_shape,
)

# ----------------------------------------------------------------------------------------------
# Equiangular rings


@partial(jax.jit, static_argnames=("L", "sampling"))
def _equiangular_forward(f: Array, L: int, sampling: str) -> Array:
    spectrum = jnp.fft.fft(f, axis=-1)
    if sampling == "mwss":
        # n = 2L: bins 0 … L−1 are m ≥ 0, bins L+1 … 2L−1 are m = −(L−1) … −1; bin L (m = ±L)
        # lies outside the band-limit.
        return jnp.concatenate([spectrum[..., L + 1 :], spectrum[..., :L]], axis=-1)
    return jnp.fft.fftshift(spectrum, axes=-1)


@partial(jax.jit, static_argnames=("L", "sampling"))
def _equiangular_inverse(F: Array, L: int, sampling: str) -> Array:
    if sampling == "mwss":
        nyquist = jnp.zeros((*F.shape[:-1], 1), dtype=F.dtype)
        spectrum = jnp.concatenate([F[..., L - 1 :], nyquist, F[..., : L - 1]], axis=-1)
    else:
        spectrum = jnp.fft.ifftshift(F, axes=-1)
    return jnp.fft.ifft(spectrum, axis=-1, norm="forward")


# ----------------------------------------------------------------------------------------------
# HEALPix rings (Bluestein)


def _fast_length(n: int) -> int:
    """Smallest 2^a, 3·2^a or 5·2^a that is >= n (sizes FFT libraries do quickly)."""
    best = 1 << max(n - 1, 1).bit_length()
    for factor in (3, 5):
        size = factor
        while size < n:
            size *= 2
        best = min(best, size)
    return best


@lru_cache(maxsize=32)
def _healpix_tables(nside: int) -> dict[str, np.ndarray]:
    """Static index tables for the polar-cap rings (the belt rings are one contiguous block).

    Cap rings (4, 8, …, 4(nside−1) pixels, north then south) are gathered into a padded
    (2(nside−1), 4(nside−1)) array for Bluestein; the 2 nside + 1 belt rings of 4 nside
    pixels are a contiguous (2 nside + 1, 4 nside) block of the map.
    """
    lengths = _sampling.healpix_ring_lengths(nside)
    offsets = _sampling.healpix_ring_offsets(nside)
    cap = np.concatenate([np.arange(nside - 1), np.arange(3 * nside, 4 * nside - 1)])
    nmax = max(4 * (nside - 1), 1)
    j = np.arange(nmax)[None, :]
    valid = j < lengths[cap, None]
    gather = np.where(valid, offsets[cap, None] + j, 0)
    cap_pixels = 2 * nside * (nside - 1)
    # Position of each cap pixel (north block, then south block) in the padded array.
    scatter = np.repeat(np.arange(cap.size), lengths[cap]) * nmax + np.concatenate(
        [np.arange(n) for n in lengths[cap]] or [np.zeros(0, int)]
    )
    tables = {
        "cap_lengths": lengths[cap].astype(np.int32),
        "cap_phi0": _sampling.healpix_phi0(nside)[cap],
        "belt_phi0": _sampling.healpix_phi0(nside)[nside - 1 : 3 * nside],
        "valid": valid,
        "gather": gather.astype(np.int32),
        "scatter": scatter.astype(np.int32),
        "cap_pixels": np.asarray(cap_pixels),
    }
    for value in tables.values():
        value.setflags(write=False)
    return tables


def _chirp(p: Array, n: Array, sign: float, real_dtype: jnp.dtype) -> Array:
    """exp(sign · iπ p²/n) with the phase reduced exactly: p² mod 2n in unsigned integers."""
    two_n = (2 * n).astype(jnp.uint32)
    r = jnp.mod(p, 2 * n).astype(jnp.uint32)
    q = jnp.mod(r * r, two_n)
    phase = (jnp.pi * q.astype(real_dtype)) / n.astype(real_dtype)
    return jax.lax.complex(jnp.cos(phase), sign * jnp.sin(phase))  # exp(iφ) computes exp(0) too


def _chirp_dft(
    x: Array, n: Array, in_start: int, out_start: int, out_len: int, sign: float
) -> Array:
    """out[..., r, k] = Σ_j x[..., r, j] exp(sign·2πi (in_start+j)(out_start+k) / n_r).

    ``n`` holds one DFT length per ring (axis −2); evaluated by Bluestein's algorithm with one
    FFT length for all rings.
    """
    in_len = x.shape[-1]
    real_dtype = jnp.finfo(x.dtype).dtype
    size = _fast_length(in_len + out_len - 1)
    n = n[:, None]
    p = in_start + jnp.arange(in_len, dtype=jnp.int32)[None, :]
    q = out_start + jnp.arange(out_len, dtype=jnp.int32)[None, :]
    lag = (out_start - in_start) - (in_len - 1) + jnp.arange(in_len + out_len - 1, dtype=jnp.int32)
    a = x * _chirp(p, n, sign, real_dtype)
    b = _chirp(lag[None, :], n, -sign, real_dtype)
    conv = jnp.fft.ifft(jnp.fft.fft(a, n=size, axis=-1) * jnp.fft.fft(b, n=size, axis=-1), axis=-1)
    return conv[..., in_len - 1 : in_len - 1 + out_len] * _chirp(q, n, sign, real_dtype)


def _phase(m: Array, phi0: np.ndarray, sign: float, real_dtype: jnp.dtype) -> Array:
    angle = m[None, :] * jnp.asarray(phi0, dtype=real_dtype)[:, None]
    return jax.lax.complex(jnp.cos(angle), sign * jnp.sin(angle))


@partial(jax.jit, static_argnames=("L", "nside"))
def _healpix_forward(f: Array, L: int, nside: int) -> Array:
    tables = _healpix_tables(nside)
    real_dtype = jnp.finfo(f.dtype).dtype
    m = jnp.arange(-(L - 1), L)
    npole = int(tables["cap_pixels"])
    belt = f[..., npole : f.shape[-1] - npole].reshape(*f.shape[:-1], 2 * nside + 1, 4 * nside)
    belt = jnp.fft.fft(belt, axis=-1)[..., jnp.mod(m, 4 * nside)]
    belt = belt * _phase(m, tables["belt_phi0"], -1.0, real_dtype)
    if nside == 1:
        return belt
    caps = jnp.where(tables["valid"], f[..., tables["gather"]], 0)
    caps = _chirp_dft(caps, jnp.asarray(tables["cap_lengths"]), 0, -(L - 1), 2 * L - 1, -1.0)
    caps = caps * _phase(m, tables["cap_phi0"], -1.0, real_dtype)
    return jnp.concatenate([caps[..., : nside - 1, :], belt, caps[..., nside - 1 :, :]], axis=-2)


@partial(jax.jit, static_argnames=("L", "nside"))
def _healpix_inverse(F: Array, L: int, nside: int) -> Array:
    tables = _healpix_tables(nside)
    real_dtype = jnp.finfo(F.dtype).dtype
    m = jnp.arange(-(L - 1), L)
    belt = F[..., nside - 1 : 3 * nside, :] * _phase(m, tables["belt_phi0"], 1.0, real_dtype)
    bins = jnp.zeros((*belt.shape[:-1], 4 * nside), dtype=F.dtype)
    bins = bins.at[..., jnp.mod(m, 4 * nside)].add(belt)
    belt = jnp.fft.ifft(bins, axis=-1, norm="forward").reshape(*F.shape[:-2], -1)
    if nside == 1:
        return belt
    caps = jnp.concatenate([F[..., : nside - 1, :], F[..., 3 * nside :, :]], axis=-2)
    caps = caps * _phase(m, tables["cap_phi0"], 1.0, real_dtype)
    nmax = tables["valid"].shape[-1]
    caps = _chirp_dft(caps, jnp.asarray(tables["cap_lengths"]), -(L - 1), 0, nmax, 1.0)
    caps = caps.reshape(*caps.shape[:-2], -1)[..., tables["scatter"]]
    npole = int(tables["cap_pixels"])
    return jnp.concatenate([caps[..., :npole], belt, caps[..., npole:]], axis=-1)


# ----------------------------------------------------------------------------------------------
# Public API


@partial(jax.jit, static_argnames=("L", "sampling"))
def _equiangular_forward_real(f: Array, L: int, sampling: str) -> Array:
    return jnp.fft.rfft(f, axis=-1)[..., :L]  # MW, DH, GL: n = 2L − 1; MWSS: n = 2L


@partial(jax.jit, static_argnames=("L", "sampling"))
def _equiangular_inverse_real(F: Array, L: int, sampling: str) -> Array:
    n = _sampling.nphi(L, sampling)
    return jnp.fft.irfft(F, n=n, axis=-1, norm="forward")  # MWSS: bin L (m = ±L) is zero


def _hermitian(F: Array) -> Array:
    """(..., L) coefficients of m ≥ 0 → (..., 2L−1) with F(−m) = conj F(m)."""
    return jnp.concatenate([jnp.conj(F[..., 1:])[..., ::-1], F], axis=-1)


def _checked(x: Array, expected: tuple[int, ...], name: str, context: str) -> Array:
    validate_shape(x, expected, name=name, context=context, batch_ok=True)
    validate_dtype(x, name=name)
    return as_complex(x)


def forward(f: Array, L: int, sampling: str = "mw", nside: int | None = None) -> Array:
    """Fourier coefficients along every ring, ``F[..., t, L−1+m]``, −L < m < L.

    Parameters
    ----------
    f : ``(..., *f_shape(L, sampling, nside))`` real or complex signal; leading axes batch.
    L, sampling, nside : the scheme.

    Returns
    -------
    ``(..., ntheta, 2L−1)`` complex array ``F_t(m) = Σ_p f(θ_t, φ_{t,p}) e^{−imφ_{t,p}}``.
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    shape = _sampling.f_shape(L, sampling, nside or None)
    f = _checked(f, shape, "f", geometry_context(L, sampling, nside))
    if sampling == "healpix":
        return _healpix_forward(f, L=L, nside=nside)
    return _equiangular_forward(f, L=L, sampling=sampling)


def inverse(F: Array, L: int, sampling: str = "mw", nside: int | None = None) -> Array:
    """Signal on the rings from ring Fourier coefficients; the adjoint of :func:`forward`.

    Parameters
    ----------
    F : ``(..., ntheta, 2L−1)`` complex coefficients ``F[..., t, L−1+m]``.
    L, sampling, nside : the scheme.

    Returns
    -------
    ``(..., *f_shape(L, sampling, nside))`` complex signal
    ``f(θ_t, φ_{t,p}) = Σ_m F_t(m) e^{imφ_{t,p}}``.
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    expected = (_sampling.ntheta(L, sampling, nside or None), 2 * L - 1)
    F = _checked(F, expected, "F", geometry_context(L, sampling, nside))
    if sampling == "healpix":
        return _healpix_inverse(F, L=L, nside=nside)
    return _equiangular_inverse(F, L=L, sampling=sampling)


def forward_real(f: Array, L: int, sampling: str = "mw", nside: int | None = None) -> Array:
    """Fourier coefficients of the orders m ≥ 0 along every ring of a real signal.

    The other half follows from F_t(−m) = conj F_t(m), so equiangular rings take a real FFT
    (half the work of :func:`forward`); HEALPix rings take the complex route.

    Parameters
    ----------
    f : ``(..., *f_shape(L, sampling, nside))`` real signal; leading axes batch.
    L, sampling, nside : the scheme.

    Returns
    -------
    ``(..., ntheta, L)`` complex array ``F[..., t, m] = F_t(m)``, 0 ≤ m < L, as in
    :func:`forward`.
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    shape = _sampling.f_shape(L, sampling, nside or None)
    validate_shape(f, shape, name="f", context=geometry_context(L, sampling, nside), batch_ok=True)
    validate_dtype(f, name="f", complex_ok=False)
    if sampling == "healpix":
        return _healpix_forward(as_complex(f), L=L, nside=nside)[..., L - 1 :]
    return _equiangular_forward_real(jnp.asarray(f), L=L, sampling=sampling)


def inverse_real(F: Array, L: int, sampling: str = "mw", nside: int | None = None) -> Array:
    """Real signal on the rings from the coefficients of the orders m ≥ 0.

    ``f(θ_t, φ_{t,p}) = Σ_{−L<m<L} F_t(m) e^{imφ_{t,p}}`` with F_t(−m) = conj F_t(m); the
    imaginary part of F_t(0) does not enter (it would make f complex).  Equals
    ``inverse(F_full).real`` for the Hermitian completion F_full; equiangular rings take a
    real FFT (half the work), HEALPix rings the complex route.

    Parameters
    ----------
    F : ``(..., ntheta, L)`` coefficients ``F[..., t, m]``, 0 ≤ m < L.
    L, sampling, nside : the scheme.

    Returns
    -------
    ``(..., *f_shape(L, sampling, nside))`` real signal.
    """
    L, sampling, nside = validate_geometry(L, sampling, nside)
    expected = (_sampling.ntheta(L, sampling, nside or None), L)
    F = _checked(F, expected, "F", geometry_context(L, sampling, nside))
    if sampling == "healpix":
        return _healpix_inverse(_hermitian(F), L=L, nside=nside).real
    return _equiangular_inverse_real(F, L=L, sampling=sampling)
