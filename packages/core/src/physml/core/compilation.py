"""``jax.jit`` with XLA:CPU options that compile physml's programs faster.

XLA:CPU spends much of a cold start of physml's large programs (a synthesis loop through
the scattering gradient, a flow's training loop, a nested-sampling chunk) in code
generation.  For these programs, built from many small fusions, XLA's classic elemental
emitters (instead of its MLIR fusion emitters) without LLVM's most expensive passes make the
first call 1.2–1.5× faster and the later calls as fast or faster (twice as fast for the
nested sampler); ``benchmarks/compile/README.md`` has the measurements.  The options are
passed per program (``compiler_options`` of ``jax.jit``), never through global
configuration, and only to CPU compilations: on a GPU or TPU the program is compiled with
XLA's defaults.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

__all__ = ["CPU_COMPILER_OPTIONS", "jit"]

#: XLA ``DebugOptions`` given to every CPU compilation of a :func:`jit` function.
CPU_COMPILER_OPTIONS: dict[str, Any] = {
    "xla_cpu_use_fusion_emitters": False,
    "xla_llvm_disable_expensive_passes": True,
}


class _BackendJit:
    """A jitted function whose compiler options depend on the default backend."""

    def __init__(
        self, fun: Callable, options: dict[str, Any] | None, extra: dict[str, Any], kwargs: dict
    ) -> None:
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._options = options  # None: CPU_COMPILER_OPTIONS as they are when compiling
        self._extra = extra
        self._kwargs = kwargs
        self._jitted: dict[str, Any] = {}

    def _for_backend(self, traced: bool = False):
        # compiler options are only allowed on an outermost jit: a call inside another
        # transformation (jit, grad, vmap) uses the plain jax.jit, inlined into the caller
        backend = "traced" if traced else jax.default_backend()
        jitted = self._jitted.get(backend)
        if jitted is None:
            options = None
            if backend == "cpu":
                base = CPU_COMPILER_OPTIONS if self._options is None else self._options
                options = {**base, **self._extra}
            jitted = jax.jit(self._fun, compiler_options=options, **self._kwargs)
            self._jitted[backend] = jitted
        return jitted

    def __call__(self, *args, **kwargs):
        traced = any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves((args, kwargs)))
        return self._for_backend(traced)(*args, **kwargs)

    def __getattr__(self, name: str):  # lower, trace, eval_shape, _cache_size, ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._for_backend(), name)

    def __get__(self, instance, owner=None):  # behave like a function as a class attribute
        return self if instance is None else functools.partial(self, instance)


def jit(
    fun: Callable | None = None,
    *,
    compiler_options: dict[str, Any] | None = None,
    extra_compiler_options: dict[str, Any] | None = None,
    **jit_kwargs,
):
    """``jax.jit`` that compiles with :data:`CPU_COMPILER_OPTIONS` on the CPU backend.

    Parameters
    ----------
    fun : the function (or ``None``, to use ``jit(static_argnames=...)`` as a decorator).
    compiler_options : CPU options to use instead of :data:`CPU_COMPILER_OPTIONS`.
    extra_compiler_options : CPU options added to them for this program (a package's own
        choices on top of physml's shared ones).
    **jit_kwargs : passed to ``jax.jit`` (``static_argnames``, ``donate_argnums``, ...).

    Returns
    -------
    A callable with ``jax.jit``'s interface (``lower``, ``trace``, ...), compiled once per
    backend and argument signature.

    Examples
    --------
    >>> @jit(static_argnames="n")
    ... def power(x, n):
    ...     return x**n
    """
    if fun is None:
        return functools.partial(
            jit,
            compiler_options=compiler_options,
            extra_compiler_options=extra_compiler_options,
            **jit_kwargs,
        )
    return _BackendJit(fun, compiler_options, dict(extra_compiler_options or {}), jit_kwargs)
