"""The ``"ducc"`` method: ducc0's CPU transforms (Reinecke et al.) called from JAX.

ducc0 (an optional extra) transforms real fields in healpy's convention: spin-0 maps from
Hermitian coefficients, and for spin s > 0 a real pair (Q, U) with Q + iU = Σ −(G + iC) sY_ℓm
from Hermitian gradient/curl coefficients (G, C).  Any complex spin-s field maps onto that:

- s ≥ 0: G = −(a + a*)/2, C = −(a − a*)/(2i) with a*_ℓm = (−1)^m conj a_{ℓ,−m}, so −(G + iC)
  = a; for s = 0 the real and imaginary parts are two Hermitian spin-0 sets.
- s < 0: conj(f) has spin −s and coefficients (−1)^{s+m} conj f_{ℓ,−m}.

Geometries: mw → "MW", mwss → "CC" (L+1 rings), dh → "F1" (2L rings), gl → "GL".  The call
runs on the host through ``jax.pure_callback`` (so it works under ``jit`` and ``vmap``), and
``jax.custom_vjp`` gives reverse-mode derivatives through physml's exact adjoint transforms.
Forward-mode (``jvp``) is not available for this method.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import indexing

from . import _spherical

GEOMETRY = {"mw": "MW", "mwss": "CC", "dh": "F1", "gl": "GL"}


def _ducc():
    try:
        import ducc0
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("method='ducc' needs ducc0: pip install 'physml-s2fft[ducc]'") from err
    return ducc0.sht.experimental


def _star(a: np.ndarray, L: int) -> np.ndarray:
    """a*_ℓm = (−1)^m conj a_{ℓ,−m}."""
    return (-1.0) ** np.arange(-(L - 1), L) * np.conj(a[..., ::-1])


def _healpy(a: np.ndarray, L: int) -> np.ndarray:
    return np.asarray(indexing.flm_to_healpy(a, L))


def _dense(alm: np.ndarray, L: int) -> np.ndarray:
    return np.asarray(indexing.healpy_to_flm(alm, L))


def _geometry(L, sampling):
    return {"lmax": L - 1, "geometry": GEOMETRY[sampling], "nthreads": 0}


def _inverse_one(flm, L, spin, sampling, shape):
    sht = _ducc()
    a = flm if spin >= 0 else (-1.0) ** spin * _star(flm, L)
    s = abs(spin)
    geo = _geometry(L, sampling) | {"ntheta": shape[0], "nphi": shape[1]}
    if s == 0:
        parts = [(a + _star(a, L)) / 2, (a - _star(a, L)) / 2j]
        maps = [sht.synthesis_2d(alm=_healpy(p, L)[None], spin=0, **geo)[0] for p in parts]
        f = maps[0] + 1j * maps[1]
    else:
        grad, curl = -(a + _star(a, L)) / 2, -(a - _star(a, L)) / 2j
        q, u = sht.synthesis_2d(alm=np.stack([_healpy(grad, L), _healpy(curl, L)]), spin=s, **geo)
        f = q + 1j * u
    return f if spin >= 0 else np.conj(f)


def _forward_one(f, L, spin, sampling):
    sht = _ducc()
    g = f if spin >= 0 else np.conj(f)
    s = abs(spin)
    geo = _geometry(L, sampling)
    if s == 0:
        re, im = (
            sht.analysis_2d(map=np.ascontiguousarray(p)[None], spin=0, **geo)[0]
            for p in (g.real, g.imag)
        )
        a = _dense(re, L) + 1j * _dense(im, L)
    else:
        maps = np.ascontiguousarray(np.stack([g.real, g.imag]))
        grad, curl = sht.analysis_2d(map=maps, spin=s, **geo)
        a = -(_dense(grad, L) + 1j * _dense(curl, L))
    return a if spin >= 0 else (-1.0) ** spin * _star(a, L)


def _batched(fn, x, core_ndim, out_shape, dtype):
    x = np.asarray(x)
    batch = x.shape[: x.ndim - core_ndim]
    flat = x.reshape(-1, *x.shape[x.ndim - core_ndim :])
    out = np.stack([fn(item) for item in flat]) if flat.shape[0] else np.zeros((0, *out_shape))
    return out.reshape(*batch, *out_shape).astype(dtype)


@partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _inverse_core(flm, L, spin, sampling):
    from physml.core.sampling import f_shape

    shape = f_shape(L, sampling)
    out = jax.ShapeDtypeStruct((*flm.shape[:-2], *shape), flm.dtype)
    host = partial(_inverse_one, L=L, spin=spin, sampling=sampling, shape=shape)
    return jax.pure_callback(
        lambda x: _batched(host, x, 2, shape, out.dtype), out, flm, vmap_method="expand_dims"
    )


def _inverse_fwd(flm, L, spin, sampling):
    return _inverse_core(flm, L, spin, sampling), None


def _inverse_bwd(L, spin, sampling, _, ct):
    from ._transforms import _inverse_adjoint

    adj = _inverse_adjoint(jnp.conj(ct), spin, L=L, sampling=sampling, nside=0)
    return (jnp.conj(adj),)


_inverse_core.defvjp(_inverse_fwd, _inverse_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _forward_core(f, L, spin, sampling):
    shape = (L, 2 * L - 1)
    out = jax.ShapeDtypeStruct((*f.shape[:-2], *shape), f.dtype)
    host = partial(_forward_one, L=L, spin=spin, sampling=sampling)
    return jax.pure_callback(
        lambda x: _batched(host, x, 2, shape, out.dtype), out, f, vmap_method="expand_dims"
    )


def _forward_fwd(f, L, spin, sampling):
    return _forward_core(f, L, spin, sampling), None


def _forward_bwd(L, spin, sampling, _, ct):
    from ._transforms import _forward_adjoint

    adj = _forward_adjoint(jnp.conj(ct), spin, L=L, sampling=sampling, nside=0, iter=0)
    return (jnp.conj(adj),)


_forward_core.defvjp(_forward_fwd, _forward_bwd)


def _check_sampling(sampling):
    if sampling not in GEOMETRY:
        raise ValueError(f"method='ducc' supports sampling in {tuple(GEOMETRY)}, got {sampling!r}")


def inverse(flm, *, L, spin, sampling, nside, reality):
    """Inverse transform by ducc0 (validated complex ``flm``)."""
    _check_sampling(sampling)
    f = _inverse_core(flm, L, spin, sampling)
    return f.real if reality else f


def forward(f, *, L, spin, sampling, nside, reality, iter):
    """Forward transform by ducc0 (exact on these samplings, so ``iter`` only refines rounding)."""
    _check_sampling(sampling)
    x = f.astype(jnp.result_type(f.dtype, jnp.complex64))
    flm = _forward_core(x, L, spin, sampling)
    for _ in range(iter):
        flm = flm + _forward_core(x - _inverse_core(flm, L, spin, sampling), L, spin, sampling)
    return _spherical.hermitian_fill(flm[..., L - 1 :], L) if reality else flm
