"""Images of wavelets and of wavelet coefficients on the sphere (needs matplotlib: ``[plot]``).

Equiangular samplings are drawn cell by cell on a Mollweide map or an orthographic globe.  A
HEALPix map is drawn pixel by pixel with healpy's own projections (Górski et al. 2005; Zonca
et al. 2019) when healpy is installed (extra ``[plot]``), else resampled exactly (band-limited
at L) onto the MW grid and drawn as above.  matplotlib and healpy are imported only when a
function here is called.
"""

from __future__ import annotations

import numpy as np

import physml.s2fft as s2
from physml.core import sampling as _sampling
from physml.core.validation import geometry_context, validate_geometry, validate_shape

from ._filters import Filters

PROJECTIONS: tuple[str, ...] = ("mollweide", "orthographic")


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "physml.s2wav.plotting needs matplotlib: pip install 'physml-s2wav[plot]'"
        ) from err
    return plt


def _healpy():
    """healpy, or None where it is not installed (the MW fallback is then used)."""
    try:
        import healpy
    except ImportError:
        return None
    return healpy


def _healpix_image(hp, values, nside, projection, view, ax, cmap):
    """Draw a HEALPix map with healpy's projector (each image pixel is one HEALPix pixel)."""
    if projection == "mollweide":
        proj = hp.projector.MollweideProj(xsize=800, flipconv="geo")
    else:
        rot = (view[1], view[0])
        proj = hp.projector.OrthographicProj(xsize=800, rot=rot, half_sky=True, flipconv="geo")
    image = proj.projmap(values, lambda x, y, z: hp.vec2pix(nside, x, y, z))
    image = np.ma.masked_invalid(image)
    artist = ax.imshow(image, cmap=cmap, origin="lower", extent=proj.get_extent())
    ax.set_aspect("equal")
    ax.set_axis_off()
    return artist


def _healpy_for(sampling: str, use_healpy: bool | None):
    """healpy if it draws this map (HEALPix sampling, installed, not declined), else None."""
    if sampling != "healpix" or use_healpy is False:
        return None
    hp = _healpy()
    if hp is None and use_healpy:
        raise ImportError("use_healpy=True needs healpy: pip install 'physml-s2wav[plot]'")
    return hp


def _axes_kwargs(projection: str, by_healpy: bool) -> dict:
    """A Mollweide axes for cells drawn by matplotlib; plain axes for healpy's image."""
    return {"projection": "mollweide"} if projection == "mollweide" and not by_healpy else {}


def wavelet_on_sphere(
    filt: Filters, scale: int, sampling: str = "mw", nside: int | None = None
) -> np.ndarray:
    """The wavelet ψ^j(ω) = Σ_ℓn Ψ^j_ℓn Y_ℓn(ω) (centred on the north pole) on a grid.

    Parameters
    ----------
    filt : :func:`physml.s2wav.filters` output.  scale : the scale j (J_min ≤ j ≤ J_max).
    sampling, nside : the grid.

    Returns
    -------
    (*f_shape(L, sampling, nside)) complex samples (real up to rounding for spin 0).
    """
    if scale not in filt.scales:
        raise ValueError(f"scale={scale} is not one of the wavelet scales {filt.scales}")
    L, N = filt.L, filt.N
    psi = np.zeros((L, 2 * L - 1), complex)
    psi[:, L - N : L - 1 + N] = np.asarray(filt.psi[scale - filt.J_min])
    return np.asarray(s2.inverse(psi, L, filt.spin, sampling, nside))


def _to_equiangular(f: np.ndarray, L: int, sampling: str, nside: int | None):
    if sampling == "healpix":
        flm = s2.forward(f.astype(complex), L, sampling="healpix", nside=nside, iter=3)
        return np.asarray(s2.inverse(flm, L)), "mw"
    return f, sampling


def _cell_edges(L: int, sampling: str) -> tuple[np.ndarray, np.ndarray]:
    theta = _sampling.thetas(L, sampling)
    phi = _sampling.phis(L, sampling)
    t_edges = np.concatenate([[0.0], (theta[1:] + theta[:-1]) / 2, [np.pi]])
    dphi = phi[1] - phi[0] if phi.size > 1 else 2 * np.pi
    p_edges = np.concatenate([phi - dphi / 2, [phi[-1] + dphi / 2]])
    return t_edges, p_edges


