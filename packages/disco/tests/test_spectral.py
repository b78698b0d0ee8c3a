"""Harmonic-space checks: DISCO vs the spectral convolution, spectral resampling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import physml.disco as pd
import physml.s2fft as s2
from physml.core import sampling

L_SIGNAL = 8


def _flm(L, seed=0):
    """A real signal's coefficients band-limited at min(L, L_SIGNAL), zero-padded to L."""
    band = min(L, L_SIGNAL)
    flm = s2.random_flm(jax.random.PRNGKey(seed), band, jnp.ones(band))
    return np.pad(np.asarray(flm), ((0, L - band), (L - band, L - band)))


def _spectral_error(L, basis, sampling_name, cutoff=0.5):
    """max |DISCO(f) − Σ λ_ℓ f_ℓm Y_ℓm| / max |Σ λ_ℓ f_ℓm Y_ℓm| over the grid and the K filters."""
    flm = _flm(L)
    f = s2.inverse(flm, L, sampling=sampling_name, reality=True)
    op = pd.build(L, sampling_name, basis=basis, theta_cutoff=cutoff, normalization="none")
    out = pd.conv(op, f[None], np.eye(basis.size)[:, None, :])
    lam = pd.spectral.filter_eigenvalues(basis, cutoff, L)
    ref = s2.inverse(lam[:, :, None] * flm, L, sampling=sampling_name, reality=True)
    return float(jnp.max(jnp.abs(out - ref)) / jnp.max(jnp.abs(ref)))


@pytest.mark.parametrize(
    ("basis", "sampling_name", "min_order"),
    [
        (pd.FilterBasis("zernike", (3,)), "mwss", 2.5),
        pytest.param(pd.FilterBasis("zernike", (3,)), "gl", 2.5, marks=pytest.mark.slow),
        pytest.param(pd.FilterBasis("piecewise_linear", (3,)), "dh", 1.5, marks=pytest.mark.slow),
    ],
)
def test_isotropic_disco_converges_to_the_harmonic_space_convolution(
    basis, sampling_name, min_order
):
    # Funk–Hecke: an isotropic filter multiplies f_ℓm by λ_ℓ; the DISCO quadrature error
    # falls at the order set by the filter's smoothness (C¹ taper: ≈ 3, kinked hats: ≈ 2).
    errors = np.array([_spectral_error(L, basis, sampling_name) for L in (16, 32, 64)])
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all(orders >= min_order), (errors, orders)
    assert errors[-1] < 3e-3, errors


def test_filter_eigenvalues_match_closed_forms():
    # cone ψ = 1 − r/c:  λ_0 = 2π ∫_0^c (1 − r/c) sin r dr = 2π (1 − sin c / c).
    c = 0.7
    lam = pd.spectral.filter_eigenvalues(pd.FilterBasis("piecewise_linear", (1,)), c, 3)
    np.testing.assert_allclose(lam[0, 0], 2 * np.pi * (1 - np.sin(c) / c), rtol=1e-14)
    # λ_1 = 2π ∫_0^c (1 − r/c) cos r sin r dr = π (1/2 − sin(2c) / (4c)).
    lam1 = np.pi * (0.5 - np.sin(2 * c) / (4 * c))
    np.testing.assert_allclose(lam[0, 1], lam1, rtol=1e-14)
    with pytest.raises(ValueError, match="basis must be an isotropic FilterBasis"):
        pd.spectral.filter_eigenvalues(pd.FilterBasis("piecewise_linear", (2, 3)), c, 3)
    with pytest.raises(ValueError, match=r"theta_cutoff must lie in \(0, π\]"):
        pd.spectral.filter_eigenvalues(pd.FilterBasis("piecewise_linear", (2,)), 0.0, 3)


PAIRS = [
    # (L_in, sampling_in, nside_in, L_out, sampling_out, nside_out)
    (8, "mwss", None, 6, "gl", None),
    (6, "mw", None, 8, "dh", None),
    (8, "gl", None, 8, "mw", None),
    (6, "dh", None, 6, "healpix", 2),
]


@pytest.mark.parametrize("pair", PAIRS, ids=["mwss-gl-down", "mw-dh-up", "gl-mw", "dh-healpix"])
def test_resampling_is_exact_for_band_limited_signals_and_its_adjoint_is_exact(pair):
    L_in, s_in, n_in, L_out, s_out, n_out = pair
    kwargs = {"sampling_in": s_in, "sampling_out": s_out, "nside_in": n_in, "nside_out": n_out}
    flm = _flm(L_in, seed=1)
    f = s2.inverse(flm, L_in, sampling=s_in, nside=n_in, reality=True)
    out = pd.resample(f, L_in, L_out, **kwargs)
    # the independent reference: synthesise the kept coefficients directly on the output grid
    L = min(L_in, L_out)
    kept = np.pad(flm[:L, L_in - L : L_in + L - 1], ((0, L_out - L), (L_out - L, L_out - L)))
    ref = s2.inverse(kept, L_out, sampling=s_out, nside=n_out, reality=True)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12 * float(jnp.max(jnp.abs(ref))))
    # ⟨resample(x), y⟩ = ⟨x, resample_adjoint(y)⟩ for random (not band-limited) x and y
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, *sampling.f_shape(L_in, s_in, n_in)))
    y = rng.standard_normal((2, *sampling.f_shape(L_out, s_out, n_out)))
    lhs = jnp.vdot(pd.resample(x, L_in, L_out, **kwargs), y)
    back = pd.resample_adjoint(y, L_in, L_out, **kwargs)
    assert back.shape == x.shape
    assert abs(lhs - jnp.vdot(x, back)) <= 1e-12 * float(jnp.linalg.norm(x) * jnp.linalg.norm(y))


def test_spectral_resample_module_round_trips_and_differentiates():
    # upsampling keeps every coefficient, so downsampling back recovers a band-limited signal
    layer = pd.SpectralResample(L_in=6, L_out=10, sampling_in="gl")
    f = s2.inverse(_flm(6, seed=3), 6, sampling="gl", reality=True)
    back = pd.resample(layer(f), 10, 6, sampling_in="gl")
    np.testing.assert_allclose(back, f, atol=1e-12)
    grad = nnx.grad(lambda m, x: jnp.sum(m(x) ** 2), argnums=1)(layer, f)
    assert grad.shape == f.shape
    y = np.random.default_rng(4).standard_normal(sampling.f_shape(10, "gl"))
    np.testing.assert_allclose(jnp.vdot(layer(f), y), jnp.vdot(f, layer.adjoint(y)), rtol=1e-12)


def test_resampling_rejects_bad_input():
    with pytest.raises(ValueError, match=r"f has shape \(9, 15\) but sampling='mwss' with L=8"):
        pd.resample(np.ones((9, 15)), 8, 4, sampling_in="mwss")
    with pytest.raises(TypeError, match="f must have a real floating dtype"):
        pd.resample(np.ones((9, 16), np.int32), 8, 4, sampling_in="mwss")
    with pytest.raises(ValueError, match=r"g has shape \(3, 3\) but sampling='gl' with L=4"):
        pd.resample_adjoint(np.ones((3, 3)), 8, 4, sampling_in="mwss", sampling_out="gl")
    with pytest.raises(ValueError, match="nside"):
        pd.resample(np.ones((9, 16)), 8, 4, sampling_in="mwss", sampling_out="healpix")
