"""Which sections read as a blog and which as documentation, and what the home page lists.

A top-level section (a folder right under content/) with dated pages is a blog: its pages are
posts, newest first. One without dates is documentation: its pages are read in order, with a
navigation tree of the section. The home page lists the newest pages of the main sections
(`main_sections` in ssg.toml, by default every blog section), as Hugo's `mainSections`.
"""

from __future__ import annotations

from ssg.config import CONFIG_FILE
from ssg.errors import ConfigError, SsgError, raise_all
from ssg.stages.assemble import Site


def top_section(key: str) -> str:
    """The top-level section a section key belongs to: `blog` for `blog/2024`, '' for ''."""
    return key.split("/", 1)[0]


def blog_sections(site: Site) -> frozenset[str]:
    """The top-level sections that have a dated page (in them or in their subsections)."""
    return frozenset(top_section(page.section) for page in site.pages.values()
                     if page.date is not None)


def main_sections(site: Site) -> tuple[str, ...]:
    """The top-level sections whose pages the home page lists, as configured or by default
    the blog sections, in name order."""
    configured = site.config.main_sections
    if configured is not None:
        return configured
    return tuple(sorted(blog_sections(site)))


def home_pages(site: Site) -> tuple[str, ...]:
    """The pages the home page lists, newest first: those of the main sections."""
    main = frozenset(main_sections(site))
    pages = site.pages
    return tuple(src for src in site.order if top_section(pages[src].section) in main)


def menu_pages(site: Site) -> tuple[tuple[str, str, str, int], ...]:
    """(menu name, title, site path, weight) of every page and section whose front matter puts
    it in a menu (`menu: main`): the sections by key, then the pages in the site's order."""
    found = [(name, section.title, section.path, section.weight)
             for _key, section in sorted(site.sections.items()) if section.doc is not None
             for name in section.doc.front.menu]
    for src in site.order:
        page = site.pages[src]
        found.extend((name, page.title, page.path, page.weight) for name in page.doc.front.menu)
    return tuple(found)


def menu_target(site: Site, target: str) -> str | None:
    """The site path of a menu entry's `page`: a page's source (`docs/intro.md`) or a
    section (`docs`, `docs/_index.md`); None when the site has no such page or section."""
    page = site.pages.get(target)
    if page is not None:
        return page.path
    key = target.removesuffix("_index.md").removesuffix("index.md").strip("/")
    section = site.sections.get(key)
    return section.path if section is not None else None


def check_menus(site: Site) -> None:
    """Every `page` of a menu in ssg.toml names a page or section of the site."""
    errors: list[SsgError] = []
    for menu, entries in sorted(site.config.menu.items()):
        for n, entry in enumerate(entries, 1):
            if entry.page is not None and menu_target(site, entry.page) is None:
                errors.append(ConfigError(
                    f"menu.{menu} entry {n} ('{entry.name}'): no page or section "
                    f"'{entry.page}' under content/ (give its file, like 'docs/intro.md')",
                    path=CONFIG_FILE))
    raise_all(errors)
