"""Read an MkDocs site's `mkdocs.yml` into the settings of ssg.toml.

`mkdocs_settings` turns mkdocs.yml into the same table `read_toml` makes of ssg.toml, so a
folder with mkdocs.yml and no ssg.toml builds through the one checked path of ssg.config, and
`ssg import mkdocs` writes that table as ssg.toml (`to_toml`). mkdocs.yml is read with a safe
loader that keeps MkDocs' YAML tags as data and runs no code: `!!python/name:X` becomes the
dotted name `X`, resolved as an import of an installed module only for an extension option that
takes a callable (`resolve_option`).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from ssg.errors import ConfigError

log = logging.getLogger("ssg")

#: The names MkDocs looks for, in its order.
MKDOCS_FILES = ("mkdocs.yml", "mkdocs.yaml")
#: MkDocs leaves these out of every site, before `exclude_docs` (mkdocs/structure/files.py).
DEFAULT_EXCLUDE = (".*", "/templates/")
#: Weight of the pages a `nav` leaves out: after every page it lists, as MkDocs' order.
UNLISTED_WEIGHT = 100_000
#: Keys of mkdocs.yml that ssg carries over (everything else is named in one warning).
UNDERSTOOD = ("site_name", "site_url", "site_description", "site_author", "docs_dir", "nav",
              "markdown_extensions", "extra_css", "extra_javascript", "exclude_docs",
              "draft_docs", "not_in_nav", "extra", "INHERIT", "validation")
#: MkDocs 1.6's defaults of `validation.links`: the levels of ssg's `[check]` for its sites.
LINK_VALIDATION = {"not_found": "warn", "anchors": "info", "absolute_links": "info",
                   "unrecognized_links": "info"}
#: MkDocs 1.6's defaults of `validation.nav`.
NAV_VALIDATION = {"omitted_files": "info", "not_found": "warn", "absolute_links": "info"}
#: The levels a validation setting may have (absolute_links also "relative_to_docs").
_LEVELS = ("warn", "info", "ignore")
#: Where MkDocs' own theme puts the site's icon, which pages link to; ssg's `mkdocs` theme
#: publishes one there.
MKDOCS_FAVICON = "img/favicon.ico"
#: MkDocs' Markdown extensions by their full import name, which ssg knows by the short one.
_BUILTIN_PREFIX = "markdown.extensions."
#: Plugins whose work ssg does itself (tags: the `tags` taxonomy).
_BUILTIN_PLUGINS = ("search", "tags")


def find_mkdocs(site_dir: Path) -> Path | None:
    """The site's mkdocs.yml (or mkdocs.yaml), or None."""
    for name in MKDOCS_FILES:
        if (site_dir / name).is_file():
            return site_dir / name
    return None


# --- loading: MkDocs' YAML tags as data ------------------------------------------------------

#: How an option names a Python object (`!!python/name:module.attr`), as text.
PYTHON_NAME = "!!python/name:"
#: The key of an option that is a factory's result: `{"!!python/object/apply:NAME": {"args":
#: [...], "kwds": {...}}}`, as mkdocs.yml writes it.
PYTHON_CALL = "!!python/object/apply:"


class _Loader(yaml.SafeLoader):
    """The safe loader with MkDocs' tags: `!ENV`, `!relative`, `!!python/name`,
    `!!python/object/apply`; none of them runs code."""

    site_dir: Path = Path(".")


def _env(loader: _Loader, node: yaml.Node) -> Any:
    """`!ENV NAME` or `!ENV [NAME, OTHER, default]`: the first variable set, else the default."""
    if isinstance(node, yaml.ScalarNode):
        names: list[Any] = [loader.construct_scalar(node)]
        default = None
    elif isinstance(node, yaml.SequenceNode) and node.value:
        items = loader.construct_sequence(node, deep=True)
        names, default = items[:-1] if len(items) > 1 else items, (
            items[-1] if len(items) > 1 else None)
    else:
        raise yaml.constructor.ConstructorError(
            None, None, "!ENV takes a variable name or a list of names and a default",
            node.start_mark)
    for name in names:
        value = os.environ.get(str(name))
        if value is not None:
            # MkDocs reads the value as YAML (`true`, `3`), as its pyyaml_env_tag does
            return yaml.safe_load(value) if value else value
    return default


