"""Cold start of physml's large programs under XLA:CPU compiler-option sets.

Each (task, option set) runs in a fresh Python process, so every compilation is a first
one; the process times the first call (compilation + run, what a user's script pays) and
the median of a few later calls (run only).  Option sets replace the contents of
``physml.core.compilation.CPU_COMPILER_OPTIONS`` before any physml program is compiled,
so all of physml's ``physml.core.compilation.jit`` programs see them (harmonic's add their
own ``EXTRA_COMPILER_OPTIONS`` on top); programs compiled with plain ``jax.jit`` (the s2fft
transforms called outside them) are unaffected.

    python benchmarks/compile/run.py                       # all tasks, all option sets
    python benchmarks/compile/run.py --tasks s2fft_inverse_L64 --repeats 3

Prints a Markdown table and writes ``results.json`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

OPTION_SETS = {
    "xla_defaults": {},
    "no_fusion_emitters": {"xla_cpu_use_fusion_emitters": False},
    "llvm_o1": {"xla_cpu_use_fusion_emitters": False, "xla_backend_optimization_level": 1},
    "llvm_o0": {"xla_cpu_use_fusion_emitters": False, "xla_backend_optimization_level": 0},
    "physml": None,  # physml.core.compilation.CPU_COMPILER_OPTIONS as shipped
    # physml's options plus no YNNPACK fusions (XLA:CPU's default rewrites dots and their
    # neighbours into YNNPACK calls)
    "no_ynn": {
        "xla_cpu_use_fusion_emitters": False,
        "xla_llvm_disable_expensive_passes": True,
        "xla_cpu_experimental_ynn_fusion_type": "",
    },
}


# ---------------------------------------------------------------- tasks (worker side)


def _s2fft(L, direction="inverse", spin=0):
    def task(jax, jnp, np):
        import physml.s2fft as s2
        from physml.core.compilation import jit
        from physml.core.indexing import valid_mask

        reality = spin == 0
        if reality:
            flm = s2.random_flm(jax.random.key(0), L, jnp.ones(L))
        else:
            re, im = jax.random.normal(jax.random.key(0), (2, L, 2 * L - 1))
            mask = valid_mask(L) & (np.arange(L)[:, None] >= abs(spin))
            flm = jnp.where(jnp.asarray(mask), re + 1j * im, 0)
        if direction == "inverse":
            fn = jit(lambda a: s2.inverse(a, L, spin, "mw", reality=reality))
            return lambda: fn(flm)
        f = s2.inverse(flm, L, spin, "mw", reality=reality)
        fn = jit(lambda a: s2.forward(a, L, spin, "mw", reality=reality))
        return lambda: fn(f)

    return task


def _s2scat_synthesis(jax, jnp, np):
    import physml.s2fft as s2
    import physml.s2scat as sc

    L = 64
    cl = 1.0 / (np.arange(L) + 5.0) ** 2.5
    flm = s2.random_flm(jax.random.key(0), L, jnp.asarray(cl))
    f = np.asarray(jnp.exp(s2.inverse(flm, L, reality=True)))
    op = sc.make_scattering(L, J_min=2, method="precompute")
    keys = iter(range(1, 100))

    def run():
        out = sc.synthesise(f, jax.random.key(next(keys)), op, steps=100, progress=False)
        return out.f, out.losses

    return run


def _harmonic(d):
    def task(jax, jnp, np):
        import physml.harmonic as ph
        from physml.harmonic import testing

        p = testing.gaussian_gaussian_prior(jax.random.key(d), d, nchains=20, nsamples=2000)
        keys = iter(range(100, 200))

        def run():
            r = ph.estimate_evidence(
                p.samples, p.ln_posterior, key=jax.random.key(next(keys)), progress=False
            )
            return jnp.asarray(r.ln_z)

        return run

    return task


def _proxnest(jax, jnp, np):
    import physml.proxnest as pn

    d = 200
    rng = np.random.default_rng(d)
    y = rng.random(d) + rng.normal(size=d)
    phi, prior = pn.Identity((d,)), pn.GaussianPrior.create((d,), std=1.0)
    keys = iter(range(100))

    def run():
        res = pn.sample(jax.random.key(next(keys)), y, phi, 1.0, prior, n_live=50, progress=False)
        return jnp.asarray(res.ln_z)

    return run


TASKS = {
    "s2fft_inverse_L64": _s2fft(64),
    "s2fft_inverse_L256": _s2fft(256),
    "s2fft_inverse_L512": _s2fft(512),
    "s2fft_forward_L512": _s2fft(512, "forward"),
    "s2fft_forward_L512_spin2": _s2fft(512, "forward", spin=2),
    "s2scat_synthesis": _s2scat_synthesis,
    "harmonic_d2": _harmonic(2),
    "harmonic_d8": _harmonic(8),
    "proxnest_d200": _proxnest,
}


def worker(task: str, options: dict | None, warm_calls: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np

    from physml.core import compilation

    if options is not None:
        compilation.CPU_COMPILER_OPTIONS.clear()
        compilation.CPU_COMPILER_OPTIONS.update(options)
    run = TASKS[task](jax, jnp, np)
    start = time.perf_counter()
    jax.block_until_ready(run())
    cold = time.perf_counter() - start
    warm = []
    for _ in range(warm_calls):
        start = time.perf_counter()
        jax.block_until_ready(run())
        warm.append(time.perf_counter() - start)
    return {"cold_s": cold, "warm_s": statistics.median(warm)}


# ---------------------------------------------------------------- driver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument(
        "--options", nargs="+", default=list(OPTION_SETS), choices=list(OPTION_SETS)
    )
    parser.add_argument("--repeats", type=int, default=2, help="fresh processes per cell")
    parser.add_argument("--warm-calls", type=int, default=3)
    parser.add_argument(
        "--worker", nargs=2, metavar=("TASK", "OPTIONS_JSON"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        task, options = args.worker
        print(json.dumps(worker(task, json.loads(options), args.warm_calls)))
        return
    rows = []
    for task in args.tasks:
        for _ in range(args.repeats):  # interleave the option sets: the machine drifts
            for name in args.options:
                options = OPTION_SETS[name]
                cmd = [sys.executable, __file__, "--warm-calls", str(args.warm_calls)]
                cmd += ["--worker", task, json.dumps(options)]
                env = dict(os.environ, JAX_PLATFORMS="cpu")
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
                if proc.returncode:
                    raise RuntimeError(f"{task}/{name} failed:\n{proc.stderr[-2000:]}")
                out = json.loads(proc.stdout.strip().splitlines()[-1])
                rows.append({"task": task, "options": name, **out})
                print(
                    f"{task:18s} {name:20s} cold {out['cold_s']:6.2f} s warm {out['warm_s']:.3f} s",
                    flush=True,
                )
    print(table(rows, args.options))
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "jax": __import__("jax").__version__,
    }
    (HERE / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


def table(rows, names) -> str:
    lines = ["| task | " + " | ".join(f"{n} cold / warm [s]" for n in names) + " | cold ratio |"]
    lines.append("|---" * (len(names) + 2) + "|")
    for task in dict.fromkeys(r["task"] for r in rows):
        cells, colds = [], {}
        for name in names:
            sel = [r for r in rows if r["task"] == task and r["options"] == name]
            cold = statistics.median(r["cold_s"] for r in sel)
            warm = statistics.median(r["warm_s"] for r in sel)
            colds[name] = cold
            cells.append(f"{cold:.2f} / {warm:.3f}")
        ratio = colds[names[0]] / colds[names[-1]]
        lines.append(f"| {task} | " + " | ".join(cells) + f" | {ratio:.2f}× |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
