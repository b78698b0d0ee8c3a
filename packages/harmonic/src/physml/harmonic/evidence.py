r"""The learned harmonic mean estimator of the Bayesian evidence, in float64 log space.

For posterior samples θ_ij (chain i, sample j) with unnormalised posterior
``P̃(θ) = L(θ) π(θ)`` and a normalised target density φ contained in the posterior,

.. math:: \hat ρ_i = \frac{1}{n_i}\sum_j \frac{φ(θ_{ij})}{P̃(θ_{ij})}, \qquad
          \hat ρ = \sum_i \frac{n_i}{N} \hat ρ_i \;\approx\; \frac{1}{Z}

(Newton & Raftery 1994; McEwen et al. 2021, arXiv:2111.12720). Everything is computed as
log-mean-exp of ``ln φ - ln P̃`` in float64.

**Error bar by batch means.** Every chain is cut into contiguous blocks of ``b`` samples,
with ``b`` at least ten integrated autocorrelation times of the weights and at least
``√n`` (Flegal & Jones 2010; τ by Sokal's 1997 automatic window,
:func:`~physml.harmonic.diagnostics.integrated_autocorr_time`), so block means are nearly
independent also for MCMC chains. With block estimates ``ρ̂_k`` of ``n_k`` samples,

.. math:: \hat σ^2 = \frac{1}{K-1}\sum_k \frac{n_k}{N} (\hat ρ_k - \hat ρ)^2,

``σ(ln Z) = σ̂/ρ̂`` (delta method) and the second-order bias correction
``ln Z = -ln ρ̂ - σ(ln Z)²/2``. The kurtosis κ of the block estimates gives the variance of
the variance, ``Var(σ̂²) = σ̂⁴ (κ - 1 + 2/(K_eff - 1)) / K_eff``, K_eff = N²/Σn_k².

The between-chain variance alone (McEwen et al. 2021, §4; ``b = n``) has only ``C - 1``
degrees of freedom: with the usual ~10 inference chains σ̂ is itself uncertain by ~25% and
``z = (ln Z - truth)/σ`` is heavy-tailed (Student t with 9 dof at best). Batch means keep
hundreds of degrees of freedom; the independent chains are still used, as a check: their
variance must agree with the blocks' (an F test, Gelman & Rubin 1992), and two halves of
the chains must agree with each other.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from jax.sharding import Mesh

from physml.harmonic._sharded import ln_weights_over_devices
from physml.harmonic._validation import check_positive_int
from physml.harmonic.chains import Chains
from physml.harmonic.diagnostics import (
    effective_sample_fraction,
    integrated_autocorr_time,
    max_weight_fraction,
    pareto_khat,
)

__all__ = ["BayesFactor", "EvidenceResult", "ln_bayes_factor", "ln_evidence"]

KHAT_UNRELIABLE = 0.7
MAX_WEIGHT_WARNING = 0.05
SPLIT_Z_WARNING = 3.0
CHAIN_F_WARNING = 3.09  # one-sided normal quantile of p = 0.001
MIN_CHAINS = 4
MIN_BLOCKS = 10
BLOCK_TAUS = 10.0


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
        the estimate, halves of the chains disagreeing by more than 3σ, chains scattering
        more than their blocks predict (p < 0.001), fewer than 100 effective samples, fewer
        than 4 inference chains, or fewer than 10 blocks. ``0.5 < k̂ < 0.7`` is reported but
        not flagged: the variance may be infinite while the estimate is usually still close
        (Vehtari et al. 2024).
    model : object
        The fitted target density (set by :func:`~physml.harmonic.estimate_evidence`).
    temperature : float or None
    sigma_ln_z_chains : float
        σ(ln Z) from the between-chain variance alone (``C - 1`` degrees of freedom).
    autocorr_time : float
        Integrated autocorrelation time τ̂ of the weights along the chains (1: independent).
    block_size : int
        Samples per block ``b`` of the batch-means error bar.
    nblocks : int
        Number of blocks ``K`` over all chains (``K - 1`` degrees of freedom of σ̂²).
    chain_agreement_z : float
        Normal score of ``F = σ̂²_chains / σ̂²_blocks`` under ``F(C-1, K-1)`` (Paulson 1942);
        large when the chains disagree more than their internal noise allows.
    support_mass : float
        Target mass on the posterior's support, when checked (:mod:`physml.harmonic.support`);
        nan if not.
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
    sigma_ln_z_chains: float = float("nan")
    autocorr_time: float = float("nan")
    block_size: int = 0
    nblocks: int = 0
    chain_agreement_z: float = float("nan")
    support_mass: float = float("nan")

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
            f"τ = {self.autocorr_time:.2f}, {self.nblocks} blocks of ~{self.block_size} samples,"
            f" between-chain σ = {self.sigma_ln_z_chains:.4f}",
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


def _block_size(ln_w: np.ndarray, mask: np.ndarray, n_i: np.ndarray) -> tuple[int, float]:
    """``b = max(⌈10 τ̂⌉, ⌈√n⌉)`` from the weights' autocorrelation time τ̂ (and τ̂ itself)."""
    top = np.max(ln_w[mask])
    w = np.where(mask, np.exp(ln_w - (top if np.isfinite(top) else 0.0)), 0.0)
    tau = integrated_autocorr_time(w, n_i.astype(np.int64))
    block = max(math.ceil(BLOCK_TAUS * max(tau, 1.0)), math.ceil(math.sqrt(np.median(n_i))))
    return block, tau


