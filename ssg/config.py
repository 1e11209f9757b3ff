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

    #: Python-Markdown extensions in use, in the order they load: the built-in ones in a fixed
    #: order, then the others in the order ssg.toml names them.
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    #: Options given in ssg.toml, by extension (ssg's own defaults are added when rendering).
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _EMPTY)
    #: The distribution and version that provide each extension (and the libraries the
    #: rendering uses), by name: part of the cache key, so an upgrade renders pages again.
    versions: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: Pygments style for code in the light scheme.
    highlight_style: str = "ssg-light"
    #: Pygments style for code in the dark scheme.
    highlight_style_dark: str = "ssg-dark"
    #: `$...$` and `$$...$$` rendered to MathML at build time.
    math: bool = True
    #: ```` ```mermaid ```` blocks kept as diagram sources for the theme's Mermaid.
    diagrams: bool = True


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
class FrontMatterRule:
    """Front matter for the files that gitignore-style lines match (`[[front_matter]]`)."""

    #: The lines, relative to the content folder: `/guide/intro.md`, `drafts/**`.
    paths: tuple[str, ...]
    #: The front matter keys and values, in their order.
    values: tuple[tuple[str, Any], ...]

    @cached_property
    def spec(self) -> Any:
        """The compiled lines (a pathspec GitIgnoreSpec)."""
        return gitignore_spec(self.paths)


def gitignore_spec(lines: tuple[str, ...]) -> Any:
    """Gitignore-style lines compiled for `match_file` (pathspec's GitIgnoreSpec)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


#: How a kind of broken link counts (`[check]`): a problem, a note, or not shown.
LINK_LEVELS = ("warn", "info", "ignore")


@dataclass(frozen=True)
class CheckConfig:
    """How each kind of broken link counts in `ssg check` and the build's link report
    (`[check]`): "warn" is a problem, "info" a note that fails nothing, "ignore" is not shown.
    The kinds are MkDocs' (`validation.links` in mkdocs.yml maps onto them)."""

    #: A `#fragment` that names no heading or id of the page it links to.
    anchors: str = "warn"
    #: A link to a page or file the site does not have.
    not_found: str = "warn"
    #: A broken link written as an absolute path (`/guide/`) that names no content file;
    #: "relative_to_docs": counted as a relative link is.
    absolute_links: str = "warn"
    #: A broken relative link that names no content file and has no file ending
    #: (`../guide`, `setup/`).
    unrecognized_links: str = "warn"

    def level(self, kind: str) -> str:
        """The level of a kind of broken link (a kind without a setting is a problem)."""
        value = getattr(self, kind, "warn") if kind in _CHECK_KEYS else "warn"
        return "warn" if value == "relative_to_docs" else str(value)


_CHECK_KEYS = ("anchors", "not_found", "absolute_links", "unrecognized_links")


