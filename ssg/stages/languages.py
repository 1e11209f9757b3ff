"""The languages of a multilingual site: which language a source is in, where its pages go,
which pages translate each other, and the theme's strings in each language.

A page's language comes from its file name (`about.fr.md` beside `about.md`) or from its
folder (`content/fr/about.md`); a site may use either or both. Inside the site model every
language but the default one lives under a section key of its own code (`fr`, `fr/docs`), so
sections, listings and dependency keys of two languages never meet.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from ssg.config import Config, Language
from ssg.errors import ContentError, SsgError, raise_all

#: A name's last dot-part that looks like a language code: `fr`, `pt-br`, `zh-hant`.
_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*", re.IGNORECASE)
#: Folder of the per-language strings files, in a theme and in the site.
I18N_DIR = "i18n"
#: The language whose strings fill in what another language's files lack.
FALLBACK_STRINGS = "en"

#: The language of the output being rendered ("" outside a render, or on a site in one
#: language): `t()` inside imported macros and `memo()` blocks follow it.
CURRENT_LANGUAGE: ContextVar[str] = ContextVar("ssg_lang", default="")


def _known_locale(code: str) -> bool:
    """True when Babel knows the code as a language (so a file name using it meant one)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Languages:
    """The site's languages, as the stages ask about them."""

    #: Every language, the default first (one implicit language for a site without any).
    all: tuple[Language, ...]
    #: True when `[languages]` names the site's languages.
    multilingual: bool

    @classmethod
    def of(cls, config: Config) -> Languages:
        """The languages of the site `config` describes."""
        if config.languages:
            return cls(config.languages, True)
        return cls((Language(code=config.language, name=config.language, title=config.title,
                             description=config.description),), False)

    @property
    def default(self) -> Language:
        """The default language (served at `/` unless its path says otherwise)."""
        return self.all[0]

    @cached_property
    def by_code(self) -> Mapping[str, Language]:
        """Every language by its code."""
        return {lang.code: lang for lang in self.all}

    @cached_property
    def others(self) -> frozenset[str]:
        """The codes of the languages other than the default."""
        return frozenset(lang.code for lang in self.all[1:])

    def split_name(self, name: str, display: str) -> tuple[str, str | None]:
        """A Markdown file name without its language part, and that language (None: the
        name names none). `about.fr.md` -> (`about.md`, `fr`); an unknown code that is a
        language (`about.de.md` on a site without German) is an error naming the file."""
        if not self.multilingual:
            return name, None
        stem, dot, suffix = name.rpartition(".")
        base, dot2, code = stem.rpartition(".")
        if not dot or not dot2 or not base or not _CODE.fullmatch(code):
            return name, None
        found = self.by_code.get(code.lower())
        if found is not None:
            return f"{base}.{suffix}", found.code
        if _known_locale(code):
            known = ", ".join(self.by_code)
            raise ContentError(f"the file name is in language '{code}', which [languages] in "
                               f"ssg.toml does not have (it has {known})", path=display)
        return name, None

    def of_source(self, src: str, display: str) -> tuple[str, str]:
        """(language, the language-neutral path) of a file under content/: `fr/a.md` and
        `a.fr.md` -> (`fr`, `a.md`)."""
        default = self.default.code
        if not self.multilingual:
            return default, src
        first, slash, rest = src.partition("/")
        lang = default
        if slash and first in self.others:
            lang, src = first, rest
        folder, _, name = src.rpartition("/")
        neutral, named = self.split_name(name, display)
        if named is not None:
            if lang != default and named != lang:
                raise ContentError(f"the file name says language '{named}' but it is in the "
                                   f"folder of '{lang}'", path=display)
            lang = named
        return lang, f"{folder}/{neutral}" if folder else neutral

    def key(self, lang: str, folder: str) -> str:
        """The section key of a language-neutral folder in a language: `fr` + `docs` ->
        `fr/docs`; the default language's keys are its folders."""
        if lang == self.default.code:
            return folder
        return f"{lang}/{folder}" if folder else lang

    def of_key(self, key: str) -> tuple[str, str]:
        """(language, language-neutral folder) of a section key."""
        first, _, rest = key.partition("/")
        if first in self.others:
            return first, rest
        return self.default.code, key

    def path(self, lang: str, path: str) -> str:
        """The site path of a language-neutral site path: `/docs/` in fr -> `/fr/docs/`."""
        return self.by_code[lang].prefix + path.lstrip("/")

    def of_path(self, path: str) -> str:
        """The language a site path belongs to, by the longest prefix it starts with."""
        best = self.default
        for lang in self.all:
            if path.startswith(lang.prefix) and len(lang.prefix) > len(best.prefix):
                best = lang
        return best.code


