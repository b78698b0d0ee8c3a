"""The ``"ducc"`` method: ducc0's CPU transforms (Reinecke et al.) called from JAX.

ducc0 (an optional extra) transforms real fields in healpy's convention: spin-0 maps from
Hermitian coefficients, and for spin s > 0 a real pair (Q, U) with Q + iU = Σ −(G + iC) sY_ℓm
from Hermitian gradient/curl coefficients (G, C).  Any complex spin-s field maps onto that:

- s ≥ 0: G = −(a + a*)/2, C = −(a − a*)/(2i) with a*_ℓm = (−1)^m conj a_{ℓ,−m}, so −(G + iC)
  = a; for s = 0 the real and imaginary parts are two Hermitian spin-0 sets.
- s < 0: conj(f) has spin −s and coefficients (−1)^{s+m} conj f_{ℓ,−m}.

Geometries: mw → "MW", mwss → "CC" (L+1 rings), dh → "F1" (2L rings), gl → "GL", and HEALPix
through ducc0's general ring description (``Healpix_Base(nside, "RING").sht_info()``); its
forward transform is the adjoint synthesis of the map times physml's ring weights, refined
``iter`` times, exactly as the ``"jax"`` method.  A real spin-0 signal (``reality=True``) costs
one ducc0 transform; a complex one two.  The call
runs on the host through a JAX callback (so it works under ``jit`` and ``vmap``), and
``jax.custom_vjp`` gives reverse-mode derivatives through physml's exact adjoint transforms.
Forward-mode (``jvp``) is not available for this method.

No map is copied on the host: on CPU ducc0 reads XLA's input buffers and writes XLA's output
buffers in place (``jax.experimental.buffer_callback``), the real and imaginary parts of
complex maps through strided views, and reads the coefficients of a real field from
physml's dense (L, 2L−1) layout in place (its ``mstart``/``lstride`` addressing of the
orders m ≥ 0).
"""

from __future__ import annotations

from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental.buffer_callback import buffer_callback

from physml.core import quadrature as _core_quadrature

from . import _spherical

GEOMETRY = {"mw": "MW", "mwss": "CC", "dh": "F1", "gl": "GL"}
SAMPLINGS = (*GEOMETRY, "healpix")


def _ducc():
    try:
        import ducc0
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("method='ducc' needs ducc0: pip install 'physml-s2fft[ducc]'") from err
    return ducc0


@lru_cache(maxsize=16)
def _index(L: int) -> dict[str, np.ndarray]:
    """Flat positions of healpy's m-major ordering (m ≥ 0, ℓ ≥ m) in physml's layouts.

    ``plus`` / ``minus``: (ℓ, L−1 ± m) in the dense (L, 2L−1) layout; ``sign``: (−1)^m per
    alm.
    """
    m = np.concatenate([np.full(L - j, j) for j in range(L)])
    ell = np.concatenate([np.arange(j, L) for j in range(L)])
    out = {
        "plus": ell * (2 * L - 1) + L - 1 + m,
        "minus": ell * (2 * L - 1) + L - 1 - m,
        "sign": (-1.0) ** m,
    }
    for a in out.values():
        a.setflags(write=False)
    return out


@lru_cache(maxsize=16)
def _layout(L: int, width: int) -> dict:
    """ducc0's addressing of a_ℓm (m ≥ 0) in a flat (L, width) array whose column of order m
    is ``width − L + m``: index ``mstart[m] + ℓ · lstride``.  ``width`` 2L−1 is physml's
    dense layout, L the block of orders m ≥ 0 of a real field."""
    mstart = (width - L + np.arange(L)).astype(np.uint64)
    mstart.setflags(write=False)
    return {"mstart": mstart, "lstride": width}


def _parts(z: np.ndarray) -> np.ndarray:
    """(2, …) real and imaginary parts of a C-contiguous complex array, as a strided view."""
    return np.moveaxis(z.view(z.real.dtype).reshape(*z.shape, 2), -1, 0)


@lru_cache(maxsize=16)
def _healpix_geometry(nside: int) -> dict:
    """ducc0's ring description of HEALPix (RING order) and the per-pixel quadrature weights."""
    info = _ducc().healpix.Healpix_Base(nside, "RING").sht_info()
    nphi = info["nphi"].astype(np.int64)
    weights = np.repeat(_core_quadrature.weights(2 * nside, "healpix", nside), nphi)
    return info | {"weights": weights}


def _synthesis(alm, L, spin, sampling, nside, out, **layout):
    """ducc0 synthesis of (ncomp, ·) coefficients into the real maps ``out`` (ncomp, *shape),
    which may be strided views; ``layout``: ``mstart``/``lstride`` (default healpy order)."""
    sht = _ducc().sht.experimental
    if sampling == "healpix":
        geo = {k: v for k, v in _healpix_geometry(nside).items() if k != "weights"}
        return sht.synthesis(alm=alm, spin=spin, lmax=L - 1, nthreads=0, map=out, **geo, **layout)
    geometry = GEOMETRY[sampling]
    kw = {"alm": alm, "spin": spin, "lmax": L - 1, "nthreads": 0, "geometry": geometry}
    return sht.synthesis_2d(map=out, **kw, **layout)


