"""Test configuration: float64 everywhere (as `nox -s tests` also sets JAX_ENABLE_X64=1)."""

import jax

jax.config.update("jax_enable_x64", True)
