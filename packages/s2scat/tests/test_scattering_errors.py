"""Bad input fails early with a message naming the argument and the expectation."""

import jax.numpy as jnp
import numpy as np
import pytest

import physml.s2scat as sc
import physml.s2wav as s2w

L = 8


@pytest.fixture(scope="module")
def op():
    return sc.make_scattering(L, J_min=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"L": 4, "J_min": 2}, ValueError, "J_min=2 is out of range for L=4"),
        ({"L": 8, "oversample": 0}, ValueError, "oversample must be ≥ 1"),
        ({"L": 8, "oversample": 2.0}, TypeError, "oversample must be an integer"),
        ({"L": 8, "N": 2, "harmonics": 3}, ValueError, "harmonics must be ≤ N=2"),
        ({"L": 8, "reality": 1}, TypeError, "reality must be a bool"),
        ({"L": 8, "epsilon": -1.0}, ValueError, "epsilon must be a finite number ≥ 0"),
        ({"L": 8, "nonlinearity": "abs"}, ValueError, "nonlinearity must be 'square' or"),
        ({"L": 8, "epsilon": 1.0}, ValueError, "epsilon > 0 smooths nonlinearity='modulus'"),
        ({"L": 8, "method": "fast"}, ValueError, "method must be 'jax' or 'precompute'"),
        ({"L": 8, "N": 2, "method": "precompute"}, ValueError, "needs N=1"),
    ],
)
def test_make_scattering_rejects_bad_configuration(kwargs, error, match):
    with pytest.raises(error, match=match):
        sc.make_scattering(**kwargs)


def test_make_scattering_rejects_filters_of_another_band_limit():
    with pytest.raises(ValueError, match="filters were built for L=16"):
        sc.make_scattering(L, filters=s2w.filters(16))
    with pytest.raises(TypeError, match="filters must be physml.s2wav.Filters"):
        sc.make_scattering(L, filters=np.ones(3))


def test_statistics_reject_wrong_shapes_nan_and_types(op):
    with pytest.raises(ValueError, match="flm"):
        sc.flm_to_scattering_covariance(jnp.zeros((L, 2 * L)), op)
    with pytest.raises(ValueError, match="f"):
        sc.scattering_covariance(jnp.zeros((L + 1, 2 * L - 1)), op)
    bad = jnp.zeros((L, 2 * L - 1)).at[0, 0].set(jnp.nan)
    with pytest.raises(ValueError, match="f"):
        sc.scattering_covariance(bad, op)
    with pytest.raises(TypeError, match="op must be a physml.s2scat.Scattering"):
        sc.scattering_covariance(jnp.zeros((L, 2 * L - 1)), "op")
    with pytest.raises(TypeError, match="f is complex but op.reality=True"):
        sc.scattering_covariance(jnp.zeros((L, 2 * L - 1), complex), op)
    with pytest.raises(ValueError, match="norm"):
        sc.flm_to_scattering_covariance(jnp.zeros((L, 2 * L - 1), complex), op, jnp.ones(2))


def test_synthesis_and_targets_reject_bad_arguments(op):
    f = jnp.zeros((L, 2 * L - 1))
    with pytest.raises(ValueError, match="meta=True needs f of shape"):
        sc.make_target(f, op, meta=True)
    with pytest.raises(ValueError, match="optimiser must be one of"):
        sc.synthesise(f, None, op, optimiser="sgd")
    with pytest.raises(ValueError, match="'lbfgs' always uses its line search"):
        sc.synthesise(f, None, op, learning_rate=0.1)
    with pytest.raises(ValueError, match="n_samples must be an integer ≥ 1"):
        sc.synthesise(f, None, op, n_samples=0)
