"""Find themes: the site's `themes/NAME/`, installed packages (entry point group `ssg.themes`)
and ssg's own, and the themes each one extends (`extends = "NAME"` in its theme.toml)."""

from __future__ import annotations

import importlib.metadata
import tomllib
import types
from dataclasses import dataclass
from pathlib import Path

from ssg.errors import ConfigError
from ssg.plugins.host import entry_points

#: The entry point group of installed themes.
ENTRY_POINTS = "ssg.themes"
#: A theme's own settings file (optional).
THEME_FILE = "theme.toml"
_THEME_KEYS = ("extends", "name", "description")
#: ssg's own themes, installed inside the package or beside it in a checkout.
_PACKAGE = Path(__file__).resolve().parent
_OWN_ROOTS = (_PACKAGE / "themes", _PACKAGE.parent / "themes")


@dataclass(frozen=True)
class Theme:
    """A theme folder (holding templates/ and static/) and where it was found."""

    name: str
    path: Path
    #: "site", "installed" (with the package's name and version) or "ssg".
    origin: str
    #: The theme it extends, if any.
    extends: str | None = None
    description: str = ""


def is_theme(folder: Path) -> bool:
    """A folder is a theme when it has templates/ or a theme.toml."""
    return (folder / "templates").is_dir() or (folder / THEME_FILE).is_file()


def find_theme(site_dir: Path, name: str) -> Theme | None:
    """A theme by name: the site's themes/, then installed packages, then ssg's own."""
    candidate = site_dir / "themes" / name
    if is_theme(candidate):
        return _described(name, candidate, "site")
    entry = installed_themes().get(name)
    if entry is not None:
        return _described(name, entry_folder(entry), _package(entry))
    for root in _OWN_ROOTS:
        if is_theme(root / name):
            return _described(name, root / name, "ssg")
    return None


def theme_chain(site_dir: Path, name: str) -> tuple[Theme, ...]:
    """The theme and those it extends, the theme itself first; errors name theme.toml."""
    chain: list[Theme] = []
    wanted, by = name, None
    while True:
        theme = find_theme(site_dir, wanted)
        if theme is None:
            if by is None:
                raise ConfigError(f"theme '{wanted}' not found (looked in themes/{wanted}/, "
                                  f"installed packages' '{ENTRY_POINTS}' entry points and "
                                  "ssg's own themes)")
            raise ConfigError(f"extends '{wanted}', a theme that is not found",
                              path=by.path / THEME_FILE)
        if any(t.path == theme.path for t in chain):
            names = " -> ".join([*(t.name for t in chain), theme.name])
            raise ConfigError(f"themes extend each other in a circle: {names}",
                              path=chain[-1].path / THEME_FILE)
        chain.append(theme)
        if theme.extends is None:
            return tuple(chain)
        wanted, by = theme.extends, theme


def installed_themes() -> dict[str, importlib.metadata.EntryPoint]:
    """The themes installed packages offer, by name."""
    return entry_points(ENTRY_POINTS)


def entry_folder(entry: importlib.metadata.EntryPoint) -> Path:
    """The folder an entry point names: a package's own folder, or a path it holds."""
    try:
        target = entry.load()
    except Exception as exc:
        raise ConfigError(f"theme '{entry.name}' of {_package(entry)} cannot be loaded: "
                          f"{type(exc).__name__}: {exc}") from exc
    if isinstance(target, types.ModuleType) and target.__file__:
        return Path(target.__file__).resolve().parent
    if isinstance(target, str | Path):
        return Path(target).resolve()
    raise ConfigError(f"theme '{entry.name}' of {_package(entry)}: the entry point must name a "
                      f"package (its folder is the theme) or a path, not {type(target).__name__}")


def all_themes(site_dir: Path) -> list[Theme]:
    """Every theme a site can name, the one a name finds first (site, installed, ssg)."""
    found: dict[str, Theme] = {}
    folder = site_dir / "themes"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if is_theme(path):
                found.setdefault(path.name, _described(path.name, path, "site"))
    for name, entry in sorted(installed_themes().items()):
        if name not in found:
            try:
                found[name] = _described(name, entry_folder(entry), _package(entry))
            except ConfigError as exc:
                found[name] = Theme(name, Path(), _package(entry), description=exc.message)
    for root in _OWN_ROOTS:
        if root.is_dir():
            for path in sorted(root.iterdir()):
                if is_theme(path):
                    found.setdefault(path.name, _described(path.name, path, "ssg"))
    return list(found.values())


def _package(entry: importlib.metadata.EntryPoint) -> str:
    dist = entry.dist
    return f"installed: {dist.name} {dist.version}" if dist is not None else "installed"


def _described(name: str, path: Path, origin: str) -> Theme:
    """The theme with what its theme.toml says."""
    file = path / THEME_FILE
    if not file.is_file():
        return Theme(name, path, origin)
    try:
        raw = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the theme's settings: {exc}", path=file) from exc
    for key in raw:
        if key not in _THEME_KEYS:
            raise ConfigError(f"unknown key '{key}' (known: {', '.join(_THEME_KEYS)})",
                              path=file)
    extends = raw.get("extends")
    if extends is not None and (not isinstance(extends, str) or not extends):
        raise ConfigError(f"extends must be a theme's name, not {extends!r}", path=file)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ConfigError("description must be a string", path=file)
    return Theme(name, path, origin, extends, description)
