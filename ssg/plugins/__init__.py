"""The plugin API: what a plugin imports to implement ssg's hooks.

A plugin is a module (a site's `plugins/NAME.py`, an installed package's entry point in the
group `ssg.plugins`, or one of ssg's own) whose hook functions carry the `@hookimpl` mark; the
hooks are declared, with what each receives and may return, in `ssg.plugins.spec`. Hooks get
values that cannot be changed in place (strings, bytes, frozen dataclasses, read-only
mappings) and return new ones, so no page's hook can change what another page sees, whether
the pages are converted in one process or in many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import pluggy

#: Marks a function of a plugin as the implementation of the hook of the same name.
hookimpl = pluggy.HookimplMarker("ssg")

__all__ = ["DocumentInfo", "PageInfo", "Reads", "SiteInfo", "freeze", "hookimpl"]


@dataclass(frozen=True)
class Reads:
    """What a plugin's hooks read besides their options and the plugin's own code: returned
    by its `reads` hook. Their fingerprints decide what an incremental build does again."""

    #: Files, relative to the site folder, as paths or glob patterns (`data/words.toml`,
    #: `snippets/*.md`); hooks receive their bytes as `files`.
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    """A parsed page or section file, as `documents_parsed` sees it."""

    #: Path relative to content/, POSIX style: `posts/hello.md`; the document's identity.
    src: str
    #: Path relative to the site folder: `content/posts/hello.md`.
    file: str
    #: The front matter: `title`, `date`, `updated`, `draft`, `weight`, `extra`, ... (read-only).
    front: Mapping[str, Any]


@dataclass(frozen=True)
class PageInfo:
    """A page (or a section's own file) as the page hooks see it."""

    #: Path relative to content/: `posts/hello.md`.
    src: str
    #: Path relative to the site folder: `content/posts/hello.md`.
    file: str
    #: URL path with the site's base path: `/docs/posts/hello/`.
    url: str
    #: Absolute URL, when the site's base_url has a host (else the URL path).
    permalink: str
    #: The page's title.
    title: str
    #: Publication date, if any.
    date: datetime | None
    #: Last change, if known (front matter `updated`, or a plugin such as git-dates).
    updated: datetime | None
    #: The front matter (read-only).
    front: Mapping[str, Any]
    #: "page", or "section" for a section's `_index.md`.
    kind: str = "page"
    #: The section folder, relative to content/, that the page belongs to or that a section
    #: file introduces ("" for the home section).
    section: str = ""


@dataclass(frozen=True)
class SiteInfo:
    """The assembled site, as the site-wide hooks see it."""

    title: str
    description: str
    language: str
    #: base_url as configured: `https://example.org/docs/` or `/`.
    base_url: str
    #: Every published page, in the site's order (newest first), then every section file.
    pages: tuple[PageInfo, ...]
    #: The Markdown body (front matter left out) of every page by src, for `extra_outputs`
    #: only (empty for the other hooks).
    markdown: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def freeze(value: Any) -> Any:
    """A read-only copy of plain data: tables become read-only mappings, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, changeable copy of frozen data (read-only mappings become dicts)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value
