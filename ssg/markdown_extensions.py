"""The `[markdown.extensions]` table: which Python-Markdown extensions load, with what options.

Any installed extension can be named by its import name (`pymdownx.superfences`), with a
table of options, beside the true/false switches of the built-in ones. Each is loaded and tried
on a small page when the config is read, so one that is not installed, fails to load or rejects
its options is a config error naming its key, not a failure on every page. The distribution
and version providing each one go into the config (and so into the cache key).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib
import importlib.metadata
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ssg.config import DEFAULT_EXTENSIONS, OPTIONAL_EXTENSIONS, Bad, MarkdownConfig
from ssg.errors import ConfigError

#: The keys of `[markdown]`.
MARKDOWN_KEYS = ("extensions", "highlight_style", "highlight_style_dark", "math", "diagrams")
#: Every built-in extension, in the order they load.
BUILT_IN = DEFAULT_EXTENSIONS + OPTIONAL_EXTENSIONS
#: An option value naming a Python object (a function, a class), as mkdocs.yml writes it.
PYTHON_NAME = "!!python/name:"
#: The extensions MkDocs turns on by itself, whatever its `markdown_extensions` say.
MKDOCS_BUILT_IN = ("toc", "tables", "fenced_code")
#: Text an extension is tried on when the config is read: a little of everything.
_SAMPLE = ("# Title\n\nSome *text*, `code` and a [link](a.md).\n\n- [ ] item\n\n"
           "```python\nx = 1\n```\n\n> quote\n")

#: One extension's entry: on or off, or on with options.
Entry = bool | dict[str, Any]


def canonical(name: str) -> str:
    """The name an extension is known by: `markdown.extensions.toc` is `toc`."""
    short = name.removeprefix("markdown.extensions.")
    return short if short in BUILT_IN else name


def _label(where: str, name: str) -> str:
    return f'{where}."{name}"' if "." in name or ":" in name else f"{where}.{name}"


def check_extensions(switches: Any, bad: Bad, *, where: str, math: bool = True,
                     diagrams: bool = True
                     ) -> tuple[tuple[str, ...], Mapping[str, Mapping[str, Any]],
                                Mapping[str, str]]:
    """(names in load order, options by name, versions by name) from a `[markdown.extensions]`
    table; each problem goes to `bad` with the key it is about (`where` is the table's name)."""
    if not isinstance(switches, dict):
        bad(f"{where} must be a table of name = true/false or name = {{ options }}")
        switches = {}
    enabled = dict.fromkeys(DEFAULT_EXTENSIONS, True)
    others: dict[str, str] = {}
    options: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    for written, value in switches.items():
        name, label = canonical(written), _label(where, written)
        labels[name] = label
        if isinstance(value, dict):
            options[name] = value
        elif not isinstance(value, bool):
            bad(f"{label} must be true, false or a table of options, not {value!r}")
            continue
        on = value is not False
        if name in BUILT_IN:
            enabled[name] = on
        elif on:
            others[name] = label
        elif difflib.get_close_matches(name, BUILT_IN, n=1):
            hint = difflib.get_close_matches(name, BUILT_IN, n=1)[0]
            bad(f"{label}: unknown extension '{name}' (did you mean '{hint}'?)")
    names = tuple(n for n in BUILT_IN if enabled.get(n)) + tuple(others)
    kept = {n: options[n] for n in names if n in options}
    for problem_name, message in _try_extensions(names, kept, diagrams=diagrams):
        bad(f"{labels.get(problem_name, _label(where, problem_name))}: {message}")
    versions = {name: extension_version(name) for name in names if name not in BUILT_IN}
    versions.update(_library_versions(math=math))
    return (names, MappingProxyType({n: MappingProxyType(o) for n, o in kept.items()}),
            MappingProxyType(versions))


def _library_versions(*, math: bool) -> dict[str, str]:
    """The versions of the libraries every page's HTML depends on."""
    libraries = ["markdown", "pygments"] + (["latex2mathml"] if math else [])
    return {name: _version_of(name) for name in libraries}


def _version_of(dist: str) -> str:
    try:
        return f"{dist} {importlib.metadata.version(dist)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{dist} (no metadata)"


def extension_version(name: str) -> str:
    """The distribution and version providing an extension (`pymdown-extensions 10.3`), from
    the installed metadata; for a module of no distribution, a hash of its file."""
    module = name.partition(":")[0]
    for point in importlib.metadata.entry_points(group="markdown.extensions", name=name):
        if point.dist is not None:
            return f"{point.dist.name} {point.dist.version}"
    dists = _distributions().get(module.split(".")[0], [])
    if dists:
        return _version_of(dists[0])
    loaded = sys.modules.get(module)
    path = getattr(loaded, "__file__", None)
    if path is None:
        return "unknown"
    try:
        return "file " + hashlib.blake2b(Path(path).read_bytes(), digest_size=12).hexdigest()
    except OSError:
        return "unknown"


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    """Top-level module -> distributions, read once per process: the code a process runs is
    what it imported first, so an upgrade takes effect (and counts) from its next start."""
    return importlib.metadata.packages_distributions()


def _try_extensions(names: tuple[str, ...], options: Mapping[str, Mapping[str, Any]], *,
                    diagrams: bool) -> list[tuple[str, str]]:
    """(name, problem) for each extension that cannot be imported, rejects its options or
    fails on a small page, in load order; built-in ones without options are not tried."""
    import markdown

    problems: list[tuple[str, str]] = []
    md = markdown.Markdown(output_format="html")
    try_all = any(name not in BUILT_IN or name in options for name in names)
    if not try_all:
        return problems
    for name in names:
        try:
            configs = extension_options(name, options.get(name, {}), diagrams=diagrams,
                                        site_dir=Path("."))
        except ConfigError as exc:
            problems.append((name, exc.message))
            continue
        try:
            extension = md.build_extension(name, configs)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if name.partition(":")[0] == missing or name.startswith(missing + "."):
                problems.append((name, f"extension '{name}' is not installed (no module "
                                       f"'{missing}'; install the package that provides it)"))
            else:
                problems.append((name, f"extension '{name}' fails to load: {exc}"))
            continue
        except KeyError as exc:
            problems.append((name, f"extension '{name}' rejects the option {exc} "
                                   f"(it knows: {_known_options(md, name)})"))
            continue
        except Exception as exc:  # anything an extension's code raises while it is made
            problems.append((name, f"extension '{name}' fails to load: "
                                   f"{type(exc).__name__}: {exc}"))
            continue
        try:
            md.registerExtensions([extension], {})
            md.reset()
            md.convert(_SAMPLE)
        except Exception as exc:  # an extension whose options only fail once it runs
            problems.append((name, f"extension '{name}' fails with these options: "
                                   f"{type(exc).__name__}: {exc}"))
            md = markdown.Markdown(output_format="html")
    return problems


def _known_options(md: Any, name: str) -> str:
    try:
        return ", ".join(sorted(md.build_extension(name, {}).getConfigs())) or "no options"
    except Exception:  # the extension needs options to be made at all
        return "see its documentation"


# --- options ---------------------------------------------------------------------------------

def _mermaid_fence() -> dict[str, Any]:
    return {"name": "mermaid", "class": "mermaid"}


def _defaults(name: str, *, diagrams: bool, site_dir: Path) -> dict[str, Any]:
    """ssg's own options for an extension, under those ssg.toml gives."""
    if name == "codehilite":
        from ssg.highlight import CodeFormatter

        return {"css_class": "highlight", "guess_lang": False,
                "pygments_formatter": CodeFormatter}
    if name == "toc":
        from markdown.extensions.toc import slugify_unicode

        return {"slugify": slugify_unicode}
    if name == "footnotes":
        return {"UNIQUE_IDS": False}
    if name == "pymdownx.highlight":
        return {"pygments_lang_class": True}
    if name == "pymdownx.superfences" and diagrams:
        return {"custom_fences": [_mermaid_fence()]}
    if name == "pymdownx.tabbed":
        return {"alternate_style": True}
    if name == "pymdownx.emoji":
        # Unicode characters, not images from a CDN.
        return {"emoji_generator": PYTHON_NAME + "pymdownx.emoji.to_alt"}
    if name == "pymdownx.snippets":
        return {"base_path": [str(site_dir)], "check_paths": True}
    if name == "pymdownx.arithmatex":
        return {"generic": True}
    return {}


def extension_options(name: str, given: Mapping[str, Any], *, diagrams: bool, site_dir: Path
                      ) -> dict[str, Any]:
    """The options an extension is made with: ssg's defaults, then those given, with
    `!!python/name:` values imported (ConfigError when one cannot be)."""
    merged = {**_defaults(name, diagrams=diagrams, site_dir=site_dir), **given}
    if name == "pymdownx.snippets":
        paths = merged.get("base_path", [])
        paths = [paths] if isinstance(paths, str) else paths
        if isinstance(paths, list):
            merged["base_path"] = [str(site_dir / p) if isinstance(p, str) else p
                                   for p in paths]
    return {key: resolve_names(value, key) for key, value in merged.items()}


def resolve_names(value: Any, where: str) -> Any:
    """An option value with every `!!python/name:module.attr` string replaced by that object."""
    if isinstance(value, str) and value.startswith(PYTHON_NAME):
        return _import_object(value[len(PYTHON_NAME):], where)
    if isinstance(value, list):
        return [resolve_names(item, where) for item in value]
    if isinstance(value, Mapping):
        from ssg.mkdocs import call_factory

        try:  # `!!python/object/apply:NAME` of mkdocs.yml: NAME(*args, **kwds)
            made = call_factory(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"option {where}: {exc}") from None
        if made is not None:
            return made
        return {k: resolve_names(v, f"{where}.{k}") for k, v in value.items()}
    return value


def _import_object(dotted: str, where: str) -> Any:
    module, _, attr = dotted.strip().rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"option {where}: cannot import {dotted!r} ({exc})") from None


