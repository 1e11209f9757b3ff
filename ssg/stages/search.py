"""Full-text search: a static index in the site's /search/, updated page by page.

Every page's record (ssg.stages.search_text) is made while the page renders; this stage turns
the records into static files that the browser client (ssg/stages/client/search.js, published
as /search/search.js and under the fingerprinted name `client_name()` gives, which templates
get from `asset("search/search.js")`) fetches as a query needs them:

- `meta.json`: the number of documents, of term shards and of documents per chunk, each
  document's length (one character, log scale) and a stamp that changes with any record;
- `t/<n>.json`: the terms whose key (first 3 characters; first character for Chinese,
  Japanese and Korean) hashes (FNV-1a, 32 bits) to shard n: term -> [document ids, weights];
- `d/<n>.json`: url, title and excerpt of documents 16n to 16n + 15.

Documents are numbered by sorted URL, so ids shift only when pages come or go. Ids are
delta-coded in ALPHABET's characters (a value under 62 is one character; `~` and `!` start
3 and 5 character values); weights are one character each. The files depend only on the
records, so the same pages always give the same bytes, and an edit that keeps the set of pages
patches just the shards and chunks it changed (`index_files`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import accumulate, chain, compress, repeat
from operator import is_not, itemgetter, sub
from pathlib import Path
from typing import cast

from ssg.errors import OutputError
from ssg.stages.languages import Languages
from ssg.stages.search_text import ALPHABET, SearchRecord, is_cjk

#: The output folder of the search index and its client.
SEARCH_DIR = "search"
#: Changes whenever the files' layout does: part of the build's settings.
FORMAT = 2
#: Documents per metadata chunk (a results page fetches the chunks of what it shows).
CHUNK = 16
#: Shards: a power of two from the number of documents, within these bounds.
MIN_SHARDS, MAX_SHARDS = 16, 4096
#: Documents per shard the shard count aims at.
DOCS_PER_SHARD = 4
#: More changed documents than this fraction of all: index everything again (it is faster).
PATCH_LIMIT = 0.1

CLIENT = Path(__file__).resolve().parent / "client" / "search.js"
#: The client's output path by its plain name.
SEARCH_CLIENT = f"{SEARCH_DIR}/search.js"
_DIGITS = ALPHABET[:62]
_VALUE = bytes.maketrans(ALPHABET.encode("ascii"), bytes(range(64)))
_WIDE = {"~": 3, "!": 5}
_FP = itemgetter("fp")


def check_reserved(dests: Iterable[tuple[str, str]]) -> None:
    """No file of the site may be written where the search index goes."""
    for dest, origin in dests:
        if dest == SEARCH_DIR or dest.startswith(SEARCH_DIR + "/"):
            raise OutputError(f"{origin}: output path {dest!r} is reserved for the search index "
                              "(set search = false in ssg.toml to use it)")


def merge_records(old: Mapping[str, SearchRecord] | None,
                  made: Iterable[tuple[str, SearchRecord | None]], removed: Iterable[str]
                  ) -> dict[str, SearchRecord]:
    """The records of the output after this build: dest -> record, from the last build's, the
    outputs rendered now (None: that output is no page) and the outputs gone."""
    records = dict(old or {})
    for dest, record in made:
        if record is None:
            records.pop(dest, None)
        else:
            records[dest] = record
    for dest in removed:
        records.pop(dest, None)
    return records


def index_files(records: Mapping[str, SearchRecord], old: Mapping[str, SearchRecord] | None,
                read: Callable[[str], bytes]) -> tuple[dict[str, bytes], bool]:
    """The files of the index (dest -> bytes) and whether they are all of them.

    With the last build's records (`old`) and the same set of pages, only the files whose
    bytes change are returned (False), read from the output through `read` and patched;
    otherwise the whole folder (True).
    """
    if old is None:
        return _full(_by_url(records)), True
    before = _by_url(old)
    docs = _by_url(records, like=old)
    patch = _patch(docs, before, read)
    if patch is not None:
        return patch, False
    return _full(docs), True


#: The records of the last index made, sorted by URL (the records, their dests in that order,
#: the records in that order): the next build's `old`, which then need no sorting again.
_last_sorted: tuple[Mapping[str, SearchRecord], list[str], list[SearchRecord]] | None = None


def _by_url(records: Mapping[str, SearchRecord],
            like: Mapping[str, SearchRecord] | None = None) -> list[SearchRecord]:
    """The records sorted by URL; in the order of `like`'s when both have the same pages and
    that order is known (one page edited: 15 ms less at 10,000 pages)."""
    global _last_sorted
    known = _last_sorted
    if known is not None and known[0] is records:
        return known[2]
    docs: list[SearchRecord] | None = None
    if known is not None and like is not None and known[0] is like and records.keys() == \
            like.keys():
        dests = known[1]
        docs = list(map(records.__getitem__, dests))
        if any(docs[n]["url"] != known[2][n]["url"] for n in _replaced(docs, known[2])):
            docs = None  # a page of another URL: sorted below
    if docs is None:
        dests = sorted(records, key=lambda dest: _url(records[dest]))
        docs = [records[dest] for dest in dests]
    _last_sorted = records, dests, docs
    return docs


def language_index_files(records: Mapping[str, SearchRecord],
                         old: Mapping[str, SearchRecord] | None, read: Callable[[str], bytes],
                         languages: Languages) -> tuple[dict[str, bytes], bool]:
    """`index_files` on a multilingual site: one index per language, so that search stays
    within the reader's language: the default language's in `search/`, the others' in
    `search/CODE/`; all of them when one must be made whole."""
    if not languages.multilingual:
        return index_files(records, old, read)

    def folder(dest: str) -> str:
        lang = languages.of_path("/" + dest)
        return "" if lang == languages.default.code else lang

    def split(found: Mapping[str, SearchRecord]) -> dict[str, dict[str, SearchRecord]]:
        parts: dict[str, dict[str, SearchRecord]] = {f: {} for f in folders}
        for dest, record in found.items():
            parts[folder(dest)][dest] = record
        return parts

    def moved(files: Mapping[str, bytes], code: str) -> dict[str, bytes]:
        # Every language's pages load the one client of search/ by its fingerprinted name.
        return {_in_folder(dest, code): data for dest, data in files.items()
                if not code or dest != client_name()[0]}

    def reader(code: str) -> Callable[[str], bytes]:
        return lambda dest: read(_in_folder(dest, code))

    folders = ["", *sorted(languages.others)]
    now, before = split(records), split(old) if old is not None else None
    patches: dict[str, bytes] = {}
    for code in folders:
        files, complete = index_files(now[code], before[code] if before else None,
                                      reader(code))
        if complete:
            whole: dict[str, bytes] = {}
            for each in folders:
                whole.update(moved(_full(sorted(now[each].values(), key=_url)), each))
            return whole, True
        patches.update(moved(files, code))
    return patches, False


def _in_folder(dest: str, code: str) -> str:
    """A file of the index moved into the folder of language `code` ("": the default's)."""
    return dest if not code else f"{SEARCH_DIR}/{code}/{dest[len(SEARCH_DIR) + 1:]}"


def _url(record: SearchRecord) -> str:
    return str(record["url"])


def shard_count(docs: int) -> int:
    """How many term shards an index of that many documents has."""
    count = MIN_SHARDS
    while count < MAX_SHARDS and count * DOCS_PER_SHARD < docs:
        count *= 2
    return count


def _key(term: str) -> str:
    return term[0] if is_cjk(term[0]) else term[:3]


def shard_of(term: str, shards: int) -> int:
    """The shard a term is in: FNV-1a of its key's UTF-8 (the client computes the same)."""
    value = 0x811C9DC5
    for byte in _key(term).encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % shards


def _number(value: int) -> str:
    if value < 62:
        return _DIGITS[value]
    if value < 64 ** 3:
        return "~" + "".join(ALPHABET[(value >> shift) & 63] for shift in (12, 6, 0))
    return "!" + "".join(ALPHABET[(value >> shift) & 63] for shift in (24, 18, 12, 6, 0))


def encode_ids(ids: Iterable[int]) -> str:
    """Increasing document ids as deltas in ALPHABET's characters."""
    parts, last = [], 0
    for doc in ids:
        parts.append(_number(doc - last))
        last = doc
    return "".join(parts)


def decode_ids(text: str) -> list[int]:
    """The document ids of `encode_ids`."""
    if "~" not in text and "!" not in text:
        return list(accumulate(text.encode("ascii").translate(_VALUE)))
    values, i = [], 0
    while i < len(text):
        width = _WIDE.get(text[i], 0)
        value = 0
        for char in text[i + 1 : i + 1 + width] if width else text[i]:
            value = value * 64 + ALPHABET.index(char)
        values.append(value)
        i += width + 1
    return list(accumulate(values))


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def _length_class(length: int) -> str:
    """A document's length in one character: 4 steps per doubling."""
    return ALPHABET[min(63, round(math.log2(length + 1) * 4))]


def _replaced(docs: list[SearchRecord], old: list[SearchRecord]) -> list[int]:
    """The places where `docs` holds another record than `old` (lists of one length): found
    by identity in C, as an unchanged page keeps its record object from build to build."""
    return list(compress(range(len(docs)), map(is_not, docs, old)))


def _meta(docs: list[SearchRecord], lengths: str | None = None) -> bytes:
    """meta.json of the index of `docs`; `lengths`: their length classes, when known."""
    if lengths is None:
        lengths = "".join(_length_class(int(d["length"])) for d in docs)
    fps = cast("Iterable[str]", map(_FP, docs))  # a record's fp is text
    stamp = hashlib.blake2b(" ".join(fps).encode("ascii"), digest_size=12).hexdigest()
    return _json({
        "version": FORMAT, "docs": len(docs), "shards": shard_count(len(docs)),
        "chunk": CHUNK, "lengths": lengths, "stamp": stamp,
    })


def _patched_lengths(meta: bytes, docs: list[SearchRecord], changed: list[int]) -> str:
    """The length classes of `docs`: the last build's meta.json's, with those of the
    documents `changed` worked out again."""
    lengths = json.loads(meta)["lengths"]
    if not isinstance(lengths, str) or len(lengths) != len(docs):
        raise ValueError("not the meta.json of these documents")
    classes = list(lengths)
    for doc in changed:
        classes[doc] = _length_class(int(docs[doc]["length"]))
    return "".join(classes)


def _chunk(docs: list[SearchRecord], number: int) -> bytes:
    return _json([[d["url"], d["title"], d["excerpt"]]
                  for d in docs[number * CHUNK : (number + 1) * CHUNK]])


def _shard_dest(number: int) -> str:
    return f"{SEARCH_DIR}/t/{number}.json"


def _chunk_dest(number: int) -> str:
    return f"{SEARCH_DIR}/d/{number}.json"


def _full(docs: list[SearchRecord]) -> dict[str, bytes]:
    """Every file of the index of these documents (sorted by URL)."""
    # The loops over postings run inside map() and any(): at 10,000 pages there are about
    # 1.5 million, and a Python statement for each would double the index's time.
    ids_of: defaultdict[str, array[int]] = defaultdict(lambda: array("i"))
    weights_of: defaultdict[str, bytearray] = defaultdict(bytearray)
    for doc, record in enumerate(docs):
        terms = str(record["terms"]).split(" ") if record["terms"] else []
        any(map(array.append, map(ids_of.__getitem__, terms), repeat(doc)))
        any(map(bytearray.append, map(weights_of.__getitem__, terms),
                str(record["weights"]).encode("ascii")))
    codes = [_number(value) for value in range(len(docs) + 1)]
    shards = shard_count(len(docs))
    grouped: list[dict[str, list[str]]] = [{} for _ in range(shards)]
    keys: dict[str, int] = {}
    for term, ids in ids_of.items():
        key = _key(term)
        shard = keys.get(key)
        if shard is None:
            shard = keys[key] = shard_of(term, shards)
        deltas = map(sub, ids, chain((0,), ids))
        grouped[shard][term] = ["".join(map(codes.__getitem__, deltas)),
                                weights_of[term].decode("ascii")]
    name, client = client_name()
    files = {SEARCH_CLIENT: client, name: client, f"{SEARCH_DIR}/meta.json": _meta(docs)}
    for number, shard_terms in enumerate(grouped):
        files[_shard_dest(number)] = _json(shard_terms)
    for number in range(-(-len(docs) // CHUNK)):
        files[_chunk_dest(number)] = _chunk(docs, number)
    return files


@functools.cache
def client_name() -> tuple[str, bytes]:
    """The search client's fingerprinted output path (`search/search.3f2a1b9c04.js`, named
    like `asset_url` names files) and its bytes."""
    data = CLIENT.read_bytes()
    return f"{SEARCH_DIR}/search.{hashlib.sha384(data).hexdigest()[:10]}.js", data


def _weights(record: SearchRecord) -> dict[str, str]:
    terms = str(record["terms"]).split(" ") if record["terms"] else []
    return dict(zip(terms, str(record["weights"]), strict=True))


def _patch(docs: list[SearchRecord], old: list[SearchRecord], read: Callable[[str], bytes]
           ) -> dict[str, bytes] | None:
    """The files that change from the index of `old` to that of `docs` (both sorted by URL),
    or None when the whole index must be made again (pages came or went, many changed, or a
    file of the output cannot be read as the last build wrote it)."""
    if len(docs) != len(old):
        return None
    replaced = _replaced(docs, old)
    if any(docs[doc]["url"] != old[doc]["url"] for doc in replaced):
        return None
    changed = [doc for doc in replaced if docs[doc]["fp"] != old[doc]["fp"]]
    if not changed:
        return {}
    if len(changed) > max(8, PATCH_LIMIT * len(docs)):
        return None
    shards = shard_count(len(docs))
    edits: dict[int, dict[str, dict[int, str | None]]] = {}
    for doc in changed:
        new, was = _weights(docs[doc]), _weights(old[doc])
        for term in new.keys() | was.keys():
            if new.get(term) != was.get(term):
                by_term = edits.setdefault(shard_of(term, shards), {})
                by_term.setdefault(term, {})[doc] = new.get(term)
    candidates: dict[str, bytes] = {}
    try:
        for number, by_term in edits.items():
            dest = _shard_dest(number)
            shard = json.loads(read(dest))
            for term, changes in by_term.items():
                _patch_term(shard, term, changes)
            candidates[dest] = _json(shard)
        meta = f"{SEARCH_DIR}/meta.json"
        candidates[meta] = _meta(docs, _patched_lengths(read(meta), docs, changed))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # not what the last build wrote: make it all again
    for number in sorted({doc // CHUNK for doc in changed}):
        candidates[_chunk_dest(number)] = _chunk(docs, number)
    files = {}
    for dest, data in candidates.items():
        try:
            same = read(dest) == data
        except OSError:
            same = False
        if not same:
            files[dest] = data
    return files


def _patch_term(shard: dict[str, list[str]], term: str, changes: Mapping[int, str | None]
                ) -> None:
    """Set (or with None remove) the weights of some documents in one term's postings."""
    ids_text, weights = shard.get(term, ["", ""])
    postings = dict(zip(decode_ids(ids_text), weights, strict=True))
    for doc, weight in changes.items():
        if weight is None:
            postings.pop(doc, None)
        else:
            postings[doc] = weight
    if not postings:
        shard.pop(term, None)
        return
    ids = sorted(postings)
    shard[term] = [encode_ids(ids), "".join(postings[doc] for doc in ids)]
