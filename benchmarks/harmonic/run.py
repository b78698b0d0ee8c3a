"""physml.harmonic against the established ``harmonic`` package, and a calibration sweep.

Usage (from the repository root)::

    python benchmarks/harmonic/run.py speed        # d = 2, 8, 32, both packages, same samples
    python benchmarks/harmonic/run.py calibration  # >= 20 repeats per analytic problem
    python benchmarks/harmonic/run.py accuracy     # Gaussian / flat prior, d = 16 ... 128

Both parts print a Markdown table and write JSON next to this file. ``speed`` needs
``pip install -r benchmarks/harmonic/requirements.txt`` (harmonic==1.3.1).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from importlib import metadata
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np

import physml.harmonic as ph
from physml.harmonic import testing

HERE = Path(__file__).parent


class _CompileClock(logging.Handler):
    """Sums JAX's own timings of tracing, lowering and XLA compilation (jax_log_compiles)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seconds = 0.0

    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith("Finished") and msg.endswith(" sec"):
            self.seconds += float(msg.rsplit(" in ", 1)[1].split()[0])


_CLOCK = _CompileClock()


def _environment():
    return {
        "physml-harmonic": metadata.version("physml-harmonic"),
        "harmonic": _version("harmonic"),
        "jax": jax.__version__,
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_1min": os.getloadavg()[0],
        "machine": platform.machine(),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
    }


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _ours(problem, key, model="rqspline", temperature=0.8, support=False, **fit):
    _CLOCK.seconds = 0.0
    t0 = time.perf_counter()
    r = ph.estimate_evidence(
        problem.samples,
        problem.ln_posterior,
        key=key,
        model=model,
        temperature=temperature,
        progress=False,
        # with the log posterior as a function, the target's mass outside a bounded prior's
        # support is measured and corrected for (physml.harmonic.support)
        ln_posterior_fn=problem.ln_posterior_fn if support else None,
        **fit,
    )
    return r, time.perf_counter() - t0, _CLOCK.seconds


def _theirs(problem, epochs, temperature=0.8):
    import harmonic as hm

    t0 = time.perf_counter()
    d = problem.samples.shape[2]
    chains = hm.Chains(d)
    chains.add_chains_3d(problem.samples, problem.ln_posterior)
    train, infer = hm.utils.split_data(chains, training_proportion=0.5)
    model = hm.model.RQSplineModel(d, standardize=True, temperature=temperature)
    model.fit(train.samples, epochs=epochs, verbose=False)
    ev = hm.Evidence(infer.nchains, model)
    ev.add_chains(infer)
    ln_z = -float(ev.ln_evidence_inv)
    err = ev.compute_ln_inv_evidence_errors()
    sigma = float(max(abs(err[0]), abs(err[1])))
    return ln_z, sigma, time.perf_counter() - t0