def _relative(loader: _Loader, node: yaml.Node) -> str:
    """`!relative $config_dir` (or a path): the folder as text; bare `!relative` (the folder of
    the page being rendered, for pymdownx.snippets) is taken as the site folder."""
    text = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else ""
    text = str(text or "").replace("$config_dir", ".")
    return str(loader.site_dir / text) if text else str(loader.site_dir)


def _python_name(loader: _Loader, suffix: str, node: yaml.Node) -> str:
    return PYTHON_NAME + suffix


def _python_call(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    args: list[Any] = []
    kwds: dict[str, Any] = {}
    if isinstance(node, yaml.SequenceNode):
        args = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        table = loader.construct_mapping(node, deep=True)
        args, kwds = list(table.get("args", [])), dict(table.get("kwds", {}))
    call: dict[str, Any] = {}
    if args:
        call["args"] = args
    if kwds:
        call["kwds"] = kwds
    return {PYTHON_CALL + suffix: call}


_Loader.add_constructor("!ENV", _env)
_Loader.add_constructor("!relative", _relative)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", _python_name)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/object/apply:", _python_call)


def read_mkdocs(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse mkdocs.yml (following `INHERIT`): its mapping, and the line of each top-level key.

    Bad YAML is a ConfigError naming the file and line."""
    return _read(path, set())


def _read(path: Path, seen: set[Path]) -> tuple[dict[str, Any], dict[str, int]]:
    shown = path.name if not seen else str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", path=shown) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=shown) from exc
    loader = _Loader(text)
    loader.site_dir = path.parent
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError(f"invalid YAML: {message}", path=shown,
                          line=mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=shown) from exc
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", path=shown) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping of settings (site_name: ..., nav: ...)",
                          path=shown, line=1)
    lines = {str(key.value): key.start_mark.line + 1 for key, _value in node.value} if (
        isinstance(node, yaml.MappingNode)) else {}
    parent = data.get("INHERIT")
    if isinstance(parent, str):
        parent_path = (path.parent / parent).resolve()
        if parent_path in seen or parent_path == path.resolve():
            raise ConfigError(f"INHERIT: {parent} inherits from itself", path=shown,
                              line=lines.get("INHERIT"))
        if not parent_path.is_file():
            raise ConfigError(f"INHERIT: no file {parent}", path=shown, line=lines.get("INHERIT"))
        base, _lines = _read(parent_path, seen | {path.resolve()})
        from ssg.config import merge_tables  # (config imports this module)

        data = merge_tables(base, data)  # MkDocs' INHERIT merges the same way
    return data, lines


# --- mapping: mkdocs.yml -> the settings of ssg.toml ----------------------------------------

def mkdocs_settings(path: Path) -> dict[str, Any]:
    """The ssg.toml table equivalent to the MkDocs config at `path`; what ssg cannot carry over
    is named in one warning, and a value of the wrong kind is a ConfigError with its line."""
    data, lines = read_mkdocs(path)
    shown = path.name
    problems: list[ConfigError] = []

    def bad(key: str, message: str) -> None:
        problems.append(ConfigError(f"{key}: {message}", path=shown, line=lines.get(key)))

    settings: dict[str, Any] = {}
    for key, target in (("site_name", "title"), ("site_description", "description"),
                        ("site_author", "author"), ("site_url", "base_url")):
        value = data.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            bad(key, f"must be text, not {value!r}")
        else:
            settings[target] = value
    if "site_name" not in data:
        problems.append(ConfigError("site_name is required (MkDocs needs it too)", path=shown))
    docs_dir = data.get("docs_dir", "docs")
    if not isinstance(docs_dir, str) or not docs_dir.strip("/"):
        bad("docs_dir", f"must be a folder name, not {docs_dir!r}")
        docs_dir = "docs"
    docs_dir = docs_dir.rstrip("/") or "docs"
    if docs_dir != "content":
        settings["content_dir"] = docs_dir
    ignore = list(DEFAULT_EXCLUDE) + _pattern_lines(data, "exclude_docs", bad)
    theme = data.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if isinstance(custom, str):  # theme templates kept inside docs_dir are no content
        inside = (path.parent / custom).resolve()
        docs_path = (path.parent / docs_dir).resolve()
        if inside != docs_path and inside.is_relative_to(docs_path):
            ignore.append("/" + _escape(inside.relative_to(docs_path).as_posix()) + "/")
    settings["ignore"] = "\n".join(ignore) + "\n"
    if isinstance(data.get("extra"), dict):
        settings["extra"] = _plain(data["extra"])
    elif data.get("extra") is not None:
        bad("extra", f"must be a mapping, not {data['extra']!r}")
    for key, target in (("extra_css", "stylesheets"), ("extra_javascript", "scripts")):
        files = _file_list(data.get(key), key, bad)
        if files:
            settings[target] = files
    extensions = _extensions(data.get("markdown_extensions"), bad)
    if extensions:
        from ssg.markdown_extensions import extensions_from_mkdocs

        settings["markdown"] = {"extensions": extensions_from_mkdocs(
            [{name: options} if isinstance(options, dict) else name
             for name, options in extensions.items()])}
    links, nav_levels = _validation(data.get("validation"), bad)
    settings["check"] = links
    # MkDocs' themes publish their icon at img/favicon.ico, and sites link to it there, unless
    # docs_dir has its own; `theme.favicon` names the icon pages show (a file of docs_dir).
    if not (path.parent / docs_dir / MKDOCS_FAVICON).exists():
        settings["theme"] = "mkdocs"
    favicon = theme.get("favicon") if isinstance(theme, dict) else None
    if isinstance(favicon, str) and favicon:
        settings["favicon"] = favicon
    elif favicon is not None:
        bad("theme", f"favicon must be a file name, not {favicon!r}")
    front: list[dict[str, Any]] = []
    drafts = _pattern_lines(data, "draft_docs", bad)
    not_in_nav = _pattern_lines(data, "not_in_nav", bad)  # ssg lists every page it builds
    nav = data.get("nav")
    menu: list[dict[str, Any]] = []
    if nav is not None:
        if not isinstance(nav, list):
            bad("nav", f"must be a list of pages and sections, not {nav!r}")
        else:
            front.append({"paths": "*", "weight": UNLISTED_WEIGHT})
            docs = path.parent / docs_dir
            entries = _nav_front_matter(nav, docs, menu, lambda m: bad("nav", m), nav_levels)
            front.extend(entries)
            folders = ["/" + _escape(folder) + "/" for t in _nav_targets(nav)
                       if not _external(t) and (folder := t.split("#", 1)[0].strip("/"))
                       and (t.endswith("/") or (docs / folder).is_dir())]
            _omitted(docs, entries, ignore + drafts + not_in_nav + folders,
                     nav_levels["omitted_files"])
    if drafts:
        front.append({"paths": "\n".join(drafts), "draft": True})
    if front:
        settings["front_matter"] = front
    if menu and _config_knows("menu"):
        settings["menu"] = {"main": menu}
    elif any("url" in entry for entry in menu):
        log.warning("%s: nav: links to other sites are not carried over: %s", shown,
                    ", ".join(entry["url"] for entry in menu if "url" in entry))
    settings["feeds"] = []  # MkDocs sites have none
    # Tags are terms only with a tags plugin (Material's); without one they are page meta.
    settings["taxonomies"] = ["tags"] if "tags" in _plugin_names(data.get("plugins")) else []
    # A page's meta is free-form in MkDocs (`template` names a template of MkDocs' theme)
    settings["front_matter_extra"] = ["template", "*"]
    if problems:
        from ssg.errors import raise_all
        raise_all(list(problems))
    ignored = list(_ignored(data))
    if ignored:
        log.warning("%s: ignored: %s", shown, ", ".join(ignored))
    return settings


def _validation(value: Any, bad: Callable[[str, str], None]
                ) -> tuple[dict[str, str], dict[str, str]]:
    """`validation:` as the levels of ssg's `[check]` and of the nav's checks, MkDocs'
    defaults for what it leaves out; a key set at the top applies to both, as in MkDocs."""
    links, nav = dict(LINK_VALIDATION), dict(NAV_VALIDATION)
    if value is None:
        return links, nav
    if not isinstance(value, dict):
        bad("validation", f"must be a mapping (links: ..., nav: ...), not {value!r}")
        return links, nav

    def level(where: str, name: str, given: Any) -> str | None:
        allowed = _LEVELS + (("relative_to_docs",) if name == "absolute_links" else ())
        if given not in allowed:
            bad("validation", f"{where}{name} must be one of {', '.join(allowed)}, "
                f"not {given!r}")
            return None
        return str(given)

    for name, given in value.items():
        if name in ("links", "nav"):
            continue
        if name not in links and name not in nav:
            bad("validation", f"unknown setting {name!r}")
            continue
        found = level("", name, given)
        for table in (links, nav):
            if found is not None and name in table:
                table[name] = found
    for group, table in (("links", links), ("nav", nav)):
        sub = value.get(group)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            bad("validation", f"{group} must be a mapping, not {sub!r}")
            continue
        for name, given in sub.items():
            if name not in table:
                bad("validation", f"{group}: unknown setting {name!r}")
                continue
            found = level(f"{group}.", name, given)
            if found is not None:
                table[name] = found
    return links, nav


def _say(level: str, message: str, *args: Any) -> None:
    """Log at a validation level ("ignore": only with --verbose)."""
    log.log({"warn": logging.WARNING, "info": logging.INFO}.get(level, logging.DEBUG),
            message, *args)


def _omitted(docs: Path, entries: list[dict[str, Any]], ignore: list[str], level: str) -> None:
    """Name the pages of docs_dir the nav leaves out (MkDocs' `validation.nav.omitted_files`),
    those `not_in_nav` lists, excluded and draft ones and those of folders it names aside."""
    if level == "ignore" or not docs.is_dir():
        return
    from ssg.config import gitignore_spec

    spec = gitignore_spec(tuple(ignore))
    listed = {entry["paths"] for entry in entries}
    omitted = sorted(rel for file in docs.rglob("*") if file.is_file()
                     and (rel := file.relative_to(docs).as_posix()).lower().endswith(".md")
                     and "/" + _escape(rel) not in listed and not spec.match_file(rel))
    if omitted:
        _say(level, "mkdocs.yml: nav: these pages are not in it (validation.nav.omitted_files):"
             " %s", ", ".join(omitted))


def _config_knows(key: str) -> bool:
    """Whether ssg.toml has the setting `key` (menus come with the theme's menu support)."""
    from ssg.config import _FIELDS

    return key in _FIELDS


def _ignored(data: Mapping[str, Any]) -> Iterator[str]:
    """The settings ssg does not carry over, as dotted names (`theme.features`)."""
    for key, value in data.items():
        key = str(key)
        if key in UNDERSTOOD:
            continue
        if key == "theme" and isinstance(value, dict):
            yield from (f"theme.{name}" for name in value if name != "favicon")
        elif key == "theme":
            yield "theme"
        elif key == "plugins":
            yield from (f"plugins.{name}" for name in _plugin_names(value)
                        if name not in _BUILTIN_PLUGINS)
        elif key == "use_directory_urls" and value is not False:
            continue  # ssg's URLs are directory URLs
        else:
            yield key


def _plugin_names(value: Any) -> list[str]:
    """The names of the plugins of `plugins:` (a list of names or one-key mappings, or a
    mapping)."""
    items = value if isinstance(value, list) else list(value or {}) if isinstance(
        value, dict) else []
    return [str(next(iter(item)) if isinstance(item, dict) and item else item) for item in items]


def _plain(value: Any) -> Any:
    """A value with the tag types made plain (a PythonName is text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value if v is not None]
    if isinstance(value, str):
        return str(value)
    return value


def _pattern_lines(data: Mapping[str, Any], key: str, bad: Callable[[str, str], None]
                   ) -> list[str]:
    """The lines of a gitignore-style setting (`exclude_docs: |` ...), comments and blanks
    dropped."""
    value = data.get(key)
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        value = "\n".join(value)
    if not isinstance(value, str):
        bad(key, f"must be gitignore-style lines of text, not {value!r}")
        return []
    return [line.rstrip() for line in value.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _file_list(value: Any, key: str, bad: Callable[[str, str], None]) -> list[str]:
    """extra_css / extra_javascript: paths (or MkDocs 1.5's `{path: ...}` entries)."""
    if value is None:
        return []
    if not isinstance(value, list):
        bad(key, f"must be a list of files, not {value!r}")
        return []
    files = []
    for item in value:
        entry = item.get("path") if isinstance(item, dict) else item
        if not isinstance(entry, str) or not entry:
            bad(key, f"entry {item!r} is not a file path")
        else:
            files.append(entry)
    return files


def _extensions(value: Any, bad: Callable[[str, str], None]) -> dict[str, Any]:
    """markdown_extensions as `{name: true or {options}}`, in their order."""
    if value is None:
        return {}
    items = list(value.items()) if isinstance(value, dict) else value
    if not isinstance(items, list):
        bad("markdown_extensions", f"must be a list of extension names, not {value!r}")
        return {}
    found: dict[str, Any] = {}
    for item in items:
        if isinstance(item, tuple):
            name, options = item
        elif isinstance(item, dict) and len(item) == 1:
            name, options = next(iter(item.items()))
        elif isinstance(item, str):
            name, options = item, None
        else:
            bad("markdown_extensions", f"entry {item!r} is not a name or a name with options")
            continue
        if not isinstance(options, dict | None):
            bad("markdown_extensions", f"{name}: options must be a mapping, not {options!r}")
            continue
        name = str(name).removeprefix(_BUILTIN_PREFIX)
        found[name] = _option_values(options) if options else True
    return found


def _option_values(options: dict[str, Any]) -> dict[str, Any]:
    """Options ready for TOML: a missing value (YAML's `permalink:`) is left out, as MkDocs'
    None means the extension's default."""
    return {str(k): _plain_option(v) for k, v in options.items() if v is not None}


def _plain_option(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_option(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain_option(v) for v in value if v is not None]
    if isinstance(value, str):
        return str(value)
    return value


def _nav_front_matter(nav: list[Any], docs: Path, menu: list[dict[str, Any]],
                      bad: Callable[[str], None], levels: Mapping[str, str] = NAV_VALIDATION
                      ) -> list[dict[str, Any]]:
    """Front matter for the pages `nav` lists: a weight in nav order and the nav's title.

    A nav section that is one folder gives its title to the folder's index page; the top level
    of the nav, links to other sites among it, is the main menu (`menu`)."""
    entries: list[dict[str, Any]] = []
    counter = iter(range(1, UNLISTED_WEIGHT))
    given: set[str] = set()

    def page(target: str, title: str | None, weight: int) -> None:
        rel = target.split("#", 1)[0].strip("/")
        if target.endswith("/") or (docs / rel).is_dir():
            front_file = _front_file(docs / rel)
            if front_file is None:
                return
            rel = f"{rel}/{front_file}" if rel else front_file
        elif not (docs / rel).is_file():
            kind = "absolute_links" if target.startswith("/") else "not_found"
            _say(levels[kind], "%s: nav: no page %s in %s/ (validation.nav.%s)", "mkdocs.yml",
                 target, docs.name, kind)
            return
        if rel in given:
            return
        given.add(rel)
        entry: dict[str, Any] = {"paths": "/" + _escape(rel), "weight": weight}
        if title:
            entry["title"] = title
        entries.append(entry)

    def walk(items: list[Any], top: bool) -> None:
        for item in items:
            weight = next(counter)
            if isinstance(item, dict) and len(item) == 1:
                title, target = next(iter(item.items()))
                title = str(title) if title is not None else None
            elif isinstance(item, str):
                title, target = None, item
            else:
                bad(f"entry {item!r} is not a page, a link or a titled section")
                continue
            if isinstance(target, str) and _external(target):
                if top:
                    menu.append({"name": title or target, "url": target, "weight": weight})
                else:
                    log.warning("mkdocs.yml: nav: a link to another site inside a section is "
                                "not carried over: %s", target)
            elif isinstance(target, str):
                page(target, title, weight)
                if top:
                    _menu_entry(menu, title, target, docs, weight)
            elif isinstance(target, list):
                folder = _common_folder(target)
                if folder and title:
                    page(folder + "/", title, weight)
                if top and title:
                    first = folder + "/" if folder else next(
                        (t for t in _nav_targets(target) if not _external(t)), None)
                    if first is not None:
                        _menu_entry(menu, title, first, docs, weight)
                walk(target, False)
            else:
                bad(f"entry {title!r} must name a page or hold a list, not {target!r}")

    walk(nav, True)
    return entries


def _menu_entry(menu: list[dict[str, Any]], title: str | None, target: str, docs: Path,
                weight: int) -> None:
    """A main menu entry for a top-level nav entry: the page, or the section of a folder."""
    rel = target.split("#", 1)[0].strip("/")
    path = docs / rel
    if path.is_dir():
        key = rel
    elif path.is_file() and not target.endswith("/"):
        folder = path.parent
        key = (folder.relative_to(docs).as_posix().strip(".") if _front_file(folder) == path.name
               else rel) or "index.md"
    else:
        return
    if title is None:
        title = _first_heading(path) if path.is_file() else None
        title = title or (Path(rel).stem if rel else "Home")
    menu.append({"name": title, "page": key or "index.md", "weight": weight})


def _first_heading(path: Path) -> str | None:
    """The text of a Markdown file's first `# heading` (a page's title in MkDocs' nav)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^#[ \t]+(.+?)[ \t#]*$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _front_file(folder: Path) -> str | None:
    """The name of a folder's index page as MkDocs and ssg find it: index.md, README.md."""
    if not folder.is_dir():
        return None
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    for stem in ("_index", "index", "readme"):
        for name in names:
            if name.lower().endswith(".md") and name[:-3].lower() == stem:
                return name
    return None


def _common_folder(items: list[Any]) -> str | None:
    """The deepest folder holding every page of a nav section (its folder), or None."""
    common: list[str] | None = None
    for target in _nav_targets(items):
        if _external(target):
            continue
        rel = target.split("#", 1)[0].strip("/")
        parts = rel.split("/") if target.endswith("/") else rel.split("/")[:-1]
        if common is None:
            common = parts
        else:
            n = 0
            while n < min(len(common), len(parts)) and common[n] == parts[n]:
                n += 1
            common = common[:n]
    return "/".join(common) if common else None


def _nav_targets(items: list[Any]) -> Iterator[str]:
    for item in items:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for value in item.values():
                if isinstance(value, str):
                    yield value
                elif isinstance(value, list):
                    yield from _nav_targets(value)


def _external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def _escape(rel: str) -> str:
    """A path as a gitignore pattern that matches only it."""
    return re.sub(r"([\\*?\[\]!#])", r"\\\1", rel)


# --- options that are a factory's result ---------------------------------------------------

def call_factory(value: Mapping[str, Any]) -> Any | None:
    """The object a `{"!!python/object/apply:NAME": {"args": [...], "kwds": {...}}}` option
    stands for: NAME (imported from an installed module) called with them; None for any other
    value. The name is imported only now that an extension takes the option."""
    if len(value) != 1:
        return None
    [(key, call)] = value.items()
    if not isinstance(key, str) or not key.startswith(PYTHON_CALL):
        return None
    call = call if isinstance(call, Mapping) else {}
    args, kwds = call.get("args", []), call.get("kwds", {})
    if not isinstance(args, list) or not isinstance(kwds, Mapping):
        raise ValueError(f"{key}: args must be a list and kwds a mapping")
    return import_name(key[len(PYTHON_CALL):])(*args, **kwds)


def import_name(dotted: str) -> Any:
    """The object a dotted name (`pymdownx.superfences.fence_code_format`) names, imported from
    an installed module; a ValueError says which part is missing."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"{dotted!r} is not a dotted name (module.function)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name} (for {dotted}): {exc}") from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"{module_name} has no {attribute!r} (for {dotted})") from None


# --- writing ssg.toml ------------------------------------------------------------------------

def to_toml(settings: Mapping[str, Any]) -> str:
    """The settings as TOML text (plain values first, then tables and arrays of tables)."""
    lines: list[str] = []
    _table(settings, [], lines)
    return "\n".join(lines).strip() + "\n"


def _table(table: Mapping[str, Any], prefix: list[str], lines: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_array(v)}
    for key, value in plain.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if _is_table(value):
            path = [*prefix, key]
            subtable = value
            if any(not _is_table(v) and not _is_table_array(v) for v in subtable.values()) \
                    or not subtable:
                lines += ["", "[" + ".".join(_key(p) for p in path) + "]"]
            _table(subtable, path, lines)
        elif _is_table_array(value):
            for item in value:
                lines += ["", "[[" + ".".join(_key(p) for p in [*prefix, key]) + "]]"]
                _table(item, [*prefix, key], lines)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if "\n" in value.rstrip("\n") and '"""' not in value and "\\" not in value:
            return '"""\n' + value + '"""'
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def import_mkdocs(site_dir: Path) -> tuple[Path, Path]:
    """Write SITE_DIR/ssg.toml equivalent to its mkdocs.yml (which is left as it is); returns
    (mkdocs.yml, ssg.toml). An existing ssg.toml is never overwritten."""
    from ssg.config import CONFIG_FILE

    source = find_mkdocs(site_dir)
    if source is None:
        raise ConfigError(f"no {' or '.join(MKDOCS_FILES)} in {site_dir}")
    target = site_dir / CONFIG_FILE
    if target.exists():
        raise ConfigError(f"{CONFIG_FILE} exists already; move it away to import "
                          f"{source.name} again", path=target)
    settings = mkdocs_settings(source)
    text = (f"# Written by `ssg import mkdocs` from {source.name}, which ssg no longer reads "
            "now that this file exists.\n\n" + to_toml(settings))
    import tomllib

    assert tomllib.loads(text) == _plain_option(settings), "to_toml lost a value"
    partial = target.with_name(f".{CONFIG_FILE}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
    return source, target
