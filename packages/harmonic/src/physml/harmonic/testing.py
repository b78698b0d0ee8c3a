"""Problems with a known Bayesian evidence and exact posterior samplers.

Each function returns a :class:`Problem`: i.i.d. posterior samples ``[nchains, nsamples, d]``
from an exact sampler, their unnormalised log posterior ``ln L(θ) + ln π(θ)``, the true
``ln Z = ln ∫ L(θ) π(θ) dθ`` and the log posterior as a function. They are the references the
estimator is tested and benchmarked against (the problems of McEwen et al. 2021, §6).

The fixed ingredients of a problem (likelihood covariance, data) are drawn from
``numpy.random.default_rng(seed)`` so that a problem stays the same while ``key`` changes the
samples. Work in float64 (``jax.config.update("jax_enable_x64", True)``) for reference values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln, logsumexp, ndtr

from physml.harmonic._validation import check_positive_int

__all__ = [
    "Problem",
    "gaussian_flat_prior",
    "gaussian_gaussian_prior",
    "gaussian_mixture",
    "linear_regression",
    "normal_gamma",
    "rosenbrock",
]

_LN2PI = math.log(2.0 * math.pi)


class Problem(NamedTuple):
    """A posterior with known evidence.

    Attributes
    ----------
    samples : ndarray, shape ``(nchains, nsamples, d)``
    ln_posterior : ndarray, shape ``(nchains, nsamples)``
        ``ln L(θ) + ln π(θ)`` at the samples (unnormalised posterior).
    ln_z : float
        The true log evidence.
    ln_posterior_fn : callable
        ``θ [..., d] -> ln L(θ) + ln π(θ) [...]``, a pure JAX function.
    name : str
    """

    samples: np.ndarray
    ln_posterior: np.ndarray
    ln_z: float
    ln_posterior_fn: Callable[[jax.Array], jax.Array]
    name: str


def _finish(samples, fn, ln_z, name) -> Problem:
    samples = np.asarray(samples, dtype=np.float64)
    fn = jax.jit(fn)
    return Problem(samples, np.asarray(fn(jnp.asarray(samples))), float(ln_z), fn, name)


def _mvn_logpdf(x, mean, cov) -> float:
    """ln N(x; mean, cov) for one vector, in NumPy float64."""
    chol = np.linalg.cholesky(cov)
    r = np.linalg.solve(chol, x - mean)
    return float(-0.5 * r @ r - np.log(np.diag(chol)).sum() - 0.5 * len(x) * _LN2PI)


def _gauss_from_cov(key, mean, cov, shape):
    """Draws of N(mean, cov) with leading ``shape``."""
    chol = np.linalg.cholesky(cov)
    z = jax.random.normal(key, (*shape, len(mean)), dtype=jnp.float64)
    return np.asarray(mean + z @ chol.T)


def _likelihood_cov(d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed mean and a correlated covariance with scales in [0.5, 2]."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    scales = np.exp(rng.uniform(np.log(0.5), np.log(2.0), size=d))
    return rng.normal(scale=0.5, size=d), (q * scales**2) @ q.T


def gaussian_gaussian_prior(
    key: jax.Array,
    d: int,
    *,
    nchains: int = 20,
    nsamples: int = 1000,
    prior_sigma: float = 5.0,
    seed: int = 0,
) -> Problem:
    r"""Gaussian likelihood ``N(θ; μ, Σ)`` with Gaussian prior ``N(θ; 0, s² I)``.

    The evidence is the convolution of the two Gaussians evaluated at the mean,
    :math:`Z = \mathcal N(\mu; 0, \Sigma + s^2 I)`, and the posterior is
    :math:`\mathcal N(\Sigma_p \Sigma^{-1}\mu, \Sigma_p)` with
    :math:`\Sigma_p = (\Sigma^{-1} + I/s^2)^{-1}`.
    """
    d = check_positive_int("d", d)
    mu, cov = _likelihood_cov(d, seed)
    prec = np.linalg.inv(cov)
    cov_p = np.linalg.inv(prec + np.eye(d) / prior_sigma**2)
    mean_p = cov_p @ prec @ mu
    ln_z = _mvn_logpdf(mu, np.zeros(d), cov + prior_sigma**2 * np.eye(d))
    chol = np.linalg.cholesky(cov)
    half_logdet = np.log(np.diag(chol)).sum()

    def fn(theta):
        r = jax.scipy.linalg.solve_triangular(chol, (theta - mu)[..., None], lower=True)[..., 0]
        ln_l = -0.5 * jnp.sum(r**2, -1) - half_logdet - 0.5 * d * _LN2PI
        ln_pi = -0.5 * jnp.sum(theta**2, -1) / prior_sigma**2 - d * (
            math.log(prior_sigma) + 0.5 * _LN2PI
        )
        return ln_l + ln_pi

    x = _gauss_from_cov(key, mean_p, cov_p, (nchains, nsamples))
    return _finish(x, fn, ln_z, f"gaussian-gaussian-d{d}")


def gaussian_flat_prior(
    key: jax.Array,
    d: int,
    *,
    nchains: int = 20,
    nsamples: int = 1000,
    half_width: float = 4.0,
    seed: int = 0,
) -> Problem:
    r"""Gaussian likelihood ``N(θ; μ, diag σ²)`` with a flat prior on ``[-a, a]^d``.

    :math:`Z = (2a)^{-d} \prod_i [\Phi((a-\mu_i)/\sigma_i) - \Phi((-a-\mu_i)/\sigma_i)]` and
    the posterior is the likelihood truncated to the box, sampled exactly per coordinate.
    """
    d = check_positive_int("d", d)
    rng = np.random.default_rng(seed)
    sigma = np.exp(rng.uniform(np.log(0.5), np.log(1.5), size=d))
    mu = rng.normal(scale=0.5, size=d)
    a = float(half_width)
    lo, hi = (-a - mu) / sigma, (a - mu) / sigma
    mass = [
        0.5 * (math.erfc(-h / math.sqrt(2)) - math.erfc(-l / math.sqrt(2))) for l, h in zip(lo, hi)
    ]
    ln_z = float(np.sum(np.log(mass)) - d * math.log(2 * a))

    def fn(theta):
        ln_l = -0.5 * jnp.sum(((theta - mu) / sigma) ** 2, -1) - jnp.sum(np.log(sigma))
        ln_l = ln_l - 0.5 * d * _LN2PI
        inside = jnp.all(jnp.abs(theta) <= a, -1)
        return jnp.where(inside, ln_l - d * math.log(2 * a), -jnp.inf)

    z = jax.random.truncated_normal(key, lo, hi, (nchains, nsamples, d), dtype=jnp.float64)
    return _finish(mu + sigma * np.asarray(z), fn, ln_z, f"gaussian-flat-d{d}")


def normal_gamma(
    key: jax.Array,
    *,
    prior_width: float = 1.0,
    n_data: int = 100,
    nchains: int = 20,
    nsamples: int = 1000,
    seed: int = 0,
) -> Problem:
    r"""Normal data with unknown mean μ and precision τ under the conjugate normal–gamma prior.

    Prior ``μ | τ ~ N(μ0, 1/(λ0 τ))``, ``τ ~ Gamma(a0, b0)`` with ``λ0 = prior_width`` (the
    prior on μ widens as it shrinks, e.g. 1e-4 … 1) and θ = (μ, τ). The evidence is
    :math:`Z = \frac{\Gamma(a_n)}{\Gamma(a_0)}\frac{b_0^{a_0}}{b_n^{a_n}}
    \sqrt{\lambda_0/\lambda_n}\,(2\pi)^{-n/2}` (Bernardo & Smith 1994, §5.2).
    """
    rng = np.random.default_rng(seed)
    data = rng.normal(loc=0.3, scale=1.2, size=n_data)
    mu0, lam0, a0, b0 = 0.0, float(prior_width), 1.0, 1.0
    n, xbar = n_data, data.mean()
    lam_n = lam0 + n
    mu_n = (lam0 * mu0 + n * xbar) / lam_n
    a_n = a0 + 0.5 * n
    b_n = b0 + 0.5 * np.sum((data - xbar) ** 2) + lam0 * n * (xbar - mu0) ** 2 / (2 * lam_n)
    ln_z = (
        math.lgamma(a_n)
        - math.lgamma(a0)
        + a0 * math.log(b0)
        - a_n * math.log(b_n)
        + 0.5 * math.log(lam0 / lam_n)
        - 0.5 * n * _LN2PI
    )

    def fn(theta):
        mu, tau = theta[..., 0], theta[..., 1]
        safe_tau = jnp.where(tau > 0, tau, 1.0)
        ln_tau = jnp.log(safe_tau)
        ln_l = 0.5 * n * (ln_tau - _LN2PI) - 0.5 * safe_tau * jnp.sum(
            (data - mu[..., None]) ** 2, -1
        )
        ln_prior_mu = (
            0.5 * (math.log(lam0) + ln_tau - _LN2PI) - 0.5 * lam0 * safe_tau * (mu - mu0) ** 2
        )
        ln_prior_tau = a0 * math.log(b0) - gammaln(a0) + (a0 - 1) * ln_tau - b0 * safe_tau
        return jnp.where(tau > 0, ln_l + ln_prior_mu + ln_prior_tau, -jnp.inf)

    k1, k2 = jax.random.split(key)
    tau = jax.random.gamma(k1, a_n, (nchains, nsamples), dtype=jnp.float64) / b_n
    mu = mu_n + jax.random.normal(k2, tau.shape, dtype=jnp.float64) / jnp.sqrt(lam_n * tau)
    return _finish(jnp.stack([mu, tau], -1), fn, ln_z, f"normal-gamma-{prior_width:g}")


def linear_regression(
    key: jax.Array,
    *,
    d: int = 4,
    n_data: int = 50,
    noise_sigma: float = 0.5,
    prior_sigma: float = 2.0,
    nchains: int = 20,
    nsamples: int = 1000,
    seed: int = 0,
) -> Problem:
    r"""Conjugate linear regression ``y = X β + ε``, ``ε ~ N(0, σ² I)``, ``β ~ N(0, s² I)``.

    The marginal likelihood is :math:`Z = \mathcal N(y; 0, \sigma^2 I + s^2 X X^\top)` and the
    posterior of β is Gaussian with precision :math:`X^\top X/\sigma^2 + I/s^2`
    (Bishop 2006, §3.5).
    """
    d = check_positive_int("d", d)
    rng = np.random.default_rng(seed)
    design = rng.normal(size=(n_data, d))
    beta_true = rng.normal(size=d)
    y = design @ beta_true + noise_sigma * rng.normal(size=n_data)
    prec_p = design.T @ design / noise_sigma**2 + np.eye(d) / prior_sigma**2
    cov_p = np.linalg.inv(prec_p)
    mean_p = cov_p @ design.T @ y / noise_sigma**2
    ln_z = _mvn_logpdf(
        y, np.zeros(n_data), noise_sigma**2 * np.eye(n_data) + prior_sigma**2 * design @ design.T
    )

    def fn(beta):
        resid = y - beta @ design.T
        ln_l = -0.5 * jnp.sum(resid**2, -1) / noise_sigma**2 - n_data * (
            math.log(noise_sigma) + 0.5 * _LN2PI
        )
        ln_pi = -0.5 * jnp.sum(beta**2, -1) / prior_sigma**2 - d * (
            math.log(prior_sigma) + 0.5 * _LN2PI
        )
        return ln_l + ln_pi

    x = _gauss_from_cov(key, mean_p, 0.5 * (cov_p + cov_p.T), (nchains, nsamples))
    return _finish(x, fn, ln_z, f"linear-regression-d{d}")


def gaussian_mixture(
    key: jax.Array,
    d: int = 2,
    *,
    separation: float = 3.0,
    weight: float = 0.3,
    sigma: float = 0.5,
    prior_sigma: float = 4.0,
    nchains: int = 20,
    nsamples: int = 1000,
) -> Problem:
    r"""Two-mode likelihood ``w N(θ; m, σ² I) + (1-w) N(θ; -m, σ² I)`` with prior ``N(0, s² I)``.

    ``m = (separation/2) (1, …, 1)/√d``. Each mode times the prior is a Gaussian, so
    :math:`Z = \sum_k w_k \mathcal N(m_k; 0, (\sigma^2 + s^2) I)` and the posterior is a
    two-component mixture sampled exactly (component, then Gaussian).
    """
    d = check_positive_int("d", d)
    m = np.full(d, 0.5 * separation / math.sqrt(d))
    modes, ws = np.stack([m, -m]), np.array([weight, 1.0 - weight])
    v = sigma**2 + prior_sigma**2
    ln_zk = np.log(ws) - 0.5 * np.sum(modes**2, -1) / v - 0.5 * d * (_LN2PI + math.log(v))
    ln_z = float(logsumexp(ln_zk))
    var_p = 1.0 / (1.0 / sigma**2 + 1.0 / prior_sigma**2)
    means_p = modes * var_p / sigma**2

    def fn(theta):
        ln_lk = (
            jnp.log(ws)
            - 0.5 * jnp.sum((theta[..., None, :] - modes) ** 2, -1) / sigma**2
            - d * (math.log(sigma) + 0.5 * _LN2PI)
        )
        ln_pi = -0.5 * jnp.sum(theta**2, -1) / prior_sigma**2 - d * (
            math.log(prior_sigma) + 0.5 * _LN2PI
        )
        return logsumexp(ln_lk, -1) + ln_pi

    k1, k2 = jax.random.split(key)
    comp = jax.random.categorical(k1, jnp.asarray(ln_zk), shape=(nchains, nsamples))
    z = jax.random.normal(k2, (nchains, nsamples, d), dtype=jnp.float64)
    x = np.asarray(means_p)[np.asarray(comp)] + math.sqrt(var_p) * np.asarray(z)
    return _finish(x, fn, ln_z, f"gaussian-mixture-d{d}")


def _rosenbrock_box():
    return (-5.0, 5.0), (-5.0, 30.0)


def rosenbrock(
    key: jax.Array,
    *,
    a: float = 1.0,
    b: float = 5.0,
    nchains: int = 20,
    nsamples: int = 1000,
    n_grid: int = 4001,
) -> Problem:
    r"""2-D Rosenbrock likelihood ``ln L = -[(a - x)² + b (y - x²)²]`` with a flat prior.

    The prior is uniform on ``[-5, 5] × [-5, 30]``. ``ln Z`` is computed by quadrature on a
    grid of ``n_grid`` points in x after integrating y analytically (the y-conditional is a
    truncated Gaussian ``N(x², 1/(2b))``); the tests check it against plain 2-D grid
    quadrature. Samples are exact: x by rejection from the truncated ``N(a, 1/2)`` with
    acceptance probability equal to the y-mass inside the box, then y from its truncated
    Gaussian conditional.
    """
    (xlo, xhi), (ylo, yhi) = _rosenbrock_box()
    area = (xhi - xlo) * (yhi - ylo)
    s = math.sqrt(2 * b)

    def y_mass(x):
        return ndtr((yhi - x**2) * s) - ndtr((ylo - x**2) * s)

    xs = jnp.linspace(xlo, xhi, n_grid, dtype=jnp.float64)
    integrand = jnp.exp(-((a - xs) ** 2)) * y_mass(xs) * math.sqrt(math.pi / b)
    ln_z = math.log(float(jnp.trapezoid(integrand, xs))) - math.log(area)

    def fn(theta):
        x, y = theta[..., 0], theta[..., 1]
        inside = (x >= xlo) & (x <= xhi) & (y >= ylo) & (y <= yhi)
        return jnp.where(inside, -((a - x) ** 2) - b * (y - x**2) ** 2 - math.log(area), -jnp.inf)

    n_total = nchains * nsamples
    accepted: list[np.ndarray] = []
    count = 0
    while count < n_total:
        key, k1, k2 = jax.random.split(key, 3)
        lo, hi = (xlo - a) * math.sqrt(2), (xhi - a) * math.sqrt(2)
        prop = a + jax.random.truncated_normal(k1, lo, hi, (2 * n_total,), jnp.float64) / math.sqrt(
            2
        )
        keep = jax.random.uniform(k2, prop.shape, dtype=jnp.float64) < y_mass(prop)
        accepted.append(np.asarray(prop)[np.asarray(keep)])
        count += int(keep.sum())
    x = np.concatenate(accepted)[:n_total]
    lo, hi = (ylo - x**2) * s, (yhi - x**2) * s
    y = x**2 + np.asarray(jax.random.truncated_normal(key, lo, hi, dtype=jnp.float64)) / s
    return _finish(np.stack([x, y], -1).reshape(nchains, nsamples, 2), fn, ln_z, "rosenbrock")
