"""Coefficient layouts against healpy's own indexing."""

import healpy as hp
import jax
import numpy as np
import pytest

from physml.core import indexing


def _random_dense(rng, L, real=False):
    flm = rng.standard_normal((L, 2 * L - 1)) + 1j * rng.standard_normal((L, 2 * L - 1))
    flm = np.where(indexing.valid_mask(L), flm, 0)
    if real:
        m = np.arange(-(L - 1), L)
        flm = np.where(m >= 0, flm, ((-1.0) ** m) * np.conj(flm[:, ::-1]))
        flm[:, L - 1] = flm[:, L - 1].real
    return flm


@pytest.mark.parametrize("L", [1, 2, 7, 32])
def test_compact_layout_round_trips_and_uses_ell_squared_index(L):
    rng = np.random.default_rng(L)
    flm = _random_dense(rng, L)
    compact = indexing.flm_2d_to_1d(flm, L)
    assert compact.shape == (L * L,)
    for ell in range(L):
        for m in (-ell, 0, ell):
            assert compact[ell * ell + ell + m] == flm[ell, L - 1 + m]
    np.testing.assert_array_equal(indexing.flm_1d_to_2d(compact, L), flm)


def test_elm2ind_and_ind2elm_are_inverse():
    ind = np.arange(400)
    ell, m = indexing.ind2elm(ind)
    np.testing.assert_array_equal(indexing.elm2ind(ell, m), ind)
    assert indexing.ind2elm(8) == (2, 2)


@pytest.mark.parametrize("L", [1, 3, 16])
def test_healpy_ordering_equals_healpy_getidx(L):
    lmax = L - 1
    ell, m = hp.Alm.getlm(lmax)
    np.testing.assert_array_equal(indexing.healpy_index(L, ell, m), np.arange(ell.size))
    assert indexing.healpy_size(L) == hp.Alm.getsize(lmax)


@pytest.mark.parametrize("L", [2, 9])
def test_healpy_conversion_round_trips_real_signal_coefficients(L):
    rng = np.random.default_rng(0)
    flm = _random_dense(rng, L, real=True)
    alm = indexing.flm_to_healpy(flm, L)
    ell, m = hp.Alm.getlm(L - 1)
    np.testing.assert_array_equal(alm, flm[ell, L - 1 + m])
    np.testing.assert_allclose(indexing.healpy_to_flm(alm, L), flm, atol=0)


def test_healpy_conversion_matches_a_real_map_transformed_by_healpy():
    """The negative orders filled by reality are those of a real map's coefficients."""
    nside, L = 4, 8
    rng = np.random.default_rng(1)
    alm = hp.map2alm(rng.standard_normal(12 * nside**2), lmax=L - 1, iter=0)
    flm = np.asarray(indexing.healpy_to_flm(alm, L))
    m = np.arange(-(L - 1), L)
    np.testing.assert_allclose(flm[:, ::-1] * (-1.0) ** m, np.conj(flm), atol=1e-15)


def test_layout_conversions_batch_and_jit():
    L = 5
    rng = np.random.default_rng(2)
    batch = np.stack([_random_dense(rng, L) for _ in range(3)])
    out = jax.jit(indexing.flm_2d_to_1d, static_argnums=1)(batch, L)
    assert out.shape == (3, L * L)
    np.testing.assert_array_equal(indexing.flm_1d_to_2d(out, L), batch)


def test_layout_errors_name_the_expected_shape():
    with pytest.raises(ValueError, match=r"flm has shape \(4, 4\) but L=4 needs \(\.\.\., 4, 7\)"):
        indexing.flm_2d_to_1d(np.zeros((4, 4)), 4)
    with pytest.raises(ValueError, match="healpy ordering with L=4 needs"):
        indexing.healpy_to_flm(np.zeros(9, complex), 4)
    with pytest.raises(ValueError, match="compact layout with L=3 needs"):
        indexing.flm_1d_to_2d(np.zeros(8), 3)
