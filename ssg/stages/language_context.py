"""What templates see of the languages: `lang`, `dir`, `t()`, Babel's dates and numbers, and
the hreflang alternates of each output."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from ssg.stages import keys
from ssg.stages.assemble import Site
from ssg.stages.keys import Key, record, record_all
from ssg.stages.languages import (
    CURRENT_LANGUAGE,
    babel_locale,
    format_date,
    format_number,
    load_strings,
    localized_targets,
    strings_files,
)
from ssg.stages.parse import Document
from ssg.stages.plan import Task
from ssg.stages.views import Translation, Views


def plural_form(lang: str, n: Any) -> str:
    """The CLDR plural category of n in a language: one, two, few, many, zero or other."""
    try:
        count = abs(int(n))
    except (TypeError, ValueError):
        return "other"
    return _plural_category(lang, count)


@functools.lru_cache(maxsize=4096)
def _plural_category(lang: str, count: int) -> str:
    """Babel's rule for one count (a few microseconds each; lists ask for the same ones)."""
    return str(_plural_rule(lang)(count))


@functools.cache
def _plural_rule(lang: str) -> Callable[[int], str]:
    """The language's plural rule, parsed once per process (every list item asks for one)."""
    from babel import Locale

    rule: Callable[[int], str] = Locale.parse(babel_locale(lang)).plural_form
    return rule


def document_links(site: Site, doc: Document) -> Callable[[str], tuple[str, ...]]:
    """The content files a link of `doc` may name, its own language's first."""
    languages = site.languages
    lang = languages.of_source(doc.source.src, doc.source.display)[0]
    return localized_targets(languages, lang)


_current = CURRENT_LANGUAGE


class LanguageContext:
    """Per output: the language's template globals, and its alternates in other languages."""

    def __init__(self, site: Site):
        self.site = site
        self._strings: dict[str, tuple[dict[str, str], tuple[Key, ...]]] = {}
        self._globals: dict[str, dict[str, Any]] = {}

    @contextmanager
    def rendering(self, task: Task) -> Iterator[None]:
        """Inside the block, `t()` and the Babel functions speak the task's language."""
        token = _current.set(task.lang)
        try:
            yield
        finally:
            _current.reset(token)

    def environment_globals(self) -> dict[str, Callable[..., str]]:
        """`t`, `format_date` and `format_number` for the template environment: they follow
        the output being rendered (see `rendering`)."""

        def call(name: str) -> Callable[..., str]:
            def function(*args: Any, **kwargs: Any) -> str:
                lang = _current.get() or self.site.languages.default.code
                result: str = self._language_globals(lang)[name](*args, **kwargs)
                return result
            return function

        return {name: call(name) for name in ("t", "format_date", "format_number")}

    def _lang(self, task: Task) -> str:
        return task.lang or self.site.languages.default.code

    def strings(self, lang: str) -> tuple[dict[str, str], tuple[Key, ...]]:
        """The theme's strings in `lang` and the keys of the files they came from."""
        found = self._strings.get(lang)
        if found is None:
            config = self.site.config
            files = [*strings_files(config, "en"), *strings_files(config, lang)]
            deps = tuple(keys.copied_file(str(path)) for path in dict.fromkeys(files))
            found = self._strings[lang] = (load_strings(config, lang, lambda path: None), deps)
        return found

    def _language_globals(self, lang: str) -> dict[str, Any]:
        cached = self._globals.get(lang)
        if cached is not None:
            return cached
        languages = self.site.languages
        language = languages.by_code.get(lang)
        direction = language.direction if language else "ltr"
        if not languages.multilingual and language is not None:
            direction = "rtl" if _right_to_left(lang) else ""  # nothing new on an ltr site

        def translate(key: str, **values: Any) -> str:
            """`t("key")`: the theme's string for key in this language (English, else the
            key itself, when the language's files lack it); `{name}` filled from values."""
            strings, deps = self.strings(lang)
            record_all(deps)
            text = strings.get(key)
            if text is None and "n" in values:  # plural forms: key.one, key.few, key.other
                form = plural_form(lang, values["n"])
                text = strings.get(f"{key}.{form}", strings.get(f"{key}.other"))
            if text is None:
                text = key
            return text.format(**values) if values else text

        date_format = self.site.config.date_format
        multilingual = languages.multilingual

        def date_in(value: date | datetime | None, form: str = "long") -> str:
            """`format_date(page.date)`: a date as the language writes it (on a site in one
            language, as `date_format` says)."""
            if not multilingual and value is not None:
                from ssg.stages.templates import format_date as strftime_date

                moment = value if isinstance(value, datetime) else datetime(
                    value.year, value.month, value.day)
                return strftime_date(moment, date_format)
            return format_date(value, lang, form)

        def number_in(value: float) -> str:
            """`format_number(n)`: a number as the language writes it."""
            return format_number(value, lang)

        cached = self._globals[lang] = {"lang": lang, "dir": direction, "t": translate,
                                        "format_date": date_in, "format_number": number_in}
        return cached

    def context(self, task: Task, views: Views, context: Mapping[str, Any]) -> dict[str, Any]:
        """The globals of one output: `site` in its language, `lang`, `dir`, `t`, ... and
        `alternates`, its versions in the languages as (hreflang, absolute URL), x-default
        last (empty on a site in one language)."""
        result = dict(self._language_globals(self._lang(task)))
        if task.lang:
            result["site"] = views.site_in(task.lang)
        result["alternates"] = (self._alternates(task, views, context)
                                if self.site.languages.multilingual else [])
        return result

    def _alternates(self, task: Task, views: Views, context: Mapping[str, Any]
                    ) -> list[tuple[str, str]]:
        versions: list[Translation] = []
        if task.kind == "page":
            versions = views.page(task.args[0]).translations
        elif task.kind == "list" and task.args[-1] == "1" and task.args[0] == "term":
            versions = term_versions(self.site, task.args[1], task.args[2], task.lang)
        elif task.kind == "list" and task.args[-1] == "1":
            section = context.get("section")
            if task.args[0] == "home":
                versions = [Translation(lang.code, lang.name, views.site.url(lang.prefix),
                                        views.site.permalink(lang.prefix), lang.direction,
                                        lang.code == task.lang)
                            for lang in self.site.languages.all]
            elif section is not None:
                versions = section.translations
        elif task.kind == "taxonomy":
            versions = taxonomy_versions(self.site, task.args[0], task.lang)
        return alternates(self.site, versions)



