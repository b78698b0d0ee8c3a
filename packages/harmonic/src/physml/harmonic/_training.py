"""Maximum-likelihood training of a Flax NNX density model with optax, in one compiled call.

The whole loop is a single ``jax.jit``: a ``jax.lax.while_loop`` over epochs, each epoch a
``jax.lax.scan`` over shuffled minibatches followed by the batches of the held-out validation
set. Validation batches run through the same differentiated step and leave the parameters
unchanged, so the program holds one compiled copy of the flow (a separate forward pass for
the validation loss cost a fifth of the XLA time; the price is a quarter more steps per
epoch, since validation batches also run the backward pass).
The loop keeps the best parameters and stops early once the validation loss has not improved
by more than ``min_delta`` (nats per sample) for ``patience`` epochs.

Nothing that varies between fits triggers a recompile: the training and validation sets are
zero-padded to shared bucket sizes (the last batch is partly padding, masked out of the loss;
steps past it are skipped), and the learning rate, weight decay, ``min_delta``, ``patience``,
the number of epochs and the true sample counts are traced values. One fit compiles once, and
later fits of the same flow in the same dimension on a similar amount of data compile nothing.

Data parallel over a :class:`jax.sharding.Mesh`: the parameters, optimiser state and
(small) data set are replicated on every device, each minibatch (training or validation) is
split over the devices (``with_sharding_constraint``), and XLA's SPMD partitioner turns the
mean loss into per-device partial sums and an all-reduce of the gradients (Xu et al. 2021,
GSPMD). The batch size is rounded up to a multiple of the device count; the result equals
the single-device fit with that batch size up to the order of floating-point sums.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm.auto import tqdm

from physml.core.compilation import jit


class TrainingHistory(NamedTuple):
    """Per-epoch mean training and validation negative log likelihood (nats per sample)."""

    train_loss: np.ndarray
    val_loss: np.ndarray
    best_epoch: int


def _loss(graphdef, params, batch, weight):
    """Mean negative log likelihood over the rows with ``weight`` 1 (padding has 0)."""
    lp = nnx.merge(graphdef, params).log_prob_u(batch, 1.0)
    return -jnp.sum(jnp.where(weight > 0, lp, 0.0)) / jnp.maximum(jnp.sum(weight), 1.0)


def _bucket(n: int, unit: int) -> int:
    """``unit`` times the next power of two ≥ ``n / unit``: padded sizes shared by many fits."""
    return unit * (1 << max(0, -(-n // unit) - 1).bit_length())


_BAR: list = []  # the progress bar of the fit in flight (host callbacks cannot take objects)


def _report(epoch, train_loss, val_loss):
    if _BAR:
        _BAR[0].update(1)
        _BAR[0].set_postfix(train=f"{float(train_loss):.3f}", val=f"{float(val_loss):.3f}")


# XLA:CPU options harmonic's programs add to physml.core's: no YNNPACK fusions, whose calls
# cost more than the flows' small matrix products (training steps 1.2-1.4x faster;
# benchmarks/compile/README.md)
EXTRA_COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": ""}


@jit(
    static_argnames=("graphdef", "max_epochs", "batch_size", "progress", "split"),
    extra_compiler_options=EXTRA_COMPILER_OPTIONS,
)
def _train(
    graphdef,
    params,
    data,
    val,
    key_data,
    hyper,
    *,
    max_epochs,
    batch_size,
    progress,
    split,
):
    learning_rate, weight_decay, epochs, patience, min_delta, n, n_val = hyper
    opt = optax.chain(
        optax.clip_by_global_norm(1.0), optax.adamw(learning_rate, weight_decay=weight_decay)
    )
    # rows n: of data and n_val: of val are padding; steps past the last (partly padded)
    # batch are skipped, so the padded sizes only decide which compiled program is used
    max_batches = data.shape[0] // batch_size
    val_batches = val.shape[0] // batch_size
    nbatches = (n + batch_size - 1) // batch_size
    nval_batches = (n_val + batch_size - 1) // batch_size
    rows_all = jnp.concatenate([data, val])
    # optimise one flat vector: the optimiser's update is then a handful of fused kernels
    # instead of a handful per parameter array (about a sixth less compile time)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    grad_fn = jax.value_and_grad(lambda f, b, w: _loss(graphdef, unravel(f), b, w))

    def active(carry, rows, weight, train):
        p, s = carry
        batch = rows_all[rows]
        if split is not None:
            batch = jax.lax.with_sharding_constraint(batch, split)
        loss, grads = grad_fn(p, batch, weight)
        updates, s_new = opt.update(grads, s, p)
        p_new = optax.apply_updates(p, updates)
        # a validation batch runs the same (differentiated) program and keeps the parameters:
        # one compiled copy of the flow instead of two
        keep = lambda new, old: jnp.where(train, new, old)  # noqa: E731
        return (keep(p_new, p), jax.tree.map(keep, s_new, s)), loss

    def idle(carry, rows, weight, train):
        return carry, jnp.zeros((), data.dtype)

    def step(carry, inputs):
        i, rows = inputs
        train = i < max_batches
        # batch i of the training rows, then batch i - max_batches of the validation rows
        first = jnp.where(train, i, i - max_batches) * batch_size
        count = jnp.where(train, n, n_val)
        weight = (first + jnp.arange(batch_size) < count).astype(data.dtype)
        if split is not None:
            weight = jax.lax.with_sharding_constraint(weight, split)
        used = jnp.where(train, i < nbatches, i - max_batches < nval_batches)
        carry, loss = jax.lax.cond(used, active, idle, carry, rows, weight, train)
        return carry, loss * jnp.sum(weight)

    def epoch_body(c):
        epoch, p, s, best_p, best, best_epoch, last_gain, hist = c
        # a uniform random permutation of the valid rows (put first) from one sort, which
        # compiles faster than jax.random.permutation
        k = jax.random.fold_in(jax.random.wrap_key_data(key_data), epoch)
        u = jax.random.uniform(k, (data.shape[0],)) + (jnp.arange(data.shape[0]) >= n)
        order = jnp.concatenate([jnp.argsort(u), data.shape[0] + jnp.arange(val.shape[0])])
        steps = (jnp.arange(max_batches + val_batches), order.reshape(-1, batch_size))
        (p, s), sums = jax.lax.scan(step, (p, s), steps)
        train_loss = jnp.sum(sums[:max_batches]) / n
        val_loss = jnp.sum(sums[max_batches:]) / n_val
        epoch = epoch + 1
        if progress:
            jax.debug.callback(_report, epoch, train_loss, val_loss)
        last_gain = jnp.where(val_loss < best - min_delta, epoch, last_gain)
        better = val_loss < best
        best_p = jnp.where(better, p, best_p)
        best_epoch = jnp.where(better, epoch, best_epoch)
        best = jnp.where(better, val_loss, best)
        hist = hist.at[:, epoch - 1].set(jnp.stack([train_loss, val_loss]).astype(hist.dtype))
        return epoch, p, s, best_p, best, best_epoch, last_gain, hist

    def go_on(c):
        epoch, last_gain, hist = c[0], c[6], c[7]
        finite = (epoch == 0) | jnp.isfinite(hist[1, jnp.maximum(epoch - 1, 0)])
        return (epoch < epochs) & (epoch - last_gain < patience) & finite

    inf = jnp.asarray(jnp.inf, data.dtype)
    hist = jnp.full((2, max_epochs), jnp.nan, data.dtype)
    zero = jnp.zeros((), jnp.int32)
    init = (zero, flat, opt.init(flat), flat, inf, zero, zero, hist)
    epoch, _, _, best_p, _, best_epoch, _, hist = jax.lax.while_loop(go_on, epoch_body, init)
    return unravel(best_p), epoch, best_epoch, hist


def _evaluate(graphdef, params, x):
    """``(Σ z², ln|det ∂z/∂x|)`` of the fitted map at ``x [m, d]``."""
    z, logdet = nnx.merge(graphdef, params).forward(x)
    return jnp.sum(z**2, -1), logdet


_evaluate_jit = jit(_evaluate, static_argnums=0, extra_compiler_options=EXTRA_COMPILER_OPTIONS)


def train_density(
    graphdef,
    params,
    x_train: np.ndarray,
    x_val: np.ndarray,
    *,
    key_data: np.ndarray,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    patience: int,
    min_delta: float,
    progress: bool,
    mesh: Mesh | None = None,
    x_extra: np.ndarray | None = None,
):
    """Minimise ``-mean ln q(x)`` over ``x_train``; the module must define ``log_prob_u(x, T)``.

    ``key_data`` is raw ``uint32[2]`` threefry key data (see :mod:`physml.harmonic._random`).
    Returns the parameters of the epoch with the lowest validation loss, the
    :class:`TrainingHistory` and, for points ``x_extra [m, d]`` (optional; the module must
    then define ``forward(x) -> (z, ln|det|)``), ``(Σ z², ln|det ∂z/∂x|)`` of the fitted map
    there (else ``None``). With a ``mesh``, training is data parallel over its first axis.

    The evaluation at ``x_extra`` is a separate small program, dispatched right after the
    training program: JAX runs the training asynchronously, so a first fit compiles the
    evaluation while the training runs.
    """
    n, n_val = len(x_train), len(x_val)
    batch_size = int(min(batch_size, _bucket(n, 16)))
    parts, split, place = 1, None, jax.device_put
    if mesh is not None:
        parts = mesh.shape[mesh.axis_names[0]]
        split = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))
        # everything else replicated on the mesh's devices
        place = functools.partial(jax.device_put, device=NamedSharding(mesh, PartitionSpec()))
        batch_size = parts * -(-batch_size // parts)
    # pad to shared sizes: fits on similar amounts of data reuse one compiled program
    data = np.zeros((_bucket(n, batch_size), x_train.shape[1]), x_train.dtype)
    data[:n] = x_train
    # the validation rows run through the training step in whole batches
    val = np.zeros((_bucket(n_val, batch_size), x_val.shape[1]), x_val.dtype)
    val[:n_val] = x_val
    # device_put of NumPy values: jnp.asarray would compile a small program for each
    dtype = x_train.dtype
    hyper = place(
        (
            np.asarray(learning_rate, dtype),
            np.asarray(weight_decay, dtype),
            np.asarray(epochs, np.int32),
            np.asarray(patience, np.int32),
            np.asarray(min_delta, dtype),
            np.asarray(n, np.int32),
            np.asarray(n_val, np.int32),
        )
    )
    bar = tqdm(total=epochs, disable=not progress, desc="training flow", leave=False)
    _BAR[:] = [bar]
    try:
        best_params, n_epochs, best_epoch, hist = _train(
            graphdef,
            place(params),
            *place((data, val, np.asarray(key_data))),
            hyper,
            # the history buffer's length is static: round up so that nearby epoch counts
            # share one compiled program
            max_epochs=max(16, 1 << (int(epochs) - 1).bit_length()),
            batch_size=batch_size,
            progress=bool(progress),
            split=split,
        )
        extra = None
        if x_extra is not None:
            # dispatched before anything waits for the training: while the training runs
            # (asynchronously), this thread compiles the evaluation
            padded = np.zeros((_bucket(len(x_extra), 256), x_extra.shape[1]), x_extra.dtype)
            padded[: len(x_extra)] = x_extra
            extra = _evaluate_jit(graphdef, best_params, place(padded))
        hist = np.asarray(hist)[:, : int(n_epochs)].astype(np.float64)
        if extra is not None:
            extra = tuple(np.asarray(v)[: len(x_extra)].astype(np.float64) for v in extra)
    finally:
        _BAR.clear()
        bar.close()
    return best_params, TrainingHistory(hist[0], hist[1], int(best_epoch)), extra