def speed(args):
    env = _environment()
    print(json.dumps(env), flush=True)
    rows = []
    for d in args.dims:
        problem = testing.gaussian_gaussian_prior(
            jax.random.key(d), d, nchains=args.nchains, nsamples=args.nsamples
        )
        r, t_ours, t_compile = _ours(problem, jax.random.key(100 + d))
        # a second run on the same samples (another split and initialisation) reuses the
        # compiled code: the cost of every further evidence in a session
        r_warm, t_warm, _ = _ours(problem, jax.random.key(200 + d))
        row = {
            "d": d,
            "truth": problem.ln_z,
            "ours_err": r.ln_z - problem.ln_z,
            "ours_sigma": r.sigma_ln_z,
            "ours_s": t_ours,
            "ours_compile_s": t_compile,
            "ours_run_s": t_ours - t_compile,
            "ours_epochs": len(r.model.history.val_loss),
            "ours_reliable": r.reliable,
            "ours_warm_s": t_warm,
            "ours_warm_err": r_warm.ln_z - problem.ln_z,
            "ours_warm_sigma": r_warm.sigma_ln_z,
        }
        if not args.skip_harmonic:
            ln_z_h, sig_h, t_h = _theirs(problem, args.harmonic_epochs)
            row.update(harmonic_err=ln_z_h - problem.ln_z, harmonic_sigma=sig_h, harmonic_s=t_h)
        row["load_average_1min_after"] = os.getloadavg()[0]
        rows.append(row)
        print(json.dumps(row), flush=True)
    suffix = "_physml_only" if args.skip_harmonic else ""
    out = {"environment": env, "rows": rows}
    (HERE / f"results_speed{suffix}.json").write_text(json.dumps(out, indent=1))
    print("| d | physml cold (compile + run) / warm (s) | physml ln Z − truth (σ) |", end="")
    print(" harmonic (s) | harmonic ln Z − truth (σ) | ratio cold / warm |")
    print("|---|---|---|---|---|---|")
    nan = float("nan")
    for w in rows:
        h = w.get("harmonic_s", nan)
        print(
            f"| {w['d']} | {w['ours_s']:.1f} ({w['ours_compile_s']:.1f} + {w['ours_run_s']:.1f})"
            f" / {w['ours_warm_s']:.1f} | "
            f"{w['ours_err']:+.4f} ({w['ours_sigma']:.4f}) | {h:.1f} | "
            f"{w.get('harmonic_err', nan):+.4f} ({w.get('harmonic_sigma', nan):.4f}) | "
            f"{h / w['ours_s']:.1f}× / {h / w['ours_warm_s']:.1f}× |"
        )


PROBLEMS = {
    "gaussian-d2": (lambda k: testing.gaussian_gaussian_prior(k, 2), 0.8),
    "gaussian-d8": (lambda k: testing.gaussian_gaussian_prior(k, 8), 0.8),
    "flat-d2": (lambda k: testing.gaussian_flat_prior(k, 2), 0.8),
    "flat-d8": (lambda k: testing.gaussian_flat_prior(k, 8), 0.8),
    "normal-gamma-1e-4": (lambda k: testing.normal_gamma(k, prior_width=1e-4), 0.8),
    "normal-gamma-1e-2": (lambda k: testing.normal_gamma(k, prior_width=1e-2), 0.8),
    "normal-gamma-1": (lambda k: testing.normal_gamma(k, prior_width=1.0), 0.8),
    "linear-regression-d4": (lambda k: testing.linear_regression(k, d=4), 0.8),
    "mixture-d2": (lambda k: testing.gaussian_mixture(k, 2), 0.6),
    "rosenbrock": (lambda k: testing.rosenbrock(k), 0.8),
}
"""Calibration problems (20 chains × 1000 exact samples each) and their temperatures."""


def _sweep(name, make, temperature, repeats, model, epochs, support=True):
    z, z_chains, errs, reliable, times, masses, warnings = [], [], [], [], [], [], set()
    for rep in range(repeats):
        problem = make(jax.random.key(1000 + rep))
        r, t, _ = _ours(
            problem, jax.random.key(rep), model, temperature, support=support, epochs=epochs
        )
        z.append((r.ln_z - problem.ln_z) / r.sigma_ln_z)
        # the same estimate against the between-chain error bar alone (C - 1 dof)
        z_chains.append((r.ln_z - problem.ln_z) / r.sigma_ln_z_chains)
        warnings.update(w.split(":")[0] for w in r.warnings)
        masses.append(r.support_mass)
        errs.append(r.ln_z - problem.ln_z)
        reliable.append(r.reliable)
        times.append(t)
    z, z_chains, reliable = np.array(z), np.array(z_chains), np.array(reliable)
    row = {
        "repeats": repeats,
        "z_mean": float(z.mean()),
        "z_std": float(z.std(ddof=1)) if repeats > 1 else float("nan"),
        "z_chains_mean": float(z_chains.mean()),
        "z_chains_std": float(z_chains.std(ddof=1)) if repeats > 1 else float("nan"),
        "max_abs_err": float(np.max(np.abs(errs))),
        "mean_abs_err": float(np.mean(np.abs(errs))),
        "flagged_unreliable": int((~reliable).sum()),
        "support_mass_min": float(np.nanmin(masses)) if support else float("nan"),
        "z_std_unflagged": float(z[reliable].std(ddof=1)) if reliable.sum() > 1 else float("nan"),
        "z": [round(float(v), 3) for v in z],
        "median_s": float(np.median(times)),
        "block_size_last": r.block_size,
        "nblocks_last": r.nblocks,
        "warnings": sorted(warnings),
    }
    print(name, json.dumps(row), flush=True)
    return row


