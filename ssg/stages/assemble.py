"""Assemble the site model: every page's URL, sections, taxonomies, order and neighbours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from ssg.config import Config
from ssg.errors import ContentError, SsgError, raise_all
from ssg.stages.discover import SECTION_FILE, SourceFile, Sources, page_stem, split_name_date
from ssg.stages.images import NO_IMAGES, Images
from ssg.stages.parse import Document
from ssg.utils import is_unsafe_segment, normalize_url_path, quote_url_path, slugify


@dataclass(frozen=True)
class Page:
    """A page with its place in the site; its rendered body lives in `Content`."""

    doc: Document
    title: str
    slug: str
    #: Site path without base path: `/posts/hello/`.
    path: str
    #: The section folder the page belongs to ("" for the home section).
    section: str
    #: Site paths of redirect pages pointing here.
    aliases: tuple[str, ...]

    @property
    def date(self) -> datetime | None:
        """When the page was published."""
        return self.doc.front.date

    @property
    def weight(self) -> int:
        """Ordering weight (lower first) among pages of the same date."""
        return self.doc.front.weight

    @property
    def src(self) -> str:
        """Source path relative to content/, the page's identity."""
        return self.doc.source.src


@dataclass(frozen=True)
class Section:
    """A content folder: its own text (from `_index.md`) and the pages in listing order."""

    #: Folder relative to content/ ("" for the home page).
    key: str
    title: str
    path: str
    doc: Document | None
    #: Source paths (the pages' `src`) in listing order.
    pages: tuple[str, ...]
    #: Keys of the child sections, ordered by weight then title.
    subsections: tuple[str, ...]
    parent: str | None

    @property
    def weight(self) -> int:
        """Ordering weight among sibling sections."""
        return self.doc.front.weight if self.doc else 0


