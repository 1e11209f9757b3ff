"""Render the assembled site: Markdown bodies, then every planned output through templates.

A `Renderer` turns one `Task` (see `plan`) into bytes while recording what it read, so that an
incremental build can skip tasks whose inputs did not change.
"""

from __future__ import annotations

import json
import logging
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import jinja2.meta
from pygments.formatters import HtmlFormatter

from ssg import __version__
from ssg.errors import ContentError, SsgError, TemplateError, raise_all
from ssg.highlight import style
from ssg.stages import keys
from ssg.stages.assemble import Site
from ssg.stages.assets import Asset, Assets, minify
from ssg.stages.discover import is_markdown
from ssg.stages.families import home_pages
from ssg.stages.hooks import body_hooks, page_context
from ssg.stages.keys import Key, digest, record, tracking
from ssg.stages.language_context import LanguageContext, document_links, sitemap_alternates
from ssg.stages.link_kinds import LOG_LEVELS, link_kind
from ssg.stages.links import LinkMemo, PageLinks
from ssg.stages.markdown import Content, MarkdownRenderer, Ref
from ssg.stages.parse import Document
from ssg.stages.plan import GENERATED_KINDS, Task
from ssg.stages.resources import ImageResource, site_image
from ssg.stages.search_text import SearchRecord, page_record
from ssg.stages.templates import (
    ShortcodeRenderer,
    describe_template_error,
    make_environment,
    strip_non_xml,
)
from ssg.stages.views import PageView, Views, once
from ssg.utils import dest_for_path, rfc3339

log = logging.getLogger("ssg")


#: Called as work advances: (what, done, total).
Progress = Callable[[str, int, int], None]


#: The `updated` time of feeds when no page of the whole site has a date: a fixed value, as
#: the output must not depend on when or from which checkout it was built.
NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)


def markdown_docs(site: Site) -> list[Document]:
    """Every document whose Markdown is rendered: pages and section files."""
    docs = [p.doc for p in site.pages.values()]
    docs += [s.doc for s in site.sections.values() if s.doc is not None]
    return docs


def markdown_renderer(site: Site) -> MarkdownRenderer:
    """A Python-Markdown instance for the site's documents (making one costs: reuse it)."""
    config = site.config
    return MarkdownRenderer(config.markdown, site.links, config.base_path,
                            ShortcodeRenderer(config), body_hooks(site),
                            site_dir=config.site_dir)


def render_documents(site: Site, docs: list[Document],
                     renderer: MarkdownRenderer | None = None) -> list[Content]:
    """Render the Markdown of some documents with one reused Python-Markdown instance."""
    if renderer is None:
        renderer = markdown_renderer(site)
    if not site.languages.multilingual:
        return [renderer.render(doc) for doc in docs]
    return [renderer.render(doc, localize=document_links(site, doc)) for doc in docs]


