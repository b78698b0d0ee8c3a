"""Step 3 of the demo: a rotation-equivariant DISCO denoiser trained on emulated fields.

The denoiser is D(x) = I(g_ℓ · F x) + U(x): a learned isotropic linear filter (one gain per
degree ℓ, applied in harmonic space with physml-s2fft; the form of the Wiener filter) plus a
DISCO spherical U-Net U (physml-disco) for what a linear filter cannot do.  Every part commutes
with rotations (U up to quadrature error).  It is trained by minimising E‖D(x + n) − x‖² over
the emulated fields x and fresh noise n, where n is white in the real harmonic coordinates r of
physml.proxnest.sphere (each r_ℓm ~ N(0, σ_d²): band-limited, isotropic).  By Tweedie's
formula the score of the emulated-field prior smoothed by that noise is then

    ∇_r log p_σd(r) ≈ (F D(I r) − r) / σ_d²

in the coordinates that proxnest samples (Kadkhodaie & Simoncelli 2021; McEwen et al. 2023):
the learned prior of step 4.  Noise white in pixels instead would put the score in the wrong
metric (off by the pixel count per steradian, ≈ 22 at L = 12).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from tqdm.auto import tqdm

import physml.disco as disco
from physml import s2fft


def harmonic_noise_std(pixel_rms: float, L: int) -> float:
    """σ_d of harmonic-white noise whose maps have r.m.s. ``pixel_rms`` per pixel.

    With E|n_ℓm|² = σ_d² for ℓ < L, the pixel variance is Σ_ℓ (2ℓ+1) σ_d² / 4π = L² σ_d² / 4π.
    """
    return pixel_rms * math.sqrt(4.0 * math.pi) / L


def noise_maps(key: jax.Array, noise_std: float, shape: tuple[int, ...]) -> jax.Array:
    """Band-limited white noise (E|n_ℓm|² = σ_d²) on MW maps of shape ``(…, L, 2L−1)``."""
    *batch, L, _ = shape
    flm = s2fft.random_flm(key, L, jnp.full((L,), noise_std**2), batch=tuple(batch))
    return s2fft.inverse(flm, L, reality=True)


class SphericalDenoiser(nnx.Module):
    """D(x) = I(g_ℓ · F x) + U(x) on single-channel MW maps ``(…, L, 2L−1)``."""

    def __init__(self, L: int, *, width: int = 8, depth: int = 2, rngs: nnx.Rngs):
        self.L = L
        self.gain = nnx.Param(jnp.ones((L,), jnp.float64))  # starts as the identity
        self.unet = disco.SphericalUNet(
            1, 1, L=L, sampling="mw", depth=depth, width=width, dtype=jnp.float64, rngs=rngs
        )

    def __call__(self, x: jax.Array) -> jax.Array:
        flm = s2fft.forward(x, self.L, reality=True)
        linear = s2fft.inverse(flm * self.gain[...][:, None], self.L, reality=True)
        return linear + self.unet(x[..., None, :, :])[..., 0, :, :]


def train(
    key: jax.Array,
    maps: jax.Array,
    noise_std: float,
    *,
    steps: int = 300,
    batch_size: int = 8,
    learning_rate: float = 3e-3,
    width: int = 8,
    progress: bool = True,
) -> tuple[SphericalDenoiser, list[float]]:
    """Train on ``maps`` ``(n, L, 2L−1)`` with noise σ_d = ``noise_std`` per harmonic coefficient.

    Adam with a cosine learning-rate decay; the noise is drawn afresh every step.  Returns
    the model and the loss history.
    """
    maps = jnp.asarray(maps)
    L = maps.shape[-2]
    k_init, key = jax.random.split(key)
    model = SphericalDenoiser(L, width=width, rngs=nnx.Rngs(k_init))
    schedule = optax.cosine_decay_schedule(learning_rate, steps)
    optimizer = nnx.Optimizer(model, optax.adam(schedule), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, k):
        k_idx, k_noise = jax.random.split(k)
        x = maps[jax.random.randint(k_idx, (batch_size,), 0, maps.shape[0])]
        z = x + noise_maps(k_noise, noise_std, x.shape)

        def loss_fn(m):
            return jnp.mean((m(z) - x) ** 2)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    history = []
    for k in tqdm(jax.random.split(key, steps), disable=not progress, desc="DISCO denoiser"):
        history.append(float(step(model, optimizer, k)))
    return model, history


def denoising_gain(model: SphericalDenoiser, maps: jax.Array, noise_std: float, key) -> float:
    """MSE(noisy − clean) / MSE(D(noisy) − clean) on held-out maps (> 1 means it helps)."""
    noisy = maps + noise_maps(key, noise_std, maps.shape)
    before = jnp.mean((noisy - maps) ** 2)
    after = jnp.mean((model(noisy) - maps) ** 2)
    return float(before / after)
