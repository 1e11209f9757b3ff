"""Load `ssg.toml` into one typed, validated Config."""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ssg.errors import ConfigError, SsgError, raise_all
from ssg.plugins.host import Plugins, check_options, load_plugins
from ssg.theme_finder import theme_chain
from ssg.utils import is_unsafe_segment, slugify

log = logging.getLogger("ssg")

CONFIG_FILE = "ssg.toml"

#: Python-Markdown extensions on by default; `[markdown] extensions = {name = false}` turns one off.
DEFAULT_EXTENSIONS: tuple[str, ...] = (
    "tables", "fenced_code", "footnotes", "attr_list", "def_list",
    "abbr", "admonition", "toc", "codehilite",
)
#: Built-in extensions that can be turned on as well.
OPTIONAL_EXTENSIONS: tuple[str, ...] = (
    "smarty", "sane_lists", "md_in_html", "nl2br", "wikilinks", "legacy_attrs", "legacy_em",
)
PERMALINK_TOKENS = (":year", ":month", ":day", ":slug", ":section")


@dataclass(frozen=True)
class FeedFormat:
    """A kind of feed ssg can write for the site and for each section."""

    #: The file name, in the site's root and in each section's folder.
    filename: str
    #: The media type for `<link rel="alternate" type=...>`.
    media_type: str
    #: Its name for people, as in "Atom feed".
    label: str


#: The feed formats `feeds` can name, in their default order.
FEED_FORMATS: Mapping[str, FeedFormat] = MappingProxyType({
    "atom": FeedFormat("feed.xml", "application/atom+xml", "Atom"),
    "rss": FeedFormat("rss.xml", "application/rss+xml", "RSS"),
    "json": FeedFormat("feed.json", "application/feed+json", "JSON"),
})

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class MarkdownConfig:
    """How Markdown is turned into HTML."""

    #: Python-Markdown extensions in use, in a fixed order.
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    #: Pygments style for code in the light scheme.
    highlight_style: str = "default"
    #: Pygments style for code in the dark scheme.
    highlight_style_dark: str = "monokai"


@dataclass(frozen=True)
class MenuEntry:
    """One entry of a menu from ssg.toml (`[[menu.main]]`): a name and a URL or a page."""

    #: The text of the link.
    name: str
    #: A URL (`/about/`, `https://...`) or, with `page`, None.
    url: str | None = None
    #: A page's source path under content/ (`docs/intro.md`), whose URL the link takes.
    page: str | None = None
    #: Order in the menu: lower first; ties keep the file's order.
    weight: int = 0


#: Formats `[images] formats` can name, in the order a `<picture>` offers them (smallest first).
IMAGE_FORMATS: tuple[str, ...] = ("avif", "webp")


def supported_image_formats() -> tuple[str, ...]:
    """The IMAGE_FORMATS the installed Pillow can write (AVIF needs a build with libavif)."""
    from PIL import features

    return tuple(name for name in IMAGE_FORMATS if features.check(name))


