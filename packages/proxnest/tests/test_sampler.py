import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

import physml.proxnest as pn
from physml.proxnest.analytic import dense_matrix
from physml.proxnest.sampler import check_step_size

SHAPE = (4, 4)
SIGMA = 0.5


def _data(phi, seed=0, std=1.0):
    x = std * jax.random.normal(jax.random.key(100 + seed), phi.in_shape)
    noise = SIGMA * jax.random.normal(jax.random.key(200 + seed), phi.out_shape)
    if phi.complex_output:
        noise = noise + 1j * SIGMA * jax.random.normal(jax.random.key(300 + seed), phi.out_shape)
    return phi.forward(x) + noise


def _check_evidence(res, truth):
    # Issue 7 target: |ln Z − truth| ≤ 0.5; the reported error must be of the size √(H/N).
    # With 400 live points σ(ln Z) ≈ 0.15–0.2, so 0.5 is ~3σ (150 live points: σ ≈ 0.28,
    # and one run in twelve misses 0.5 while the z-scores are calibrated).
    assert abs(res.ln_z - truth) <= 0.5
    naive = math.sqrt(res.information / res.n_live)
    assert 0.5 * naive < res.sigma_ln_z < 3 * naive


@pytest.mark.parametrize("name", ["identity", "blur", "fourier"])
def test_gaussian_evidence_matches_closed_form(name):
    phi = {
        "identity": pn.Identity(SHAPE),
        "blur": pn.Blur.create([[0.1, 0.2, 0.1], [0.2, 1.0, 0.2], [0.1, 0.2, 0.1]], SHAPE),
        "fourier": pn.MaskedFourier.create(np.random.default_rng(0).random(SHAPE) < 0.6),
    }[name]
    y = _data(phi)
    prior = pn.GaussianPrior.create(SHAPE, std=1.0)
    res = pn.sample(jax.random.key(1), y, phi, SIGMA, prior, n_live=400, progress=False)
    _check_evidence(res, pn.gaussian_ln_evidence(y, phi, SIGMA, 1.0))


def test_laplace_wavelet_evidence_matches_erfc_closed_form():
    W = pn.DaubechiesWavelet2D.create(SHAPE, order=1, levels=2)
    phi = pn.Identity(SHAPE)
    y = _data(phi, seed=3)
    prior = pn.LaplaceWaveletPrior.create(W, mu=2.0)
    res = pn.sample(jax.random.key(2), y, phi, SIGMA, prior, n_live=400, progress=False)
    _check_evidence(res, pn.laplace_ln_evidence(y, W, SIGMA, 2.0))


def test_gaussian_posterior_moments_and_intervals_match_closed_form():
    phi = pn.Blur.create([[0.1, 0.2, 0.1], [0.2, 1.0, 0.2], [0.1, 0.2, 0.1]], SHAPE)
    y = _data(phi, seed=4)
    prior = pn.GaussianPrior.create(SHAPE, std=1.0)
    res = pn.sample(jax.random.key(3), y, phi, SIGMA, prior, n_live=150, progress=False)
    A = dense_matrix(phi)
    cov = np.linalg.inv(A.T @ A / SIGMA**2 + np.eye(16))
    mean = cov @ A.T @ np.asarray(y).ravel() / SIGMA**2
    std = np.sqrt(np.diag(cov))
    # Dead points descend from copies of live points, so they are correlated and the weight ESS
    # overstates the information; 0.35 posterior std is ~4 MC errors for an ESS of ~130.
    assert np.all(np.abs(res.posterior_mean.ravel() - mean) < 0.35 * std)
    assert np.all(np.abs(res.posterior_std.ravel() / std - 1) < 0.25)
    lo, hi = res.credible_interval(0.9)
    np.testing.assert_allclose(lo.ravel(), mean - 1.645 * std, atol=0.6 * std.max())
    np.testing.assert_allclose(hi.ravel(), mean + 1.645 * std, atol=0.6 * std.max())
    assert res.samples.shape[1:] == SHAPE
    assert res.log_weights.shape == (res.samples.shape[0],)


