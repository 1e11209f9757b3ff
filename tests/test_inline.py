"""The quick inline step (ssg.stages.inline) gives the HTML stock Python-Markdown gives, and
really skips the patterns that cannot match."""

from __future__ import annotations

import functools
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown import treeprocessors

from ssg.config import DEFAULT_EXTENSIONS, MarkdownConfig
from ssg.stages.inline import QuickInlineProcessor, quicken_inline
from ssg.stages.markdown import MarkdownRenderer

REPO = Path(__file__).resolve().parent.parent

#: Extension sets to compare under: ssg's defaults, none, the rest of Python-Markdown's own,
#: and pymdown-extensions' inline ones (each brings its own patterns).
EXTENSION_SETS = {
    "defaults": [name for name in DEFAULT_EXTENSIONS if name != "codehilite"],
    "none": [],
    "builtin": ["extra", "smarty", "sane_lists", "nl2br", "wikilinks", "legacy_attrs",
                "legacy_em"],
    "pymdownx": ["pymdownx.betterem", "pymdownx.caret", "pymdownx.mark", "pymdownx.tilde",
                 "pymdownx.magiclink", "pymdownx.keys", "pymdownx.critic",
                 "pymdownx.smartsymbols", "pymdownx.superfences", "pymdownx.tasklist",
                 "attr_list", "md_in_html", "footnotes", "abbr", "def_list"],
}

#: Pieces of Markdown's inline syntax (and of the extensions'), so that generated texts hit
#: every pattern, alone, nested and half-closed.
TOKENS = [
    "*", "**", "_", "__", "`", "``", "[", "]", "(", ")", "![", "<", ">", "&", "&amp;", "&#35;",
    "\\", "\\*", "~~", "^", "^^", "==", "++", "--", "...", "'", '"', "<<", ">>", "->", "(c)",
    "[^1]", "[^1]: note", "*[HTML]: Hyper", "HTML", "<b>", "</b>", "<span id='x'>", "<!-- c -->",
    "<http://a.example/b>", "<me@a.example>", "https://a.example/x", "[[Wiki Link]]",
    "[a](b.md)", "[a][r]", "[r]: /u \"t\"", "{: #id .c }", "{+a+}", "{--b--}", "{~~c~>d~~}",
    "++ctrl+alt++", "[x]", "- [ ] ", "- ", "1. ", "# ", "> ", "    ", "\n", "\n\n", "  \n", " ",
    "word", "Wörter", "漢字", "かな", "x_y_z", "2*3*4",
]
markdown_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)

properties = settings(max_examples=300, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def converters(name: str) -> tuple[markdown.Markdown, markdown.Markdown]:
    """(stock, quick) Python-Markdown instances with the same extensions."""
    stock = markdown.Markdown(extensions=EXTENSION_SETS[name], output_format="html")
    quick = markdown.Markdown(extensions=EXTENSION_SETS[name], output_format="html")
    assert quicken_inline(quick)
    assert type(stock.treeprocessors["inline"]) is treeprocessors.InlineProcessor
    return stock, quick


def convert(md: markdown.Markdown, text: str) -> str:
    md.reset()
    try:
        return md.convert(text)
    except Exception as error:  # the same failure from both counts as the same result
        return f"raised {type(error).__name__}: {error}"


@pytest.mark.parametrize("name", sorted(EXTENSION_SETS))
@properties
@given(text=markdown_text)
def test_generated_markdown_converts_as_stock(name: str, text: str) -> None:
    stock, quick = converters(name)
    assert convert(quick, text) == convert(stock, text)


def real_markdown() -> list[Path]:
    """ssg's own documentation and the test sites, some of them other tools' layouts."""
    found = sorted({*REPO.glob("content/**/*.md"), *REPO.glob("tests/sites/**/*.md"),
                    REPO / "README.md"})
    assert len(found) > 30
    return found


@pytest.mark.parametrize("name", sorted(EXTENSION_SETS))
def test_real_markdown_converts_as_stock(name: str) -> None:
    stock, quick = converters(name)
    for path in real_markdown():
        text = path.read_text(encoding="utf-8", errors="replace")  # one site is Latin-1
        assert convert(quick, text) == convert(stock, text), path


def count_applied(md: markdown.Markdown, text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times the inline step tried a pattern on `text` the slow way."""
    calls = []
    apply = treeprocessors.InlineProcessor._InlineProcessor__applyPattern  # type: ignore[attr-defined]

    def counted(self: treeprocessors.InlineProcessor, *args: object) -> object:
        calls.append(args)
        return apply(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(treeprocessors.InlineProcessor, "_InlineProcessor__applyPattern", counted)
        convert(md, text)
    return len(calls)


def test_plain_text_skips_every_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    stock, quick = converters("defaults")
    plain = "Nothing in this sentence starts any inline syntax at all"
    assert count_applied(stock, plain, monkeypatch) >= 10  # each pattern, the slow way
    assert count_applied(quick, plain, monkeypatch) == 0
    # A pattern that can match is still applied, and only the ones that can.
    strong = count_applied(quick, "one **strong** word", monkeypatch)
    assert 1 <= strong < count_applied(stock, "one **strong** word", monkeypatch)


def test_ssg_converts_with_the_quick_step() -> None:
    renderer = MarkdownRenderer(MarkdownConfig(), {}, "/")
    assert isinstance(renderer._md.treeprocessors["inline"], QuickInlineProcessor)


def test_another_extensions_inline_step_is_left_alone() -> None:
    class Theirs(treeprocessors.InlineProcessor):
        """Another extension's inline step."""

    md = markdown.Markdown()
    theirs = Theirs(md)
    md.treeprocessors.register(theirs, "inline", 20)
    assert not quicken_inline(md)
    assert md.treeprocessors["inline"] is theirs
    # The quick step keeps the stock step's place among the tree processors.
    stock = markdown.Markdown()
    order = [type(p).__name__ for p in stock.treeprocessors]
    assert quicken_inline(stock)
    assert [type(p).__name__ for p in stock.treeprocessors] == [
        "QuickInlineProcessor" if name == "InlineProcessor" else name for name in order]
