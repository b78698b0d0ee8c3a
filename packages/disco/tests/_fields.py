"""Analytic test signals on the sphere that can be rotated exactly."""

import numpy as np
from scipy.spatial.transform import Rotation

from physml.disco import reference


def unit_vectors(theta, phi):
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), st * np.sin(phi), np.cos(theta)], axis=-1)


def angles(v):
    return np.arctan2(np.hypot(v[..., 0], v[..., 1]), v[..., 2]), np.arctan2(v[..., 1], v[..., 0])


class GaussianMixture:
    """f(n) = Σ_i a_i exp(κ_i (n·μ_i − 1)): smooth, not band-limited, exactly rotatable."""

    def __init__(self, seed, n=4):
        rng = np.random.default_rng(seed)
        mu = rng.standard_normal((n, 3))
        self.mu = mu / np.linalg.norm(mu, axis=1, keepdims=True)
        self.amp = rng.standard_normal(n)
        self.kappa = rng.uniform(2.0, 6.0, n)

    def __call__(self, v, rotation=None):
        """f(R⁻¹ n) for unit vectors n (``(..., 3)``), R a 3×3 matrix (default identity)."""
        if rotation is not None:
            v = v @ rotation  # rows: R^T n = R^{-1} n
        return (self.amp * np.exp(self.kappa * (v @ self.mu.T - 1.0))).sum(-1)


def random_rotation(seed):
    return Rotation.random(random_state=seed).as_matrix()


def on_grid(fn, L, sampling, nside=None, rotation=None):
    theta, phi, _ = reference.pixel_positions(L, sampling, nside)
    return fn(unit_vectors(theta, phi), rotation)
