"""Wavelet and scaling kernels in harmonic space, built from (L, N, J_min, λ, family)."""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from physml.core.validation import validate_L, validate_N, validate_spin

from . import _tiling

FAMILIES = _tiling.FAMILIES


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Filters:
    """Harmonic wavelet kernels Ψ^j_ℓn and scaling kernel Φ_ℓ (a pytree; pass through ``jit``).

    Normalisation as the established s2wav (McEwen et al. 2018, Price et al. 2024)::

        Ψ^j_ℓn = sqrt((2ℓ+1)/(8π²)) κ_j(ℓ) η_ℓn,     Φ_ℓ = sqrt((2ℓ+1)/(4π)) ν(ℓ),

    times the spin-lowering factor (−1)^{s₀} sqrt((ℓ+s₀)!/(ℓ−s₀)!) when ``spin0 ≠ 0``, and
    zero for ℓ < max(|spin|, |spin0|).

    Attributes
    ----------
    psi : (J−J_min+1, L, 2N−1) complex, ``psi[j − J_min, ℓ, N−1+n]`` = Ψ^j_ℓn.
    phi : (L,) real, Φ_ℓ.
    L, N, J_min, lam, spin, spin0, family : the configuration (static).
    J_max : the largest scale J = ⌈log_λ L⌉.
    bandlimits : per scale j, the band-limit L_j = min(⌈λ^{j+1}⌉, L) of Ψ^j (j = 0 counts
        as j = 1, as in s2wav).
    lower : per scale, the lowest degree ⌈λ^{j−1}⌉ where Ψ^j can be non-zero.
    directions : per scale, N_j = min(N, L_j), the directions kept on SO(3) at L_j.
    scaling_bandlimit : L_s = min(max(⌈λ^{J_min}⌉, |spin|+1), L).
    """

    psi: jax.Array
    phi: jax.Array
    L: int = dataclasses.field(metadata={"static": True})
    N: int = dataclasses.field(metadata={"static": True})
    J_min: int = dataclasses.field(metadata={"static": True})
    lam: float = dataclasses.field(metadata={"static": True})
    spin: int = dataclasses.field(metadata={"static": True})
    spin0: int = dataclasses.field(metadata={"static": True})
    family: str = dataclasses.field(metadata={"static": True})
    J_max: int = dataclasses.field(metadata={"static": True})
    bandlimits: tuple[int, ...] = dataclasses.field(metadata={"static": True})
    lower: tuple[int, ...] = dataclasses.field(metadata={"static": True})
    directions: tuple[int, ...] = dataclasses.field(metadata={"static": True})
    scaling_bandlimit: int = dataclasses.field(metadata={"static": True})

    @property
    def scales(self) -> tuple[int, ...]:
        """The wavelet scales j = J_min … J_max, in the order of ``psi`` and the coefficients."""
        return tuple(range(self.J_min, self.J_max + 1))

    @property
    def n_scales(self) -> int:
        """Number of wavelet scales, J_max − J_min + 1."""
        return self.J_max - self.J_min + 1


