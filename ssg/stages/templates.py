"""The Jinja2 environment and the read-only views of the site that templates see."""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ssg.config import FEED_FORMATS, Config
from ssg.errors import ContentError, TemplateError
from ssg.stages import keys
from ssg.stages.assemble import Page, Section, Site, Taxonomy, Term
from ssg.stages.content import Document
from ssg.stages.keys import record, tracking
from ssg.stages.lookup import template_dirs, template_file
from ssg.stages.markdown import Content, reading_time
from ssg.stages.shortcodes import Call
from ssg.utils import rfc3339, slugify, to_datetime


class _TrackingEnvironment(jinja2.Environment):
    """Records every template loaded, by `extends`, `include` and `import` too."""

    def get_template(self, name: Any, parent: str | None = None,
                     globals: Any = None) -> jinja2.Template:  # noqa: A002 - Jinja's name
        if isinstance(name, str):
            record(keys.template(name))
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None,
                        globals: Any = None) -> jinja2.Template:  # noqa: A002 - Jinja's name
        for name in names:
            if isinstance(name, str):
                record(keys.template(name))
        return super().select_template(names, parent, globals)


_LITERAL_ID = re.compile(r"""\sid\s*=\s*["']([^"'{}]+)["']""")


def template_ids(config: Config) -> frozenset[str]:
    """The ids written as they are in template files (`<main id="main">`): on every page."""
    ids: set[str] = set()
    for root in template_dirs(config):
        if root.is_dir():
            for path in sorted(root.rglob("*.htm*")):
                try:
                    ids.update(_LITERAL_ID.findall(path.read_text(encoding="utf-8")))
                except (OSError, UnicodeDecodeError):
                    continue  # rendering reports it
    return frozenset(ids)


class _Loader(jinja2.FileSystemLoader):
    """Loads templates from template_dirs; one that is not UTF-8 is an error naming it."""

    def __init__(self, config: Config):
        super().__init__([str(p) for p in template_dirs(config)])
        self.config = config

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Any]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            path = template_file(self.config, template)
            raise TemplateError("not UTF-8 text; save the template as UTF-8",
                                path=_display(str(path or template), self.config)) from exc