@dataclass(frozen=True)
class ImagesConfig:
    """How the images of pages are processed: sizes, dimensions, resized copies."""

    #: Give images of pages their size, lazy loading and resized copies; off: left as written.
    enabled: bool = True
    #: Widths in pixels of the resized copies of an image wider than them.
    widths: tuple[int, ...] = (480, 960, 1600)
    #: Formats of the resized copies (the original stays as the fallback); by default AVIF,
    #: when the installed Pillow can write it, and WebP.
    formats: tuple[str, ...] = field(default_factory=supported_image_formats)
    #: Encoder quality of the resized copies, 1 to 100.
    quality: int = 80


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know about a site, from ssg.toml and the command line."""

    #: The site folder (holds ssg.toml, content/, templates/, static/, themes/).
    site_dir: Path
    #: Where the finished site goes.
    output_dir: Path
    #: The theme's folder (holds templates/ and static/).
    theme_dir: Path
    #: Site title, shown by themes and in feeds.
    title: str = "My Site"
    #: One-line description for feeds and meta tags.
    description: str = ""
    #: Absolute URL of the site, with any path prefix: `https://example.org/docs/`.
    base_url: str = "/"
    #: Language code for `<html lang>` and feeds.
    language: str = "en"
    #: Default author of every page.
    author: str = ""
    #: Theme name: a folder under the site's themes/, an installed theme package, or ssg's
    #: own.
    theme: str = "default"
    #: Items per list page.
    paginate: int = 10
    #: Front matter keys that group pages into terms (`/tags/python/`).
    taxonomies: tuple[str, ...] = ("tags", "categories")
    #: URL patterns per section, e.g. `{"posts": "/:year/:month/:slug/"}`.
    permalinks: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: Markdown options.
    markdown: MarkdownConfig = field(default_factory=MarkdownConfig)
    #: Glob patterns (relative to content/) of files to leave out.
    exclude: tuple[str, ...] = ()
    #: Feed formats written for the site and each section (names from FEED_FORMATS).
    feeds: tuple[str, ...] = tuple(FEED_FORMATS)
    #: Number of entries in each feed.
    feed_limit: int = 20
    #: Free-form values for themes and templates.
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: Keep a search index of the pages in /search/ and show the theme's search box.
    search: bool = True
    #: Minify the HTML, CSS and JS the build writes.
    minify: bool = False
    #: Image processing (`[images]`).
    images: ImagesConfig = field(default_factory=ImagesConfig)
    #: Top-level sections whose newest pages the home page lists (Hugo's mainSections);
    #: None: every top-level section that has dated pages.
    main_sections: tuple[str, ...] | None = None
    #: strftime format of dates shown by themes; `%-d` and `%-m` drop the zero padding.
    date_format: str = "%B %-d, %Y"
    #: Menus by name (`[[menu.main]]`); a theme builds a default for a menu not given.
    menu: Mapping[str, tuple[MenuEntry, ...]] = field(default_factory=lambda: _EMPTY)
    #: The theme's folder and those of the themes it extends, the theme's own first (empty:
    #: theme_dir alone).
    theme_dirs: tuple[Path, ...] = ()
    #: The enabled plugins (`[plugins.NAME]`). Left out of the settings' fingerprint: each
    #: plugin's own fingerprint is recorded by what it touches (ssg.plugins.host).
    plugins: Plugins = field(default_factory=lambda: Plugins(Path()), repr=False)

    @property
    def themes(self) -> tuple[Path, ...]:
        """The theme folders templates and static files are looked up in, in order."""
        return self.theme_dirs or (self.theme_dir,)

    @property
    def content_dir(self) -> Path:
        """The folder of Markdown sources."""
        return self.site_dir / "content"

    @cached_property
    def base_path(self) -> str:
        """The path part of base_url, always with leading and trailing slash: `/docs/`."""
        path = urlsplit(self.base_url).path.strip("/")
        return f"/{path}/" if path else "/"

    @cached_property
    def origin(self) -> str:
        """Scheme and host of base_url (`https://example.org`), or `http://localhost`."""
        parts = urlsplit(self.base_url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
        return "http://localhost"


_MARKDOWN_KEYS = ("extensions", "highlight_style", "highlight_style_dark")


def _unknown_key(key: str, known: tuple[str, ...] | list[str], where: str) -> None:
    hint = difflib.get_close_matches(key, known, n=1)
    suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
    log.warning("%s: unknown key '%s'%s", where, key, suggestion)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a ConfigError with the line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", path=path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _toml_error_position(exc)
        raise ConfigError(f"invalid TOML: {message}", path=path, line=line) from exc
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", path=path) from None


def _toml_error_position(exc: tomllib.TOMLDecodeError) -> tuple[int | None, str]:
    match = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
    if match is None:
        return None, str(exc)
    return int(match.group(1)), str(exc)[: match.start()].strip()


def merge_tables(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Overlay one config table on another: tables merge key by key, other values replace."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(
    site_dir: Path,
    *,
    output_dir: Path | None = None,
    base_url: str | None = None,
    env: str | None = None,
) -> Config:
    """Read SITE_DIR/ssg.toml (optional) and, with `env`, the overlay ssg.ENV.toml; check
    every value and report all problems at once."""
    given, site_dir = site_dir, site_dir.resolve()
    if not site_dir.is_dir():
        what = "that is a file, not a folder" if site_dir.exists() else "the folder does not exist"
        raise ConfigError(f"no site at {given}: {what}")
    raw, origin = _read_settings(site_dir, env)
    if base_url is not None:
        raw["base_url"] = base_url
        origin["base_url"] = "--base-url"
    errors: list[SsgError] = []

    def bad(message: str) -> None:
        # The key a message is about comes first in it: name the file that set that key.
        key = re.match(r"'?(\w+)", message)
        where = origin.get(key.group(1) if key else "", CONFIG_FILE)
        errors.append(ConfigError(message, path=where))

    values = _check_fields(raw, origin, bad)
    theme = values.get("theme", "default")
    themes: tuple[Path, ...] = ()
    try:
        themes = tuple(t.path for t in theme_chain(site_dir, theme))
    except ConfigError as exc:
        if exc.path is None:
            bad(exc.message)
        else:
            errors.append(exc)
    values["plugins"] = load_plugins(site_dir, values.get("plugins", {}), bad)
    raise_all(errors)
    config = Config(
        site_dir=site_dir,
        output_dir=(output_dir or site_dir / "output").resolve(),
        theme_dir=themes[0],
        theme_dirs=themes,
        **values,
    )
    check_options(config.plugins, config, bad)
    raise_all(errors)
    return config


def _read_settings(site_dir: Path, env: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings of ssg.toml with the overlay of `env` on top, and the file that set each."""
    path = site_dir / CONFIG_FILE
    raw = read_toml(path) if path.is_file() else {}
    origin = dict.fromkeys(raw, CONFIG_FILE)
    if env is not None:
        overlay_name = f"ssg.{env}.toml"
        if not re.fullmatch(r"[A-Za-z0-9_-]+", env):
            raise ConfigError(f"environment name {env!r} may only hold letters, digits, - and _")
        overlay_path = site_dir / overlay_name
        if not overlay_path.is_file():
            raise ConfigError(f"no {overlay_name} for --env {env}", path=overlay_name)
        overlay = read_toml(overlay_path)
        raw = merge_tables(raw, overlay)
        origin.update(dict.fromkeys(overlay, overlay_name))
    return raw, origin


