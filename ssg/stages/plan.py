"""Plan the output: every file of the finished site as a `Task`, in a fixed order.

Planning is cheap and renders nothing, so a clash of URLs fails before any work is done, and
an incremental build can compare the plan with what the last build wrote.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ssg.config import FEED_FORMATS
from ssg.stages.assemble import Site
from ssg.stages.families import check_menus, home_pages
from ssg.utils import dest_for_path

log = logging.getLogger("ssg")

#: The template of each feed format; the JSON feed is written by `json_feed`, not a template.
FEED_TEMPLATES = {"atom": "atom.xml", "rss": "rss.xml", "json": ""}
#: Task kinds ssg makes on its own, which a static file of the same name replaces.
GENERATED_KINDS = frozenset({"feed", "sitemap", "template", "css"})


@dataclass(frozen=True)
class Task:
    """One file of the finished site, and how to make it."""

    #: Path relative to the output folder, POSIX style: `posts/hello/index.html`.
    dest_path: str
    #: What makes it, for messages: `content/posts/hello.md`.
    origin: str
    #: page, alias, list, taxonomy, feed, sitemap, template, css or copy.
    kind: str
    #: Site path of the file (`/posts/hello/`), for `current_url`.
    path: str = ""
    #: Template to render (none for css, copy and the JSON feed).
    template: str = ""
    #: Kind-specific: the page's src, the list's ("section", key, n), the feed's
    #: (format, "section", key), ...
    args: tuple[str, ...] = ()
    #: The file copied by a copy task.
    src_path: Path | None = None


def plan(site: Site, static: list[tuple[str, str, Path]]) -> list[Task]:
    """Every file of the site as a task, in a fixed order; static is (dest, origin, src)."""
    check_menus(site)
    tasks: list[Task] = []
    size = site.config.paginate

    def paged(template: str, path: str, origin: str, count: int, *args: str) -> None:
        pages = max(1, -(-count // size))
        for number in range(1, pages + 1):
            pager = path if number == 1 else f"{path}page/{number}/"
            tasks.append(Task(dest_for_path(pager), origin, "list", pager, template,
                              (*args, str(number))))

    def feeds(path: str, origin: str, *args: str) -> None:
        for name in site.config.feeds:
            feed = path + FEED_FORMATS[name].filename
            tasks.append(Task(dest_for_path(feed), origin, "feed", feed, FEED_TEMPLATES[name],
                              (name, *args)))

    for src, page in sorted(site.pages.items()):
        origin = page.doc.source.display
        tasks.append(Task(dest_for_path(page.path), origin, "page", page.path,
                          page.doc.front.template or "page.html", (src,)))
        for alias in page.aliases:
            tasks.append(Task(dest_for_path(alias), f"alias in {origin}", "alias", alias,
                              "alias.html", (src,)))
    for key, section in sorted(site.sections.items()):
        origin = section.doc.source.display if section.doc else f"content/{key}/"
        template = section.doc.front.template if section.doc else None
        if key == "":
            paged(template or "index.html", "/", origin, len(home_pages(site)), "home", "")
        else:
            paged(template or "section.html", section.path, origin, len(section.pages),
                  "section", key)
            feeds(section.path, origin, "section", key)
    for name, taxonomy in sorted(site.taxonomies.items()):
        origin = f"taxonomy '{name}'"
        tasks.append(Task(dest_for_path(taxonomy.path), origin, "taxonomy", taxonomy.path,
                          "taxonomy.html", (name,)))
        for term in taxonomy.terms:
            paged("term.html", term.path, f"{origin} term '{term.name}'", len(term.pages),
                  "term", name, term.slug)
    feeds("/", "site feed", "home", "")
    tasks.append(Task("404.html", "404 page", "template", "/404.html", "404.html"))
    tasks.append(Task("sitemap.xml", "sitemap", "sitemap", "/sitemap.xml", "sitemap.xml"))
    tasks.append(Task("robots.txt", "robots.txt", "template", "/robots.txt", "robots.txt"))
    tasks.append(Task("highlight.css", "code highlighting styles", "css"))
    tasks = _not_replaced(tasks, {dest for dest, _origin, _src in static})
    for asset, path in site.assets:
        tasks.append(Task(dest_for_path(path), asset.display, "copy", src_path=asset.src_path))
    for dest, origin, src_path in static:
        tasks.append(Task(dest, origin, "copy", src_path=src_path))
    return tasks


def _not_replaced(tasks: list[Task], static_dests: set[str]) -> list[Task]:
    """The tasks without the generated files a static file of the same name replaces.

    A site's own highlight.css, robots.txt or 404.html (or its theme's) is what the user
    asked for.
    """
    kept = []
    for task in tasks:
        if task.kind in GENERATED_KINDS and task.dest_path in static_dests:
            log.debug("%s replaces the %s", task.dest_path, task.origin)
        else:
            kept.append(task)
    return kept
