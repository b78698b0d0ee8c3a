"""The one-call entry point: posterior samples in, ``ln Z`` with error and diagnostics out."""

from __future__ import annotations

import dataclasses
import functools

import jax
from jax.sharding import Mesh

from physml.harmonic._random import key_data, numpy_rng
from physml.harmonic._validation import check_positive_int, check_temperature
from physml.harmonic.chains import Chains, remove_burn_in, split_by_chains, split_into_blocks
from physml.harmonic.classical import GaussianMixture
from physml.harmonic.evidence import EvidenceResult, ln_evidence
from physml.harmonic.flows import RealNVPFlow, RQSplineFlow, _FlowConfig
from physml.harmonic.support import support_corrected, target_mass_in_support

__all__ = ["MODELS", "estimate_evidence", "get_model"]

MODELS = {
    "rqspline": RQSplineFlow,
    "realnvp": RealNVPFlow,
    "gaussian_mixture": GaussianMixture,
}
"""Names accepted by ``model=``: each maps to a model class with ``fit(samples, key=...)``."""


def get_model(model: object):
    """A model instance from a name in :data:`MODELS`, or ``model`` itself if it has ``fit``."""
    if isinstance(model, str):
        if model not in MODELS:
            raise ValueError(f"model={model!r} is not one of {sorted(MODELS)}")
        return MODELS[model]()
    if not callable(getattr(model, "fit", None)):
        raise TypeError(f"model must be a name in {sorted(MODELS)} or have a fit method")
    return model


def estimate_evidence(
    samples,
    ln_posterior,
    *,
    key: jax.Array,
    model: object = "rqspline",
    temperature: float = 0.8,
    lengths=None,
    n_burn: int = 0,
    nblocks: int | None = None,
    train_fraction: float = 0.5,
    progress: bool = True,
    mesh: Mesh | None = None,
    ln_posterior_fn=None,
    n_support_draws: int = 100_000,
    **fit_kwargs,
) -> EvidenceResult:
    """Estimate ``ln Z`` from posterior samples with the learned harmonic mean.

    Whole chains are split at random into a training set, on which the target density is
    fitted, and an inference set, on which the evidence is computed with the target at
    temperature ``T`` (base covariance scaled by ``T``; McEwen et al. 2021, §5).

    Parameters
    ----------
    samples : array ``[nchains, nsamples, d]``
    ln_posterior : array ``[nchains, nsamples]``
        ``ln L(θ) + ln π(θ)`` at the samples (unnormalised; the evidence is its integral).
    key : PRNG key
        Drives the train/inference split and the fit.
    model : str or model
        ``"rqspline"`` (default), ``"realnvp"``, ``"gaussian_mixture"`` or a configured model
        such as ``RQSplineFlow(n_layers=6)``.
    temperature : float
        ``0 < T``, usually 0.5–0.9; smaller is safer against a too-wide target and noisier.
        Multimodal posteriors often need ``T ≈ 0.6`` (the flow leaks mass between modes).
    lengths : array ``[nchains]`` of int, optional
        Valid samples per chain for chains of unequal length (padding is ignored).
    n_burn : int
        Samples dropped at the start of every chain.
    nblocks : int, optional
        Split each chain into this many blocks first (for few long chains, e.g. NUTS).
    train_fraction : float
        Fraction of chains used to fit the target.
    progress : bool
        Show the training progress bar.
    mesh : jax.sharding.Mesh, optional
        Spread the work over the mesh's devices: the flow trains data parallel (minibatches
        split, parameters replicated, gradients all-reduced) and the evidence is accumulated
        with the inference chains split over the devices.
    ln_posterior_fn : callable, optional
        ``θ [n, d] -> ln L + ln π [n]`` (``-inf`` outside the prior's support). For bounded
        priors: ``n_support_draws`` draws from the target measure its mass ``m`` on the
        support, and ``ln Z`` is corrected by ``ln m`` (:mod:`physml.harmonic.support`).
    **fit_kwargs
        Passed to the model's ``fit`` (``epochs``, ``learning_rate``, ``patience`` …).

    Returns
    -------
    EvidenceResult
        With ``ln_z``, ``sigma_ln_z``, the diagnostics, ``warnings`` and the fitted ``model``.
    """
    temperature = check_temperature(temperature)
    fitter = get_model(model)
    chains = Chains.from_arrays(samples, ln_posterior, lengths)
    if n_burn:
        chains = remove_burn_in(chains, n_burn)
    if nblocks is not None:
        chains = split_into_blocks(chains, check_positive_int("nblocks", nblocks))
    rng = numpy_rng(key)
    k_split, k_fit, k_support = key_data(rng), key_data(rng), key_data(rng)
    train, infer = split_by_chains(chains, key=k_split, train_fraction=train_fraction)
    if mesh is not None:
        fit_kwargs["mesh"] = mesh
    elif isinstance(fitter, _FlowConfig):
        # map the inference samples through the flow as part of the fit (on the host or
        # compiled while the training runs), instead of a log_prob program after it
        fit_kwargs.setdefault("evaluate", infer.flat_samples())
    fitted = fitter.fit(train, key=k_fit, progress=progress, **fit_kwargs)
    target = functools.partial(fitted.log_prob, temperature=temperature)
    result = ln_evidence(infer, target, mesh=mesh)
    if ln_posterior_fn is not None:
        n_support_draws = check_positive_int("n_support_draws", n_support_draws)
        mass = target_mass_in_support(
            fitted,
            ln_posterior_fn,
            key=jax.random.wrap_key_data(k_support),
            temperature=temperature,
            n=n_support_draws,
        )
        result = support_corrected(result, mass, n_support_draws)
    return dataclasses.replace(result, model=fitted, temperature=temperature)
