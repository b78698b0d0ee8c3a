r"""The learned harmonic mean estimator of the Bayesian evidence, in float64 log space.

For posterior samples θ_ij (chain i, sample j) with unnormalised posterior
``P̃(θ) = L(θ) π(θ)`` and a normalised target density φ contained in the posterior,

.. math:: \hat ρ_i = \frac{1}{n_i}\sum_j \frac{φ(θ_{ij})}{P̃(θ_{ij})}, \qquad
          \hat ρ = \sum_i \frac{n_i}{N} \hat ρ_i \;\approx\; \frac{1}{Z}

(Newton & Raftery 1994; McEwen et al. 2021, arXiv:2111.12720). Everything is computed as
log-mean-exp of ``ln φ - ln P̃`` in float64. The error comes from the spread between the
independent chains,

.. math:: \hat σ^2 = \frac{1}{C-1}\sum_i \frac{n_i}{N} (\hat ρ_i - \hat ρ)^2,

with ``σ(ln Z) = σ̂/ρ̂`` (delta method) and the second-order bias correction
``ln Z = -ln ρ̂ - σ(ln Z)²/2``. The kurtosis κ of the per-chain estimates gives the variance of
the variance, ``Var(σ̂²) = σ̂⁴ (κ - 1 + 2/(n_eff - 1)) / n_eff``, n_eff = N²/Σn_i².
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from physml.harmonic.chains import Chains
from physml.harmonic.diagnostics import (
    effective_sample_fraction,
    max_weight_fraction,
    pareto_khat,
)

__all__ = ["BayesFactor", "EvidenceResult", "ln_bayes_factor", "ln_evidence"]

KHAT_UNRELIABLE = 0.7
MAX_WEIGHT_WARNING = 0.05
SPLIT_Z_WARNING = 3.0


@dataclasses.dataclass(frozen=True)
class EvidenceResult:
    """Evidence estimate with its error and diagnostics.

    Attributes
    ----------
    ln_z : float
        Bias-corrected log evidence ``ln Z``.
    sigma_ln_z : float
        Standard error of ``ln Z``.
    ln_z_uncorrected : float
        ``-ln ρ̂`` before the bias correction.
    ln_inv_z_chains : ndarray ``(nchains,)``
        Per-chain ``ln ρ̂_i`` (estimates of ``-ln Z``).
    nsamples : ndarray ``(nchains,)``
        Samples per inference chain.
    kurtosis : float
        Kurtosis of the per-chain estimates (3 for Gaussian scatter).
    sigma_of_variance : float
        ``sqrt(Var(σ̂²)) / σ̂²``: relative uncertainty of the variance estimate itself.
    pareto_khat : float
        Tail shape of the weights ``φ/P̃`` (:func:`~physml.harmonic.diagnostics.pareto_khat`).
    effective_sample_fraction : float
        Kish effective sample size of the weights divided by their number.
    max_weight_fraction : float
        Share of the estimate carried by the single largest weight.
    split_z : float
        ``(ln Z_a - ln Z_b) / σ`` between two halves of the chains (nan for < 4 chains).
    warnings : tuple of str
        Plain-language problems found by the diagnostics; empty if none. Raised for
        ``k̂ > 0.7`` (heavy weight tail: target too wide), one sample carrying more than 5% of
        the estimate, halves of the chains disagreeing by more than 3σ, or fewer than 100
        effective samples. ``0.5 < k̂ < 0.7`` is reported but not flagged: the variance may be
        infinite while the estimate is usually still close (Vehtari et al. 2024).
    model : object
        The fitted target density (set by :func:`~physml.harmonic.estimate_evidence`).
    temperature : float or None
    """

    ln_z: float
    sigma_ln_z: float
    ln_z_uncorrected: float
    ln_inv_z_chains: np.ndarray
    nsamples: np.ndarray
    kurtosis: float
    sigma_of_variance: float
    pareto_khat: float
    effective_sample_fraction: float
    max_weight_fraction: float
    split_z: float
    warnings: tuple[str, ...]
    model: Any = None
    temperature: float | None = None

    @property
    def reliable(self) -> bool:
        """True when no diagnostic raised a warning."""
        return not self.warnings

    def summary(self) -> str:
        """A few lines of text: the estimate, its error and the diagnostics' verdict."""
        lines = [
            f"ln Z = {self.ln_z:.4f} ± {self.sigma_ln_z:.4f}"
            f" ({len(self.nsamples)} chains, {int(self.nsamples.sum())} samples)",
            f"k̂ = {self.pareto_khat:.2f}, ESS fraction = {self.effective_sample_fraction:.3f},"
            f" kurtosis = {self.kurtosis:.2f}, split z = {self.split_z:.2f}",
        ]
        lines += [f"WARNING: {w}" for w in self.warnings] or ["diagnostics: no problems found"]
        return "\n".join(lines)


