"""DISCO convolution benchmark: physml.disco vs a dense quadrature vs torch-harmonics.

One convolution 1 → 16 channels on an equiangular grid with poles (MWSS: L+1 rings of 2L
longitudes, torch-harmonics' ``"equiangular"`` grid with the same shape), isotropic
piecewise-linear filters (K = 2 basis functions, torch-harmonics ``kernel_shape=(3,)``), the same
``theta_cutoff`` = 4 grid spacings, float32, batch 1.  Measured, for forward + backward (the
gradient with respect to input and weights of ``sum(out²)``):

- ``time_ms``: median wall time of one forward+backward after warm-up;
- ``setup_s``: time to precompute the sparse operator (and compile, for JAX);
- ``operator_mib``: bytes of the stored operator;
- ``peak_rss_mib``: growth of the process's peak resident memory from just before the
  operator is built to the end of the timed runs (each case runs in its own process).

Usage::

    python benchmarks/disco/run.py                      # L = 64 128 256 512, all methods
    python benchmarks/disco/run.py --L 64 128 --repeats 5 --out results.json

torch-harmonics needs ``pip install torch==2.13.0 torch-harmonics==0.8.0`` (see
requirements.txt); it is skipped with a note when it is not installed.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

C_IN, C_OUT, K = 1, 16, 2
DENSE_MAX_PIXELS = 9000  # a dense (K, n, n) float32 matrix at L = 64 is 0.55 GiB


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _median_time(fn, repeats: int) -> float:
    start = time.perf_counter()
    fn()
    if time.perf_counter() - start > 2.0:  # slow case: a few repeats are enough
        repeats = min(repeats, 2)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _case_jax(L: int, method: str, repeats: int) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    import physml.disco as pd
    from physml.disco import reference

    cutoff = 4 * math.pi / L
    basis = pd.FilterBasis("piecewise_linear", (K,))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((1, C_IN, L + 1, 2 * L)), jnp.float32)
    w = jnp.asarray(np.random.default_rng(1).standard_normal((C_OUT, C_IN, K)), jnp.float32)
    rss0 = _rss_mib()
    start = time.perf_counter()
    if method == "physml":
        op = pd.build(L, "mwss", basis=basis, theta_cutoff=cutoff, dtype=np.float32)
        op_bytes = op.spectrum.nbytes + op.ring_index.nbytes

        def loss(x, w):
            return jnp.sum(pd.conv(op, x, w) ** 2)

    else:
        theta, phi, _ = reference.pixel_positions(L, "mwss")
        dense = reference.quadrature_matrix(theta, phi, L, "mwss", basis=basis, theta_cutoff=cutoff)
        A = jnp.asarray(dense, jnp.float32)
        del dense
        op_bytes = A.nbytes

        def loss(x, w):
            out = jnp.einsum("ock,kij,bcj->boi", w, A, x.reshape(1, C_IN, -1))
            return jnp.sum(out**2)

    step = jax.jit(jax.grad(loss, argnums=(0, 1)))
    jax.block_until_ready(step(x, w))
    setup = time.perf_counter() - start
    seconds = _median_time(lambda: jax.block_until_ready(step(x, w)), repeats)
    return {
        "time_ms": 1e3 * seconds,
        "setup_s": setup,
        "operator_mib": op_bytes / 2**20,
        "peak_rss_mib": _rss_mib() - rss0,
    }


def _case_torch(L: int, repeats: int) -> dict:
    import warnings

    import torch
    import torch_harmonics as th

    warnings.filterwarnings("ignore")
    cutoff = 4 * math.pi / L
    x = torch.randn(1, C_IN, L + 1, 2 * L, requires_grad=True)
    rss0 = _rss_mib()
    start = time.perf_counter()
    conv = th.DiscreteContinuousConvS2(
        C_IN, C_OUT, (L + 1, 2 * L), (L + 1, 2 * L), (3,), grid_in="equiangular",
        grid_out="equiangular", theta_cutoff=cutoff, bias=False,
    )  # fmt: skip
    assert conv.kernel_size == K
    setup = time.perf_counter() - start
    op_bytes = sum(b.numel() * b.element_size() for b in conv.buffers())

    def step():
        conv.zero_grad(set_to_none=True)
        x.grad = None
        (conv(x) ** 2).sum().backward()

    seconds = _median_time(step, repeats)
    return {
        "time_ms": 1e3 * seconds,
        "setup_s": setup,
        "operator_mib": op_bytes / 2**20,
        "peak_rss_mib": _rss_mib() - rss0,
        "threads": torch.get_num_threads(),
    }


def _run_case(method: str, L: int, repeats: int) -> dict:
    if method == "torch-harmonics":
        return _case_torch(L, repeats)
    return _case_jax(L, method, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--methods", nargs="+", default=["physml", "dense", "torch-harmonics"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)  # internal: method L
    args = parser.parse_args()

    if args.case:
        result = _run_case(args.case[0], int(args.case[1]), args.repeats)
        print(json.dumps(result))
        return

    rows = []
    for L in args.L:
        for method in args.methods:
            row = {"L": L, "nlat": L + 1, "nlon": 2 * L, "method": method}
            if method == "dense" and (L + 1) * 2 * L > DENSE_MAX_PIXELS:
                rows.append({**row, "note": "skipped: dense matrix too large"})
                print(rows[-1], flush=True)
                continue
            cmd = [
                sys.executable,
                __file__,
                "--case",
                method,
                str(L),
                "--repeats",
                str(args.repeats),
            ]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                rows.append({**row, "note": f"timed out after {args.timeout:.0f} s"})
                print(rows[-1], flush=True)
                continue
            if proc.returncode != 0:
                reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                rows.append({**row, "note": f"failed: {reason[:120]}"})
            else:
                rows.append({**row, **json.loads(proc.stdout.strip().splitlines()[-1])})
            print(rows[-1], flush=True)
    args.out.write_text(json.dumps({"channels": [C_IN, C_OUT], "K": K, "rows": rows}, indent=2))
    print(f"{'L':>5} {'method':>16} {'time ms':>10} {'setup s':>9} {'op MiB':>9} {'RSS MiB':>9}")
    for r in rows:
        if "time_ms" in r:
            print(f"{r['L']:>5} {r['method']:>16} {r['time_ms']:>10.2f} {r['setup_s']:>9.2f}"
                  f" {r['operator_mib']:>9.2f} {r['peak_rss_mib']:>9.1f}")  # fmt: skip
        else:
            print(f"{r['L']:>5} {r['method']:>16} {r['note']}")


if __name__ == "__main__":
    main()
