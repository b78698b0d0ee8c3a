"""Shared test fields: band-limited Gaussian and lognormal coefficients."""

import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2


def gaussian_flm(key, L, batch=()):
    ell = np.arange(L)
    cl = jnp.asarray(1.0 / (1.0 + ell) ** 1.5)
    return s2.random_flm(key, L, cl, batch=batch)


def lognormal_flm(key, L):
    """Band-limited lognormal field: forward(exp(g) − 1) of a Gaussian g (non-Gaussian)."""
    g = s2.inverse(gaussian_flm(key, L), L, reality=True)
    return s2.forward(jnp.exp(g) - 1.0, L, reality=True)


def family_errors(a, b):
    """‖a − b‖ / ‖a‖ for each family of two Statistics."""
    return {
        name: float(jnp.linalg.norm(jnp.ravel(x - y)) / jnp.linalg.norm(jnp.ravel(x)))
        for name, x, y in zip(a._fields, a, b, strict=True)
        if name in ("s1", "s2", "s3", "s4")
    }