def markdown_options(config: MarkdownConfig, site_dir: Path) -> dict[str, dict[str, Any]]:
    """The options of every extension in use, ready for Python-Markdown."""
    return {name: extension_options(name, config.options.get(name, {}),
                                    diagrams=config.diagrams, site_dir=site_dir)
            for name in config.extensions}


# --- mkdocs.yml ------------------------------------------------------------------------------

def extensions_from_mkdocs(value: Any) -> dict[str, Entry]:
    """mkdocs.yml's `markdown_extensions` (a list of names or {name: options}) as the table
    `[markdown.extensions]` of ssg.toml: each listed extension on, with its options; ssg's
    default extensions that change what Markdown means and MkDocs does not turn on (footnotes,
    attr_list, def_list, abbr, admonition) off unless listed. Python objects in options
    (loaded from `!!python/name:` tags) become `!!python/name:` strings."""
    if value is None:
        value = []
    if isinstance(value, Mapping):
        value = [{k: v} for k, v in value.items()]
    if not isinstance(value, list):
        raise ConfigError("markdown_extensions must be a list of extension names or "
                          f"{{name: options}}, not {value!r}", path="mkdocs.yml")
    table: dict[str, Entry] = {}
    for item in value:
        if isinstance(item, str):
            table[canonical(item)] = True
        elif isinstance(item, Mapping) and len(item) == 1:
            [(name, options)] = item.items()
            if options is None:
                options = {}
            if not isinstance(name, str) or not isinstance(options, Mapping):
                raise ConfigError(f"markdown_extensions: {name!r} must have a mapping of "
                                  f"options, not {options!r}", path="mkdocs.yml")
            table[canonical(name)] = {str(k): _as_data(v) for k, v in options.items()}
        else:
            raise ConfigError("markdown_extensions: each item must be a name or "
                              f"{{name: options}}, not {item!r}", path="mkdocs.yml")
    for name in DEFAULT_EXTENSIONS:
        if name not in table and name not in MKDOCS_BUILT_IN and name != "codehilite":
            table[name] = False
    return table


def _as_data(value: Any) -> Any:
    """An option value as ssg.toml could write it."""
    if isinstance(value, Mapping):
        return {str(k): _as_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_data(v) for v in value]
    if callable(value) and hasattr(value, "__module__") and hasattr(value, "__qualname__"):
        return f"{PYTHON_NAME}{value.__module__}.{value.__qualname__}"
    return value

