"""Which sections read as a blog and which as documentation, and what the home page lists.

A top-level section (a folder right under content/) with dated pages is a blog: its pages are
posts, newest first. One without dates is documentation: its pages are read in order, with a
navigation tree of the section. The home page lists the newest pages of the main sections
(`main_sections` in ssg.toml, by default every blog section), as Hugo's `mainSections`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ssg.config import MenuEntry
from ssg.errors import ConfigError, SsgError, raise_all
from ssg.stages.assemble import Site, shaped
from ssg.stages.languages import Languages, localized_targets


def top_section(key: str, languages: Languages | None = None) -> str:
    """The top-level section a section key belongs to: `blog` for `blog/2024`, '' for '';
    on a multilingual site within the key's language: `fr/blog` for `fr/blog/2024`."""
    if languages is None or not languages.multilingual:
        return key.split("/", 1)[0]
    lang, neutral = languages.of_key(key)
    return languages.key(lang, neutral.split("/", 1)[0])


def blog_sections(site: Site) -> frozenset[str]:
    """The top-level sections that have a dated page (in them or in their subsections)."""
    return shaped(site, "blog sections", lambda: frozenset(
        top_section(page.section, site.languages) for page in site.pages.values()
        if page.date is not None))


def main_sections(site: Site) -> tuple[str, ...]:
    """The top-level sections whose pages the home page lists, as configured (in every
    language) or by default the blog sections, in name order."""
    configured = site.config.main_sections
    languages = site.languages
    if configured is not None and languages.multilingual:
        return tuple(languages.key(lang.code, name) for lang in languages.all
                     for name in configured)
    if configured is not None:
        return configured
    return shaped(site, "main sections", lambda: tuple(sorted(blog_sections(site))))


def home_pages(site: Site, lang: str | None = None) -> tuple[str, ...]:
    """The pages the home page lists, newest first: those of the main sections (with
    `lang`, those listed in that language)."""
    return shaped(site, ("home pages", lang), lambda: _home_pages(site, lang))


def _home_pages(site: Site, lang: str | None) -> tuple[str, ...]:
    main = frozenset(main_sections(site))
    pages = site.pages
    order = site.order if lang is None else site.orders[lang]
    return tuple(src for src in order
                 if top_section(pages[src].section, site.languages) in main)


def menu_pages(site: Site, lang: str | None = None) -> tuple[tuple[str, str, str, int], ...]:
    """(menu name, title, site path, weight) of every page and section whose front matter puts
    it in a menu (`menu: main`): the sections by key, then the pages in the site's order
    (with `lang`, those in that language)."""
    return shaped(site, ("menu pages", lang), lambda: _menu_pages(site, lang))


def _menu_pages(site: Site, lang: str | None) -> tuple[tuple[str, str, str, int], ...]:
    found = [(name, section.title, section.path, section.weight)
             for _key, section in sorted(site.sections.items()) if section.doc is not None
             and (lang is None or section.lang == lang)
             for name in section.doc.front.menu]
    for src in site.order:
        page = site.pages[src]
        if lang is None or page.lang == lang:
            found.extend((name, page.title, page.path, page.weight)
                         for name in page.doc.front.menu)
    return tuple(found)


def menu_target(site: Site, target: str, lang: str | None = None) -> str | None:
    """The site path of a menu entry's `page`: a page's source (`docs/intro.md`) or a
    section (`docs`, `docs/_index.md`); None when the site has no such page or section.
    With `lang`, that language's translation when there is one."""
    candidates = (localized_targets(site.languages, lang)(target) if lang is not None
                  else (target,))
    for candidate in candidates:
        page = site.pages.get(candidate)
        if page is not None:
            return page.path
    for candidate in candidates:
        key = candidate.removesuffix("_index.md").removesuffix("index.md").strip("/")
        section = site.sections.get(key)
        if section is not None:
            return section.path
    return None


def check_menus(site: Site) -> None:
    """Every `page` of a menu in ssg.toml names a page or section of the site."""
    errors: list[SsgError] = []
    tables: list[tuple[str, str | None, Mapping[str, tuple[MenuEntry, ...]]]] = [
        ("menu", None, site.config.menu)]
    tables += [(f"languages.{lang.code}.menu", lang.code, lang.menu)
               for lang in site.config.languages if lang.menu is not None]
    for where, lang, table in tables:
        for menu, entries in sorted(table.items()):
            for n, entry in enumerate(entries, 1):
                if entry.page is not None and menu_target(site, entry.page, lang) is None:
                    errors.append(ConfigError(
                        f"{where}.{menu} entry {n} ('{entry.name}'): no page or section "
                        f"'{entry.page}' under content/ (give its file, like 'docs/intro.md')",
                        path=site.config.config_file))
    raise_all(errors)