def test_tv_prior_evidence_matches_two_dimensional_quadrature():
    # d = 2: TV(x) = |x₁ − x₀|; the prior's normaliser and Z by adaptive quadrature.
    shape, mu, std = (1, 2), 1.5, 2.0
    phi = pn.Identity(shape)
    y = jnp.array([[0.4, -0.3]])
    prior = pn.TVPrior.create(shape, mu=mu, std=std, n_iter=100)
    res = pn.sample(
        jax.random.key(4), y, phi, SIGMA, prior, n_live=150, n_burn_rounds=40, progress=False
    )

    def prior_density(b, a):
        return np.exp(-mu * abs(b - a) - (a * a + b * b) / (2 * std**2))

    def integrand(b, a):
        like = np.exp(-((a - 0.4) ** 2 + (b + 0.3) ** 2) / (2 * SIGMA**2))
        return like * prior_density(b, a)

    lim = 12.0
    norm = integrate.dblquad(prior_density, -lim, lim, -lim, lim, epsabs=1e-10)[0]
    z = integrate.dblquad(integrand, -3, 3, -3, 3, epsabs=1e-12)[0]
    assert abs(res.ln_z - math.log(z / norm)) <= 0.5


def test_checkpoint_resume_reproduces_an_uninterrupted_run(tmp_path):
    phi = pn.Identity((2, 2))
    y = _data(phi, seed=5)
    prior = pn.GaussianPrior.create((2, 2), std=1.0)
    kwargs = {"n_live": 30, "batch": 2, "chunk": 50, "progress": False, "n_steps": 10}
    full = pn.sample(jax.random.key(5), y, phi, SIGMA, prior, **kwargs)
    stem = tmp_path / "run"
    part = pn.sample(
        jax.random.key(5), y, phi, SIGMA, prior, max_iter=100, checkpoint=stem, **kwargs
    )
    assert part.n_iter == 100
    resumed = pn.sample(jax.random.key(5), y, phi, SIGMA, prior, checkpoint=stem, **kwargs)
    assert resumed.n_iter == full.n_iter
    np.testing.assert_array_equal(resumed.dead_log_likelihood, full.dead_log_likelihood)
    assert resumed.ln_z == full.ln_z
    with pytest.raises(ValueError, match="checkpoint .* has n_live=30 but this run needs 31"):
        pn.sample(
            jax.random.key(5), y, phi, SIGMA, prior, checkpoint=stem, **{**kwargs, "n_live": 31}
        )


def test_bad_inputs_raise_clear_errors():
    phi = pn.Identity(SHAPE)
    prior = pn.GaussianPrior.create(SHAPE)
    y = jnp.zeros(SHAPE)
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"y has shape \(3, 4\) but phi.out_shape needs \(4, 4\)"):
        pn.sample(key, jnp.zeros((3, 4)), phi, SIGMA, prior)
    with pytest.raises(ValueError, match=r"prior image has shape \(2, 2\) but phi.in_shape"):
        pn.sample(key, y, phi, SIGMA, pn.GaussianPrior.create((2, 2)))
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got sigma=0"):
        pn.sample(key, y, phi, 0.0, prior)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got sigma=-1"):
        pn.sample(key, y, phi, -1.0, prior)
    with pytest.raises(ValueError, match="y contains NaN"):
        pn.sample(key, y.at[0, 0].set(jnp.nan), phi, SIGMA, prior)
    with pytest.raises(TypeError, match="phi must be a physml.proxnest LinearOperator"):
        pn.sample(key, y, np.eye(16), SIGMA, prior)
    with pytest.raises(ValueError, match="correction must be 'mh' or 'myula'"):
        pn.sample(key, y, phi, SIGMA, prior, correction="ula")
    with pytest.raises(ValueError, match="'myula' needs an explicit lambda_prior"):
        pn.sample(key, y, phi, SIGMA, prior, correction="myula")
    with pytest.raises(ValueError, match="n_live must be >= 2"):
        pn.sample(key, y, phi, SIGMA, prior, n_live=1)