def _analysis(maps, L, spin, sampling, nside, **layout):
    """ducc0 analysis of (ncomp, *shape) real maps (strided views allowed) → (ncomp, nalm)
    in healpy order: exact on MW/MWSS/DH/GL; on HEALPix the adjoint synthesis of the map
    times physml's ring quadrature weights.  ``layout``: ``alm`` (written in place) with
    ``mstart``/``lstride`` (default healpy order)."""
    sht = _ducc().sht.experimental
    kw = {"spin": spin, "lmax": L - 1, "nthreads": 0, **layout}
    if sampling == "healpix":
        geo = dict(_healpix_geometry(nside))
        weighted = maps * geo.pop("weights")
        return sht.adjoint_synthesis(map=weighted, **kw, **geo)
    return sht.analysis_2d(map=maps, geometry=GEOMETRY[sampling], **kw)


def _signed_pair(flm, L, spin):
    """(a at +m, a at −m) in healpy order for a = f (s ≥ 0) or (−1)^s f* (s < 0).

    Everything is done on the L(L+1)/2 entries of healpy's ordering, never on dense copies.
    """
    index = _index(L)
    flat = flm.reshape(-1)
    plus, minus = np.take(flat, index["plus"]), np.take(flat, index["minus"])
    if spin >= 0:
        return plus, minus
    sign = (-1.0) ** spin * index["sign"]  # a_{ℓm} = (−1)^{s+m} conj f_{ℓ,−m}
    return sign * np.conj(minus), sign * np.conj(plus)


def _assemble(plus, minus, L, spin, out):
    """Write a at ±m (healpy order) into the flat dense (L·(2L−1),) zeroed ``out``, undoing
    the s < 0 conjugation."""
    index = _index(L)
    if spin < 0:
        sign = (-1.0) ** spin * index["sign"]
        plus, minus = sign * np.conj(minus), sign * np.conj(plus)
    out[index["minus"]] = minus
    out[index["plus"]] = plus


def _inverse_one(flm, out, L, spin, sampling, nside, reality):
    """Synthesis of one (L, 2L−1) ``flm`` into the map ``out`` (written in place)."""
    flm = np.ascontiguousarray(flm)
    if reality:  # a real spin-0 map from the orders m ≥ 0, read in place: one transform
        _synthesis(flm.reshape(1, -1), L, 0, sampling, nside, out[None], **_layout(L, 2 * L - 1))
        return
    plus, minus = _signed_pair(flm, L, spin)
    star = _index(L)["sign"] * np.conj(minus)  # a*_ℓm = (−1)^m conj a_{ℓ,−m}
    parts = _parts(out)  # ducc0 writes the real and imaginary parts in place
    s = abs(spin)
    if s == 0:  # real and imaginary parts: two Hermitian sets
        _synthesis(((plus + star) / 2)[None], L, 0, sampling, nside, parts[:1])
        _synthesis((-0.5j * (plus - star))[None], L, 0, sampling, nside, parts[1:])
    else:  # −(G + iC) = a
        alm = np.stack([-(plus + star) / 2, 0.5j * (plus - star)])
        _synthesis(alm, L, s, sampling, nside, parts)
    if spin < 0:
        np.negative(parts[1], out=parts[1])  # f = conj of the spin −s field


def _forward_one(f, out, L, spin, sampling, nside, reality):
    """Analysis of one map ``f`` into ``out``: (L, L) orders m ≥ 0 with ``reality``, else the
    dense (L, 2L−1) layout (written in place)."""
    f = np.ascontiguousarray(f)
    flat = out.reshape(-1)
    flat.fill(0)  # ducc0 writes ℓ ≥ m only
    if reality:  # a real map: one transform, written into the (L, L) block in place
        _analysis(f[None], L, 0, sampling, nside, alm=flat[None], **_layout(L, L))
        return
    g = f if spin >= 0 else np.conj(f)
    parts = _parts(g)  # ducc0 reads the real and imaginary parts in place
    s = abs(spin)
    if s == 0:
        re, im = (_analysis(p[None], L, 0, sampling, nside)[0] for p in parts)
        plus = re + 1j * im
    else:
        grad, curl = _analysis(parts, L, s, sampling, nside)
        plus, re, im = -(grad + 1j * curl), -grad, -curl
    minus = _index(L)["sign"] * (np.conj(re) + 1j * np.conj(im))  # a_{ℓ,−m} from Hermitian sets
    _assemble(plus, minus, L, spin, flat)


def _host(fn, x, out_struct: jax.ShapeDtypeStruct, core_ndim: int):
    """``fn(x_i, out_i)`` for every transform of a batch, run on the host by ducc0.

    On CPU ducc0 reads XLA's input buffer and writes XLA's output buffer in place
    (``buffer_callback``), with no map-sized copy: ``pure_callback`` copies the returned map
    into XLA's freshly allocated buffer, 6 ms of a 26 ms spin-2 synthesis at L = 512.
    Elsewhere (a GPU) ``pure_callback`` moves the arrays to and from the host.
    """
    call = partial(_callback, fn, out_struct=out_struct, core_ndim=core_ndim)
    return jax.lax.platform_dependent(
        x, cpu=partial(call, in_place=True), default=partial(call, in_place=False)
    )


