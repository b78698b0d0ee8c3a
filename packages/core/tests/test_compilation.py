"""physml.core.compilation.jit: jax.jit semantics, CPU options applied, nesting allowed."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physml.core import compilation
from physml.core.compilation import jit


def _poly(x, n):
    return jnp.sin(x) ** n + x


def test_values_and_static_arguments_match_jax_jit():
    x = jnp.linspace(-1.0, 1.0, 7)
    fast = jit(_poly, static_argnames="n")
    plain = jax.jit(_poly, static_argnames="n")
    for n in (1, 3):
        np.testing.assert_array_equal(fast(x, n=n), plain(x, n=n))
    assert fast._cache_size() == 2  # one compilation per static value, forwarded attribute
    assert fast.__name__ == "_poly"


def test_decorator_form_and_lowering():
    @jit(static_argnames="n")
    def power(x, n):
        return x**n

    x = jnp.arange(4.0)
    np.testing.assert_array_equal(power(x, n=3), x**3)
    assert "stablehlo" in power.lower(x, n=2).as_text()


def test_options_reach_the_cpu_compiler():
    if jax.default_backend() != "cpu":
        pytest.skip("the options are given to CPU compilations only")
    bad = jit(jnp.sin, compiler_options={"xla_no_such_option": True})
    with pytest.raises(Exception, match="xla_no_such_option"):
        bad(jnp.ones(3))
    assert compilation.CPU_COMPILER_OPTIONS  # the shipped set is not empty


def test_extra_options_are_added_to_the_shared_ones_at_compile_time(monkeypatch):
    if jax.default_backend() != "cpu":
        pytest.skip("the options are given to CPU compilations only")
    bad = jit(jnp.cos, extra_compiler_options={"xla_no_such_extra_option": True})
    with pytest.raises(Exception, match="xla_no_such_extra_option"):
        bad(jnp.ones(3))
    # the shared options are read when the program compiles, not when it is defined
    late = jit(jnp.tan, extra_compiler_options={"xla_cpu_experimental_ynn_fusion_type": ""})
    monkeypatch.setitem(compilation.CPU_COMPILER_OPTIONS, "xla_no_such_shared_option", True)
    with pytest.raises(Exception, match="xla_no_such_shared_option"):
        late(jnp.ones(3))


def test_shipped_options_compile_and_agree_with_defaults():
    x = jnp.linspace(0.0, 3.0, 1001)
    f = lambda x: jnp.cumsum(jnp.exp(-x) * jnp.cos(5 * x))  # noqa: E731
    np.testing.assert_allclose(jit(f)(x), jax.jit(f)(x), rtol=1e-13, atol=1e-15)


def test_calls_inside_other_transformations():
    # compiler options are only allowed on an outermost jit: traced calls must not pass them
    inner = jit(_poly, static_argnames="n")
    x = jnp.linspace(0.1, 1.0, 5)
    outer = jax.jit(lambda x: inner(x, n=2).sum())
    np.testing.assert_allclose(outer(x), _poly(x, 2).sum(), rtol=1e-14)
    grad = jax.grad(lambda x: inner(x, n=2).sum())(x)
    np.testing.assert_allclose(grad, 2 * jnp.sin(x) * jnp.cos(x) + 1, rtol=1e-13)
    batched = jax.vmap(lambda x: inner(x, n=2))(x[:, None])
    np.testing.assert_allclose(batched[:, 0], _poly(x, 2), rtol=1e-14)
