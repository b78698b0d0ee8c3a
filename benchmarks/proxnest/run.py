"""physml.proxnest vs the established ProxNest on ProxNest's own Gaussian benchmark.

Problem (ProxNest's ``gaussian_benchmark`` notebook): ``y = u + n`` with ``u ~ U(0, 1)^d``,
``n ~ N(0, I)``, ``Φ = I``, ``σ = 1``, Gaussian prior of unit variance. Both evidences are
reported in ProxNest's convention (unnormalised prior ``exp(-‖x‖²/2)``), i.e.
``ln Z_physml + (d/2) ln 2π``, and compared with the closed form.

    python benchmarks/proxnest/run.py                      # d = 10, 50, 200
    python benchmarks/proxnest/run.py --peer-python /path/to/venv/bin/python
    python benchmarks/proxnest/run.py --peer-dead 300000 --peer-live 20000   # notebook values

Writes ``results.json`` next to this file and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import physml.proxnest as pn

HERE = Path(__file__).parent


def closed_form(y: np.ndarray, sigma: float) -> float:
    """ProxNest's notebook formula for ∫ exp(-‖y-x‖²/2σ²) exp(-‖x‖²/2) dx (δ = 1/2)."""
    d, delta = y.size, 0.5
    det = 1 / (2 * delta + 1 / sigma**2)
    ysq = float(np.sum(y**2))
    return 0.5 * d * np.log(2 * np.pi * det) - ysq / (2 * sigma**2) + det / 2 * ysq / sigma**4


def run_physml(y, sigma, seed, n_live):
    d = y.size
    phi = pn.Identity((d,))
    prior = pn.GaussianPrior.create((d,), std=1.0)
    out = {}
    for label in ("cold", "warm"):
        start = time.perf_counter()
        res = pn.sample(jax.random.key(seed), y, phi, sigma, prior, n_live=n_live, progress=False)
        out[f"wall_{label}_s"] = time.perf_counter() - start
    out["ln_z"] = res.ln_z + 0.5 * d * np.log(2 * np.pi)
    out["sigma_ln_z"] = res.sigma_ln_z
    out["n_iter"] = res.n_iter
    out["n_steps"] = max(20, int(np.ceil(2 * np.sqrt(d))))
    # Cross-check: our own closed form in our own convention.
    out["truth_physml"] = pn.gaussian_ln_evidence(y, phi, sigma, 1.0) + 0.5 * d * np.log(2 * np.pi)
    return out


def run_peer(python, y, sigma, seed, n_live, n_dead):
    job = {"seed": seed, "y": y.tolist(), "sigma": sigma}
    job.update({"samples_live": n_live, "samples_dead": n_dead})
    proc = subprocess.run(
        [python, str(HERE / "peer_proxnest.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-live", type=int, default=200)
    parser.add_argument("--peer-python", default=sys.executable)
    parser.add_argument("--peer-live", type=int, default=2000)
    parser.add_argument("--peer-dead", type=int, default=30000)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()

    rows = []
    for d in args.dims:
        rng = np.random.default_rng(args.seed + d)
        y = rng.random(d) + rng.normal(size=d)
        truth = closed_form(y, 1.0)
        ours = run_physml(y, 1.0, args.seed, args.n_live)
        peer = (
            {"error": "skipped"}
            if args.no_peer
            else run_peer(args.peer_python, y, 1.0, args.seed, args.peer_live, args.peer_dead)
        )
        rows.append({"d": d, "truth": truth, "physml": ours, "proxnest": peer})
        print(json.dumps(rows[-1]), flush=True)

    meta = {
        "device": str(jax.devices()[0]),
        "n_live": args.n_live,
        "peer_live": args.peer_live,
        "peer_dead": args.peer_dead,
    }
    (HERE / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print()
    print(
        "| d | truth | physml ln Z (err ± σ) | physml wall warm / cold [s] | "
        "ProxNest ln Z (err ± σ) | ProxNest wall [s] | speed-up (warm) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        o, p, t = r["physml"], r["proxnest"], r["truth"]
        ours = f"{o['ln_z']:.2f} ({o['ln_z'] - t:+.2f} ± {o['sigma_ln_z']:.2f})"
        times = f"{o['wall_warm_s']:.1f} / {o['wall_cold_s']:.1f}"
        if "error" in p:
            theirs, pt, ratio = p["error"], "–", "–"
        else:
            theirs = f"{p['ln_z']:.2f} ({p['ln_z'] - t:+.2f} ± {p['sigma_ln_z']:.2f})"
            pt, ratio = f"{p['wall_s']:.1f}", f"{p['wall_s'] / o['wall_warm_s']:.1f}×"
        print(f"| {r['d']} | {t:.2f} | {ours} | {times} | {theirs} | {pt} | {ratio} |")


if __name__ == "__main__":
    main()
