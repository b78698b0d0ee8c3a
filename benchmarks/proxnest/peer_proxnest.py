"""Run the established ProxNest on the Gaussian benchmark; JSON in (stdin), JSON out (stdout).

Kept separate so that ProxNest can live in its own virtual environment
(``run.py --peer-python``). The set-up follows ProxNest's own ``gaussian_benchmark`` notebook:
identity operator, prior ``exp(-δ‖x‖²)`` with ``δ = 1/2`` (unit variance), ``σ = 1``.
"""

import importlib.metadata
import json
import sys
import time

import numpy as np


def main() -> None:
    job = json.load(sys.stdin)
    import ProxNest.operators as operators
    import ProxNest.optimisations as optimisations
    import ProxNest.sampling as sampling
    import ProxNest.utils as utils

    np.random.seed(job["seed"])
    y = np.asarray(job["y"], dtype=float).reshape(-1, 1)
    d, sigma, delta = y.shape[0], job["sigma"], 0.5
    phi = operators.sensing_operators.Identity()
    params = utils.create_parameters_dict(
        y=y,
        Phi=phi,
        epsilon=1e-3,
        tight=True,
        nu=1,
        tol=1e-10,
        max_iter=200,
        verbose=0,
        u=0,
        pos=True,
        reality=True,
    )
    options = utils.create_options_dict(
        samplesL=job["samples_live"],
        samplesD=job["samples_dead"],
        thinning=10,
        delta=1e-2,
        burn=100,
        sigma=sigma,
    )

    def log_like(x):
        return -(np.linalg.norm(y - phi.dir_op(x)) ** 2) / (2 * sigma**2)

    def prox_h(x, t):
        return x - 2 * t * phi.adj_op(phi.dir_op(x)) * 2 * delta

    def prox_b(x, tau):
        return optimisations.l2_ball_proj.sopt_fast_proj_B2(x, tau, params)

    start = time.perf_counter()
    ev, _ = sampling.proximal_nested.ProxNestedSampling(
        np.abs(phi.adj_op(y)), log_like, prox_h, prox_b, params, options
    )
    wall = time.perf_counter() - start
    # ProxNest normalises exp(-δ‖x‖²) implicitly; its notebook rescales by (d/2) ln(π/δ).
    json.dump(
        {
            "ln_z": float(ev[0]) + 0.5 * d * np.log(np.pi / delta),
            "sigma_ln_z": float(ev[1]),
            "wall_s": wall,
            "version": importlib.metadata.version("ProxNest"),
            "numpy": np.__version__,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
