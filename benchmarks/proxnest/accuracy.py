"""Evidence accuracy at large d against closed forms (Gaussian and Laplace-in-wavelets priors).

Denoising (``Φ = I``) of a ``n × n`` image, data drawn from the model itself. The noise level
is chosen per size so that the information ``H`` (and with it the cost ``∝ N H`` and the error
``≈ √(H/N)``) stays moderate; ``H`` is reported.

    python benchmarks/proxnest/accuracy.py --sizes 32            # d = 1024
    python benchmarks/proxnest/accuracy.py --sizes 128 --n-live 100 --n-steps 32   # d = 16384

Appends one JSON line per run to ``accuracy.jsonl`` next to this file.
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

HERE = Path(__file__).parent


def problem(case: str, n: int, sigma: float, seed: int):
    shape = (n, n)
    rng = np.random.default_rng(seed)
    if case == "gaussian":
        prior = pn.GaussianPrior.create(shape, std=1.0)
        x = rng.normal(size=shape)
        truth = lambda y: pn.gaussian_ln_evidence(y, pn.Identity(shape), sigma, 1.0)  # noqa: E731
    else:
        basis = pn.DaubechiesWavelet2D.create(shape, order=4, levels=3)
        prior = pn.LaplaceWaveletPrior.create(basis, mu=1.0)
        x = np.asarray(basis.adjoint(rng.laplace(size=basis.out_shape)))
        truth = lambda y: pn.laplace_ln_evidence(y, basis, sigma, 1.0)  # noqa: E731
    y = x + sigma * rng.normal(size=shape)
    return y, prior, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32])
    parser.add_argument("--cases", nargs="+", default=["gaussian", "laplace"])
    parser.add_argument("--sigma", type=float, default=None, help="default 3 (n ≤ 32), else 10")
    parser.add_argument("--n-live", type=int, default=500)
    parser.add_argument("--n-steps", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for n in args.sizes:
        sigma = args.sigma or (3.0 if n <= 32 else 10.0)
        for case in args.cases:
            y, prior, truth = problem(case, n, sigma, args.seed)
            ref = truth(y)
            start = time.perf_counter()
            res = pn.sample(
                jax.random.key(args.seed),
                y,
                pn.Identity((n, n)),
                sigma,
                prior,
                n_live=args.n_live,
                n_steps=args.n_steps,
                progress=False,
            )
            row = {
                "case": case,
                "d": n * n,
                "sigma": sigma,
                "n_live": args.n_live,
                "n_steps": args.n_steps or default_n_steps(n * n),
                "truth": ref,
                "ln_z": res.ln_z,
                "error": res.ln_z - ref,
                "sigma_ln_z": res.sigma_ln_z,
                "information": res.information,
                "n_iter": res.n_iter,
                "wall_s": time.perf_counter() - start,
                "device": str(jax.devices()[0]),
            }
            print(json.dumps(row), flush=True)
            with (HERE / "accuracy.jsonl").open("a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
