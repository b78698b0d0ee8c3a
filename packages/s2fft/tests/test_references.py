"""Agreement with established libraries: s2fft, pyssht, ducc0 and healpy (test extras).

Convention differences found and documented here:

- s2fft, pyssht: none (same spin sign, Condon–Shortley phase, sample positions, layout).
- ducc0 ``sht.experimental`` (healpy convention): spin-s maps are a real pair (Q, U) from a
  gradient/curl pair (G, C) of real-field coefficients; Q + iU equals our spin-2 inverse of
  f_ℓm = −(G_ℓm + i C_ℓm).  Geometries: ducc "GL" = gl, "F1" (nθ = 2L) = dh, "MW" = mw,
  "CC" (nθ = L+1) = mwss.
- healpy: ``alm`` holds m ≥ 0 of a real field (see physml.core.indexing); same phases.
"""

import itertools
from functools import partial

import numpy as np
import pytest
from _signals import random_flm, to_healpy, to_ssht

import physml.s2fft as s2
from physml.core import sampling as core_sampling

EXACT = ("mw", "mwss", "dh", "gl")
SPINS = (-3, -1, 0, 2, 3)


@pytest.mark.parametrize("sampling", EXACT)
def test_inverse_and_forward_equal_established_s2fft(sampling):
    s2fft = pytest.importorskip("s2fft")
    L = 8
    for spin in SPINS:
        flm = random_flm(L, spin, seed=20 + spin)
        ref = s2fft.inverse(flm, L, spin=spin, sampling=sampling, method="numpy")
        f = s2.inverse(flm, L, spin=spin, sampling=sampling)
        assert np.max(np.abs(f - ref)) < 1e-10, spin
        ref_lm = s2fft.forward(np.asarray(f), L, spin=spin, sampling=sampling, method="numpy")
        assert np.max(np.abs(s2.forward(f, L, spin=spin, sampling=sampling) - ref_lm)) < 1e-10


def test_healpix_inverse_equals_established_s2fft_for_spin_0():
    # s2fft 1.5's HEALPix spin != 0 numpy path disagrees with healpy.alm2map_spin by O(1);
    # we agree with healpy there (next tests), so spin 0 is compared with s2fft.
    s2fft = pytest.importorskip("s2fft")
    nside, L = 4, 8
    flm = random_flm(L, 0, seed=30)
    ref = s2fft.inverse(flm, L, spin=0, nside=nside, sampling="healpix", method="numpy")
    f = s2.inverse(flm, L, sampling="healpix", nside=nside)
    assert np.max(np.abs(f - ref)) < 1e-10


@pytest.mark.parametrize("sampling", ["mw", "mwss", "dh", "gl"])
def test_inverse_and_forward_equal_pyssht(sampling):
    pyssht = pytest.importorskip("pyssht")
    L = 8
    method = sampling.upper()
    # ssht's DH and GL maps differ from both s2fft and ours by ~5e-12 (which agree to 1e-14).
    tol = 1e-12 if sampling in ("mw", "mwss") else 1e-10
    for spin in (0, 2, -1):
        flm = random_flm(L, spin, seed=40 + spin)
        ref = pyssht.inverse(to_ssht(flm, L), L, Spin=spin, Method=method)
        f = s2.inverse(flm, L, spin=spin, sampling=sampling)
        assert np.max(np.abs(f - ref)) < tol
        ref_lm = pyssht.forward(np.asarray(f), L, Spin=spin, Method=method)
        back = s2.forward(f, L, spin=spin, sampling=sampling)
        assert np.max(np.abs(to_ssht(np.asarray(back), L) - ref_lm)) < tol


DUCC_GEOMETRY = {"gl": "GL", "dh": "F1", "mw": "MW", "mwss": "CC"}


