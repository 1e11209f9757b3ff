"""The package's layers point one way: a module imports only its own layer and those below it.

    foundation (errors, utils, config, parallel, plugins, theme_finder)  <-  stages  <-  output
        <-  incremental  <-  build  <-  serve, tools  <-  cli

and the dev server knows no reuse internals: it talks to the build through `ssg.build` only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ssg"

#: Layer of each module prefix, lowest first; a longer prefix wins.
LAYERS = {
    "ssg": 0, "ssg.errors": 0, "ssg.utils": 0, "ssg.config": 0, "ssg.parallel": 0,
    "ssg.plugins": 0, "ssg.theme_finder": 0,
    "ssg.stages": 1,
    "ssg.output": 2,
    "ssg.incremental": 3,
    "ssg.build": 4,
    "ssg.serve": 5, "ssg.tools": 5,
    "ssg.cli": 6, "ssg.__main__": 6,
}
#: Imports refused whatever the layers say: (importing prefix, imported prefix).
FORBIDDEN = [("ssg.serve", "ssg.incremental"), ("ssg.serve", "ssg.tools"),
             ("ssg.tools", "ssg.serve"), ("ssg.tools", "ssg.incremental")]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every ssg module that `path` imports, at any depth of the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if within(a.name, "ssg")]
        elif isinstance(node, ast.ImportFrom) and node.module and within(node.module, "ssg"):
            found.append((node.lineno, node.module))
            # `from ssg.stages import search` imports the module ssg.stages.search
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names
                      if (PACKAGE.parent / f"{node.module}.{a.name}".replace(".", "/")
                          ).with_suffix(".py").exists()]
    return found


def violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        for line, target in imports(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {target}"
            if layer(target) > layer(here):
                problems.append(f"{where} (a higher layer)")
            problems += [f"{where} (forbidden)" for a, b in FORBIDDEN
                         if within(here, a) and within(target, b)]
    return problems


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert any(within(module_name(path), p) for p in LAYERS), path


def test_layers_point_one_way() -> None:
    assert violations() == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from ssg.build import build\n", "higher layer"),
    ("from ssg.serve import server\n", "higher layer"),
    ("import ssg.incremental.state\n", "higher layer"),
])
def test_a_stage_importing_upwards_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             source: str, expected: str) -> None:
    """The check itself works: a stage that imports the build, the server or the cache fails."""
    fake = tmp_path / "ssg"
    for path in PACKAGE.rglob("*.py"):
        target = fake / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    (fake / "stages" / "intruder.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    assert any("ssg.stages.intruder" in p and expected in p for p in violations())
