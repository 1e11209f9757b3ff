"""Parse each source into a document: checked front matter plus the Markdown body."""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

import yaml

from ssg.errors import ContentError, SsgError, raise_all
from ssg.stages.discover import SourceFile, Sources, page_stem, split_name_date
from ssg.utils import is_unsafe_segment, slugify, to_datetime

log = logging.getLogger("ssg")


try:  # the C loader is ten times faster; fall back where libyaml is missing
    _SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _SafeLoader = yaml.SafeLoader


def _timestamp_or_text(loader: Any, node: yaml.ScalarNode) -> Any:
    """A date that does not exist (2024-02-30) stays text, for the checks to report."""
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_YamlLoader: Any = type("_YamlLoader", (_SafeLoader,), {})
_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


#: Front matter and data nested deeper than this are refused (and would overflow the stack).
MAX_NESTING = 100
MORE_MARKER = "<!-- more -->"
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class FrontMatter:
    """The checked front matter of one page or section."""

    title: str | None = None
    date: datetime | None = None
    updated: datetime | None = None
    #: After this moment the page is left out (unless built with --expired).
    expires: datetime | None = None
    draft: bool = False
    slug: str | None = None
    url: str | None = None
    template: str | None = None
    summary: str | None = None
    weight: int = 0
    aliases: tuple[str, ...] = ()
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Menus the page is an entry of (`menu: main`), by name.
    menu: tuple[str, ...] = ()
    #: The page's image for link previews (Open Graph), a path or URL.
    image: str | None = None
    #: Links translations of one page in a multilingual site (by default: their path).
    translation_key: str | None = None


@dataclass(frozen=True)
class Document:
    """A parsed source: its front matter and its Markdown body."""

    source: SourceFile
    front: FrontMatter
    #: Markdown text after the front matter; None when restored from the cache without it
    #: (`parse` the file again to render it).
    body: str | None
    #: File line number of the body's first line (for messages).
    body_line: int
    #: Text of the first `# heading` of the body, the title when front matter has none.
    heading: str | None = None


def read_bytes(source: SourceFile) -> bytes:
    """The raw bytes of a source file."""
    try:
        return source.src_path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", path=source.display) from exc


