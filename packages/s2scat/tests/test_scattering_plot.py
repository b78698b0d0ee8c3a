"""The figures build from real results (matplotlib, Agg backend)."""

import jax
import matplotlib
import numpy as np
from scattering_fields import lognormal_flm

import physml.s2fft as s2
import physml.s2scat as sc

matplotlib.use("Agg")

L = 8


def test_figures_have_one_panel_per_field_or_family():
    op = sc.make_scattering(L, J_min=0, method="precompute")
    flms = [lognormal_flm(jax.random.key(k), L) for k in (1, 2)]
    fields = [s2.inverse(f, L, reality=True) for f in flms]
    stats = [sc.flm_to_scattering_covariance(f, op) for f in flms]
    assert len(sc.plot.maps(fields, L, titles=["a", "b"]).axes) == 2
    assert len(sc.plot.statistics(stats[0], stats[1:], op).axes) == 4
    cls = [np.asarray(s2.power_spectrum(f, L)) for f in flms]
    ax = sc.plot.power_spectra(cls, ["a", "b"]).axes[0]
    assert len(ax.lines) == 2
    assert len(sc.plot.histograms(fields, ["a", "b"]).axes[0].patches) == 2
