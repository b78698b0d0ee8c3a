"""Calibration of the evidence error over independent data sets and seeds (small d).

For each seed: data from the model (``Φ = I`` on 4×4 images, σ = 0.5), one run of
:func:`physml.proxnest.sample`, z = (ln Z − truth) / σ_lnZ against the closed form (Gaussian
prior; Laplace prior in a Daubechies-2 basis). Calibrated errors give z with mean ≈ 0 and
std ≈ 1 (issue 7: |mean| < 0.5, std in 0.6–1.6). The same check runs as the slow test
``test_evidence_z_scores_are_calibrated_over_20_seeds``.

    python benchmarks/proxnest/calibration.py --seeds 20
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import physml.proxnest as pn

SHAPE, SIGMA = (4, 4), 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--n-live", type=int, default=100)
    args = parser.parse_args()
    phi = pn.Identity(SHAPE)
    basis = pn.DaubechiesWavelet2D.create(SHAPE, order=2, levels=1)
    out = {}
    for case in ("gaussian", "laplace"):
        z, start = [], time.perf_counter()
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            y = rng.normal(size=SHAPE) + SIGMA * rng.normal(size=SHAPE)
            if case == "gaussian":
                prior = pn.GaussianPrior.create(SHAPE)
                truth = pn.gaussian_ln_evidence(y, phi, SIGMA, 1.0)
            else:
                prior = pn.LaplaceWaveletPrior.create(basis, mu=1.5)
                truth = pn.laplace_ln_evidence(y, basis, SIGMA, 1.5)
            res = pn.sample(
                jax.random.key(seed), y, phi, SIGMA, prior, n_live=args.n_live, progress=False
            )
            z.append((res.ln_z - truth) / res.sigma_ln_z)
        z = np.array(z)
        out[case] = {
            "z_mean": float(z.mean()),
            "z_std": float(z.std()),
            "z": z.tolist(),
            "wall_s": time.perf_counter() - start,
        }
        print(case, json.dumps({k: v for k, v in out[case].items() if k != "z"}), flush=True)
    (Path(__file__).parent / "calibration.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
