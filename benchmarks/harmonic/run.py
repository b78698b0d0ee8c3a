"""physml.harmonic against the established ``harmonic`` package, and a calibration sweep.

Usage (from the repository root)::

    python benchmarks/harmonic/run.py speed        # d = 2, 8, 32, both packages, same samples
    python benchmarks/harmonic/run.py calibration  # >= 20 repeats per analytic problem

Both parts print a Markdown table and write JSON next to this file. ``speed`` needs
``pip install -r benchmarks/harmonic/requirements.txt`` (harmonic==1.3.1).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np

import physml.harmonic as ph
from physml.harmonic import testing

HERE = Path(__file__).parent


def _ours(problem, key, model="rqspline", temperature=0.8, **fit):
    t0 = time.perf_counter()
    r = ph.estimate_evidence(
        problem.samples,
        problem.ln_posterior,
        key=key,
        model=model,
        temperature=temperature,
        progress=False,
        **fit,
    )
    return r, time.perf_counter() - t0


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
    rows = []
    for d in args.dims:
        problem = testing.gaussian_gaussian_prior(
            jax.random.key(d), d, nchains=args.nchains, nsamples=args.nsamples
        )
        r, t_ours = _ours(problem, jax.random.key(100 + d))
        # a second run on the same samples (another split and initialisation) reuses the
        # compiled code: the cost of every further evidence in a session
        r_warm, t_warm = _ours(problem, jax.random.key(200 + d))
        row = {
            "d": d,
            "truth": problem.ln_z,
            "ours_err": r.ln_z - problem.ln_z,
            "ours_sigma": r.sigma_ln_z,
            "ours_s": t_ours,
            "ours_reliable": r.reliable,
            "ours_warm_s": t_warm,
            "ours_warm_err": r_warm.ln_z - problem.ln_z,
            "ours_warm_sigma": r_warm.sigma_ln_z,
        }
        if not args.skip_harmonic:
            ln_z_h, sig_h, t_h = _theirs(problem, args.harmonic_epochs)
            row.update(harmonic_err=ln_z_h - problem.ln_z, harmonic_sigma=sig_h, harmonic_s=t_h)
        rows.append(row)
        print(json.dumps(row), flush=True)
    suffix = "_physml_only" if args.skip_harmonic else ""
    (HERE / f"results_speed{suffix}.json").write_text(json.dumps(rows, indent=1))
    print("| d | physml cold / warm (s) | physml ln Z − truth (σ) | harmonic (s) |", end="")
    print(" harmonic ln Z − truth (σ) | ratio cold / warm |")
    print("|---|---|---|---|---|---|")
    nan = float("nan")
    for w in rows:
        h = w.get("harmonic_s", nan)
        print(
            f"| {w['d']} | {w['ours_s']:.1f} / {w['ours_warm_s']:.1f} | "
            f"{w['ours_err']:+.4f} ({w['ours_sigma']:.4f}) | {h:.1f} | "
            f"{w.get('harmonic_err', nan):+.4f} ({w.get('harmonic_sigma', nan):.4f}) | "
            f"{h / w['ours_s']:.1f}× / {h / w['ours_warm_s']:.1f}× |"
        )


PROBLEMS = {
    "gaussian-d2": (lambda k: testing.gaussian_gaussian_prior(k, 2), 0.8),
    "gaussian-d8": (lambda k: testing.gaussian_gaussian_prior(k, 8), 0.8),
    "gaussian-d16": (lambda k: testing.gaussian_gaussian_prior(k, 16), 0.8),
    "flat-d8": (lambda k: testing.gaussian_flat_prior(k, 8), 0.8),
    "normal-gamma-1e-4": (lambda k: testing.normal_gamma(k, prior_width=1e-4), 0.8),
    "normal-gamma-1": (lambda k: testing.normal_gamma(k, prior_width=1.0), 0.8),
    "linear-regression-d4": (lambda k: testing.linear_regression(k, d=4), 0.8),
    "mixture-d2": (lambda k: testing.gaussian_mixture(k, 2), 0.6),
    "rosenbrock": (lambda k: testing.rosenbrock(k), 0.8),
}


def calibration(args):
    out = {}
    for name in args.problems:
        make, temperature = PROBLEMS[name]
        z, errs, unreliable, times = [], [], 0, []
        for rep in range(args.repeats):
            problem = make(jax.random.key(1000 + rep))
            r, t = _ours(problem, jax.random.key(rep), args.model, temperature, epochs=args.epochs)
            z.append((r.ln_z - problem.ln_z) / r.sigma_ln_z)
            errs.append(r.ln_z - problem.ln_z)
            unreliable += not r.reliable
            times.append(t)
        z = np.array(z)
        out[name] = {
            "repeats": args.repeats,
            "z_mean": float(z.mean()),
            "z_std": float(z.std(ddof=1)),
            "max_abs_err": float(np.max(np.abs(errs))),
            "mean_abs_err": float(np.mean(np.abs(errs))),
            "flagged_unreliable": unreliable,
            "median_s": float(np.median(times)),
        }
        print(name, json.dumps(out[name]), flush=True)
    (HERE / f"results_calibration_{args.model}.json").write_text(json.dumps(out, indent=1))
    print("\n| problem | repeats | z mean | z std | max abs(ln Z − truth) | flagged | s/run |")
    print("|---|---|---|---|---|---|---|")
    for name, v in out.items():
        print(
            f"| {name} | {v['repeats']} | {v['z_mean']:+.2f} | {v['z_std']:.2f} | "
            f"{v['max_abs_err']:.4f} | {v['flagged_unreliable']} | {v['median_s']:.1f} |"
        )


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
    args = parser.parse_args()
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    {"speed": speed, "calibration": calibration}.get(args.part or "speed", speed)(args)


if __name__ == "__main__":
    main()
