"""Discover source files and parse them into documents: front matter plus Markdown body."""

from __future__ import annotations

import difflib
import fnmatch
import logging
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml

from ssg.config import Config
from ssg.errors import ContentError, SsgError, raise_all
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

#: File name endings of Markdown pages, compared without regard to case.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn")
#: The section front file, `_index.md` (any Markdown ending); the links to it use this name.
SECTION_FILE = "_index.md"
#: Stems of a folder's index page, in order of preference after `_index`: `index.md` (a page
#: bundle when the folder holds no other Markdown) and `README.md` (any case, as on GitHub).
_FRONT_STEMS = ("_index", "index", "readme")
MORE_MARKER = "<!-- more -->"
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_IGNORED_NAME = re.compile(r"(^\.|~$|\.sw[a-p]$|^4913$|^#.*#$)")
#: A date at the start of a file name, Jekyll's and Zola's `2021-03-04-title.md`.
_NAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_](?=.)")


@dataclass(frozen=True)
class SourceFile:
    """A file under content/: where it is on disk and where it sits in the site."""

    #: Absolute path on disk.
    src_path: Path
    #: Path relative to content/, POSIX style: `posts/hello.md`.
    rel: PurePosixPath
    #: What the file is to its folder: "page", "bundle" (a page bundle's index file: the page
    #: takes the folder's name and its files), "section" (the folder's front file) or "asset".
    role: Literal["page", "bundle", "section", "asset"] = "page"

    @cached_property
    def src(self) -> str:
        """The relative path as a string, the source's identity: `posts/hello.md`."""
        return self.rel.as_posix()

    @cached_property
    def display(self) -> str:
        """How messages name the file: `content/posts/hello.md`."""
        return f"content/{self.src}"


@dataclass(frozen=True)
class Sources:
    """Every input under content/, sorted, classified by what the build does with it."""

    #: Markdown pages (including page bundles' index.md).
    pages: tuple[SourceFile, ...]
    #: Section front files (`_index.md`, else `index.md` or `README.md` of a folder that holds
    #: other Markdown files), the home page's among them.
    section_files: tuple[SourceFile, ...]
    #: Every section folder, relative to content/ ("" is the home page).
    section_dirs: tuple[str, ...]
    #: Non-Markdown files, copied beside their page or section.
    assets: tuple[SourceFile, ...]


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


def _ignored(name: str) -> bool:
    return bool(_IGNORED_NAME.search(name))


def is_markdown(name: str) -> bool:
    """True for a Markdown file name: `a.md`, `a.markdown`, `A.MD`, ... (see MARKDOWN_SUFFIXES)."""
    lower = name.lower()
    return lower.endswith(MARKDOWN_SUFFIXES) and lower not in MARKDOWN_SUFFIXES


def markdown_stem(name: str) -> str:
    """The name without its Markdown ending: `c++.md` -> `c++`, `notes.markdown` -> `notes`."""
    lower = name.lower()
    for suffix in MARKDOWN_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _front_file(filenames: list[str]) -> str | None:
    """The folder's front file: `_index.md`, else `index.md`, else `README.md`."""
    for stem in _FRONT_STEMS:
        for name in filenames:
            found = markdown_stem(name)
            if is_markdown(name) and (found.lower() if stem == "readme" else found) == stem:
                return name
    return None


def split_name_date(stem: str) -> tuple[datetime | None, str]:
    """A name's leading date and the rest: `2021-03-04-dated` -> (2021-03-04, `dated`)."""
    match = _NAME_DATE.match(stem)
    if match is None:
        return None, stem
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:  # 2021-02-30: not a date, so part of the name
        return None, stem
    return to_datetime(day), stem[match.end():]


def discover(config: Config) -> Sources:
    """Walk content/ and sort its files into pages, section files and assets.

    Every Markdown file is a page or a section's front file. A folder whose front file is
    `index.md` (or `README.md`) and that holds no other Markdown, at any depth, is a page
    bundle: one page, with the folder's other files beside it. Any other folder is a section.
    """
    root = config.content_dir
    if not root.is_dir():
        raise ContentError("no content/ folder in the site", path=config.site_dir)
    errors: list[SsgError] = []

    def skip(name: str, rel: str) -> bool:
        if _ignored(name) or _excluded(config, rel):
            return True
        if not _utf8(name):
            errors.append(ContentError("file name is not UTF-8; rename it",
                                       path=_printable(f"content/{rel}")))
            return True
        return False

    folders = list(walk(root, "content", config.site_dir, skip))
    raise_all(errors)
    fronts = {rel_dir: _front_file(filenames) for rel_dir, _here, filenames in folders}
    # Folders holding Markdown other than their own front file, in them or at any depth below.
    with_pages: set[str] = set()
    for rel_dir, _here, filenames in folders:
        markdown = [name for name in filenames if is_markdown(name)]
        parts = rel_dir.split("/") if rel_dir else []
        if markdown:
            with_pages.update("/".join(parts[:n]) for n in range(len(parts)))
        if any(name != fronts[rel_dir] for name in markdown):
            with_pages.add(rel_dir)
    pages: list[SourceFile] = []
    section_files: list[SourceFile] = []
    section_dirs: list[str] = []
    assets: list[SourceFile] = []
    bundled: set[str] = set()  # bundle folders and every folder inside one
    for rel_dir, here, filenames in folders:  # parents come before their subfolders
        in_bundle = bool(rel_dir) and (rel_dir.rpartition("/")[0] in bundled)
        front = None if in_bundle else fronts[rel_dir]
        bundle = (front is not None and rel_dir != "" and rel_dir not in with_pages
                  and not markdown_stem(front).startswith("_"))
        if bundle or in_bundle:
            bundled.add(rel_dir)
        else:
            section_dirs.append(rel_dir)
        for name in filenames:
            rel = PurePosixPath(rel_dir, name) if rel_dir else PurePosixPath(name)
            if name == front:
                source = SourceFile(here / name, rel, "bundle" if bundle else "section")
                (pages if bundle else section_files).append(source)
            elif is_markdown(name) and not in_bundle:
                pages.append(SourceFile(here / name, rel))
            else:
                assets.append(SourceFile(here / name, rel, "asset"))
    return Sources(
        pages=tuple(sorted(pages, key=lambda s: s.rel)),
        section_files=tuple(sorted(section_files, key=lambda s: s.rel)),
        section_dirs=tuple(sorted(section_dirs)),
        assets=tuple(sorted(assets, key=lambda s: s.rel)),
    )


