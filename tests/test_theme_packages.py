"""Themes as packages: found by name through the `ssg.themes` entry points of a package that
pip really installed, extending another theme file by file; `ssg theme list`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import Site, write_files
from ssg.build import BuildOptions, build
from ssg.cli import main
from ssg.config import load_config
from ssg.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

#: A theme package, as its author would publish it: a theme extending ssg's default and a
#: plugin, both named by entry points.
PACKAGE: dict[str, str | bytes] = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "ssg-theme-paper"
        version = "1.2"

        [project.entry-points."ssg.themes"]
        paper = "ssg_theme_paper"

        [project.entry-points."ssg.plugins"]
        paper-stamp = "ssg_theme_paper.stamp"

        [tool.hatch.build.targets.wheel]
        packages = ["ssg_theme_paper"]
    """,
    "ssg_theme_paper/__init__.py": '"""The paper theme for ssg."""\n',
    "ssg_theme_paper/theme.toml": 'extends = "default"\ndescription = "Like paper"\n',
    "ssg_theme_paper/templates/page.html": """
        {% extends "base.html" %}
        {% block content %}<article class="paper">{{ page.content }}</article>{% endblock %}
    """,
    "ssg_theme_paper/static/css/paper.css": "article.paper { color: sepia; }\n",
    "ssg_theme_paper/stamp.py": """
        from ssg.plugins import Reads, hookimpl


        @hookimpl
        def reads(options):
            return Reads()


        @hookimpl
        def page_html(html, options):
            return html + f"<p>{options.get('stamp', 'stamped')}</p>"
    """,
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built (by hatchling, through pip) and installed into a folder of its own."""
    root = tmp_path_factory.mktemp("paper")
    write_files(root / "project", PACKAGE)
    target = root / "target"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "--target", str(target),
         str(root / "project")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (target / "ssg_theme_paper" / "templates" / "page.html").is_file()
    return target


@pytest.fixture
def on_path(installed: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed package importable (and its entry points visible) in this process."""
    monkeypatch.syspath_prepend(str(installed))
    return installed


def test_an_installed_theme_is_found_by_name_and_extends_default(
        on_path: Path, make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'theme = "paper"\n', "content/a.md": "Hello.\n"})
    page = site.read("a/index.html")
    assert '<article class="paper"><p>Hello.</p></article>' in page  # the package's page.html
    assert "<footer" in page  # base.html of the default theme it extends
    assert site.read("css/paper.css") == "article.paper { color: sepia; }\n"
    assert site.exists("css/style.css")  # static files of the default theme too
    assert site.result is not None
    assert site.result.origins["css/paper.css"] == "theme static/css/paper.css"
    assert site.result.origins["css/style.css"] == "theme static (default)/css/style.css"
    config = load_config(site.root)
    assert config.theme_dir == on_path / "ssg_theme_paper"


def test_the_site_overrides_an_installed_theme_file_by_file(
        on_path: Path, make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'theme = "paper"\n', "content/a.md": "Hello.\n",
                      "static/css/paper.css": "mine\n"})
    assert site.read("css/paper.css") == "mine\n"
    assert '<article class="paper">' in site.read("a/index.html")


def test_an_installed_plugin_runs_with_its_options(on_path: Path,
                                                   make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": '[plugins.paper-stamp]\nstamp = "by paper"\n',
                      "content/a.md": "Hello.\n"})
    assert "<p>Hello.</p><p>by paper</p>" in site.read("a/index.html")
    spec = load_config(site.root).plugins.spec("paper-stamp")
    assert spec.kind == "installed" and spec.label == "package ssg-theme-paper 1.2"


def test_theme_list_shows_installed_themes(on_path: Path, tmp_path: Path) -> None:
    write_files(tmp_path, {"themes/mine/theme.toml": 'extends = "paper"\n'})
    result = CliRunner().invoke(main, ["theme", "list", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("mine ") and "(site, extends paper)" in line for line in lines)
    assert any(line.startswith("paper ") and "(installed: ssg-theme-paper 1.2, extends "
               "default)" in line and "Like paper" in line for line in lines)
    assert any(line.startswith("default ") for line in lines)


def test_theme_list_as_a_command(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(REPO)])}
    done = subprocess.run([sys.executable, "-m", "ssg", "theme", "list", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "paper" in done.stdout and "installed: ssg-theme-paper 1.2" in done.stdout


# --- themes extending themes -----------------------------------------------------------------

CHAIN: dict[str, str | bytes] = {
    "ssg.toml": 'theme = "child"\n',
    "themes/child/theme.toml": 'extends = "middle"\n',
    "themes/child/templates/page.html": textwrap.dedent("""\
        {% extends "base.html" %}{% block content %}child:{{ page.content }}{% endblock %}"""),
    "themes/middle/theme.toml": 'extends = "default"\n',
    "themes/middle/templates/page.html": "middle",
    "themes/middle/templates/section.html": "middle section",
    "themes/middle/static/a.css": "middle a",
    "themes/middle/static/b.css": "middle b",
    "content/a.md": "A\n",
    "content/s/_index.md": "S\n",
}


def test_a_theme_chain_overrides_file_by_file(make_site: Callable[..., Site],
                                             tmp_path: Path) -> None:
    site = make_site(CHAIN)
    assert "child:<p>A</p>" in site.read("a/index.html")  # child's page.html, default's base
    assert site.read("s/index.html") == "middle section"
    assert site.read("b.css") == "middle b"

    site.write({"themes/child/static/a.css": "child a"})  # comes to shadow the middle's
    site.build()
    assert site.read("a.css") == "child a"
    clean = load_config(site.root, output_dir=tmp_path / "clean")
    build(clean, BuildOptions(cache=False))
    assert site.tree() == {p.relative_to(clean.output_dir).as_posix(): p.read_bytes()
                           for p in sorted(clean.output_dir.rglob("*")) if p.is_file()}


def test_a_theme_extending_a_missing_theme_names_its_theme_toml(
        make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'theme = "child"\n',
                      "themes/child/theme.toml": 'extends = "gone"\n'}, build=False)
    with pytest.raises(ConfigError) as info:
        load_config(site.root)
    assert str(info.value) == (f"{site.root / 'themes/child/theme.toml'}: extends 'gone', "
                               "a theme that is not found")


def test_themes_extending_each_other_in_a_circle_are_an_error(
        make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'theme = "a"\n', "themes/a/theme.toml": 'extends = "b"\n',
                      "themes/b/theme.toml": 'extends = "a"\n'}, build=False)
    with pytest.raises(ConfigError, match=r"themes extend each other in a circle: a -> b -> a"):
        load_config(site.root)


def test_a_theme_toml_with_an_unknown_key_is_an_error(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'theme = "a"\n', "themes/a/theme.toml": 'extend = "b"\n'},
                     build=False)
    with pytest.raises(ConfigError, match=r"a/theme.toml: unknown key 'extend'"):
        load_config(site.root)


def test_the_packaged_default_theme_is_still_found_without_the_checkout(tmp_path: Path) -> None:
    """A theme package's folder layout is what ssg's own wheel ships: templates/, static/."""
    assert shutil.which(sys.executable)
    config = load_config(tmp_path)
    assert (config.theme_dir / "templates" / "base.html").is_file()
