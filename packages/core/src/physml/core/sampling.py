"""Sampling schemes on the sphere S² and the rotation group SO(3).

Every scheme answers the same questions: how many iso-latitude rings, which colatitude θ each
ring has, how many samples each ring holds and at which longitudes φ, and what array shape a
signal has.  All functions return host-side NumPy arrays in float64 (they are static geometry,
computed once); pass them through ``jnp.asarray(..., dtype)`` where a device array is needed.

Schemes (θ_t for ring t, φ_p for sample p; ``L`` is the band-limit, degrees ``ℓ < L``):

===========  ===========  ===========================  ================  ========================
sampling     rings        θ_t                          samples per ring  φ_p
===========  ===========  ===========================  ================  ========================
``mw``       L            π(2t+1)/(2L−1)               2L−1              2πp/(2L−1)
``mwss``     L+1          πt/L                         2L                2πp/(2L)
``dh``       2L           π(2t+1)/(4L)                 2L−1              2πp/(2L−1)
``gl``       L            arccos of Gauss–Legendre     2L−1              2πp/(2L−1)
``healpix``  4 nside−1    see :func:`healpix_thetas`   4i … 4 nside      φ₀(i) + 2πp/n_i
===========  ===========  ===========================  ================  ========================

References: McEwen & Wiaux (2011) for MW; Ocampo, Price & McEwen (2023) and McEwen et al.
(2013) for MWSS; Driscoll & Healy (1994) for DH; Górski et al. (2005) for HEALPix.  Positions
and shapes follow the established s2fft package (Price & McEwen 2024) so arrays interchange.

SO(3) signals with ``N`` directions carry a leading γ axis of ``2N−1`` samples
γ_k = 2πk/(2N−1), i.e. shape ``(2N−1, *f_shape(L, sampling, nside))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .validation import validate_geometry, validate_L, validate_N, validate_nside

EQUIANGULAR: tuple[str, ...] = ("mw", "mwss", "dh", "gl")


def ntheta(L: int, sampling: str = "mw", nside: int | None = None) -> int:
    """Number of iso-latitude rings."""
    L, sampling, nside = validate_geometry(L, sampling, nside)
    return {"mw": L, "mwss": L + 1, "dh": 2 * L, "gl": L, "healpix": 4 * nside - 1}[sampling]


def nphi(L: int, sampling: str = "mw") -> int:
    """Number of longitude samples per ring for the equiangular schemes (all rings equal)."""
    L, sampling, _ = validate_geometry(L, sampling)
    if sampling == "healpix":
        raise ValueError("HEALPix rings have different lengths: use healpix_ring_lengths(nside)")
    return 2 * L if sampling == "mwss" else 2 * L - 1


def f_shape(L: int, sampling: str = "mw", nside: int | None = None) -> tuple[int, ...]:
    """Shape of a signal array on S²: ``(ntheta, nphi)``, or ``(12 nside²,)`` for HEALPix."""
    L, sampling, nside = validate_geometry(L, sampling, nside)
    if sampling == "healpix":
        return (12 * nside * nside,)
    return (ntheta(L, sampling), nphi(L, sampling))


def npix(L: int, sampling: str = "mw", nside: int | None = None) -> int:
    """Total number of samples on S²."""
    return int(np.prod(f_shape(L, sampling, nside)))


def _legendre_pair(L: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P_L(x), P_{L−1}(x)) by the three-term recurrence, in the precision of ``x``."""
    p_prev, p = np.ones_like(x), x.copy()
    for n in range(1, L):
        p_prev, p = p, ((2 * n + 1) * x * p - n * p_prev) / (n + 1)
    return p, p_prev


