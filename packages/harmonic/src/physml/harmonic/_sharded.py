"""The weights ``ln w = ln φ - ln P̃`` and per-chain sums, with chains split over devices.

The target density is evaluated where the chains live: the chain axis of the samples is
padded to a multiple of the device count (padding chains have no valid samples) and placed
over the first axis of a :class:`jax.sharding.Mesh`; one compiled program computes the
weights and each chain's ``ln ρ̂_i = ln Σ_j w_ij - ln n_i`` on its own device, with no
communication (chains are independent). The results are gathered to the host, where the
cheap steps (blocks, diagnostics) run as for one device.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from physml.harmonic.chains import Chains


def ln_weights_over_devices(
    chains: Chains, ln_target: Callable, mesh: Mesh
) -> tuple[np.ndarray, np.ndarray]:
    """``ln w [nchains, nmax]`` (``-inf`` in the padding) and ``ln ρ̂_i [nchains]``.

    ``ln_target`` must be traceable by JAX (e.g. ``FittedFlow.log_prob``).
    """
    if not isinstance(mesh, Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    axis = mesh.axis_names[0]
    parts = mesh.shape[axis]
    nchains, nmax, d = np.shape(chains.samples)
    padded = parts * -(-nchains // parts)
    x = np.zeros((padded, nmax, d))
    lp = np.zeros((padded, nmax))
    n = np.zeros(padded, dtype=np.int64)
    x[:nchains], lp[:nchains], n[:nchains] = chains.samples, chains.ln_posterior, chains.lengths
    by_chain = NamedSharding(mesh, PartitionSpec(axis))

    @jax.jit
    def weights(x, lp, n):
        ln_phi = jnp.asarray(ln_target(x.reshape(-1, d))).reshape(x.shape[:2])
        valid = jnp.arange(nmax)[None, :] < n[:, None]
        ln_w = jnp.where(valid, ln_phi.astype(lp.dtype) - lp, -jnp.inf)
        ln_w = jax.lax.with_sharding_constraint(ln_w, by_chain)
        ln_rho = jax.nn.logsumexp(ln_w, axis=1) - jnp.log(jnp.maximum(n, 1).astype(lp.dtype))
        return ln_w, ln_rho

    ln_w, ln_rho = weights(*jax.device_put((x, lp, n), by_chain))
    return np.asarray(ln_w)[:nchains], np.asarray(ln_rho)[:nchains]
