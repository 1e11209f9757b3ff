"""`$...$` and `$$...$$` in Markdown, rendered to MathML at build time with latex2mathml.

When is a `$` math? The rule follows Pandoc's `tex_math_dollars` (which arithmatex's
`smart_dollar` also follows), so that prices and shell variables in prose stay text:

- an opening `$` has a non-space right after it and is not a price: `$5`, `$5.99`, `$1,000`
  (digits, then a space, punctuation or the end) open nothing;
- a closing `$` has a non-space right before it and no digit right after it;
- `\\$` is a literal dollar sign, and nothing inside code is math;
- `$$...$$` is display math, inside a paragraph or as a block of its own (which may hold
  blank lines).

LaTeX that latex2mathml cannot convert, or with unbalanced braces or unknown commands, is
shown as code and reported as a warning with the file and line.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

_DISPLAY_INLINE = r"(?<![\\$])\$\$(?P<display>[^$]+?)(?<!\\)\$\$"
_INLINE = (r"(?<![\\$\w])\$(?![\s$])(?!\d+(?:[.,]\d+)*(?:[\s.,;:!?)\]-]|$))"
           r"(?P<inline>(?:\\\$|[^$\n])+?)(?<![\s\\])\$(?![\d$])")
_MATH = _DISPLAY_INLINE + "|" + _INLINE
#: An unknown command, which latex2mathml passes through as a name (`<mi>\foo</mi>`).
_UNKNOWN = re.compile(r">(\\[A-Za-z]+)<")


class MathProblem(ValueError):
    """LaTeX that cannot be shown as MathML."""


def to_mathml(latex: str, *, display: bool) -> str:
    """MathML for a LaTeX formula; MathProblem when it cannot be converted faithfully."""
    from latex2mathml.converter import convert

    depth = 0
    for match in re.finditer(r"\\.|[{}]", latex):
        token = match.group(0)
        depth += 1 if token == "{" else -1 if token == "}" else 0
        if depth < 0:
            raise MathProblem("a '}' closes no '{'")
    if depth:
        raise MathProblem(f"{depth} '{{' not closed")
    try:
        mathml = convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own errors and plain ones alike
        reason = str(exc) or type(exc).__name__
        raise MathProblem(f"cannot convert: {reason}") from None
    unknown = _UNKNOWN.search(mathml)
    if unknown:
        raise MathProblem(f"unknown command {unknown.group(1)}")
    return str(mathml)


class _Math:
    """Converts formulas for one page, remembering those that failed."""

    def __init__(self, md: markdown.Markdown):
        self.md = md
        #: (LaTeX as written, problem) of each formula that could not be converted.
        self.problems: list[tuple[str, str]] = []

    def html(self, latex: str, written: str, *, display: bool) -> str:
        try:
            mathml = to_mathml(latex.strip(), display=display)
        except MathProblem as exc:
            self.problems.append((written, f"bad LaTeX ({exc}): {written.strip()}"))
            source = html.escape(written.strip(), quote=False)
            if display:
                return f'<pre class="math-error"><code>{source}</code></pre>'
            return f'<code class="math-error">{source}</code>'
        return f'<div class="math-display">{mathml}</div>' if display else mathml


class _InlineMath(InlineProcessor):
    def __init__(self, math: _Math):
        super().__init__(_MATH, math.md)
        self.math = math

    def handleMatch(self, m: re.Match[str], data: str  # type: ignore[override]  # noqa: N802
                    ) -> tuple[str, int, int]:
        display = m.group("display") is not None
        latex = m.group("display") if display else m.group("inline").replace("\\$", "$")
        out = self.math.html(latex, m.group(0), display=display)
        if display and out.startswith("<div"):
            out = out.replace('<div class="math-display">', "", 1)[: -len("</div>")]
        return self.md.htmlStash.store(out), m.start(0), m.end(0)


class _BlockMath(BlockProcessor):
    """A paragraph that starts with `$$` and ends, maybe some blocks later, with `$$`."""

    def __init__(self, math: _Math, md: markdown.Markdown):
        super().__init__(md.parser)
        self.math = math

    def test(self, parent: etree.Element, block: str) -> bool:
        return block.lstrip().startswith("$$")

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        first = blocks[0].lstrip()
        for count in range(len(blocks)):
            text = "\n\n".join([first, *blocks[1:count + 1]]).rstrip()
            if len(text) > 4 and text.endswith("$$") and not text.endswith("\\$$"):
                break
        else:
            return False
        if "$$" in text[2:-2]:
            return False  # `$$a$$ and $$b$$`: inline display math in a paragraph
        del blocks[: count + 1]
        out = self.math.html(text[2:-2], text, display=True)
        paragraph = etree.SubElement(parent, "p")
        paragraph.text = self.parser.md.htmlStash.store(out)
        return True


class MathExtension(Extension):
    """`$...$` and `$$...$$` as MathML (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.math: _Math | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - library API
        self.math = _Math(md)
        if "$" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "$"]
        # Above escapes (180), so `\{` stays LaTeX; below code spans (190), so code is code.
        md.inlinePatterns.register(_InlineMath(self.math), "ssg_math", 185)
        # After indented code (80), before headings (70).
        md.parser.blockprocessors.register(_BlockMath(self.math, md), "ssg_math_block", 75)