def report_links(site: Site, contents: Mapping[str, Content], tasks: list[Task], *,
                 strict: bool, ids: frozenset[str] = frozenset(),
                 elsewhere: tuple[str, ...] = (), memo: LinkMemo | None = None) -> None:
    """Warn about (or with strict, fail on) links of the Markdown to pages, files and
    #fragments the site does not have; `ids` are those every page has (from templates),
    `elsewhere` the folders of the output that others fill (`search/`).

    Derived afresh on every build from the contents (cached or not), so a change to one page's
    headings shows in the warnings about the pages linking to it. With a `memo` of the last
    check, a page whose links, URL and looked-up pages are as they were, on a site with the
    same files and pages, is not checked again: its problems are the ones found then (the
    memo is updated to this check).
    """
    base = site.config.base_path
    docs = {doc.source.src: (doc, path) for doc, path in _documents(site)}
    by_dest = {dest_for_path(path): src for src, (_doc, path) in docs.items()}
    dests = {task.dest_path for task in tasks}
    files: dict[tuple[str, str], tuple[str | None, str] | None] = {}
    check = site.config.check
    site_fp = digest(base, elsewhere, sorted(ids), sorted(dests), sorted(by_dest.items()),
                     repr(check))
    earlier = memo.pages if memo is not None and memo.site_fp == site_fp else {}
    target_fps: dict[str, str] = {}

    def target_fp(src: str) -> str:
        found = target_fps.get(src)
        if found is None:
            doc = docs.get(src)
            found = target_fps[src] = "" if doc is None else digest(
                doc[0].source.display, sorted(contents[src].ids))
        return found

    checked: dict[str, PageLinks] = {}
    errors: list[SsgError] = []
    for src, (doc, path) in sorted(docs.items()):
        here = site.url(path)
        for line, problem in contents[src].warnings:  # bad LaTeX, found while rendering
            if strict:
                errors.append(ContentError(problem, path=doc.source.display, line=line))
            else:
                log.warning("%s%s: %s", doc.source.display,
                            f":{line}" if line is not None else "", problem)
        refs = contents[src].refs
        page_fp = digest(here, [tuple(ref) for ref in refs])  # a NamedTuple's repr is slow
        old = earlier.get(src)
        if old is None or old.fp != page_fp or any(target_fp(target) != fp
                                                   for target, fp in old.targets):
            looked: set[str] = set()
            problems = []
            for ref in refs:
                broken = _broken(ref, src, here, docs, by_dest, dests, contents,
                                 (base, elsewhere, ids), files, looked)
                if broken is not None:
                    message, anchor = broken
                    problems.append((ref.line, message, link_kind(
                        ref.href, matched=ref.target is not None, anchor=anchor, check=check)))
            old = PageLinks(page_fp, tuple((target, target_fp(target))
                                           for target in sorted(looked)), tuple(problems))
        checked[src] = old
        for line, message, kind in old.problems:
            level = check.level(kind)
            if level == "warn" and strict:
                errors.append(ContentError(message, path=doc.source.display, line=line))
            else:
                where = doc.source.display + (f":{line}" if line is not None else "")
                note = "" if level == "warn" else f"note ({kind}): "
                log.log(LOG_LEVELS[level], "%s%s: %s", note, where, message)
    if memo is not None:
        memo.site_fp, memo.pages = site_fp, checked
    raise_all(errors)


def _documents(site: Site) -> list[tuple[Document, str]]:
    """Every rendered document with the site path it is shown at."""
    docs = [(p.doc, p.path) for p in site.pages.values()]
    docs += [(s.doc, s.path) for s in site.sections.values() if s.doc is not None]
    return docs


def _find(url: str, base: str, elsewhere: tuple[str, ...], dests: set[str]
          ) -> tuple[str | None, str] | None:
    """The output file a URL names, or None for it, and the URL's path under the base path;
    None for a URL outside what the build makes (`ssg check` reports those)."""
    parts = urlsplit(url)
    rel = unquote(parts.path)
    if parts.scheme or parts.netloc or not rel.startswith(base):
        return None
    rel = rel[len(base):]
    if rel.startswith(elsewhere):
        return None
    candidates = [rel + "index.html"] if rel.endswith("/") or not rel else [
        rel, rel + "/index.html"]  # servers redirect /a to /a/
    return next((d for d in candidates if d in dests), None), rel


def _broken(ref: Ref, src: str, here: str, docs: Mapping[str, tuple[Document, str]],
            by_dest: Mapping[str, str], dests: set[str], contents: Mapping[str, Content],
            site_wide: tuple[str, tuple[str, ...], frozenset[str]],
            files: dict[tuple[str, str], tuple[str | None, str] | None],
            read_ids: set[str]) -> tuple[str, bool] | None:
    """Why one link of the document `src` (shown at URL `here`) is broken and whether only
    its #fragment is missing, or None; `files` caches what URLs name; `read_ids` gets the
    documents whose ids it read."""
    base, elsewhere, ids = site_wide
    target = ref.target
    if target is None and ref.href.startswith("#"):
        target = src
    elif target is None:
        path = ref.href.partition("#")[0].partition("?")[0]
        if is_markdown(posixpath.basename(unquote(path))):
            return f"link to missing page '{ref.href}'", False
        key = (here if not path.startswith("/") else "", path)
        if key not in files:  # many pages link to the same few files
            files[key] = _find(urljoin(here, path), base, elsewhere, dests)
        hit = files[key]
        if hit is None:
            return None
        found, rel = hit
        if found is None:
            what = ("image" if ref.tag == "img"
                    else "file" if "." in rel.rsplit("/", 1)[-1] else "page")
            looked = "" if ref.href == base + rel else f" (no {base}{rel} in the site)"
            return f"link to missing {what} '{ref.href}'{looked}", False
        target = by_dest.get(found)
    if not ref.fragment or target is None or target not in docs:
        return None
    fragment = ref.fragment
    read_ids.add(target)
    known = contents[target].ids
    if (fragment in known or unquote(fragment) in known or fragment in ids
            or fragment.lower() == "top"):
        return None
    where = "this page" if target == src else docs[target][0].source.display
    return f"link to '{ref.href}': no heading or id '{fragment}' on {where}", True


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


