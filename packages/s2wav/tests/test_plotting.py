"""Plots draw the samples they are given (values checked, not pixels)."""

import matplotlib
import numpy as np
import pytest

import physml.s2fft as s2
import physml.s2wav as s2w
from physml.s2wav import plotting

matplotlib.use("Agg")


def test_wavelet_on_sphere_is_the_kernel_synthesised_and_is_real():
    L = 8
    filt = s2w.filters(L, N=3)
    psi = plotting.wavelet_on_sphere(filt, 2, sampling="gl")
    assert np.abs(psi.imag).max() < 1e-12
    flm = s2.forward(psi, L, sampling="gl")
    np.testing.assert_allclose(flm[:, L - 3 : L + 2], filt.psi[2], atol=1e-12)


@pytest.mark.parametrize("projection", ["mollweide", "orthographic"])
def test_plot_sphere_draws_every_cell_value(projection):
    L = 8
    f = np.arange(L * (2 * L - 1), dtype=float).reshape(L, 2 * L - 1)
    mesh = plotting.plot_sphere(f, L, projection=projection)
    drawn = np.ma.compressed(mesh.get_array())
    assert set(np.unique(drawn)) <= set(f.ravel())
    if projection == "mollweide":
        assert drawn.size == f.size
        assert np.isclose(drawn.sum(), f.sum())


def test_plot_coefficients_has_one_panel_per_scale_and_the_scaling():
    L = 8
    filt = s2w.filters(L, N=2)
    shapes, scal = s2w.coefficient_shapes(filt)
    coeffs = (tuple(np.ones(s) for s in shapes), np.ones(scal))
    fig = plotting.plot_coefficients(coeffs, filt)
    assert len(fig.axes) == filt.n_scales + 1
    assert [ax.get_title() for ax in fig.axes][-1] == "scaling"


def test_bad_projection_and_scale_are_named():
    filt = s2w.filters(8)
    with pytest.raises(ValueError, match=r"projection='cube' is not one of"):
        plotting.plot_sphere(np.zeros((8, 15)), 8, projection="cube")
    with pytest.raises(ValueError, match=r"scale=7 is not one of the wavelet scales"):
        plotting.wavelet_on_sphere(filt, 7)