def decode(source: SourceFile, data: bytes) -> str:
    """Decode a source as UTF-8 (a BOM is dropped, CRLF becomes LF)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            path=source.display, line=line,
        ) from exc
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text: str, display: str) -> tuple[str, str, str, int]:
    """Split text into (format, front matter, body, body's first line); format is '' if none."""
    for fence, kind in (("---", "yaml"), ("+++", "toml")):
        if text == fence or text.startswith(fence + "\n"):
            end = re.search(rf"^{re.escape(fence)}[ \t]*$", text[4:], re.MULTILINE)
            if end is None:
                raise ContentError(
                    f"front matter opened with '{fence}' is never closed", path=display, line=1
                )
            front = text[4 : 4 + end.start()]
            rest = text[4 + end.end() :]
            body_line = 2 + front.count("\n") + 1
            if rest.startswith("\n"):
                rest = rest[1:]
            return kind, front, rest, body_line
    return "", "", text, 1


#: A line of the simplest front matter: `key: "text"` (with no escape but `\"`), `key: [word,
#: word]`, `key: 2024-01-02` (or a time in UTC), `key: true`, `key: 12`, with nothing YAML
#: could read another way (no bool words as keys or list items).
_SIMPLE_LINE = re.compile(
    r'([A-Za-z][A-Za-z0-9_-]*): '
    r'(?:"((?:[^"\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]|\\")*)"'
    r"|\[((?:[a-z][a-z0-9-]*, )*[a-z][a-z0-9-]*)?\]"
    r"|(\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\dZ)?)|(true|false)|(0|[1-9][0-9]{0,17}))")
#: Plain words that YAML 1.1 reads as booleans or null, not as text.
_YAML_WORDS = frozenset(("yes", "no", "true", "false", "on", "off", "null"))
_TIMESTAMPS = yaml.constructor.SafeConstructor()


def _simple_yaml(text: str) -> dict[str, Any] | None:
    """The mapping of front matter made only of `_SIMPLE_LINE`s, exactly as the YAML loader
    reads it but without its per-node work; None for anything else (the loader reads it)."""
    data: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line:
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, quoted, words, stamp, flag, number = match.groups()
        if key.casefold() in _YAML_WORDS:
            return None
        if quoted is not None:
            data[key] = quoted.replace('\\"', '"')
        elif flag is not None:
            data[key] = flag == "true"
        elif number is not None:
            data[key] = int(number)
        elif stamp is not None:
            node = yaml.ScalarNode("tag:yaml.org,2002:timestamp", stamp)
            try:
                data[key] = _TIMESTAMPS.construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                data[key] = stamp
        else:
            items = words.split(", ") if words else []
            if not _YAML_WORDS.isdisjoint(items):
                return None
            data[key] = items
    return data or None


def parse_yaml(text: str) -> Any:
    """Parse YAML with the safe loader (the C one where available); a value its tag cannot
    make (`!!int x`) is a YAMLError like any other."""
    simple = _simple_yaml(text)
    return simple if simple is not None else _load_yaml(text)


def _load_yaml(text: str) -> Any:
    """`parse_yaml` by the loader alone (for text the simple reader turned down)."""
    try:
        return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a safe loader
    except (ValueError, TypeError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(problem=f"cannot read a value: {exc}") from exc


def nesting(value: Any, limit: int = MAX_NESTING) -> int:
    """How deeply lists and tables nest in a value (counting stops past `limit`)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_front_matter(kind: str, text: str, display: str) -> dict[str, Any]:
    """Parse a YAML or TOML block; errors carry the file's own line number."""
    if not text.strip():
        return {}
    too_deep = ContentError(f"front matter is nested more than {MAX_NESTING} levels deep",
                            path=display, line=2)
    if kind == "toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
            line = int(match.group(1)) + 1 if match else 1
            message = str(exc)[: match.start()].strip() if match else str(exc)
            raise ContentError(f"invalid TOML front matter: {message}", path=display,
                               line=line) from exc
        except RecursionError:
            raise too_deep from None
    else:
        simple = _simple_yaml(text)
        if simple is not None:
            return simple  # scalars and lists of words: nested two levels at most
        try:
            data = _load_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ContentError(f"invalid YAML front matter: {problem}", path=display,
                               line=mark.line + 2 if mark is not None else None) from exc
        except RecursionError:
            raise too_deep from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(
            f"front matter must be a mapping of keys to values, not {type(data).__name__}",
            path=display, line=2,
        )
    if nesting(data) > MAX_NESTING:
        raise too_deep
    return data


class _Invalid(Exception):
    """A front matter value of the wrong type or form; the message says what it must be."""


def _text(key: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key in (
            "title", "slug"):
        return str(value)
    if not isinstance(value, str):
        raise _Invalid(f"'{key}' must be text, not {_describe(value)}")
    return value


def _date(key: str, value: Any) -> datetime:
    parsed = _to_date(value)
    if parsed is None:
        raise _Invalid(f"'{key}' must be a date like 2024-05-01 or 2024-05-01T10:30:00Z, "
                       f"not {value!r}")
    return parsed


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"'{key}' must be true or false, not {value!r}")
    return value


def _whole_number(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(f"'{key}' must be a whole number, not {value!r}")
    return value


def _text_list(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
            isinstance(i, (str, int)) and not isinstance(i, bool) for i in items):
        raise _Invalid(f"'{key}' must be a list of text, not {_describe(value)}")
    return tuple(str(i) for i in items)


def _terms(key: str, value: Any) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(i.strip() for i in _text_list(key, value) if i.strip()))
    unusable = [n for n in names if not slugify(n) and ("/" in n or is_unsafe_segment(n))]
    if unusable:
        raise _Invalid(f"'{key}' value {unusable[0]!r} cannot be made into a URL; "
                       "use letters or digits")
    return names


def _mapping(key: str, value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"'{key}' must be a mapping, not {_describe(value)}")
    return dict(value)


#: The check of each front matter key: it returns the value FrontMatter gets, or raises.
_FRONT_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "title": _text, "date": _date, "updated": _date, "expires": _date, "draft": _flag,
    "slug": _text, "url": _text, "template": _text, "summary": _text, "weight": _whole_number,
    "aliases": _text_list, "extra": _mapping, "menu": _text_list, "image": _text,
    "translation_key": _text,
}


_FRONT_KEYS = tuple(_FRONT_CHECKS)


def check_front_matter(
    data: dict[str, Any], taxonomies: tuple[str, ...], display: str, front_text: str
) -> FrontMatter:
    """Check the type of every key and build a FrontMatter; all problems are reported."""
    errors: list[SsgError] = []
    values: dict[str, Any] = {}
    terms: dict[str, tuple[str, ...]] = {}
    dates = data.get("date")
    if isinstance(dates, dict) and "created" in dates:  # Material for MkDocs' blog posts
        data = {**data, "date": dates["created"]}
        if "updated" in dates and "updated" not in data:
            data["updated"] = dates["updated"]
    for key, value in data.items():
        key = str(key)
        check = _FRONT_CHECKS.get(key)
        if check is None and key not in taxonomies:
            hint = difflib.get_close_matches(key, _FRONT_KEYS + taxonomies, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            log.warning("%s:%s: unknown front matter key '%s'%s", display,
                        _key_line(front_text, key), key, suggestion)
            continue
        try:
            if check is None:
                terms[key] = _terms(key, value)
            else:
                values[key] = check(key, value)
        except _Invalid as exc:
            errors.append(ContentError(str(exc), path=display, line=_key_line(front_text, key)))
    raise_all(errors)
    return FrontMatter(terms=terms, **values)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _key_line(front_text: str, key: str) -> int:
    match = re.search(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*[:=]", front_text, re.MULTILINE)
    if match is None:
        return 2
    return front_text.count("\n", 0, match.start()) + 2


def _to_date(value: Any) -> datetime | None:
    if isinstance(value, (date, datetime)):
        return to_datetime(value)
    if isinstance(value, str):
        try:
            return to_datetime(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _meta_to_extra(data: dict[str, Any], keys: tuple[str, ...], taxonomies: tuple[str, ...]
                   ) -> dict[str, Any]:
    """Front matter with the keys named by `front_matter_extra` moved into `extra`."""
    every = "*" in keys
    moved = {k: v for k, v in data.items() if k != "extra" and (
        k in keys or (every and k not in _FRONT_CHECKS and k not in taxonomies))}
    if not moved:
        return data
    extra = data.get("extra")
    kept = {k: v for k, v in data.items() if k not in moved}
    kept["extra"] = {**moved, **extra} if isinstance(extra, dict) else (
        moved if extra is None else extra)
    return kept


def parse(source: SourceFile, taxonomies: tuple[str, ...], data: bytes) -> Document:
    """Parse one Markdown source's bytes and check its front matter."""
    text = decode(source, data)
    kind, front_text, body, body_line = split_front_matter(text, source.display)
    front_data = parse_front_matter(kind, front_text, source.display)
    if source.defaults:
        front_data = {**dict(source.defaults), **front_data}
    if source.meta_keys:
        front_data = _meta_to_extra(front_data, source.meta_keys, taxonomies)
    front = check_front_matter(front_data, taxonomies, source.display, front_text)
    if front.date is None:
        named = split_name_date(page_stem(source))[0]
        if named is not None:
            front = replace(front, date=named)
    return Document(source=source, front=front, body=body, body_line=body_line,
                    heading=first_heading(body))


_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


def first_heading(body: str) -> str | None:
    """The text of the body's first `# heading`, not counting lines inside code fences."""
    match = _HEADING.search(body)
    if match is None:
        return None
    before = body[: match.start()]
    if "```" not in before and "~~~" not in before:
        return match.group(1).strip()
    fence = ""
    for line in body.split("\n"):
        if fence:
            if line.lstrip().startswith(fence):
                fence = ""
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            continue
        match = _HEADING.match(line)
        if match:
            return match.group(1).strip()
    return None


# --- every source, taking what an earlier build parsed ------------------------------

class KnownDocuments(Protocol):
    """What earlier builds parsed (see ssg.incremental.reuse)."""

    def document(self, source: SourceFile, data: bytes | None = None) -> Document | None:
        """The document an earlier build parsed from `source` as it is now (its body may be
        left out), or None. Without `data` it answers only when the file is known unchanged
        without reading it."""


def parse_sources(sources: Sources, taxonomies: tuple[str, ...], known: KnownDocuments
                  ) -> tuple[list[Document], list[Document]]:
    """(pages, section files) parsed, or taken from `known` when their bytes are unchanged.

    Every unreadable or invalid file is reported, all at once.
    """
    errors: list[SsgError] = []
    parsed: tuple[list[Document], list[Document]] = ([], [])
    for bucket, files in zip(parsed, (sources.pages, sources.section_files), strict=True):
        for source in files:
            try:
                bucket.append(_parse_one(source, taxonomies, known))
            except SsgError as exc:
                errors.extend(exc.errors if hasattr(exc, "errors") else [exc])
    raise_all(errors)
    return parsed


def _parse_one(source: SourceFile, taxonomies: tuple[str, ...], known: KnownDocuments
               ) -> Document:
    doc = known.document(source)
    if doc is None:
        data = read_bytes(source)
        doc = known.document(source, data) or parse(source, taxonomies, data)
    return doc
