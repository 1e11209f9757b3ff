"""Python-Markdown's inline step, made to skip the patterns that cannot match a text.

Python-Markdown tries each of its inline patterns (about twenty: emphasis, links, code,
entities, HTML...) on every run of text, each through a Python method call that ends in
`finditer`. Most texts hold none of them: a page's prose meets three or four. Asking the
compiled expression first (`search`, in C) and going on to the next pattern when it finds
nothing gives the same result, because a pattern with no match leaves the text as it was, and
saves most of those calls: about a tenth of the Markdown step on the benchmark corpus.

The stock step is kept whenever this one would not be the same: another extension replaced
it, or a future Python-Markdown renamed the methods this relies on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import markdown
from markdown import inlinepatterns, treeprocessors, util

_Search = Callable[[str, int], re.Match[str] | None]
_HANDLE = "_InlineProcessor__handleInline"
_APPLY = "_InlineProcessor__applyPattern"


class QuickInlineProcessor(treeprocessors.InlineProcessor):
    """The stock inline step, with a pattern skipped when its expression finds nothing."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self._quick: list[tuple[Any, _Search | None]] = []

    def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
        # The registry sorts itself on each integer lookup; read it once per document.
        self._quick = [
            (pattern, pattern.getCompiledRegExp().search
             if isinstance(pattern, inlinepatterns.InlineProcessor) else None)
            for pattern in self.inlinePatterns
        ]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """The stock loop (see Python-Markdown's `__handleInline`), asking each pattern's
        expression before the method call that would find the same nothing."""
        if isinstance(data, util.AtomicString):
            return data
        apply = getattr(self, _APPLY)
        quick = self._quick
        count = len(quick)
        start = 0
        while patternIndex < count:
            pattern, search = quick[patternIndex]
            if search is not None and search(data, start) is None:
                patternIndex += 1
                start = 0
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def _stock_shape() -> bool:
    """Whether the installed Python-Markdown has the methods the quick step stands in for."""
    stock = treeprocessors.InlineProcessor
    return callable(getattr(stock, _HANDLE, None)) and callable(getattr(stock, _APPLY, None))


def quicken_inline(md: markdown.Markdown) -> bool:
    """Put the quick inline step in place of the stock one; False (and nothing changed) when
    the step registered is not the stock one, or this Python-Markdown is not shaped as
    expected."""
    if "inline" not in md.treeprocessors or not _stock_shape():
        return False
    if type(md.treeprocessors["inline"]) is not treeprocessors.InlineProcessor:
        return False
    # Python-Markdown's registry shows priorities only through its private list.
    priorities = {item.name: item.priority for item in getattr(md.treeprocessors, "_priority", ())}
    priority = priorities.get("inline")
    if priority is None:
        return False
    md.treeprocessors.register(QuickInlineProcessor(md), "inline", priority)
    return True
