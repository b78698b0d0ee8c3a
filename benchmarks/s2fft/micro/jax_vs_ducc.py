"""physml's ``"jax"`` and ``"precompute"`` transforms against raw ducc0, interleaved.

    python benchmarks/s2fft/micro/jax_vs_ducc.py [--L 512] [--rounds 7]

On a shared machine ducc0's own time moves by 1.5× between runs, so one best-of-N per library
can tilt a ratio either way.  Here every round times each transform once, back to back on the
same signal (MW, spin 0 real and spin 2, 2 ducc0 threads), and the per-round ratios are
summarised by their median and range.  Both directions; each precompute kernel is laid out
for its direction (``forward=True`` for the forward, the default for the inverse).  Needs
ducc0 (imported by ``run.ducc_callables``).
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
parser.add_argument("--L", type=int, nargs="+", default=[512])
parser.add_argument("--rounds", type=int, default=7)
args = parser.parse_args()


def seconds(fn):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def transforms(L, spin, reality):
    """{direction: {method: (jitted function, its arguments)}} for one configuration."""
    flm = jnp.asarray(run.random_flm(L, spin, reality))
    f = s2.inverse(flm, L, spin, reality=reality)
    kernels = {
        "forward": s2.precompute_kernels(L, spin, reality=reality, forward=True),
        "inverse": s2.precompute_kernels(L, spin, reality=reality),
    }
    cases = {}
    for direction, transform, x in (("forward", s2.forward, f), ("inverse", s2.inverse, flm)):
        cases[direction] = {
            "jax": (jax.jit(lambda x, t=transform: t(x, L, spin, reality=reality)), (x,)),
            "precompute": (
                jax.jit(
                    lambda x, k, t=transform: t(
                        x, L, spin, reality=reality, method="precompute", precomps=k
                    )
                ),
                (x, kernels[direction]),
            ),
        }
    return flm, cases


for L in args.L:
    for spin in (0, 2):
        reality = spin == 0
        flm, ours = transforms(L, spin, reality)
        raw = run.ducc_callables(run.ducc_alm(np.asarray(flm), L, spin), L, spin)
        for direction, cases in ours.items():
            raw[direction]()
            for fn, fn_args in cases.values():
                fn(*fn_args)  # compile
        ratios = {d: {name: [] for name in cases} for d, cases in ours.items()}
        ducc_times = {direction: [] for direction in ours}
        for _ in range(args.rounds):
            for direction, cases in ours.items():
                t_ducc = seconds(raw[direction])
                ducc_times[direction].append(t_ducc)
                for name, (fn, fn_args) in cases.items():
                    t = seconds(lambda fn=fn, fn_args=fn_args: fn(*fn_args))
                    ratios[direction][name].append(t / t_ducc)
        for direction, times in ducc_times.items():
            print(f"L={L} spin={spin}: ducc0 {direction} median {1e3 * np.median(times):.1f} ms")
            for name, r in ratios[direction].items():
                print(
                    f"  physml {name} {direction} / ducc0: median {np.median(r):.2f}x"
                    f" (range {min(r):.2f}-{max(r):.2f}x over {args.rounds} rounds)"
                )