def taxonomy_versions(site: Site, key: str, current: str) -> list[Translation]:
    """A taxonomy's index page in every language that has the taxonomy."""
    languages = site.languages
    name = site.taxonomies[key].name
    versions = []
    for lang in languages.all:
        taxonomy = site.taxonomies.get(languages.key(lang.code, name))
        if taxonomy is not None:
            versions.append(Translation(lang.code, lang.name, site.url(taxonomy.path),
                                        site.permalink(taxonomy.path), lang.direction,
                                        lang.code == current))
    return versions


def term_versions(site: Site, key: str, slug: str, current: str) -> list[Translation]:
    """A term's page in every language whose taxonomy has a term of that slug (`/tags/cats/`
    and `/fr/tags/cats/`); records the terms it looked at."""
    languages = site.languages
    name = site.taxonomies[key].name
    versions = []
    for lang in languages.all:
        other = languages.key(lang.code, name)
        record(keys.taxonomy_terms(other))
        taxonomy = site.taxonomies.get(other)
        term = next((t for t in taxonomy.terms if t.slug == slug), None) if taxonomy else None
        if term is not None:
            versions.append(Translation(lang.code, lang.name, site.url(term.path),
                                        site.permalink(term.path), lang.direction,
                                        lang.code == current))
    return versions


def alternates(site: Site, versions: list[Translation]) -> list[tuple[str, str]]:
    """hreflang links of the versions of one page: each language's, then x-default (the
    default language's version) when there is one."""
    if len(versions) < 2:
        return []
    links = [(v.lang, v.permalink) for v in versions]
    default = next((v for v in versions if v.lang == site.languages.default.code), None)
    if default is not None:
        links.append(("x-default", default.permalink))
    return links


def sitemap_alternates(site: Site) -> dict[str, list[tuple[str, str]]]:
    """For the sitemap: the absolute URL of every page and section with translations ->
    its hreflang alternates."""
    views = Views(site, {})
    found: dict[str, list[tuple[str, str]]] = {}
    for src in site.order:
        versions = views.page(src).translations
        for version in versions:
            found[version.permalink] = alternates(site, versions)
    record(keys.section_keys())
    for key in sorted(site.sections):
        versions = views.section(key).translations
        for version in versions:
            found[version.permalink] = alternates(site, versions)
    for key, taxonomy in sorted(site.taxonomies.items()):  # taxonomies and their terms
        lang = site.languages.of_key(key)[0]
        versions = taxonomy_versions(site, key, lang)
        for version in versions:
            found[version.permalink] = alternates(site, versions)
        for term in taxonomy.terms:
            versions = term_versions(site, key, term.slug, lang)
            for version in versions:
                found[version.permalink] = alternates(site, versions)
    return found


@functools.cache
def _right_to_left(lang: str) -> bool:
    """Whether the language is written right to left, by its locale data (Babel's: loading it
    costs 30-40 ms the first time in a process)."""
    from babel import Locale

    return bool(Locale.parse(babel_locale(lang)).character_order == "right-to-left")


def load_locales(site: Site) -> None:
    """Load now the locale data the site's first render needs (see _right_to_left)."""
    if not site.languages.multilingual:
        _right_to_left(site.languages.default.code)
