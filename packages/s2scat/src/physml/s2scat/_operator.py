"""The scattering operator: wavelet kernels plus the static layout of the statistics."""

from __future__ import annotations

import dataclasses
import numbers

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2wav as s2w

from . import _sphere


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Scattering:
    """Everything the statistics need besides the field (a pytree; pass through ``jit``).

    Build it once with :func:`make_scattering` and pass it to every call.

    Attributes
    ----------
    filters : :class:`physml.s2wav.Filters` with the wavelet kernels Ψ^j_ℓn.
    power : (J, L) real, K_j(ℓ) = (8π²/(2ℓ+1)) Σ_n |Ψ^j_ℓn|², the isotropic wavelet power
        (Σ_j K_j(ℓ) + the scaling part = 1 by admissibility).
    oversample : band-limit factor of the grid on which |f ⋆ ψ_j| is sampled (static); 2
        samples |f ⋆ ψ_j|² without aliasing.
    harmonics : number K of Fourier harmonics of the orientation kept in S3/S4, 1 ≤ K ≤ N
        (1 = isotropic only; static).
    reality : whether the fields are real (static).
    nonlinearity : the envelope M_j of W_j (static): ``"square"`` |W_j|²/sqrt(S2_j)
        (band-limited: exactly rotation invariant statistics) or ``"modulus"``.
    epsilon : ε of the modulus sqrt(|w|² + ε² S2_j) (0 = the plain modulus).
    kernels : ``None`` (Legendre functions streamed by a recursion, O(L²) memory) or the
        ``"precompute"`` method's (L_j, n_θ/2, L_j) Legendre kernels of the Gauss–Legendre grid
        of each of :attr:`groups` (N = 1 only; built once
        outside ``jit``, see :attr:`kernel_nbytes`).
    multiresolution : each scale on its own grid (least work) or all scales batched on one
        grid of band-limit ``oversample · L`` (compile time independent of the number of
        scales; static).
    """

    filters: s2w.Filters
    power: jax.Array
    epsilon: jax.Array
    kernels: tuple | None
    oversample: int = dataclasses.field(metadata={"static": True})
    harmonics: int = dataclasses.field(metadata={"static": True})
    reality: bool = dataclasses.field(metadata={"static": True})
    multiresolution: bool = dataclasses.field(metadata={"static": True})
    nonlinearity: str = dataclasses.field(metadata={"static": True})

    @property
    def L(self) -> int:
        return self.filters.L

    @property
    def N(self) -> int:
        return self.filters.N

    @property
    def n_scales(self) -> int:
        return len(self.filters.bandlimits)

    @property
    def scales(self) -> tuple[int, ...]:
        return tuple(range(self.filters.J_min, self.filters.J_min + self.n_scales))

    @property
    def groups(self) -> tuple[tuple[int, ...], ...]:
        """Scale indices that share one grid (same band-limit and directions; all scales
        without multiresolution), in order: each group is one batched transform pair."""
        if not self.multiresolution:
            return (tuple(range(self.n_scales)),)
        keys = list(zip(self.filters.bandlimits, self.filters.directions, strict=True))
        out: list[list[int]] = []
        for index, key in enumerate(keys):
            if out and keys[out[-1][0]] == key:
                out[-1].append(index)
            else:
                out.append([index])
        return tuple(tuple(g) for g in out)

    def group_grid(self, group: tuple[int, ...]) -> tuple[int, int, int, int]:
        """(L_j, N_j, G, N_g) of a group: band-limit, directions, and the SO(3) grid's."""
        if not self.multiresolution:
            N = self.N
            return (self.L, N, self.oversample * self.L, 1 if N == 1 else 2 * N - 1)
        index = group[0]
        return (
            self.filters.bandlimits[index],
            self.filters.directions[index],
            self.grid_bandlimit(index),
            self.grid_directions(index),
        )

    @property
    def streamed(self) -> bool:
        """True when all moduli come from one streamed recursion (N = 1, no kernels, several
        grids).  Its transforms are ``linear_call`` pairs, which JAX cannot ``vmap``: batches
        of fields then go through ``lax.map`` instead (:func:`map_fields`)."""
        return self.N == 1 and self.kernels is None and len(self.groups) > 1

    @property
    def kernel_nbytes(self) -> int:
        """Bytes held by the precomputed kernels (0 for the on-the-fly method)."""
        return sum(int(k.nbytes) for k in self.kernels or ())

    @property
    def pairs(self) -> np.ndarray:
        """(P, 2) scale indices (i1, i2), i2 ≤ i1, of S3[λ1, λ2] (indices into ``scales``)."""
        J = self.n_scales
        return np.array([(i1, i2) for i1 in range(J) for i2 in range(i1 + 1)], dtype=np.int32)

    @property
    def triples(self) -> np.ndarray:
        """(T, 3) scale indices (i1, i2, i3), i3 ≤ i1 ≤ i2, of S4[λ1, λ2, λ3] (stored once)."""
        J = self.n_scales
        rows = [(a, b, c) for a in range(J) for b in range(a, J) for c in range(a + 1)]
        return np.array(rows, dtype=np.int32)

    def grid_bandlimit(self, index: int) -> int:
        """Band-limit of the grid on which |f ⋆ ψ_j| of scale ``index`` is sampled."""
        return self.oversample * self.filters.bandlimits[index]

    def grid_directions(self, index: int) -> int:
        """Directions of that grid: 2N_j − 1, so that |f ⋆ ψ_j|² is also exact in γ."""
        return 2 * self.filters.directions[index] - 1


def _positive_int(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value}")
    return int(value)