@dataclass(frozen=True)
class Language:
    """One language of a multilingual site (`[languages.CODE]` in ssg.toml)."""

    #: Its code, as in `<html lang>` and file names: `fr`, `pt-br`.
    code: str
    #: Its name in its own language, for language switchers: `Français`.
    name: str
    #: The site title in this language.
    title: str
    #: The site description in this language.
    description: str = ""
    #: Order among the languages (lower first), then the code.
    weight: int = 0
    #: Site path its pages are under: `/` for the default language, else `/CODE/`.
    prefix: str = "/"
    #: Absolute URL the language is served at, when it has a host of its own ("" if not).
    base_url: str = ""
    #: Text direction: `ltr` or `rtl` (Arabic, Hebrew, Persian, ...).
    direction: str = "ltr"
    #: Its menus by name (`[[languages.CODE.menu.main]]`); None: the site's `menu`.
    menu: Mapping[str, tuple[MenuEntry, ...]] | None = None
    #: Its taxonomies (None: the site's `taxonomies`).
    taxonomies: tuple[str, ...] | None = None


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
    #: The folder of Markdown sources, relative to the site folder (`content_dir`).
    content_folder: str = "content"
    #: Gitignore-style lines (relative to the content folder) of files to leave out.
    ignore: tuple[str, ...] = ()
    #: Front matter given to the files that match gitignore-style lines, in order (later
    #: entries win, a file's own front matter wins over all): `[[front_matter]]`.
    front_matter: tuple[FrontMatterRule, ...] = ()
    #: Front matter keys kept in a page's `extra` as they are, unread by ssg and without a
    #: warning; "*" for every key ssg does not know (MkDocs' free-form page meta).
    front_matter_extra: tuple[str, ...] = ()
    #: Stylesheets every page links to after the theme's (paths in the site or URLs).
    stylesheets: tuple[str, ...] = ()
    #: Scripts every page loads after the theme's (paths in the site or URLs).
    scripts: tuple[str, ...] = ()
    #: The file the settings came from: ssg.toml or an MkDocs site's mkdocs.yml.
    config_file: str = CONFIG_FILE
    #: Top-level sections whose newest pages the home page lists (Hugo's mainSections);
    #: None: every top-level section that has dated pages.
    main_sections: tuple[str, ...] | None = None
    #: strftime format of dates shown by themes; `%-d` and `%-m` drop the zero padding.
    date_format: str = "%B %-d, %Y"
    #: Menus by name (`[[menu.main]]`); a theme builds a default for a menu not given.
    menu: Mapping[str, tuple[MenuEntry, ...]] = field(default_factory=lambda: _EMPTY)
    #: The languages of a multilingual site, by weight, the default (`language`) first;
    #: empty for a site in one language.
    languages: tuple[Language, ...] = ()
    #: Pages missing in a language are listed there in the default language, marked.
    language_fallback: bool = False
    #: The theme's folder and those of the themes it extends, the theme's own first (empty:
    #: theme_dir alone).
    theme_dirs: tuple[Path, ...] = ()
    #: How each kind of broken link counts (`[check]`).
    check: CheckConfig = field(default_factory=CheckConfig)
    #: The site's icon for `<link rel="icon">`: a file of the site or a URL ("": the
    #: theme's own).
    favicon: str = ""
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
        return self.site_dir / self.content_folder

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
    config_file = next(iter(origin.values()), CONFIG_FILE)
    if base_url is not None:
        raw["base_url"] = base_url
        origin["base_url"] = "--base-url"
    errors: list[SsgError] = []

    def bad(message: str) -> None:
        # The key a message is about comes first in it: name the file that set that key.
        key = re.match(r"'?(\w+)", message)
        where = origin.get(key.group(1) if key else "", config_file)
        errors.append(ConfigError(message, path=where))

    values = _check_fields(raw, origin, bad)
    if "languages" in values:
        values["languages"] = _languages_config(values["languages"], values, bad)
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
    if "content_dir" in values:
        values["content_folder"] = values.pop("content_dir")
    raise_all(errors)
    config = Config(
        site_dir=site_dir,
        output_dir=(output_dir or site_dir / "output").resolve(),
        theme_dir=themes[0],
        theme_dirs=themes,
        config_file=config_file,
        **values,
    )
    check_options(config.plugins, config, bad)
    raise_all(errors)
    return config


