"""NumPyro integration: posterior samples and their log posterior as :class:`Chains`.

The evidence is invariant under a change of variables, so it can be computed in NumPyro's
unconstrained space, where the unnormalised log posterior is minus the potential energy
(``ln L + ln π`` plus the log-Jacobian of the constraining transforms) and where flows need
not respect bounds. Parameters are flattened per sample with
``jax.flatten_util.ravel_pytree`` (site names in sorted order, each site's values in
row-major order). NumPyro is imported only when these functions are called (install the
``numpyro`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from physml.harmonic.chains import Chains

__all__ = ["chains_from_numpyro", "chains_from_samples"]


def _grouped(samples: Mapping[str, object]) -> dict[str, jax.Array]:
    if not isinstance(samples, Mapping) or not samples:
        raise TypeError("samples must be a non-empty dict {site name: [nchains, nsamples, ...]}")
    out = {k: jnp.asarray(v) for k, v in samples.items()}
    lead = {k: v.shape[:2] for k, v in out.items()}
    if any(v.ndim < 2 for v in out.values()) or len(set(lead.values())) != 1:
        raise ValueError(
            "every entry of samples needs the same leading shape [nchains, nsamples], got "
            f"{ {k: tuple(v.shape) for k, v in out.items()} }"
        )
    return out


def chains_from_samples(
    samples: Mapping[str, object], potential_fn: Callable[[dict], jax.Array]
) -> tuple[Chains, Callable]:
    """Chains from a dict of grouped samples and a potential ``U(params) = -ln P̃(params)``.

    Parameters
    ----------
    samples : dict of str -> array ``[nchains, nsamples, ...]``
    potential_fn : callable
        Takes one sample's dict and returns the scalar potential energy.

    Returns
    -------
    chains : Chains
        Flattened samples ``[nchains, nsamples, d]`` with ``ln_posterior = -U``.
    unravel : callable
        Maps a flat vector ``[d]`` back to the dict of one sample.
    """
    grouped = _grouped(samples)
    one = jax.tree_util.tree_map(lambda v: v[0, 0], grouped)
    _, unravel = ravel_pytree(one)

    def flat_and_lp(sample):
        return ravel_pytree(sample)[0], -potential_fn(sample)

    flat_and_lp = jax.vmap(jax.vmap(flat_and_lp))
    x, lp = jax.jit(flat_and_lp)(grouped)
    return Chains.from_arrays(np.asarray(x), np.asarray(lp)), unravel


def chains_from_numpyro(
    mcmc, *, model_args: tuple = (), model_kwargs: dict | None = None
) -> tuple[Chains, Callable]:
    """Chains in NumPyro's unconstrained space from a finished ``numpyro.infer.MCMC``.

    ``model_args``/``model_kwargs`` are the arguments the model was run with (its data).
    ``ln_posterior`` is minus NumPyro's potential energy, i.e. the log joint density of the
    unconstrained parameters, whose integral is the evidence.

    Returns
    -------
    chains : Chains
    unravel : callable
        Flat unconstrained vector ``[d]`` -> dict of unconstrained site values.
    """
    from numpyro.infer.util import potential_energy, unconstrain_fn

    model = getattr(getattr(mcmc, "sampler", None), "model", None)
    if model is None:
        raise TypeError("mcmc must be a numpyro.infer.MCMC whose sampler has a model")
    model_kwargs = model_kwargs or {}
    samples = mcmc.get_samples(group_by_chain=True)
    if not samples:
        raise ValueError("mcmc holds no samples: call mcmc.run(...) first")

    def unconstrain(params):
        return unconstrain_fn(model, model_args, model_kwargs, params)

    unconstrained = jax.jit(jax.vmap(jax.vmap(unconstrain)))(samples)

    def potential(params):
        return potential_energy(model, model_args, model_kwargs, params)

    return chains_from_samples(unconstrained, potential)
