"""physml.s2wav against the established s2wav: agreement, time and memory, side by side.

    python benchmarks/s2wav/run.py                       # L = 64 … 512, N = 1 and 4
    python benchmarks/s2wav/run.py --L 64 128 --N 1 4 --repeats 2

1. Agreement (MW, L = 32, N = 1…4, real signal): max relative difference of the wavelet and
   scaling coefficients of both libraries with the same filters (ours built with
   ``quad_iters=300``, the established tiling rule), and with our default exact filters.
2. Speed: best-of-repeats wall time of one analysis + synthesis (jit-compiled, after a warm-up
   call), the compile time, XLA's compiled temporary + argument + output bytes (peak memory of
   the program), and the round-trip error.  Results go to ``results.json`` beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2
import physml.s2wav as s2w

HERE = Path(__file__).parent


def _established():
    try:
        import s2wav
        import s2wav.filters as sf
    except ImportError:  # the peer library needs torch; see requirements.txt
        return None, None
    return s2wav, sf


def _signal(L, seed=0):
    flm = s2.random_flm(jax.random.key(seed), L, cl=jnp.ones(L))
    return np.asarray(s2.inverse(flm, L, reality=True))


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def agreement(L=32, Ns=(1, 2, 3, 4)):
    s2wav, sf = _established()
    if s2wav is None:
        return []
    f = _signal(L, seed=1)
    rows = []
    for N in Ns:
        theirs = s2wav.analysis(
            f, L, N, reality=True, filters=sf.filters_directional_vectorised(L, N, 0, 2.0)
        )
        same = s2w.analysis(f, L, N=N, reality=True, filters=s2w.filters(L, N=N, quad_iters=300))
        exact = s2w.analysis(f, L, N=N, reality=True)
        rows.append(
            {
                "L": L,
                "N": N,
                "wavelet_same_filters": max(_rel(a, b) for a, b in zip(same[0], theirs[0])),
                "scaling_same_filters": _rel(same[1], theirs[1]),
                "wavelet_exact_filters": max(_rel(a, b) for a, b in zip(exact[0], theirs[0])),
            }
        )
        print(rows[-1], flush=True)
    return rows


def _environment() -> dict:
    """Versions, threads and machine load: the conditions the timings were taken under."""
    versions = {}
    for dist in ("jax", "jaxlib", "physml-s2wav", "physml-s2fft", "s2wav", "s2fft", "torch"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
        "load_average_at_start": os.getloadavg(),
        "versions": versions,
        "devices": [str(d) for d in jax.devices()],
    }


def _memory(compiled):
    m = compiled.memory_analysis()
    if m is None:
        return float("nan")
    total = m.temp_size_in_bytes + m.argument_size_in_bytes + m.output_size_in_bytes
    return total / 2**20


def _time(name, L, N, analysis, synthesis, f, repeats, aux=None):
    """Time synthesis(analysis(f)); ``aux`` (kernels) is passed as an argument, not a constant."""

    def both(x, aux):
        return synthesis(analysis(x, aux), aux)

    start = time.perf_counter()
    compiled = jax.jit(both).lower(f, aux).compile()
    compile_s = time.perf_counter() - start
    back = jax.block_until_ready(compiled(f, aux))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(compiled(f, aux))
        best = min(best, time.perf_counter() - start)
    row = {
        "library": name,
        "L": L,
        "N": N,
        "analysis_synthesis_s": best,
        "compile_s": compile_s,
        "xla_memory_mib": _memory(compiled),
        "roundtrip_error": _rel(back, f),
        "load_1min": os.getloadavg()[0],
    }
    print(row, flush=True)
    return row


def _physml(L, N, f, repeats, method, max_kernel_gib):
    filt = s2w.filters(L, N=N)
    kw = {"N": N, "reality": True, "method": method}
    if method == "precompute":
        nbytes = s2w.kernel_nbytes(filt, reality=True) + s2w.kernel_nbytes(
            filt, reality=True, analysis=False
        )
        if nbytes > max_kernel_gib * 2**30:
            print(f"skip precompute L={L} N={N}: kernels need {nbytes / 2**30:.1f} GiB")
            return None
        start = time.perf_counter()
        aux = jax.block_until_ready(
            (
                s2w.precompute_kernels(filt, reality=True),
                s2w.precompute_kernels(filt, reality=True, analysis=False),
            )
        )
        build_s = time.perf_counter() - start
    else:
        aux = (None, None)

    def ana(x, aux):
        return s2w.analysis(x, L, filters=filt, precomps=aux[0], **kw)

    def syn(c, aux):
        return s2w.synthesis(*c, L, filters=filt, precomps=aux[1], **kw)

    row = _time(f"physml.s2wav {method}", L, N, ana, syn, f, repeats, aux)
    if method == "precompute":
        row["kernel_mib"] = nbytes / 2**20
        row["kernel_build_s"] = build_s
    return row


def speed(Ls, Ns, repeats, peer_max_L, max_kernel_gib, save=lambda rows: None):
    """Time every configuration; ``save(rows)`` after each row (long runs keep partial data)."""
    s2wav, sf = _established()
    rows = []
    for L in Ls:
        f = _signal(L)
        for N in Ns:
            for method in ("jax", "precompute"):
                row = _physml(L, N, f, repeats, method, max_kernel_gib)
                if row is not None:
                    rows.append(row)
                    save(rows)
            if s2wav is None or peer_max_L < L:
                continue
            peer = sf.filters_directional_vectorised(L, N, 0, 2.0)
            rows.append(
                _time(
                    "s2wav (established)",
                    L,
                    N,
                    lambda x, _, peer=peer, L=L, N=N: s2wav.analysis(
                        x, L, N, reality=True, filters=peer
                    ),
                    lambda c, _, peer=peer, L=L, N=N: s2wav.synthesis(
                        c[0], c[1], L, N, reality=True, filters=peer
                    ),
                    f,
                    repeats,
                )
            )
            save(rows)
    return rows


def table(paths) -> str:
    """Markdown table of the speed rows of one or more results files, with speed-ups."""
    rows = [r for p in paths for r in json.loads(Path(p).read_text())["speed"]]
    peer = {(r["L"], r["N"]): r for r in rows if r["library"].startswith("s2wav")}
    lines = [
        "| L | N | library | analysis + synthesis (s) | speed-up | compile (s) | XLA memory (MiB)"
        " | kernels (MiB) | round-trip error | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["L"], r["N"], r["library"])):
        ref = peer.get((r["L"], r["N"]))
        ratio = f"{ref['analysis_synthesis_s'] / r['analysis_synthesis_s']:.0f}×" if ref else "–"
        kernels = f"{r['kernel_mib']:.0f}" if "kernel_mib" in r else "–"
        lines.append(
            f"| {r['L']} | {r['N']} | {r['library']} | {r['analysis_synthesis_s']:.3g} | {ratio}"
            f" | {r['compile_s']:.0f} | {r['xla_memory_mib']:.1f} | {kernels}"
            f" | {r['roundtrip_error']:.1e} | {r.get('load_1min', float('nan')):.0f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--N", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-max-L", type=int, default=512)
    parser.add_argument("--max-kernel-gib", type=float, default=4.0)
    parser.add_argument("--skip-agreement", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--table", type=Path, nargs="+", help="print the table of these files")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    if args.table:
        print(table(args.table))
        return
    results = {"environment": _environment()}
    results["agreement"] = [] if args.skip_agreement else agreement()

    def save(rows):
        args.out.write_text(json.dumps({**results, "speed": rows}, indent=1))

    rows = []
    if not args.skip_speed:
        rows = speed(args.L, args.N, args.repeats, args.peer_max_L, args.max_kernel_gib, save)
    save(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
