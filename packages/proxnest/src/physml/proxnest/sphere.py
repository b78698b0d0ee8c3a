r"""Spherical wavelet sparsity priors and masked sky observations (optional: physml-s2wav).

Images on the sphere are represented by the real harmonic coordinates
:math:`r \in \mathbb R^{L^2}` of a real band-limited field (the orthonormal real spherical
harmonic basis): with :math:`r_{\ell m}` at index :math:`\ell^2 + \ell + m`,

.. math::

    f_{\ell 0} = r_{\ell 0},\quad f_{\ell m} = \frac{r_{\ell m} + i\,r_{\ell,-m}}{\sqrt 2},\quad
    f_{\ell,-m} = (-1)^m \overline{f_{\ell m}}\quad (m > 0),

so :math:`\|r\|_2 = \|f\|_2` and i.i.d. :math:`\mathcal N(0, 1)` coordinates are a white
field. In these coordinates the directional scale-discretised wavelet analysis
:math:`W` (McEwen et al. 2018; physml-s2wav) is injective, so the sparsity prior
:math:`\pi(r) \propto \exp(-\mu\|W r\|_1)` is proper — on the pixels of an MW map it would
be flat along the :math:`L(L-1)` directions that are not band-limited.

:class:`SphericalWavelet` is ``W`` as a :class:`~physml.proxnest.LinearOperator` (any
sampling of the wavelet coefficients that physml-s2wav supports, adjoint by reverse-mode
differentiation, exact to rounding); :func:`spherical_laplace_prior` wraps it in a
:class:`~physml.proxnest.LaplaceWaveletPrior` whose prox is computed by dual FISTA (the
frame is redundant, so there is no closed form) and whose Metropolis correction uses the
exact density. :class:`MaskedSphere` observes the field's map at a subset of pixels.

Needs the ``sphere`` extra: ``pip install physml-proxnest[sphere]``. Importing this module
does not; building the operators does.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from physml.proxnest._validation import check_int, check_positive
from physml.proxnest.operators import LinearOperator, operator_norm
from physml.proxnest.priors import LaplaceWaveletPrior

_HINT = "pip install 'physml-proxnest[sphere]'"


def _s2wav():
    try:
        import physml.s2wav as s2wav
    except ImportError as err:
        raise ImportError(
            f"physml.proxnest.sphere needs physml-s2wav (and physml-s2fft): {_HINT}"
        ) from err
    return s2wav


def _s2fft():
    _s2wav()
    from physml import s2fft

    return s2fft


def _real_layout(L: int):
    """Gather indices and weights of ``real_to_flm`` on the ``(L, 2L − 1)`` grid."""
    ell = np.arange(L)[:, None]
    m = np.arange(-(L - 1), L)[None, :]
    k = np.abs(m)
    valid = k <= ell
    base = ell * ell + ell
    i_re = np.where(valid, base + k, 0)
    i_im = np.where(valid, base - k, 0)
    sign = np.where(m < 0, (-1.0) ** k, 1.0)
    a = np.where(m == 0, 1.0, sign * np.sqrt(0.5)) * valid
    b = np.where(m == 0, 0.0, np.where(m > 0, 1.0, -sign) * np.sqrt(0.5)) * valid
    return i_re, i_im, a, b


def real_to_flm(r: jax.Array, L: int) -> jax.Array:
    """Real harmonic coordinates ``(..., L²)`` -> Hermitian ``f_ℓm`` ``(..., L, 2L − 1)``."""
    i_re, i_im, a, b = _real_layout(L)
    return a * r[..., i_re] + 1j * (b * r[..., i_im])


def flm_to_real(flm: jax.Array, L: int) -> jax.Array:
    """Inverse of :func:`real_to_flm` on the ``f_ℓm`` of real fields: ``(..., L²)``."""
    ell = np.repeat(np.arange(L), 2 * np.arange(L) + 1)
    m = np.concatenate([np.arange(-n, n + 1) for n in range(L)])
    pos = flm[..., ell, L - 1 + np.abs(m)]
    return jnp.where(m == 0, pos.real, np.sqrt(2.0) * jnp.where(m > 0, pos.real, pos.imag))


def _adjoint_by_vjp(forward, in_shape, y):
    """``Φ†y`` of a real-linear ``forward`` from its vector–Jacobian product."""
    zeros = jnp.zeros(in_shape, jnp.real(y).dtype)
    return jax.vjp(forward, zeros)[1](y)[0]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class SphericalWavelet(LinearOperator):
    r"""Directional wavelet analysis :math:`W r` of the real field with coordinates ``r``.

    The output concatenates the (real) wavelet coefficients of every scale and the scaling
    coefficients, sampled as :func:`physml.s2wav.flm_to_analysis` samples them
    (``sampling``, ``nside``, multiresolution). ``W`` is injective but redundant, neither
    orthonormal nor tight in this Euclidean coefficient norm.

    Shapes: ``forward`` ``(L²,) -> (n_coefficients,)``; ``adjoint`` the reverse.
    """

    filters: object
    sampling: str = dataclasses.field(metadata={"static": True})
    nside: int | None = dataclasses.field(metadata={"static": True})
    n_coefficients: int = dataclasses.field(metadata={"static": True})

    @classmethod
    def create(
        cls,
        L: int,
        N: int = 1,
        J_min: int = 0,
        lam: float = 2.0,
        sampling: str = "mw",
        nside: int | None = None,
    ) -> SphericalWavelet:
        """Scale-discretised wavelets of band-limit ``L`` with ``N`` directions."""
        s2wav = _s2wav()
        L = check_int(L, "L", minimum=2)
        filt = s2wav.filters(L, N=N, J_min=J_min, lam=lam)
        wav, scal = s2wav.coefficient_shapes(filt, sampling, nside)
        n = sum(math.prod(s) for s in wav) + math.prod(scal)
        return cls(filters=filt, sampling=sampling, nside=nside, n_coefficients=n)

    @property
    def L(self) -> int:
        return self.filters.L

    @property
    def in_shape(self) -> tuple[int, ...]:
        return (self.L**2,)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.n_coefficients,)

    def forward(self, r: jax.Array) -> jax.Array:
        filt = self.filters
        wav, scal = _s2wav().flm_to_analysis(
            real_to_flm(r, filt.L),
            filt.L,
            N=filt.N,
            J_min=filt.J_min,
            lam=filt.lam,
            sampling=self.sampling,
            nside=self.nside,
            reality=True,
            filters=filt,
        )
        return jnp.concatenate([w.ravel() for w in wav] + [scal.ravel()])

    def adjoint(self, c: jax.Array) -> jax.Array:
        return _adjoint_by_vjp(self.forward, self.in_shape, c)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MaskedSphere(LinearOperator):
    r"""Pixels of the real band-limited map with coordinates ``r``: :math:`\Phi r = (I f)_\Omega`.

    ``I`` is the inverse spherical harmonic transform (physml-s2fft) onto ``sampling``;
    ``Ω`` the flat indices of the observed pixels. Shapes: ``(L²,) -> (|Ω|,)``.
    """

    indices: jax.Array
    L: int = dataclasses.field(metadata={"static": True})
    sampling: str = dataclasses.field(metadata={"static": True})
    nside: int | None = dataclasses.field(metadata={"static": True})

    @classmethod
    def create(cls, mask, L: int, sampling: str = "mw", nside: int | None = None):
        """From a boolean mask of the map's shape (``True`` = observed)."""
        from physml.core import sampling as sph

        _s2fft()
        L = check_int(L, "L", minimum=2)
        mask = np.asarray(mask)
        shape = sph.f_shape(L, sampling, nside)
        if mask.dtype != bool or mask.shape != shape:
            raise ValueError(
                f"mask must be a boolean array of shape {shape} (sampling={sampling!r}, L={L}),"
                f" got {mask.dtype} {mask.shape}"
            )
        if not mask.any():
            raise ValueError("mask observes no pixel")
        return cls(jnp.asarray(np.flatnonzero(mask)), L, sampling, nside)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return (self.L**2,)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (int(self.indices.shape[0]),)

    def to_map(self, r: jax.Array) -> jax.Array:
        """The full map of the field with coordinates ``r``."""
        flm = real_to_flm(r, self.L)
        return _s2fft().inverse(flm, self.L, sampling=self.sampling, nside=self.nside, reality=True)

    def forward(self, r: jax.Array) -> jax.Array:
        return self.to_map(r).reshape(-1)[self.indices]

    def adjoint(self, y: jax.Array) -> jax.Array:
        return _adjoint_by_vjp(self.forward, self.in_shape, y)


