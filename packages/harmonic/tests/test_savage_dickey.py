import math

import jax
import numpy as np
import pytest

import physml.harmonic as ph


def test_savage_dickey_matches_the_ratio_of_analytic_evidences():
    # data y_i ~ N(ψ, σ²); model 1: ψ ~ N(0, s²); model 0: ψ = 0 (no free parameter)
    rng = np.random.default_rng(0)
    sigma, s, n = 1.0, 2.0, 30
    y = rng.normal(0.2, sigma, n)
    var_p = 1.0 / (n / sigma**2 + 1.0 / s**2)
    mean_p = var_p * y.sum() / sigma**2
    psi = mean_p + math.sqrt(var_p) * rng.normal(size=(20000, 1))

    def ln_gauss_data(cov):
        logdet = np.linalg.slogdet(2 * np.pi * cov)[1]
        return -0.5 * y @ np.linalg.solve(cov, y) - 0.5 * logdet

    ln_z0 = ln_gauss_data(sigma**2 * np.eye(n))
    ln_z1 = ln_gauss_data(sigma**2 * np.eye(n) + s**2 * np.ones((n, n)))
    ln_prior0 = -0.5 * math.log(2 * math.pi * s**2)
    r = ph.savage_dickey(psi, [0.0], ln_prior0, key=jax.random.key(0))
    # the marginal is fitted from 20000 samples: ln density error ≈ a few 1e-3 near the mode
    assert r.ln_b01 == pytest.approx(ln_z0 - ln_z1, abs=0.03)
    assert r.sigma < 0.05


def test_savage_dickey_errors():
    with pytest.raises(ValueError, match=r"psi0 must have shape \(1,\)"):
        ph.savage_dickey(np.zeros((10, 1)), [0.0, 1.0], 0.0, key=jax.random.key(0))
    with pytest.raises(ValueError, match="ln_prior_psi0 must be finite"):
        ph.savage_dickey(np.zeros((10, 1)), [0.0], -np.inf, key=jax.random.key(0))
