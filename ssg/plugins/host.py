"""Find, load and call the plugins a site enables in ssg.toml (`[plugins.NAME]` tables).

`Plugins` is part of the `Config`: plain, picklable data (each plugin's name, where it comes
from, its options and code), so worker processes get it with the site and load the plugins
again by name (`_Runtime`, one per process). Calls go through `Plugins.call`, which hands each
plugin its own options and declared files and turns any failure into a `PluginError` naming
the plugin, the hook and the page.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib
import importlib.metadata
import linecache
import os
import re
import sys
import traceback
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from ssg import __version__
from ssg.errors import ConfigError, PluginError, SsgError
from ssg.plugins import Reads, freeze
from ssg.plugins import spec as hookspecs

#: The entry point group of installed plugins.
ENTRY_POINTS = "ssg.plugins"
#: The folder of a site's own plugins (`plugins/NAME.py`).
SITE_PLUGINS = "plugins"
#: ssg's own plugins: name -> module.
BUILTIN: Mapping[str, str] = types.MappingProxyType({
    "git-dates": "ssg.plugins.git_dates",
    "llms-txt": "ssg.plugins.llms_txt",
})
#: Hooks whose results shape the site model: a dev-server rebuild must run the whole front
#: end when a plugin has one of them.
SITE_HOOKS = frozenset({"documents_parsed", "site_assembled", "extra_outputs"})
#: Hooks that change a page's converted Markdown (kept in the cache).
BODY_HOOKS = frozenset({"page_markdown", "page_html"})


@dataclass(frozen=True)
class PluginSpec:
    """One enabled plugin: where it comes from, its options and its code's identity."""

    name: str
    #: "site" (plugins/NAME.py), "installed" (an entry point) or "ssg" (ssg's own).
    kind: str
    #: The module to import ("site": the file's source is in `source`), or the entry point.
    target: str
    #: Its `[plugins.NAME]` table without `enabled`, read-only.
    options: Mapping[str, Any]
    #: For messages: `plugins/shout.py`, `package ssg-foo 1.2`, `ssg's own`.
    label: str
    #: Fingerprint of the plugin's code: its source's hash and, when installed, its version.
    code: str
    #: The hooks it implements, in HOOKS order.
    hooks: tuple[str, ...] = ()
    #: The source of a site plugin, so every process runs the code the build fingerprinted.
    source: str = ""
    #: The file of a site plugin.
    file: Path | None = None