@pytest.mark.parametrize("sampling", ["gl", "dh", "mw"])
def test_spin_0_and_2_equal_ducc0(sampling):
    ducc0 = pytest.importorskip("ducc0")
    L = 8
    ntheta, nphi = core_sampling.f_shape(L, sampling)
    grad, curl = random_flm(L, reality=True, seed=1), random_flm(L, reality=True, seed=2)
    grad[:2], curl[:2] = 0, 0
    alm = np.stack([to_healpy(grad, L), to_healpy(curl, L)])
    geometry = {"lmax": L - 1, "geometry": DUCC_GEOMETRY[sampling]}
    shape = {"ntheta": ntheta, "nphi": nphi}
    sht = ducc0.sht.experimental
    q_u = sht.synthesis_2d(alm=alm, spin=2, **geometry, **shape)
    f = s2.inverse(-(grad + 1j * curl), L, spin=2, sampling=sampling)
    assert np.max(np.abs(f - (q_u[0] + 1j * q_u[1]))) < 1e-12
    temperature = sht.synthesis_2d(alm=alm[:1], spin=0, **geometry, **shape)[0]
    t = s2.inverse(grad, L, sampling=sampling, reality=True)
    assert np.max(np.abs(t - temperature)) < 1e-12
    # ducc's exact analysis (its own quadrature) against ours.
    ducc_alm = sht.analysis_2d(map=np.asarray(temperature)[None], spin=0, **geometry)[0]
    ours = s2.forward(t, L, sampling=sampling, reality=True)
    assert np.max(np.abs(to_healpy(np.asarray(ours), L) - ducc_alm)) < 1e-12
    # The adjoint of synthesis is ducc's adjoint_synthesis_2d, our inverse_adjoint.
    ducc_adj = sht.adjoint_synthesis_2d(map=np.asarray(temperature)[None], spin=0, **geometry)[0]
    ours_adj = s2.inverse_adjoint(t, L, sampling=sampling, reality=True)
    assert np.max(np.abs(to_healpy(np.asarray(ours_adj), L) - ducc_adj)) < 1e-11


def test_healpix_inverse_equals_healpy_alm2map():
    healpy = pytest.importorskip("healpy")
    nside = 8
    L = 2 * nside
    flm = random_flm(L, reality=True, seed=50)
    f = s2.inverse(flm, L, sampling="healpix", nside=nside, reality=True)
    ref = healpy.alm2map(to_healpy(flm, L), nside, lmax=L - 1)
    assert np.max(np.abs(f - ref)) < 1e-12


def test_healpix_spin_2_inverse_equals_healpy_alm2map_spin():
    healpy = pytest.importorskip("healpy")
    nside = 4
    L = 2 * nside
    grad, curl = random_flm(L, reality=True, seed=52), random_flm(L, reality=True, seed=53)
    grad[:2], curl[:2] = 0, 0
    q, u = healpy.alm2map_spin([to_healpy(grad, L), to_healpy(curl, L)], nside, 2, L - 1)
    f = s2.inverse(-(grad + 1j * curl), L, spin=2, sampling="healpix", nside=nside)
    assert np.max(np.abs(f - (q + 1j * u))) < 1e-12


def test_healpix_iterations_beat_healpy_map2alm_and_keep_improving():
    healpy = pytest.importorskip("healpy")
    nside = 8
    L = 2 * nside
    flm = random_flm(L, reality=True, seed=51)
    f = s2.inverse(flm, L, sampling="healpix", nside=nside, reality=True)
    errors = []
    for iters in range(5):
        ours = s2.forward(f, L, sampling="healpix", nside=nside, reality=True, iter=iters)
        errors.append(float(np.max(np.abs(ours - flm))))
    ref3 = healpy.map2alm(np.asarray(f), lmax=L - 1, iter=3)
    healpy_error = float(np.max(np.abs(ref3 - to_healpy(flm, L))))
    assert errors[3] <= healpy_error
    assert all(b < 0.5 * a for a, b in itertools.pairwise(errors)), errors