#: Reports one problem with a setting; the message starts with the setting's name.
Bad = Callable[[str], None]
#: Checks one setting's value (already of the field's type) and returns what Config gets.
Check = Callable[[str, Any, Bad], Any]


def _check_fields(raw: Mapping[str, Any], origin: Mapping[str, str], bad: Bad
                  ) -> dict[str, Any]:
    """Config's keyword arguments from the settings: each of the field's type, then through
    the field's own check; unknown keys are warned about."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = _FIELDS.get(key)
        if spec is None:
            _unknown_key(key, list(_FIELDS), origin.get(key, CONFIG_FILE))
            continue
        field_type = spec[0]
        if not isinstance(value, field_type) or (field_type is int and isinstance(value, bool)):
            words = _TYPE_WORDS.get(field_type.__name__, field_type.__name__)
            bad(f"'{key}' must be a {words}, not {value!r}")
        else:
            values[key] = value
    for key, (_type, check) in _FIELDS.items():
        if check is not None and key in values:
            values[key] = check(key, values[key], bad)
    return values


def _check_base_url(key: str, url: str, bad: Bad) -> str:
    parts = urlsplit(url)
    if not (url.startswith("/") or (parts.scheme in ("http", "https") and parts.netloc)):
        bad(f"'{key}' must be an http(s) URL or a path starting with '/', not {url!r}")
        return url
    return url if url.endswith("/") else url + "/"


def _check_positive(key: str, number: int, bad: Bad) -> int:
    if number < 1:
        bad(f"'{key}' must be at least 1, not {number}")
    return number


def _check_names(key: str, items: list[Any], bad: Bad) -> tuple[Any, ...]:
    if not all(isinstance(item, str) and item for item in items):
        bad(f"'{key}' must be a list of non-empty strings")
    return tuple(items)


def _check_taxonomies(key: str, items: list[Any], bad: Bad) -> tuple[Any, ...]:
    names = _check_names(key, items, bad)
    for name in names if all(isinstance(name, str) for name in names) else ():
        if is_unsafe_segment(name) or "/" in name or not slugify(name):
            bad(f"taxonomies: name {name!r} cannot be a URL segment")
    return names


def _check_extra(key: str, table: dict[str, Any], bad: Bad) -> Mapping[str, Any]:
    return MappingProxyType(table)


_TYPE_WORDS = {"str": "string", "int": "whole number", "list": "list", "dict": "table",
               "bool": "boolean (true or false)"}


def _check_feeds(key: str, names: list[Any], bad: Bad) -> tuple[str, ...]:
    known = ", ".join(FEED_FORMATS)
    if not all(isinstance(name, str) for name in names):
        bad(f"feeds must be a list of feed format names (known: {known})")
        return ()
    for name in names:
        if name not in FEED_FORMATS:
            hint = difflib.get_close_matches(name, list(FEED_FORMATS), n=1)
            bad(f"feeds: unknown feed format {name!r} (known: {known})"
                + (f"; did you mean '{hint[0]}'?" if hint else ""))
    return tuple(dict.fromkeys(name for name in names if name in FEED_FORMATS))


def _check_permalinks(key: str, table: dict[str, Any], bad: Bad) -> Mapping[str, str]:
    for section, pattern in table.items():
        if not isinstance(pattern, str) or not pattern.startswith("/"):
            bad(f"permalinks.{section} must be a string starting with '/'")
        elif is_unsafe_segment(pattern.strip("/")):
            bad(f"permalinks.{section} must not contain '..', '.', backslashes or NUL")
        else:
            for token in re.findall(r":[a-z]+", pattern):
                if token not in PERMALINK_TOKENS:
                    bad(f"permalinks.{section}: unknown token '{token}' "
                        f"(known: {', '.join(PERMALINK_TOKENS)})")
    return MappingProxyType(dict(table))


def _markdown_config(key: str, table: dict[str, Any], bad: Bad) -> MarkdownConfig:
    for key in table:
        if key not in _MARKDOWN_KEYS:
            _unknown_key(key, _MARKDOWN_KEYS, f"{CONFIG_FILE} [markdown]")
    enabled = dict.fromkeys(DEFAULT_EXTENSIONS, True)
    switches = table.get("extensions", {})
    if not isinstance(switches, dict):
        bad("markdown.extensions must be a table of name = true/false")
        switches = {}
    known = DEFAULT_EXTENSIONS + OPTIONAL_EXTENSIONS
    for name, on in switches.items():
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            bad(f"markdown.extensions: unknown extension '{name}'"
                + (f" (did you mean '{hint[0]}'?)" if hint else ""))
        elif not isinstance(on, bool):
            bad(f"markdown.extensions.{name} must be true or false")
        else:
            enabled[name] = on
    styles = {}
    for key in ("highlight_style", "highlight_style_dark"):
        if key in table:
            style = table[key]
            if not isinstance(style, str) or not _style_exists(style):
                bad(f"markdown.{key}: unknown Pygments style {style!r}")
            else:
                styles[key] = style
    return MarkdownConfig(
        extensions=tuple(name for name in known if enabled.get(name)), **styles
    )


_IMAGES_KEYS = ("enabled", "widths", "formats", "quality")


def _images_config(key: str, table: dict[str, Any], bad: Bad) -> ImagesConfig:
    for name in table:
        if name not in _IMAGES_KEYS:
            _unknown_key(name, _IMAGES_KEYS, f"{CONFIG_FILE} [images]")
    values: dict[str, Any] = {}
    enabled = table.get("enabled", True)
    if isinstance(enabled, bool):
        values["enabled"] = enabled
    else:
        bad(f"images.enabled must be true or false, not {enabled!r}")
    widths = table.get("widths", list(ImagesConfig.widths))
    if (not isinstance(widths, list) or not widths
            or not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 10000
                       for w in widths)):
        bad(f"images.widths must be a non-empty list of widths from 1 to 10000 pixels, "
            f"not {widths!r}")
    else:
        values["widths"] = tuple(sorted(set(widths)))
    supported = supported_image_formats()
    formats = table.get("formats", list(supported))
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        bad(f"images.formats must be a list of format names ({', '.join(IMAGE_FORMATS)}), "
            f"not {formats!r}")
    else:
        for name in formats:
            if name not in IMAGE_FORMATS:
                bad(f"images.formats: unknown format {name!r} "
                    f"(known: {', '.join(IMAGE_FORMATS)})")
            elif name not in supported:
                bad(f"images.formats: the installed Pillow cannot write {name!r}")
        values["formats"] = tuple(f for f in IMAGE_FORMATS if f in formats)
    quality = table.get("quality", ImagesConfig.quality)
    if isinstance(quality, int) and not isinstance(quality, bool) and 1 <= quality <= 100:
        values["quality"] = quality
    else:
        bad(f"images.quality must be a whole number from 1 to 100, not {quality!r}")
    return ImagesConfig(**values)


def _check_main_sections(key: str, items: list[Any], bad: Bad) -> tuple[str, ...]:
    names = _check_names(key, items, bad)
    for name in names if all(isinstance(name, str) for name in names) else ():
        if "/" in name.strip("/") or is_unsafe_segment(name.strip("/")):
            bad(f"main_sections: {name!r} is not the name of a top-level section (a folder "
                "right under content/)")
    return tuple(str(name).strip("/") for name in names)


_STRFTIME = re.compile(r"%(-?)(.)")
_STRFTIME_CODES = "aAbBcdHIjmMpSUwWxXyYzZ%"


def _check_date_format(key: str, fmt: str, bad: Bad) -> str:
    for dash, code in _STRFTIME.findall(fmt):
        if code not in _STRFTIME_CODES or (dash and code not in "dmHIMSjy"):
            bad(f"date_format: unknown directive '%{dash}{code}' in {fmt!r} (use strftime "
                "codes such as %B %-d, %Y)")
    if fmt.count("%") % 2 and fmt.endswith("%"):
        bad(f"date_format: {fmt!r} ends with a lone '%'")
    return fmt


_MENU_KEYS = ("name", "url", "page", "weight")


def _check_menus(key: str, table: dict[str, Any], bad: Bad) -> Mapping[str, tuple[MenuEntry, ...]]:
    menus: dict[str, tuple[MenuEntry, ...]] = {}
    for menu, entries in table.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            bad(f"menu.{menu} must be a list of tables ([[menu.{menu}]] with name and url or "
                "page)")
            continue
        found = []
        for n, entry in enumerate(entries, 1):
            where = f"menu.{menu} entry {n}"
            for name in entry:
                if name not in _MENU_KEYS:
                    _unknown_key(name, _MENU_KEYS, f"{CONFIG_FILE} [[menu.{menu}]] entry {n}")
            name, url, page = entry.get("name"), entry.get("url"), entry.get("page")
            weight = entry.get("weight", 0)
            problems = []
            if not isinstance(name, str) or not name.strip():
                problems.append("needs a 'name' (the link text)")
            if (url is None) == (page is None):
                problems.append("needs either 'url' or 'page' (a file under content/)")
            elif url is not None and (not isinstance(url, str) or not url):
                problems.append(f"'url' must be a non-empty string, not {url!r}")
            elif page is not None and (not isinstance(page, str) or not page
                                       or is_unsafe_segment(page.strip("/"))):
                problems.append(f"'page' must be a file under content/, like 'docs/intro.md', "
                                f"not {page!r}")
            if not isinstance(weight, int) or isinstance(weight, bool):
                problems.append(f"'weight' must be a whole number, not {weight!r}")
            for problem in problems:
                bad(f"menu: {where} {problem}")
            if not problems:
                found.append(MenuEntry(name=name.strip(), url=url, weight=weight,
                                       page=page.removeprefix("content/").strip("/")
                                       if page else None))
        menus[menu] = tuple(found)
    return MappingProxyType(menus)


def _style_exists(name: str) -> bool:
    from pygments.styles import get_all_styles

    return name in set(get_all_styles())


#: Every setting of ssg.toml: the type its value must have and its own check (None: the type
#: is all). Checks run in this order, so their messages come in this order.
_FIELDS: dict[str, tuple[type, Check | None]] = {
    "title": (str, None),
    "description": (str, None),
    "base_url": (str, _check_base_url),
    "language": (str, None),
    "author": (str, None),
    "theme": (str, None),
    "paginate": (int, _check_positive),
    "feed_limit": (int, _check_positive),
    "taxonomies": (list, _check_taxonomies),
    "exclude": (list, _check_names),
    "feeds": (list, _check_feeds),
    "permalinks": (dict, _check_permalinks),
    "markdown": (dict, _markdown_config),
    "extra": (dict, _check_extra),
    "search": (bool, None),
    "images": (dict, _images_config),
    "minify": (bool, None),
    "main_sections": (list, _check_main_sections),
    "date_format": (str, _check_date_format),
    "menu": (dict, _check_menus),
    "plugins": (dict, None),
}
