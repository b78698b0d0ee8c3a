"""physml.proxnest: proximal nested sampling for imaging, in JAX.

Bayesian evidence and posterior uncertainties for linear inverse problems
``y = Φx + n`` with hand-crafted (Gaussian, wavelet-sparsity, TV) or learned priors
(Cai, McEwen & Pereyra 2022). Spherical wavelet priors (:mod:`physml.proxnest.sphere`)
need the ``sphere`` extra (physml-s2wav); nothing here imports it until they are built.
"""

from physml.proxnest import (
    analytic,
    evidence,
    kernels,
    learned,
    nested,
    operators,
    prox,
    sphere,
    tv,
    wavelets,
)
from physml.proxnest.analytic import gaussian_ln_evidence, laplace_ln_evidence
from physml.proxnest.evidence import EvidenceEstimate
from physml.proxnest.learned import (
    Denoiser,
    DenoiserPrior,
    generate_images,
    load_denoiser,
    save_denoiser,
    train_denoiser,
)
from physml.proxnest.operators import (
    Blur,
    Identity,
    LinearOperator,
    MaskedFourier,
    MatrixOperator,
    operator_norm,
)
from physml.proxnest.priors import GaussianPrior, LaplaceWaveletPrior, Prior, TVPrior
from physml.proxnest.prox import project_l2_ball, prox_l1, prox_positivity, soft_threshold
from physml.proxnest.sampler import NestedResult, sample
from physml.proxnest.tv import prox_tv, tv_norm
from physml.proxnest.wavelets import DaubechiesWavelet2D, daubechies_filter

__all__ = [
    "Blur",
    "DaubechiesWavelet2D",
    "Denoiser",
    "DenoiserPrior",
    "EvidenceEstimate",
    "GaussianPrior",
    "Identity",
    "LaplaceWaveletPrior",
    "LinearOperator",
    "MaskedFourier",
    "MatrixOperator",
    "NestedResult",
    "Prior",
    "TVPrior",
    "analytic",
    "daubechies_filter",
    "evidence",
    "gaussian_ln_evidence",
    "generate_images",
    "kernels",
    "laplace_ln_evidence",
    "learned",
    "load_denoiser",
    "nested",
    "operator_norm",
    "operators",
    "project_l2_ball",
    "prox",
    "prox_l1",
    "prox_positivity",
    "prox_tv",
    "sample",
    "save_denoiser",
    "soft_threshold",
    "sphere",
    "train_denoiser",
    "tv",
    "tv_norm",
    "wavelets",
]
