"""Figures of the demo (matplotlib, Agg backend: files only, no window)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

import physml.s2scat as scat
from physml.core import sampling


def _mollweide(ax, f: np.ndarray, L: int, title: str, vmin=None, vmax=None, cmap="magma"):
    """Draw an MW-sampled map (L, 2L−1) on a Mollweide axis, longitudes wrapped to [−π, π)."""
    theta = sampling.thetas(L, "mw")
    phi = sampling.phis(L, "mw")
    lon = np.where(phi >= np.pi, phi - 2 * np.pi, phi)
    order = np.argsort(lon)
    mesh = ax.pcolormesh(
        lon[order], np.pi / 2 - theta, np.asarray(f)[:, order], shading="nearest",
        vmin=vmin, vmax=vmax, cmap=cmap, rasterized=True,
    )  # fmt: skip
    ax.set_title(title, fontsize=9)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    return mesh


def maps(path: Path, fields, titles, L, shared=True, cols=3, cmaps="magma"):
    """A grid of Mollweide maps with one colour bar each (shared limits if ``shared``).

    ``L`` and ``cmaps`` are one value for every map or one per map (multiresolution scales).
    """
    n = len(fields)
    bandlimits = [L] * n if isinstance(L, int) else list(L)
    cmaps = [cmaps] * n if isinstance(cmaps, str) else list(cmaps)
    rows = -(-n // cols)
    fig = plt.figure(figsize=(4.2 * cols, 2.5 * rows))
    lo = min(float(np.min(f)) for f in fields) if shared else None
    hi = max(float(np.max(f)) for f in fields) if shared else None
    for i, (f, title) in enumerate(zip(fields, titles)):
        ax = fig.add_subplot(rows, cols, i + 1, projection="mollweide")
        mesh = _mollweide(ax, f, bandlimits[i], title, lo, hi, cmap=cmaps[i])
        fig.colorbar(mesh, ax=ax, orientation="horizontal", fraction=0.05, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def spectra(path: Path, ell: np.ndarray, curves: dict[str, np.ndarray], title: str):
    """ℓ(ℓ+1)C_ℓ/2π of several spectra on log axes."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, cl in curves.items():
        ax.loglog(ell[1:], (ell * (ell + 1) * cl / (2 * np.pi))[1:], label=label)
    ax.set_xlabel(r"$\ell$")
    ax.set_ylabel(r"$\ell(\ell+1)C_\ell/2\pi$")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def histograms(path: Path, samples: dict[str, np.ndarray], title: str):
    """Pixel PDFs on a log scale (the lognormal tail is the point)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    lo = min(float(np.min(v)) for v in samples.values())
    hi = max(float(np.max(v)) for v in samples.values())
    bins = np.linspace(lo, hi, 60)
    for label, values in samples.items():
        ax.hist(np.ravel(values), bins=bins, density=True, histtype="step", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("pixel value")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bars(path: Path, labels: list[str], values: list[float], errors: list[float], title: str):
    """ln Z (or any estimate) with error bars."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.errorbar(np.arange(len(values)), values, yerr=errors, fmt="o", capsize=4)
    ax.set_xticks(np.arange(len(values)), labels, fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scattering_statistics(path: Path, target, emulated, twin, op: scat.Scattering, title: str):
    """S1–S4 of the target against the emulated fields and the Gaussian twin, per family.

    physml.s2scat.plot.statistics draws the target and the emulations (real parts); the
    Gaussian twin, which has the target's C_ℓ but none of its non-Gaussian structure, is laid
    over it so that what the emulation gained beyond the power spectrum is visible.
    """
    fig = scat.plot.statistics(target, [emulated], op)
    fam = scat.families(op)
    twin_vector = np.asarray(twin.vector()).real
    for ax, index in zip(fig.axes, range(2, 6)):  # the helper's panels: S1, S2, S3, S4
        ax.plot(twin_vector[fam == index], "C0x", alpha=0.8)
    handles = [
        Line2D([], [], color="k", marker=".", label="target (Re)"),
        Line2D([], [], color="C1", marker=".", ls="", label="emulated (Re)"),
        Line2D([], [], color="C0", marker="x", ls="", label="Gaussian twin, same C_ℓ (Re)"),
    ]
    drawn = [line for ax in fig.axes for line in ax.lines if line.get_label() == "target (Im)"]
    handles += drawn[:1]
    fig.axes[0].legend(handles=handles, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