@dataclass(frozen=True)
class Term:
    """One value of a taxonomy (`python` in `tags`) and the pages that carry it."""

    name: str
    slug: str
    path: str
    pages: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """A front matter key that groups pages (`tags`), with its terms sorted by name."""

    name: str
    path: str
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Site:
    """The whole site before rendering: every template can see every page."""

    config: Config
    #: Published pages by source path.
    pages: Mapping[str, Page]
    #: All published pages, newest first (the home page's and feed's order).
    order: tuple[str, ...]
    sections: Mapping[str, Section]
    taxonomies: Mapping[str, Taxonomy]
    #: Neighbours in each section's listing: src -> (previous src, next src).
    neighbours: Mapping[str, tuple[str | None, str | None]]
    #: Content-relative source path -> URL, for links written as `other.md`.
    links: Mapping[str, str]
    #: Non-Markdown files under content/ and the site path each is copied to.
    assets: tuple[tuple[SourceFile, str], ...] = field(default=())
    #: Values of the data files, by name (`site.data.NAME` in templates).
    data: Mapping[str, Any] = field(default_factory=dict)
    #: The site's images with their sizes and resized copies (set by the images stage).
    images: Images = NO_IMAGES
    #: Give assets names made of their content's hash (not in the dev server, whose
    #: stylesheets are swapped in place by name).
    fingerprint: bool = True
    #: Minify the HTML, CSS and JS written.
    minify: bool = False
    #: Files plugins add to the output (`extra_outputs`): dest -> (plugin, bytes).
    plugin_files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The URL of a site path: base path prefixed, unsafe characters percent-encoded."""
        return _url(self.config, path)

    def permalink(self, path: str) -> str:
        """The absolute URL of a site path."""
        return self.config.origin + self.url(path)

    def bundle(self, src: str) -> list[tuple[str, str]]:
        """(name in the bundle, output path) of the files of a page bundle, in name order
        (none for a page that is not a bundle)."""
        page = self.pages.get(src)
        if page is None or page.doc.source.role != "bundle":
            return []
        folder = page.doc.source.rel.parent
        return sorted((asset.rel.relative_to(folder).as_posix(), path.lstrip("/"))
                      for asset, path in self.assets if asset.rel.is_relative_to(folder))


def listing_key(page: Page) -> tuple[Any, ...]:
    """Newest first; undated pages after dated ones; then weight, then title."""
    date = page.date
    return (date is None, -date.timestamp() if date else 0.0, page.weight, page.title.lower(),
            page.src)


def default_title(doc: Document, fallback: str) -> str:
    """The front matter title, else the first `# heading`, else the file name."""
    if doc.front.title is not None:
        return doc.front.title
    if doc.heading:
        return doc.heading
    return fallback.replace("-", " ").replace("_", " ").strip().capitalize() or fallback


def section_path(key: str) -> str:
    """The site path of a section folder: `Blog/My Notes` -> `/blog/my-notes/`."""
    if not key:
        return "/"
    return "/" + "/".join(slugify(part) or part for part in key.split("/")) + "/"


def _page_path(doc: Document, slug: str, section: str, config: Config) -> str:
    front = doc.front
    where = doc.source.display
    if front.url is not None:
        url = front.url.strip()
        if not url.startswith("/") or is_unsafe_segment(url.strip("/")) or "//" in url:
            raise ContentError(
                f"'url' must be a path starting with '/' without '..', '.', '//', backslashes "
                f"or NUL, not {front.url!r}", path=where)
        return normalize_url_path(url)
    pattern = _permalink_pattern(config, section)
    if pattern is None:
        return section_path(section) + slug + "/"
    if front.date is None and any(t in pattern for t in (":year", ":month", ":day")):
        raise ContentError(f"permalink pattern {pattern!r} needs a 'date'", path=where)
    date = front.date
    values = {
        ":year": f"{date.year:04d}" if date else "",
        ":month": f"{date.month:02d}" if date else "",
        ":day": f"{date.day:02d}" if date else "",
        ":slug": slug,
        ":section": section_path(section).strip("/"),
    }
    path = re.sub(r":[a-z]+", lambda m: values.get(m.group(0), m.group(0)), pattern)
    return normalize_url_path(path)


def _permalink_pattern(config: Config, section: str) -> str | None:
    parts = section.split("/") if section else []
    while parts:
        pattern = config.permalinks.get("/".join(parts))
        if pattern is not None:
            return pattern
        parts.pop()
    return None


def _make_page(doc: Document, config: Config) -> Page:
    rel = doc.source.rel
    folder = rel.parent.parent if doc.source.role == "bundle" else rel.parent
    section = "" if str(folder) == "." else folder.as_posix()
    stem = split_name_date(page_stem(doc.source))[1]
    where = doc.source.display
    if doc.front.slug is not None:
        slug = doc.front.slug.strip()
        if not slug or "/" in slug or is_unsafe_segment(slug):
            raise ContentError(f"'slug' must be one URL segment without '/', '..', backslashes "
                               f"or NUL, not {doc.front.slug!r}", path=where)
    else:
        slug = slugify(stem)
        if not slug:
            raise ContentError("cannot make a URL from this file name; set 'slug'", path=where)
    aliases = []
    for alias in doc.front.aliases:
        if is_unsafe_segment(alias.strip("/")) or "//" in alias.strip():
            raise ContentError(f"alias {alias!r} must not contain '..', '.', '//', backslashes "
                               f"or NUL", path=where)
        aliases.append(normalize_url_path(alias))
    return Page(
        doc=doc,
        title=default_title(doc, stem),
        slug=slug,
        path=_page_path(doc, slug, section, config),
        section=section,
        aliases=tuple(aliases),
    )


@dataclass(frozen=True)
class Visibility:
    """Which pages a build publishes."""

    #: Include pages marked `draft: true`.
    drafts: bool = False
    #: Include pages dated after `now`.
    future: bool = False
    #: Include pages whose `expires` is before `now`.
    expired: bool = False
    #: The moment future and expired are judged against.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def shows(self, doc: Document) -> bool:
        """True when the page is published by this build."""
        front = doc.front
        if front.draft and not self.drafts:
            return False
        if front.date is not None and front.date > self.now and not self.future:
            return False
        return front.expires is None or front.expires > self.now or self.expired


def assemble(sources: Sources, pages: list[Document], section_docs: list[Document],
             config: Config, *, visibility: Visibility | None = None,
             data: Mapping[str, Any] | None = None) -> Site:
    """Place every page: URLs, sections in order, taxonomy terms, neighbours, link targets."""
    by_src = _place_pages(pages, config, visibility or Visibility())
    sections, neighbours = _place_sections(sources, section_docs, by_src, config)
    order = tuple(p.src for p in sorted(by_src.values(), key=listing_key))
    taxonomies = {name: _taxonomy(name, by_src, order) for name in config.taxonomies}
    links = _links(by_src, sections, config)
    assets = _place_assets(sources, pages, by_src)
    links.update((asset.src, _url(config, path)) for asset, path in assets)
    return Site(
        config=config,
        pages=MappingProxyType(by_src),
        order=order,
        sections=MappingProxyType(sections),
        taxonomies=MappingProxyType(taxonomies),
        neighbours=MappingProxyType(neighbours),
        links=MappingProxyType(links),
        assets=tuple(assets),
        data=data or {},
    )


def _place_pages(pages: list[Document], config: Config, visibility: Visibility
                 ) -> dict[str, Page]:
    """The published pages by source path, each with its URL; all problems at once."""
    errors: list[SsgError] = []
    by_src: dict[str, Page] = {}
    for doc in pages:
        if not visibility.shows(doc):
            continue
        try:
            page = _make_page(doc, config)
        except SsgError as exc:
            errors.append(exc)
            continue
        by_src[page.src] = page
    raise_all(errors)
    return by_src


def _place_sections(sources: Sources, section_docs: list[Document], by_src: Mapping[str, Page],
                    config: Config
                    ) -> tuple[dict[str, Section], dict[str, tuple[str | None, str | None]]]:
    """Every section with its pages in listing order and its subsections, and each page's
    neighbours in its section's listing."""
    section_doc = {_folder(d.source.rel): d for d in section_docs}
    members: dict[str, list[Page]] = {key: [] for key in sources.section_dirs}
    for page in by_src.values():
        members.setdefault(page.section, []).append(page)
    sections: dict[str, Section] = {}
    neighbours: dict[str, tuple[str | None, str | None]] = {}
    for key in sorted(members):
        srcs = [p.src for p in sorted(members[key], key=listing_key)]
        for i, src in enumerate(srcs):
            after = srcs[i + 1] if i + 1 < len(srcs) else None
            neighbours[src] = (srcs[i - 1] if i else None, after)
        section_source = section_doc.get(key)
        name = key.rsplit("/", 1)[-1]
        parent = None if key == "" else (key.rsplit("/", 1)[0] if "/" in key else "")
        sections[key] = Section(
            key=key,
            title=(default_title(section_source, name) if section_source
                   else name.replace("-", " ").capitalize() or config.title),
            path=section_path(key),
            doc=section_source,
            pages=tuple(srcs),
            subsections=(),
            parent=parent,
        )
    children: dict[str, list[Section]] = {}
    for section in sections.values():
        if section.parent is not None and section.parent in sections:
            children.setdefault(section.parent, []).append(section)
    sections = {
        key: _with_subsections(s, children.get(key, [])) for key, s in sections.items()
    }
    if "" not in sections:
        sections[""] = Section("", config.title, "/", None, (), (), None)
    return sections, neighbours


