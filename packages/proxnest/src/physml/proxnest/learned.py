r"""Learned priors: a convolutional denoiser used through Tweedie's formula.

A denoiser :math:`D` trained to minimise :math:`\mathbb E\|D(x + \sigma_d n) - x\|^2` over
images :math:`x` approximates the posterior mean :math:`\mathbb E[x | z]`, so (Tweedie;
Efron 2011) the score of the :math:`\sigma_d`-smoothed image distribution is

.. math:: \nabla\log p_{\sigma_d}(z) \approx (D(z) - z)/\sigma_d^2,

which replaces the Moreau–Yosida drift of a hand-crafted prior (plug-and-play ULA, Laumont et
al. 2022; learned proximal nested sampling, McEwen et al. 2023). The prior has no density, so
sampling uses the unadjusted ``"myula"`` move.

The network is a residual DnCNN-style CNN (Zhang et al. 2017) in Flax NNX; training images are
generated on the fly (:func:`generate_images`), nothing is downloaded. Trained weights are saved
as ``.npz`` + JSON metadata (no pickle).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm

from physml.proxnest._validation import check_int, check_positive
from physml.proxnest.priors import Prior

FORMAT_VERSION = 1


class Denoiser(nnx.Module):
    """Residual CNN ``D(z) = z - R(z)`` on ``(..., ny, nx)`` images (periodic padding)."""

    def __init__(self, *, features: int = 16, depth: int = 4, rngs: nnx.Rngs):
        self.features = features
        self.depth = depth
        chans = [1] + [features] * (depth - 1) + [1]
        self.convs = nnx.List(
            [
                nnx.Conv(chans[i], chans[i + 1], (3, 3), padding="CIRCULAR", rngs=rngs)
                for i in range(depth)
            ]
        )

    def __call__(self, z: jax.Array) -> jax.Array:
        h = z[..., None]
        for conv in self.convs[:-1]:
            h = nnx.relu(conv(h))
        return z - self.convs[-1](h)[..., 0]


def generate_images(key: jax.Array, n: int, shape: tuple[int, int], n_blobs: int = 4):
    """``n`` synthetic ``shape`` images: sums of random Gaussian blobs (galaxy-like), in [0, 1].

    Returns:
        ``(n, ny, nx)`` float array.
    """
    ny, nx = shape
    k1, k2, k3, k4 = jax.random.split(key, 4)
    centres = jax.random.uniform(k1, (n, n_blobs, 2)) * jnp.array([ny, nx])
    widths = jax.random.uniform(k2, (n, n_blobs), minval=0.05, maxval=0.2) * min(ny, nx)
    amps = jax.random.uniform(k3, (n, n_blobs), minval=0.2, maxval=1.0)
    ellip = jax.random.uniform(k4, (n, n_blobs), minval=0.5, maxval=1.0)
    yy, xx = jnp.meshgrid(jnp.arange(ny), jnp.arange(nx), indexing="ij")
    dy = yy[None, None] - centres[..., 0, None, None]
    dx = xx[None, None] - centres[..., 1, None, None]
    r2 = (dy / ellip[..., None, None]) ** 2 + dx**2
    img = jnp.sum(amps[..., None, None] * jnp.exp(-r2 / (2 * widths[..., None, None] ** 2)), 1)
    return img / jnp.maximum(jnp.max(img, axis=(-2, -1), keepdims=True), 1e-12)


def train_denoiser(
    key: jax.Array,
    images: jax.Array,
    noise_std: float,
    *,
    steps: int = 500,
    batch_size: int = 32,
    learning_rate: float = 2e-3,
    features: int = 16,
    depth: int = 4,
    progress: bool = True,
) -> Denoiser:
    r"""Train a :class:`Denoiser` on ``images`` (``(n, ny, nx)``) at noise level ``noise_std``.

    Minimises :math:`\|D(x + \sigma_d n) - x\|^2` with Adam (optax), fresh noise every step.
    """
    noise_std = check_positive(noise_std, "noise_std")
    steps = check_int(steps, "steps")
    k_init, key = jax.random.split(key)
    model = Denoiser(features=features, depth=depth, rngs=nnx.Rngs(k_init))
    optimizer = nnx.Optimizer(model, optax.adam(learning_rate), wrt=nnx.Param)
    images = jnp.asarray(images)

    @nnx.jit
    def train_step(model, optimizer, k):
        k1, k2 = jax.random.split(k)
        idx = jax.random.randint(k1, (batch_size,), 0, images.shape[0])
        x = images[idx]
        z = x + noise_std * jax.random.normal(k2, x.shape, x.dtype)

        def loss_fn(m):
            return jnp.mean((m(z) - x) ** 2)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    for k in tqdm(jax.random.split(key, steps), disable=not progress, desc="denoiser"):
        train_step(model, optimizer, k)
    return model


def _flat_state(model: Denoiser) -> dict[str, np.ndarray]:
    leaves = jax.tree_util.tree_flatten_with_path(nnx.state(model, nnx.Param))[0]
    return {jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves}


def save_denoiser(path: str | Path, model: Denoiser, noise_std: float) -> None:
    """Write ``<path>.npz`` (weights) and ``<path>.json`` (architecture, noise level)."""
    path = Path(path)
    np.savez(path.with_suffix(".npz"), **_flat_state(model))
    meta = {"version": FORMAT_VERSION, "features": model.features, "depth": model.depth}
    meta["noise_std"] = float(noise_std)
    path.with_suffix(".json").write_text(json.dumps(meta))


def load_denoiser(path: str | Path) -> tuple[Denoiser, float]:
    """Read a denoiser written by :func:`save_denoiser`; checks version and shapes."""
    path = Path(path)
    meta = json.loads(path.with_suffix(".json").read_text())
    if meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path} has format version {meta.get('version')}, need {FORMAT_VERSION}")
    model = Denoiser(features=meta["features"], depth=meta["depth"], rngs=nnx.Rngs(0))
    stored = np.load(path.with_suffix(".npz"))
    state = nnx.state(model, nnx.Param)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(state)
    new = []
    for p, v in leaves:
        name = jax.tree_util.keystr(p)
        if name not in stored or stored[name].shape != v.shape:
            raise ValueError(f"{path}: weight {name} missing or not of shape {v.shape}")
        new.append(jnp.asarray(stored[name]))
    nnx.update(model, jax.tree_util.tree_unflatten(treedef, new))
    return model, meta["noise_std"]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class DenoiserPrior(Prior):
    r"""Prior known through a denoiser: drift :math:`(D(x) - x)/\sigma_d^2` (Tweedie).

    Build with :meth:`create` from a trained :class:`Denoiser`. ``lipschitz`` returns
    :math:`1/\sigma_d^2` (exact for a denoiser that is non-expansive around the identity).
    """

    graphdef: nnx.GraphDef = dataclasses.field(metadata={"static": True})
    params: nnx.State
    noise_std: jax.Array
    image_shape: tuple[int, int] = dataclasses.field(metadata={"static": True})
    has_density = False

    @classmethod
    def create(cls, model: Denoiser, noise_std: float, shape: tuple[int, int]) -> DenoiserPrior:
        check_positive(noise_std, "noise_std")
        graphdef, params = nnx.split(model)
        return cls(graphdef, params, jnp.asarray(noise_std, float), tuple(shape))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.image_shape

    def denoise(self, x: jax.Array) -> jax.Array:
        return nnx.merge(self.graphdef, self.params)(x)

    def drift(self, x, lam):
        return (self.denoise(x) - x) / self.noise_std**2

    def lipschitz(self, lam):
        return 1.0 / self.noise_std**2
