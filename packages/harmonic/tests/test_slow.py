"""Slow checks (``nox -s "slow(package='harmonic')"``): larger d and the calibration sweep."""

import jax
import numpy as np
import pytest

import physml.harmonic as ph
from physml.harmonic import testing


@pytest.mark.slow
@pytest.mark.parametrize("make", [testing.gaussian_gaussian_prior, testing.gaussian_flat_prior])
@pytest.mark.parametrize(("d", "tol"), [(16, 0.05), (32, 0.1), (64, 0.1)])
def test_rqspline_accuracy_in_higher_dimension(make, d, tol):
    problem = make(jax.random.key(d), d, nchains=40, nsamples=2500)
    r = ph.estimate_evidence(
        problem.samples,
        problem.ln_posterior,
        key=jax.random.key(0),
        progress=False,
        ln_posterior_fn=problem.ln_posterior_fn,  # corrects for mass outside a flat prior's box
    )
    assert abs(r.ln_z - problem.ln_z) < tol, r.summary()
    assert abs(r.ln_z - problem.ln_z) < 4.5 * r.sigma_ln_z + 1e-4, r.summary()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "temperature"),
    [
        (lambda k: testing.gaussian_gaussian_prior(k, 2), 0.8),
        (lambda k: testing.gaussian_flat_prior(k, 2), 0.8),
        (lambda k: testing.gaussian_gaussian_prior(k, 8), 0.8),
        (lambda k: testing.gaussian_flat_prior(k, 8), 0.8),
        (lambda k: testing.gaussian_mixture(k, 2), 0.6),
        (lambda k: testing.rosenbrock(k), 0.8),
        (lambda k: testing.normal_gamma(k, prior_width=1e-4), 0.8),
        (lambda k: testing.normal_gamma(k, prior_width=1.0), 0.8),
        (lambda k: testing.linear_regression(k, d=4), 0.8),
    ],
    ids=[
        "gaussian-d2",
        "flat-d2",
        "gaussian-d8",
        "flat-d8",
        "mixture-d2",
        "rosenbrock",
        "normal-gamma-1e-4",
        "normal-gamma-1",
        "linear-regression-d4",
    ],
)
def test_calibration_of_z_scores_over_20_repeats(make, temperature):
    z = []
    for rep in range(20):
        problem = make(jax.random.key(1000 + rep))
        r = ph.estimate_evidence(
            problem.samples,
            problem.ln_posterior,
            key=jax.random.key(rep),
            temperature=temperature,
            progress=False,
            epochs=20,
            ln_posterior_fn=problem.ln_posterior_fn,
        )
        z.append((r.ln_z - problem.ln_z) / r.sigma_ln_z)
    z = np.array(z)
    assert abs(z.mean()) < 0.5, z
    assert 0.6 < z.std(ddof=1) < 1.6, z