def _blocks(ln_w: np.ndarray, n_i: np.ndarray, block: int):
    """``ln ρ̂_k``, sizes and chain index of ``⌊n_i / b⌋ ≥ 1`` contiguous blocks per chain."""
    ln_rho, sizes, owner = [], [], []
    for i, (row, n) in enumerate(zip(ln_w, n_i.astype(np.int64))):
        k = max(1, n // block)
        starts = (np.arange(k) * n) // k
        top = row[:n].max()
        top = top if np.isfinite(top) else 0.0
        size = np.diff(np.append(starts, n))
        with np.errstate(divide="ignore"):
            ln_rho.append(np.log(np.add.reduceat(np.exp(row[:n] - top), starts) / size) + top)
        sizes.append(size)
        owner.append(np.full(k, i))
    return np.concatenate(ln_rho), np.concatenate(sizes).astype(np.float64), np.concatenate(owner)


def _f_test_z(ratio: float, nu1: int, nu2: int) -> float:
    """Normal score of an F(ν₁, ν₂) statistic (Paulson 1942; Abramowitz & Stegun 26.6.15)."""
    a, b = 2.0 / (9.0 * nu1), 2.0 / (9.0 * nu2)
    c = ratio ** (1.0 / 3.0)
    return ((1.0 - b) * c - (1.0 - a)) / math.sqrt(a + b * c * c)


def _diagnose(khat, ess, wmax, split_z, n_total, nchains, nblocks, chain_z, tau):
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
    if np.isfinite(chain_z) and chain_z > CHAIN_F_WARNING:
        out.append(
            "the chains scatter more than the blocks within them predict (F test z = "
            f"{chain_z:.1f}, p < 0.001): chains that have not mixed, or differ in their "
            "burn-in; the error bar is too small"
        )
    if ess * n_total < 100:
        out.append(
            f"only {ess * n_total:.0f} samples effectively contribute (ESS fraction "
            f"{ess:.2g}); the estimate is dominated by few samples"
        )
    if nchains < MIN_CHAINS:
        out.append(
            f"only {nchains} inference chains: too few to check that independent chains agree, "
            "so the error bar rests on blocks within the chains alone; run more chains (at "
            "least 8, so that 4 are left for inference) or pass nblocks= to estimate_evidence "
            "to split long chains into blocks"
        )
    if nblocks - 1 < MIN_BLOCKS:
        out.append(
            f"σ(ln Z) comes from only {nblocks} independent blocks (autocorrelation time "
            f"τ = {tau:.1f} samples): the error bar is itself uncertain by about "
            f"±{100 / math.sqrt(2 * max(nblocks - 1, 1)):.0f}%; run longer or more chains"
        )
    return tuple(out)


def ln_evidence(
    chains: Chains,
    ln_target: Callable[[np.ndarray], Any],
    *,
    block_size: int | None = None,
    mesh: Mesh | None = None,
) -> EvidenceResult:
    """Learned harmonic mean estimate of ``ln Z`` from inference chains and a target density.

    Parameters
    ----------
    chains : Chains
        Inference chains (not used to fit the target), at least 2, with ln posterior values.
    ln_target : callable
        ``θ [n, d] -> ln φ(θ) [n]``, a normalised density, e.g.
        ``functools.partial(fitted.log_prob, temperature=0.8)``.
    block_size : int, optional
        Samples per block of the batch-means error bar; default ``max(⌈10 τ̂⌉, ⌈√n⌉)`` from
        the weights' autocorrelation time. A value ≥ the longest chain gives the plain
        between-chain variance (one block per chain).
    mesh : jax.sharding.Mesh, optional
        Evaluate the target and the per-chain sums with the chains split over the mesh's
        first axis (``ln_target`` must then be traceable by JAX, as ``FittedFlow.log_prob``
        is); the result equals the single-device one to rounding.

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
            f"need at least 2 inference chains (4 or more to check their agreement), got "
            f"{chains.nchains}; split one long chain into blocks with split_into_blocks (or "
            "nblocks= in estimate_evidence)"
        )
    if block_size is not None:
        block_size = check_positive_int("block_size", block_size)
    mask = np.asarray(chains.mask)
    n_i = np.asarray(chains.lengths).astype(np.float64)
    if mesh is not None:
        ln_w, ln_rho_i = ln_weights_over_devices(chains, ln_target, mesh)
    else:
        ln_phi = np.asarray(ln_target(chains.flat_samples()), dtype=np.float64)
        if ln_phi.shape != (chains.nsamples_total,):
            raise ValueError(
                f"ln_target returned shape {ln_phi.shape}, expected ({chains.nsamples_total},)"
            )
        ln_w = np.full(mask.shape, -np.inf)
        ln_w[mask] = ln_phi - np.asarray(chains.flat_ln_posterior(), dtype=np.float64)
        ln_rho_i = _ln_rho_chains(ln_w, mask, n_i)
    if np.isnan(ln_w[mask]).any() or np.isposinf(ln_w[mask]).any():
        raise ValueError("ln_target returned NaN or +inf at some samples")
    by_chain = _combine(ln_rho_i, n_i)
    block, tau = _block_size(ln_w, mask, n_i)
    block = block if block_size is None else block_size
    ln_rho_k, n_k, owner = _blocks(ln_w, n_i, block)
    pooled = _combine(ln_rho_k, n_k)
    sigma = math.sqrt(pooled["var_rel"])
    nchains, nblocks = chains.nchains, len(n_k)
    split_z = chain_z = float("nan")
    if nchains >= MIN_CHAINS:
        halves = [owner % 2 == h for h in (0, 1)]
        parts = [_combine(ln_rho_k[h], n_k[h]) for h in halves]
        split_z = (parts[1]["ln_rho"] - parts[0]["ln_rho"]) / math.sqrt(
            parts[0]["var_rel"] + parts[1]["var_rel"] + 1e-300
        )
    if nblocks > nchains and pooled["var_rel"] > 0:
        ratio = by_chain["var_rel"] / pooled["var_rel"]
        chain_z = _f_test_z(ratio, nchains - 1, nblocks - 1)
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
        warnings=_diagnose(khat, ess, wmax, split_z, flat_w.size, nchains, nblocks, chain_z, tau),
        sigma_ln_z_chains=math.sqrt(by_chain["var_rel"]),
        autocorr_time=tau,
        block_size=int(block),
        nblocks=nblocks,
        chain_agreement_z=chain_z,
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