def _table(out):
    print(
        "\n| problem | repeats | z mean | z std | z std (unflagged) | z std, between-chain σ |"
        " max abs(ln Z − truth) | flagged | s/run |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, v in out.items():
        print(
            f"| {name} | {v['repeats']} | {v['z_mean']:+.2f} | {v['z_std']:.2f} | "
            f"{v['z_std_unflagged']:.2f} | {v['z_chains_std']:.2f} | "
            f"{v['max_abs_err']:.4f} | {v['flagged_unreliable']} | {v['median_s']:.1f} |"
        )


def calibration(args):
    out = {"environment": _environment()}
    for name in args.problems:
        make, temperature = PROBLEMS[name]
        out[name] = _sweep(
            name, make, temperature, args.repeats, args.model, args.epochs, not args.no_support
        )
    (HERE / f"results_calibration_{args.model}.json").write_text(json.dumps(out, indent=1))
    _table({k: v for k, v in out.items() if k != "environment"})


def accuracy(args):
    """Gaussian likelihood × Gaussian / flat prior in higher d, 40 chains × ``nsamples``."""
    out = {"environment": _environment()}
    for d in args.dims:
        for prior, make in [
            ("gaussian", testing.gaussian_gaussian_prior),
            ("flat", testing.gaussian_flat_prior),
        ]:
            name = f"{prior}-d{d}"
            out[name] = _sweep(
                name,
                lambda k, make=make, d=d: make(k, d, nchains=40, nsamples=args.nsamples),
                0.8,
                args.repeats,
                args.model,
                args.epochs,
            )
    (HERE / f"results_accuracy_{args.model}.json").write_text(json.dumps(out, indent=1))
    _table({k: v for k, v in out.items() if k != "environment"})


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="part")
    s = sub.add_parser("speed")
    s.add_argument("--dims", type=int, nargs="+", default=[2, 8, 32])
    s.add_argument("--nchains", type=int, default=20)
    s.add_argument("--nsamples", type=int, default=2000)
    s.add_argument("--harmonic-epochs", type=int, default=10)
    s.add_argument("--skip-harmonic", action="store_true")
    c = sub.add_parser("calibration")
    c.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    c.add_argument("--repeats", type=int, default=20)
    c.add_argument("--model", default="rqspline")
    c.add_argument("--epochs", type=int, default=40)
    c.add_argument("--no-support", action="store_true", help="skip the support correction")
    a = sub.add_parser("accuracy")
    a.add_argument("--dims", type=int, nargs="+", default=[16, 32, 64, 128])
    a.add_argument("--nsamples", type=int, default=2500)
    a.add_argument("--repeats", type=int, default=2)
    a.add_argument("--model", default="rqspline")
    a.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    # time our compilation separately: JAX reports each trace/lower/compile step it times
    jax.config.update("jax_log_compiles", True)
    jax_logger = logging.getLogger("jax")
    jax_logger.handlers[:] = [_CLOCK]
    jax_logger.setLevel(logging.DEBUG)
    jax_logger.propagate = False
    parts = {"speed": speed, "calibration": calibration, "accuracy": accuracy}
    parts[args.part or "speed"](args)


if __name__ == "__main__":
    main()
