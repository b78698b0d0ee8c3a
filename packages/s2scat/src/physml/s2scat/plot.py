"""Figures comparing a target with emulated fields (needs the ``plot`` extra: matplotlib).

Every function returns a :class:`matplotlib.figure.Figure`; matplotlib is imported only when
one is called.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from physml.core import sampling as _sampling

from ._operator import Scattering
from ._statistics import FAMILIES, Statistics, families


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "physml.s2scat.plot needs matplotlib: pip install 'physml-s2scat[plot]'"
        ) from err
    return plt


def maps(fields, L: int, *, titles=None, sampling: str = "mw"):
    """Mollweide views of fields sampled with ``sampling`` (MW, MWSS, DH or GL), side by side.

    Parameters
    ----------
    fields : sequence of (*f_shape(L, sampling)) real arrays (e.g. target, emulations).
    L : band-limit.  titles : optional names.
    """
    plt = _pyplot()
    fields = [np.asarray(f).real for f in fields]
    theta = _sampling.thetas(L, sampling)
    phi = _sampling.phis(L, sampling)
    lon = np.where(phi > np.pi, phi - 2 * np.pi, phi)
    order = np.argsort(lon)
    lim = max(np.max(np.abs(f)) for f in fields)
    fig = plt.figure(figsize=(4.2 * len(fields), 2.6))
    for i, f in enumerate(fields):
        ax = fig.add_subplot(1, len(fields), i + 1, projection="mollweide")
        ax.pcolormesh(
            lon[order],
            np.pi / 2 - theta,
            f[:, order],
            cmap="RdBu_r",
            vmin=-lim,
            vmax=lim,
            shading="nearest",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i])
    return fig


def statistics(target: Statistics, emulated, op: Scattering):
    """Each coefficient family (S1–S4, real and imaginary parts) of target vs emulations."""
    plt = _pyplot()
    fam = families(op)
    t = np.asarray(target.vector())
    em = [np.asarray(s.vector()) for s in emulated]
    em = np.stack([e.reshape(-1, t.shape[-1]) for e in em]).reshape(-1, t.shape[-1])
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    for ax, index in zip(axes, range(2, 6), strict=True):
        mask = fam == index
        x = np.arange(mask.sum())
        ax.plot(x, t[mask].real, "k.-", label="target (Re)")
        ax.plot(x, em[:, mask].real.T, "C1.", alpha=0.5)
        if np.any(np.abs(t[mask].imag) > 0):
            ax.plot(x, t[mask].imag, "k:", label="target (Im)")
        ax.set_title(FAMILIES[index])
        ax.set_xlabel("coefficient")
    axes[0].legend()
    fig.tight_layout()
    return fig


def power_spectra(cls, labels):
    """ℓ(ℓ+1)C_ℓ/2π of several fields on log axes."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for cl, label in zip(cls, labels, strict=True):
        cl = np.asarray(cl)
        ell = np.arange(cl.shape[-1])
        ax.loglog(ell[1:], (ell * (ell + 1) * cl / (2 * np.pi))[1:], label=label)
    ax.set_xlabel("ℓ")
    ax.set_ylabel("ℓ(ℓ+1)C_ℓ/2π")
    ax.legend()
    fig.tight_layout()
    return fig


def histograms(fields, labels, *, bins: int = 60):
    """Pixel histograms (PDF, log scale) of several fields."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    values = [np.asarray(jnp.real(jnp.asarray(f))).ravel() for f in fields]
    edges = np.histogram_bin_edges(np.concatenate(values), bins=bins)
    for v, label in zip(values, labels, strict=True):
        ax.hist(v, bins=edges, density=True, histtype="step", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("pixel value")
    ax.legend()
    fig.tight_layout()
    return fig
