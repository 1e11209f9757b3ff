"""The cache's stage products as plain data (JSON), and back, checked on the way in.

The cache is data only: reading it never runs code (no pickle), so it needs no signature and a
cache restored in CI, by another user or into another folder can be used. Every product the
cache keeps has one pair of functions here, `X_to_data` and `X_from_data`; a new field goes
into both (and `FORMAT` is bumped). `X_from_data` checks the type of everything it reads and
raises `Invalid` otherwise, so a corrupt or hostile cache can only be rejected, never crash the
build. Paths are kept relative to the site folder (`Paths`), so the cache still names the right
files after the site folder moved.
"""

from __future__ import annotations

import base64
import inspect
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from itertools import islice
from typing import Any

from ssg.incremental.checked import (
    Invalid,
    as_bool,
    as_dest,
    as_dict,
    as_int,
    as_list,
    as_opt_int,
    as_opt_text,
    as_text,
    each,
    mapping,
    texts,
)
from ssg.incremental.fingerprints import OutputRecord, OutputState
from ssg.incremental.pieces import Fields, Later, Members
from ssg.stages.keys import FINGERPRINTS, Key
from ssg.stages.links import LinkMemo, PageLinks
from ssg.stages.markdown import Content, Ref
from ssg.stages.parse import FrontMatter
from ssg.stages.search_text import RecordTexts, SearchRecord, StoredRecord

#: Bumped whenever what is stored, or what it means, changes (a cache of another format is
#: discarded as a whole).
FORMAT = 11

#: A parsed document as kept: (file hash, front matter, body's first line, first heading).
DocumentRecord = tuple[str, FrontMatter, int, str | None]
#: A rendered body as kept: (file hash, content without its texts).
ContentRecord = tuple[str, Content]
#: A file's stat signature and content hash: ((mtime_ns, size, inode), hash).
FileRecord = tuple[tuple[int, int, int], str]



@dataclass
class BuildState:
    """What one build leaves for the next."""

    #: When the build that saved this state started (ns), for the racy-stat rule: a file whose
    #: mtime is well before it cannot have changed without changing its stat.
    started_ns: int = 0
    #: path -> ((mtime_ns, size, inode), content hash).
    files: dict[str, FileRecord] = field(default_factory=dict)
    #: Fingerprint of the settings that parsing depends on (taxonomies).
    parse_key: str = ""
    #: src -> (file hash, front matter, body's first line, first heading) of each source;
    #: bodies are not kept: a source whose Markdown must be rendered again is read again.
    docs: dict[str, DocumentRecord] = field(default_factory=dict)
    #: Fingerprint of the settings that Markdown rendering depends on.
    markdown_key: str = ""
    #: src -> (file hash, rendered content without its texts; those are in ContentStore).
    contents: dict[str, ContentRecord] = field(default_factory=dict)
    #: Output folder -> what it holds.
    outputs: dict[str, OutputState] = field(default_factory=dict)
    #: The last link report's findings, per page.
    links: LinkMemo = field(default_factory=LinkMemo)
    #: The data each record was read from, written back as it is while the record is
    #: unchanged (most of a cache, after a small edit): never compared, never stored itself.
    stored: Stored | None = field(default=None, repr=False, compare=False)


@dataclass
class StoredOutputs:
    """One output folder's records as read: its keys, their data, each record's data."""

    keys: list[Key]
    keys_data: list[Any]
    records: dict[str, tuple[OutputRecord, Any]]


@dataclass
class Stored:
    """The data a state was read from, per record, beside the record read from it."""

    docs: dict[str, tuple[DocumentRecord, Any]] = field(default_factory=dict)
    contents: dict[str, tuple[ContentRecord, Any]] = field(default_factory=dict)
    outputs: dict[str, StoredOutputs] = field(default_factory=dict)


def _as_stored(record: Any, kept: tuple[Any, Any] | None) -> Any:
    """The stored data of a record read from it and equal to it still, or None."""
    if kept is not None and (kept[0] is record or kept[0] == record):
        return kept[1]
    return None


