"""physml.proxnest vs the established ProxNest on ProxNest's own Gaussian benchmark.

Problem (ProxNest's ``gaussian_benchmark`` notebook): ``y = u + n`` with ``u ~ U(0, 1)^d``,
``n ~ N(0, I)``, ``Φ = I``, ``σ = 1``, Gaussian prior of unit variance. Both evidences are
reported in ProxNest's convention (unnormalised prior ``exp(-‖x‖²/2)``), i.e.
``ln Z_physml + (d/2) ln 2π``, and compared with the closed form. The same ``y`` goes to both.

physml runs in a fresh Python process per (d, N) and is timed cold (the first call:
every compilation + run; compilation measured with ``jax.monitoring``) and warm (a second call
with another key: run only). ``--n-live 200 50`` adds runs with fewer live points (coarser
but still more accurate than ProxNest's). ProxNest runs
in a subprocess with its "reduced" settings (samplesL/samplesD = 2·10³/3·10⁴) at every d and
its notebook settings (2·10⁴/3·10⁵) at ``--peer-full-dims``.

    python benchmarks/proxnest/run.py                      # d = 10, 50, 200
    python benchmarks/proxnest/run.py --peer-python /path/to/venv/bin/python --n-live 200 50

Writes ``results.json`` next to this file and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import physml.proxnest as pn
from physml.proxnest.sampler import default_n_steps

HERE = Path(__file__).parent
_COMPILE_EVENTS = (
    "/jax/core/compile/backend_compile_duration",
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
)
_compile_s = [0.0]


def _on_event(name: str, seconds: float, **_) -> None:
    if name in _COMPILE_EVENTS:
        _compile_s[0] += seconds


jax.monitoring.register_event_duration_secs_listener(_on_event)


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
    shift = 0.5 * d * np.log(2 * np.pi)
    out = {"ln_z": [], "sigma_ln_z": []}
    for label, key in (("cold", seed), ("warm", seed + 1)):
        before = _compile_s[0]
        start = time.perf_counter()
        res = pn.sample(jax.random.key(key), y, phi, sigma, prior, n_live=n_live, progress=False)
        out[f"wall_{label}_s"] = time.perf_counter() - start
        out[f"compile_{label}_s"] = _compile_s[0] - before
        out["ln_z"].append(float(res.ln_z + shift))
        out["sigma_ln_z"].append(res.sigma_ln_z)
    out["run_s"] = out["wall_cold_s"] - out["compile_cold_s"]
    out["n_iter"] = res.n_iter
    out["n_live"] = n_live
    out["n_steps"] = default_n_steps(d)
    # Cross-check: our own closed form in our own convention.
    out["truth_physml"] = float(pn.gaussian_ln_evidence(y, phi, sigma, 1.0) + shift)
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


def _fmt(ln_z, sig, truth):
    return f"{ln_z:.2f} ({ln_z - truth:+.2f} ± {sig:.2f})"


def table(rows) -> str:
    lines = [
        "| d | truth | physml ln Z (err ± σ), 2 runs | physml compile + run = total [s] "
        "| physml warm [s] | ProxNest reduced ln Z (err ± σ) | wall [s] "
        "| ProxNest notebook ln Z (err ± σ) | wall [s] | speed-up total / warm |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for o in r["physml"]:
            lines.append(_row(r, o))
    return "\n".join(lines)


def _row(r, o) -> str:
    t = r["truth"]
    ours = " / ".join(f"{z - t:+.2f} ± {s:.2f}" for z, s in zip(o["ln_z"], o["sigma_ln_z"]))
    times = f"{o['compile_cold_s']:.1f} + {o['run_s']:.1f} = {o['wall_cold_s']:.1f}"
    if "wall_cold_cached_s" in o:
        times += f" (cached: {o['wall_cold_cached_s']:.1f})"
    cells, ratios = [], []
    for name in ("reduced", "notebook"):
        p = r["proxnest"].get(name, {"error": "not run"})
        if "error" in p:
            cells += [p["error"], "–"]
            continue
        cells += [_fmt(p["ln_z"], p["sigma_ln_z"], t), f"{p['wall_s']:.1f}"]
        ratios.append(
            f"{name}: {p['wall_s'] / o['wall_cold_s']:.1f}× / {p['wall_s'] / o['wall_warm_s']:.1f}×"
        )
    return (
        f"| {r['d']} (N = {o['n_live']}) | {t:.2f} | {ours} | {times} | "
        f"{o['wall_warm_s']:.1f} | " + " | ".join(cells) + f" | {'; '.join(ratios)} |"
    )


def run_physml_fresh(y, sigma, seed, n_live, cache_dir=None):
    """:func:`run_physml` in a new Python process, so the cold call pays every compilation.

    With ``cache_dir``, JAX's persistent compilation cache is filled by a first process and
    the timed process reads its programs from there (what a user who enables the cache sees
    from the second session on).
    """
    job = {"y": y.tolist(), "sigma": sigma, "seed": seed, "n_live": n_live}
    env = dict(os.environ)
    if cache_dir is not None:
        env["JAX_COMPILATION_CACHE_DIR"] = str(cache_dir)
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
        env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    for _ in range(2 if cache_dir is not None else 1):
        proc = subprocess.run(
            [sys.executable, __file__, "--worker"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _worker() -> None:
    job = json.load(sys.stdin)
    start = time.perf_counter()
    out = run_physml(np.asarray(job["y"]), job["sigma"], job["seed"], job["n_live"])
    out["process_s"] = time.perf_counter() - start
    print(json.dumps(out))


def main() -> None:
    if "--worker" in sys.argv:
        _worker()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-live", type=int, nargs="+", default=[200])
    parser.add_argument("--peer-python", default=sys.executable)
    parser.add_argument("--peer-full-dims", type=int, nargs="*", default=[200])
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--cache-dir", help="also time a fresh process with this JAX cache")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    load_start = os.getloadavg()
    rows = []
    for d in args.dims:
        rng = np.random.default_rng(args.seed + d)
        y = rng.random(d) + rng.normal(size=d)
        truth = closed_form(y, 1.0)
        ours = [run_physml_fresh(y, 1.0, args.seed, n) for n in args.n_live]
        if args.cache_dir:
            for o, n in zip(ours, args.n_live):
                cached = run_physml_fresh(y, 1.0, args.seed, n, args.cache_dir)
                o["wall_cold_cached_s"] = cached["wall_cold_s"]
        peer = {}
        if not args.no_peer:
            peer["reduced"] = run_peer(args.peer_python, y, 1.0, args.seed, 2000, 30000)
            if d in args.peer_full_dims:
                peer["notebook"] = run_peer(args.peer_python, y, 1.0, args.seed, 20000, 300000)
        rows.append({"d": d, "truth": truth, "physml": ours, "proxnest": peer})
        print(json.dumps(rows[-1]), flush=True)

    meta = {
        "command": " ".join(sys.argv),
        "device": str(jax.devices()[0]),
        "jax": jax.__version__,
        "jaxlib": importlib.metadata.version("jaxlib"),
        "numpy": np.__version__,
        "physml_proxnest": importlib.metadata.version("physml-proxnest"),
        "cpu_count": os.cpu_count(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "n_live": args.n_live,
    }
    (HERE / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
