"""Assemble the site model: every page's URL, sections, taxonomies, order and neighbours."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any, TypeVar

from ssg.config import Config
from ssg.errors import ContentError, SsgError, raise_all
from ssg.stages.discover import (
    SECTION_FILE,
    SourceFile,
    Sources,
    markdown_stem,
    split_name_date,
)
from ssg.stages.images import NO_IMAGES, Images
from ssg.stages.languages import Languages, check_translations
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
    #: The code of the page's language.
    lang: str = ""

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
    #: The code of the section's language.
    lang: str = ""

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


_T = TypeVar("_T")


def shaped(site: Site, key: Hashable, make: Callable[[], _T]) -> _T:
    """`make()`, once per site shape: a value that depends on nothing but the site's shape
    (its pages' front matter and titles, order and sections; see Site.shape)."""
    try:
        value: _T = site.shape[key]
    except KeyError:
        value = site.shape[key] = make()
    return value


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
    #: Each language's published pages, newest first (its home page's and feed's order).
    orders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Page src -> the srcs of its translations, itself among them, in language order.
    translations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Section key -> the keys of the same section in the other languages, itself among them.
    section_translations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Values worked out from the site's shape alone (its pages' front matter and titles, its
    #: order and sections), kept by `shaped`. `replace` starts a new one; the quick front end,
    #: whose edits keep the shape, hands the last build's on.
    shape: dict[Hashable, Any] = field(default_factory=dict, init=False, compare=False,
                                       repr=False)

    @cached_property
    def languages(self) -> Languages:
        """The site's languages (one, the site's `language`, without `[languages]`)."""
        return Languages.of(self.config)

    def url(self, path: str) -> str:
        """The URL of a site path: base path prefixed, unsafe characters percent-encoded."""
        return _url(self.config, path)

    def permalink(self, path: str) -> str:
        """The absolute URL of a site path."""
        url = self.url(path)
        return url if not url.startswith("/") else self.config.origin + url

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


def _make_page(doc: Document, config: Config, languages: Languages) -> Page:
    where = doc.source.display
    lang, neutral_src = languages.of_source(doc.source.src, where)
    # String operations, not PurePosixPath: this runs for every page (`src` is POSIX and
    # normalised already).
    parent, _, name = neutral_src.rpartition("/")
    if doc.source.role == "bundle":
        neutral, _, name = parent.rpartition("/")
    else:
        neutral, name = parent, markdown_stem(name)
    section = languages.key(lang, neutral)
    stem = split_name_date(name)[1]
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
        aliases.append(languages.path(lang, normalize_url_path(alias)))
    return Page(
        doc=doc,
        title=default_title(doc, stem),
        slug=slug,
        path=languages.path(lang, _page_path(doc, slug, neutral, config)),
        section=section,
        aliases=tuple(aliases),
        lang=lang,
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
    languages = Languages.of(config)
    by_src = _place_pages(pages, config, visibility or Visibility(), languages)
    sections, neighbours = _place_sections(sources, section_docs, by_src, config, languages)
    order = tuple(p.src for p in sorted(by_src.values(), key=listing_key))
    orders = {lang.code: tuple(src for src in order if by_src[src].lang == lang.code)
              for lang in languages.all}
    taxonomies = {}
    for lang in languages.all:
        for name in (lang.taxonomies if lang.taxonomies is not None else config.taxonomies):
            taxonomies[languages.key(lang.code, name) if languages.multilingual else name] = (
                _taxonomy(name, by_src, orders[lang.code], languages.path(lang.code, "/")))
    links = _links(by_src, sections, config)
    assets = _place_assets(sources, pages, by_src)
    links.update((asset.src, _url(config, path)) for asset, path in assets)
    translations, section_translations = _translations(by_src, sections, languages)
    if config.language_fallback and languages.multilingual:
        sections = _with_fallbacks(sections, by_src, languages)
        for lang in languages.all[1:]:
            missing = [src for src in orders[languages.default.code]
                       if not any(by_src[other].lang == lang.code
                                  for other in translations.get(src, ()))]
            orders[lang.code] = tuple(sorted((*orders[lang.code], *missing),
                                             key=lambda src: listing_key(by_src[src])))
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
        orders=MappingProxyType(orders),
        translations=MappingProxyType(translations),
        section_translations=MappingProxyType(section_translations),
    )


def _place_pages(pages: list[Document], config: Config, visibility: Visibility,
                 languages: Languages) -> dict[str, Page]:
    """The published pages by source path, each with its URL; all problems at once."""
    errors: list[SsgError] = []
    by_src: dict[str, Page] = {}
    for doc in pages:
        if not visibility.shows(doc):
            continue
        try:
            page = _make_page(doc, config, languages)
        except SsgError as exc:
            errors.append(exc)
            continue
        by_src[page.src] = page
    raise_all(errors)
    return by_src


def _place_sections(sources: Sources, section_docs: list[Document], by_src: Mapping[str, Page],
                    config: Config, languages: Languages
                    ) -> tuple[dict[str, Section], dict[str, tuple[str | None, str | None]]]:
    """Every section with its pages in listing order and its subsections, and each page's
    neighbours in its section's listing. A language has the sections that hold its pages
    or its section files, their parents and its home."""
    section_doc: dict[str, Document] = {}
    errors: list[SsgError] = []
    for d in section_docs:
        try:
            lang, neutral = languages.of_source(d.source.src, d.source.display)
        except SsgError as exc:
            errors.append(exc)
            continue
        key = languages.key(lang, _folder(PurePosixPath(neutral)))
        other = section_doc.setdefault(key, d)
        if other is not d and languages.multilingual:
            errors.append(ContentError(
                f"{other.source.display} is the '{lang}' text of this section already; two "
                f"files cannot be the same translation", path=d.source.display))
    raise_all(errors)
    members: dict[str, list[Page]] = {}
    for folder in sources.section_dirs:
        lang, neutral = languages.of_key(folder)
        if lang == languages.default.code or folder in section_doc:
            members[languages.key(lang, neutral)] = []
    for key in (*section_doc, *(lang.code for lang in languages.all[1:])):
        members.setdefault(key, [])
    for page in by_src.values():
        members.setdefault(page.section, []).append(page)
    for key in list(members):  # the parents of a language's sections are that language's
        lang, neutral = languages.of_key(key)
        while neutral:
            neutral = neutral.rpartition("/")[0]
            members.setdefault(languages.key(lang, neutral), [])
    sections: dict[str, Section] = {}
    neighbours: dict[str, tuple[str | None, str | None]] = {}
    for key in sorted(members):
        srcs = [p.src for p in sorted(members[key], key=listing_key)]
        for i, src in enumerate(srcs):
            after = srcs[i + 1] if i + 1 < len(srcs) else None
            neighbours[src] = (srcs[i - 1] if i else None, after)
        section_source = section_doc.get(key)
        lang, neutral = languages.of_key(key)
        name = neutral.rsplit("/", 1)[-1]
        home_title = languages.by_code[lang].title if languages.multilingual else config.title
        parent = (None if neutral == ""
                  else languages.key(lang, neutral.rsplit("/", 1)[0] if "/" in neutral else ""))
        sections[key] = Section(
            key=key,
            title=(default_title(section_source, name) if section_source
                   else name.replace("-", " ").capitalize() or home_title),
            path=languages.path(lang, section_path(neutral)),
            doc=section_source,
            pages=tuple(srcs),
            subsections=(),
            parent=parent,
            lang=lang,
        )
    children: dict[str, list[Section]] = {}
    for section in sections.values():
        if section.parent is not None and section.parent in sections:
            children.setdefault(section.parent, []).append(section)
    sections = {
        key: _with_subsections(s, children.get(key, []), by_src) for key, s in sections.items()
    }
    if "" not in sections:
        default = languages.default
        sections[""] = Section("", default.title if languages.multilingual else config.title,
                               default.prefix, None, (), (), None, default.code)
    return sections, neighbours


def _translations(by_src: Mapping[str, Page], sections: Mapping[str, Section],
                  languages: Languages
                  ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The pages (src -> srcs) and sections (key -> keys) that translate each other: by
    `translation_key`, else by their path without the language; two files of one language
    claiming one translation is an error."""
    if not languages.multilingual:
        return {}, {}
    rank = {lang.code: i for i, lang in enumerate(languages.all)}
    groups: dict[str, list[Page]] = {}
    claims = []
    for page in by_src.values():
        key = page.doc.front.translation_key
        if key is not None:
            ident, how = f"key:{key}", f"translation_key '{key}'"
        else:
            neutral = languages.of_source(page.src, page.doc.source.display)[1]
            ident, how = f"path:{neutral}", f"content/{neutral}"
        groups.setdefault(ident, []).append(page)
        claims.append((ident, page.lang, page.doc.source.display, how))
    check_translations(sorted(claims, key=lambda c: (c[0], c[1], c[2])))
    pages: dict[str, tuple[str, ...]] = {}
    for members in groups.values():
        ordered = tuple(p.src for p in sorted(members, key=lambda p: rank[p.lang]))
        for page in members:
            pages[page.src] = ordered
    by_neutral: dict[str, list[Section]] = {}
    for section in sections.values():
        by_neutral.setdefault(languages.of_key(section.key)[1], []).append(section)
    keyed: dict[str, tuple[str, ...]] = {}
    for group in by_neutral.values():
        ordered = tuple(s.key for s in sorted(group, key=lambda s: rank[s.lang]))
        for section in group:
            keyed[section.key] = ordered
    return pages, keyed


def _with_fallbacks(sections: dict[str, Section], by_src: Mapping[str, Page],
                    languages: Languages) -> dict[str, Section]:
    """Sections of the other languages listing, after their own pages, the default
    language's pages that have no translation in them (shown as in the default language)."""
    default = languages.default.code
    result = dict(sections)
    for key, section in sections.items():
        if section.lang == default:
            continue
        neutral = languages.of_key(key)[1]
        original = sections.get(neutral)
        if original is None:
            continue
        have = {languages.of_source(src, by_src[src].doc.source.display)[1]
                for src in section.pages}
        extra = [src for src in original.pages
                 if languages.of_source(src, by_src[src].doc.source.display)[1] not in have
                 and by_src[src].doc.front.translation_key is None]
        if extra:
            pages = tuple(sorted((*section.pages, *extra),
                                 key=lambda src: listing_key(by_src[src])))
            result[key] = Section(section.key, section.title, section.path, section.doc,
                                  pages, section.subsections, section.parent, section.lang)
    return result


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
    for lang in config.languages:  # a language with a host of its own
        if lang.base_url and path.startswith(lang.prefix):
            return lang.base_url + quote_url_path(path[len(lang.prefix):])
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


def _with_subsections(section: Section, children: list[Section], by_src: Mapping[str, Page]
                      ) -> Section:
    def weight(child: Section) -> int:
        # A section without its own file stands where its first page would.
        if child.doc is not None or not child.pages:
            return child.weight
        return min(by_src[src].weight for src in child.pages)

    ordered = sorted(children, key=lambda s: (weight(s), s.title.lower(), s.key))
    return Section(section.key, section.title, section.path, section.doc, section.pages,
                   tuple(c.key for c in ordered), section.parent, section.lang)


def _taxonomy(name: str, pages: Mapping[str, Page], order: tuple[str, ...], prefix: str = "/"
              ) -> Taxonomy:
    grouped: dict[str, tuple[list[str], list[str]]] = {}
    for src in order:
        for term in pages[src].doc.front.terms.get(name, ()):
            slug = slugify(term) or term
            names, members = grouped.setdefault(slug, ([], []))
            names.append(term)
            members.append(src)
    base = f"{prefix}{slugify(name)}/"
    terms = tuple(
        Term(name=min(names), slug=slug, path=f"{base}{slug}/", pages=tuple(members))
        for slug, (names, members) in sorted(grouped.items(), key=lambda kv: min(kv[1][0]).lower())
    )
    return Taxonomy(name=name, path=base, terms=terms)
