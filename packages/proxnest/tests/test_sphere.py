import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

import physml.proxnest as pn
import physml.s2wav as s2wav  # the test extra installs the sphere extra's physml-s2wav
from physml import s2fft
from physml.proxnest import sphere

L = 8


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_real_coordinates_are_an_isometry_onto_real_band_limited_fields():
    r = jnp.asarray(_rng().normal(size=(3, L * L)))
    flm = sphere.real_to_flm(r, L)
    np.testing.assert_allclose(jnp.linalg.norm(flm, axis=(1, 2)), jnp.linalg.norm(r, axis=1))
    for f_lm, r_i in zip(flm, r):
        # The complex inverse transform of the Hermitian f_ℓm is a real map (physml-s2fft).
        f = s2fft.inverse(f_lm, L)
        assert float(jnp.max(jnp.abs(f.imag))) < 1e-13 * float(jnp.max(jnp.abs(f)))
        back = sphere.flm_to_real(s2fft.forward(f.real, L, reality=True), L)
        np.testing.assert_allclose(back, r_i, atol=1e-12)


@pytest.mark.parametrize(("sampling", "nside"), [("mw", None), ("mwss", None), ("healpix", 4)])
def test_spherical_wavelet_adjoint_is_exact(sampling, nside):
    W = sphere.SphericalWavelet.create(L, N=2, J_min=1, sampling=sampling, nside=nside)
    r = jnp.asarray(_rng(1).normal(size=W.in_shape))
    c = jnp.asarray(_rng(2).normal(size=W.out_shape))
    lhs, rhs = jnp.vdot(W.forward(r), c), jnp.vdot(r, W.adjoint(c))
    assert float(abs(lhs - rhs)) <= 1e-12 * float(jnp.linalg.norm(W.forward(r)) * 10)


def test_spherical_wavelet_equals_s2wav_analysis_of_the_map():
    W = sphere.SphericalWavelet.create(L, N=3, J_min=1)
    r = jnp.asarray(_rng(3).normal(size=W.in_shape))
    f = s2fft.inverse(sphere.real_to_flm(r, L), L, reality=True)
    wav, scal = s2wav.analysis(f, L, N=3, J_min=1, reality=True)
    ref = jnp.concatenate([w.ravel() for w in wav] + [scal.ravel()])
    np.testing.assert_allclose(W.forward(r), ref, atol=1e-12)


def test_masked_sphere_adjoint_and_bad_masks():
    mask = _rng(4).random((L, 2 * L - 1)) < 0.6
    M = sphere.MaskedSphere.create(mask, L)
    r = jnp.asarray(_rng(5).normal(size=M.in_shape))
    y = jnp.asarray(_rng(6).normal(size=M.out_shape))
    assert M.out_shape == (int(mask.sum()),)
    assert float(abs(jnp.vdot(M.forward(r), y) - jnp.vdot(r, M.adjoint(y)))) < 1e-11
    with pytest.raises(ValueError, match=r"mask must be a boolean array of shape \(8, 15\)"):
        sphere.MaskedSphere.create(mask[:, :-1], L)
    with pytest.raises(ValueError, match="mask observes no pixel"):
        sphere.MaskedSphere.create(np.zeros_like(mask), L)


def _dense(op):
    n = op.in_shape[0]
    return np.asarray(jax.vmap(op.forward)(jnp.eye(n))).T


def test_spherical_prox_matches_a_generic_solver_of_its_dual():
    # prox_{t‖W·‖₁}(x) = x − Wᵀu*, u* = argmin_{‖u‖∞ ≤ t} ½‖x − Wᵀu‖² (Fenchel dual), solved
    # here by scipy's L-BFGS-B on the box, independently of our dual FISTA.
    W = sphere.SphericalWavelet.create(L, N=1, J_min=1)
    prior = sphere.spherical_laplace_prior(W, mu=1.0, n_iter=3000)
    x = jnp.asarray(_rng(7).normal(size=W.in_shape))
    t = 0.05
    ours = np.asarray(jax.jit(lambda v: prior.prox(v, t))(x))
    A = _dense(W)

    def dual(u):
        z = np.asarray(x) - A.T @ u
        return 0.5 * z @ z, -(A @ z)

    res = optimize.minimize(
        dual, np.zeros(A.shape[0]), jac=True, method="L-BFGS-B", bounds=[(-t, t)] * A.shape[0],
        options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-12},
    )  # fmt: skip
    ref = np.asarray(x) - A.T @ res.x
    assert np.max(np.abs(ref - np.asarray(x))) > 10 * t * 1e-3  # the prox does something
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_spherical_prox_gradient_is_the_moreau_envelope_gradient():
    # ∇M_λf(x) = (x − prox_λf(x))/λ, M_λf(x) = min_z f(z) + ‖z − x‖²/2λ (Moreau 1965).
    W = sphere.SphericalWavelet.create(L, N=1, J_min=1)
    prior = sphere.spherical_laplace_prior(W, mu=2.0, n_iter=3000)
    lam = 0.05
    prox = jax.jit(lambda v: prior.prox(v, lam))

    def envelope(v):
        p = prox(v)
        return float(prior.neg_log_density(p) + jnp.sum((p - v) ** 2) / (2 * lam))

    x = jnp.asarray(_rng(8).normal(size=W.in_shape))
    grad = np.asarray(-prior.drift(x, lam))
    h = 1e-5
    for i in (0, 5, 17, 40, 63):
        e = jnp.zeros_like(x).at[i].set(h)
        fd = (envelope(x + e) - envelope(x - e)) / (2 * h)
        assert fd == pytest.approx(grad[i], abs=2e-4 * max(1.0, abs(grad[i])))


@pytest.mark.slow  # ~1 CPU-minute, nearly all compilation of the s2wav transforms in the loops
def test_sampling_a_masked_sky_with_the_spherical_wavelet_prior():
    W = sphere.SphericalWavelet.create(L, N=1, J_min=1)
    prior = sphere.spherical_laplace_prior(W, mu=1.0, n_iter=5)
    mask = _rng(9).random((L, 2 * L - 1)) < 0.8
    M = sphere.MaskedSphere.create(mask, L)
    truth = jnp.asarray(_rng(10).normal(size=M.in_shape)) * 0.5
    sigma = 0.3
    y = M.forward(truth) + sigma * jnp.asarray(_rng(11).normal(size=M.out_shape))
    res = pn.sample(
        jax.random.key(0), y, M, sigma, prior, n_live=12, batch=3, n_steps=8,
        n_burn_rounds=3, dlogz=0.2, progress=False,
    )  # fmt: skip
    assert np.isfinite(res.ln_z)
    # The reported error is the prior-volume spread, of the size √(H/N).
    assert 0.3 < res.sigma_ln_z / np.sqrt(res.information / res.n_live) < 3
    # The posterior mean explains the data to the noise level (χ²/m ≈ 1, with m ≈ 90 pixels).
    chi2 = float(jnp.sum((y - M.forward(jnp.asarray(res.posterior_mean))) ** 2)) / sigma**2
    assert chi2 / M.out_shape[0] < 2.0
    assert 0.1 < res.acceptance < 0.95


def test_missing_s2wav_raises_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "physml.s2wav", None)
    with pytest.raises(ImportError, match=r"pip install 'physml-proxnest\[sphere\]'"):
        sphere.SphericalWavelet.create(L)