def check_translations(entries: Iterable[tuple[str, str, str, str]]) -> None:
    """Fail when two files of one language claim the same translation; entries are
    (translation id, language, display path, how the id was given)."""
    seen: dict[tuple[str, str], str] = {}
    errors: list[SsgError] = []
    for ident, lang, display, how in entries:
        other = seen.setdefault((ident, lang), display)
        if other != display:
            errors.append(ContentError(
                f"{other} is the '{lang}' translation of {how} already; two files cannot be "
                f"the same translation (rename one or give it another translation_key)",
                path=display))
    raise_all(errors)


def localized_targets(languages: Languages, lang: str) -> Callable[[str], tuple[str, ...]]:
    """For links of a page in `lang`: the content files a link target may name, that
    language's first (`docs/b.md` -> `docs/b.fr.md`, `fr/docs/b.md`, `docs/b.md`)."""
    if not languages.multilingual or lang == languages.default.code:
        return lambda target: (target,)
    others = languages.others

    def targets(target: str) -> tuple[str, ...]:
        first, slash, rest = target.partition("/")
        neutral = rest if slash and first in others else target
        folder, name = posixpath.split(neutral)
        stem, dot, suffix = name.rpartition(".")
        named = posixpath.join(folder, f"{stem}.{lang}.{suffix}") if dot and stem else None
        found = [f"{lang}/{neutral}", *([named] if named else []), target, neutral]
        return tuple(dict.fromkeys(found))

    return targets


# --- the theme's strings and Babel -----------------------------------------------------------

def strings_files(config: Config, lang: str) -> list[Path]:
    """The strings files of a language, weakest first: the theme's, then the site's."""
    return [root / I18N_DIR / f"{lang}.toml" for root in (config.theme_dir, config.site_dir)]


def load_strings(config: Config, lang: str, note: Callable[[str], None]
                 ) -> dict[str, str]:
    """The theme's strings in `lang` (the site's own file overriding the theme's), filled in
    from English; `note` is told every file looked at (for dependency tracking)."""
    strings: dict[str, str] = {}
    chain = [FALLBACK_STRINGS, lang] if lang != FALLBACK_STRINGS else [lang]
    for code in chain:
        for path in strings_files(config, code):
            note(str(path))
            if path.is_file():
                strings.update(_read_strings(path))
    return strings


def _read_strings(path: Path) -> dict[str, str]:
    from ssg.config import read_toml

    try:
        table = read_toml(path)
    except tomllib.TOMLDecodeError as exc:  # read_toml turns these into ConfigError
        raise ContentError(str(exc), path=str(path)) from exc
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, str):
            flat[prefix] = value
        else:
            raise ContentError(f"'{prefix}' must be a string, not {value!r}", path=str(path))

    walk("", table)
    return flat


def babel_locale(lang: str) -> str:
    """The Babel locale of a language code (`pt-br` -> `pt_BR`), English when unknown."""
    code = lang.replace("-", "_")
    return code if _known_locale(code) else "en"


def format_date(value: date | datetime | None, lang: str, form: str = "long") -> str:
    """A date written the way the language writes it (`1 décembre 2026`)."""
    from babel.dates import format_date as babel_date

    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return babel_date(day, format=form, locale=babel_locale(lang))


def format_number(value: float, lang: str) -> str:
    """A number written the way the language writes it (`1 234,5`, `١٬٢٣٤`)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale(lang))
