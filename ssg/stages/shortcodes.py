"""Shortcodes: template snippets called from Markdown.

    {{< figure src="cat.jpg" caption="A cat" >}}
    {{< note title="Careful" >}}Markdown **inside**.{{< /note >}}
    {{</* figure */>}}   shows the call itself, uncalled

Each NAME is the template `shortcodes/NAME.html` (the site's or the theme's). Named arguments
become template variables (and `args`); positional ones fill `args.positional`; a paired call
passes its inner Markdown rendered as `body`. Calls inside code (fenced blocks and `spans`)
are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import markdown
from markdown.preprocessors import Preprocessor

from ssg.errors import ContentError

_CALL = re.compile(r"\{\{<(?P<escaped>/\*)?\s*(?P<inner>.*?)\s*(?(escaped)\*/)>\}\}", re.DOTALL)
_INNER = re.compile(r"(?P<close>/)?\s*(?P<name>[A-Za-z][\w-]*)(?P<args>.*?)(?P<self>/)?$",
                    re.DOTALL)
_ARG = re.compile(r"""\s*(?:(?P<key>[A-Za-z_]\w*)\s*=\s*)?"""
                  r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"'=]+)""")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


@dataclass(frozen=True)
class Call:
    """One shortcode call found in a page."""

    name: str
    kwargs: dict[str, Any]
    positional: list[Any]
    #: The inner Markdown of a paired call, else None.
    body: str | None
    #: Line of the call in the source file.
    line: int


#: Renders one call: (call, inner body as HTML or None) -> HTML.
RenderCall = Callable[[Call, "str | None"], str]


def parse_args(text: str, where: str, line: int) -> tuple[dict[str, Any], list[Any]]:
    """Split `key="value" other=3 "positional"` into keyword and positional arguments."""
    kwargs: dict[str, Any] = {}
    positional: list[Any] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _ARG.match(text, pos)
        if match is None or match.end() == pos:
            raise ContentError(f"cannot read shortcode arguments at {text[pos:]!r}", path=where,
                               line=line)
        value = _value(match.group("value"))
        if match.group("key"):
            kwargs[match.group("key")] = value
        else:
            positional.append(value)
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return kwargs, positional


def _value(raw: str) -> Any:
    if raw[0] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if raw[0] == "'":
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def _fenced_lines(lines: list[str]) -> set[int]:
    """Indexes of lines inside fenced code blocks (and the fences)."""
    inside: set[int] = set()
    fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            inside.add(index)
        elif fence is not None:
            inside.add(index)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
    return inside


class ShortcodePreprocessor(Preprocessor):
    """Replaces calls by their rendered HTML (stashed, so Markdown leaves it as it is)."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.render: RenderCall | None = None
        self.inner: Callable[[str], str] | None = None
        self.where = ""
        self.first_line = 1

    def run(self, lines: list[str]) -> list[str]:
        fenced = _fenced_lines(lines)
        out: list[str] = []
        index = 0
        while index < len(lines):
            if index in fenced or "{{<" not in lines[index]:
                out.append(lines[index])
                index += 1
                continue
            # A call may span lines: take the unfenced run of lines from here.
            end = index
            while end + 1 < len(lines) and end + 1 not in fenced:
                end += 1
            chunk = "\n".join(lines[index : end + 1])
            out.extend(self._expand(chunk, index).split("\n"))
            index = end + 1
        return out

    def _expand(self, text: str, first_index: int) -> str:
        result: list[str] = []
        pos = 0
        spans = [m.span() for m in _CODE_SPAN.finditer(text)]
        for match in _CALL.finditer(text):
            if match.start() < pos or any(a <= match.start() < b for a, b in spans):
                continue
            line = self.first_line + first_index + text.count("\n", 0, match.start())
            result.append(text[pos : match.start()])
            if match.group("escaped"):
                literal = match.group(0).replace("{{</*", "{{<", 1).replace("*/>}}", ">}}")
                result.append(self.md.htmlStash.store(_escape(literal)))
                pos = match.end()
                continue
            inner = _INNER.match(match.group("inner"))
            if inner is None:
                raise ContentError(f"cannot read shortcode call {match.group(0)!r}",
                                   path=self.where, line=line)
            name = inner.group("name")
            if inner.group("close"):
                raise ContentError(f"closing shortcode '{name}' was never opened",
                                   path=self.where, line=line)
            kwargs, positional = parse_args(inner.group("args"), self.where, line)
            body = None
            pos = match.end()
            if not inner.group("self"):
                closing = re.compile(r"\{\{<\s*/\s*" + re.escape(name) + r"\s*>\}\}")
                close = closing.search(text, pos)
                if close is not None:
                    body = text[pos : close.start()]
                    pos = close.end()
            assert self.render is not None and self.inner is not None
            html = self.render(Call(name, kwargs, positional, body, line),
                               None if body is None else self.inner(body))
            result.append(self.md.htmlStash.store(html))
        result.append(text[pos:])
        return "".join(result)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
