"""Step 3 of the demo: a rotation-equivariant DISCO denoiser trained on emulated fields.

The denoiser is residual, D(x) = x + U(x), with U a DISCO spherical U-Net (physml-disco):
every convolution is a DISCO convolution with an isotropic filter, so D commutes with
rotations up to quadrature error.  It is trained by minimising E‖D(x + σ_d n) − x‖² over the
emulated fields x and fresh Gaussian noise n, so that by Tweedie's formula
(D(x) − x)/σ_d² ≈ ∇ log p_σd(x) is the score of the emulated-field prior smoothed at σ_d: the
learned prior of step 4 (Kadkhodaie & Simoncelli 2021; McEwen et al. 2023).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from tqdm.auto import tqdm

import physml.disco as disco


class SphericalDenoiser(nnx.Module):
    """D(x) = x + U(x) on single-channel MW maps ``(…, L, 2L−1)``."""

    def __init__(self, L: int, *, width: int = 8, depth: int = 2, rngs: nnx.Rngs):
        self.unet = disco.SphericalUNet(
            1, 1, L=L, sampling="mw", depth=depth, width=width, dtype=jnp.float64, rngs=rngs
        )

    def __call__(self, x: jax.Array) -> jax.Array:
        return x + self.unet(x[..., None, :, :])[..., 0, :, :]


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
    """Train on ``maps`` ``(n, L, 2L−1)``; returns the model and the loss history.

    Adam with a cosine learning-rate decay; the noisy inputs are drawn afresh every step.
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
        z = x + noise_std * jax.random.normal(k_noise, x.shape, x.dtype)

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
    noisy = maps + noise_std * jax.random.normal(key, maps.shape, maps.dtype)
    before = jnp.mean((noisy - maps) ** 2)
    after = jnp.mean((model(noisy) - maps) ** 2)
    return float(before / after)
