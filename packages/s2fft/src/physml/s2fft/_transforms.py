"""Public spin spherical harmonic transforms: validation, method dispatch and adjoints."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import sampling as _sampling
from physml.core.validation import (
    as_complex,
    check_finite,
    check_hermitian,
    geometry_context,
    validate_dtype,
    validate_geometry,
    validate_shape,
    validate_spin,
)

from . import _precompute, _spherical

METHODS: tuple[str, ...] = ("jax", "precompute", "ducc")


def _options(L, spin, sampling, nside, reality, method):
    L, sampling, nside = validate_geometry(L, sampling, nside)
    spin = validate_spin(spin, L)
    if not isinstance(reality, bool | np.bool_):
        raise TypeError(f"reality must be True or False, got {reality!r}")
    if reality and spin != 0:
        raise ValueError(
            f"reality=True describes a real signal, which needs spin=0, got spin={spin}"
        )
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {METHODS}")
    return L, spin, sampling, nside


def _check_flm(flm, L, reality):
    validate_shape(flm, (L, 2 * L - 1), name="flm", context=f"L={L}", batch_ok=True)
    validate_dtype(flm, name="flm")
    check_finite(flm, name="flm")
    if reality:
        check_hermitian(flm, L)
    return as_complex(flm)


def _check_f(f, L, sampling, nside, reality):
    shape = _sampling.f_shape(L, sampling, nside or None)
    validate_shape(f, shape, name="f", context=geometry_context(L, sampling, nside), batch_ok=True)
    validate_dtype(f, name="f")
    check_finite(f, name="f")
    f = jnp.asarray(f)
    if reality:
        if jnp.iscomplexobj(f):
            raise TypeError("reality=True needs a real signal f, got a complex array")
        return f
    return as_complex(f)


def inverse(
    flm: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    method: str = "jax",
    precomps: _precompute.Kernels | None = None,
) -> jax.Array:
    """Inverse spin spherical harmonic transform f = Σ_ℓm f_ℓm sY_ℓm.

    .. math:: f(θ_t, φ_p) = Σ_{ℓ<L} Σ_{|m|≤ℓ} f_{ℓm}\\,(−1)^s \\sqrt{(2ℓ+1)/4π}\\,
              d^ℓ_{m,−s}(θ_t)\\, e^{imφ_p}

    streamed over ℓ with the Wigner-d recursion of :mod:`physml.core.wigner`, then one ring
    FFT (McEwen & Wiaux 2011; Price & McEwen 2024).

    Parameters
    ----------
    flm : (..., L, 2L−1) complex coefficients ``flm[..., ℓ, L−1+m]``; leading axes batch.
    L : band-limit (static).
    spin : spin weight s, |s| < L (static).
    sampling : ``"mw" | "mwss" | "dh" | "gl" | "healpix"``.
    nside : HEALPix resolution (HEALPix only; L ≤ 3 nside).
    reality : the signal is real (spin 0); flm must be Hermitian, f_{ℓ,−m} = (−1)^m conj f_ℓm.
    method : ``"jax"`` (on the fly, O(L²) memory), ``"precompute"`` (needs ``precomps``) or
        ``"ducc"`` (ducc0 on the host via a JAX callback that writes XLA's buffers in place
        on CPU, optional extra; every sampling, HEALPix included; reverse-mode derivatives
        only).
    precomps : :func:`precompute_kernels` output for ``method="precompute"``.

    Returns
    -------
    (..., *f_shape(L, sampling, nside)) signal, real if ``reality`` else complex.

    Examples
    --------
    >>> flm = jnp.zeros((8, 15), complex).at[2, 7 + 1].set(1.0)   # Y_{2,1}
    >>> f = inverse(flm, 8, sampling="gl")                        # doctest: +SKIP
    """
    L, spin, sampling, nside = _options(L, spin, sampling, nside, reality, method)
    flm = _check_flm(flm, L, reality)
    if method == "precompute":
        p = _precompute.check_kernels(precomps, L, spin, sampling, nside, reality)
        return _precompute.inverse_precompute(flm, p)
    if method == "ducc":
        from . import _ducc

        return _ducc.inverse(flm, L=L, spin=spin, sampling=sampling, nside=nside, reality=reality)
    return _spherical.inverse_jax(flm, spin, L=L, sampling=sampling, nside=nside, reality=reality)


def forward(
    f: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    method: str = "jax",
    precomps: _precompute.Kernels | None = None,
    iter: int = 0,
) -> jax.Array:
    """Forward spin spherical harmonic transform f_ℓm = ∫ f sY*_ℓm dΩ.

    Exact (to rounding) for signals band-limited at L on MW, MWSS, DH and GL, every spin: after
    the ring FFT the integrand is a polynomial of degree ≤ 2L−2 in cos θ, integrated by
    Gauss–Legendre/Driscoll–Healy rules, with MW/MWSS ring profiles first interpolated exactly
    on the torus onto Driscoll–Healy rings (see :mod:`physml.s2fft._quadrature`).  HEALPix
    has no exact rule: its ring quadrature is refined ``iter`` times by Jacobi iteration,
    f_ℓm ← f_ℓm + forward(f − inverse(f_ℓm)) (as healpy's ``map2alm(iter=...)``).

    Parameters
    ----------
    f : (..., *f_shape(L, sampling, nside)) signal; leading axes batch.  Real if ``reality``.
    L, spin, sampling, nside, reality, method, precomps : as in :func:`inverse`.
    iter : number of Jacobi refinements (static; useful for HEALPix).

    Returns
    -------
    (..., L, 2L−1) complex ``flm[..., ℓ, L−1+m]``.
    """
    L, spin, sampling, nside = _options(L, spin, sampling, nside, reality, method)
    if not isinstance(iter, int) or isinstance(iter, bool) or iter < 0:
        raise ValueError(f"iter must be an integer >= 0, got {iter!r}")
    f = _check_f(f, L, sampling, nside, reality)
    if method == "precompute":
        p = _precompute.check_kernels(precomps, L, spin, sampling, nside, reality)
        return _precompute.forward_precompute(f, p, iter=iter)
    if method == "ducc":
        from . import _ducc

        return _ducc.forward(
            f, L=L, spin=spin, sampling=sampling, nside=nside, reality=reality, iter=iter
        )
    return _spherical.forward_jax(
        f, spin, L=L, sampling=sampling, nside=nside, reality=reality, iter=iter
    )


def _adjoint(fn, y, shape):
    """conj ∘ transpose ∘ conj of a C-linear map ``fn`` with input shape ``shape``."""
    (x,) = jax.linear_transpose(fn, jax.ShapeDtypeStruct(shape, y.dtype))(jnp.conj(y))
    return jnp.conj(x)


_STATIC = ("spin", "L", "sampling", "nside")


@partial(jax.jit, static_argnames=(*_STATIC, "iter"))
def _forward_adjoint(flm, spin, *, L, sampling, nside, iter):
    def fn(f):
        return _spherical.forward_jax(
            f, spin, L=L, sampling=sampling, nside=nside, reality=False, iter=iter
        )

    shape = (*flm.shape[:-2], *_sampling.f_shape(L, sampling, nside or None))
    return _adjoint(fn, flm, shape)


@partial(jax.jit, static_argnames=_STATIC)
def _inverse_adjoint(f, spin, *, L, sampling, nside):
    def fn(flm):
        return _spherical.inverse_jax(flm, spin, L=L, sampling=sampling, nside=nside, reality=False)

    batch = f.shape[: f.ndim - len(_sampling.f_shape(L, sampling, nside or None))]
    return _adjoint(fn, f, (*batch, L, 2 * L - 1))


def forward_adjoint(
    flm: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
    iter: int = 0,
) -> jax.Array:
    """Adjoint of :func:`forward`: ⟨forward(f), g⟩ = ⟨f, forward_adjoint(g)⟩ exactly.

    Obtained by transposing the on-the-fly forward transform (its ℓ-sums are registered
    primitives with analytic transposes), so it costs about one inverse transform.  With
    ``reality=True`` the real part is returned (the adjoint for the real inner product on
    real signals).

    Returns
    -------
    (..., *f_shape(L, sampling, nside)) complex (real with ``reality``).
    """
    L, spin, sampling, nside = _options(L, spin, sampling, nside, reality, "jax")
    flm = _check_flm(flm, L, False)
    out = _forward_adjoint(flm, spin, L=L, sampling=sampling, nside=nside, iter=iter)
    return out.real if reality else out


def inverse_adjoint(
    f: jax.Array,
    L: int,
    spin: int = 0,
    sampling: str = "mw",
    nside: int | None = None,
    reality: bool = False,
) -> jax.Array:
    """Adjoint of :func:`inverse`: ⟨inverse(flm), f⟩ = ⟨flm, inverse_adjoint(f)⟩ exactly.

    f_ℓm ↦ Σ_t Σ_p f(θ_t, φ_p) sY*_ℓm(θ_t, φ_p): an unweighted analysis (no quadrature).

    Returns
    -------
    (..., L, 2L−1) complex.
    """
    L, spin, sampling, nside = _options(L, spin, sampling, nside, reality, "jax")
    f = _check_f(f, L, sampling, nside, False)
    return _inverse_adjoint(f, spin, L=L, sampling=sampling, nside=nside)
