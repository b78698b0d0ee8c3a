"""Strong and weak scaling of the sharded spherical harmonic transforms over host devices.

Each device count D runs in its own subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=D`` (the count is fixed when JAX starts).

Modes (physml.s2fft.sharding, MW sampling, float64, spin 0):

* ``batch``  — ``forward_batch`` / ``inverse_batch`` of B maps split over the batch axis.
  Strong: B fixed.  Weak: B = B₀ · D.
* ``single`` — ``forward_distributed`` / ``inverse_distributed`` of one map (default split:
  Legendre stage over m, FFTs over rings, one all-to-all).
  Strong: L fixed.  Weak: L = L₀ · D^{1/3} (the ℓ-recursion costs ~L³).

Usage::

    python benchmarks/scaling/run.py                       # defaults below, writes results.json
    python benchmarks/scaling/run.py --devices 1 2 --batch-L 32 --single-L 64 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _best(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn().block_until_ready()
        times.append(time.perf_counter() - t0)
    return min(times)


def worker(cases, repeats):
    """Runs inside the subprocess: time every case on all visible devices."""
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    from physml import s2fft
    from physml.core import sharding
    from physml.s2fft import sharding as s2_sharding

    mesh = sharding.mesh()
    rng = np.random.default_rng(0)
    rows = []
    for case in cases:
        L, mode = case["L"], case["mode"]
        shape = (case["B"], L, 2 * L - 1) if mode == "batch" else (L, 2 * L - 1)
        ell, m = np.arange(L)[:, None], np.arange(-(L - 1), L)[None, :]
        flm = (rng.normal(size=shape) + 1j * rng.normal(size=shape)) * (np.abs(m) <= ell)
        if mode == "batch":

            def inv(flm=flm, L=L):
                return s2_sharding.inverse_batch(flm, L, mesh=mesh)

            f = np.asarray(s2fft.inverse(flm, L))

            def fwd(f=f, L=L):
                return s2_sharding.forward_batch(f, L, mesh=mesh)

        else:

            def inv(flm=flm, L=L):
                return s2_sharding.inverse_distributed(flm, L, mesh=mesh)

            f = np.asarray(s2fft.inverse(flm, L))

            def fwd(f=f, L=L):
                return s2_sharding.forward_distributed(f, L, mesh=mesh)

        t0 = time.perf_counter()
        inv().block_until_ready()
        error = float(np.max(np.abs(np.asarray(fwd()) - flm)))
        compile_s = time.perf_counter() - t0
        rows.append(
            {
                **case,
                "devices": jax.device_count(),
                "inverse_s": _best(inv, repeats),
                "forward_s": _best(fwd, repeats),
                "first_call_s": compile_s,
                "roundtrip_error": error,
            }
        )
    return rows


def _cases(devices, args):
    cases = []
    for scaling in ("strong", "weak"):
        factor = devices if scaling == "weak" else 1
        cases.append(
            {"mode": "batch", "scaling": scaling, "L": args.batch_L, "B": args.batch * factor}
        )
        L = round(args.single_L * factor ** (1 / 3)) if scaling == "weak" else args.single_L
        cases.append({"mode": "single", "scaling": scaling, "L": L, "B": 1})
    return cases


def _run_devices(devices, args):
    flags = os.environ.get("XLA_FLAGS", "")
    env = dict(
        os.environ,
        JAX_ENABLE_X64="1",
        JAX_PLATFORMS=args.platform,
        XLA_FLAGS=f"{flags} --xla_force_host_platform_device_count={devices}".strip(),
    )
    if args.platform == "cuda":  # the first D GPUs of this host
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(devices))
    payload = json.dumps({"cases": _cases(devices, args), "repeats": args.repeats})
    run = subprocess.run(
        [sys.executable, __file__, "--worker", payload],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"worker with {devices} devices failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _table(rows):
    base = {(r["mode"], r["scaling"]): r for r in rows if r["devices"] == 1}
    lines = [
        "| mode | scaling | devices | L | B | inverse (s) | forward (s) | speed-up / efficiency"
        " (fwd+inv) | first call (s) | round-trip error |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["mode"], r["scaling"], r["devices"])):
        total = r["inverse_s"] + r["forward_s"]
        ref = base.get((r["mode"], r["scaling"]))
        if ref is None:
            ratio = "–"
        else:
            t1 = ref["inverse_s"] + ref["forward_s"]
            # Strong: speed-up t1/tD (ideal D).  Weak: efficiency t1/tD (ideal 1).
            ratio = f"{t1 / total:.2f}"
        lines.append(
            f"| {r['mode']} | {r['scaling']} | {r['devices']} | {r['L']} | {r['B']} |"
            f" {r['inverse_s']:.4g} | {r['forward_s']:.4g} | {ratio} |"
            f" {r['first_call_s']:.3g} | {r['roundtrip_error']:.2e} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--batch-L", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4, help="B (strong) or B per device (weak)")
    parser.add_argument("--single-L", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--platform", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(worker(job["cases"], job["repeats"])))
        return
    rows = []
    for devices in args.devices:
        print(f"running on {devices} host device(s) ...", flush=True)
        rows.extend(_run_devices(devices, args))
    table = _table(rows)
    print(table)
    meta = {
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "args": {k: v for k, v in vars(args).items() if k not in ("out", "worker")},
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
