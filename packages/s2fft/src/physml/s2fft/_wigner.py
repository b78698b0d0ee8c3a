"""The streamed Wigner-d recursion of physml.core, imported in one place."""

try:
    from physml.core.wigner import recursion_init, recursion_step, wigner_d_rows
except ImportError:  # physml.core.wigner not yet released: its recursion module
    from physml.core._wigner_recursion import recursion_init, recursion_step, wigner_d_rows

__all__ = ["recursion_init", "recursion_step", "wigner_d_rows"]
