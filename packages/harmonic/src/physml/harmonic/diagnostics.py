r"""Diagnostics of the harmonic-mean weights ``w = φ(θ) / [L(θ) π(θ)]`` on posterior samples.

The learned harmonic mean has finite variance only when the target φ has lighter tails than
the posterior (McEwen et al. 2021, §3). A too-wide target gives weights with a heavy right
tail: a few samples in the posterior's tails carry the estimate, its variance is infinite and
the between-chain error bar is meaningless even when the per-chain estimates look normal.
These functions measure that tail directly:

- :func:`pareto_khat` — the shape ``k̂`` of a generalised Pareto fit to the largest weights
  (Zhang & Stephens 2009; Vehtari et al. 2024, PSIS). ``k̂ < 0.5``: finite variance;
  ``k̂ > 0.7``: the estimate cannot be trusted.
- :func:`effective_sample_fraction` — ``(Σw)² / (N Σw²)``, the fraction of samples that
  effectively contribute (Kish 1965).
- :func:`integrated_autocorr_time` — ``τ = 1 + 2 Σ_t ρ(t)`` of the weights along the chains,
  which sets the block length of the batch-means error bar
  (:func:`physml.harmonic.ln_evidence`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "effective_sample_fraction",
    "integrated_autocorr_time",
    "max_weight_fraction",
    "pareto_khat",
]


def _normalised(ln_w: np.ndarray) -> np.ndarray:
    ln_w = np.asarray(ln_w, dtype=np.float64).ravel()
    return np.exp(ln_w - ln_w.max())


def effective_sample_fraction(ln_w: np.ndarray) -> float:
    """Kish's effective sample size of the weights divided by their number, in (0, 1]."""
    w = _normalised(ln_w)
    return float(w.sum() ** 2 / (w.size * np.sum(w**2)))


def max_weight_fraction(ln_w: np.ndarray) -> float:
    """Share of the total weight carried by the single largest weight."""
    w = _normalised(ln_w)
    return float(1.0 / w.sum())


def _gpd_shape(excess: np.ndarray) -> float:
    """Zhang & Stephens (2009) posterior-mean estimate of the GPD shape of sorted excesses."""
    n = excess.size
    m = 30 + int(math.sqrt(n))
    quartile = excess[int(n / 4 + 0.5) - 1]
    # grid over θ = -ξ/σ, weighted by the profile likelihood (their eq. 4)
    theta = 1.0 / excess[-1] + (1.0 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))) / (3.0 * quartile)
    xi = np.mean(np.log1p(-theta[:, None] * excess), axis=1)
    ln_lik = n * (np.log(-theta / xi) - xi - 1.0)
    weights = 1.0 / np.sum(np.exp(ln_lik[None, :] - ln_lik[:, None]), axis=1)
    theta_hat = np.sum(theta * weights)
    xi_hat = float(np.mean(np.log1p(-theta_hat * excess)))
    # weakly informative prior towards 0.5 (Vehtari et al. 2024, appendix C)
    return (n * xi_hat + 10 * 0.5) / (n + 10)


def pareto_khat(ln_w: np.ndarray) -> float:
    """Pareto shape ``k̂`` of the right tail of the weights ``exp(ln_w)``.

    The tail is the largest ``M = min(N/5, 3√N)`` weights (Vehtari et al. 2024); returns
    ``nan`` for fewer than 50 weights or a constant tail.
    """
    w = np.sort(_normalised(ln_w))
    n = w.size
    if n < 50:
        return float("nan")
    m = int(min(0.2 * n, 3.0 * math.sqrt(n)))
    threshold = w[n - m - 1]
    excess = w[n - m :] - threshold
    if excess[-1] <= 0:
        return float("nan")
    excess = excess[excess > 0]
    if excess.size < 5:
        return float("nan")
    return float(_gpd_shape(excess))


def integrated_autocorr_time(
    x: np.ndarray, lengths: np.ndarray | None = None, window: float = 5.0
) -> float:
    r"""Integrated autocorrelation time of chains ``x [nchains, nmax]``, pooled over chains.

    .. math:: τ = 1 + 2 \sum_{t=1}^{M} ρ(t),

    with the autocorrelation ``ρ(t)`` of each chain computed by FFT (Wiener–Khinchin),
    averaged over the chains weighted by their lengths (Goodman & Weare 2010), and the
    window ``M`` the smallest lag with ``M ≥ window · τ(M)`` (Sokal 1997, automatic
    windowing), capped at the shortest chain. ``τ ≈ 1`` for independent draws; a chain of
    ``n`` samples holds about ``n / τ`` independent ones.

    Parameters
    ----------
    x : array ``[nchains, nmax]`` (or ``[n]`` for one chain)
    lengths : array ``[nchains]`` of int, optional
        Valid samples per chain (the rest is padding); default all ``nmax``.
    window : float
        Sokal's ``c``; 5 is his recommendation for chains that decay roughly exponentially.

    Returns
    -------
    float
        ``τ̂``; 1 for constant chains or chains shorter than 4 samples.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    n_i = np.full(len(x), x.shape[1]) if lengths is None else np.asarray(lengths, dtype=int)
    n_min = int(n_i.min())
    if n_min < 4:
        return 1.0
    acf = np.zeros(n_min)
    total = 0.0
    for row, n in zip(x, n_i):
        v = row[:n] - row[:n].mean()
        nfft = 1 << int(2 * n - 1).bit_length()
        f = np.fft.rfft(v, nfft)
        acov = np.fft.irfft(f * np.conj(f), nfft)[:n_min]
        if acov[0] > 0:
            acf += n * acov / acov[0]
            total += n
    if total == 0:
        return 1.0
    taus = 2.0 * np.cumsum(acf / total) - 1.0
    ok = np.arange(n_min) >= window * taus
    m = int(np.argmax(ok)) if ok.any() else n_min - 1
    return float(taus[m])