def _read_settings(site_dir: Path, env: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings of ssg.toml with the overlay of `env` on top, and the file that set each."""
    path = site_dir / CONFIG_FILE
    if path.is_file():
        raw, name = read_toml(path), CONFIG_FILE
    else:
        from ssg.mkdocs import find_mkdocs, mkdocs_settings

        mkdocs_file = find_mkdocs(site_dir)  # an MkDocs site builds as it is
        raw = mkdocs_settings(mkdocs_file) if mkdocs_file is not None else {}
        name = mkdocs_file.name if mkdocs_file is not None else CONFIG_FILE
    origin = dict.fromkeys(raw, name)
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
    from ssg.markdown_extensions import MARKDOWN_KEYS, check_extensions

    for name in table:
        if name not in MARKDOWN_KEYS:
            _unknown_key(name, MARKDOWN_KEYS, f"{CONFIG_FILE} [markdown]")
    values: dict[str, Any] = {}
    for name in ("highlight_style", "highlight_style_dark"):
        if name in table:
            style = table[name]
            if not isinstance(style, str) or not _style_exists(style):
                bad(f"markdown.{name}: unknown Pygments style {style!r}")
            else:
                values[name] = style
    for name in ("math", "diagrams"):
        if name in table:
            if isinstance(table[name], bool):
                values[name] = table[name]
            else:
                bad(f"markdown.{name} must be true or false, not {table[name]!r}")
    extensions, options, versions = check_extensions(
        table.get("extensions", {}), bad, where="markdown.extensions",
        math=values.get("math", True), diagrams=values.get("diagrams", True))
    return MarkdownConfig(extensions=extensions, options=options, versions=versions, **values)


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


def _check_content_dir(key: str, folder: str, bad: Bad) -> str:
    folder = folder.strip("/")
    if not folder or folder == "." or is_unsafe_segment(folder) or Path(folder).is_absolute():
        bad(f"'{key}' must be a folder inside the site, like 'docs', not {folder!r}")
    return folder


def _check_ignore(key: str, value: Any, bad: Bad) -> tuple[str, ...]:
    lines = _pattern_lines(value)
    if lines is None:
        bad(f"'{key}' must be gitignore-style lines (a string or a list of strings)")
        return ()
    try:
        gitignore_spec(lines)
    except Exception as exc:  # pathspec raises several kinds for a bad pattern
        bad(f"'{key}': bad pattern: {exc}")
        return ()
    return lines


def _pattern_lines(value: Any) -> tuple[str, ...] | None:
    """Gitignore-style lines from a string (one a line) or a list of strings."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        return None
    return tuple(line for line in value if line.strip())


#: Front matter keys `[[front_matter]]` may give, with their type.
_RULE_KEYS: dict[str, type] = {"title": str, "weight": int, "draft": bool, "template": str,
                               "summary": str}


def _check_front_matter(key: str, rules: list[Any], bad: Bad) -> tuple[FrontMatterRule, ...]:
    found = []
    for n, rule in enumerate(rules, 1):
        where = f"front_matter entry {n}"
        if not isinstance(rule, dict):
            bad(f"{where} must be a table ([[front_matter]] with paths and front matter keys)")
            continue
        lines = _pattern_lines(rule.get("paths"))
        if not lines:
            bad(f"{where} needs 'paths': gitignore-style lines of the files it is for")
            continue
        values = []
        for name, value in rule.items():
            kind = _RULE_KEYS.get(name)
            if name == "paths":
                continue
            if kind is None:
                bad(f"{where}: '{name}' cannot be set here (only "
                    f"{', '.join(_RULE_KEYS)})")
            elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                words = _TYPE_WORDS.get(kind.__name__, kind.__name__)
                bad(f"{where}: '{name}' must be a {words}, not {value!r}")
            else:
                values.append((name, value))
        found.append(FrontMatterRule(paths=lines, values=tuple(values)))
    return tuple(found)


def _check_files(key: str, items: list[Any], bad: Bad) -> tuple[str, ...]:
    names = _check_names(key, items, bad)
    for name in names:
        if isinstance(name, str) and ".." in name.split("/"):
            bad(f"{key}: {name!r} must not contain '..'")
    return names
def _check_main_sections(key: str, items: list[Any], bad: Bad) -> tuple[str, ...]:
    names = _check_names(key, items, bad)
    for name in names if all(isinstance(name, str) for name in names) else ():
        if "/" in name.strip("/") or is_unsafe_segment(name.strip("/")):
            bad(f"main_sections: {name!r} is not the name of a top-level section (a folder "
                "right under content/)")
    return tuple(str(name).strip("/") for name in names)


def _check_levels(key: str, table: dict[str, Any], bad: Bad) -> CheckConfig:
    values: dict[str, str] = {}
    for name, level in table.items():
        if name not in _CHECK_KEYS:
            _unknown_key(name, _CHECK_KEYS, f"{CONFIG_FILE} [check]")
            continue
        allowed = LINK_LEVELS + (("relative_to_docs",) if name == "absolute_links" else ())
        if level not in allowed:
            bad(f"check.{name} must be one of {', '.join(map(repr, allowed))}, not {level!r}")
        else:
            values[name] = level
    return CheckConfig(**values)


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
    from ssg.highlight import style_names

    return name in style_names()


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
    "content_dir": (str, _check_content_dir),
    "ignore": (object, _check_ignore),
    "front_matter": (list, _check_front_matter),
    "front_matter_extra": (list, _check_names),
    "stylesheets": (list, _check_files),
    "scripts": (list, _check_files),
    "main_sections": (list, _check_main_sections),
    "date_format": (str, _check_date_format),
    "menu": (dict, _check_menus),
    "languages": (dict, None),
    "language_fallback": (bool, None),
    "plugins": (dict, None),
    "check": (dict, _check_levels),
    "favicon": (str, None),
}


