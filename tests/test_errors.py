"""Bad input gets one clear line naming the file (and line), and the output stays as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Site, error_after_good_build

GOOD = {"content/ok.md": "---\ntitle: OK\n---\nfine\n"}


def _error_after_good_build(make_site: Callable[..., Site],
                            files: dict[str, str | bytes]) -> str:
    return error_after_good_build(make_site, GOOD, files)


@pytest.mark.parametrize(("files", "expected"), [
    ({"content/posts/x.md": "---\ntitle: ok\ndate: 2024-01-01\ntags: [a, b\n---\n"},
     "content/posts/x.md:5: invalid YAML front matter"),
    ({"content/t.md": "+++\ntitle = \"ok\"\nweight = = 3\n+++\n"},
     "content/t.md:3: invalid TOML front matter"),
    ({"content/u.md": "---\ntitle: never closed\n"},
     "content/u.md:1: front matter opened with '---' is never closed"),
    ({"content/l.md": "---\n- a\n- b\n---\n"},
     "content/l.md:2: front matter must be a mapping"),
    ({"content/w.md": "---\ntitle: x\ntags: 5\n---\n"}, "content/w.md:3: 'tags' must be a list"),
    ({"content/w.md": "---\ndate: yesterday\n---\n"}, "content/w.md:2: 'date' must be a date"),
    ({"content/w.md": "---\ndraft: \"no\"\n---\n"},
     "content/w.md:2: 'draft' must be true or false"),
    ({"content/latin.md": "caf\xe9\n".encode("latin-1")}, "content/latin.md:1: not UTF-8"),
    ({"ssg.toml": "title = \n"}, "ssg.toml:1: invalid TOML"),
    ({"ssg.toml": 'theme = "nope"\n'}, "theme 'nope' not found"),
    ({"templates/page.html": "{% if %}\n"}, "templates/page.html:1: template syntax error"),
    ({"templates/page.html": "line\n{{ page.nothing_here.deeper }}\n"},
     "templates/page.html:2: page has no attribute 'nothing_here' (while"),
    ({"content/ok.md": "---\ntemplate: missing.html\n---\n"},
     "content/ok.md: template 'missing.html' not found"),
    ({"templates/page.html": '{% include "page.html" %}'}, "recursive include"),
])
def test_bad_input_is_reported_with_file_and_line(
    make_site: Callable[..., Site], files: dict[str, str | bytes], expected: str
) -> None:
    assert expected in _error_after_good_build(make_site, files)


def test_template_runtime_error_names_page_and_template(make_site: Callable[..., Site]) -> None:
    message = _error_after_good_build(make_site, {
        "templates/page.html": "ok\n{{ 1 // 0 }}\n",
    })
    assert "templates/page.html:2" in message
    assert "ZeroDivisionError" in message and "content/ok.md" in message


def test_all_config_errors_are_reported_together(make_site: Callable[..., Site]) -> None:
    message = _error_after_good_build(make_site, {
        "ssg.toml": 'paginate = "ten"\nfeed_limit = 0\nbase_url = "example.org"\n',
    })
    assert "'paginate' must be a whole number" in message
    assert "'feed_limit' must be at least 1" in message
    assert "'base_url' must be an http(s) URL" in message


def test_every_broken_page_is_reported(make_site: Callable[..., Site]) -> None:
    message = _error_after_good_build(make_site, {
        "content/a.md": "---\ndate: nope\n---\n",
        "content/b.md": "---\nweight: heavy\n---\n",
    })
    assert "content/a.md:2" in message and "content/b.md:2" in message


def test_unknown_config_key_warns_with_suggestion(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture
) -> None:
    make_site({"ssg.toml": 'titel = "x"\n', **GOOD})
    assert "ssg.toml: unknown key 'titel' (did you mean 'title'?)" in ssg_log.text


def test_unknown_front_matter_key_warns(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture
) -> None:
    make_site({"content/a.md": "---\ntitle: a\ntagz: [x]\n---\n"})
    assert "content/a.md:3: unknown front matter key 'tagz' (did you mean 'tags'?)" in ssg_log.text
