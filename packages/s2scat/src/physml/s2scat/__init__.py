"""physml.s2scat — scattering covariance statistics on the sphere and generative emulation.

Public API
----------
make_scattering, Scattering          the operator (wavelet kernels + layout), built once
scattering_covariance                S1–S4 of a sampled field (any sampling of physml.core)
flm_to_scattering_covariance         the same from harmonic coefficients
raw_s2                               un-normalised S2 per scale (the usual normalisation)
Statistics, labels, families, FAMILIES   the static-shape result, its flat view and names
Target, make_target                  what a synthesis matches (one field or the mean of many)
loss, default_weights                the weighted matching loss
synthesise, SynthesisResult          emulate fields by matching statistics (L-BFGS or Adam)
plot                                 matplotlib figures (optional extra ``plot``)
"""

from importlib.metadata import PackageNotFoundError, version

from . import plot
from ._loss import Target, default_weights, loss, make_target
from ._operator import Scattering, make_scattering
from ._statistics import (
    FAMILIES,
    Statistics,
    families,
    flm_to_scattering_covariance,
    labels,
    raw_s2,
    scattering_covariance,
)
from ._synthesis import SynthesisResult, synthesise

try:
    __version__ = version("physml-s2scat")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "FAMILIES",
    "Scattering",
    "Statistics",
    "SynthesisResult",
    "Target",
    "__version__",
    "default_weights",
    "families",
    "flm_to_scattering_covariance",
    "labels",
    "loss",
    "make_scattering",
    "make_target",
    "plot",
    "raw_s2",
    "scattering_covariance",
    "synthesise",
]
