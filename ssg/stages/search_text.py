"""What the search index knows of one page: its record, made once per page while it renders.

A record is plain data (str and int only), so the reuse layer keeps it with the page's output
record and an unchanged page costs nothing on the next build. The words are found with
Unicode-aware rules that the browser client (assets/search.js) repeats for queries: NFKC, then
lowercase, then runs of letters and digits; a run of Chinese, Japanese or Korean characters,
which has no spaces between its words, is indexed as its single characters and its bigrams.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter

from ssg.stages.keys import digest

#: One search record: url, title, excerpt (str), length (int), terms (str), fp (str).
SearchRecord = dict[str, str | int]

#: The alphabet of the index's compact numbers; a weight is one character of its first 62.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
#: Occurrences of a word in a page counted at most (BM25 saturates long before).
MAX_TF = 30
#: Longer "words" are identifiers, hashes or base64: not worth an entry.
MAX_TERM = 40
EXCERPT_CHARS = 160

_CJK_RANGES = ("\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
               "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff")
_CJK = re.compile(f"[{_CJK_RANGES}]")
_CJK_OR_NOT = re.compile(f"[{_CJK_RANGES}]+|[^{_CJK_RANGES}]+")
#: Letters and digits of any script (Python's \w without the underscore; the client uses
#: [\p{L}\p{N}]).
_WORD = re.compile(r"[^\W_]+")
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def is_cjk(char: str) -> bool:
    """True for a Chinese, Japanese or Korean character (indexed as bigrams)."""
    return _CJK.match(char) is not None


def terms(text: str) -> list[str]:
    """The index terms of a text, in order, with repeats."""
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
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", markup)))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word, with an ellipsis when cut."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + "…"


def page_record(url: str, title: str, body_html: str, summary_html: str) -> SearchRecord:
    """The search record of a page from its URL, title and rendered body and summary.

    `terms` is "term weight term weight ...", sorted by term, where the weight (one character
    of ALPHABET) is twice the word's count in the body (at most MAX_TF) plus 1 when it is in the
    title; `length` is the number of words of the body.
    """
    body = terms(html_text(body_html))
    counts = Counter(body)
    in_title = set(terms(title))
    weights = []
    for term in sorted(counts.keys() | in_title):
        if len(term) > MAX_TERM:
            continue
        weight = min(counts.get(term, 0), MAX_TF) * 2 + (term in in_title)
        weights.append(f"{term} {ALPHABET[weight]}")
    text = html_text(summary_html) if summary_html else ""
    record: SearchRecord = {
        "url": url, "title": title, "excerpt": excerpt(text or html_text(body_html)),
        "length": len(body), "terms": " ".join(weights),
    }
    record["fp"] = digest(record["url"], record["title"], record["excerpt"], record["length"],
                          record["terms"])
    return record