def test_divergent_step_size_warns():
    # GaussianPrior(std=0.1): drift Lipschitz constant 1/0.1² = 100, stability limit 0.02.
    prior = pn.GaussianPrior.create((2, 2), std=0.1)
    with pytest.warns(RuntimeWarning, match="exceeds the Langevin stability limit 2/L = 0.02"):
        check_step_size(1.0, float(prior.lipschitz(1.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_step_size(0.01, float(prior.lipschitz(1.0)))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["gaussian", "laplace"])
def test_evidence_z_scores_are_calibrated_over_20_seeds(case):
    shape = (4, 4)
    phi = pn.Identity(shape)
    W = pn.DaubechiesWavelet2D.create(shape, order=2, levels=1)
    z_scores = []
    for seed in range(20):
        y = _data(phi, seed=seed)
        if case == "gaussian":
            prior, truth = pn.GaussianPrior.create(shape), pn.gaussian_ln_evidence(y, phi, SIGMA, 1)
        else:
            prior = pn.LaplaceWaveletPrior.create(W, mu=1.5)
            truth = pn.laplace_ln_evidence(y, W, SIGMA, 1.5)
        res = pn.sample(jax.random.key(seed), y, phi, SIGMA, prior, n_live=100, progress=False)
        z_scores.append((res.ln_z - truth) / res.sigma_ln_z)
    z_scores = np.array(z_scores)
    assert abs(z_scores.mean()) < 0.5
    assert 0.6 < z_scores.std() < 1.6


@pytest.mark.slow
def test_laplace_wavelet_evidence_at_d_256_is_within_half_a_nat():
    # Issue 7: |ln Z − truth| ≤ 0.5 nats at larger d (d = 1024 in benchmarks/proxnest). Data from
    # the model; σ = 3 keeps H ≈ 30 nats so that N = 500 gives σ_lnZ ≈ √(H/N) ≈ 0.25.
    shape, sigma, mu = (16, 16), 3.0, 1.0
    W = pn.DaubechiesWavelet2D.create(shape, order=4, levels=3)
    rng = np.random.default_rng(5)
    x = W.adjoint(jnp.asarray(rng.laplace(size=W.out_shape)) / mu)
    y = x + sigma * jnp.asarray(rng.normal(size=shape))
    prior = pn.LaplaceWaveletPrior.create(W, mu=mu)
    res = pn.sample(
        jax.random.key(5), y, pn.Identity(shape), sigma, prior, n_live=500, progress=False
    )
    err = res.ln_z - pn.laplace_ln_evidence(y, W, sigma, mu)
    assert abs(err) <= 0.5
    assert abs(err) <= 3 * res.sigma_ln_z


def test_default_steps_above_the_validated_dimension_warn_for_non_gaussian_priors(monkeypatch):
    # The default n_steps is validated up to sampler.VALIDATED_D (biased at d = 16384 for
    # the Laplace prior); lower the threshold so that a 4×4 problem crosses it.
    from physml.proxnest import sampler

    monkeypatch.setattr(sampler, "VALIDATED_D", 8)
    phi = pn.Identity(SHAPE)
    y = _data(phi)
    basis = pn.DaubechiesWavelet2D.create(SHAPE, order=1, levels=1)
    laplace = pn.LaplaceWaveletPrior.create(basis, mu=2.0)
    kw = {"n_live": 8, "max_iter": 1, "progress": False}
    with pytest.warns(RuntimeWarning, match="raise n_steps|Raise n_steps"):
        pn.sample(jax.random.key(0), y, phi, SIGMA, laplace, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pn.sample(jax.random.key(0), y, phi, SIGMA, laplace, n_steps=5, **kw)
        pn.sample(jax.random.key(0), y, phi, SIGMA, pn.GaussianPrior.create(SHAPE), **kw)
