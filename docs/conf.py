"""Sphinx configuration for the one physml documentation site."""

project = "physml"
author = "physml developers"
copyright = "2026, physml developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",  # the benchmark tables live in benchmarks/*/README.md (Markdown)
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # included READMEs start at their own heading level
autosummary_generate = True
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = True
nitpicky = False
html_theme = "furo"
html_title = "physml"
html_static_path = ["_static"]
exclude_patterns = ["_build"]