@dataclass(frozen=True)
class Plugins:
    """The plugins of a site, in the order of their tables in ssg.toml."""

    site_dir: Path
    specs: tuple[PluginSpec, ...] = ()
    _runtime: dict[int, _Runtime] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[object, ...]:
        """Only the data crosses to another process; it loads the plugins again by name."""
        return (Plugins, (self.site_dir, self.specs))

    def __bool__(self) -> bool:
        return bool(self.specs)

    def fresh(self) -> Plugins:
        """The same plugins with nothing remembered: each build starts from this (what a
        plugin declares, and its files, are read again)."""
        return Plugins(self.site_dir, self.specs)

    @property
    def names(self) -> tuple[str, ...]:
        """The enabled plugins' names."""
        return tuple(s.name for s in self.specs)

    def spec(self, name: str) -> PluginSpec:
        """The enabled plugin of that name."""
        return next(s for s in self.specs if s.name == name)

    def implementing(self, hook: str) -> tuple[str, ...]:
        """The plugins that implement a hook, in call order."""
        return tuple(s.name for s in self.specs if hook in s.hooks)

    def settings_key(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Which plugins run which hooks: a change rebuilds everything (outputs made before a
        plugin was enabled never recorded its fingerprint)."""
        return tuple((s.name, s.hooks) for s in self.specs)

    @property
    def allows_quick(self) -> bool:
        """True when a rebuild after edits to page bodies only may skip the front end: no
        plugin shapes the site model, and every plugin says what it reads."""
        return not any(SITE_HOOKS & set(s.hooks) or not self.declares(s.name)
                       for s in self.specs)

    def declares(self, name: str) -> bool:
        """True when the plugin says what it reads (implements `reads`)."""
        return "reads" in self.spec(name).hooks

    # --- fingerprints ------------------------------------------------------------------------

    def fingerprint(self, name: str, file_hash: Callable[[str], str]) -> str:
        """The plugin's fingerprint: its code, options and declared files. A plugin that does
        not say what it reads gets a new one every time (what it touched is made again)."""
        spec = self.spec(name)
        if not self.declares(name):
            return "volatile " + os.urandom(8).hex()
        files = [(rel, file_hash(str(self.site_dir / rel))) for rel in self._declared(name)]
        return _digest(spec.name, spec.code, _canonical(spec.options), files)

    def body_fingerprint(self, file_hash: Callable[[str], str]) -> str:
        """The fingerprint of every plugin that changes converted Markdown, in order."""
        return _digest([(name, self.fingerprint(name, file_hash))
                        for name in self.names if BODY_HOOKS & set(self.spec(name).hooks)])

    def declared_paths(self) -> list[Path]:
        """The files the plugins declare, as they are now (for the dev server to watch)."""
        return [self.site_dir / rel for name in self.names if self.declares(name)
                for rel in self._declared(name)]

    def _declared(self, name: str) -> list[str]:
        """The site-relative paths the plugin's `reads` names (patterns expanded, sorted)."""
        return self._runtime_here().declared(name)

    # --- calls -------------------------------------------------------------------------------

    def call(self, name: str, hook: str, where: str | None = None, **kwargs: Any) -> Any:
        """Call one plugin's hook with the arguments it asks for; a failure becomes a
        PluginError naming the plugin, the hook and `where` (the page)."""
        runtime = self._runtime_here()
        impl = runtime.impls[name].get(hook)
        if impl is None:
            return None
        spec = self.spec(name)
        kwargs["options"] = spec.options
        if "files" in impl.argnames:
            kwargs["files"] = runtime.files(name)
        try:
            return impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
        except Exception as exc:
            raise plugin_error(spec, hook, where, exc) from exc

    def transform(self, hook: str, value: str, where: str, **kwargs: Any) -> str:
        """Pass text through every plugin's hook in turn (None: unchanged)."""
        for name in self.implementing(hook):
            result = self.call(name, hook, where, **kwargs, **{_VALUE_ARG[hook]: value})
            if result is None:
                continue
            if not isinstance(result, str):
                raise PluginError(f"plugin '{name}': hook {hook} returned "
                                  f"{type(result).__name__}, not text or None", path=where)
            value = result
        return value

    def collect(self, hook: str, where: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """name -> result of every plugin's hook that returned something."""
        results = {}
        for name in self.implementing(hook):
            result = self.call(name, hook, where, **kwargs)
            if result is not None:
                results[name] = result
        return results

    def _runtime_here(self) -> _Runtime:
        """The plugins loaded in this process (a worker loads them again, by name)."""
        pid = os.getpid()
        runtime = self._runtime.get(pid)
        if runtime is None:
            self._runtime.clear()
            runtime = self._runtime[pid] = _Runtime(self)
        return runtime


_VALUE_ARG = {"page_markdown": "markdown", "page_html": "html"}


def plugin_error(spec: PluginSpec, hook: str, where: str | None, exc: BaseException
                 ) -> PluginError:
    """The error of a failed hook: plugin, hook and page named, the traceback kept."""
    if isinstance(exc, PluginError):
        return exc
    detail = "".join(traceback.format_exception(exc))
    if isinstance(exc, SsgError):
        what = str(exc)
    else:
        what = f"{type(exc).__name__}: {exc}"
    return PluginError(f"plugin '{spec.name}' failed in hook {hook}: {what}",
                       path=where or spec.label, detail=detail)


class _Runtime:
    """The plugins of one process: their modules, their hook functions, their reads."""

    def __init__(self, plugins: Plugins):
        self.plugins = plugins
        self.manager = pluggy.PluginManager("ssg")
        self.manager.add_hookspecs(hookspecs)
        self.impls: dict[str, dict[str, pluggy.HookImpl]] = {}
        for spec in plugins.specs:
            self.impls[spec.name] = register(self.manager, spec, load_object(spec))
        self._reads: dict[str, Reads] = {}
        self._declared: dict[str, list[str]] = {}
        self._files: dict[str, Mapping[str, bytes]] = {}

    def reads(self, name: str) -> Reads:
        """What the plugin declared (its `reads` hook, asked once per process)."""
        found = self._reads.get(name)
        if found is None:
            spec = self.plugins.spec(name)
            result = self.plugins.call(name, "reads") if "reads" in spec.hooks else Reads()
            if not isinstance(result, Reads):
                raise PluginError(f"plugin '{name}': hook reads returned "
                                  f"{type(result).__name__}, not Reads", path=spec.label)
            for pattern in result.files:
                if (not isinstance(pattern, str) or not pattern or pattern.startswith("/")
                        or ".." in pattern.split("/")):
                    raise PluginError(f"plugin '{name}': reads names {pattern!r}, not a path "
                                      "inside the site folder", path=spec.label)
            found = self._reads[name] = result
        return found

    def declared(self, name: str) -> list[str]:
        """The files the plugin declares, patterns expanded (once per build and process)."""
        found = self._declared.get(name)
        if found is None:
            site_dir = self.plugins.site_dir
            paths: set[str] = set()
            if "reads" in self.plugins.spec(name).hooks:
                for pattern in self.reads(name).files:
                    if any(ch in pattern for ch in "*?["):
                        paths.update(p.relative_to(site_dir).as_posix()
                                     for p in site_dir.glob(pattern) if p.is_file())
                    else:
                        paths.add(pattern)
            found = self._declared[name] = sorted(paths)
        return found

    def files(self, name: str) -> Mapping[str, bytes]:
        """The bytes of the plugin's declared files (read once per build and process)."""
        found = self._files.get(name)
        if found is None:
            data = {}
            for rel in self.declared(name):
                try:
                    data[rel] = (self.plugins.site_dir / rel).read_bytes()
                except OSError:
                    continue  # a missing file is left out (and fingerprinted as missing)
            found = self._files[name] = types.MappingProxyType(data)
        return found


def register(manager: pluggy.PluginManager, spec: PluginSpec, plugin: object
             ) -> dict[str, pluggy.HookImpl]:
    """Register a plugin's hooks; hooks ssg does not have, or arguments a hook does not
    give, are a config error naming the plugin."""
    try:
        manager.register(plugin, name=spec.name)
        manager.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise ConfigError(f"plugins.{spec.name}: {exc} (hooks: {', '.join(hookspecs.HOOKS)})",
                          path=spec.label) from exc
    impls = {}
    for hook in hookspecs.HOOKS:
        for impl in getattr(manager.hook, hook).get_hookimpls():
            if impl.plugin_name == spec.name:
                impls[hook] = impl
    return impls


def load_object(spec: PluginSpec) -> object:
    """Import the plugin's module (a site plugin from the source the build read)."""
    if spec.kind == "site":
        safe = re.sub(r"\W", "_", spec.name)
        module_name = f"ssg_site_plugin_{safe}_{spec.code[:12]}"
        module = sys.modules.get(module_name)
        if module is None:
            module = types.ModuleType(module_name)
            filename = str(spec.file)
            module.__file__ = filename
            sys.modules[module_name] = module
            # Tracebacks show the lines that ran, even when the file changed since.
            linecache.cache[filename] = (len(spec.source), None,
                                         spec.source.splitlines(True), filename)
            try:
                exec(compile(spec.source, filename, "exec"), module.__dict__)  # noqa: S102
            except BaseException:
                del sys.modules[module_name]
                raise
        return module
    if spec.kind == "installed":
        return installed_plugins()[spec.name].load()
    return importlib.import_module(spec.target)


# --- finding plugins -------------------------------------------------------------------------

def installed_plugins() -> dict[str, importlib.metadata.EntryPoint]:
    """The plugins installed packages offer (entry point group `ssg.plugins`), by name."""
    return entry_points(ENTRY_POINTS)


def entry_points(group: str) -> dict[str, importlib.metadata.EntryPoint]:
    """The entry points of a group by name, the first of each name; looked up again only
    when the import path changes (reading every package's metadata takes a while)."""
    return dict(_entry_points(group, tuple(sys.path)))


@functools.lru_cache(maxsize=8)
def _entry_points(group: str, _path: tuple[str, ...]
                  ) -> tuple[tuple[str, importlib.metadata.EntryPoint], ...]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for entry in importlib.metadata.entry_points(group=group):
        found.setdefault(entry.name, entry)
    return tuple(found.items())


def load_plugins(site_dir: Path, table: Mapping[str, Any], bad: Callable[[str], None]
                 ) -> Plugins:
    """The plugins `[plugins.NAME]` enables: from the site's plugins/NAME.py, an installed
    package, or ssg's own, in that order. Every problem goes to `bad`, naming the key."""
    installed = installed_plugins()
    specs = []
    for name, options in table.items():
        if not isinstance(options, dict):
            bad(f"plugins.{name} must be a table of the plugin's options ([plugins.{name}])")
            continue
        enabled = options.get("enabled", True)
        if not isinstance(enabled, bool):
            bad(f"plugins.{name}.enabled must be true or false, not {enabled!r}")
            continue
        if not enabled:
            continue
        options = {k: v for k, v in options.items() if k != "enabled"}
        try:
            spec = _find(site_dir, name, freeze(options), installed)
        except ConfigError as exc:
            bad(exc.message)
            continue
        except Exception as exc:  # the plugin's module failed to import
            bad(f"plugins.{name}: cannot load the plugin: {type(exc).__name__}: {exc}")
            continue
        if spec is None:
            known = sorted({*BUILTIN, *installed, *_site_plugin_names(site_dir)})
            hint = difflib.get_close_matches(name, known, n=1)
            bad(f"plugins.{name}: no plugin named '{name}' (looked in {SITE_PLUGINS}/{name}.py, "
                f"installed packages' '{ENTRY_POINTS}' entry points and ssg's own; known: "
                f"{', '.join(known) or 'none'})" + (f"; did you mean '{hint[0]}'?" if hint else ""))
            continue
        specs.append(spec)
    return Plugins(site_dir, tuple(specs))


def _site_plugin_names(site_dir: Path) -> list[str]:
    folder = site_dir / SITE_PLUGINS
    return sorted(p.stem for p in folder.glob("*.py")) if folder.is_dir() else []


def _find(site_dir: Path, name: str, options: Mapping[str, Any],
          installed: Mapping[str, importlib.metadata.EntryPoint]) -> PluginSpec | None:
    """The spec of the plugin called `name`, its hooks read from its loaded module."""
    file = site_dir / SITE_PLUGINS / f"{name}.py"
    if file.is_file():
        try:
            source = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"plugins.{name}: cannot read {SITE_PLUGINS}/{name}.py: "
                              f"{exc}") from exc
        spec = PluginSpec(name, "site", "", options, f"{SITE_PLUGINS}/{name}.py",
                          _digest(source), source=source, file=file)
    elif name in installed:
        entry = installed[name]
        dist = entry.dist
        version = f"{dist.name} {dist.version}" if dist is not None else entry.value
        spec = PluginSpec(name, "installed", entry.value, options, f"package {version}",
                          version)
    elif name in BUILTIN:
        spec = PluginSpec(name, "ssg", BUILTIN[name], options, "ssg's own", __version__)
    else:
        return None
    plugin = load_object(spec)
    if spec.kind != "site":
        spec = PluginSpec(spec.name, spec.kind, spec.target, options, spec.label,
                          _digest(spec.code, _module_source_hash(plugin)))
    manager = pluggy.PluginManager("ssg")
    manager.add_hookspecs(hookspecs)
    hooks = register(manager, spec, plugin)
    return PluginSpec(spec.name, spec.kind, spec.target, options, spec.label, spec.code,
                      tuple(h for h in hookspecs.HOOKS if h in hooks), spec.source, spec.file)


def _module_source_hash(plugin: object) -> str:
    """The hash of the file that defines an installed or built-in plugin (so an editable
    install or a checkout counts its edits), or "" when it has none."""
    module = plugin if isinstance(plugin, types.ModuleType) else sys.modules.get(
        getattr(plugin, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    if not path:
        return ""
    try:
        return hashlib.blake2b(Path(path).read_bytes(), digest_size=12).hexdigest()
    except OSError:
        return ""


def check_options(plugins: Plugins, config: Any, bad: Callable[[str], None]) -> None:
    """Let each plugin check its options (`config_loaded`); a rejection names the key."""
    for name in plugins.implementing("config_loaded"):
        try:
            plugins.call(name, "config_loaded", config=config)
        except PluginError as exc:
            cause = exc.__cause__
            why = f"{type(cause).__name__}: {cause}" if cause is not None and not isinstance(
                cause, ValueError | SsgError) else str(cause or exc.message)
            bad(f"plugins.{name}: {why}")


def _canonical(value: Any) -> Any:
    """Options as a value whose repr does not depend on the order of keys."""
    if isinstance(value, Mapping):
        return sorted((str(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    return value


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()
