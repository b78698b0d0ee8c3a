"""The physml main job (``nox -s demo``): a tour of what has landed, on embedded data.

Today this exercises physml-core end to end: every sampling scheme integrates a band-limited
field with a closed-form integral, HEALPix ring weights are compared with equal-area weights,
and the ring FFTs are checked as exact adjoints.  The cross-package chain (transforms →
wavelets → scattering → learned prior → evidence) joins as its packages land (issue 9).

The test field is f(r) = (a·r)^k on the unit sphere: a polynomial of degree k in (x, y, z),
hence band-limited at k + 1, with ∫ f dΩ = 4π|a|^k/(k+1) for even k (0 for odd k).

Usage:  python integration_tests/demo.py [--quick] [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax
import matplotlib.pyplot as plt
import numpy as np

import physml.core as pc

jax.config.update("jax_enable_x64", True)


def polynomial_field(theta, phi, a, k):
    x, y, z = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)
    return (a[0] * x + a[1] * y + a[2] * z) ** k


def integrate(L, scheme, a, k, nside=None):
    if scheme == "healpix":
        theta, phi = pc.sampling.healpix_pix2ang(nside)
        w = np.repeat(
            pc.quadrature.healpix_ring_weights(nside), pc.sampling.healpix_ring_lengths(nside)
        )
        return np.sum(w * polynomial_field(theta, phi, a, k))
    theta = pc.thetas(L, scheme)[:, None]
    phi = pc.phis(L, scheme)[None, :]
    w = pc.quadrature.weights(L, scheme)[:, None]
    return np.sum(w * polynomial_field(theta, phi, a, k))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run")
    parser.add_argument("--out", default="demo_output")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    L = 32 if args.quick else 128
    a = rng.standard_normal(3)
    a /= np.linalg.norm(a)
    k = L - 2 if (L - 2) % 2 == 0 else L - 3  # even degree < L: every exact scheme is exact
    truth = 4 * np.pi / (k + 1)

    rows = []
    print(f"∫ (a·r)^{k} dΩ = 4π/{k + 1} = {truth:.15f}   (band-limit {k + 1} ≤ L = {L})")
    for scheme in pc.SAMPLINGS[:4]:
        start = time.perf_counter()
        value = integrate(L, scheme, a, k)
        rows.append(
            {
                "sampling": scheme,
                "L": L,
                "npix": pc.npix(L, scheme),
                "error": abs(value - truth),
                "seconds": time.perf_counter() - start,
            }
        )
    for nside in [8, 16, 32] if args.quick else [16, 32, 64, 128]:
        value = integrate(None, "healpix", a, k, nside)
        uniform = (
            np.sum(polynomial_field(*pc.sampling.healpix_pix2ang(nside), a, k))
            * 4
            * np.pi
            / (12 * nside**2)
        )
        rows.append(
            {
                "sampling": "healpix",
                "nside": nside,
                "npix": 12 * nside**2,
                "error": abs(value - truth),
                "error_equal_area": abs(uniform - truth),
            }
        )
    print(f"{'sampling':9} {'npix':>8} {'|error|':>10}  notes")
    for r in rows:
        note = (
            f"nside={r['nside']}, equal-area weights: {r['error_equal_area']:.2e}"
            if "nside" in r
            else "exact scheme"
        )
        print(f"{r['sampling']:9} {r['npix']:8d} {r['error']:10.2e}  {note}")

    # Ring FFTs are exact adjoints on every scheme, HEALPix's variable rings included.
    adjoint = {}
    for scheme, nside in [("mw", None), ("gl", None), ("healpix", 16)]:
        Lr = 2 * nside if nside else L
        f = rng.standard_normal(pc.f_shape(Lr, scheme, nside))
        F = rng.standard_normal((pc.ntheta(Lr, scheme, nside), 2 * Lr - 1)) + 0j
        lhs = np.vdot(pc.ring_fft.forward(f, Lr, scheme, nside), F)
        rhs = np.vdot(f, pc.ring_fft.inverse(F, Lr, scheme, nside))
        adjoint[scheme] = float(abs(lhs - rhs) / abs(lhs))
    print("ring FFT adjoint mismatch (relative):", {k_: f"{v:.1e}" for k_, v in adjoint.items()})

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for scheme in pc.SAMPLINGS[:4]:
        axes[0].plot(
            pc.thetas(16, scheme), pc.quadrature.weights(16, scheme), "o-", ms=3, label=scheme
        )
    axes[0].set(xlabel="θ", ylabel="ring weight", title="Quadrature weights, L = 16")
    axes[0].legend()
    nside = 16
    rel = pc.quadrature.healpix_ring_weights(nside) * 12 * nside**2 / (4 * np.pi)
    axes[1].plot(pc.sampling.healpix_thetas(nside), rel, ".-")
    axes[1].set(xlabel="θ", ylabel="w · N_pix / 4π", title=f"HEALPix ring weights, nside = {nside}")
    fig.tight_layout()
    fig.savefig(out / "quadrature_weights.png", dpi=120)

    summary = {
        "L": L,
        "degree": k,
        "truth": truth,
        "rows": rows,
        "ring_fft_adjoint": adjoint,
        "physml_core": pc.__version__,
        "jax": jax.__version__,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"outputs written to {out}")


if __name__ == "__main__":
    main()
