"""physml's ``method="ducc"`` against raw ducc0 on the same signals, best of N, one process.

    python benchmarks/s2fft/micro/ducc_overhead.py [--L 256 512 1024] [--repeats 7]

Prints physml/raw time ratios for MW, spin 0 (real) and spin 2.
"""

import argparse
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import run

import physml.s2fft as s2

parser = argparse.ArgumentParser()
parser.add_argument("--L", type=int, nargs="+", default=[256, 512, 1024])
parser.add_argument("--repeats", type=int, default=7)
args = parser.parse_args()

for L in args.L:
    for spin in (0, 2):
        reality = spin == 0
        flm = jnp.asarray(run.random_flm(L, spin, reality))
        ours = run.jax_case(
            "physml ducc",
            lambda x, L=L, spin=spin, reality=reality: s2.inverse(
                x, L, spin, reality=reality, method="ducc"
            ),
            lambda f, L=L, spin=spin, reality=reality: s2.forward(
                f, L, spin, reality=reality, method="ducc"
            ),
            flm,
            args.repeats,
        )
        raw = run.ducc_case(np.asarray(flm), L, spin, args.repeats)
        ratios = [ours[k] / raw[k] for k in ("inverse_s", "forward_s")]
        print(
            f"L={L} spin={spin}: physml/raw inverse {ratios[0]:.2f}"
            f" ({ours['inverse_s']:.4f} / {raw['inverse_s']:.4f} s),"
            f" forward {ratios[1]:.2f} ({ours['forward_s']:.4f} / {raw['forward_s']:.4f} s)",
            flush=True,
        )
