"""physml's ``method="ducc"`` against raw ducc0 on the same signals, interleaved, one process.

    python benchmarks/s2fft/micro/ducc_overhead.py [--L 256 512 1024] [--rounds 15]

Every round times raw ducc0 and physml's jitted ``"ducc"`` transform back to back (MW, spin 0
real and spin 2, 2 ducc0 threads); prints the median and range of the per-round ratios
physml / raw, and the median times.
"""

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import run

import physml.s2fft as s2

parser = argparse.ArgumentParser()
parser.add_argument("--L", type=int, nargs="+", default=[256, 512, 1024])
parser.add_argument("--rounds", type=int, default=15)
args = parser.parse_args()


def seconds(fn):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


for L in args.L:
    for spin in (0, 2):
        reality = spin == 0
        flm = jnp.asarray(run.random_flm(L, spin, reality))
        f = s2.inverse(flm, L, spin, reality=reality)
        ours = {
            "inverse": (
                jax.jit(
                    lambda x, L=L, s=spin, r=reality: s2.inverse(x, L, s, reality=r, method="ducc")
                ),
                flm,
            ),
            "forward": (
                jax.jit(
                    lambda x, L=L, s=spin, r=reality: s2.forward(x, L, s, reality=r, method="ducc")
                ),
                f,
            ),
        }
        raw = run.ducc_callables(run.ducc_alm(np.asarray(flm), L, spin), L, spin)
        times = {d: {"ours": [], "raw": []} for d in ours}
        for direction, (fn, x) in ours.items():
            fn(x), raw[direction]()
        for _ in range(args.rounds):
            for direction, (fn, x) in ours.items():
                times[direction]["raw"].append(seconds(raw[direction]))
                times[direction]["ours"].append(seconds(lambda fn=fn, x=x: fn(x)))
        cells = []
        for direction, t in times.items():
            ratio = np.array(t["ours"]) / np.array(t["raw"])
            cells.append(
                f"{direction} {np.median(ratio):.2f} ({ratio.min():.2f}-{ratio.max():.2f};"
                f" {1e3 * np.median(t['ours']):.1f} / {1e3 * np.median(t['raw']):.1f} ms)"
            )
        print(f"L={L} spin={spin}: physml/raw median " + ", ".join(cells), flush=True)
