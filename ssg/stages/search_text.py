"""What the search index knows of one page: its record, made once per page while it renders.

A record is plain data (str and int only), so the reuse layer keeps it with the page's output
record and an unchanged page costs nothing on the next build. The on-disk cache keeps of each
record only its url, length and fp in the state and the rest in its SQLite file, by fp: a
`StoredRecord` reads those texts when the index first asks for them (one edit: a few pages).
The words are found with Unicode-aware rules that the browser client (assets/search.js) repeats
for queries: NFKC, then lowercase, then runs of letters and digits; a run of Chinese, Japanese
or Korean characters, which has no spaces between its words, is indexed as its single
characters and its bigrams.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from itertools import repeat
from typing import Protocol

from ssg.stages.keys import digest

#: One search record: url, title, excerpt (str), length (int), terms, weights, fp (str).
SearchRecord = dict[str, str | int]
#: The fields of a record a StoredRecord reads when first asked for one of them.
TEXT_FIELDS = ("title", "excerpt", "terms", "weights")

#: The alphabet of the index's compact numbers; a weight is one character of its first 62.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
#: Occurrences of a word in a page counted at most (BM25 saturates long before).
MAX_TF = 30
EXCERPT_CHARS = 160
#: The weight character of a word seen n times in the body and not in the title.
_BODY_WEIGHT = [ALPHABET[n * 2] for n in range(MAX_TF + 1)]

_CJK_RANGES = ("\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
               "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff")
_CJK = re.compile(f"[{_CJK_RANGES}]")
_CJK_OR_NOT = re.compile(f"[{_CJK_RANGES}]+|[^{_CJK_RANGES}]+")
#: Letters and digits of any script (Python's \w without the underscore; the client uses
#: [\p{L}\p{N}]).
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_HIDDEN_TAGS = ("<script", "<style", "<template", "<SCRIPT", "<STYLE", "<TEMPLATE")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def is_cjk(char: str) -> bool:
    """True for a Chinese, Japanese or Korean character (indexed as bigrams)."""
    return _CJK.match(char) is not None


def terms(text: str) -> list[str]:
    """The index terms of a text, in order, with repeats."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())  # the same words, twice as fast
    text = unicodedata.normalize("NFKC", text).lower()
    words = _WORD.findall(text)
    if _CJK.search(text) is None:
        return words
    found: list[str] = []
    for word in words:
        if _CJK.search(word) is None:
            found.append(word)
            continue
        for run in _CJK_OR_NOT.findall(word):
            if not is_cjk(run[0]):
                found.append(run)
                continue
            found.extend(run)
            found.extend(run[i:i + 2] for i in range(len(run) - 1))
    return found


def html_text(markup: str) -> str:
    """The text of an HTML fragment (the rendered Markdown body): tags out, entities decoded."""
    if any(tag in markup for tag in _HIDDEN_TAGS):
        markup = _HIDDEN.sub(" ", markup)
    text = _TAG.sub(" ", markup)
    return html.unescape(text) if "&" in text else text


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word, with an ellipsis when cut."""
    text = _SPACE.sub(" ", text[: limit * 4]).strip()  # not the whole page
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + "…"


class RecordLost(Exception):
    """The texts of a stored record are gone or are not the record's (the cache's SQLite file
    was replaced or damaged): the index must be made from records made anew."""


class RecordTexts(Protocol):
    """Where a StoredRecord's texts are kept."""

    def fetch(self, record: StoredRecord) -> dict[str, str]:
        """The record's TEXT_FIELDS, checked against its fp (RecordLost otherwise)."""
        ...


class StoredRecord(dict[str, str | int]):
    """A record of an earlier build as the on-disk cache keeps it: url, length and fp in
    memory, the other fields read through `texts` when one of them is first asked for."""

    __slots__ = ("_texts",)

    def __init__(self, url: str, length: int, fp: str, texts: RecordTexts):
        super().__init__(url=url, length=length, fp=fp)
        self._texts = texts

    def __missing__(self, name: str) -> str | int:
        if name not in TEXT_FIELDS or "title" in self:
            raise KeyError(name)
        self.update(self._texts.fetch(self))
        return self[name]


def record_fp(record: SearchRecord) -> str:
    """What a record's fp must be: the digest of its other fields."""
    return digest(*(record[name] for name in ("url", "title", "excerpt", "length", "terms",
                                               "weights")))


def page_record(url: str, title: str, body_html: str, summary_html: str) -> SearchRecord:
    """The search record of a page from its URL, title and rendered body and summary.

    `terms` is the page's distinct words, sorted, joined by spaces; `weights` has one
    character of ALPHABET for each: twice the word's count in the body (at most MAX_TF), plus 1
    when it is in the title; `length` is the number of words of the body.
    """
    text = html_text(body_html)
    body = terms(text)
    counts = Counter(body)
    in_title = set(terms(title))
    for term in in_title - counts.keys():
        counts[term] = 0
    words = sorted(counts)
    # Per word in C (map), not in a Python loop: this runs for every page of every build.
    weights = list(map(_BODY_WEIGHT.__getitem__,
                       map(min, map(counts.__getitem__, words), repeat(MAX_TF))))
    for term in in_title:
        at = bisect_left(words, term)
        weights[at] = ALPHABET[ALPHABET.index(weights[at]) + 1]
    record: SearchRecord = {
        "url": url, "title": title,
        "excerpt": excerpt(html_text(summary_html) if summary_html else text),
        "length": len(body), "terms": " ".join(words), "weights": "".join(weights),
    }
    record["fp"] = record_fp(record)
    return record