def plot_sphere(
    f,
    L: int,
    sampling: str = "mw",
    nside: int | None = None,
    projection: str = "mollweide",
    ax=None,
    cmap: str = "RdBu_r",
    title: str | None = None,
    view: tuple[float, float] = (30.0, 0.0),
    use_healpy: bool | None = None,
):
    """Draw a real signal on the sphere; returns the matplotlib artist.

    Parameters
    ----------
    f : (*f_shape(L, sampling, nside)) samples (the real part is drawn).
    projection : ``"mollweide"`` or ``"orthographic"`` (globe seen from ``view`` =
        (latitude, longitude) in degrees).
    ax : axes to draw on (a Mollweide axes for ``"mollweide"`` unless healpy draws the map,
        which needs plain axes); a new figure if None.
    use_healpy : HEALPix maps only: draw with healpy's projector (True), resample onto the MW
        grid (False), or healpy if installed (None).

    Returns
    -------
    ``QuadMesh`` (cells drawn by matplotlib) or ``AxesImage`` (a HEALPix map drawn by healpy,
    longitude increasing to the right as on the other maps).
    """
    if projection not in PROJECTIONS:
        raise ValueError(f"projection={projection!r} is not one of {PROJECTIONS}")
    validate_geometry(L, sampling, nside)
    validate_shape(
        f,
        _sampling.f_shape(L, sampling, nside),
        name="f",
        context=geometry_context(L, sampling, nside),
    )
    plt = _pyplot()
    hp = _healpy_for(sampling, use_healpy)
    if hp is not None:
        if ax is None:
            ax = plt.figure().add_subplot()
        artist = _healpix_image(hp, np.real(np.asarray(f)), nside, projection, view, ax, cmap)
        if title:
            ax.set_title(title)
        return artist
    values, grid = _to_equiangular(np.real(np.asarray(f)), L, sampling, nside)
    values = np.real(values)
    t_edges, p_edges = _cell_edges(L, grid)
    lat = np.pi / 2 - t_edges
    if projection == "mollweide":
        if ax is None:
            ax = plt.figure().add_subplot(projection="mollweide")
        # Longitude φ wrapped to [−π, π) so that φ = 0 is the centre of the map.
        centres = (p_edges[:-1] + p_edges[1:]) / 2
        wrapped = (centres + np.pi) % (2 * np.pi) - np.pi
        order = np.argsort(wrapped)
        half = (p_edges[1] - p_edges[0]) / 2
        lon_edges = np.clip(
            np.append(wrapped[order] - half, wrapped[order][-1] + half), -np.pi, np.pi
        )
        mesh = ax.pcolormesh(lon_edges, lat, values[:, order], cmap=cmap, shading="flat")
    else:
        if ax is None:
            ax = plt.figure().add_subplot()
        lat0, lon0 = np.radians(view)
        LON, LAT = np.meshgrid(p_edges, lat)
        x = np.cos(LAT) * np.sin(LON - lon0)
        y = np.cos(lat0) * np.sin(LAT) - np.sin(lat0) * np.cos(LAT) * np.cos(LON - lon0)
        front = np.sin(lat0) * np.sin(LAT) + np.cos(lat0) * np.cos(LAT) * np.cos(LON - lon0)
        visible = np.minimum.reduce([front[:-1, :-1], front[1:, :-1], front[:-1, 1:]]) > 0
        mesh = ax.pcolormesh(x, y, np.ma.masked_where(~visible, values), cmap=cmap)
        ax.set_aspect("equal")
        ax.set_axis_off()
    if title:
        ax.set_title(title)
    return mesh


def plot_wavelet(
    filt: Filters, scale: int, sampling: str = "mw", projection="orthographic", ax=None
):
    """Draw the real part of the wavelet ψ^j (see :func:`wavelet_on_sphere`)."""
    values = wavelet_on_sphere(filt, scale, sampling)
    return plot_sphere(
        values, filt.L, sampling, projection=projection, ax=ax, title=f"wavelet j={scale}",
        view=(60.0, 0.0),
    )  # fmt: skip


def plot_coefficients(
    coeffs,
    filt: Filters,
    sampling: str = "mw",
    nside: int | None = None,
    direction: int = 0,
    oversample: int = 1,
    projection: str = "mollweide",
    use_healpy: bool | None = None,
):
    """One panel per scale (the γ_k = ``direction`` slice) plus the scaling coefficients.

    ``use_healpy`` as in :func:`plot_sphere` (HEALPix coefficients).

    Returns
    -------
    The matplotlib Figure.
    """
    from ._layout import coefficient_bandlimits

    plt = _pyplot()
    grids, scal_grid = coefficient_bandlimits(filt, oversample=oversample)
    n = filt.n_scales + 1
    fig = plt.figure(figsize=(3.2 * min(n, 4), 2.2 * ((n + 3) // 4)))
    kw = _axes_kwargs(projection, _healpy_for(sampling, use_healpy) is not None)
    draw = {"projection": projection, "use_healpy": use_healpy}
    for i, (j, w, G) in enumerate(zip(filt.scales, coeffs[0], grids)):
        ax = fig.add_subplot((n + 3) // 4, min(n, 4), i + 1, **kw)
        k = min(direction, w.shape[-3 if sampling != "healpix" else -2] - 1)
        plot_sphere(w[k], G, sampling, nside, ax=ax, title=f"j={j}", **draw)
    ax = fig.add_subplot((n + 3) // 4, min(n, 4), n, **kw)
    plot_sphere(coeffs[1], scal_grid, sampling, nside, ax=ax, title="scaling", **draw)
    return fig
