"""Step 2 of the demo: scattering covariance statistics and emulated fields (physml-s2scat).

New fields are synthesised from Gaussian noise with the target's C_ℓ by minimising the
weighted distance between their scattering covariance statistics (S1…S4) and the target's
(Mousset et al. 2024; McEwen et al. 2022).  The result is judged on what the statistics were
*not* told directly: the pixel PDF (skewness, kurtosis) of the emulated fields against the
target and against a Gaussian field with exactly the target's C_ℓ.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2scat as scat
from demo import field
from physml import s2fft


def statistics_distance(op, stats, target_stats) -> float:
    """Mean squared difference of the flat statistics vectors, relative to the target's size."""
    a, b = jnp.asarray(stats.vector()), jnp.asarray(target_stats.vector())
    return float(jnp.mean(jnp.abs(a - b) ** 2) / jnp.mean(jnp.abs(b) ** 2))


def max_abs_difference(op, stats, target_stats) -> np.ndarray:
    """max_i |S_i − S_i^target| over S1–S4 (mean and variance left out), one per leading index.

    With the statistics normalised by the target's S2 (as :func:`emulate` returns them) every
    S1–S4 entry is dimensionless and the target's S2 are 1, so this is an absolute tolerance
    on numbers of order one.
    """
    keep = np.isin(scat.families(op), [scat.FAMILIES.index(n) for n in ("S1", "S2", "S3", "S4")])
    diff = np.abs(np.asarray(stats.vector()) - np.asarray(target_stats.vector()))[..., keep]
    return diff.max(axis=-1)


def emulate(
    key: jax.Array,
    flm: jax.Array,
    twin_flm: jax.Array,
    L: int,
    *,
    N: int,
    J_min: int,
    n_samples: int,
    steps: int,
    progress: bool = True,
) -> dict:
    """Synthesise ``n_samples`` fields matching the statistics of the field ``flm``.

    Axisymmetric statistics (N = 1) use physml-s2scat's precomputed per-scale kernels, its
    fastest path; directional ones (N > 1) are computed on the fly.  The statistics returned
    (target, emulated, Gaussian twin) are all normalised by the target's S2 per scale, so that
    the target's S2 is 1 and S1, S3, S4 are dimensionless and directly comparable.
    """
    op = scat.make_scattering(L, N=N, J_min=J_min, method="precompute" if N == 1 else "jax")
    target_map = s2fft.inverse(flm, L, reality=True)
    target = scat.make_target(target_map, op)
    result = scat.synthesise(target, key, op, n_samples=n_samples, steps=steps, progress=progress)
    norm = scat.raw_s2(flm, op)
    target_stats = scat.flm_to_scattering_covariance(flm, op, norm)
    emulated_stats = scat.flm_to_scattering_covariance(result.flm, op, norm)
    twin_stats = scat.flm_to_scattering_covariance(twin_flm, op, norm)
    initial_stats = scat.flm_to_scattering_covariance(result.initial_flm, op, norm)
    cl_target = np.asarray(s2fft.power_spectrum(flm, L))
    cl_emulated = np.asarray(s2fft.power_spectrum(result.flm, L))
    band_error = _band_errors(cl_emulated.mean(0), cl_target, L)
    return {
        "op": op,
        "result": result,
        "maps": np.asarray(result.f),
        "target_map": np.asarray(target_map),
        "twin_map": np.asarray(s2fft.inverse(twin_flm, L, reality=True)),
        "cl_target": cl_target,
        "cl_emulated": cl_emulated,
        "statistics": {
            "target": target_stats,
            "emulated": emulated_stats,
            "Gaussian twin": twin_stats,
        },
        "summary": {
            "n_statistics": int(target_stats.vector().shape[-1]),
            "final_loss": [float(v) for v in np.asarray(result.losses)[:, -1]],
            "statistics_distance": {
                "emulated": _mean_distance(op, emulated_stats, target_stats, n_samples),
                "initial Gaussian": _mean_distance(op, initial_stats, target_stats, n_samples),
                "Gaussian twin": statistics_distance(op, twin_stats, target_stats),
            },
            "max_abs_difference_S1_to_S4": {
                "emulated": max_abs_difference(op, emulated_stats, target_stats).tolist(),
                "Gaussian twin": float(max_abs_difference(op, twin_stats, target_stats)),
            },
            "moments": {
                "target": field.moments(flm, L),
                "emulated": [field.moments(result.flm[i], L) for i in range(n_samples)],
                "Gaussian twin": field.moments(twin_flm, L),
            },
            "max_power_error_per_band": band_error,
        },
    }


def _mean_distance(op, batched_stats, target_stats, n: int) -> float:
    return float(
        np.mean([statistics_distance(op, _index(batched_stats, i), target_stats) for i in range(n)])
    )


def _index(stats, i):
    return jax.tree_util.tree_map(lambda x: x[i], stats)


def _band_errors(cl: np.ndarray, cl_ref: np.ndarray, L: int) -> list[dict]:
    """Relative error of the band power Σ(2ℓ+1)C_ℓ in dyadic ℓ-bands [2^k, 2^(k+1))."""
    ell = np.arange(L)
    rows, lo = [], 2
    while lo < L:
        hi = min(2 * lo, L)
        sel = (ell >= lo) & (ell < hi)
        w = 2 * ell[sel] + 1
        rel = float(np.sum(w * cl[sel]) / np.sum(w * cl_ref[sel]) - 1)
        rows.append({"ell_min": lo, "ell_max": hi - 1, "relative_error": rel})
        lo = hi
    return rows
