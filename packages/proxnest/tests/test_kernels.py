import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import physml.proxnest as pn
from physml.proxnest import kernels
from physml.proxnest.kernels import MoveConfig, _normal, _uniform, constrained_moves, split_bits
from physml.proxnest.nested import Problem


def test_split_bits_gives_uniform_and_normal_draws_and_fresh_keys():
    key, bits = split_bits(jax.random.key(0), 200_000)
    _, bits2 = split_bits(key, 200_000)
    u = np.asarray(_uniform(bits), float)
    z = np.asarray(_normal(bits2, jnp.float64))
    # Kolmogorov–Smirnov against the exact laws; p < 1e-3 would be a 3.3σ failure.
    assert u.min() > 0.0
    assert u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # The chained key gives an independent stream (correlation ~ N(0, 1/√n)).
    assert abs(np.corrcoef(u, np.asarray(_uniform(bits2), float))[0, 1]) < 5 / np.sqrt(u.size)


def test_block_steps_is_the_largest_divisor_that_fits():
    assert kernels._block_steps(30, 2613) == 30
    assert kernels._block_steps(77, kernels.BLOCK_WORDS // 10) == 7  # cap 10 → divisor 7
    assert kernels._block_steps(31, kernels.BLOCK_WORDS // 16) == 1  # prime above the cap
    assert kernels._block_steps(12, 2 * kernels.BLOCK_WORDS) == 1  # one step over the cap


@pytest.mark.parametrize("steps_per_block", [60, 12, 1])
def test_constrained_moves_sample_a_truncated_gaussian_prior(monkeypatch, steps_per_block):
    # Prior N(0, 1) in d = 2 restricted to the likelihood ball ‖x − y‖² < 2σ²τ: the radial
    # law of the chains must match rejection sampling of the same set, however many steps
    # share one random draw (4000 chains × 3 words per step).
    monkeypatch.setattr(kernels, "BLOCK_WORDS", 4000 * 3 * steps_per_block)
    d, sigma, tau = 2, 1.0, 0.5
    y = jnp.array([0.3, -0.2])
    prior = pn.GaussianPrior.create((d,))
    problem = Problem(y, pn.Identity((d,)), jnp.asarray(sigma), prior)
    x0 = jnp.tile(y, (4000, 1))
    _x, g, acc = constrained_moves(
        jax.random.key(1), x0, jnp.zeros(4000), tau, 0.3, 0.15, problem, MoveConfig(60, "mh")
    )
    assert np.all(np.asarray(g) < tau)
    assert 0.2 < float(jnp.mean(acc)) < 0.95
    ref = np.random.default_rng(0).normal(size=(400_000, d))
    ref = ref[np.sum((ref - np.asarray(y)) ** 2, 1) / (2 * sigma**2) < tau]
    assert stats.ks_2samp(np.asarray(g), np.sum((ref - np.asarray(y)) ** 2, 1) / 2).pvalue > 1e-3


def test_float32_data_keep_the_chains_in_float32_without_dtype_warnings():
    phi = pn.Identity((3, 3))
    y = jnp.asarray(np.random.default_rng(0).normal(size=(3, 3)), jnp.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # float64 → float32 scatters
        res = pn.sample(
            jax.random.key(0),
            y,
            phi,
            0.5,
            pn.GaussianPrior.create((3, 3)),
            n_live=20,
            n_steps=5,
            progress=False,
        )
    assert res.samples.dtype == np.float32
    truth = pn.gaussian_ln_evidence(np.asarray(y, float), phi, 0.5, 1.0)
    assert abs(res.ln_z - truth) < 5 * res.sigma_ln_z
