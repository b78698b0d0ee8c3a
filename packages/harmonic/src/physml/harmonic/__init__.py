"""physml.harmonic: Bayesian evidence from posterior samples with the learned harmonic mean.

The common case is one call::

    import jax
    import physml.harmonic as ph

    result = ph.estimate_evidence(samples, ln_posterior, key=jax.random.key(0))
    print(result.summary())            # ln Z ± σ and the diagnostics' verdict

with ``samples [nchains, nsamples, d]`` and ``ln_posterior = ln L + ln π`` of shape
``[nchains, nsamples]``. The pieces are public too: :class:`Chains`, the density models
(:class:`RQSplineFlow`, :class:`RealNVPFlow`, :class:`GaussianMixture`), :func:`ln_evidence`,
:func:`ln_bayes_factor`, the diagnostics, NumPyro interop, save/load and the analytic test
problems in :mod:`physml.harmonic.testing`.
"""

from physml.harmonic import diagnostics, io, support, testing
from physml.harmonic.chains import Chains, remove_burn_in, split_by_chains, split_into_blocks
from physml.harmonic.classical import FittedGaussianMixture, GaussianMixture
from physml.harmonic.evidence import BayesFactor, EvidenceResult, ln_bayes_factor, ln_evidence
from physml.harmonic.flows import FittedFlow, FlowEvaluation, RealNVPFlow, RQSplineFlow
from physml.harmonic.interop import chains_from_numpyro, chains_from_samples
from physml.harmonic.pipeline import MODELS, estimate_evidence, get_model
from physml.harmonic.savage_dickey import SavageDickey, savage_dickey

__version__ = "0.1.0"

__all__ = [
    "MODELS",
    "BayesFactor",
    "Chains",
    "EvidenceResult",
    "FittedFlow",
    "FittedGaussianMixture",
    "FlowEvaluation",
    "GaussianMixture",
    "RQSplineFlow",
    "RealNVPFlow",
    "SavageDickey",
    "chains_from_numpyro",
    "chains_from_samples",
    "diagnostics",
    "estimate_evidence",
    "get_model",
    "io",
    "ln_bayes_factor",
    "ln_evidence",
    "remove_burn_in",
    "savage_dickey",
    "split_by_chains",
    "split_into_blocks",
    "support",
    "testing",
]
