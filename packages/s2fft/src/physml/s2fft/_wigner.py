"""The streamed Wigner-d recursion of physml.core, imported in one place."""

from physml.core.wigner import recursion_init, recursion_step, wigner_d_rows

__all__ = ["recursion_init", "recursion_step", "wigner_d_rows"]