def make_scattering(
    L: int,
    N: int = 1,
    J_min: int = 0,
    lam: float = 2.0,
    *,
    oversample: int = 2,
    harmonics: int = 1,
    reality: bool = True,
    nonlinearity: str = "square",
    epsilon: float = 0.0,
    multiresolution: bool = True,
    method: str = "jax",
    family: str = "scale_discretised",
    filters: s2w.Filters | None = None,
) -> Scattering:
    """Build the scattering operator for band-limit L with N directions.

    Parameters
    ----------
    L : band-limit of the fields.
    N : azimuthal band-limit of the wavelets (1 = axisymmetric).
    J_min, lam, family : wavelet scales and family, as :func:`physml.s2wav.filters`.
    oversample : the envelope of f ⋆ ψ_j is sampled on a grid that projects functions of
        band-limit ``oversample · L_j`` onto ℓ < L_j exactly; 2 (the default) makes
        |f ⋆ ψ_j|² alias-free, larger values reduce the aliasing of the plain modulus.
    harmonics : Fourier harmonics k = 0 … K−1 of the orientation kept in S3/S4 (K ≤ N).
    reality : the fields are real (the usual case).
    nonlinearity : the envelope M_λ that replaces |W_λ| in S1, S3 and S4.  ``"square"`` (the
        default): M_λ = |W_λ|² / sqrt(S2_λ), with S2_λ the field's own ⟨|W_λ|²⟩.  It has
        band-limit 2L_λ, so on the default grid (``oversample=2``) every statistic is an exact,
        rotation-invariant function of the field (S1 is then sqrt(S2) and carries nothing new;
        S3 and S4 become third- and fourth-order wavelet moments).  ``"modulus"``: the
        scattering modulus |W_λ| (Mallat 2012), more robust to outliers but not band-limited:
        its sampling aliases, and S1, S3, S4 change by ~1e-3–1e-2 under rotations (see the
        package README for measured numbers).
    epsilon : with ``nonlinearity="modulus"``, smooths it to sqrt(|w|² + ε² S2_j) (0, the
        default, is the plain modulus |w|).  Its aliasing decreases with ``oversample`` and ε.
    multiresolution : see :class:`Scattering`.
    method : ``"jax"`` (on the fly, O(L²) memory) or ``"precompute"`` (N = 1 only: a
        (L_j, n_θ, L_j) Legendre kernel per scale, n_θ ≈ (oversample + 1) L_j / 2, built once
        here; about 8× faster; :attr:`Scattering.kernel_nbytes` reports their size).
    filters : pre-built :class:`physml.s2wav.Filters` (spin 0) to use instead.

    Returns
    -------
    :class:`Scattering`.

    Raises
    ------
    ValueError : fewer than two wavelet scales (S3/S4 need pairs of scales), bad oversample
        or harmonics, filters of another L/N or with spin.

    Examples
    --------
    >>> op = make_scattering(32, N=1, J_min=2)                          # doctest: +SKIP
    """
    if filters is None:
        filters = s2w.filters(L, N=N, J_min=J_min, lam=lam, family=family)
    elif not isinstance(filters, s2w.Filters):
        raise TypeError(f"filters must be physml.s2wav.Filters, got {type(filters).__name__}")
    elif (filters.L, filters.N) != (L, N) or filters.spin != 0 or filters.spin0 != 0:
        raise ValueError(
            f"filters were built for L={filters.L}, N={filters.N}, spin={filters.spin}, "
            f"spin0={filters.spin0} but L={L}, N={N}, spin 0 was asked for"
        )
    n_scales = len(filters.bandlimits)
    if n_scales < 2:
        raise ValueError(
            f"S3/S4 need at least 2 wavelet scales, but L={L}, J_min={filters.J_min}, "
            f"lam={filters.lam} give {n_scales}; lower J_min or raise L"
        )
    oversample = _positive_int(oversample, "oversample")
    harmonics = _positive_int(harmonics, "harmonics")
    if harmonics > N:
        raise ValueError(f"harmonics must be ≤ N={N}, got {harmonics}")
    for name, flag in (("reality", reality), ("multiresolution", multiresolution)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a finite number ≥ 0, got {epsilon}")
    if nonlinearity not in ("square", "modulus"):
        raise ValueError(f"nonlinearity must be 'square' or 'modulus', got {nonlinearity!r}")
    if epsilon and nonlinearity != "modulus":
        raise ValueError("epsilon > 0 smooths nonlinearity='modulus'; pass that too")
    if method not in ("jax", "precompute"):
        raise ValueError(f"method must be 'jax' or 'precompute', got {method!r}")
    if method == "precompute" and N != 1:
        raise ValueError(f"method='precompute' needs N=1 (axisymmetric wavelets), got N={N}")
    ell = np.arange(L)
    psi2 = jnp.sum(jnp.abs(filters.psi) ** 2, axis=-1)
    power = psi2 * jnp.asarray(8 * np.pi**2 / (2 * ell + 1), psi2.dtype)
    op = Scattering(
        filters,
        power,
        jnp.asarray(epsilon, psi2.dtype),
        None,
        oversample,
        harmonics,
        reality,
        multiresolution,
        nonlinearity,
    )
    if method == "jax":
        return op
    bandlimits = tuple(op.group_grid(group)[0] for group in op.groups)
    return dataclasses.replace(op, kernels=_sphere.legendre_kernels(bandlimits, oversample))


def map_fields(fn, op: Scattering):
    """``fn`` mapped over a leading axis: ``vmap``, or ``lax.map`` where ``op.streamed``."""
    if op.streamed:
        return lambda *xs: jax.lax.map(lambda args: fn(*args), xs)
    return jax.vmap(fn)