@lru_cache(maxsize=64)
def gauss_legendre_thetas(L: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes as colatitudes θ_k (north to south) and weights w_k, shape ``(L,)``.

    The nodes are the zeros of P_L(cos θ).  They are found by Newton's method *in θ*
    (well conditioned at the poles, unlike arccos of nodes in x = cos θ) started from
    Tricomi's asymptotic guess θ_k ≈ π(4k − 1)/(4L + 2), with P_L and P_{L−1} evaluated by
    the three-term recurrence in extended precision (``np.longdouble``), and

        dP_L/dθ = L (cos θ P_L − P_{L−1}) / sin θ,
        w_k = 2 sin²θ_k / (L P_{L−1}(cos θ_k))².

    Only the northern half is computed and mirrored (θ ↦ π − θ), so the rule is exactly
    symmetric.  Σ_k w_k P_ℓ(x_k) P_ℓ'(x_k) = 2δ_ℓℓ'/(2ℓ+1) then holds to a few ulp for all
    ℓ + ℓ' ≤ 2L − 1, where the eigenvalue route of ``numpy.polynomial.legendre.leggauss``
    leaves ~4e-13 at L = 128 (Golub & Welsch 1969; Hale & Townsend 2013 discuss both).

    Returns
    -------
    theta : (L,) float64, increasing (north to south).
    w : (L,) float64, summing to 2.
    """
    half = (L + 1) // 2
    theta = np.pi * (4 * np.arange(1, half + 1) - 1) / (4 * L + 2)

    def newton_step(theta):
        x, s = np.cos(theta), np.sin(theta)
        p, p_prev = _legendre_pair(L, x)
        return theta - p * s / (L * (x * p - p_prev))

    for _ in range(8):  # float64 Newton: quadratic convergence from Tricomi's guess
        theta_new = newton_step(theta)
        done = np.max(np.abs(theta_new - theta)) < 1e-13
        theta = theta_new
        if done:
            break
    theta = newton_step(theta.astype(np.longdouble))  # one polishing step in extended precision
    x, s = np.cos(theta), np.sin(theta)
    _, p_prev = _legendre_pair(L, x)
    w = 2 * s**2 / (L * p_prev) ** 2
    theta64, w64 = theta.astype(np.float64), w.astype(np.float64)
    mirror = slice(None, L // 2)  # for odd L the equatorial node is not repeated
    theta_all = np.concatenate([theta64, (np.pi - theta64[mirror])[::-1]])
    w_all = np.concatenate([w64, w64[mirror][::-1]])
    if L % 2:
        theta_all[half - 1] = np.pi / 2
    for arr in (theta_all, w_all):
        arr.setflags(write=False)
    return theta_all, w_all


def thetas(L: int, sampling: str = "mw", nside: int | None = None) -> np.ndarray:
    """Colatitude θ ∈ [0, π] of each ring, north to south, shape ``(ntheta,)``."""
    L, sampling, nside = validate_geometry(L, sampling, nside)
    if sampling == "mw":
        return np.pi * (2 * np.arange(L) + 1) / (2 * L - 1)
    if sampling == "mwss":
        return np.pi * np.arange(L + 1) / L
    if sampling == "dh":
        return np.pi * (2 * np.arange(2 * L) + 1) / (4 * L)
    if sampling == "gl":
        return np.array(gauss_legendre_thetas(L)[0])
    return healpix_thetas(nside)


def phis(L: int, sampling: str = "mw") -> np.ndarray:
    """Longitudes φ of the samples of every ring of an equiangular scheme, shape ``(nphi,)``."""
    n = nphi(L, sampling)
    return 2 * np.pi * np.arange(n) / n


# --------------------------------------------------------------------------------------------
# HEALPix (Górski et al. 2005), ring ordering.  Ring index i = 1 … 4 nside − 1 north to south.


def _check_nside(nside: int) -> int:
    return validate_nside(nside)


def healpix_ring_lengths(nside: int) -> np.ndarray:
    """Number of pixels in each ring: 4i in the polar caps, 4 nside in the equatorial belt."""
    nside = _check_nside(nside)
    i = np.arange(1, 4 * nside)
    return 4 * np.minimum(np.minimum(i, 4 * nside - i), nside)


def healpix_ring_offsets(nside: int) -> np.ndarray:
    """Index of the first pixel of each ring in the flat ring-ordered map."""
    lengths = healpix_ring_lengths(nside)
    return np.concatenate([[0], np.cumsum(lengths)[:-1]])


def healpix_thetas(nside: int) -> np.ndarray:
    """Colatitude of each ring.

    Polar caps (ring i < nside): cos θ = 1 − i²/(3 nside²), evaluated as
    θ = 2 arcsin(i / (√6 nside)) to keep full relative precision near the pole.
    Equatorial belt (nside ≤ i ≤ 3 nside): cos θ = 4/3 − 2i/(3 nside).  South mirrors north.
    """
    nside = _check_nside(nside)
    i = np.arange(1, 4 * nside, dtype=np.float64)
    north = np.minimum(i, 4 * nside - i)
    cap = 2.0 * np.arcsin(north / (np.sqrt(6.0) * nside))
    cap = np.where(i < 2 * nside, cap, np.pi - cap)
    belt = np.arccos(np.clip(4.0 / 3.0 - 2.0 * i / (3.0 * nside), -1.0, 1.0))
    return np.where(north < nside, cap, belt)


def healpix_phi0(nside: int) -> np.ndarray:
    """Longitude of the first pixel of each ring.

    Caps: φ₀ = π/(4i) (i the ring index from the nearer pole); belt: φ₀ = π/(4 nside) on rings
    with (i − nside) even and 0 otherwise.
    """
    nside = _check_nside(nside)
    i = np.arange(1, 4 * nside)
    north = np.minimum(i, 4 * nside - i)
    cap = np.pi / (4.0 * np.maximum(north, 1))
    shifted = ((i - nside) % 2) == 0
    belt = np.where(shifted, np.pi / (4.0 * nside), 0.0)
    return np.where(north < nside, cap, belt)


def healpix_pix2ang(nside: int) -> tuple[np.ndarray, np.ndarray]:
    """(θ, φ) of every pixel centre in ring ordering, each of shape ``(12 nside²,)``."""
    lengths = healpix_ring_lengths(nside)
    ring = np.repeat(np.arange(lengths.size), lengths)
    j = np.arange(lengths.sum()) - np.repeat(healpix_ring_offsets(nside), lengths)
    phi = healpix_phi0(nside)[ring] + 2 * np.pi * j / lengths[ring]
    return healpix_thetas(nside)[ring], phi


# --------------------------------------------------------------------------------------------
# SO(3)


def gammas(N: int) -> np.ndarray:
    """Third Euler angle samples γ_k = 2πk/(2N−1), k = 0 … 2N−2, for N directions."""
    if not isinstance(N, int) or N < 1:
        raise ValueError(f"N (number of directions) must be an integer >= 1, got {N!r}")
    return 2 * np.pi * np.arange(2 * N - 1) / (2 * N - 1)


def so3_shape(L: int, N: int, sampling: str = "mw", nside: int | None = None) -> tuple[int, ...]:
    """Shape of a signal on SO(3): ``(2N−1, *f_shape(L, sampling, nside))``."""
    L = validate_L(L)
    N = validate_N(N, L)
    return (2 * N - 1, *f_shape(L, sampling, nside))


def flmn_shape(L: int, N: int) -> tuple[int, int, int]:
    """Shape of Wigner coefficients ``flmn[N−1+n, ℓ, L−1+m]``: ``(2N−1, L, 2L−1)``."""
    L = validate_L(L)
    N = validate_N(N, L)
    return (2 * N - 1, L, 2 * L - 1)


# --------------------------------------------------------------------------------------------
# One object bundling the geometry of a scheme.


@dataclass(frozen=True, eq=False)
class Grid:
    """The ring geometry of one sampling scheme, for ring-based algorithms.

    Attributes
    ----------
    L, sampling, nside : the scheme (``nside`` is 0 unless HEALPix).
    thetas : (ntheta,) colatitudes of the rings.
    ring_lengths : (ntheta,) samples per ring.
    ring_offsets : (ntheta,) index of each ring's first sample in the flattened signal.
    phi0 : (ntheta,) longitude of each ring's first sample.
    shape : signal array shape.
    """

    L: int
    sampling: str
    nside: int
    thetas: np.ndarray
    ring_lengths: np.ndarray
    ring_offsets: np.ndarray
    phi0: np.ndarray
    shape: tuple[int, ...]

    @property
    def ntheta(self) -> int:
        return int(self.thetas.size)

    @property
    def max_ring_length(self) -> int:
        return int(self.ring_lengths.max())

    @property
    def equiangular(self) -> bool:
        return self.sampling in EQUIANGULAR

    def __hash__(self) -> int:
        return hash((self.L, self.sampling, self.nside))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return (self.L, self.sampling, self.nside) == (other.L, other.sampling, other.nside)


@lru_cache(maxsize=128)
def _grid(L: int, sampling: str, nside: int) -> Grid:
    if sampling == "healpix":
        lengths = healpix_ring_lengths(nside)
        offsets = healpix_ring_offsets(nside)
        phi0 = healpix_phi0(nside)
        theta = healpix_thetas(nside)
    else:
        theta = thetas(L, sampling)
        lengths = np.full(theta.size, nphi(L, sampling))
        offsets = np.arange(theta.size) * lengths[0]
        phi0 = np.zeros(theta.size)
    for arr in (theta, lengths, offsets, phi0):
        arr.setflags(write=False)
    return Grid(
        L, sampling, nside, theta, lengths, offsets, phi0, f_shape(L, sampling, nside or None)
    )


def grid(L: int, sampling: str = "mw", nside: int | None = None) -> Grid:
    """The (cached, read-only) ring geometry of a scheme."""
    L, sampling, nside = validate_geometry(L, sampling, nside)
    return _grid(L, sampling, nside)