@pytest.mark.parametrize("sampling", ["mw", "mwss", "dh", "gl"])
def test_ducc_method_equals_jax_method_with_gradients(sampling):
    pytest.importorskip("ducc0")
    import jax
    import jax.numpy as jnp

    L = 8
    for spin, reality in ((0, True), (0, False), (2, False), (-1, False)):
        flm = random_flm(L, spin, reality=reality, batch=(2,), seed=90 + spin)
        kw = {"L": L, "spin": spin, "sampling": sampling, "reality": reality}
        f = s2.inverse(flm, **kw)
        np.testing.assert_allclose(s2.inverse(flm, method="ducc", **kw), f, atol=1e-12)
        back = jax.jit(lambda x, kw=kw: s2.forward(x, method="ducc", **kw))(f)
        assert np.max(np.abs(back - flm)) < 1e-12

    def loss(method):
        return lambda x: jnp.sum(jnp.abs(s2.inverse(x, L, 2, sampling, method=method)) ** 2)

    flm = random_flm(L, 2, seed=99)
    np.testing.assert_allclose(jax.grad(loss("ducc"))(flm), jax.grad(loss("jax"))(flm), atol=1e-12)


def test_ducc_callbacks_in_place_and_returned_agree_under_vmap():
    # On CPU ducc0 writes XLA's buffers in place; the pure_callback route (used on other
    # platforms) must give the same maps and coefficients, batched and vmapped.
    pytest.importorskip("ducc0")
    import jax

    from physml.s2fft import _ducc

    L, spin = 8, -2
    flm = random_flm(L, spin, batch=(3,), seed=100)
    f = s2.inverse(flm, L, spin)
    host = partial(_ducc._inverse_one, L=L, spin=spin, sampling="mw", nside=0, reality=False)
    out = jax.ShapeDtypeStruct(f.shape, f.dtype)
    for in_place in (True, False):
        call = partial(_ducc._callback, host, out_struct=out, core_ndim=2, in_place=in_place)
        np.testing.assert_allclose(jax.jit(call)(flm), f, atol=1e-12)
        one = jax.ShapeDtypeStruct(f.shape[1:], f.dtype)
        single = partial(_ducc._callback, host, out_struct=one, core_ndim=2, in_place=in_place)
        np.testing.assert_allclose(jax.vmap(single)(flm), f, atol=1e-12)
    mapped = jax.vmap(lambda x: s2.forward(x, L, spin, method="ducc"))(f)
    np.testing.assert_allclose(mapped, flm, atol=1e-12)


@pytest.mark.parametrize(("spin", "reality"), [(0, True), (0, False), (2, False), (-1, False)])
def test_ducc_method_on_healpix_equals_jax_method(spin, reality):
    """HEALPix through ducc0's general ring geometry: same map, same quadrature, same iterations."""
    pytest.importorskip("ducc0")
    import jax
    import jax.numpy as jnp

    nside = 4
    L = 2 * nside
    flm = random_flm(L, spin, reality=reality, seed=120 + spin)
    kw = {"L": L, "spin": spin, "sampling": "healpix", "nside": nside, "reality": reality}
    f = s2.inverse(flm, **kw)
    np.testing.assert_allclose(s2.inverse(flm, method="ducc", **kw), f, atol=1e-12)
    for iters in (0, 2):
        ours = jax.jit(lambda x, i=iters: s2.forward(x, iter=i, method="ducc", **kw))(f)
        np.testing.assert_allclose(ours, s2.forward(f, iter=iters, **kw), atol=1e-12)

    def loss(method):
        def fn(x):
            g = s2.inverse(x, L, spin, "healpix", nside, method=method)
            return jnp.sum(jnp.abs(s2.forward(g, L, spin, "healpix", nside, method=method)) ** 2)

        return fn

    grads = [jax.grad(loss(method))(flm) for method in ("ducc", "jax")]
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)
