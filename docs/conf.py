"""Sphinx configuration for the one physml documentation site."""

import re
import shutil
from pathlib import Path

project = "physml"
author = "physml developers"
copyright = "2026, physml developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",  # the quickstarts run at build time
    "myst_parser",  # the benchmark tables live in benchmarks/*/README.md (Markdown)
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3
suppress_warnings = [
    "myst.header",  # included READMEs start at their own heading level
    # Shape descriptions in docstring types ("(..., L, 2L−1) complex") are linked word by
    # word, and names such as ``L`` or ``shape`` are attributes of many classes; with
    # nitpicky off such a link is a convenience, its ambiguity no error.
    "ref.python",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates"]

# API reference: one page per public module (docs/_templates/autosummary/module.rst).  A
# package's page documents every name of its ``__all__`` in full, re-exports from private
# modules included (physml.s2fft.forward lives in physml.s2fft._transforms).
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = True
# "Attributes" sections as :ivar: fields: as ``.. attribute::`` entries they would describe
# the dataclass and NamedTuple fields a second time (autodoc lists the fields themselves).
napoleon_use_ivar = True

# Quickstart figures: the code of every ``.. plot::`` runs when the site is built; an
# exception is reported as a warning, which fails the -W build.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_pre_code = ""  # every example is self-contained: it imports what it uses
plot_rcparams = {"figure.dpi": 110, "savefig.bbox": "tight"}

nitpicky = False
html_theme = "furo"
html_title = "physml"
html_static_path = ["_static"]


def _run_every_example(app):
    """Forget the figures of earlier builds, so that every example is executed again.

    The plot directive reuses an image that is newer than its .rst file: an example broken by
    a change in a package would otherwise keep passing on a machine with an old build.
    """
    shutil.rmtree(Path(app.doctreedir).parent / "plot_directive", ignore_errors=True)


# Docstrings are written to be read as plain text too: |x| is an absolute value, *f_shape(...)
# an unpacked shape, h_+ a subscript.  reStructuredText would read these as substitutions,
# emphasis and hyperlink references, so outside literals, roles and directive blocks they are
# escaped before the docstring is parsed.  Paired *emphasis* and **strong** are kept.
_PROTECTED = re.compile(r"``.+?``|:[\w:.-]+:`[^`]+`|`[^`]+`_{0,2}", re.DOTALL)
_EMPHASIS = re.compile(r"(?<![\w*\\])(\*\*?)(?=\S)(?:(?!\1).)+?(?<=[^\s\\])\1(?![\w*])")
_LONE_STAR = re.compile(r"(?<!\\)\*(?=\S)")  # "* " (a bullet, a product) is no markup
_LINK_UNDERSCORE = re.compile(r"(?<=\w)_(?![\w`])")
_SECTION_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_FIELD = re.compile(r"^:[^:`\s][^:`]*:(\s|$)")  # ":param x: ...", not a role ":math:`...`"
_PROSE_AS_ATTRIBUTE = re.compile(r"^:ivar (?!\w+(?:, \w+)*:)(\S+ .*\S):\s*$")  # not "a, b"


def _escape_plain(text):
    out = []
    for piece, emphasis in _split(text, _EMPHASIS):
        if emphasis:
            out.append(piece)
            continue
        piece = piece.replace("|", "\\|")
        piece = _LONE_STAR.sub(r"\\*", piece)
        out.append(_LINK_UNDERSCORE.sub(r"\\_", piece))
    return "".join(out)


def _split(text, pattern):
    """(piece, matched) pairs covering ``text``, alternating unmatched and matched pieces."""
    pos = 0
    for match in pattern.finditer(text):
        yield text[pos : match.start()], False
        yield match.group(0), True
        pos = match.end()
    yield text[pos:], False


def _indent(line):
    return len(line) - len(line.lstrip())


def _escape_segment(lines):
    text = "\n".join(lines)
    out = [
        piece if protected else _escape_plain(piece)
        for piece, protected in _split(text, _PROTECTED)
    ]
    return "".join(out).split("\n")


def _plain_text_docstring(app, what, name, obj, options, lines):
    """Escape plain-text maths in a docstring, keep literal blocks and directives as they are."""
    out, segment = [], []
    block_indent = None  # indentation of the line that opened a literal or directive block
    for line in lines:
        if block_indent is not None:
            if not line.strip() or _indent(line) > block_indent:
                out.append(line)
                continue
            block_indent = None
        stripped = line.strip()
        if stripped.startswith((".. ", ">>>")):
            out += _escape_segment(segment)
            segment = []
            out.append(line)
            if stripped.startswith(".. "):
                block_indent = _indent(line)
        elif stripped.endswith("::"):
            out += _escape_segment([*segment, line])
            segment = []
            block_indent = _indent(line)
        else:
            segment.append(line)
    out += _escape_segment(segment)
    lines[:] = _readable_layout(out, what)


def _readable_layout(lines, what):
    """Two plain-text layouts that reStructuredText rejects, made valid.

    A paragraph right after a field list (napoleon ends ``Attributes`` without a blank line)
    gets its blank line, and a module's "Public ..." section (an aligned plain-text table)
    becomes a literal block.
    """
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if (
            what == "module"
            and line.strip().startswith("Public")
            and i + 1 < len(lines)
            and _SECTION_UNDERLINE.match(lines[i + 1])
            and not any(l.strip() == "::" for l in lines[i + 2 : i + 4])
        ):
            out += [line, lines[i + 1], "", "::", ""]
            i += 2
            while i < len(lines) and not lines[i].strip():
                i += 1
            while i < len(lines) and lines[i].strip():
                out.append("    " + lines[i].replace("\\", ""))
                i += 1
            continue
        prose = _PROSE_AS_ATTRIBUTE.match(line)
        if prose:  # napoleon reads a paragraph after "Attributes" as one more attribute
            out += ["", prose.group(1)]
            i += 1
            continue
        previous = out[-1] if out else ""
        if (
            line.strip()
            and not line.startswith(" ")
            and not _FIELD.match(line)
            and (_FIELD.match(previous) or (previous.startswith(" ") and _in_field_list(out)))
        ):
            out.append("")
        out.append(line)
        i += 1
    return out


def _in_field_list(lines):
    """Whether the last non-indented line of ``lines`` is a field (``:name: ...``)."""
    for line in reversed(lines):
        if line.strip() and not line.startswith(" "):
            return bool(_FIELD.match(line))
    return False


def setup(app):
    app.connect("builder-inited", _run_every_example)
    app.connect("autodoc-process-docstring", _plain_text_docstring)
