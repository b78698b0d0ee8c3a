"""Rotation equivariance of DISCO layers and networks versus resolution (float64).

Input: an analytic field f(n) = Σ_i a_i exp(κ_i (n·μ_i − 1)) rotated *exactly*,
(R f)(n) = f(R⁻¹ n), for random R ∈ SO(3) (scipy).  At fixed physical cutoff 0.4 rad:

- one layer: max |conv(R f)(x) − conv(f)(R⁻¹ x)| / max |conv(f)| over on-grid x, with
  conv(f)(R⁻¹ x) evaluated at the off-grid points by the same quadrature (dense reference),
  never interpolated;
- directional with orientations carried (``--so3``): the SO(3)-valued output of
  ``conv_so3`` with N = 4 orientations at grid points Q = (φ, θ, γ_n), against the quadrature
  at the off-grid rotations R⁻¹ Q (frames built from rotation matrices);
- three layers: isotropic DiscoConv 1→8→8→8 with GELU, then the quadrature mean over the
  sphere gives 8 rotation-invariant features; the error is
  max |features(R f) − features(f)| / max |features(f)|.

Usage::

    python benchmarks/disco/equivariance.py --L 8 16 32 64 128 --out equivariance.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from scipy.spatial.transform import Rotation

import physml.disco as pd
from physml.disco import reference

CUTOFF = 0.4
SAMPLING = "mwss"
SO3_CASES = (
    ("piecewise_linear(3,4)", pd.FilterBasis("piecewise_linear", (3, 4))),
    ("zernike(3,2)", pd.FilterBasis("zernike", (3, 2))),
)


def field(v: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal((4, 3))
    mu /= np.linalg.norm(mu, axis=1, keepdims=True)
    amp, kappa = rng.standard_normal(4), rng.uniform(2.0, 6.0, 4)
    return (amp * np.exp(kappa * (v @ mu.T - 1.0))).sum(-1)


def _vectors(theta, phi):
    return np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], -1)


def layer_error(L: int, basis: pd.FilterBasis, normalization: str, rotation: np.ndarray) -> float:
    op = pd.build(L, SAMPLING, basis=basis, theta_cutoff=CUTOFF, normalization=normalization)
    theta, phi, _ = reference.pixel_positions(L, SAMPLING)
    v = _vectors(theta, phi)
    weight = np.eye(basis.size)[:, None, :]
    out = np.asarray(pd.conv(op, field(v @ rotation).reshape(1, L + 1, 2 * L), weight))
    out = out.reshape(basis.size, -1)
    idx = np.random.default_rng(L).choice(theta.size, min(400, theta.size), replace=False)
    back = v[idx] @ rotation
    t_back = np.arctan2(np.hypot(back[:, 0], back[:, 1]), back[:, 2])
    p_back = np.arctan2(back[:, 1], back[:, 0])
    A = reference.quadrature_matrix(t_back, p_back, L, SAMPLING, basis=basis,
                                    theta_cutoff=CUTOFF, normalization=normalization)  # fmt: skip
    ref = np.einsum("kij,j->ki", A, field(v))
    return float(np.max(np.abs(out[:, idx] - ref)) / np.max(np.abs(ref)))


def _zyz(phi, theta, gamma):
    return Rotation.from_euler("ZYZ", np.stack([phi, theta, gamma], -1)).as_matrix()


def so3_layer_error(L: int, base: pd.FilterBasis, rotation: np.ndarray, n_orient=4) -> float:
    oriented = pd.OrientedBasis(base.kind, base.kernel_shape, n_orient)
    op = pd.build(L, SAMPLING, basis=oriented, theta_cutoff=CUTOFF, normalization="none")
    theta, phi, w = reference.pixel_positions(L, SAMPLING)
    v = _vectors(theta, phi)
    weight = np.eye(base.size)[:, None, :]
    out = np.asarray(pd.conv_so3(op, field(v @ rotation).reshape(1, L + 1, 2 * L), weight))
    out = out.reshape(base.size, n_orient, -1)
    rng = np.random.default_rng(L)
    idx, orient = rng.integers(0, theta.size, 400), rng.integers(0, n_orient, 400)
    frames = rotation.T @ _zyz(phi[idx], theta[idx], 2 * np.pi * orient / n_orient)
    f = field(v) * w
    ref = []
    for q in frames:
        u = v @ q  # rows Q'⁻¹ y
        r = np.arctan2(np.hypot(u[:, 0], u[:, 1]), u[:, 2])
        ref.append(base(r / CUTOFF, np.arctan2(u[:, 1], u[:, 0])) @ f)
    ref = np.stack(ref, -1)
    return float(np.max(np.abs(out[:, orient, idx] - ref)) / np.max(np.abs(ref)))


class ThreeLayers(nnx.Module):
    def __init__(self, L: int, basis: pd.FilterBasis, rngs: nnx.Rngs) -> None:
        opts = {"L_in": L, "sampling_in": SAMPLING, "basis": basis, "theta_cutoff": CUTOFF,
                "dtype": jnp.float64, "rngs": rngs}  # fmt: skip
        self.layers = nnx.List([pd.DiscoConv(1, 8, **opts), pd.DiscoConv(8, 8, **opts),
                                pd.DiscoConv(8, 8, **opts)])  # fmt: skip
        self.pool = pd.SphericalMeanPool(L, SAMPLING)

    def __call__(self, x):
        for layer in self.layers:
            x = jax.nn.gelu(layer(x))
        return self.pool(x)


def network_error(L: int, basis: pd.FilterBasis, rotations: np.ndarray) -> float:
    net = ThreeLayers(L, basis, nnx.Rngs(0))
    theta, phi, _ = reference.pixel_positions(L, SAMPLING)
    v = _vectors(theta, phi)
    signals = np.stack([field(v)] + [field(v @ r) for r in rotations]).reshape(-1, 1, L + 1, 2 * L)
    features = np.asarray(nnx.jit(lambda m, x: m(x))(net, signals))
    return float(np.max(np.abs(features[1:] - features[0])) / np.max(np.abs(features[0])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--so3", action="store_true", help="only the SO(3)-valued directional layer"
    )
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)
    rotations = Rotation.random(3, random_state=7).as_matrix()
    if args.so3:
        rows = []
        for L in args.L:
            for name, base in SO3_CASES:
                errs = [so3_layer_error(L, base, r) for r in rotations]
                rows.append({"L": L, "nlat": L + 1, "basis": name, "error": max(errs)})
                print(json.dumps(rows[-1]), flush=True)
        out = args.out or Path(__file__).with_name("equivariance_so3.json")
        out.write_text(json.dumps({"cutoff": CUTOFF, "n_orientations": 4, "rows": rows}, indent=2))
        return
    cases = [
        ("piecewise_linear(3,)", pd.FilterBasis("piecewise_linear", (3,)), "none"),
        ("piecewise_linear(3,)", pd.FilterBasis("piecewise_linear", (3,)), "mean"),
        ("zernike(3,)", pd.FilterBasis("zernike", (3,)), "none"),
        ("piecewise_linear(3,4) directional", pd.FilterBasis("piecewise_linear", (3, 4)), "none"),
    ]
    rows = []
    for L in args.L:
        row = {"L": L, "nlat": L + 1}
        for name, basis, norm in cases:
            errs = [layer_error(L, basis, norm, r) for r in rotations]
            row[f"layer {name} {norm}"] = max(errs)
        for name, basis, _ in cases[::2]:
            row[f"3-layer {name}"] = network_error(L, basis, rotations)
        rows.append(row)
        print(json.dumps(row), flush=True)
    (args.out or Path(__file__).with_name("equivariance.json")).write_text(
        json.dumps({"cutoff": CUTOFF, "sampling": SAMPLING, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
