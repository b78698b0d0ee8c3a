"""Target mass outside a bounded prior's support: measured, corrected, explained."""

import jax
import numpy as np
import pytest
from scipy import stats

import physml.harmonic as ph
from physml.harmonic import testing

KEY = jax.random.key(3)


def test_support_correction_removes_the_bias_of_a_box_prior():
    # a flat prior on [-1.5, 1.5]^4 cuts the likelihood at ~1σ: a Gaussian target at T = 0.9
    # leaks several percent of its mass out of the box
    problem = testing.gaussian_flat_prior(KEY, 4, half_width=1.5, nchains=20, nsamples=500)
    kw = {"key": KEY, "model": ph.GaussianMixture(1), "temperature": 0.9, "progress": False}
    plain = ph.estimate_evidence(problem.samples, problem.ln_posterior, **kw)
    fixed = ph.estimate_evidence(
        problem.samples, problem.ln_posterior, ln_posterior_fn=problem.ln_posterior_fn, **kw
    )
    fitted = fixed.model
    # the target's mass on the box, by scipy's multivariate normal CDF (Genz's algorithm)
    mvn = stats.multivariate_normal(
        np.asarray(fitted.means[0]), 0.9 * np.asarray(fitted.chols[0] @ fitted.chols[0].T)
    )
    box = mvn.cdf(np.full(4, 1.5), lower_limit=np.full(4, -1.5))
    assert fixed.support_mass == pytest.approx(box, abs=4 * np.sqrt(box * (1 - box) / 1e5) + 1e-3)
    assert plain.ln_z - problem.ln_z > 4 * plain.sigma_ln_z  # biased by -ln m
    assert abs(fixed.ln_z - problem.ln_z) < 4 * fixed.sigma_ln_z, fixed.summary()
    assert fixed.ln_z - plain.ln_z == pytest.approx(np.log(fixed.support_mass), abs=1e-12)
    assert any("outside the prior's support" in w for w in fixed.warnings), fixed.warnings


def test_full_support_leaves_the_estimate_unchanged():
    problem = testing.gaussian_gaussian_prior(KEY, 2, nchains=6, nsamples=200)
    kw = {"key": KEY, "model": ph.GaussianMixture(1), "temperature": 0.7, "progress": False}
    plain = ph.estimate_evidence(problem.samples, problem.ln_posterior, **kw)
    fixed = ph.estimate_evidence(
        problem.samples,
        problem.ln_posterior,
        ln_posterior_fn=problem.ln_posterior_fn,
        n_support_draws=1000,
        **kw,
    )
    assert fixed.support_mass == 1.0
    assert fixed.ln_z == plain.ln_z
    assert fixed.sigma_ln_z == plain.sigma_ln_z


def test_support_input_errors():
    problem = testing.gaussian_gaussian_prior(KEY, 2, nchains=6, nsamples=200)
    kw = {"key": KEY, "model": ph.GaussianMixture(1), "progress": False}
    with pytest.raises(ValueError, match="ln_posterior_fn returned shape"):
        ph.estimate_evidence(
            problem.samples, problem.ln_posterior, ln_posterior_fn=lambda x: x, **kw
        )
    with pytest.raises(ValueError, match="n_support_draws must be >= 1"):
        ph.estimate_evidence(
            problem.samples,
            problem.ln_posterior,
            ln_posterior_fn=problem.ln_posterior_fn,
            n_support_draws=0,
            **kw,
        )
    r = ph.ln_evidence(
        ph.Chains.from_arrays(problem.samples, problem.ln_posterior), lambda x: np.zeros(len(x))
    )
    with pytest.raises(ValueError, match="the target has no mass on the posterior's support"):
        ph.support.support_corrected(r, 0.0, 1000)
