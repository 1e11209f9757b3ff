"""What the command line says and where: template mistakes, a missing site, counts, streams."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import Site
from ssg.cli import main
from ssg.errors import TemplateError

PAGE = "---\ntitle: A\n---\nText.\n"


def test_undefined_attribute_names_template_line_and_nearest_name(
    make_site: Callable[..., Site]
) -> None:
    site = make_site({
        "content/a.md": PAGE,
        "templates/page.html": '{% extends "base.html" %}\n{% block content %}\n'
                               "<h1>{{ page.titel }}</h1>\n{% endblock %}\n",
    }, build=False)
    with pytest.raises(TemplateError) as info:
        site.build()
    assert str(info.value) == ("templates/page.html:3: page has no attribute 'titel'; "
                               "did you mean 'title'? (while rendering content/a.md)")
    result = CliRunner().invoke(main, ["build", str(site.root)])
    assert result.exit_code == 1
    assert "error: templates/page.html:3: page has no attribute 'titel'; did you mean " \
           "'title'?" in result.stderr
    assert "PageView" not in result.output


@pytest.mark.parametrize(("expression", "message"), [
    ("paginator.nmber", "paginator has no attribute 'nmber'; did you mean 'number'?"),
    ("site.titel", "site has no attribute 'titel'; did you mean 'title'?"),
    ("section.pagse", "section has no attribute 'pagse'; did you mean 'pages'?"),
    ("site.data.autors", "data has no attribute 'autors'; did you mean 'authors'?"),
    ("paginator.zzzzzz", "paginator has no attribute 'zzzzzz' (while"),
])
def test_undefined_attribute_of_each_view(make_site: Callable[..., Site], expression: str,
                                          message: str) -> None:
    site = make_site({
        "content/a.md": PAGE,
        "data/authors.toml": 'name = "x"\n',
        "templates/index.html": f"<p>\n{{{{ {expression} }}}}</p>\n",
    }, build=False)
    with pytest.raises(TemplateError) as info:
        site.build()
    assert str(info.value).startswith(f"templates/index.html:2: {message}")


def test_build_of_a_missing_folder_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = CliRunner().invoke(main, ["build", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"error: no site at {missing}: the folder does not exist\n"
    assert result.stdout == ""


def test_a_failed_first_build_says_nothing_was_written(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "---\ntitle: [x\n---\n"}, build=False)
    result = CliRunner().invoke(main, ["build", str(site.root)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Nothing was written."
    site.write({"content/a.md": PAGE})
    assert CliRunner().invoke(main, ["build", str(site.root)]).exit_code == 0
    site.write({"content/a.md": "---\ntitle: [x\n---\n"})
    result = CliRunner().invoke(main, ["build", str(site.root)])
    assert result.stderr.splitlines()[-1] == "The previous output is unchanged."


def test_counts_are_singular_for_one(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": PAGE}, build=False)
    result = CliRunner().invoke(main, ["build", str(site.root)])
    assert result.stdout.startswith("Built 1 page (") and "1 pages" not in result.stdout
    again = CliRunner().invoke(main, ["build", str(site.root)])
    assert again.stdout.startswith("Built 1 page in ")
    checked = CliRunner().invoke(main, ["check", str(site.root)])
    assert checked.exit_code == 0, checked.output
    assert not re.search(r"\b1 (pages|links)\b", checked.stdout), checked.stdout


def test_check_summary_counts() -> None:
    from ssg.tools.check import Problem, Report

    one = Report(pages=1, links=1, fragments=1, assets=1, external=1,
                 problems=[Problem("a", "b", "c")])
    assert one.summary() == ("Checked 1 HTML file: 1 link, 1 fragment, 1 image or asset, "
                             "1 external link: 1 problem.")
    two = Report(pages=2, links=2, fragments=0, assets=2)
    assert two.summary() == ("Checked 2 HTML files: 2 links, 0 fragments, 2 images and "
                             "assets: no problems.")


def test_results_on_stdout_warnings_and_errors_on_stderr(make_site: Callable[..., Site]
                                                          ) -> None:
    site = make_site({"content/a.md": PAGE + "\n[x](gone.md)\n"}, build=False)
    result = subprocess.run([sys.executable, "-m", "ssg", "build", str(site.root)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 1 page (") and result.stdout.count("\n") == 1
    assert result.stderr == "warning: content/a.md:6: link to missing page 'gone.md'\n"
    checked = subprocess.run([sys.executable, "-m", "ssg", "check", str(site.root)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[-1].startswith("Checked ")
    assert "content/a.md -> gone.md" in checked.stdout  # check's findings are its result
    assert checked.stderr == ""
    failed = subprocess.run([sys.executable, "-m", "ssg", "build", str(site.root), "--strict"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("error: content/a.md:6: link to missing page 'gone.md'\n")
