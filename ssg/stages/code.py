"""Code blocks and diagrams: pymdown's fence options for fenced_code, Mermaid sources, the
language on each highlighted block."""

from __future__ import annotations

import html
import re

import markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from ssg.highlight import language_name

_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})[ ]*(?P<info>[^`\n]*?)[ ]*$")
_LANG_AND_ATTRS = re.compile(r"^\.?(?P<lang>[\w#.+-]*)[ ]+(?P<attrs>\w+=.*)$")
_ATTR = re.compile(r"""(?P<key>[\w-]+)=(?P<value>"[^"]*"|'[^']*'|[^\s"'}]+)""")
#: The class attribute of a highlighted block made by pymdownx.highlight.
_LANG_DIV = re.compile(r'<div class="language-(?P<lang>[\w#+.-]+) (?P<rest>[^"]*)"(?! data-lang)')
#: The `<pre>` of a highlighted block (after its file name, if any) and pymdown's line-number
#: table: the boxes that scroll sideways.
_SCROLLER = re.compile(r'(<div class="(?:[^"]*\s)?highlight"[^>]*>(?:<span class="filename">'
                       r'[^<]*</span>)?)<pre>|<table class="highlighttable">')
#: An element holding a diagram's source, whoever made it (ssg, superfences' custom fences).
DIAGRAM = re.compile(r'<(?:pre|div)\b[^>]*\bclass="(?:[^"]*\s)?mermaid[\s"]')


def has_diagram(html_text: str) -> bool:
    """True when a page's HTML holds a Mermaid diagram for the theme to draw."""
    return DIAGRAM.search(html_text) is not None


def _fence_attrs(attrs: str) -> str | None:
    """pymdown's fence options (`linenums="3" hl_lines="2" title="a.py"`) as fenced_code's
    attributes, or None when the text holds anything else."""
    found = list(_ATTR.finditer(attrs))
    if not found or _ATTR.sub("", attrs).strip():
        return None
    out = []
    for match in found:
        key, value = match["key"], match["value"].strip("\"'")
        if key == "linenums":
            start = value.split()[0] if value.split() else "1"
            if start.isdigit():
                out.append('linenums="true"')
                out.append(f'linenostart="{start}"')
                continue
        if key == "title":
            key = "filename"
        out.append(f'{key}="{value}"')
    return " ".join(out)


class _FencePreprocessor(Preprocessor):
    """Before fenced_code: rewrites pymdown-style fence lines (```` ```py linenums="1" ````)
    into fenced_code's `{ .py ... }` form, and takes out ```` ```mermaid ```` blocks as
    diagram sources. Fences inside other fences are left alone."""

    def __init__(self, md: markdown.Markdown, *, diagrams: bool):
        super().__init__(md)
        self.diagrams = diagrams

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        index = 0
        while index < len(lines):
            line = lines[index]
            match = _OPEN.match(line)
            if match is None:
                out.append(line)
                index += 1
                continue
            fence, info = match["fence"], match["info"]
            end = next((i for i in range(index + 1, len(lines))
                        if lines[i].rstrip(" ") == fence), None)
            if end is None:
                out.append(line)
                index += 1
                continue
            if self.diagrams and info.lstrip(".").strip("{} .") == "mermaid":
                source = "\n".join(lines[index + 1:end])
                block = f'<pre class="mermaid">{html.escape(source, quote=False)}</pre>'
                out += ["", self.md.htmlStash.store(block), ""]
            else:
                out.append(self._opening(fence, info))
                out += lines[index + 1:end + 1]
            index = end + 1
        return out

    def _opening(self, fence: str, info: str) -> str:
        if info.startswith("{") and info.endswith("}"):
            inner = info[1:-1].strip()
            words = inner.split(None, 1)
            if len(words) == 2 and words[0].startswith("."):
                attrs = _fence_attrs(words[1])
                if attrs is not None:
                    return f"{fence}{{ {words[0]} {attrs} }}"
            return f"{fence}{info}"
        match = _LANG_AND_ATTRS.match(info)
        if match is None or list(_ATTR.finditer(match["attrs"])) == []:
            return f"{fence}{info}"
        attrs = _fence_attrs(match["attrs"])
        if attrs is None:
            return f"{fence}{info}"
        lang = f".{match['lang']} " if match["lang"] else ""
        return f"{fence}{{ {lang}{attrs} }}"


class _LanguagePostprocessor(Postprocessor):
    """Puts the language on blocks highlighted by pymdownx.highlight (`data-lang`), as
    codehilite's blocks have it, for the theme's label; and `tabindex="0"` on the boxes of
    code that scroll sideways, so keyboard users can scroll them (WCAG 2.1.1)."""

    def run(self, text: str) -> str:
        if "highlight" not in text:
            return text
        if "language-" in text:
            text = _LANG_DIV.sub(self._label, text)
        return _SCROLLER.sub(self._focusable, text)

    @staticmethod
    def _focusable(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return '<table class="highlighttable" tabindex="0">'
        return f'{match.group(1)}<pre tabindex="0">'

    @staticmethod
    def _label(match: re.Match[str]) -> str:
        name = language_name(match["lang"])
        label = f' data-lang="{html.escape(name)}"' if name else ""
        return f'<div class="language-{match["lang"]} {match["rest"]}"{label}'


def track_snippets(md: markdown.Markdown) -> list[str] | None:
    """The list that the files pymdownx.snippets includes are noted in (None without it), so
    the cache knows which files a page's HTML was made from."""
    if "snippet" not in md.preprocessors:
        return None
    snippets = md.preprocessors["snippet"]
    find = getattr(snippets, "get_snippet_path", None)
    if find is None:
        return None
    read: list[str] = []

    def noted(path: str) -> str | None:
        found: str | None = find(path)
        if found is not None:
            read.append(found)
        return found

    snippets.get_snippet_path = noted  # type: ignore[attr-defined]
    return read


class CodeExtension(Extension):
    """ssg's additions to code blocks (see the module's docstring)."""

    def __init__(self, *, fences: bool, diagrams: bool):
        super().__init__()
        self.fences, self.diagrams = fences, diagrams

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - library API
        if self.fences:
            # After shortcodes (29), before fenced_code (25).
            md.preprocessors.register(_FencePreprocessor(md, diagrams=self.diagrams),
                                      "ssg_fences", 27)
        md.postprocessors.register(_LanguagePostprocessor(md), "ssg_code_language", 5)
