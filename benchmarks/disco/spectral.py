"""Convergence of the DISCO quadrature to the harmonic-space convolution (physml.s2fft).

For an isotropic filter ψ(r) the continuous convolution is the harmonic multiplier
conv(f)_ℓm = λ_ℓ f_ℓm, λ_ℓ = 2π ∫ ψ(r) P_ℓ(cos r) sin r dr (Funk–Hecke;
``physml.disco.filter_eigenvalues``).  A random real signal band-limited at ℓ < 8 is
synthesised exactly on grids of band-limit L, convolved with the sparse DISCO operator
(``normalization="none"``, fixed ``theta_cutoff`` = 0.5 rad) and compared with
``physml.s2fft.inverse(λ_ℓ f_ℓm)``: relative max error over the grid and the K = 3 filters.

Usage::

    python benchmarks/disco/spectral.py --L 16 32 64 128 --out spectral.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np

import physml.disco as pd
import physml.s2fft as s2

L_SIGNAL, CUTOFF = 8, 0.5


def error(L: int, basis: pd.FilterBasis, sampling: str) -> float:
    flm = s2.random_flm(jax.random.PRNGKey(0), L_SIGNAL, jnp.ones(L_SIGNAL))
    flm = jnp.pad(flm, ((0, L - L_SIGNAL), (L - L_SIGNAL, L - L_SIGNAL)))
    f = s2.inverse(flm, L, sampling=sampling, reality=True)
    op = pd.build(L, sampling, basis=basis, theta_cutoff=CUTOFF, normalization="none")
    out = pd.conv(op, f[None], np.eye(basis.size)[:, None, :])
    lam = pd.filter_eigenvalues(basis, CUTOFF, L)
    ref = s2.inverse(lam[:, :, None] * flm, L, sampling=sampling, reality=True)
    return float(jnp.max(jnp.abs(out - ref)) / jnp.max(jnp.abs(ref)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--samplings", nargs="+", default=["mwss", "gl", "dh", "mw"])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("spectral.json"))
    args = parser.parse_args()
    rows = []
    for kind in ("piecewise_linear", "zernike"):
        basis = pd.FilterBasis(kind, (3,))
        for sampling in args.samplings:
            errors = [error(L, basis, sampling) for L in args.L]
            orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:])).tolist()
            rows.append({"basis": kind, "sampling": sampling, "L": args.L, "errors": errors,
                         "orders": orders})  # fmt: skip
            print(rows[-1], flush=True)
    args.out.write_text(json.dumps({"L_signal": L_SIGNAL, "theta_cutoff": CUTOFF, "rows": rows},
                                   indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