def _logsumexp(a: np.ndarray, axis=None, b=None) -> np.ndarray:
    """``ln Σ b e^a`` in float64 NumPy (host-side: eager JAX would compile each op on CPU)."""
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    s = np.sum(np.exp(a - m) if b is None else b * np.exp(a - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(s) + m
    return out.reshape(()) if axis is None else np.squeeze(out, axis)


def _combine(ln_rho_i: np.ndarray, n_i: np.ndarray) -> dict[str, float]:
    """Pool per-chain ``ln ρ̂_i`` into ln ρ̂, its relative variance and the moments."""
    total = n_i.sum()
    wts = n_i / total
    ln_rho = float(_logsumexp(ln_rho_i, b=wts))
    r = np.exp(ln_rho_i - ln_rho)  # ρ̂_i / ρ̂, close to 1
    c = len(n_i)
    m2 = float(np.sum(wts * (r - 1.0) ** 2))
    m4 = float(np.sum(wts * (r - 1.0) ** 4))
    var_rel = m2 / (c - 1)
    kurt = m4 / m2**2 if m2 > 0 else float("nan")
    n_eff = total**2 / np.sum(n_i**2)
    var_var_rel = (kurt - 1.0 + 2.0 / (n_eff - 1.0)) / n_eff if n_eff > 1 else float("nan")
    return {
        "ln_rho": ln_rho,
        "var_rel": var_rel,
        "kurtosis": kurt,
        "sigma_of_variance": math.sqrt(max(var_var_rel, 0.0)),
    }


def _ln_rho_chains(ln_w: np.ndarray, mask: np.ndarray, n_i: np.ndarray) -> np.ndarray:
    return _logsumexp(np.where(mask, ln_w, -np.inf), axis=1) - np.log(n_i)


def _diagnose(khat, ess, wmax, split_z, n_total) -> tuple[str, ...]:
    out = []
    if np.isfinite(khat) and khat > KHAT_UNRELIABLE:
        out.append(
            f"the weights φ/(Lπ) have a heavy tail (Pareto k̂ = {khat:.2f} > 0.7): the target "
            "is too wide for the posterior, the estimate and its error bar are unreliable; "
            "lower the temperature or fit a better model"
        )
    if wmax > MAX_WEIGHT_WARNING:
        out.append(
            f"a single sample carries {100 * wmax:.0f}% of the estimate: the target reaches "
            "into the posterior's tails (too wide) or the samples are too few"
        )
    if np.isfinite(split_z) and abs(split_z) > SPLIT_Z_WARNING:
        out.append(
            f"two independent halves of the chains disagree by {abs(split_z):.1f}σ: the error "
            "bar underestimates the true scatter"
        )
    if ess * n_total < 100:
        out.append(
            f"only {ess * n_total:.0f} samples effectively contribute (ESS fraction "
            f"{ess:.2g}); the estimate is dominated by few samples"
        )
    return tuple(out)


def ln_evidence(chains: Chains, ln_target: Callable[[np.ndarray], Any]) -> EvidenceResult:
    """Learned harmonic mean estimate of ``ln Z`` from inference chains and a target density.

    Parameters
    ----------
    chains : Chains
        Inference chains (not used to fit the target), at least 2, with ln posterior values.
    ln_target : callable
        ``θ [n, d] -> ln φ(θ) [n]``, a normalised density, e.g.
        ``functools.partial(fitted.log_prob, temperature=0.8)``.

    Returns
    -------
    EvidenceResult

    Examples
    --------
    >>> import jax, functools
    >>> from physml.harmonic import Chains, RQSplineFlow, ln_evidence, split_by_chains
    >>> from physml.harmonic.testing import gaussian_gaussian_prior
    >>> p = gaussian_gaussian_prior(jax.random.key(0), 2, nchains=10, nsamples=500)
    >>> train, infer = split_by_chains(Chains.from_arrays(p.samples, p.ln_posterior),
    ...                                key=jax.random.key(1))
    >>> flow = RQSplineFlow().fit(train, key=jax.random.key(2), epochs=20, progress=False)
    >>> r = ln_evidence(infer, functools.partial(flow.log_prob, temperature=0.8))
    >>> abs(r.ln_z - p.ln_z) < 0.1
    True
    """
    if not isinstance(chains, Chains):
        raise TypeError(f"chains must be a Chains, got {type(chains).__name__}")
    if chains.nchains < 2:
        raise ValueError(
            f"need at least 2 inference chains for a between-chain variance, got "
            f"{chains.nchains}; split long chains with split_into_blocks"
        )
    mask = np.asarray(chains.mask)
    n_i = np.asarray(chains.lengths).astype(np.float64)
    ln_phi = np.asarray(ln_target(chains.flat_samples()), dtype=np.float64)
    if ln_phi.shape != (chains.nsamples_total,):
        raise ValueError(
            f"ln_target returned shape {ln_phi.shape}, expected ({chains.nsamples_total},)"
        )
    if np.isnan(ln_phi).any() or np.isposinf(ln_phi).any():
        raise ValueError("ln_target returned NaN or +inf at some samples")
    ln_w = np.full(mask.shape, -np.inf)
    ln_w[mask] = ln_phi - np.asarray(chains.flat_ln_posterior(), dtype=np.float64)
    ln_rho_i = _ln_rho_chains(ln_w, mask, n_i)
    pooled = _combine(ln_rho_i, n_i)
    sigma = math.sqrt(pooled["var_rel"])
    split_z = float("nan")
    if chains.nchains >= 4:
        halves = [np.arange(chains.nchains) % 2 == h for h in (0, 1)]
        parts = [_combine(ln_rho_i[h], n_i[h]) for h in halves]
        split_z = (parts[1]["ln_rho"] - parts[0]["ln_rho"]) / math.sqrt(
            parts[0]["var_rel"] + parts[1]["var_rel"] + 1e-300
        )
    flat_w = ln_w[mask]
    ess = effective_sample_fraction(flat_w)
    khat, wmax = pareto_khat(flat_w), max_weight_fraction(flat_w)
    return EvidenceResult(
        ln_z=-pooled["ln_rho"] - 0.5 * pooled["var_rel"],
        sigma_ln_z=sigma,
        ln_z_uncorrected=-pooled["ln_rho"],
        ln_inv_z_chains=ln_rho_i,
        nsamples=n_i.astype(np.int64),
        kurtosis=pooled["kurtosis"],
        sigma_of_variance=pooled["sigma_of_variance"],
        pareto_khat=khat,
        effective_sample_fraction=ess,
        max_weight_fraction=wmax,
        split_z=split_z,
        warnings=_diagnose(khat, ess, wmax, split_z, flat_w.size),
    )


class BayesFactor(NamedTuple):
    """``ln B₁₂ = ln Z₁ - ln Z₂`` and its standard error."""

    ln_b: float
    sigma: float


def ln_bayes_factor(result_1: EvidenceResult, result_2: EvidenceResult) -> BayesFactor:
    """Log Bayes factor of model 1 over model 2, errors added in quadrature (independent)."""
    for name, r in (("result_1", result_1), ("result_2", result_2)):
        if not isinstance(r, EvidenceResult):
            raise TypeError(f"{name} must be an EvidenceResult, got {type(r).__name__}")
    return BayesFactor(
        result_1.ln_z - result_2.ln_z, math.hypot(result_1.sigma_ln_z, result_2.sigma_ln_z)
    )