class Unencodable(ValueError):
    """A value the cache cannot keep as data (the product is then not cached)."""


_tuple = tuple.__new__


# --- paths -----------------------------------------------------------------------------------

class Paths:
    """Turns the absolute paths a build uses into paths relative to the site folder, and back.

    A path outside the site (a built-in template, a theme elsewhere) stays absolute.
    """

    def __init__(self, site_dir: os.PathLike[str] | str):
        self.root = os.path.abspath(site_dir)
        self._prefix = self.root.rstrip(os.sep) + os.sep

    def to_data(self, path: str) -> str:
        """The path as stored."""
        if path.startswith(self._prefix):
            return path[len(self._prefix):].replace(os.sep, "/")
        return path

    def from_data(self, value: Any) -> str:
        """The path a stored one names now."""
        stored = as_text(value)
        if os.path.isabs(stored):
            return stored
        return self._prefix + stored.replace("/", os.sep)  # os.path.join(root, *parts)


# --- front matter values (YAML and TOML) ---------------------------------------------------

def value_to_data(value: Any) -> Any:
    """A front matter value as JSON data; tagged objects (`{"$date": ...}`) keep the types
    JSON lacks, so the value comes back equal and with the same repr."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):  # JSON libraries read whole numbers past 64 bits as floats
        return value if -2**63 <= value < 2**63 else {"$int": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, list):
        return [value_to_data(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: value_to_data(v) for k, v in value.items()}
        return {"$map": [[value_to_data(k), value_to_data(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [value_to_data(v) for v in value]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (set, frozenset)):
        return {"$set": [value_to_data(v) for v in value], "frozen": isinstance(value, frozenset)}
    raise Unencodable(type(value).__name__)


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$int": lambda v: int(as_text(v)),
    "$float": lambda v: float({"nan": "nan", "inf": "inf", "-inf": "-inf"}[as_text(v)]),
    "$map": lambda v: {_hashable(value_from_data(k)): value_from_data(x)
                       for k, x in (as_list(pair, 2) for pair in as_list(v))},
    "$tuple": lambda v: tuple(value_from_data(x) for x in as_list(v)),
    "$datetime": lambda v: datetime.fromisoformat(as_text(v)),
    "$date": lambda v: date.fromisoformat(as_text(v)),
    "$time": lambda v: time.fromisoformat(as_text(v)),
    "$bytes": lambda v: base64.b64decode(as_text(v), validate=True),
}


def value_from_data(data: Any) -> Any:
    """The front matter value stored by value_to_data."""
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    if isinstance(data, list):
        return [value_from_data(v) for v in data]
    if not isinstance(data, dict):
        raise Invalid(f"unexpected {type(data).__name__}")
    if "$set" in data:
        items = {_hashable(value_from_data(v)) for v in as_list(data["$set"])}
        return frozenset(items) if as_bool(data.get("frozen", False)) else items
    if len(data) == 1:
        tag, inner = next(iter(data.items()))
        if tag in _TAGS:
            try:
                return _TAGS[tag](inner)
            except (KeyError, ValueError, TypeError) as exc:
                raise Invalid(f"bad {tag} value") from exc
    if any(isinstance(k, str) and k.startswith("$") for k in data):
        raise Invalid("unknown tag")
    return {k: value_from_data(v) for k, v in data.items()}


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError as exc:
        raise Invalid("a mapping key or set item that cannot be one") from exc
    return value


# --- front matter and documents --------------------------------------------------------------

def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _moment_from(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(as_text(value))
    except ValueError as exc:
        raise Invalid("bad date") from exc
    if moment.tzinfo is None:
        raise Invalid("a date without a timezone")
    return moment


def front_to_data(front: FrontMatter) -> dict[str, Any]:
    """Front matter as data."""
    return {
        "title": front.title, "date": _moment(front.date), "updated": _moment(front.updated),
        "expires": _moment(front.expires), "draft": front.draft, "slug": front.slug,
        "url": front.url, "template": front.template, "summary": front.summary,
        "weight": front.weight, "aliases": list(front.aliases),
        "terms": {name: list(values) for name, values in front.terms.items()},
        "extra": value_to_data(dict(front.extra)),
        "menu": list(front.menu), "image": front.image,
        "translation_key": front.translation_key,
    }


def front_from_data(data: Any) -> FrontMatter:
    """Front matter stored by front_to_data."""
    d = as_dict(data)
    extra = value_from_data(d["extra"])
    if not isinstance(extra, dict):
        raise Invalid("extra is not a mapping")
    return FrontMatter(
        title=as_opt_text(d["title"]), date=_moment_from(d["date"]),
        updated=_moment_from(d["updated"]), expires=_moment_from(d["expires"]),
        draft=as_bool(d["draft"]), slug=as_opt_text(d["slug"]), url=as_opt_text(d["url"]),
        template=as_opt_text(d["template"]), summary=as_opt_text(d["summary"]),
        weight=as_int(d["weight"]), aliases=tuple(texts(d["aliases"])),
        terms={k: tuple(texts(v)) for k, v in as_dict(d["terms"]).items()},
        extra=extra, menu=tuple(texts(d["menu"])), image=as_opt_text(d["image"]),
        translation_key=as_opt_text(d["translation_key"]),
    )


def document_to_data(record: DocumentRecord) -> list[Any]:
    """A parsed document as kept (its body is not: it is read again when needed)."""
    file_hash, front, body_line, heading = record
    return [file_hash, front_to_data(front), body_line, heading]


def document_from_data(data: Any) -> DocumentRecord:
    """A parsed document stored by document_to_data."""
    file_hash, front, body_line, heading = as_list(data, 4)
    return as_text(file_hash), front_from_data(front), as_int(body_line), as_opt_text(heading)


# --- rendered Markdown -----------------------------------------------------------------------

#: The fields of Content that content_to_data stores (the texts live in the ContentStore).
CONTENT_FIELDS = ("word_count", "refs", "link_deps", "body_fp", "summary_fp",
                  "template_deps", "ids", "warnings", "file_deps")
#: Fields kept elsewhere: the texts, in the SQLite file beside the state.
CONTENT_TEXTS = ("html", "summary", "toc")


def content_to_data(record: ContentRecord) -> list[Any]:
    """A rendered body without its texts."""
    file_hash, c = record
    return [file_hash, {
        "word_count": c.word_count,
        "refs": [[r.line, r.tag, r.href, r.target, r.fragment] for r in c.refs],
        "link_deps": [[target, url] for target, url in c.link_deps],
        "body_fp": c.body_fp, "summary_fp": c.summary_fp,
        "template_deps": [[name, fp] for name, fp in c.template_deps],
        "ids": sorted(c.ids),
        "warnings": [[line, message] for line, message in c.warnings],
        "file_deps": [[path, fp] for path, fp in c.file_deps],
    }]


# These run for every link and dependency of every page: each checks a whole list at once.

def _refs(value: Any) -> tuple[Ref, ...]:
    refs = []
    for v in as_list(value):
        if type(v) is list and len(v) == 5:
            line, tag, href, target, fragment = v
            if ((line is None or type(line) is int) and type(tag) is str and type(href) is str
                    and (target is None or type(target) is str) and type(fragment) is str):
                refs.append(_tuple(Ref, v))
                continue
        raise Invalid("a link that is not one")
    return tuple(refs)


def _two(value: Any, what: str, first: frozenset[type], second: frozenset[type]
         ) -> tuple[tuple[Any, Any], ...]:
    """Pairs (lists of two) whose items have these types, as tuples: checked with maps over
    the whole list, as they run for every link and dependency of every page."""
    items = as_list(value)
    if not items:
        return ()
    if set(map(type, items)) == {list} and set(map(len, items)) == {2}:
        firsts, seconds = zip(*items, strict=True)
        if set(map(type, firsts)) <= first and set(map(type, seconds)) <= second:
            return tuple(zip(firsts, seconds, strict=True))
    raise Invalid(f"expected pairs of {what}")


_TEXT: frozenset[type] = frozenset({str})
_TEXT_OR_NULL: frozenset[type] = frozenset({str, type(None)})
_LINE: frozenset[type] = frozenset({int, type(None)})


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """Pairs of texts."""
    return _two(value, "texts", _TEXT, _TEXT)


def _link_deps(value: Any) -> tuple[tuple[str, str | None], ...]:
    """(target, URL or None) pairs."""
    return _two(value, "a text and a text or null", _TEXT, _TEXT_OR_NULL)


def _warnings(value: Any) -> tuple[tuple[int | None, str], ...]:
    """(line or None, message) pairs."""
    return _two(value, "a line and a message", _LINE, _TEXT)


def content_from_data(data: Any) -> ContentRecord:
    """A rendered body stored by content_to_data (texts empty: the ContentStore has them)."""
    file_hash, fields_data = as_list(data, 2)
    d = as_dict(fields_data)
    return as_text(file_hash), Content(
        html="", summary="", toc="", word_count=as_int(d["word_count"]),
        refs=_refs(d["refs"]), link_deps=_link_deps(d["link_deps"]),
        body_fp=as_text(d["body_fp"]), summary_fp=as_text(d["summary_fp"]),
        template_deps=_pairs(d["template_deps"]), ids=frozenset(texts(d["ids"])),
        warnings=_warnings(d["warnings"]), file_deps=_pairs(d["file_deps"]),
    )


def unstored_content_fields() -> set[str]:
    """Fields of Content that neither the state nor the ContentStore keeps (must be none)."""
    return {f.name for f in fields(Content)} - set(CONTENT_FIELDS) - set(CONTENT_TEXTS)


# --- dependency keys and output records ------------------------------------------------------

#: Key kinds whose argument is a file's path (stored relative to the site).
_PATH_KINDS = frozenset({"file"})


def _arity(kind: str) -> tuple[int, int]:
    """How many arguments a key of this kind may have (the fingerprint's parameters)."""
    params = list(inspect.signature(FINGERPRINTS[kind]).parameters.values())[1:]
    required = sum(p.default is inspect.Parameter.empty for p in params)
    return required, len(params)


def key_to_data(key: Key, paths: Paths) -> list[str]:
    """A dependency key as data."""
    if key[0] in _PATH_KINDS:
        return [key[0], paths.to_data(key[1])]
    if key[0] == "derived":  # (dest, source's path, stored name)
        return [key[0], key[1], paths.to_data(key[2]), *key[3:]]
    return list(key)


def key_from_data(data: Any, paths: Paths, arities: dict[str, tuple[int, int]]) -> Key:
    """A dependency key stored by key_to_data; only known kinds with their arguments."""
    parts = texts(data)
    if not parts or parts[0] not in FINGERPRINTS:
        raise Invalid("unknown dependency key")
    kind = parts[0]
    if kind not in arities:
        arities[kind] = _arity(kind)
    low, high = arities[kind]
    if not low <= len(parts) - 1 <= high:
        raise Invalid(f"dependency key {kind!r} with {len(parts) - 1} arguments")
    if kind in _PATH_KINDS:
        return (kind, paths.from_data(parts[1]))
    if kind == "derived":
        return (kind, parts[1], paths.from_data(parts[2]), *parts[3:])
    return tuple(parts)


def output_state_to_data(state: OutputState, paths: Paths, stored: StoredOutputs | None = None
                         ) -> Fields:
    """What an output folder holds; keys are stored once and named by their index. Its
    records are made as they are written (`ssg.incremental.pieces`), then the keys they named.

    With `stored` (what the folder's records were read from), a record still equal to the
    one read is written back as it was read, when the keys read keep their places: they do,
    since a build only adds keys after them.
    """
    index = {key: position for position, key in enumerate(state.key_fps)}
    if stored is not None and not (len(index) >= len(stored.keys) and all(
            a is b or a == b
            for a, b in zip(islice(state.key_fps, len(stored.keys)), stored.keys, strict=True))):
        stored = None
    kept = stored.records if stored is not None else {}
    known = len(stored.keys) if stored is not None else 0

    def records() -> Iterator[tuple[str, Any]]:
        for dest, record in state.outputs.items():
            same = _as_stored(record, kept.get(dest))
            if same is not None:
                yield dest, same
                continue
            data_hash, keys = record
            try:  # nearly every key an output read has its fingerprint kept: indexed already
                positions = [index[key] for key in keys]
            except KeyError:
                for key in keys:
                    index.setdefault(key, len(index))
                positions = [index[key] for key in keys]
            yield dest, [data_hash, positions]

    return Fields({
        "build_id": state.build_id, "config_fp": state.config_fp,
        "outputs": Members(records()),
        # After the records: those may have indexed keys that have no fingerprint.
        "keys": Later(lambda: [*(stored.keys_data if stored is not None else ()),
                               *(key_to_data(key, paths) for key in islice(index, known, None))]),
        "key_fps": Later(lambda: [[index[key], fp] for key, fp in state.key_fps.items()]),
        # Of each search record only what every build reads: its texts are in the SQLite
        # file (ssg.incremental.state.save_search_texts).
        "search": Members((dest, [record["url"], record["length"], record["fp"]])
                          for dest, record in state.search.items()),
    })


def output_state_from_data(data: Any, paths: Paths, stored: dict[str, StoredOutputs] | None = None,
                           folder: str = "", *, texts: RecordTexts) -> OutputState:
    """What an output folder holds, stored by output_state_to_data (and, into `stored`, the
    data of each record read); its search records read their texts through `texts`."""
    d = as_dict(data)
    arities: dict[str, tuple[int, int]] = {}
    keys_data = as_list(d["keys"])
    keys = [key_from_data(k, paths, arities) for k in keys_data]

    def key_at(i: Any) -> Key:
        position = as_int(i)
        if not 0 <= position < len(keys):
            raise Invalid("no such key")
        return keys[position]

    key_of = keys.__getitem__

    def record(value: Any) -> OutputRecord:
        data_hash, key_list = as_list(value, 2)
        # Checked as a whole (this runs for every key of every output): whole numbers only
        # (bool is a subclass of int, its type is not int), each naming a stored key (one
        # past the end raises IndexError: Invalid below).
        positions = as_list(key_list)
        if positions and (not set(map(type, positions)) <= {int} or min(positions) < 0):
            raise Invalid("no such key")
        return as_text(data_hash), tuple(map(key_of, positions))

    key_fps = {}
    for item in as_list(d["key_fps"]):
        position, fp = as_list(item, 2)
        key_fps[key_at(position)] = as_text(fp)
    try:
        outputs = {as_dest(dest): record(value) for dest, value in as_dict(d["outputs"]).items()}
    except IndexError:
        raise Invalid("no such key") from None
    search: dict[str, SearchRecord] = {
        as_dest(dest): stored_record_from_data(value, texts)
        for dest, value in as_dict(d["search"]).items()}
    if stored is not None:
        stored[folder] = StoredOutputs(keys, keys_data, {
            dest: (outputs[dest], value) for dest, value in d["outputs"].items()})
    return OutputState(build_id=as_text(d["build_id"]), config_fp=as_text(d["config_fp"]),
                       outputs=outputs, key_fps=key_fps, search=search)


def stored_record_from_data(data: Any, texts: RecordTexts) -> StoredRecord:
    """A page's search record as the state keeps it: [url, length, fp]; its texts are checked
    against the fp when they are read (ssg.incremental.state.SearchTexts)."""
    url, length, fp = as_list(data, 3)
    if type(url) is not str or type(length) is not int or type(fp) is not str or length < 0:
        raise Invalid("a search record with values of other types")
    return StoredRecord(url, length, fp, texts)


# --- the link report ----------------------------------------------------------------------

def links_to_data(memo: LinkMemo) -> dict[str, Any]:
    """The last link report's findings."""
    return {"site_fp": memo.site_fp, "pages": {
        src: [page.fp, [list(pair) for pair in page.targets],
              [list(problem) for problem in page.problems]]
        for src, page in memo.pages.items()}}


def _page_links(value: Any) -> PageLinks:
    fp, targets, problems = as_list(value, 3)
    return PageLinks(as_text(fp), _pairs(targets),
                     tuple(each(problems, _link_problem)))


def _link_problem(value: Any) -> tuple[int | None, str, str]:
    line, message, kind = as_list(value, 3)
    return as_opt_int(line), as_text(message), as_text(kind)


def links_from_data(data: Any) -> LinkMemo:
    """The findings stored by links_to_data."""
    d = as_dict(data)
    return LinkMemo(as_text(d["site_fp"]), mapping(d["pages"], _page_links))


# --- file hashes -----------------------------------------------------------------------------

def file_to_data(record: FileRecord) -> list[Any]:
    """A file's stat signature and content hash."""
    (mtime_ns, size, inode), file_hash = record
    return [mtime_ns, size, inode, file_hash]


def file_from_data(data: Any) -> FileRecord:
    """A file record stored by file_to_data."""
    mtime_ns, size, inode, file_hash = as_list(data, 4)
    return (as_int(mtime_ns), as_int(size), as_int(inode)), as_text(file_hash)


# --- the whole state -------------------------------------------------------------------------

def state_to_data(state: BuildState, paths: Paths, version: str) -> Fields:
    """Everything one build leaves for the next, as data, made while it is written
    (`ssg.incremental.pieces`; `plain` makes it whole). A document whose front matter holds a
    value that cannot be stored is left out (it is parsed again)."""
    stored = state.stored or Stored()

    def docs() -> Iterator[tuple[str, Any]]:
        for src, record in state.docs.items():
            same = _as_stored(record, stored.docs.get(src))
            if same is not None:
                yield src, same
                continue
            try:
                yield src, document_to_data(record)
            except Unencodable:
                continue

    def contents() -> Iterator[tuple[str, Any]]:
        for src, content in state.contents.items():
            same = _as_stored(content, stored.contents.get(src))
            yield src, content_to_data(content) if same is None else same

    return Fields({
        "format": FORMAT, "version": version, "started_ns": state.started_ns,
        "files": Members((paths.to_data(path), file_to_data(r))
                         for path, r in state.files.items()),
        "parse_key": state.parse_key, "docs": Members(docs()),
        "markdown_key": state.markdown_key,
        "contents": Members(contents()),
        "outputs": Members((paths.to_data(folder),
                            output_state_to_data(o, paths, stored.outputs.get(folder)))
                           for folder, o in state.outputs.items()),
        "links": links_to_data(state.links),
    })


def stored_version(data: Any) -> tuple[Any, Any]:
    """(format, version) of stored state data, to tell a foreign cache from a broken one."""
    if not isinstance(data, dict):
        return None, None
    return data.get("format"), data.get("version")


def state_from_data(data: Any, paths: Paths, texts: RecordTexts) -> BuildState:
    """The state stored by state_to_data (check its format and version first); it keeps
    the data each record was read from, to write it back unchanged. Its search records read
    their texts through `texts`."""
    d = as_dict(data)
    started_ns = as_int(d["started_ns"])
    stored = Stored()
    docs = {}
    for src, value in as_dict(d["docs"]).items():
        record = docs[as_text(src)] = document_from_data(value)
        stored.docs[src] = (record, value)
    contents = {}
    for src, value in as_dict(d["contents"]).items():
        content = contents[as_text(src)] = content_from_data(value)
        stored.contents[src] = (content, value)
    outputs = {}
    for folder, value in as_dict(d["outputs"]).items():
        path = paths.from_data(folder)
        outputs[path] = output_state_from_data(value, paths, stored.outputs, path, texts=texts)
    return BuildState(
        started_ns=started_ns,
        files={paths.from_data(k): file_from_data(v) for k, v in as_dict(d["files"]).items()},
        parse_key=as_text(d["parse_key"]), docs=docs,
        markdown_key=as_text(d["markdown_key"]), contents=contents, outputs=outputs,
        links=links_from_data(d["links"]), stored=stored,
    )
