"""Shared fixtures: write a small site from a {path: text} dict, build it, read its output."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssg.build import BuildResult, build
from ssg.config import load_config


@dataclass
class Site:
    """A site written by a test and (maybe) built."""

    root: Path
    result: BuildResult | None = None

    @property
    def out(self) -> Path:
        return self.root / "output"

    def read(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")

    def exists(self, rel: str) -> bool:
        return (self.out / rel).exists()

    def write(self, files: dict[str, str | bytes]) -> None:
        write_files(self.root, files)

    def build(self, **kwargs: object) -> BuildResult:
        base_url = kwargs.pop("base_url", None)
        config = load_config(self.root, base_url=base_url)  # type: ignore[arg-type]
        self.result = build(config, **kwargs)  # type: ignore[arg-type]
        return self.result

    def tree(self) -> dict[str, bytes]:
        return {p.relative_to(self.out).as_posix(): p.read_bytes()
                for p in sorted(self.out.rglob("*")) if p.is_file()}


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write files under root; text is dedented so tests can indent it."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Site]:
    """Write a site and build it: make_site({"content/a.md": "..."}, drafts=True)."""

    def make(files: dict[str, str | bytes], *, build: bool = True, **kwargs: object) -> Site:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        write_files(root, files)
        site = Site(root)
        if build:
            site.build(**kwargs)
        return site

    return make


@pytest.fixture
def ssg_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captured ssg warnings (the CLI turns logger propagation off; tests keep it on)."""
    logger = logging.getLogger("ssg")
    logger.propagate = True
    logger.handlers.clear()
    caplog.set_level(logging.INFO, logger="ssg")
    return caplog