class _Undefined(jinja2.StrictUndefined):
    """Strict, with a message in templates' words: `page has no attribute 'titel'; did you
    mean 'title'?` rather than `'ssg.stages.templates.PageView object' has no attribute 'titel'`."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint is not None or obj is jinja2.utils.missing or not isinstance(
                name, str):
            return super()._undefined_message
        kind = type(obj)
        if kind.__module__.startswith("ssg."):  # PageView -> page, Paginator -> paginator
            label = kind.__name__.removesuffix("View").lower()
        else:
            label = f"'{jinja2.utils.object_type_repr(obj)}'"
        names = {n for n in dir(obj) if not n.startswith("_")}
        if isinstance(obj, Mapping):
            names |= {key for key in obj if isinstance(key, str)}
        message = f"{label} has no attribute '{name}'"
        close = difflib.get_close_matches(name, sorted(names), n=1)
        return f"{message}; did you mean '{close[0]}'?" if close else message


def make_environment(config: Config) -> jinja2.Environment:
    """A Jinja2 environment with HTML autoescaping, strict undefined and ssg's filters."""
    env = _TrackingEnvironment(
        auto_reload=False,
        loader=_Loader(config),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=_Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    base_path = config.base_path
    origin = config.origin
    env.filters["date"] = format_date
    env.filters["isodate"] = rfc3339
    env.filters["rfc822"] = rfc822
    env.filters["xml_text"] = xml_text
    env.filters["relative_url"] = lambda path: base_path + str(path).lstrip("/")
    env.filters["absolute_url"] = lambda path: origin + base_path + str(path).lstrip("/")
    return env


def format_date(value: datetime | None, fmt: str = "%B %d, %Y") -> str:
    """Format a date for people (strftime format)."""
    return value.strftime(fmt) if value is not None else ""


def rfc822(value: datetime | str) -> str:
    """Format a datetime (or an RFC 3339 string) the way RSS wants it:
    `Mon, 02 Mar 2026 10:30:00 +0000`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(to_datetime(value))


#: Characters XML 1.0 cannot carry, not even as character references.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_non_xml(text: str) -> str:
    """The text without the control characters (and non-characters) XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


def xml_text(value: object) -> Markup:
    """Any value as XML character data: markup escaped too (so HTML survives as the text of
    `<content type="html">`), forbidden control characters dropped."""
    return escape(strip_non_xml(str(value)))


def describe_template_error(exc: BaseException, config: Config, *, rendering: str) -> TemplateError:
    """Turn any exception raised by Jinja into a TemplateError naming template, line and page."""
    if isinstance(exc, TemplateError):
        return exc
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(f"template syntax error: {exc.message}",
                             path=_display(exc.filename or exc.name or "?", config),
                             line=exc.lineno)
    if isinstance(exc, jinja2.TemplateNotFound):
        names = ", ".join(getattr(exc, "templates", None) or [exc.name or "?"])
        return TemplateError(
            f"template '{names}' not found (looked in templates/ and "
            f"{_display(str(config.theme_dir / 'templates'), config)}/)",
            path=rendering,
        )
    if isinstance(exc, RecursionError):
        message = ("templates call each other without end or too deeply (a recursive include, "
                   "extends or macro)")
    elif isinstance(exc, jinja2.UndefinedError):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    where, line = _template_frame(exc, config)
    return TemplateError(f"{message} (while rendering {rendering})", path=where, line=line)


def _template_frame(exc: BaseException, config: Config) -> tuple[str, int | None]:
    roots = [str(p) for p in template_dirs(config)]
    found: tuple[str, int | None] = ("templates", None)
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if any(filename.startswith(root) for root in roots):
            found = (_display(filename, config), line)
    return found


def _display(filename: str, config: Config) -> str:
    path = Path(filename)
    for root in (config.site_dir, config.theme_dir.parent.parent):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return filename


class ShortcodeRenderer:
    """Renders shortcode calls with `shortcodes/NAME.html` templates."""

    def __init__(self, config: Config):
        self.config = config
        self.env = make_environment(config)
        self.used: set[str] = set()

    def __call__(self, call: Call, body: str | None, doc: Document) -> str:
        """The HTML of one call in doc; errors name the page and the line of the call."""
        where = doc.source.display
        name = f"shortcodes/{call.name}.html"
        self.used.add(name)
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            raise ContentError(f"unknown shortcode '{call.name}' (no templates/{name})",
                               path=where, line=call.line) from None
        except Exception as exc:
            raise describe_template_error(exc, self.config, rendering=where) from exc
        context = {
            **call.kwargs,
            "args": {"named": call.kwargs, "positional": call.positional},
            "body": Markup(body) if body is not None else None,
            "page": {"title": doc.front.title, "src_path": where, "extra": doc.front.extra},
            "site": {"title": self.config.title, "base_path": self.config.base_path,
                     "extra": self.config.extra},
        }
        with tracking() as deps:
            try:
                html = template.render(context)
            except Exception as exc:
                raise describe_template_error(
                    exc, self.config, rendering=f"{where}:{call.line}") from exc
        self.used.update(keys.template_names(deps))
        return html.strip()


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
        self.site_view = SiteView(self)

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

    def taxonomy(self, name: str) -> TaxonomyView:
        """The view of a whole taxonomy."""
        return TaxonomyView(self, self.site.taxonomies[name])


class PageView:
    """What templates see as `page`; every read is recorded as a dependency of the output."""

    def __init__(self, views: Views, page: Page):
        self._views = views
        self._page = page
        self._src = page.src

    def __repr__(self) -> str:
        return f"<page {self._src}>"

    def _meta(self) -> Page:
        record(keys.page_meta(self._src))
        return self._page

    def _body(self) -> Content:
        record(keys.page_body(self._src))
        return self._views.contents[self._src]

    title = property(lambda self: self._meta().title, doc="The page title.")
    slug = property(lambda self: self._meta().slug, doc="The URL segment of the page.")
    url = property(lambda self: self._views.site.url(self._meta().path),
                   doc="The URL with the base path: `/docs/posts/hello/`.")
    permalink = property(lambda self: self._views.site.permalink(self._meta().path),
                         doc="The absolute URL.")
    date = property(lambda self: self._meta().date, doc="Publication date, or None.")
    updated = property(lambda self: self._meta().doc.front.updated, doc="Last update, or None.")
    weight = property(lambda self: self._meta().weight, doc="Ordering weight.")
    draft = property(lambda self: self._meta().doc.front.draft, doc="True for drafts.")
    extra = property(lambda self: self._meta().doc.front.extra, doc="Front matter `extra`.")
    src_path = property(lambda self: self._meta().doc.source.display,
                        doc="The source file: `content/posts/hello.md`.")
    content = property(lambda self: Markup(self._body().html), doc="The body as HTML.")
    toc = property(lambda self: Markup(self._body().toc), doc="Table of contents as HTML.")
    word_count = property(lambda self: self._body().word_count, doc="Words in the body.")
    reading_time = property(lambda self: reading_time(self._body().word_count),
                            doc="Minutes to read, at least one.")

    @property
    def summary(self) -> Markup:
        """The summary as HTML."""
        record(keys.page_summary(self._src))
        return Markup(self._views.contents[self._src].summary)

    @property
    def taxonomies(self) -> dict[str, list[TermView]]:
        """Each configured taxonomy's terms on this page."""
        page = self._meta()
        site = self._views.site
        result: dict[str, list[TermView]] = {}
        for name, taxonomy in site.taxonomies.items():
            slugs = {slugify(t) or t for t in page.doc.front.terms.get(name, ())}
            result[name] = [self._views.term(name, t) for t in taxonomy.terms if t.slug in slugs]
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
    path = property(lambda self: self._key, doc="The folder under content/ ('' for home).")
    url = property(lambda self: self._views.site.url(self._meta().path), doc="Its URL.")
    permalink = property(lambda self: self._views.site.permalink(self._meta().path),
                         doc="Its absolute URL.")
    feeds = property(lambda self: feed_links(self._views.site, self._meta().path),
                     doc="Its feeds, in the order of the `feeds` setting.")
    feed_url = property(lambda self: next((f.url for f in self.feeds), None),
                        doc="The URL of its first feed (Atom by default), or None.")
    weight = property(lambda self: self._meta().weight, doc="Ordering weight.")
    extra = property(lambda self: self._meta().doc.front.extra if self._section.doc else {},
                     doc="Front matter `extra` of the front file (_index.md).")
    content = property(lambda self: Markup(c.html if (c := self._content()) else ""),
                       doc="The text of _index.md as HTML.")
    summary = property(lambda self: Markup(c.summary if (c := self._content()) else ""),
                       doc="The summary of _index.md as HTML.")
    toc = property(lambda self: Markup(c.toc if (c := self._content()) else ""),
                   doc="Table of contents of _index.md.")

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

    def __init__(self, views: Views, taxonomy: Taxonomy):
        self._views = views
        self._taxonomy = taxonomy
        self.name = taxonomy.name
        self.title = taxonomy.name.replace("_", " ").capitalize()
        self.url = views.site.url(taxonomy.path)
        self.permalink = views.site.permalink(taxonomy.path)

    @property
    def terms(self) -> list[TermView]:
        """Every term, sorted by name."""
        record(keys.taxonomy_terms(self.name))
        return [self._views.term(self.name, t) for t in self._taxonomy.terms]


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
    """What templates see as `site`."""

    def __init__(self, views: Views):
        self._views = views
        config = views.site.config
        self.config = config
        self.title = config.title
        self.description = config.description
        self.author = config.author
        self.language = config.language
        self.base_url = config.origin + config.base_path
        self.base_path = config.base_path
        self.extra = config.extra
        self.feeds = feed_links(views.site, "/")
        self.feed_url = self.feeds[0].url if self.feeds else None

    @property
    def pages(self) -> list[PageView]:
        """Every published page, newest first."""
        record(keys.page_order())
        return self._views.pages(self._views.site.order)

    @property
    def data(self) -> DataView:
        """The data files' values: `site.data.NAME`."""
        return DataView(self._views.site.data)

    @property
    def home(self) -> SectionView:
        """The home page's section (content/_index.md)."""
        return self._views.section("")

    @property
    def sections(self) -> list[SectionView]:
        """Top-level sections, by weight then title."""
        return self.home.subsections

    @property
    def taxonomies(self) -> dict[str, TaxonomyView]:
        """Every configured taxonomy by name."""
        return {name: self._views.taxonomy(name) for name in self._views.site.taxonomies}
