"""NumPyro interop: the ln posterior from NumPyro's potential equals the analytic one."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer import MCMC, NUTS
from numpyro.infer.util import potential_energy

import physml.harmonic as ph
from physml.harmonic import testing


def _regression_model(design, y, noise_sigma=0.5, prior_sigma=2.0):
    beta = numpyro.sample("beta", dist.Normal(0.0, prior_sigma).expand([design.shape[1]]))
    numpyro.sample("y", dist.Normal(design @ beta, noise_sigma), obs=y)


def _regression_data(d=2, n_data=50, seed=0):
    # the same fixed data as testing.linear_regression(seed=0)
    rng = np.random.default_rng(seed)
    design = rng.normal(size=(n_data, d))
    beta = rng.normal(size=d)
    return design, design @ beta + 0.5 * rng.normal(size=n_data)


def test_samples_and_potential_give_the_analytic_log_posterior():
    problem = testing.linear_regression(jax.random.key(0), d=2, nchains=3, nsamples=20)
    design, y = _regression_data()

    def potential(params):
        return potential_energy(_regression_model, (design, y), {}, params)

    chains, unravel = ph.chains_from_samples({"beta": problem.samples}, potential)
    np.testing.assert_allclose(chains.ln_posterior, problem.ln_posterior, rtol=1e-12)
    np.testing.assert_array_equal(chains.samples, problem.samples)
    np.testing.assert_array_equal(unravel(jnp.arange(2.0))["beta"], [0.0, 1.0])


def test_mcmc_object_gives_unconstrained_log_joint():
    def model():
        numpyro.sample("scale", dist.LogNormal(0.0, 1.0))

    mcmc = MCMC(
        NUTS(model),
        num_warmup=50,
        num_samples=40,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(0))
    chains, _ = ph.chains_from_numpyro(mcmc)
    # unconstrained u = ln(scale) ~ N(0, 1): the log joint in u is ln N(u; 0, 1)
    u = chains.samples[..., 0]
    scale = np.asarray(mcmc.get_samples(group_by_chain=True)["scale"])
    np.testing.assert_allclose(u, np.log(scale), rtol=1e-12)
    np.testing.assert_allclose(
        chains.ln_posterior, -0.5 * u**2 - 0.5 * np.log(2 * np.pi), rtol=1e-10
    )


def test_interop_errors():
    with pytest.raises(TypeError, match="samples must be a non-empty dict"):
        ph.chains_from_samples({}, lambda p: 0.0)
    with pytest.raises(ValueError, match="same leading shape"):
        ph.chains_from_samples({"a": np.zeros((2, 3)), "b": np.zeros((2, 4))}, lambda p: 0.0)
    with pytest.raises(TypeError, match="mcmc must be a numpyro.infer.MCMC"):
        ph.chains_from_numpyro(object())
