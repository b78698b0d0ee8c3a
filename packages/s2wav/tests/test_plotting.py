"""Plots draw the samples they are given (values checked, not pixels)."""

import io

import healpy
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
    with pytest.raises(ValueError, match=r"f has shape \(8, 14\) but sampling='mw' with L=8"):
        plotting.plot_sphere(np.zeros((8, 14)), 8)


def test_healpix_map_is_drawn_pixel_by_pixel_by_healpy():
    """healpy's Mollweide projection shows every pixel; points on the equator show the pixel
    healpy's ang2pix finds there, with longitude increasing to the right."""
    nside, L = 4, 8
    f = np.arange(12 * nside**2, dtype=float)
    image = plotting.plot_sphere(f, L, "healpix", nside)
    drawn = image.get_array()
    assert set(np.ma.compressed(drawn)) == set(f)
    rows, cols = drawn.shape
    for lon in (-2 * np.pi / 3, -np.pi / 3, np.pi / 3, 2 * np.pi / 3):
        x = 2 * lon / np.pi  # Mollweide abscissa on the equator, extent (−2, 2, −1, 1)
        value = drawn[(rows - 1) // 2, round((x + 2) / 4 * (cols - 1))]
        assert value == healpy.ang2pix(nside, np.pi / 2, lon)


def test_orthographic_healpix_view_is_centred_on_the_view_point():
    nside, L = 4, 8
    f = np.arange(12 * nside**2, dtype=float)
    image = plotting.plot_sphere(f, L, "healpix", nside, "orthographic", view=(30.0, 45.0))
    drawn = image.get_array()
    rows, cols = drawn.shape
    centre = healpy.ang2pix(nside, np.radians(90 - 30), np.radians(45))
    assert drawn[rows // 2, cols // 2] == centre


def test_healpix_fallback_without_healpy_resamples_onto_the_mw_grid():
    nside, L = 4, 8
    flm = np.zeros((L, 2 * L - 1), complex)
    flm[0, L - 1] = 1.0  # a constant map: every drawn cell holds the same value
    f = np.asarray(s2.inverse(flm, L, sampling="healpix", nside=nside, reality=True))
    mesh = plotting.plot_sphere(f, L, "healpix", nside, use_healpy=False)
    assert type(mesh).__name__ == "QuadMesh"
    np.testing.assert_allclose(np.ma.compressed(mesh.get_array()), f[0], rtol=1e-3)


def test_plot_coefficients_of_a_healpix_transform_uses_healpy_panels():
    L, nside = 8, 4
    filt = s2w.filters(L, N=2)
    shapes, scal = s2w.coefficient_shapes(filt, "healpix", nside)
    coeffs = (tuple(np.ones(s) for s in shapes), np.ones(scal))
    fig = plotting.plot_coefficients(coeffs, filt, "healpix", nside)
    assert len(fig.axes) == filt.n_scales + 1
    assert all(type(ax.images[0]).__name__ == "AxesImage" for ax in fig.axes)
    fig.savefig(io.BytesIO(), format="png")
