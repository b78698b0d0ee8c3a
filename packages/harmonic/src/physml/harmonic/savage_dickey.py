r"""Savage–Dickey density ratio for nested models.

If model 0 fixes parameters ψ = ψ₀ of model 1 and the priors agree on the other parameters
(``π₁(ω | ψ₀) = π₀(ω)``), the Bayes factor is the ratio of the marginal posterior and prior
densities of ψ at ψ₀ (Dickey 1971; Verdinelli & Wasserman 1995):

.. math:: B_{01} = \frac{Z_0}{Z_1} = \frac{p(ψ_0 \mid d, M_1)}{π(ψ_0 \mid M_1)}.

The marginal posterior density is estimated by fitting a density model (by default a
Gaussian mixture; a flow for complicated marginals) to the posterior samples of ψ alone.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import numpy as np

from physml.harmonic._validation import as_float_array, check_finite
from physml.harmonic.classical import GaussianMixture

__all__ = ["SavageDickey", "savage_dickey"]


class SavageDickey(NamedTuple):
    """``ln B₀₁`` (nested over full model) and its spread over independent halves."""

    ln_b01: float
    sigma: float


def savage_dickey(
    psi_samples, psi0, ln_prior_psi0: float, *, key: jax.Array, model=None
) -> SavageDickey:
    """Savage–Dickey ``ln B₀₁ = ln p(ψ₀ | d) - ln π(ψ₀)``.

    Parameters
    ----------
    psi_samples : array ``[n, k]``
        Posterior samples of the k nested parameters ψ under the full model.
    psi0 : array ``[k]``
        The value fixed by the nested model.
    ln_prior_psi0 : float
        ``ln π(ψ₀)``, the full model's marginal prior density of ψ at ψ₀.
    key : PRNG key
    model : density model, optional
        Anything with ``fit(samples, key=...)``; default ``GaussianMixture(1)``.

    Returns
    -------
    SavageDickey
        ``sigma`` is half the difference between estimates from two random halves of the
        samples, a rough error of the density estimate at ψ₀.
    """
    x = as_float_array("psi_samples", psi_samples, 2, "[n, k]")
    check_finite("psi_samples", x)
    psi0 = np.atleast_1d(np.asarray(psi0, dtype=np.float64))
    if psi0.shape != (x.shape[1],):
        raise ValueError(f"psi0 must have shape ({x.shape[1]},), got {psi0.shape}")
    if not math.isfinite(ln_prior_psi0):
        raise ValueError(f"ln_prior_psi0 must be finite, got {ln_prior_psi0}")
    model = GaussianMixture(1) if model is None else model
    k_all, k_perm, k_a, k_b = jax.random.split(key, 4)
    full = model.fit(x, key=k_all, progress=False)
    ln_b = float(full.log_prob(psi0[None])[0]) - ln_prior_psi0
    perm = np.asarray(jax.random.permutation(k_perm, x.shape[0]))
    half = x.shape[0] // 2
    parts = [
        float(model.fit(x[idx], key=k, progress=False).log_prob(psi0[None])[0])
        for idx, k in ((perm[:half], k_a), (perm[half:], k_b))
    ]
    return SavageDickey(ln_b, 0.5 * abs(parts[0] - parts[1]))