def spherical_laplace_prior(
    wavelet: SphericalWavelet,
    mu: float,
    *,
    key: jax.Array | None = None,
    n_iter: int = 50,
) -> LaplaceWaveletPrior:
    r"""The sparsity prior :math:`\pi(r) \propto \exp(-\mu\|W r\|_1)` in spherical wavelets.

    Its prox :math:`\mathrm{prox}_{\lambda\mu\|W\cdot\|_1}` is computed by ``n_iter``
    iterations of dual FISTA (:func:`physml.proxnest.prox_l1`) with step :math:`1/\|W\|^2`;
    :math:`\|W\|^2` comes from power iteration, enlarged by 1 % because power iteration
    approaches it from below. With ``correction="mh"`` (the default of :func:`sample` for this
    prior) an inexact prox only changes the proposal, never the target.

    Args:
        wavelet: the analysis operator.
        mu: :math:`\mu > 0`.
        key: PRNG key of the power iteration (default ``jax.random.key(0)``).
        n_iter: dual iterations per prox.
    """
    check_positive(mu, "mu")
    n_iter = check_int(n_iter, "n_iter")
    key = jax.random.key(0) if key is None else key
    norm = float(operator_norm(wavelet, key, n_iter=100))
    return LaplaceWaveletPrior(jnp.asarray(mu, float), wavelet, 1.01 * norm**2, n_iter)
