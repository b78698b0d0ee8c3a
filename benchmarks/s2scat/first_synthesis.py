"""The first synthesis of a fresh process, physml.s2scat against the established s2scat.

    python benchmarks/s2scat/first_synthesis.py [--L 64] [--steps 100] [--rounds 2]
        [--reference /tmp/venv-s2scat-ref/bin/python] [--out first_synthesis.json]

Every measurement is its own Python process, started after the target field is written to
disk, and times what a user's script pays from "I have the target map" to "I have one emulated
map": building the operators (physml ``make_scattering``; s2scat ``configure``,
``compute_norm``, ``build_generator``), compiling, ``steps`` iterations and the final field.
Imports and the target are outside the timer on both sides.  physml runs three ways:

- ``fresh``: no compilation cache (every program compiled in the process);
- ``cache (cold)``: JAX's persistent compilation cache enabled on an empty directory (the
  first run of a script that turns it on: compiles and writes the cache);
- ``cache (warm)``: the same again, programs read back from the cache (a re-run of the script).

The persistent cache is JAX's own (``jax_compilation_cache_dir``), a user's choice that
physml never makes on import.  The reference runs in its own pinned environment
(requirements-reference.txt); both sides use float64, N = 1, J_min = 2, one sample.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

OURS = """
import sys, time, json
import jax
jax.config.update("jax_enable_x64", True)
cache = sys.argv[3]
if cache != "-":
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
import jax.numpy as jnp, numpy as np
import physml.s2scat as sc
data = np.load(sys.argv[1])
L, steps = int(data["L"]), int(data["steps"])
target = jnp.asarray(data["f"])
start = time.perf_counter()
op = sc.make_scattering(L, J_min=2, method="precompute")
out = sc.synthesise(target, jax.random.key(7), op, n_samples=1, steps=steps, progress=False)
jax.block_until_ready(out.f)
json.dump({"seconds": time.perf_counter() - start, "loss": float(out.losses[0, -1])},
          open(sys.argv[2], "w"))
"""

REFERENCE = """
import sys, time, json
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp, numpy as np
import s2scat
from s2scat.operators.spherical import make_flm_real
data = np.load(sys.argv[1])
L, steps = int(data["L"]), int(data["steps"])
xlm = make_flm_real(jnp.asarray(data["flm"]), L)
start = time.perf_counter()
generator = s2scat.build_generator(xlm, L, 1, 2, True, False, True, None)
built = time.perf_counter()
out = jax.block_until_ready(generator(jax.random.PRNGKey(0), 1, steps, 1e-2))
end = time.perf_counter()
json.dump({"seconds": end - start, "build_generator": built - start, "generate": end - built},
          open(sys.argv[2], "w"))
"""


def run(python, script, *args):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "JAX_ENABLE_X64": "1"}
        subprocess.run([python, "-c", script, args[0], out.name, *args[1:]], check=True, env=env)
        return json.loads(Path(out.name).read_text())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--L", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reference", default="/tmp/venv-s2scat-ref/bin/python")
    parser.add_argument("--out", default=str(HERE / "results-first-synthesis.json"))
    args = parser.parse_args()

    import jax
    import numpy as np

    sys.path.insert(0, str(HERE))
    from run import environment, lognormal_target

    env = environment()  # load average before the runs
    flm, f = lognormal_target(jax.random.key(2024), args.L)
    rows = {"fresh": [], "cache (cold)": [], "cache (warm)": [], "s2scat 0.0.3": []}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "target.npz"
        np.savez(data, flm=np.asarray(flm), f=np.asarray(f), L=args.L, steps=args.steps)
        for r in range(args.rounds):  # interleaved: every round runs each configuration once
            cache = Path(tmp) / f"cache{r}"
            rows["fresh"].append(run(sys.executable, OURS, str(data), "-"))
            rows["cache (cold)"].append(run(sys.executable, OURS, str(data), str(cache)))
            rows["cache (warm)"].append(run(sys.executable, OURS, str(data), str(cache)))
            if Path(args.reference).exists():
                rows["s2scat 0.0.3"].append(run(args.reference, REFERENCE, str(data)))
    reference = [r["seconds"] for r in rows["s2scat 0.0.3"]]
    summary = {}
    for name, runs in rows.items():
        if not runs:
            continue
        seconds = [r["seconds"] for r in runs]
        summary[name] = {"seconds": seconds}
        for key in sorted(set(runs[0]) - {"seconds"}):
            summary[name][key] = [r[key] for r in runs]
        if reference:
            summary[name]["speed-up vs s2scat (per round)"] = [
                b / a for a, b in zip(seconds, reference)
            ]
        parts = {k: v for k, v in summary[name].items() if k in ("build_generator", "generate")}
        print(f"{name:14s} " + " ".join(f"{s:6.2f}s" for s in seconds), parts or "", flush=True)
    result = {"L": args.L, "steps": args.steps, "env": env, "runs": summary}
    result["env"]["loadavg_end"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s")
