"""Code highlighting: ssg's own Pygments palettes and the formatter of its code blocks."""

from __future__ import annotations

import functools
import html
from io import StringIO
from typing import Any

from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.style import Style
from pygments.styles import get_all_styles, get_style_by_name
from pygments.token import (
    Comment,
    Error,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Token,
)
from pygments.util import ClassNotFound


class SsgLight(Style):  # type: ignore[misc]
    """A light palette after GitHub's: every colour at least 4.5:1 on its background."""

    name = "ssg-light"
    background_color = "#f6f8fa"
    highlight_color = "#fff1b8"
    line_number_color = "#59636e"
    line_number_background_color = "transparent"
    styles = {
        Token: "#1f2328",
        Text: "#1f2328",
        Comment: "italic #59636e",
        Comment.Preproc: "noitalic #b31d28",
        Keyword: "#cf222e",
        Keyword.Constant: "#0550ae",
        Keyword.Type: "#953800",
        Operator: "#1f2328",
        Operator.Word: "#cf222e",
        Punctuation: "#1f2328",
        Name.Builtin: "#0550ae",
        Name.Builtin.Pseudo: "#0550ae",
        Name.Function: "#6639ba",
        Name.Function.Magic: "#6639ba",
        Name.Class: "bold #953800",
        Name.Decorator: "#6639ba",
        Name.Exception: "#953800",
        Name.Namespace: "#953800",
        Name.Variable: "#953800",
        Name.Constant: "#0550ae",
        Name.Attribute: "#0550ae",
        Name.Tag: "#116329",
        Name.Label: "#0550ae",
        String: "#0a3069",
        String.Escape: "#0550ae",
        String.Regex: "#116329",
        String.Interpol: "#0550ae",
        Number: "#0550ae",
        Generic.Heading: "bold #0550ae",
        Generic.Subheading: "bold #0550ae",
        Generic.Deleted: "#82071e bg:#ffebe9",
        Generic.Inserted: "#116329 bg:#dafbe1",
        Generic.Emph: "italic",
        Generic.Strong: "bold",
        Generic.Prompt: "#59636e",
        Generic.Output: "#59636e",
        Generic.Traceback: "#82071e",
        Generic.Error: "#82071e",
        Error: "#82071e",
    }


class SsgDark(get_style_by_name("github-dark")):  # type: ignore[misc]
    """GitHub's dark palette with a highlighted line that keeps the text readable."""

    name = "ssg-dark"
    highlight_color = "#2d333b"
    line_number_color = "#8b949e"
    line_number_background_color = "transparent"


#: ssg's own palettes, by name, beside those of Pygments.
STYLES: dict[str, type[Style]] = {SsgLight.name: SsgLight, SsgDark.name: SsgDark}


def style_names() -> set[str]:
    """Every palette `highlight_style` may name."""
    return set(get_all_styles()) | set(STYLES)


def style(name: str) -> type[Style] | str:
    """What Pygments' formatters take as `style` for a palette name."""
    return STYLES.get(name, name)


@functools.lru_cache(maxsize=256)
def language_name(alias: str) -> str:
    """The name people know a language by (`py` -> `Python`), "" for plain text."""
    if not alias or alias in ("text", "txt", "plain", "plaintext"):
        return ""
    try:
        return str(get_lexer_by_name(alias).name)
    except ClassNotFound:
        return alias


#: (palette, class prefix) -> what HtmlFormatter._create_stylesheet makes of them.
_SHEETS: dict[tuple[Any, str], tuple[dict[Any, str], dict[str, Any]]] = {}


class CodeFormatter(HtmlFormatter):  # type: ignore[misc]
    """Pygments' HTML with the language on the block (`data-lang`) and line numbers inline
    (a number per line, left out of copies), for codehilite."""

    ttype2class: dict[Any, str]
    class2style: dict[str, Any]

    def __init__(self, lang_str: str = "", **options: Any) -> None:
        if options.get("linenos") is True:
            options["linenos"] = "inline"
        super().__init__(**options)
        self.lang = language_name(lang_str.removeprefix("language-"))

    def _create_stylesheet(self) -> None:
        # Pygments works out the classes of the palette for every block; they depend only on
        # the palette and the class prefix, and are only read once made.
        key = (self.style, self.classprefix)
        known = _SHEETS.get(key)
        if known is None:
            super()._create_stylesheet()
            _SHEETS[key] = self.ttype2class, self.class2style
        else:
            self.ttype2class, self.class2style = known

    def format_unencoded(self, tokensource: Any, outfile: Any) -> None:
        buffer = StringIO()
        super().format_unencoded(tokensource, buffer)
        text = buffer.getvalue()
        if self.lang and text.startswith("<div "):
            end = text.index(">")
            text = f'{text[:end]} data-lang="{html.escape(self.lang)}"{text[end:]}'
        outfile.write(text)