def walk(root: Path, label: str, boundary: Path, skip: Callable[[str, str], bool]
         ) -> Iterator[tuple[str, Path, list[str]]]:
    """Walk a folder parents first, sorted by name, without recursion (any depth works).

    Yields (folder relative to root, its path, its file names). `skip(name, rel)` leaves
    entries out. Symlinks are followed only when they point inside `boundary`, and a folder
    link that would loop is not; each skipped link, and anything that is neither a file nor
    a folder (a pipe, a socket), gets a warning naming it as `label/rel`.
    """
    boundary = boundary.resolve()
    top = root.resolve()
    stack: list[tuple[str, Path, Path, frozenset[Path]]] = [("", root, top, frozenset([top]))]
    while stack:
        rel_dir, here, real, chain = stack.pop()
        try:
            with os.scandir(here) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            where = f"{label}/{rel_dir}" if rel_dir else label
            raise ContentError(f"cannot read folder: {exc.strerror}",
                               path=_printable(where)) from exc
        filenames: list[str] = []
        children: list[tuple[str, Path, Path, frozenset[Path]]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if skip(entry.name, rel):
                continue
            shown = _printable(f"{label}/{rel}")
            if entry.is_symlink():
                try:
                    target = Path(entry.path).resolve(strict=True)
                except (OSError, RuntimeError):
                    log.warning("%s: broken or looping symlink, skipped", shown)
                    continue
                if not target.is_relative_to(boundary):
                    log.warning("%s: symlink points outside the site (to %s), skipped", shown,
                                target)
                    continue
                is_dir, is_file = target.is_dir(), target.is_file()
                if is_dir and (target in chain or real.is_relative_to(target)):
                    log.warning("%s: symlink to a folder it is in (a loop), skipped", shown)
                    continue
            else:
                is_dir, is_file = entry.is_dir(), entry.is_file()
                target = real / entry.name if is_dir else real
            if is_dir:
                children.append((rel, Path(entry.path), target, chain | {target}))
            elif is_file:
                filenames.append(entry.name)
            else:
                log.warning("%s: not a regular file or folder, skipped", shown)
        yield rel_dir, here, filenames
        stack.extend(reversed(children))


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.listdir gives undecodable bytes as lone surrogates
        return False
    return True


def _printable(text: str) -> str:
    """A path for messages, with bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _excluded(config: Config, rel: str) -> bool:
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in config.exclude)


# --- parsing ------------------------------------------------------------------------------

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


def parse_yaml(text: str) -> Any:
    """Parse YAML with the safe loader (the C one where available); a value its tag cannot
    make (`!!int x`) is a YAMLError like any other."""
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
        try:
            data = parse_yaml(text)
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
    "aliases": _text_list, "extra": _mapping,
}
_FRONT_KEYS = tuple(_FRONT_CHECKS)


def check_front_matter(
    data: dict[str, Any], taxonomies: tuple[str, ...], display: str, front_text: str
) -> FrontMatter:
    """Check the type of every key and build a FrontMatter; all problems are reported."""
    errors: list[SsgError] = []
    values: dict[str, Any] = {}
    terms: dict[str, tuple[str, ...]] = {}
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


def parse(source: SourceFile, taxonomies: tuple[str, ...], data: bytes) -> Document:
    """Parse one Markdown source's bytes and check its front matter."""
    text = decode(source, data)
    kind, front_text, body, body_line = split_front_matter(text, source.display)
    front_data = parse_front_matter(kind, front_text, source.display)
    front = check_front_matter(front_data, taxonomies, source.display, front_text)
    if front.date is None:
        named = split_name_date(page_stem(source))[0]
        if named is not None:
            front = replace(front, date=named)
    return Document(source=source, front=front, body=body, body_line=body_line,
                    heading=first_heading(body))


def page_stem(source: SourceFile) -> str:
    """The name a page is known by: its file's stem, or its bundle's folder name."""
    if source.role == "bundle":
        return source.rel.parent.name
    return markdown_stem(source.rel.name)


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