def _links(by_src: Mapping[str, Page], sections: Mapping[str, Section], config: Config
           ) -> dict[str, str]:
    """The URL of every page and section by the content-relative path links name it by."""
    links = {src: _url(config, p.path) for src, p in by_src.items()}
    for key, section in sections.items():
        links[f"{key}/{SECTION_FILE}".lstrip("/")] = _url(config, section.path)
        if section.doc is not None:
            links[section.doc.source.src] = _url(config, section.path)
    return links


def _place_assets(sources: Sources, pages: list[Document], by_src: Mapping[str, Page]
                  ) -> list[tuple[SourceFile, str]]:
    """The non-Markdown files under content/ that are copied, with the site path of each."""
    bundles = {_folder(d.source.rel): d.source.src
               for d in pages if d.source.role == "bundle"}
    assets = []
    for asset in sources.assets:
        path = _asset_path(asset, bundles, by_src)
        if path is not None:
            assets.append((asset, path))
    return assets


def _url(config: Config, path: str) -> str:
    return config.base_path + quote_url_path(path.lstrip("/"))


def _folder(rel: PurePosixPath) -> str:
    folder = rel.parent.as_posix()
    return "" if folder == "." else folder


def _asset_path(asset: SourceFile, bundles: Mapping[str, str], pages: Mapping[str, Page]
                ) -> str | None:
    """Bundle files go beside their page (none for a left-out draft); others to the section."""
    folder = _folder(asset.rel)
    parts = folder.split("/") if folder else []
    for depth in range(len(parts), 0, -1):
        bundle = bundles.get("/".join(parts[:depth]))
        if bundle is not None:
            page = pages.get(bundle)
            if page is None:
                return None
            inner = "".join(part + "/" for part in parts[depth:])
            return page.path + inner + asset.rel.name
    return section_path(folder) + asset.rel.name


def _with_subsections(section: Section, children: list[Section]) -> Section:
    ordered = sorted(children, key=lambda s: (s.weight, s.title.lower(), s.key))
    return Section(section.key, section.title, section.path, section.doc, section.pages,
                   tuple(c.key for c in ordered), section.parent)


def _taxonomy(name: str, pages: Mapping[str, Page], order: tuple[str, ...]) -> Taxonomy:
    grouped: dict[str, tuple[list[str], list[str]]] = {}
    for src in order:
        for term in pages[src].doc.front.terms.get(name, ()):
            slug = slugify(term) or term
            names, members = grouped.setdefault(slug, ([], []))
            names.append(term)
            members.append(src)
    base = f"/{slugify(name)}/"
    terms = tuple(
        Term(name=min(names), slug=slug, path=f"{base}{slug}/", pages=tuple(members))
        for slug, (names, members) in sorted(grouped.items(), key=lambda kv: min(kv[1][0]).lower())
    )
    return Taxonomy(name=name, path=base, terms=terms)
