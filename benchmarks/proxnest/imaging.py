"""Imaging example: 64×64 denoising and masked-Fourier reconstruction, wavelet vs learned prior.

The truth is a synthetic galaxy-like image (:func:`physml.proxnest.generate_images`, nothing
downloaded). For each problem (denoising ``Φ = I``; masked orthonormal Fourier keeping a
fraction of the frequencies) and each prior (ℓ1 in a Daubechies-4 basis with μ fitted to the
truth's coefficients — an oracle scale; a DnCNN denoiser trained on generated images, used via
Tweedie's formula with MYULA moves) it runs proximal nested sampling and reports ln Z ± σ, the
PSNR of the posterior mean and the wall time, and writes a figure (truth, dirty image,
posterior mean, posterior std) per run to ``--out`` together with ``imaging.json``.

    python benchmarks/proxnest/imaging.py --out benchmarks/proxnest/imaging_out

The default settings are sized for a shared 2-core CPU (few live points and steps); raise
``--n-live``/``--n-steps`` on an accelerator.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import physml.proxnest as pn

SHAPE = (64, 64)


def psnr(x, truth) -> float:
    peak = float(np.max(truth) - np.min(truth))
    return float(10 * np.log10(peak**2 / np.mean((np.asarray(x) - truth) ** 2)))


def noisy_data(key, phi, truth, sigma):
    clean = phi.forward(jnp.asarray(truth))
    k1, k2 = jax.random.split(key)
    noise = sigma * jax.random.normal(k1, clean.shape)
    if phi.complex_output:
        noise = noise + 1j * sigma * jax.random.normal(k2, clean.shape)
    return clean + noise


def figure(path, truth, dirty, res, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("truth", truth),
        ("dirty Φ†y", dirty),
        ("posterior mean", res.posterior_mean),
        ("posterior std", res.posterior_std),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    for ax, (name, img) in zip(axes, panels):
        im = ax.imshow(np.asarray(img), cmap="magma")
        ax.set_title(name)
        ax.axis("off")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "imaging_out"))
    parser.add_argument("--sigma", type=float, default=0.1)
    parser.add_argument("--fraction", type=float, default=0.5)
    parser.add_argument("--n-live", type=int, default=20)
    parser.add_argument("--n-steps", type=int, default=10)
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--noise-std", type=float, default=0.05, help="denoiser σ_d")
    parser.add_argument("--max-iter", type=int, default=4000, help="cap on dead points per run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key = jax.random.key(args.seed)
    k_truth, k_train, k_mask, k_data, k_run = jax.random.split(key, 5)
    truth = np.asarray(pn.generate_images(k_truth, 1, SHAPE, n_blobs=6)[0])

    start = time.perf_counter()
    images = pn.generate_images(k_train, 512, SHAPE, n_blobs=6)
    model = pn.train_denoiser(
        k_train, images, args.noise_std, steps=args.train_steps, features=8, depth=3, progress=False
    )
    train_s = time.perf_counter() - start

    basis = pn.DaubechiesWavelet2D.create(SHAPE, order=4, levels=3)
    mu = 1.0 / float(np.mean(np.abs(np.asarray(basis.forward(jnp.asarray(truth))))))
    priors = {
        "wavelet": (pn.LaplaceWaveletPrior.create(basis, mu=mu), {}),
        "learned": (
            pn.DenoiserPrior.create(model, args.noise_std, SHAPE),
            {"lambda_prior": args.noise_std**2, "step_size": 0.5 * args.noise_std**2},
        ),
    }
    problems = {
        "denoising": pn.Identity(SHAPE),
        "fourier": pn.MaskedFourier.random(k_mask, SHAPE, args.fraction),
    }
    rows = []
    for pname, phi in problems.items():
        y = noisy_data(k_data, phi, truth, args.sigma)
        dirty = np.asarray(phi.adjoint(y))
        for qname, (prior, kwargs) in priors.items():
            start = time.perf_counter()
            res = pn.sample(
                k_run,
                y,
                phi,
                args.sigma,
                prior,
                n_live=args.n_live,
                n_steps=args.n_steps,
                dlogz=0.1,
                n_burn_rounds=20,
                max_iter=args.max_iter,
                progress=False,
                **kwargs,
            )
            wall = time.perf_counter() - start
            row = {
                "problem": pname,
                "prior": qname,
                "ln_z": res.ln_z,
                "sigma_ln_z": res.sigma_ln_z,
                "information": res.information,
                "psnr_mean": psnr(res.posterior_mean, truth),
                "psnr_dirty": psnr(dirty, truth),
                "wall_s": wall,
                "n_iter": res.n_iter,
                "converged": res.n_iter < args.max_iter,
                "acceptance": res.acceptance,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            title = (
                f"{pname}, {qname} prior: ln Z = {res.ln_z:.1f} ± {res.sigma_ln_z:.1f}, "
                f"PSNR {row['psnr_mean']:.1f} dB (dirty {row['psnr_dirty']:.1f} dB)"
            )
            figure(out / f"{pname}_{qname}.png", truth, dirty, res, title)
    meta = {"args": vars(args), "train_s": train_s, "device": str(jax.devices()[0]), "mu": mu}
    (out / "imaging.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
