"""Batched kernel products of the ``"precompute"`` method under XLA:CPU: layouts and widths.

    python benchmarks/s2fft/micro/kernel_products.py

A (M, L, T) = (512, 512, 257) float64 kernel (L = 512, real, northern MWSS rings) times Q
right-hand sides per order, in the layouts the method uses and in the layouts it avoids.
The forward contracts T with the kernel stored (M, L, T); the inverse contracts L with the
kernel stored (M, T, L) (``precompute_kernels(forward=False)``), so both products contract
the kernel's middle axis.
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from run import best_time

M, L, T = 512, 512, 257
rng = np.random.default_rng(0)
K = jnp.asarray(rng.normal(size=(M, L, T)))
for Q in (1, 2, 4, 8):
    h = jnp.asarray(rng.normal(size=(M, T, Q)))
    y = jnp.asarray(rng.normal(size=(M, Q, L)))
    analysis = jax.jit(lambda K, h: jnp.einsum("clt,ctq->clq", K, h))
    synthesis = jax.jit(lambda K, y: jnp.einsum("clt,cql->cqt", K, y))
    analysis(K, h), synthesis(K, y)
    t_analysis = best_time(lambda a=analysis, h=h: a(K, h), 5)
    t_synthesis = best_time(lambda s=synthesis, y=y: s(K, y), 5)
    print(
        f"Q={Q}: analysis (M,L,T)x(M,T,Q) {t_analysis:.4f} s,"
        f" synthesis (M,L,T)x(M,Q,L) {t_synthesis:.4f} s"
    )
K_inverse = jnp.asarray(np.ascontiguousarray(np.swapaxes(np.asarray(K), 1, 2)))  # (M, T, L)
y_clq = jnp.asarray(rng.normal(size=(M, L, 4)))
inverse_layout = jax.jit(lambda K, y: jnp.einsum("ctl,clq->ctq", K, y))
inverse_layout(K_inverse, y_clq)
t_inverse = best_time(lambda K=K_inverse: inverse_layout(K, y_clq), 5)
print(f"synthesis with the inverse layout (M,T,L)x(M,L,Q), Q=4: {t_inverse:.4f} s")
del K_inverse
h_tcq = jnp.asarray(rng.normal(size=(T, M, 4)))
y_lcq = jnp.asarray(rng.normal(size=(L, M, 4)))
avoided = {
    "analysis (T,M,Q) right-hand sides": (lambda K, x: jnp.einsum("clt,tcq->lcq", K, x), h_tcq),
    "synthesis (L,M,Q) right-hand sides": (lambda K, x: jnp.einsum("clt,lcq->tcq", K, x), y_lcq),
    "synthesis (M,L,Q) right-hand sides": (lambda K, x: jnp.einsum("clt,clq->ctq", K, x), y_clq),
}
for name, (fn, x) in avoided.items():
    jitted = jax.jit(fn)
    jitted(K, x)
    print(f"{name}: {best_time(lambda jitted=jitted, x=x: jitted(K, x), 5):.4f} s")
