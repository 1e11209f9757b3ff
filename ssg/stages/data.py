"""Data files: `data/*.toml|yaml|json` for templates, as `site.data.NAME`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from ssg.config import Config, read_toml
from ssg.errors import ContentError, SsgError, raise_all
from ssg.stages.parse import MAX_NESTING, nesting, parse_yaml

DATA_DIR = "data"
_SUFFIXES = (".toml", ".yaml", ".yml", ".json")


def load_data(config: Config) -> dict[str, Any]:
    """Every data file by name; a folder becomes a nested table (`data/authors/ada.yaml` is
    `site.data.authors.ada`). Every broken file is reported with its line."""
    root = config.site_dir / DATA_DIR
    data: dict[str, Any] = {}
    if not root.is_dir():
        return data
    errors: list[SsgError] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.suffix not in _SUFFIXES or name.startswith("."):
                continue
            rel = path.relative_to(config.site_dir).as_posix()
            try:
                value = _parse(path, rel)
            except SsgError as exc:
                errors.append(exc)
                continue
            table = data
            for folder in path.relative_to(root).parent.parts:
                table = table.setdefault(folder, {})
                if not isinstance(table, dict):
                    errors.append(ContentError(f"'{folder}' is both a file and a folder",
                                               path=rel))
                    break
            else:
                if path.stem in table:
                    errors.append(ContentError(f"two data files are named '{path.stem}'",
                                               path=rel))
                table[path.stem] = value
    raise_all(errors)
    return data


def _parse(path: Path, rel: str) -> Any:
    try:
        value = _load(path, rel)
    except RecursionError:
        value = None
    else:
        if nesting(value) <= MAX_NESTING:
            return value
    raise ContentError(f"nested more than {MAX_NESTING} levels deep", path=rel)


def _load(path: Path, rel: str) -> Any:
    if path.suffix == ".toml":
        try:
            return read_toml(path)
        except SsgError as exc:
            raise ContentError(exc.message, path=rel, line=exc.line) from exc
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError("not UTF-8 text; save the file as UTF-8", path=rel) from exc
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", path=rel) from exc
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContentError(f"invalid JSON: {exc.msg}", path=rel, line=exc.lineno) from exc
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(f"invalid YAML: {problem}", path=rel,
                           line=mark.line + 1 if mark is not None else None) from exc
