"""Synthesis: the loss goes down, C_ℓ gets closer to the target's, checkpoints resume."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scattering_fields import lognormal_flm

import physml.s2fft as s2
import physml.s2scat as sc

L = 8


@pytest.fixture(scope="module")
def setup():
    op = sc.make_scattering(L, J_min=0, method="precompute")
    flm = lognormal_flm(jax.random.key(11), L)
    return op, s2.inverse(flm, L, reality=True)


def _cl_error(flm, cl):
    return float(jnp.mean(jnp.abs(s2.power_spectrum(flm, L)[..., 1:] / cl[1:] - 1)))


def test_lbfgs_synthesis_lowers_the_loss_and_matches_the_spectrum_better_than_noise(setup):
    op, target = setup
    out = sc.synthesise(target, jax.random.key(0), op, n_samples=2, steps=20, progress=False)
    losses = np.asarray(out.losses)
    assert losses.shape == (2, 20)
    assert np.all(losses[:, -1] < 0.2 * losses[:, 0])
    cl = out.target.cl
    assert _cl_error(out.flm, cl) < 0.5 * _cl_error(out.initial_flm, cl)
    assert out.f.shape == (2, L, 2 * L - 1)
    assert np.isrealobj(np.asarray(out.f))


def test_starting_fields_are_seeded_gaussian_fields_with_the_target_mean(setup):
    op, target = setup
    with_steps = {"steps": 0, "progress": False, "n_samples": 64}
    out = sc.synthesise(target, jax.random.key(4), op, **with_steps)
    again = sc.synthesise(target, jax.random.key(4), op, **with_steps)
    legacy = sc.synthesise(target, jax.random.PRNGKey(4), op, **with_steps)  # raw uint32 key
    other = sc.synthesise(target, jax.random.key(5), op, **with_steps)
    np.testing.assert_array_equal(out.initial_flm, again.initial_flm)
    np.testing.assert_array_equal(out.initial_flm, legacy.initial_flm)
    assert not np.allclose(out.initial_flm, other.initial_flm)
    # f_00 = sqrt(4π) × the target's mean exactly; the other coefficients average to C_ℓ
    mean = float(np.real(out.target.stats.mean))
    np.testing.assert_allclose(np.real(out.initial_flm[:, 0, L - 1]), np.sqrt(4 * np.pi) * mean)
    ratio = np.mean(s2.power_spectrum(out.initial_flm, L)[:, 1:], 0) / out.target.cl[1:]
    # 64 samples × (2ℓ + 1) coefficients: standard error ≤ 1/sqrt(64·3/2) ≈ 0.1 per ℓ
    np.testing.assert_allclose(ratio, 1.0, atol=0.35)
    np.testing.assert_allclose(np.mean(ratio), 1.0, atol=0.1)


@pytest.mark.parametrize("optimiser", ["lbfgs", "lbfgs_zoom", "adam"])
def test_every_chunk_of_a_synthesis_reuses_one_compiled_loop(setup, optimiser):
    from physml.s2scat import _synthesis

    op, target = setup
    before = _synthesis._chunk._cache_size()
    sc.synthesise(target, jax.random.key(1), op, steps=6, chunk=2, optimiser=optimiser,
                  progress=False)  # fmt: skip
    assert _synthesis._chunk._cache_size() == before + 1


def test_lbfgs_objective_decreases_at_every_step_and_is_compiled_once(setup):
    from physml.s2scat import _lbfgs

    op, target = setup
    tg = sc.make_target(target, op)
    calls = []
    fun = jax.jit(lambda z: jnp.sum((z - 1.0) ** 2 * jnp.arange(1.0, z.size + 1)))
    z = jnp.zeros(6)
    state = _lbfgs.init(z)
    values = []
    for _ in range(25):  # a convex quadratic with condition number 6
        z, state = _lbfgs.step(lambda x: (calls.append(1), fun(x))[1], z, state)
        values.append(float(state.value))
    assert len(calls) == 25  # one trace per step: the objective sits at one place
    assert np.all(np.diff(values) <= 0)
    np.testing.assert_allclose(z, np.ones(6), atol=1e-6)
    out = sc.synthesise(tg, jax.random.key(3), op, steps=12, progress=False)
    assert np.all(np.diff(np.asarray(out.losses)[:, 1:], axis=1) <= 0)


def test_checkpointed_synthesis_resumes_where_it_stopped(setup, tmp_path):
    op, target = setup
    kwargs = {"op": op, "optimiser": "adam", "learning_rate": 0.05, "progress": False, "chunk": 5}
    full = sc.synthesise(target, jax.random.key(1), steps=10, **kwargs)
    sc.synthesise(target, jax.random.key(1), steps=5, checkpoint=tmp_path, **kwargs)
    resumed = sc.synthesise(target, jax.random.key(1), steps=10, checkpoint=tmp_path, **kwargs)
    assert float(full.losses[0, -1]) < float(full.losses[0, 0])
    np.testing.assert_allclose(resumed.losses, full.losses, rtol=1e-10)
    np.testing.assert_allclose(resumed.flm, full.flm, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="n_samples=1 but this run has 2"):
        sc.synthesise(
            target, jax.random.key(1), steps=10, n_samples=2, checkpoint=tmp_path, **kwargs
        )


def test_meta_target_is_the_mean_of_the_targets_statistics(setup):
    op, target = setup
    other = s2.inverse(lognormal_flm(jax.random.key(12), L), L, reality=True)
    meta = sc.make_target(jnp.stack([target, other]), op, meta=True)
    a, b = sc.make_target(target, op), sc.make_target(other, op)
    np.testing.assert_allclose(meta.norm, (a.norm + b.norm) / 2, rtol=1e-12)
    np.testing.assert_allclose(meta.cl, (a.cl + b.cl) / 2, rtol=1e-12)
    np.testing.assert_allclose(meta.stats.var, (a.stats.var + b.stats.var) / 2, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs", [{"nonlinearity": "modulus", "epsilon": 0.5, "method": "precompute"}, {}]
)
def test_gradients_of_the_statistics_match_finite_differences(kwargs):
    from jax.test_util import check_grads

    op = sc.make_scattering(4, J_min=0, **kwargs)
    flm = lognormal_flm(jax.random.key(13), 4)

    def summary(x):
        stats = sc.flm_to_scattering_covariance(x, op, jnp.ones(op.n_scales))
        return jnp.sum(stats.s1) + jnp.sum(stats.s3.real) + jnp.sum(stats.s4.real)

    check_grads(summary, (flm,), order=1, modes=["fwd", "rev"], atol=1e-6, rtol=1e-6)