def _callback(fn, x, *, out_struct, core_ndim: int, in_place: bool):
    """:func:`_host` through ``buffer_callback`` (``in_place``, CPU only) or ``pure_callback``."""
    out_ndim = len(out_struct.shape) - (x.ndim - core_ndim)

    def run(x, out):
        xs = x.reshape(-1, *x.shape[x.ndim - core_ndim :])
        outs = out.reshape(-1, *out.shape[out.ndim - out_ndim :])
        for one, into in zip(xs, outs, strict=True):
            fn(one, into)

    if in_place:

        def write(ctx, out, x):
            run(np.asarray(x), np.asarray(out))

        return buffer_callback(write, out_struct, vmap_method="expand_dims")(x)

    def returned(x):
        x = np.asarray(x)
        core = out_struct.shape[len(out_struct.shape) - out_ndim :]
        out = np.empty((*x.shape[: x.ndim - core_ndim], *core), out_struct.dtype)
        run(x, out)
        return out

    return jax.pure_callback(returned, out_struct, x, vmap_method="expand_dims")


_STATIC = (1, 2, 3, 4, 5)  # L, spin, sampling, nside, reality


@partial(jax.custom_vjp, nondiff_argnums=_STATIC)
def _inverse_core(flm, L, spin, sampling, nside, reality):
    from physml.core.sampling import f_shape

    shape = f_shape(L, sampling, nside or None)
    dtype = flm.real.dtype if reality else flm.dtype
    out = jax.ShapeDtypeStruct((*flm.shape[:-2], *shape), dtype)
    host = partial(_inverse_one, L=L, spin=spin, sampling=sampling, nside=nside, reality=reality)
    return _host(host, flm, out, 2)


def _inverse_fwd(flm, L, spin, sampling, nside, reality):
    return _inverse_core(flm, L, spin, sampling, nside, reality), None


def _inverse_bwd(L, spin, sampling, nside, reality, _, ct):
    from ._transforms import _inverse_adjoint

    ct = ct.astype(jnp.result_type(ct.dtype, jnp.complex64))  # a real map's cotangent is real
    adj = _inverse_adjoint(jnp.conj(ct), spin, L=L, sampling=sampling, nside=nside)
    return (jnp.conj(adj),)


_inverse_core.defvjp(_inverse_fwd, _inverse_bwd)


@partial(jax.custom_vjp, nondiff_argnums=_STATIC)
def _forward_core(f, L, spin, sampling, nside, reality):
    from physml.core.sampling import f_shape

    ndim = len(f_shape(L, sampling, nside or None))
    shape = (L, L) if reality else (L, 2 * L - 1)
    dtype = jnp.result_type(f.dtype, jnp.complex64)
    out = jax.ShapeDtypeStruct((*f.shape[: f.ndim - ndim], *shape), dtype)
    host = partial(_forward_one, L=L, spin=spin, sampling=sampling, nside=nside, reality=reality)
    flm = _host(host, f, out, ndim)
    return _spherical.hermitian_fill(flm, L) if reality else flm


def _forward_fwd(f, L, spin, sampling, nside, reality):
    return _forward_core(f, L, spin, sampling, nside, reality), None


def _forward_bwd(L, spin, sampling, nside, reality, _, ct):
    from ._transforms import _forward_adjoint

    adj = jnp.conj(
        _forward_adjoint(jnp.conj(ct), spin, L=L, sampling=sampling, nside=nside, iter=0)
    )
    return (adj.real if reality else adj,)  # a real map (reality) has a real cotangent


_forward_core.defvjp(_forward_fwd, _forward_bwd)


def _check_sampling(sampling):
    if sampling not in SAMPLINGS:
        raise ValueError(f"method='ducc' supports sampling in {SAMPLINGS}, got {sampling!r}")


def inverse(flm, *, L, spin, sampling, nside, reality):
    """Inverse transform by ducc0 (validated complex ``flm``)."""
    _check_sampling(sampling)
    return _inverse_core(flm, L, spin, sampling, nside or 0, reality)


def forward(f, *, L, spin, sampling, nside, reality, iter):
    """Forward transform by ducc0: exact on MW/MWSS/DH/GL (``iter`` only refines rounding);
    on HEALPix physml's ring quadrature, refined ``iter`` times like the ``"jax"`` method."""
    _check_sampling(sampling)
    nside = nside or 0
    x = f if reality else f.astype(jnp.result_type(f.dtype, jnp.complex64))
    flm = _forward_core(x, L, spin, sampling, nside, reality)
    for _ in range(iter):
        approx = _inverse_core(flm, L, spin, sampling, nside, reality)
        flm = flm + _forward_core(x - approx, L, spin, sampling, nside, reality)
    return flm
