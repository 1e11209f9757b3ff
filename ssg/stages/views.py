"""The read-only views of the site that templates see: `page`, `section`, `site`, ...

Every read of a view records the dependency key of what it read (see `keys`), so that an
incremental build knows which outputs a change touches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin

from markupsafe import Markup

from ssg.config import FEED_FORMATS, Language
from ssg.stages import families, keys
from ssg.stages.assemble import Page, Section, Site, Taxonomy, Term
from ssg.stages.code import has_diagram
from ssg.stages.images import rewrite_images
from ssg.stages.keys import Key, record, record_all, tracking
from ssg.stages.languages import CURRENT_LANGUAGE, localized_targets
from ssg.stages.markdown import Content, content_fields, content_summary, reading_time
from ssg.stages.resources import Resources, bundle_resources
from ssg.utils import slugify


@dataclass(frozen=True)
class FeedLink:
    """One feed of the site or of a section: the items of `site.feeds` and `section.feeds`."""

    #: The format's name in the `feeds` setting: atom, rss or json.
    name: str
    #: The feed's URL, with the base path.
    url: str
    #: Its media type, for `<link rel="alternate" type=...>`.
    type: str
    #: The format's name for people: Atom, RSS, JSON Feed.
    label: str


@dataclass(frozen=True)
class MenuItem:
    """One link of a menu: the items of `site.menu("main")`."""

    #: The link text.
    name: str
    #: Where it leads (with the base path for the site's own pages).
    url: str
    #: Its place: lower first.
    weight: int


T = TypeVar("T")


def once(saved: dict[Any, tuple[Any, frozenset[Key]]], key: Any, make: Callable[[], T]) -> T:
    """make()'s value, computed once per key for the views' life (one build in one process,
    where the site model does not change); every call records the dependency keys the first
    one recorded, so each output that takes the value depends on what it was made from."""
    hit = saved.get(key)
    if hit is None:
        with tracking() as deps:
            value = make()
        hit = saved[key] = (value, frozenset(deps))
    record_all(hit[1])
    saved_value: T = hit[0]
    return saved_value


_FIRST_IMAGE = re.compile(r"""<img\b[^>]*?\ssrc=["']([^"']+)["']""")


def feed_links(site: Site, path: str) -> list[FeedLink]:
    """The feeds written for the list at site path `path` (`/` or a section's path)."""
    links = []
    for name in site.config.feeds:
        fmt = FEED_FORMATS[name]
        links.append(FeedLink(name, site.url(path + fmt.filename), fmt.media_type, fmt.label))
    return links


class Views:
    """Builds and caches the template-facing view of every page, section and term."""

    def __init__(self, site: Site, contents: Mapping[str, Content]):
        self.site = site
        self.contents = contents
        self._pages: dict[str, PageView] = {}
        self._sections: dict[str, SectionView] = {}
        self._terms: dict[tuple[str, str], TermView] = {}
        self._term_order: dict[str, dict[str, int]] = {}
        self._taxonomies: dict[str, TaxonomyView] = {}
        self._reading: dict[str, dict[str, tuple[str | None, str | None]]] = {}
        self.site_view = SiteView(self)
        self._site_views: dict[str, SiteView] = {}

    def site_in(self, lang: str) -> SiteView:
        """`site` as an output in language `lang` sees it ("": the site's only language)."""
        if not lang:
            return self.site_view
        view = self._site_views.get(lang)
        if view is None:
            view = self._site_views[lang] = SiteView(self, lang)
        return view

    def translations(self, srcs: tuple[str, ...], current: str) -> list[Translation]:
        """The translations of a page (srcs), the one shown (`current`) marked."""
        site = self.site
        result = []
        for src in srcs:
            page = site.pages[src]
            lang = site.languages.by_code[page.lang]
            result.append(Translation(lang.code, lang.name, site.url(page.path),
                                      site.permalink(page.path), lang.direction,
                                      src == current))
        return result

    def home_pages(self) -> tuple[str, ...]:
        """The sources of the pages the home page lists (see `families.home_pages`)."""
        record(keys.home_pages())
        return families.home_pages(self.site)

    def main_sections(self) -> tuple[str, ...]:
        """The keys of the main sections (see `families.main_sections`); the caller records
        what they depend on."""
        return families.main_sections(self.site)

    def blog_sections(self) -> frozenset[str]:
        """The top-level sections with dated pages (see `families.blog_sections`)."""
        record(keys.blog_sections())
        return families.blog_sections(self.site)

    def reading_order(self, top: str) -> dict[str, tuple[str | None, str | None]]:
        """Each page of the top-level section `top` with the pages before and after it when
        the section is read as a book: a section's pages, then each subsection's, depth
        first."""
        order = self._reading.get(top)
        if order is None:
            srcs: list[str] = []
            stack = [top]
            while stack:
                key = stack.pop()
                record(keys.section_pages(key))
                record(keys.section_subsections(key))
                section = self.site.sections[key]
                srcs.extend(section.pages)
                stack.extend(reversed(section.subsections))
            order = self._reading[top] = {
                src: (srcs[i - 1] if i else None, srcs[i + 1] if i + 1 < len(srcs) else None)
                for i, src in enumerate(srcs)}
        else:  # the same facts, for this output too
            for key in self._subtree(top):
                record(keys.section_pages(key))
                record(keys.section_subsections(key))
        return order

    def _subtree(self, key: str) -> Iterator[str]:
        yield key
        for child in self.site.sections[key].subsections:
            yield from self._subtree(child)

    def html(self, text: str) -> Markup:
        """HTML of the Markdown, its images given their size and resized copies."""
        site = self.site
        return Markup(rewrite_images(text, site.images, site.config.base_path,
                                     lambda path: record(keys.copied_file(path))))

    def page(self, src: str) -> PageView:
        """The view of the page with this source path."""
        view = self._pages.get(src)
        if view is None:
            view = self._pages[src] = PageView(self, self.site.pages[src])
        return view

    def pages(self, srcs: tuple[str, ...] | list[str]) -> list[PageView]:
        """Views of several pages, in the given order."""
        return [self.page(src) for src in srcs]

    def section(self, key: str) -> SectionView:
        """The view of the section folder `key`."""
        view = self._sections.get(key)
        if view is None:
            view = self._sections[key] = SectionView(self, self.site.sections[key])
        return view

    def term(self, taxonomy: str, term: Term) -> TermView:
        """The view of one taxonomy term."""
        view = self._terms.get((taxonomy, term.slug))
        if view is None:
            view = self._terms[(taxonomy, term.slug)] = TermView(self, taxonomy, term)
        return view

    def term_order(self, taxonomy: str) -> dict[str, int]:
        """Each term's slug and its place in the taxonomy's (sorted) terms."""
        order = self._term_order.get(taxonomy)
        if order is None:
            terms = self.site.taxonomies[taxonomy].terms
            order = self._term_order[taxonomy] = {t.slug: i for i, t in enumerate(terms)}
        return order

    def taxonomy(self, name: str) -> TaxonomyView:
        """The view of a whole taxonomy (by its key: `tags`, `fr/tags` in French)."""
        view = self._taxonomies.get(name)
        if view is None:
            view = self._taxonomies[name] = TaxonomyView(self, self.site.taxonomies[name], name)
        return view


@dataclass(frozen=True)
class Translation:
    """One language version of a page or section: items of `page.translations`."""

    #: The language's code: `fr`.
    lang: str
    #: The language's name in itself: `Français`.
    name: str
    #: The version's URL.
    url: str
    #: Its absolute URL (for hreflang).
    permalink: str
    #: The language's direction: ltr or rtl.
    dir: str
    #: True for the version being shown.
    current: bool


class PageView:
    """What templates see as `page`; every read is recorded as a dependency of the output."""

    def __init__(self, views: Views, page: Page):
        self._views = views
        self._page = page
        self._src = page.src
        self._saved: dict[Any, tuple[Any, frozenset[Key]]] = {}
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"<page {self._src}>"

    def _meta(self) -> Page:
        record(keys.page_meta(self._src))
        return self._page

    def _body(self) -> Content:
        record(keys.page_body(self._src))
        return self._views.contents[self._src]

    def _body_fields(self) -> Content:
        """The body for what it says besides its texts (html and toc may be empty)."""
        record(keys.page_body(self._src))
        return content_fields(self._views.contents, self._src)

    title = property(lambda self: self._meta().title, doc="The page title.")
    slug = property(lambda self: self._meta().slug, doc="The URL segment of the page.")
    permalink = property(lambda self: self._views.site.permalink(self._meta().path),
                         doc="The absolute URL.")
    date = property(lambda self: self._meta().date, doc="Publication date, or None.")
    updated = property(lambda self: self._meta().doc.front.updated, doc="Last update, or None.")
    weight = property(lambda self: self._meta().weight, doc="Ordering weight.")
    draft = property(lambda self: self._meta().doc.front.draft, doc="True for drafts.")
    extra = property(lambda self: self._meta().doc.front.extra, doc="Front matter `extra`.")
    src_path = property(lambda self: self._meta().doc.source.display,
                        doc="The source file: `content/posts/hello.md`.")
    toc = property(lambda self: Markup(self._body().toc), doc="Table of contents as HTML.")
    word_count = property(lambda self: self._body_fields().word_count,
                          doc="Words in the body.")
    reading_time = property(lambda self: reading_time(self._body_fields().word_count),
                            doc="Minutes to read, at least one.")
    has_diagram = property(lambda self: has_diagram(self._body().html),
                           doc="True when the body has a Mermaid diagram (load Mermaid).")

    lang = property(lambda self: self._meta().lang, doc="The code of the page's language.")

    @property
    def url(self) -> str:
        """The URL with the base path: `/docs/posts/hello/`."""
        record(keys.page_meta(self._src))
        if self._url is None:
            self._url = self._views.site.url(self._page.path)
        return self._url

    @property
    def content(self) -> Markup:
        """The body as HTML."""
        return once(self._saved, "content", lambda: self._views.html(self._body().html))

    @property
    def language_name(self) -> str:
        """The name of the page's language in itself (`Français`)."""
        languages = self._views.site.languages
        found = languages.by_code.get(self._meta().lang)
        return found.name if found is not None else self._page.lang

    @property
    def fallback(self) -> bool:
        """True when the page is shown in an output of another language (a fallback of
        `language_fallback`)."""
        current = CURRENT_LANGUAGE.get()
        return bool(current) and self._meta().lang != current

    @property
    def translations(self) -> list[Translation]:
        """Every language version of the page, itself among them, in language order (empty
        on a site in one language)."""
        record(keys.page_translations(self._src))
        srcs = self._views.site.translations.get(self._src, ())
        return self._views.translations(srcs, self._src) if len(srcs) > 1 else []

    @property
    def image(self) -> str | None:
        """The absolute URL of the page's image for link previews: front matter `image`
        (relative to the page, or from the site's root with a leading `/`), else the first
        image of the body; None when it has neither."""
        front = self._meta().doc.front.image
        site = self._views.site
        here = site.permalink(self._page.path)
        if front:
            if front.startswith("/"):
                return site.config.origin + site.url(front.lstrip("/"))
            return urljoin(here, front)
        found = _FIRST_IMAGE.search(str(self.content))
        return urljoin(here, found.group(1)) if found else None

    @property
    def family(self) -> str:
        """"blog" when the page's top-level section has dated pages, else "docs"."""
        return self.section.family

    @property
    def reading_prev(self) -> PageView | None:
        """The page before this one when its top-level section is read in order (its
        section's pages, then its subsections', depth first)."""
        top = families.top_section(self._meta().section, self._views.site.languages)
        src = self._views.reading_order(top).get(self._src, (None, None))[0]
        return self._views.page(src) if src else None

    @property
    def reading_next(self) -> PageView | None:
        """The page after this one in its top-level section's reading order."""
        top = families.top_section(self._meta().section, self._views.site.languages)
        src = self._views.reading_order(top).get(self._src, (None, None))[1]
        return self._views.page(src) if src else None

    @property
    def resources(self) -> Resources:
        """The files of the page's bundle (images with `resize`, `fit`, `fill`, `crop`)."""
        record(keys.bundle_files(self._src))
        site = self._views.site
        return bundle_resources(site.bundle(self._src),
                                site.images, site.config.base_path, record)

    @property
    def summary(self) -> Markup:
        """The summary as HTML."""
        record(keys.page_summary(self._src))
        return once(self._saved, "summary",
                    lambda: self._views.html(content_summary(self._views.contents, self._src)))

    @property
    def taxonomies(self) -> dict[str, list[TermView]]:
        """Each configured taxonomy's terms on this page."""
        page = self._meta()
        site = self._views.site
        result: dict[str, list[TermView]] = {}
        for key, taxonomy in site.taxonomies.items():
            if site.languages.multilingual and site.languages.of_key(key)[0] != page.lang:
                continue
            name = taxonomy.name
            slugs = {slugify(t) or t for t in page.doc.front.terms.get(name, ())}
            order = self._views.term_order(key)
            found = sorted(order[slug] for slug in slugs if slug in order)
            result[name] = [self._views.term(key, taxonomy.terms[i]) for i in found]
        return result

    @property
    def section(self) -> SectionView:
        """The section the page is listed in."""
        return self._views.section(self._meta().section)

    @property
    def prev(self) -> PageView | None:
        """The page before this one in its section's listing."""
        record(keys.page_neighbours(self._src))
        src = self._views.site.neighbours[self._src][0]
        return self._views.page(src) if src else None

    @property
    def next(self) -> PageView | None:
        """The page after this one in its section's listing."""
        record(keys.page_neighbours(self._src))
        src = self._views.site.neighbours[self._src][1]
        return self._views.page(src) if src else None


class SectionView:
    """What templates see as `section`."""

    def __init__(self, views: Views, section: Section):
        self._views = views
        self._section = section
        self._key = section.key
        self._saved: dict[Any, tuple[Any, frozenset[Key]]] = {}

    def __repr__(self) -> str:
        return f"<section {self._key!r}>"

    def _meta(self) -> Section:
        record(keys.section_meta(self._key))
        return self._section

    def _content(self) -> Content | None:
        record(keys.section_body(self._key))
        doc = self._section.doc
        return self._views.contents.get(doc.source.src) if doc is not None else None

    title = property(lambda self: self._meta().title, doc="The section title.")
    path = property(lambda self: self._views.site.languages.of_key(self._key)[1],
                    doc="The folder under content/ ('' for home), without the language.")
    url = property(lambda self: once(self._saved, "url",
                                     lambda: self._views.site.url(self._meta().path)),
                   doc="Its URL.")
    permalink = property(lambda self: self._views.site.permalink(self._meta().path),
                         doc="Its absolute URL.")
    feeds = property(lambda self: list(once(self._saved, "feeds", lambda: feed_links(
        self._views.site, self._meta().path))),
        doc="Its feeds, in the order of the `feeds` setting.")
    feed_url = property(lambda self: next((f.url for f in self.feeds), None),
                        doc="The URL of its first feed (Atom by default), or None.")
    weight = property(lambda self: self._meta().weight, doc="Ordering weight.")
    extra = property(lambda self: self._meta().doc.front.extra if self._section.doc else {},
                     doc="Front matter `extra` of the front file (_index.md).")
    content = property(lambda self: self._views.html(c.html if (c := self._content()) else ""),
                       doc="The text of _index.md as HTML.")
    summary = property(lambda self: once(self._saved, "summary", lambda: self._views.html(
        c.summary if (c := self._content()) else "")), doc="The summary of _index.md as HTML.")
    toc = property(lambda self: Markup(c.toc if (c := self._content()) else ""),
                   doc="Table of contents of _index.md.")
    has_diagram = property(lambda self: has_diagram(c.html) if (c := self._content()) else False,
                           doc="True when _index.md has a Mermaid diagram (load Mermaid).")

    lang = property(lambda self: self._section.lang, doc="The code of the section's language.")

    @property
    def translations(self) -> list[Translation]:
        """Every language version of the section (empty on a site in one language)."""
        record(keys.section_translations(self._key))
        site = self._views.site
        found = site.section_translations.get(self._key, ())
        result = []
        for key in found if len(found) > 1 else ():
            section = site.sections[key]
            lang = site.languages.by_code[section.lang]
            result.append(Translation(lang.code, lang.name, site.url(section.path),
                                      site.permalink(section.path), lang.direction,
                                      key == self._key))
        return result

    @property
    def pages(self) -> list[PageView]:
        """The section's own pages in listing order."""
        record(keys.section_pages(self._key))
        return self._views.pages(self._section.pages)

    @property
    def subsections(self) -> list[SectionView]:
        """Child sections, by weight then title."""
        record(keys.section_subsections(self._key))
        return [self._views.section(k) for k in self._section.subsections]

    @property
    def family(self) -> str:
        """"blog" when the section's top-level section has dated pages (its pages are posts),
        else "docs" (its pages are read in order, with a navigation tree)."""
        top = families.top_section(self._key, self._views.site.languages)
        return "blog" if top in self._views.blog_sections() else "docs"

    @property
    def top(self) -> SectionView:
        """The top-level section this one is in (itself for a top-level one)."""
        return self._views.section(families.top_section(self._key, self._views.site.languages))

    @property
    def parent(self) -> SectionView | None:
        """The enclosing section (the home section for top-level ones)."""
        key = self._section.parent
        return self._views.section(key) if key is not None else None


class TermView:
    """One taxonomy term: `term` in term.html, items of `page.taxonomies`."""

    def __init__(self, views: Views, taxonomy: str, term: Term):
        self._views = views
        self._taxonomy = taxonomy
        self._term = term
        self.slug = term.slug
        self.url = views.site.url(term.path)
        self.permalink = views.site.permalink(term.path)

    @property
    def name(self) -> str:
        """The term as written (the first spelling, by sort order, among its pages)."""
        record(keys.term_name(self._taxonomy, self.slug))
        return self._term.name

    def __repr__(self) -> str:
        return f"<term {self._taxonomy}/{self.slug}>"

    @property
    def count(self) -> int:
        """How many pages carry the term."""
        record(keys.term_pages(self._taxonomy, self.slug))
        return len(self._term.pages)

    @property
    def pages(self) -> list[PageView]:
        """Pages carrying this term, newest first."""
        record(keys.term_pages(self._taxonomy, self.slug))
        return self._views.pages(self._term.pages)


class TaxonomyView:
    """A taxonomy: `taxonomy` in taxonomy.html and term.html."""

    def __init__(self, views: Views, taxonomy: Taxonomy, key: str | None = None):
        self._views = views
        self._taxonomy = taxonomy
        self._key = key or taxonomy.name
        self.name = taxonomy.name
        self.title = taxonomy.name.replace("_", " ").capitalize()
        self.url = views.site.url(taxonomy.path)
        self.permalink = views.site.permalink(taxonomy.path)

    @property
    def has_terms(self) -> bool:
        """Whether any page has a term of it (cheaper to depend on than `terms`)."""
        record(keys.taxonomy_has_terms(self._key))
        return bool(self._taxonomy.terms)

    @property
    def terms(self) -> list[TermView]:
        """Every term, sorted by name."""
        record(keys.taxonomy_terms(self._key))
        return [self._views.term(self._key, t) for t in self._taxonomy.terms]


class DataView(Mapping[str, Any]):
    """The data files by name; reading one makes it a dependency of the output."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = data

    def __getitem__(self, name: str) -> Any:
        record(keys.data_file(name))
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        record(keys.data_names())
        return iter(self._data)

    def __len__(self) -> int:
        record(keys.data_names())
        return len(self._data)


class SiteView:
    """What templates see as `site`: on a multilingual site, the site in one language."""

    def __init__(self, views: Views, lang: str = ""):
        self._views = views
        config = views.site.config
        languages = views.site.languages
        language = languages.by_code.get(lang) if lang else None
        self._lang = lang
        self._menus: dict[Any, tuple[Any, frozenset[Key]]] = {}
        self.config = config
        self.title = language.title if language else config.title
        self.description = language.description if language else config.description
        self.author = config.author
        self.language = language.code if language else config.language
        self.base_url = config.origin + config.base_path
        self.base_path = config.base_path
        self.extra = config.extra
        self.languages = [LanguageView(lang, views.site.url(lang.prefix))
                          for lang in languages.all] if languages.multilingual else []
        prefix = language.prefix if language else "/"
        self.feeds = feed_links(views.site, prefix)
        self.feed_url = self.feeds[0].url if self.feeds else None
        search = "search/" if not language or language is languages.default else (
            f"search/{language.code}/")
        self.search_url = views.site.url("/" + search)

    @property
    def pages(self) -> list[PageView]:
        """Every published page (in this language), newest first."""
        site = self._views.site
        if not self._lang:
            record(keys.page_order())
            return self._views.pages(site.order)
        record(keys.language_order(self._lang))
        return self._views.pages(site.orders[self._lang])

    @property
    def data(self) -> DataView:
        """The data files' values: `site.data.NAME`."""
        return DataView(self._views.site.data)

    @property
    def home(self) -> SectionView:
        """The home page's section (content/_index.md; the language's own home)."""
        site = self._views.site
        return self._views.section(site.languages.key(self._lang, "") if self._lang else "")

    @property
    def sections(self) -> list[SectionView]:
        """Top-level sections, by weight then title."""
        return self.home.subsections

    @property
    def main_sections(self) -> list[SectionView]:
        """The sections whose newest pages the home page lists (`main_sections`)."""
        record(keys.section_keys())
        record(keys.blog_sections())
        site = self._views.site
        return [self._views.section(k) for k in self._views.main_sections()
                if k in site.sections and (not self._lang or site.sections[k].lang == self._lang)]

    @property
    def home_pages(self) -> list[PageView]:
        """The pages the home page lists, newest first: those of the main sections."""
        if self._lang:
            record(keys.home_pages())
            record(keys.language_order(self._lang))
            return self._views.pages(families.home_pages(self._views.site, self._lang))
        return self._views.pages(self._views.home_pages())

    def menu(self, name: str = "main", *, fallback: bool = False) -> list[MenuItem]:
        """The entries of a menu, by weight: those of `[[menu.NAME]]` in ssg.toml and the
        pages and sections whose front matter says `menu: NAME`; empty when there are none (a
        theme then shows a default, such as the top-level sections). With `fallback`, a menu
        without entries gives that default: the top-level sections and the taxonomies that
        have terms. Worked out once per build."""
        return list(once(self._menus, (name, fallback), lambda: self._menu(name, fallback)))

    def _menu(self, name: str, fallback: bool) -> list[MenuItem]:
        views = self._views
        site = views.site
        items: list[MenuItem] = []
        language = site.languages.by_code.get(self._lang) if self._lang else None
        lang = self._lang or None
        menus = (language.menu if language is not None and language.menu is not None
                 else site.config.menu)
        for entry in menus.get(name, ()):
            if entry.page is not None:
                path = families.menu_target(site, entry.page, lang)
                if entry.page in site.pages:
                    record(keys.page_meta(entry.page))
                else:
                    record(keys.section_keys())
                if lang is not None:  # its translation, once it has one, is the target
                    for candidate in localized_targets(site.languages, lang)(entry.page):
                        record(keys.page_meta(candidate))
                    record(keys.section_keys())
                url = site.url(path) if path is not None else ""
            else:
                assert entry.url is not None
                url = site.url(entry.url.lstrip("/")) if entry.url.startswith("/") else entry.url
            items.append(MenuItem(entry.name, url, entry.weight))
        record(keys.menu_pages())
        for menu, title, path, weight in families.menu_pages(site, lang):
            if menu == name:
                items.append(MenuItem(title, site.url(path), weight))
        if items or not fallback:
            return sorted(items, key=lambda item: item.weight)
        shown = [(s.title, s.url) for s in self.sections]
        shown += [(t.title, t.url) for t in self.taxonomies.values() if t.has_terms]
        return [MenuItem(title, url, weight) for weight, (title, url) in enumerate(shown)]

    @property
    def taxonomies(self) -> dict[str, TaxonomyView]:
        """Every configured taxonomy (of this language) by name."""
        site = self._views.site
        if not self._lang:
            return {name: self._views.taxonomy(name) for name in site.taxonomies}
        return {taxonomy.name: self._views.taxonomy(key)
                for key, taxonomy in site.taxonomies.items()
                if site.languages.of_key(key)[0] == self._lang}


@dataclass(frozen=True)
class LanguageView:
    """One of the site's languages: the items of `site.languages`."""

    _language: Language
    #: Its home page's URL.
    url: str

    code = property(lambda self: self._language.code, doc="Its code: `fr`.")
    name = property(lambda self: self._language.name, doc="Its name in itself: `Français`.")
    title = property(lambda self: self._language.title, doc="The site title in it.")
    dir = property(lambda self: self._language.direction, doc="Its direction: ltr or rtl.")
    weight = property(lambda self: self._language.weight, doc="Its order among languages.")
