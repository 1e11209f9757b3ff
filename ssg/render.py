"""Render the assembled site: Markdown bodies, then every output file through templates."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from pygments.formatters import HtmlFormatter

from ssg.content import Document
from ssg.errors import ContentError, SsgError, raise_all
from ssg.markup import Content, MarkdownRenderer
from ssg.site import Site
from ssg.templates import PageView, Views, describe_template_error, make_environment
from ssg.utils import dest_for_path

log = logging.getLogger("ssg")

#: Called as work advances: (what, done, total).
Progress = Callable[[str, int, int], None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Output:
    """One file of the finished site: bytes to write, or a file to copy."""

    #: Path relative to the output folder, POSIX style: `posts/hello/index.html`.
    dest_path: str
    #: What made it, for messages about clashes: `content/posts/hello.md`.
    origin: str
    data: bytes | None = None
    src_path: Path | None = None


def render_markdown(site: Site, *, strict: bool = False,
                    progress: Progress | None = None) -> dict[str, Content]:
    """Render every page's and section's Markdown; missing link targets warn (or fail)."""
    config = site.config
    renderer = MarkdownRenderer(config.markdown, site.links, config.base_path)
    docs: list[Document] = [p.doc for p in site.pages.values()]
    docs += [s.doc for s in site.sections.values() if s.doc is not None]
    contents: dict[str, Content] = {}
    errors: list[SsgError] = []
    for index, doc in enumerate(docs):
        content = renderer.render(doc)
        contents[doc.source.rel.as_posix()] = content
        for target in content.missing_links:
            message = f"link to missing page '{target}'"
            if strict:
                errors.append(ContentError(message, path=doc.source.display))
            else:
                log.warning("%s: %s", doc.source.display, message)
        if progress is not None and index % 100 == 0:
            progress("Rendering Markdown", index, len(docs))
    raise_all(errors)
    return contents


class _Renderer:
    """Renders templates into Outputs, turning any template failure into a TemplateError."""

    def __init__(self, site: Site, contents: dict[str, Content]):
        self.site = site
        self.env = make_environment(site.config)
        self.views = Views(site, contents)
        self.globals: dict[str, Any] = {"site": self.views.site_view, "page": None,
                                        "section": None, "paginator": None}

    def render(self, template: str, path: str, origin: str, **context: Any) -> Output:
        """Render one template to the file for the site path `path`."""
        url = self.site.url(path)
        try:
            text = self.env.get_template(template).render(
                {**self.globals, "current_url": url, **context}
            )
        except SsgError:
            raise
        except Exception as exc:  # any failure inside a template is the template's problem
            raise describe_template_error(exc, self.site.config, rendering=origin) from exc
        return Output(dest_for_path(path), origin, data=text.encode("utf-8"))

    def paginated(self, template: str, path: str, origin: str, srcs: tuple[str, ...],
                  **context: Any) -> Iterator[Output]:
        """Render a list once per page of `paginate` items: /path/, /path/page/2/, ..."""
        size = self.site.config.paginate
        total = max(1, -(-len(srcs) // size))

        def pager_path(number: int) -> str:
            return path if number == 1 else f"{path}page/{number}/"

        for number in range(1, total + 1):
            paginator = Paginator(
                pages=self.views.pages(srcs[(number - 1) * size : number * size]),
                number=number,
                total_pages=total,
                total_items=len(srcs),
                prev_url=self.site.url(pager_path(number - 1)) if number > 1 else None,
                next_url=self.site.url(pager_path(number + 1)) if number < total else None,
                first_url=self.site.url(pager_path(1)),
                last_url=self.site.url(pager_path(total)),
            )
            yield self.render(template, pager_path(number), origin, paginator=paginator,
                              **context)


@dataclass(frozen=True)
class Paginator:
    """One page of a paginated list: `paginator` in list templates."""

    pages: list[PageView]
    number: int
    total_pages: int
    total_items: int
    prev_url: str | None
    next_url: str | None
    first_url: str
    last_url: str


def render_site(site: Site, contents: dict[str, Content], *,
                progress: Progress | None = None) -> Iterator[Output]:
    """Every generated file of the site, in a fixed order."""
    r = _Renderer(site, contents)
    views = r.views
    total = len(site.pages)
    for index, (src, page) in enumerate(sorted(site.pages.items())):
        view = views.page(src)
        origin = page.doc.source.display
        yield r.render(page.doc.front.template or "page.html", page.path, origin,
                       page=view, section=view.section)
        for alias in page.aliases:
            yield r.render("alias.html", alias, f"alias in {origin}", target=view.url)
        if progress is not None and index % 100 == 0:
            progress("Rendering pages", index, total)
    for key, section in sorted(site.sections.items()):
        origin = section.doc.source.display if section.doc else f"content/{key}/"
        template = section.doc.front.template if section.doc else None
        if key == "":
            yield from r.paginated(template or "index.html", "/", origin, site.order,
                                   section=views.section(""))
        else:
            yield from r.paginated(template or "section.html", section.path, origin,
                                   section.pages, section=views.section(key))
            yield _feed(r, section.path + "feed.xml", section.title, section.path,
                        section.pages, origin)
    for name, taxonomy in sorted(site.taxonomies.items()):
        tview = views.taxonomy(taxonomy)
        origin = f"taxonomy '{name}'"
        yield r.render("taxonomy.html", taxonomy.path, origin, taxonomy=tview)
        for term, term_view in zip(taxonomy.terms, tview.terms, strict=True):
            yield from r.paginated("term.html", term.path, f"{origin} term '{term.name}'",
                                   term.pages, taxonomy=tview, term=term_view)
    yield _feed(r, "/feed.xml", site.config.title, "/", site.order, "site feed")
    yield r.render("404.html", "/404.html", "404 page")
    yield _sitemap(r)
    yield r.render("robots.txt", "/robots.txt", "robots.txt")
    yield Output("highlight.css", "code highlighting styles",
                 data=highlight_css(site.config.markdown.highlight_style,
                                    site.config.markdown.highlight_style_dark))


def _feed(r: _Renderer, path: str, title: str, alternate: str, srcs: tuple[str, ...],
          origin: str) -> Output:
    entries = [v for v in r.views.pages(srcs) if v.date is not None][: r.site.config.feed_limit]
    updated = max(((e.updated or e.date) for e in entries if e.date), default=_EPOCH)
    return r.render(
        "atom.xml", path, origin, entries=entries, feed_title=title,
        feed_self=r.site.permalink(path), feed_alternate=r.site.permalink(alternate),
        feed_updated=updated.isoformat() if updated else "",
    )


def _sitemap(r: _Renderer) -> Output:
    site = r.site
    entries: list[tuple[str, datetime | None]] = []
    for src in site.order:
        page = site.pages[src]
        entries.append((site.permalink(page.path), page.doc.front.updated or page.date))
    for _key, section in sorted(site.sections.items()):
        newest = next((site.pages[s].date for s in section.pages if site.pages[s].date), None)
        entries.append((site.permalink(section.path), newest))
    for _name, taxonomy in sorted(site.taxonomies.items()):
        for term in taxonomy.terms:
            entries.append((site.permalink(term.path), site.pages[term.pages[0]].date))
    entries.sort(key=lambda e: e[0])
    return r.render("sitemap.xml", "/sitemap.xml", "sitemap", entries=entries)


def highlight_css(light: str, dark: str) -> bytes:
    """Pygments CSS for `.highlight` code blocks: light, and dark under prefers-color-scheme."""
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=dark).get_style_defs(".highlight")
    dark_css = "\n".join("  " + line for line in dark_css.splitlines())
    css = f"{light_css}\n@media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"
    return css.encode("utf-8")


def check_template_exists(env: jinja2.Environment, name: str) -> bool:
    """True when a template of that name can be loaded."""
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True