class Renderer:
    """Turns tasks into bytes; any failure inside a template becomes a TemplateError."""

    def __init__(self, site: Site, contents: Mapping[str, Content]):
        self.site = site
        self.contents = contents
        self.env = make_environment(site.config)
        self.views = Views(site, contents)
        markdown = site.config.markdown
        self.assets = Assets(site.config, site.images.store, fingerprint=site.fingerprint,
                             minified=site.minify, note=record,
                             generated={"highlight.css": lambda: highlight_css(
                                 markdown.highlight_style, markdown.highlight_style_dark)})
        self.languages = LanguageContext(site)
        self.env.globals.update(self.languages.environment_globals())
        self._assets: dict[Any, tuple[Any, frozenset[Key]]] = {}
        self.globals: dict[str, Any] = {"site": self.views.site_view, "page": None,
                                        "section": None, "paginator": None, "taxonomy": None,
                                        "term": None, "plugins": {}, "image": self._image,
                                        "asset": self._asset,
                                        "asset_url": self._asset_url,
                                        "bundle": self.assets.bundle}

    def compile_templates(self, names: Iterable[str]) -> None:
        """Compile the named templates and those they extend, include and import, before
        worker processes fork: each would compile its own copy of them all otherwise. One
        that fails is left for the output that renders it to report."""
        env = self.env
        assert env.loader is not None
        todo, seen = sorted(set(names)), set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                env.get_template(name)
                source = env.loader.get_source(env, name)[0]
                found = jinja2.meta.find_referenced_templates(env.parse(source))
            except Exception:  # noqa: BLE001, S112 - rendering reports it, with the output
                continue
            todo.extend(ref for ref in found if ref is not None and ref not in seen)

    def _asset(self, path: str) -> Asset:
        """`asset("css/style.css")` in templates: looked up once per build, as every page
        asks for the same few files."""
        return once(self._assets, path, lambda: self.assets.asset(path))

    def _asset_url(self, path: str) -> str:
        """`asset_url("js/code.js")` in templates."""
        return self._asset(path).url

    def _image(self, path: str) -> ImageResource:
        """`image("img/a.jpg")` in templates."""
        config = self.site.config
        return site_image(path, self.site.images, (config.site_dir, *config.themes),
                          config.base_path, record, self.assets.url)

    def render(self, task: Task) -> tuple[bytes, frozenset[Key]]:
        """The bytes of one output and the keys of everything it read."""
        with tracking() as deps:
            data = self._render(task)
        if self.site.minify:
            data = minify(task.dest_path, data)
        return data, frozenset(deps)

    def search_record(self, task: Task) -> tuple[SearchRecord | None, frozenset[Key]]:
        """The search record of a page's output (None for other outputs) and the keys it
        read: made from the rendered body the page already has, not from its HTML."""
        if task.kind != "page":
            return None, frozenset()
        src = task.args[0]
        with tracking() as deps:
            record(keys.page_meta(src))
            record(keys.page_body(src))
            record(keys.page_summary(src))
        return page_search_record(self.site, self.contents, src), frozenset(deps)

    def _render(self, task: Task) -> bytes:
        if task.kind in GENERATED_KINDS:
            record(keys.static_file(task.dest_path))  # a static file of that name would replace it
        if task.kind == "css":
            markdown = self.site.config.markdown
            return highlight_css(markdown.highlight_style, markdown.highlight_style_dark)
        if task.kind == "copy":
            assert task.src_path is not None
            record(keys.copied_file(str(task.src_path)))
            if task.origin.startswith(("static/", "theme static")):
                # A site's static file that comes to shadow the theme's changes what is copied.
                record(keys.static_file(task.dest_path))
            try:
                return task.src_path.read_bytes()
            except OSError as exc:  # gone or unreadable since it was found
                raise ContentError(f"cannot read: {exc.strerror}", path=task.origin) from exc
        context = getattr(self, "_context_" + task.kind)(task)
        if not task.template:  # the JSON feed
            return json_feed({**self.globals, **self.languages.context(task, self.views, context),
                              **context})
        try:
            with self.languages.rendering(task):
                text = self.env.get_template(task.template).render(
                    {**self.globals, "current_url": self.site.url(task.path),
                     **self.languages.context(task, self.views, context), **context}
                )
        except TemplateError as exc:
            if exc.path is not None:
                raise
            raise describe_template_error(exc, self.site.config, rendering=task.origin) from exc
        except SsgError:
            raise
        except Exception as exc:  # any failure inside a template is the template's problem
            raise describe_template_error(exc, self.site.config, rendering=task.origin) from exc
        return text.encode("utf-8")

    def _context_page(self, task: Task) -> dict[str, Any]:
        view = self.views.page(task.args[0])
        return {"page": view, "section": view.section,
                "plugins": page_context(self.site, task.args[0])}

    def _context_alias(self, task: Task) -> dict[str, Any]:
        if task.args[0] == "":  # the default language's home, when it is not at /
            return {"target": self.views.site_in(task.lang).home.url}
        return {"target": self.views.page(task.args[0]).url}

    def _context_template(self, task: Task) -> dict[str, Any]:
        return {}

    def _context_taxonomy(self, task: Task) -> dict[str, Any]:
        return {"taxonomy": self.views.taxonomy(task.args[0])}

    def _list_items(self, args: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, Any]]:
        kind = args[0]
        if kind == "home" and args[1]:  # a language's home
            record(keys.home_pages())
            record(keys.language_order(args[1]))
            key = self.site.languages.key(args[1], "")
            return home_pages(self.site, args[1]), {"section": self.views.section(key)}
        if kind == "home":
            record(keys.home_pages())
            return self.views.home_pages(), {"section": self.views.section("")}
        if kind == "section":
            record(keys.section_pages(args[1]))
            return self.site.sections[args[1]].pages, {"section": self.views.section(args[1])}
        taxonomy = self.site.taxonomies[args[1]]
        term = next(t for t in taxonomy.terms if t.slug == args[2])
        record(keys.term_pages(args[1], args[2]))
        return term.pages, {"taxonomy": self.views.taxonomy(args[1]),
                            "term": self.views.term(args[1], term)}

    def _context_list(self, task: Task) -> dict[str, Any]:
        srcs, context = self._list_items(task.args[:-1])
        number = int(task.args[-1])
        size = self.site.config.paginate
        total = max(1, -(-len(srcs) // size))
        base = task.path if number == 1 else task.path[: task.path.rindex("page/")]

        def pager_url(n: int) -> str:
            return self.site.url(base if n == 1 else f"{base}page/{n}/")

        context["paginator"] = Paginator(
            pages=self.views.pages(srcs[(number - 1) * size : number * size]),
            number=number,
            total_pages=total,
            total_items=len(srcs),
            prev_url=pager_url(number - 1) if number > 1 else None,
            next_url=pager_url(number + 1) if number < total else None,
            first_url=pager_url(1),
            last_url=pager_url(total),
        )
        return context

    def _context_feed(self, task: Task) -> dict[str, Any]:
        if task.args[1] == "home" and task.args[2]:  # a language's: its every dated page
            record(keys.language_order(task.args[2]))
            key = self.site.languages.key(task.args[2], "")
            srcs, context = self.site.orders[task.args[2]], {"section": self.views.section(key)}
        elif task.args[1] == "home":  # the site's feed has every dated page, not just the home's
            record(keys.page_order())
            srcs, context = self.site.order, {"section": self.views.section("")}
        else:
            srcs, context = self._list_items(task.args[1:])
        config = self.site.config
        title = config.title
        description = config.description
        alternate = "/"
        if task.lang:
            language = self.site.languages.by_code[task.lang]
            title, description, alternate = language.title, language.description, language.prefix
        if task.args[1] == "section":
            section = self.site.sections[task.args[2]]
            title, alternate = section.title, section.path
            record(keys.section_meta(task.args[2]))
        entries, updated = self._newest(srcs)
        if updated is None and task.args[1] != "home":
            # A feed without dated pages is as new as the site's feed.
            record(keys.page_order())
            updated = self._newest(self.site.order)[1]
        return {
            **context, "entries": entries, "feed_title": title,
            "feed_description": description or title,
            "feed_self": self.site.permalink(task.path),
            "feed_alternate": self.site.permalink(alternate),
            "feed_updated": rfc3339(updated or NO_DATE),
            "generator": {"name": "ssg", "version": __version__},
        }

    def _newest(self, srcs: tuple[str, ...]) -> tuple[list[PageView], datetime | None]:
        """The first `feed_limit` dated pages of srcs, and the latest time one changed."""
        entries = []
        for view in self.views.pages(srcs[: self.site.config.feed_limit]):
            if view.date is None:
                break  # lists put undated pages last
            entries.append(view)
        return entries, max((e.updated or e.date for e in entries), default=None)

    def _context_sitemap(self, task: Task) -> dict[str, Any]:
        site = self.site
        record(keys.page_order())
        entries: list[tuple[str, datetime | None]] = []
        for src in site.order:
            record(keys.page_meta(src))
            page = site.pages[src]
            entries.append((site.permalink(page.path), page.doc.front.updated or page.date))
        record(keys.section_keys())
        for key, section in sorted(site.sections.items()):
            record(keys.section_pages(key))
            newest = next((site.pages[s].date for s in section.pages if site.pages[s].date),
                          None)
            entries.append((site.permalink(section.path), newest))
        for name, taxonomy in sorted(site.taxonomies.items()):
            record(keys.taxonomy_terms(name))
            for term in taxonomy.terms:
                record(keys.term_pages(name, term.slug))
                entries.append((site.permalink(term.path), site.pages[term.pages[0]].date))
        entries.sort(key=lambda e: e[0])
        if site.languages.multilingual:
            return {"entries": entries, "sitemap_alternates": sitemap_alternates(site)}
        return {"entries": entries}


def page_search_record(site: Site, contents: Mapping[str, Content], src: str) -> SearchRecord:
    """The search record of a page (ssg.stages.search_text.page_record)."""
    page, content = site.pages[src], contents[src]
    return page_record(site.url(page.path), page.title, content.html, content.summary)


def json_feed(context: Mapping[str, Any]) -> bytes:
    """A JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from a feed's template context."""
    site = context["site"]
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": strip_non_xml(context["feed_title"]),
        "home_page_url": context["feed_alternate"],
        "feed_url": context["feed_self"],
    }
    if site.description:
        feed["description"] = strip_non_xml(site.description)
    feed["language"] = site.language
    feed["authors"] = [{"name": strip_non_xml(site.author or site.title)}]
    items = []
    for entry in context["entries"]:
        item: dict[str, Any] = {
            "id": entry.permalink,
            "url": entry.permalink,
            "title": strip_non_xml(entry.title),
            "content_html": strip_non_xml(str(entry.content)),
            "date_published": rfc3339(entry.date),
        }
        if entry.updated is not None:
            item["date_modified"] = rfc3339(entry.updated)
        tags = [strip_non_xml(term.name) for term in entry.taxonomies.get("tags", [])]
        if tags:
            item["tags"] = tags
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def highlight_css(light: str, dark: str) -> bytes:
    """Pygments CSS for `.highlight` code blocks: light, and dark under prefers-color-scheme."""
    light_css = HtmlFormatter(style=style(light)).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=style(dark)).get_style_defs(".highlight")
    dark_css = "\n".join("  " + line for line in dark_css.splitlines())
    css = f"{light_css}\n@media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"
    return css.encode("utf-8")
