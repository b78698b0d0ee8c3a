"""Analysis and synthesis: exact reconstruction, the defining inner product, multiresolution."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _signals import random_flm, random_signal

import physml.s2fft as s2
import physml.s2wav as s2w
from physml.core import sampling as smp


def _roundtrip_error(f, L, **kw):
    coeffs = s2w.analysis(f, L, **kw)
    back = s2w.synthesis(*coeffs, L, **kw)
    return float(np.max(np.abs(np.asarray(back) - f)) / np.max(np.abs(f))), coeffs


@pytest.mark.parametrize("sampling", ["mw", "mwss", "dh", "gl"])
def test_synthesis_inverts_analysis_on_exact_samplings(sampling):
    L = 8
    f = random_signal(L, sampling, seed=3)
    err, coeffs = _roundtrip_error(f, L, N=2, sampling=sampling)
    assert err < 1e-12
    shapes, scal_shape = s2w.coefficient_shapes(s2w.filters(L, N=2), sampling)
    assert tuple(c.shape for c in coeffs.wavelet) == shapes
    assert coeffs.scaling.shape == scal_shape


def test_real_signal_with_three_directions_is_reconstructed_with_real_coefficients():
    L = 8
    f = random_signal(L, seed=4, reality=True)
    err, coeffs = _roundtrip_error(f, L, N=3, J_min=1, reality=True)
    assert err < 1e-12
    assert all(np.isrealobj(c) for c in coeffs.wavelet)
    # The real coefficients are those of the complex transform (whose imaginary part vanishes).
    full = s2w.analysis(f.astype(complex), L, N=3, J_min=1)
    for real, cplx in zip(coeffs.wavelet, full.wavelet):
        np.testing.assert_allclose(real, cplx.real, atol=1e-12)
        assert np.abs(cplx.imag).max() < 1e-12


def test_as_many_directions_as_the_band_limit():
    L = 8
    f = random_signal(L, seed=5)
    err, coeffs = _roundtrip_error(f, L, N=L)
    assert err < 1e-12
    assert coeffs.wavelet[-1].shape[0] == 2 * L - 1


@pytest.mark.parametrize("family", ["needlet", "spline"])
def test_other_families_reconstruct_exactly(family):
    L = 8
    f = random_signal(L, "gl", seed=6)
    err, _ = _roundtrip_error(f, L, N=2, sampling="gl", family=family, lam=1.6)
    assert err < 1e-12


def test_spin_signals_are_reconstructed_above_their_spin():
    L, spin = 8, 2
    f = random_signal(L, seed=7, spin=spin)
    err, _ = _roundtrip_error(f, L, N=2, spin=spin)
    assert err < 1e-12


def test_float32_round_trip():
    L = 8
    f = random_signal(L, seed=8).astype(np.complex64)
    coeffs = s2w.analysis(f, L, N=2)
    assert coeffs.wavelet[0].dtype == np.complex64
    back = s2w.synthesis(*coeffs, L, N=2)
    assert back.dtype == np.complex64
    assert np.max(np.abs(np.asarray(back) - f)) / np.max(np.abs(f)) < 1e-5


def test_healpix_round_trip_is_as_accurate_as_its_transform():
    L, nside = 8, 8
    f = random_signal(L, "healpix", nside, seed=9, reality=True)
    kw = {"sampling": "healpix", "nside": nside, "reality": True}
    err, _ = _roundtrip_error(f, L, N=2, **kw)
    sht = s2.inverse(s2.forward(f, L, **kw), L, **kw)
    sht_err = float(np.max(np.abs(np.asarray(sht) - f)) / np.max(np.abs(f)))
    print(f"healpix wavelet round trip {err:.3g}, spherical harmonic round trip {sht_err:.3g}")
    # Two approximate quadratures in a row (sphere, then each scale's SO(3) grid).
    assert err < 3 * sht_err
    assert err < 1e-2


def test_coefficients_are_inner_products_with_rotated_wavelets():
    """W^j(α, β, γ) = Σ_ℓm f_ℓm conj((R ψ^j)_ℓm), with R rotating the wavelet (Parseval)."""
    L, N = 8, 3
    flm = random_flm(L, seed=10)
    filt = s2w.filters(L, N=N)
    coeffs = s2w.flm_to_analysis(flm, L, N=N, filters=filt)
    index = 2  # scale j = 2: L_j = 8
    Lj, Nj = filt.bandlimits[index], filt.directions[index]
    psi_lm = np.zeros((L, 2 * L - 1), complex)
    psi_lm[:, L - N : L - 1 + N] = np.asarray(filt.psi[index])
    thetas, phis, gammas = smp.thetas(Lj), smp.phis(Lj), smp.gammas(Nj)
    for k, t, p in [(0, 0, 0), (1, 3, 5), (4, 7, 14), (2, 5, 9)]:
        rotated = np.asarray(s2.rotate(psi_lm, L, phis[p], thetas[t], gammas[k]))
        expected = np.sum(flm * np.conj(rotated))
        np.testing.assert_allclose(coeffs.wavelet[index][k, t, p], expected, atol=1e-12)


def test_scaling_coefficients_are_the_smoothed_signal():
    L, J_min = 16, 2
    flm = random_flm(L, seed=11)
    filt = s2w.filters(L, J_min=J_min)
    coeffs = s2w.flm_to_analysis(flm, L, J_min=J_min, filters=filt)
    Ls = filt.scaling_bandlimit
    ell = np.arange(Ls)[:, None]
    slm = flm[:Ls, L - Ls : L - 1 + Ls] * np.asarray(filt.phi[:Ls])[:, None]
    expected = s2.inverse(slm * np.sqrt(4 * np.pi / (2 * ell + 1)), Ls)
    np.testing.assert_allclose(coeffs.scaling, expected, atol=1e-13)


def test_oversampled_grid_integrates_the_squared_modulus_without_aliasing():
    """∫|W^j|² dρ = Σ (2ℓ+1)/8π² |W^j_ℓmn|² needs a grid of band-limit 2L_j − 1 at least."""
    L, N = 8, 2
    flm = random_flm(L, seed=12)
    filt = s2w.filters(L, N=N)
    fine = s2w.flm_to_analysis(flm, L, N=N, filters=filt, oversample=2)
    coarse = s2w.flm_to_analysis(flm, L, N=N, filters=filt)
    grids, _ = s2w.coefficient_bandlimits(filt, oversample=2)
    index = 2
    Lj, Nj, G = filt.bandlimits[index], filt.directions[index], grids[index]
    wlmn = s2.wigner.forward(coarse.wavelet[index], Lj, Nj)
    ell = np.arange(Lj)[None, :, None]
    parseval = float(np.sum((2 * ell + 1) / (8 * np.pi**2) * np.abs(wlmn) ** 2))

    def integral(w, band):
        power = s2.wigner.forward(jnp.abs(w) ** 2, band, Nj)
        return float(power[Nj - 1, 0, band - 1].real)

    assert abs(integral(fine.wavelet[index], G) - parseval) < 1e-12 * parseval
    assert abs(integral(coarse.wavelet[index], Lj) - parseval) > 1e-6 * parseval
    back = s2w.synthesis(*fine, L, N=N, filters=filt, oversample=2)
    np.testing.assert_allclose(back, s2.inverse(flm, L), atol=1e-12)


def test_single_resolution_layout_puts_every_scale_at_L():
    L = 8
    f = random_signal(L, seed=13)
    err, coeffs = _roundtrip_error(f, L, N=2, multiresolution=False)
    assert err < 1e-12
    assert all(c.shape == (3, L, 2 * L - 1) for c in coeffs.wavelet)
    assert coeffs.scaling.shape == (L, 2 * L - 1)


def test_harmonic_entry_points_agree_with_the_sampled_ones():
    L = 8
    flm = random_flm(L, seed=14)
    f = np.asarray(s2.inverse(flm, L))
    a = s2w.analysis(f, L, N=2)
    b = s2w.flm_to_analysis(flm, L, N=2)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(x, y, atol=1e-12)
    np.testing.assert_allclose(s2w.synthesis_to_flm(*a, L, N=2), flm, atol=1e-12)


def test_batches_jit_and_vmap_give_the_per_signal_results():
    L = 8
    fs = np.stack([random_signal(L, seed=s) for s in (15, 16)])
    batched = s2w.analysis(fs, L, N=2)
    mapped = jax.vmap(lambda f: s2w.analysis(f, L, N=2))(fs)
    jitted = jax.jit(lambda f: s2w.analysis(f, L, N=2))(fs[1])
    for i in range(2):
        single = s2w.analysis(fs[i], L, N=2)
        for x, y, z in zip(*(jax.tree_util.tree_leaves(t) for t in (single, batched, mapped))):
            np.testing.assert_allclose(y[i], x, atol=1e-13)
            np.testing.assert_allclose(z[i], x, atol=1e-13)
    for x, y in zip(jax.tree_util.tree_leaves(jitted), jax.tree_util.tree_leaves(batched)):
        np.testing.assert_allclose(x, y[1], atol=1e-13)
    back = s2w.synthesis(*batched, L, N=2)
    np.testing.assert_allclose(back, fs, atol=1e-12)


def _wigner_power(w, G, K, L_out, N_out):
    """Wigner coefficients of |w|² on its (G, K) grid, cropped to ℓ < L_out, |n| < N_out."""
    plm = np.asarray(s2.wigner.forward(jnp.abs(w) ** 2, G, K))
    return plm[K - N_out : K - 1 + N_out, :L_out, G - L_out : G - 1 + L_out]


def test_gamma_oversampling_samples_the_squared_modulus_without_aliasing():
    """|W^j|² holds the orders |n| ≤ 2N_j − 2: its Wigner coefficients are the same on every
    grid with G ≥ 2L_j and K ≥ 2N_j − 1, but aliased on the critical γ grid (K = N_j)."""
    L, N, index = 8, 3, 2
    flm = random_flm(L, seed=17)
    filt = s2w.filters(L, N=N)
    Lj, Nj = filt.bandlimits[index], filt.directions[index]
    assert s2w.coefficient_directions(filt, gamma_oversample=2, oversample=2)[index] == 2 * Nj

    def power(oversample, gamma_oversample, orders=2 * Nj - 1):
        coeffs = s2w.flm_to_analysis(
            flm, L, N=N, filters=filt, oversample=oversample, gamma_oversample=gamma_oversample
        )
        G = s2w.coefficient_bandlimits(filt, oversample)[0][index]
        K = s2w.coefficient_directions(filt, gamma_oversample, oversample)[index]
        assert coeffs.wavelet[index].shape == (2 * K - 1, G, 2 * G - 1)
        return _wigner_power(coeffs.wavelet[index], G, K, 2 * Lj, orders)

    reference = power(3, 3)
    np.testing.assert_allclose(power(2, 2), reference, atol=1e-12)
    # The critical grid holds only |n| < N_j; those orders receive the aliased |n| ≥ N_j.
    aliased = power(2, 1, orders=Nj) - reference[Nj - 1 : 3 * Nj - 2]
    assert np.abs(aliased).max() > 1e-6
    back = s2w.synthesis(
        *s2w.flm_to_analysis(flm, L, N=N, filters=filt, oversample=2, gamma_oversample=2),
        L, N=N, filters=filt, oversample=2, gamma_oversample=2,
    )  # fmt: skip
    np.testing.assert_allclose(back, s2.inverse(flm, L), atol=1e-12)
