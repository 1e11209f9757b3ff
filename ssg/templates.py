"""The Jinja2 environment and the read-only views of the site that templates see."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from pathlib import Path

import jinja2
from markupsafe import Markup

from ssg.config import Config
from ssg.errors import TemplateError
from ssg.markup import Content, reading_time
from ssg.site import Page, Section, Site, Taxonomy, Term
from ssg.utils import rfc3339, slugify

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "builtin"


def template_dirs(config: Config) -> list[Path]:
    """Where templates are looked up, first match wins: site, theme, ssg's built-ins."""
    return [config.site_dir / "templates", config.theme_dir / "templates", BUILTIN_TEMPLATES]


def make_environment(config: Config) -> jinja2.Environment:
    """A Jinja2 environment with HTML autoescaping, strict undefined and ssg's filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in template_dirs(config)]),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    base_path = config.base_path
    origin = config.origin
    env.filters["date"] = format_date
    env.filters["isodate"] = rfc3339
    env.filters["relative_url"] = lambda path: base_path + str(path).lstrip("/")
    env.filters["absolute_url"] = lambda path: origin + base_path + str(path).lstrip("/")
    return env


def format_date(value: datetime | None, fmt: str = "%B %d, %Y") -> str:
    """Format a date for people (strftime format)."""
    return value.strftime(fmt) if value is not None else ""


def describe_template_error(exc: BaseException, config: Config, *, rendering: str) -> TemplateError:
    """Turn any exception raised by Jinja into a TemplateError naming template, line and page."""
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
        message = "templates include each other without end (recursive include or extends)"
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
            view = self._terms[(taxonomy, term.slug)] = TermView(self, term)
        return view

    def taxonomy(self, taxonomy: Taxonomy) -> TaxonomyView:
        """The view of a whole taxonomy."""
        return TaxonomyView(self, taxonomy)


class PageView:
    """What templates see as `page`."""

    def __init__(self, views: Views, page: Page):
        self._views = views
        self._page = page
        self._content = views.contents[page.src]
        self.title = page.title
        self.slug = page.slug
        self.url = views.site.url(page.path)
        self.permalink = views.site.permalink(page.path)
        self.date = page.date
        self.updated = page.doc.front.updated
        self.weight = page.weight
        self.draft = page.doc.front.draft
        self.extra = page.doc.front.extra
        self.src_path = page.doc.source.display
        self.word_count = self._content.word_count
        self.reading_time = reading_time(self._content.word_count)
        self.content = Markup(self._content.html)
        self.summary = Markup(self._content.summary)
        self.toc = Markup(self._content.toc)

    @cached_property
    def taxonomies(self) -> dict[str, list[TermView]]:
        """Each configured taxonomy's terms on this page."""
        site = self._views.site
        result: dict[str, list[TermView]] = {}
        for name, taxonomy in site.taxonomies.items():
            wanted = self._page.doc.front.terms.get(name, ())
            slugs = {slugify(t) or t for t in wanted}
            result[name] = [self._views.term(name, t) for t in taxonomy.terms if t.slug in slugs]
        return result

    @property
    def section(self) -> SectionView:
        """The section the page is listed in."""
        return self._views.section(self._page.section)

    @property
    def prev(self) -> PageView | None:
        """The page before this one in its section's listing."""
        src = self._views.site.neighbours[self._page.src][0]
        return self._views.page(src) if src else None

    @property
    def next(self) -> PageView | None:
        """The page after this one in its section's listing."""
        src = self._views.site.neighbours[self._page.src][1]
        return self._views.page(src) if src else None


class SectionView:
    """What templates see as `section`."""

    def __init__(self, views: Views, section: Section):
        self._views = views
        self._section = section
        site = views.site
        content = views.contents.get(f"{section.key}/_index.md".lstrip("/"))
        self.title = section.title
        self.path = section.key
        self.url = site.url(section.path)
        self.permalink = site.permalink(section.path)
        self.feed_url = site.url(section.path + "feed.xml")
        self.weight = section.weight
        self.extra = section.doc.front.extra if section.doc else {}
        self.content = Markup(content.html if content else "")
        self.summary = Markup(content.summary if content else "")
        self.toc = Markup(content.toc if content else "")

    @cached_property
    def pages(self) -> list[PageView]:
        """The section's own pages in listing order."""
        return self._views.pages(self._section.pages)

    @cached_property
    def subsections(self) -> list[SectionView]:
        """Child sections, by weight then title."""
        return [self._views.section(k) for k in self._section.subsections]

    @property
    def parent(self) -> SectionView | None:
        """The enclosing section (the home section for top-level ones)."""
        key = self._section.parent
        return self._views.section(key) if key is not None else None


class TermView:
    """One taxonomy term: `term` in term.html, items of `page.taxonomies`."""

    def __init__(self, views: Views, term: Term):
        self._views = views
        self.name = term.name
        self.slug = term.slug
        self.url = views.site.url(term.path)
        self.permalink = views.site.permalink(term.path)
        self.count = len(term.pages)
        self._pages = term.pages

    @cached_property
    def pages(self) -> list[PageView]:
        """Pages carrying this term, newest first."""
        return self._views.pages(self._pages)


class TaxonomyView:
    """A taxonomy: `taxonomy` in taxonomy.html and term.html."""

    def __init__(self, views: Views, taxonomy: Taxonomy):
        self.name = taxonomy.name
        self.title = taxonomy.name.replace("_", " ").capitalize()
        self.url = views.site.url(taxonomy.path)
        self.permalink = views.site.permalink(taxonomy.path)
        self.terms = [views.term(taxonomy.name, t) for t in taxonomy.terms]


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
        self.feed_url = views.site.url("/feed.xml")

    @cached_property
    def pages(self) -> list[PageView]:
        """Every published page, newest first."""
        return self._views.pages(self._views.site.order)

    @cached_property
    def home(self) -> SectionView:
        """The home page's section (content/_index.md)."""
        return self._views.section("")

    @cached_property
    def sections(self) -> list[SectionView]:
        """Top-level sections, by weight then title."""
        return self.home.subsections

    @cached_property
    def taxonomies(self) -> dict[str, TaxonomyView]:
        """Every configured taxonomy by name."""
        return {name: self._views.taxonomy(t) for name, t in self._views.site.taxonomies.items()}


