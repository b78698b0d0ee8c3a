"""Calibration of the evidence error over independent data sets and seeds (small d).

For each seed: data from the model (``Φ = I``, by default on 4×4 images with σ = 0.5), one run of
:func:`physml.proxnest.sample`, z = (ln Z − truth) / σ_lnZ against the closed form (Gaussian
prior; Laplace prior in a Daubechies-2 basis). Calibrated errors give z with mean ≈ 0 and
std ≈ 1 (issue 7: |mean| < 0.5, std in 0.6–1.6). The same check runs as the slow test
``test_evidence_z_scores_are_calibrated_over_20_seeds``.

    python benchmarks/proxnest/calibration.py --seeds 20             # d = 16 -> calibration.json
    python benchmarks/proxnest/calibration.py --shape 200 --sigma 1 --cases gaussian --n-live 200
                                                   # d = 200 (run.py's problem size)

Other shapes write ``calibration_d<d>.json``.
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
from physml.proxnest.sampler import default_n_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--n-live", type=int, default=100)
    parser.add_argument("--shape", type=int, nargs="+", default=[4, 4])
    parser.add_argument("--sigma", type=float, default=0.5)
    parser.add_argument("--cases", nargs="+", default=["gaussian", "laplace"])
    args = parser.parse_args()
    shape, sigma = tuple(args.shape), args.sigma
    phi = pn.Identity(shape)
    out = {"shape": list(shape), "sigma": sigma, "n_live": args.n_live}
    for case in args.cases:
        z, start = [], time.perf_counter()
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            y = rng.normal(size=shape) + sigma * rng.normal(size=shape)
            if case == "gaussian":
                prior = pn.GaussianPrior.create(shape)
                truth = pn.gaussian_ln_evidence(y, phi, sigma, 1.0)
            else:
                basis = pn.DaubechiesWavelet2D.create(shape, order=2, levels=1)
                prior = pn.LaplaceWaveletPrior.create(basis, mu=1.5)
                truth = pn.laplace_ln_evidence(y, basis, sigma, 1.5)
            res = pn.sample(
                jax.random.key(seed), y, phi, sigma, prior, n_live=args.n_live, progress=False
            )
            z.append((res.ln_z - truth) / res.sigma_ln_z)
        z = np.array(z)
        out[case] = {
            "z_mean": float(z.mean()),
            "z_std": float(z.std()),
            "z": z.tolist(),
            "n_steps": default_n_steps(int(np.prod(shape))),
            "wall_s": time.perf_counter() - start,
        }
        print(case, json.dumps({k: v for k, v in out[case].items() if k != "z"}), flush=True)
    d = int(np.prod(shape))
    name = "calibration.json" if shape == (4, 4) else f"calibration_d{d}.json"
    (Path(__file__).parent / name).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
