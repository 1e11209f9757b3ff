"""The command line, in process (CliRunner) and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import Site
from ssg import __version__
from ssg.cli import TerminalProgress, main

REPO = Path(__file__).resolve().parent.parent


def test_build_command_writes_output_and_closing_line(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "x\n", "content/b.md": "y\n"}, build=False)
    out = site.root / "public"
    result = CliRunner().invoke(main, ["build", str(site.root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Built 2 pages" in result.output and " s" in result.output
    assert (out / "a/index.html").exists()


def test_build_options(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/d.md": "---\ndraft: true\n---\n[x](gone.md)\n"}, build=False)
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(site.root), "--drafts", "--quiet",
                                  "--base-url", "https://e.org/sub/"])
    assert result.exit_code == 0, result.output
    assert "Built" not in result.output
    assert "https://e.org/sub/d/" in (site.out / "sitemap.xml").read_text()
    strict = runner.invoke(main, ["build", str(site.root), "--drafts", "--strict"])
    assert strict.exit_code == 1
    assert "content/d.md:4: link to missing page 'gone.md'" in strict.output


def test_build_error_exit_1_one_line_and_traceback_only_verbose(
    make_site: Callable[..., Site]
) -> None:
    site = make_site({"content/a.md": "---\ntitle: [x\n---\n"}, build=False)
    result = CliRunner().invoke(main, ["build", str(site.root)])
    assert result.exit_code == 1
    assert "error: content/a.md:" in result.output
    assert "Traceback" not in result.output
    verbose = CliRunner().invoke(main, ["build", str(site.root), "--verbose"])
    assert verbose.exit_code == 1 and "Traceback" in verbose.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--no-such-flag"]).exit_code == 2
    assert runner.invoke(main, ["frobnicate"]).exit_code == 2
    assert runner.invoke(main, ["build", str(tmp_path), "-q", "-v"]).exit_code == 2


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_python_m_ssg_builds_the_repo_docs(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    proc = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(REPO), "-o", str(out), "--strict",
         "--no-cache"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr, proc.stderr
    assert (out / "index.html").exists()
    assert (out / "docs/configuration/index.html").exists()


def test_progress_line_only_on_a_terminal_after_a_second(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress = TerminalProgress(enabled=True)
    progress("Rendering pages", 10, 100)
    assert not progress.shown  # under a second: nothing
    progress.start -= 2
    progress("Rendering pages", 50, 100)
    progress.finish()
    err = capsys.readouterr().err
    assert "Rendering pages" in err and "50/100" in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    quiet = TerminalProgress(enabled=True)
    quiet.start -= 2
    quiet("Rendering pages", 50, 100)
    assert not quiet.shown
