"""Integration tests run against the installed packages, in float64."""

import jax

jax.config.update("jax_enable_x64", True)
