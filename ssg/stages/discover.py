"""Discover the sources: walk content/ and sort its files into pages, section files and assets."""

from __future__ import annotations

import fnmatch
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from ssg.config import Config, gitignore_spec
from ssg.errors import ContentError, SsgError, raise_all
from ssg.stages.languages import Languages
from ssg.utils import to_datetime

log = logging.getLogger("ssg")

#: File name endings of Markdown pages, compared without regard to case.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn")
#: The section front file, `_index.md` (any Markdown ending); the links to it use this name.
SECTION_FILE = "_index.md"
#: Stems of a folder's index page, in order of preference after `_index`: `index.md` (a page
#: bundle when the folder holds no other Markdown) and `README.md` (any case, as on GitHub).
_FRONT_STEMS = ("_index", "index", "readme")
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
    #: The content folder as messages name it: `content`, or an MkDocs site's `docs`.
    root: str = "content"
    #: Front matter from the config's `[[front_matter]]` for this file (its own wins).
    defaults: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    #: Front matter keys kept in `extra` unread ("*": every key ssg does not know).
    meta_keys: tuple[str, ...] = field(default=(), compare=False)

    @cached_property
    def src(self) -> str:
        """The relative path as a string, the source's identity: `posts/hello.md`."""
        return self.rel.as_posix()

    @cached_property
    def display(self) -> str:
        """How messages name the file: `content/posts/hello.md`."""
        return f"{self.root}/{self.src}"


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


def _ignored(name: str) -> bool:
    return bool(_IGNORED_NAME.search(name))


def _hidden_markdown(name: str) -> bool:
    """A Markdown file hidden by its leading dot (`..md`, `.draft.md`), not an editor's or
    macOS's own file (`.#a.md`, `._a.md`)."""
    return (name.startswith(".") and name.lower().endswith(MARKDOWN_SUFFIXES)
            and not name.startswith((".#", "._")))


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


def _front_file(filenames: list[str], neutral: Callable[[str], str] = str) -> str | None:
    """The folder's front file: `_index.md`, else `index.md`, else `README.md` (`neutral`
    takes a translation's language out of its name: `_index.fr.md` is `_index.md` too)."""
    for stem in _FRONT_STEMS:
        for name in map(neutral, filenames):
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
        raise ContentError(f"no {config.content_folder}/ folder in the site",
                           path=config.site_dir)
    errors: list[SsgError] = []
    label = config.content_folder
    ignore = gitignore_spec(config.ignore) if config.ignore else None

    def skip(name: str, rel: str) -> bool:
        if ignore is not None and (ignore.match_file(rel) or (
                ignore.match_file(rel + "/") and (root / rel).is_dir())):
            return True
        if _excluded(config, rel):
            return True
        if _ignored(name):
            if _hidden_markdown(name):  # nothing a user wrote disappears without a word
                log.warning("%s: skipped: a name starting with '.' is hidden; rename the file "
                            "to publish it", _printable(f"{label}/{rel}"))
            return True
        if not _utf8(name):
            errors.append(ContentError("file name is not UTF-8; rename it",
                                       path=_printable(f"{label}/{rel}")))
            return True
        return False

    folders = list(walk(root, label, config.site_dir, skip))
    raise_all(errors)
    languages = Languages.of(config)
    neutral_names: dict[str, str] = {}
    for rel_dir, _here, filenames in folders:
        for name in filenames:
            if is_markdown(name) and languages.multilingual:
                try:
                    neutral_names[name] = languages.split_name(
                        name, _printable(f"{label}/{rel_dir}/{name}".replace("//", "/")))[0]
                except SsgError as exc:
                    errors.append(exc)
    raise_all(errors)

    def neutral(name: str) -> str:
        return neutral_names.get(name, name)

    fronts = {rel_dir: _front_file(filenames, neutral) for rel_dir, _here, filenames in folders}
    with_pages = _folders_with_pages(folders, fronts, neutral)
    pages: list[SourceFile] = []
    section_files: list[SourceFile] = []
    section_dirs: list[str] = []
    assets: list[SourceFile] = []
    bundled: set[str] = set()  # bundle folders and every folder inside one
    for rel_dir, here, filenames in folders:  # parents come before their subfolders
        in_bundle = bool(rel_dir) and (rel_dir.rpartition("/")[0] in bundled)
        front = None if in_bundle else fronts[rel_dir]
        bundle = (front is not None and rel_dir != "" and rel_dir not in with_pages
                  and not markdown_stem(front).startswith("_")
                  and rel_dir not in languages.others)  # a language's home is a section
        if bundle or in_bundle:
            bundled.add(rel_dir)
        elif rel_dir == "" or front is not None or rel_dir in with_pages:
            section_dirs.append(rel_dir)
        # else: a folder of files only (images, css): copied as it is, not a section
        for name in filenames:
            src = f"{rel_dir}/{name}" if rel_dir else name
            rel = PurePosixPath(src)
            if front is not None and is_markdown(name) and neutral(name) == front:
                source = SourceFile(here / name, rel, "bundle" if bundle else "section",
                                    label, front_defaults(config, src),
                                    config.front_matter_extra)
                (pages if bundle else section_files).append(source)
            elif is_markdown(name) and not in_bundle:
                pages.append(SourceFile(here / name, rel, "page", label,
                                        front_defaults(config, src),
                                        config.front_matter_extra))
            else:
                assets.append(SourceFile(here / name, rel, "asset", label))
    return Sources(
        pages=tuple(sorted(pages, key=_path_order)),
        section_files=tuple(sorted(section_files, key=_path_order)),
        section_dirs=tuple(sorted(section_dirs)),
        assets=tuple(sorted(assets, key=_path_order)),
    )


def _path_order(source: SourceFile) -> list[str]:
    """The order of PurePosixPath (name by name), compared as lists: much faster."""
    return source.src.split("/")


def _folders_with_pages(folders: list[tuple[str, Path, list[str]]],
                        fronts: dict[str, str | None], neutral: Callable[[str], str] = str
                        ) -> set[str]:
    """The folders holding Markdown other than their own front file, in them or at any depth
    below (those are sections, not page bundles)."""
    with_pages: set[str] = set()
    for rel_dir, _here, filenames in folders:
        markdown = [name for name in filenames if is_markdown(name)]
        parts = rel_dir.split("/") if rel_dir else []
        if markdown:
            with_pages.update("/".join(parts[:n]) for n in range(len(parts)))
        if any(neutral(name) != fronts[rel_dir] for name in markdown):
            with_pages.add(rel_dir)
    return with_pages


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
            if entry.is_symlink():
                shown = _printable(f"{label}/{rel}")
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
                log.warning("%s: not a regular file or folder, skipped",
                            _printable(f"{label}/{rel}"))
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


def front_defaults(config: Config, rel: str) -> tuple[tuple[str, Any], ...]:
    """The front matter `[[front_matter]]` gives the file `rel`: later rules win."""
    values: dict[str, Any] = {}
    for rule in config.front_matter:
        if rule.spec.match_file(rel):
            values.update(rule.values)
    return tuple(values.items())


def _excluded(config: Config, rel: str) -> bool:
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in config.exclude)


def page_stem(source: SourceFile) -> str:
    """The name a page is known by: its file's stem, or its bundle's folder name."""
    if source.role == "bundle":
        return source.rel.parent.name
    return markdown_stem(source.rel.name)
