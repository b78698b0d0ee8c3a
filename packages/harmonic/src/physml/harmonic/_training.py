"""Maximum-likelihood training of a Flax NNX density model with optax.

One epoch is one ``jax.lax.scan`` over shuffled minibatches followed by the held-out
validation loss, compiled once per (model, data shape, optimiser settings) and cached across
fits. The Python loop over epochs keeps the best parameters and stops early when the
validation loss has not improved by more than ``min_delta`` (nats per sample) for
``patience`` epochs.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm


class TrainingHistory(NamedTuple):
    """Per-epoch mean training and validation negative log likelihood (nats per sample)."""

    train_loss: np.ndarray
    val_loss: np.ndarray
    best_epoch: int


def _optimizer(learning_rate: float, weight_decay: float) -> optax.GradientTransformation:
    return optax.chain(
        optax.clip_by_global_norm(1.0), optax.adamw(learning_rate, weight_decay=weight_decay)
    )


def _loss(graphdef, params, batch):
    return -jnp.mean(nnx.merge(graphdef, params).log_prob_u(batch, 1.0))


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _init_opt(graphdef, learning_rate, weight_decay, params):
    del graphdef
    return _optimizer(learning_rate, weight_decay).init(params)


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _epoch(graphdef, learning_rate, weight_decay, batch_size, params, state, data, val, key):
    opt = _optimizer(learning_rate, weight_decay)
    n = data.shape[0]
    nbatches = n // batch_size
    idx = jax.random.permutation(key, n)[: nbatches * batch_size].reshape(nbatches, batch_size)

    def step(carry, batch_idx):
        p, s = carry
        loss, grads = jax.value_and_grad(_loss, argnums=1)(graphdef, p, data[batch_idx])
        updates, s = opt.update(grads, s, p)
        return (optax.apply_updates(p, updates), s), loss

    (params, state), losses = jax.lax.scan(step, (params, state), idx)
    return params, state, jnp.mean(losses), _loss(graphdef, params, val)


def train_density(
    graphdef,
    params,
    x_train: np.ndarray,
    x_val: np.ndarray,
    *,
    key: jax.Array,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    patience: int,
    min_delta: float,
    progress: bool,
):
    """Minimise ``-mean ln q(x)`` over ``x_train``; the module must define ``log_prob_u(x, T)``.

    Returns the parameters of the epoch with the lowest validation loss and the
    :class:`TrainingHistory`.
    """
    batch_size = int(min(batch_size, x_train.shape[0]))
    lr, wd = float(learning_rate), float(weight_decay)
    opt_state = _init_opt(graphdef, lr, wd, params)
    data, val = jnp.asarray(x_train), jnp.asarray(x_val)
    keys = jax.random.split(key, epochs)
    best_loss, best_params, best_epoch, last_gain = np.inf, params, 0, 0
    train_hist, val_hist = [], []
    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="training flow", leave=False)
    for epoch in bar:
        params, opt_state, train_loss, val_loss = _epoch(
            graphdef, lr, wd, batch_size, params, opt_state, data, val, keys[epoch - 1]
        )
        train_loss, val_loss = float(train_loss), float(val_loss)
        train_hist.append(train_loss)
        val_hist.append(val_loss)
        if not np.isfinite(val_loss):
            break
        if val_loss < best_loss - min_delta:
            last_gain = epoch
        if val_loss < best_loss:
            best_loss, best_params, best_epoch = val_loss, params, epoch
        if epoch - last_gain >= patience:
            break
        bar.set_postfix(train=f"{train_loss:.3f}", val=f"{val_loss:.3f}")
    bar.close()
    return best_params, TrainingHistory(np.array(train_hist), np.array(val_hist), best_epoch)