#: Keys of a `[languages.CODE]` table.
_LANGUAGE_KEYS = ("name", "title", "description", "weight", "path", "base_url", "direction",
                  "menu", "taxonomies")


def _languages_config(table: dict[str, Any], values: Mapping[str, Any], bad: Bad
                      ) -> tuple[Language, ...]:
    """The `[languages]` tables as Languages, the default (`language`) first, then by weight;
    each needs a title (the default language takes the site's), a code Babel knows, and a
    path of its own."""
    from babel import Locale, UnknownLocaleError

    default = values.get("language", "en")
    if default not in table:
        bad(f"language '{default}' (the default) has no [languages.{default}] table")
        return ()
    languages = []
    for code, spec in table.items():
        where = f"languages.{code}"
        if not isinstance(spec, dict):
            bad(f"'{where}' must be a table, not {spec!r}")
            continue
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", code):
            bad(f"'{where}': {code!r} is not a language code (like 'en', 'fr', 'pt-br')")
            continue
        try:
            locale = Locale.parse(code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            bad(f"'{where}': unknown language code {code!r}")
            continue
        for key in spec:
            if key not in _LANGUAGE_KEYS:
                _unknown_key(key, _LANGUAGE_KEYS, f"{CONFIG_FILE} [{where}]")
        title = spec.get("title", values.get("title", Config.title) if code == default else None)
        if not isinstance(title, str) or not title.strip():
            bad(f"'{where}' has no title: set title = \"...\" in [{where}]")
            continue
        strings = {k: spec.get(k, "") for k in ("description", "base_url")}
        own = locale.get_display_name(locale) or code
        strings["name"] = spec.get("name", own[:1].upper() + own[1:])
        if code == default and "description" not in spec:
            strings["description"] = values.get("description", "")
        if not all(isinstance(v, str) for v in strings.values()):
            bad(f"'{where}': name, description and base_url must be strings")
            continue
        if strings["base_url"]:
            strings["base_url"] = _check_base_url(f"{where}.base_url", strings["base_url"], bad)
        weight = spec.get("weight", 0)
        direction = spec.get("direction", "rtl" if locale.character_order == "right-to-left"
                             else "ltr")
        prefix = spec.get("path", "/" if code == default else f"/{code}/")
        menus = spec.get("menu")
        taxonomies = spec.get("taxonomies")
        if not isinstance(weight, int) or isinstance(weight, bool):
            bad(f"'{where}.weight' must be a whole number, not {weight!r}")
        elif direction not in ("ltr", "rtl"):
            bad(f"'{where}.direction' must be 'ltr' or 'rtl', not {direction!r}")
        elif (not isinstance(prefix, str) or not prefix.startswith("/")
              or is_unsafe_segment(prefix.strip("/"))):
            bad(f"'{where}.path' must be a path starting with '/', not {prefix!r}")
        elif menus is not None and not isinstance(menus, dict):
            bad(f"'{where}.menu' must be a table of menus ([[{where}.menu.main]]), "
                f"not {menus!r}")
        elif taxonomies is not None and not isinstance(taxonomies, list):
            bad(f"'{where}.taxonomies' must be a list of names, not {taxonomies!r}")
        else:
            names = (None if taxonomies is None
                     else _check_taxonomies(f"{where}.taxonomies", taxonomies, bad))
            prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
            languages.append(Language(code=code, title=title, weight=weight, prefix=prefix,
                                      direction=direction, taxonomies=names,
                                      menu=None if menus is None
                                      else _check_menus(f"{where}.menu", menus, bad),
                                      **strings))
    prefixes: dict[str, str] = {}
    for language in languages:
        other = prefixes.setdefault(language.prefix, language.code)
        if other != language.code:
            bad(f"'languages.{language.code}.path' {language.prefix!r} is the path of "
                f"'{other}' already")
    return tuple(sorted(languages, key=lambda lang: (lang.code != default, lang.weight,
                                                     lang.code)))
