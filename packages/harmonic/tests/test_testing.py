"""The analytic problems against plain 2-D grid quadrature of their own log posterior."""

import jax
import numpy as np
import pytest
from scipy import integrate

from physml.harmonic import testing


def _grid_quadrature(fn, xlim, ylim, nx, ny):
    """ln ∫∫ exp(fn) and the posterior mean by composite Simpson rules on a grid."""
    xs, ys = np.linspace(*xlim, nx), np.linspace(*ylim, ny)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    lp = np.asarray(fn(np.stack([gx, gy], -1)))
    shift = lp[np.isfinite(lp)].max()
    dens = np.exp(lp - shift)
    z = integrate.simpson(integrate.simpson(dens, x=ys, axis=1), x=xs)
    mean = [
        integrate.simpson(integrate.simpson(dens * g, x=ys, axis=1), x=xs) / z for g in (gx, gy)
    ]
    return np.log(z) + shift, np.array(mean)


def _box(samples, pad=6.0):
    flat = samples.reshape(-1, 2)
    lo, hi = flat.mean(0) - pad * flat.std(0), flat.mean(0) + pad * flat.std(0)
    return (lo[0], hi[0]), (lo[1], hi[1])


def _check_mean(samples, mean):
    flat = samples.reshape(-1, 2)
    err = np.abs(flat.mean(0) - mean) / (flat.std(0) / np.sqrt(len(flat)))
    assert (err < 4.5).all(), err  # 4.5 Monte-Carlo standard errors


KEY = jax.random.key(3)


@pytest.mark.parametrize(
    "make",
    [
        lambda: testing.gaussian_gaussian_prior(KEY, 2, nchains=10, nsamples=500),
        lambda: testing.linear_regression(KEY, d=2, nchains=10, nsamples=500),
        lambda: testing.gaussian_mixture(KEY, 2, nchains=10, nsamples=500),
        lambda: testing.normal_gamma(KEY, prior_width=1e-2, nchains=10, nsamples=500),
        lambda: testing.normal_gamma(KEY, prior_width=1.0, nchains=10, nsamples=500),
    ],
    ids=["gaussian", "linear-regression", "mixture", "normal-gamma-1e-2", "normal-gamma-1"],
)
def test_closed_form_evidence_matches_grid_quadrature(make):
    problem = make()
    xlim, ylim = _box(problem.samples)
    ln_z, mean = _grid_quadrature(problem.ln_posterior_fn, xlim, ylim, 401, 401)
    # Simpson on a grid spanning ±6σ with 400 intervals: error far below 1e-6
    assert abs(ln_z - problem.ln_z) < 1e-6
    _check_mean(problem.samples, mean)


def test_flat_prior_evidence_matches_grid_quadrature():
    problem = testing.gaussian_flat_prior(KEY, 2, nchains=10, nsamples=500, half_width=4.0)
    ln_z, mean = _grid_quadrature(problem.ln_posterior_fn, (-4, 4), (-4, 4), 801, 801)
    assert abs(ln_z - problem.ln_z) < 1e-6
    _check_mean(problem.samples, mean)
    assert (np.abs(problem.samples) <= 4.0).all()


def test_rosenbrock_evidence_matches_2d_grid_quadrature():
    problem = testing.rosenbrock(KEY, nchains=10, nsamples=500)
    ln_z, mean = _grid_quadrature(problem.ln_posterior_fn, (-5, 5), (-5, 30), 501, 3501)
    # the y-ridge has width 1/sqrt(2b) ≈ 0.32 and the grid step is 0.01
    assert abs(ln_z - problem.ln_z) < 1e-5
    _check_mean(problem.samples, mean)


def test_gaussian_posterior_moments_in_high_dimension():
    problem = testing.gaussian_gaussian_prior(KEY, 16, nchains=10, nsamples=1000)
    flat = problem.samples.reshape(-1, 16)
    # the log posterior of a Gaussian is quadratic: its value at the mean is the maximum
    lp_mean = problem.ln_posterior_fn(flat.mean(0))
    assert lp_mean > problem.ln_posterior.max() - 1e-2
    # ln Z = ln P̃(θ) - ln p(θ) at any θ, with p the Gaussian fitted to many exact samples
    cov = np.cov(flat, rowvar=False)
    r = np.linalg.solve(np.linalg.cholesky(cov), flat.mean(0) - flat.mean(0))
    ln_p = -0.5 * r @ r - 0.5 * np.linalg.slogdet(2 * np.pi * cov)[1]
    assert abs(float(lp_mean) - ln_p - problem.ln_z) < 0.05