def validate_lam(lam: object) -> float:
    """Check the scale factor λ: a real number > 1 (λ = 2 gives dyadic scales)."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"lam must be a real number > 1, got {lam!r}")
    if not (math.isfinite(lam) and lam > 1):
        raise ValueError(f"lam must be a real number > 1 (the ratio between scales), got {lam}")
    return float(lam)


def validate_J_min(J_min: object, L: int, lam: float) -> int:
    """Check J_min: an integer with 0 ≤ J_min < J = ⌈log_λ L⌉."""
    if isinstance(J_min, bool) or not isinstance(J_min, numbers.Integral):
        raise TypeError(f"J_min must be an integer, got {J_min!r}")
    J = _tiling.j_max(L, lam)
    if not 0 <= J_min < J:
        raise ValueError(
            f"J_min={J_min} is out of range for L={L} and lam={lam}: needs"
            f" 0 <= J_min < J = ceil(log_lam L) = {J}"
        )
    return int(J_min)


def _validate_family(family: object) -> str:
    if family not in FAMILIES:
        raise ValueError(f"family={family!r} is not one of {FAMILIES}")
    return str(family)


def _validate_quad_iters(quad_iters: object) -> int | None:
    if quad_iters is None:
        return None
    if isinstance(quad_iters, bool) or not isinstance(quad_iters, numbers.Integral):
        raise TypeError(f"quad_iters must be None or an integer >= 1, got {quad_iters!r}")
    if quad_iters < 1:
        raise ValueError(f"quad_iters must be None or an integer >= 1, got {quad_iters}")
    return int(quad_iters)


def scale_bandlimits(L: int, N: int, J_min: int, lam: float) -> tuple[tuple[int, ...], ...]:
    """(L_j, lowest ℓ, N_j) for each scale j = J_min … J (see :class:`Filters`)."""
    out = []
    for j in range(J_min, _tiling.j_max(L, lam) + 1):
        jj = max(j, 1)
        Lj = min(math.ceil(lam ** (jj + 1)), L)
        out.append((Lj, math.ceil(lam ** (jj - 1)), min(N, Lj)))
    return tuple(zip(*out))


@functools.lru_cache(maxsize=64)
def _build(L, N, J_min, lam, spin, spin0, family, quad_iters):
    kappa, nu = _tiling.radial_profiles(L, J_min, lam, family, quad_iters)
    eta = _tiling.directional_profile(L, N)
    ell = np.arange(L)
    lowering = _tiling.spin_lowering(L, spin0) if spin0 else np.ones(L)
    live = (ell >= max(abs(spin), abs(spin0))) * lowering
    phi = np.sqrt((2 * ell + 1) / (4 * np.pi)) * nu * live
    radial = np.sqrt((2 * ell + 1) / (8 * np.pi**2)) * kappa * live  # (J', L)
    psi = radial[:, :, None] * eta[None]
    return psi, phi


def filters(
    L: int,
    N: int = 1,
    J_min: int = 0,
    lam: float = 2.0,
    spin: int = 0,
    family: str = "scale_discretised",
    spin0: int = 0,
    quad_iters: int | None = None,
    dtype=None,
) -> Filters:
    """Build directional wavelet kernels Ψ^j_ℓn and the scaling kernel Φ_ℓ.

    The radial profiles tile harmonic space (partition of unity, see :mod:`._tiling`), the
    directional profile η_ℓn makes each wavelet steerable with azimuthal band-limit N
    (McEwen et al. 2015, 2018; Leistedt et al. 2013).  For ``spin0 = 0``::

        (4π/(2ℓ+1)) |Φ_ℓ|² + Σ_j (8π²/(2ℓ+1)) Σ_n |Ψ^j_ℓn|² = 1   for max(|spin|,1) ≤ ℓ < L

    (and for ℓ = 0 when spin = 0), which makes :func:`synthesis` the exact inverse of
    :func:`analysis` (see :func:`admissibility`).

    Parameters
    ----------
    L : band-limit.  N : azimuthal band-limit of the wavelets (1 = axisymmetric), 1 ≤ N ≤ L.
    J_min : lowest wavelet scale, 0 ≤ J_min < ⌈log_λ L⌉.  lam : scale factor λ > 1.
    spin : spin of the signals to analyse (kernels vanish for ℓ < |spin|).
    family : ``"scale_discretised"`` (default, as s2wav/S2LET), ``"needlet"`` or ``"spline"``.
    spin0 : spin-lowering of the wavelets (S2LET's spin wavelets), 0 for none.
    quad_iters : ``None`` (exact Gauss–Legendre integral of the tiling step) or the number of
        trapezoid steps of S2LET/s2wav (300 reproduces the established s2wav to 1e-14).
    dtype : real dtype of ``phi`` (``psi`` is the matching complex); default float64 when
        x64 is enabled, else float32.

    Returns
    -------
    Filters with ``psi`` (J−J_min+1, L, 2N−1) and ``phi`` (L,).

    Examples
    --------
    >>> filt = filters(32, N=3, J_min=2)
    >>> filt.psi.shape, filt.bandlimits
    ((4, 32, 5), (8, 16, 32, 32))
    """
    L = validate_L(L)
    lam = validate_lam(lam)
    N = validate_N(N, L)
    J_min = validate_J_min(J_min, L, lam)
    spin = validate_spin(spin, L)
    spin0 = validate_spin(spin0, L)
    family = _validate_family(family)
    quad_iters = _validate_quad_iters(quad_iters)
    psi, phi = _build(L, N, J_min, lam, spin, spin0, family, quad_iters)
    real = np.dtype(dtype or (np.float64 if jax.config.jax_enable_x64 else np.float32))
    if not np.issubdtype(real, np.floating):
        raise TypeError(f"dtype must be a real floating dtype, got {real}")
    cplx = np.result_type(real, np.complex64)
    Lj, L0j, Nj = scale_bandlimits(L, N, J_min, lam)
    return Filters(
        psi=jnp.asarray(psi, cplx),
        phi=jnp.asarray(phi, real),
        L=L,
        N=N,
        J_min=J_min,
        lam=lam,
        spin=spin,
        spin0=spin0,
        family=family,
        J_max=_tiling.j_max(L, lam),
        bandlimits=Lj,
        lower=L0j,
        directions=Nj,
        scaling_bandlimit=min(max(math.ceil(lam**J_min), abs(spin) + 1), L),
    )


def admissibility(filt: Filters) -> np.ndarray:
    """(4π/(2ℓ+1)) |Φ_ℓ|² + (8π²/(2ℓ+1)) Σ_j Σ_n |Ψ^j_ℓn|² for ℓ < L, shape (L,).

    Equal to 1 wherever the kernels are non-zero (ℓ ≥ |spin|) for ``spin0 = 0``: the
    resolution of identity behind exact reconstruction.
    """
    ell = np.arange(filt.L)
    psi, phi = np.asarray(filt.psi), np.asarray(filt.phi)
    wav = np.sum(np.abs(psi) ** 2, axis=(0, 2)) * (8 * np.pi**2) / (2 * ell + 1)
    return wav + phi**2 * (4 * np.pi) / (2 * ell + 1)
