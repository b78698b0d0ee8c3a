"""Throughput of a Legendre-recursion-shaped ``lax.fori_loop`` under XLA:CPU.

    python benchmarks/s2fft/micro/loop_throughput.py

8192 steps (the number at L = 512) on a (1, 2, 16, 257) block (orders ± × 16 columns ×
northern rings): the bare recursion, plus the analysis accumulation (a reduction over rings
per step) and the synthesis accumulation (a multiply-add into the ring profiles), with the
rings axis minor (as physml's kernel) and major.
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from run import best_time

U, B, H, STEPS, ROWS = 257, 16, 2, 8192, 600
rng = np.random.default_rng(0)
h = jnp.asarray(rng.random(U))


def step(curr, aux, hh):
    aux = (0.5 - 0.1 * hh) * curr + 0.3 * aux
    return curr + aux, aux


def recursion(_):
    z = jnp.full((1, H, B, U), 1e-3)
    return lax.fori_loop(0, STEPS, lambda i, c: step(*c, h), (z, z))[0]


def analysis(g, major):
    hh = h[:, None, None, None] if major else h

    def body(i, c):
        curr, aux, acc = c
        curr, aux = step(curr, aux, hh)
        r = jnp.sum(curr[:, None, None] * g, axis=0) if major else jnp.sum(curr * g, axis=-1)
        return curr, aux, lax.dynamic_update_index_in_dim(acc, r, i % ROWS, 0)

    z = jnp.full((U, 1, H, B) if major else (1, H, B, U), 1e-3)
    return lax.fori_loop(0, STEPS, body, (z, z, jnp.zeros((ROWS, 4, 1, 1, H, B))))[2]


def synthesis(x, major):
    hh = h[:, None, None, None] if major else h

    def body(i, c):
        curr, aux, acc = c
        curr, aux = step(curr, aux, hh)
        a = x[i % ROWS]
        if major:
            return curr, aux, acc + curr[:, None, None, None] * jnp.stack([a, -a[..., ::-1, :]])
        a = a[..., None]
        return curr, aux, acc + curr * jnp.stack([a, -a[..., ::-1, :, :]])

    z = jnp.full((U, 1, H, B) if major else (1, H, B, U), 1e-3)
    shape = (U, 2, 2, 1, 1, H, B) if major else (2, 2, 1, 1, H, B, U)
    return lax.fori_loop(0, STEPS, body, (z, z, jnp.zeros(shape)))[2]


g_minor = jnp.asarray(rng.normal(size=(4, 1, 1, H, B, U)))
g_major = jnp.asarray(rng.normal(size=(U, 4, 1, 1, H, B)))
x = jnp.asarray(rng.normal(size=(ROWS, 2, 1, 1, H, B)))
cases = {
    "recursion only": (recursion, None),
    "analysis, rings minor": (lambda g: analysis(g, False), g_minor),
    "analysis, rings major": (lambda g: analysis(g, True), g_major),
    "synthesis, rings minor": (lambda a: synthesis(a, False), x),
    "synthesis, rings major": (lambda a: synthesis(a, True), x),
}
for name, (fn, arg) in cases.items():
    jitted = jax.jit(fn)
    jitted(arg)
    seconds = best_time(lambda jitted=jitted, arg=arg: jitted(arg), 3)
    print(f"{name}: {seconds:.4f} s ({1e6 * seconds / STEPS:.1f} µs per step)")
