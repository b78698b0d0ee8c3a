import jax
import jax.numpy as jnp
import numpy as np
import pytest

import physml.proxnest as pn
from physml.proxnest.learned import (
    DenoiserPrior,
    generate_images,
    load_denoiser,
    save_denoiser,
    train_denoiser,
)

SHAPE = (8, 8)
S, SIGMA_D = 1.0, 0.5


@pytest.fixture(scope="module")
def gaussian_denoiser():
    # i.i.d. N(0, s²) pixels: the MMSE denoiser is linear, D(z) = z s²/(s² + σ_d²) (Tweedie).
    images = S * jax.random.normal(jax.random.key(0), (512, *SHAPE))
    return train_denoiser(
        jax.random.key(1), images, SIGMA_D, steps=250, features=8, depth=3, progress=False
    )


def test_denoiser_learns_the_mmse_shrinkage_and_tweedie_score(gaussian_denoiser):
    z = (S**2 + SIGMA_D**2) ** 0.5 * jax.random.normal(jax.random.key(2), (16, *SHAPE))
    shrink = S**2 / (S**2 + SIGMA_D**2)
    got = gaussian_denoiser(z)
    rel = float(jnp.linalg.norm(got - shrink * z) / jnp.linalg.norm(shrink * z))
    assert rel < 0.1
    prior = DenoiserPrior.create(gaussian_denoiser, SIGMA_D, SHAPE)
    score = prior.drift(z[0], 1.0)
    exact = -z[0] / (S**2 + SIGMA_D**2)
    assert float(jnp.linalg.norm(score - exact) / jnp.linalg.norm(exact)) < 0.3


def test_save_load_roundtrip(gaussian_denoiser, tmp_path):
    save_denoiser(tmp_path / "d", gaussian_denoiser, SIGMA_D)
    model, noise = load_denoiser(tmp_path / "d")
    z = jax.random.normal(jax.random.key(3), SHAPE)
    np.testing.assert_array_equal(model(z), gaussian_denoiser(z))
    assert noise == SIGMA_D
    (tmp_path / "d.json").write_text('{"version": 99}')
    with pytest.raises(ValueError, match="format version 99"):
        load_denoiser(tmp_path / "d")


def test_learned_prior_evidence_matches_the_smoothed_gaussian_it_learned(gaussian_denoiser):
    # The Tweedie score is that of N(0, s² + σ_d²); MYULA on it should give that evidence.
    shape = (4, 4)
    prior = DenoiserPrior.create(gaussian_denoiser, SIGMA_D, shape)
    phi = pn.Identity(shape)
    y = 1.2 * jax.random.normal(jax.random.key(4), shape)
    res = pn.sample(
        jax.random.key(5),
        y,
        phi,
        0.5,
        prior,
        n_live=100,
        n_steps=20,  # MYULA's bias grows with δ·steps; 20 is the setting this bound was set at
        lambda_prior=0.05,
        progress=False,
        n_burn_rounds=30,
        step_size=0.005,
    )
    truth = pn.gaussian_ln_evidence(y, phi, 0.5, (S**2 + SIGMA_D**2) ** 0.5)
    # Unadjusted Langevin + a learned score: looser than the exact-MH target of 0.5 nats.
    assert abs(res.ln_z - truth) < 1.0


def test_generated_images_are_normalised_blobs():
    imgs = generate_images(jax.random.key(6), 5, (16, 16))
    assert imgs.shape == (5, 16, 16)
    np.testing.assert_allclose(imgs.max(axis=(1, 2)), 1.0, atol=1e-12)
    assert float(imgs.min()) >= 0.0
