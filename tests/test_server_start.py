"""`ssg serve` start-up: it answers at once, from a site built before or with a page saying the
site is being built, and never with a half-built site.

A real server in a subprocess on a loopback port (test_server's `Served`). The server's own
build is made slow with a template that loops only when the site's links point at the server
(`ssg build` renders it quickly), so that what answers before that build is done can be seen.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from test_server import REPO, TIMEOUT, Served, wait_until, write_files

#: Seconds of template work for each page the server renders (not `ssg build`).
SLOW = "{% if '127.0.0.1' in site.base_url %}{% for i in range(3000000) %}{% endfor %}{% endif %}"
BASE = ("<!DOCTYPE html>\n<html><head><title>{% block title %}{% endblock %}</title></head>\n"
        '<body data-base="{{ site.base_url }}">' + SLOW
        + "{% block content %}{% endblock %}</body>\n</html>\n")
SITE = {
    "ssg.toml": 'title = "Start"\nbase_url = "https://example.org/"\nsearch = false\n',
    "templates/base.html": BASE,
    "content/one.md": "---\ntitle: One\n---\nFirst page.\n",
    "content/two.md": "---\ntitle: Two\n---\nSecond page.\n",
}
_CLIENT = re.compile(r'<script id="ssg-livereload".*?</script>', re.DOTALL)


def without_client(page: str) -> str:
    """The page as built: the script the server injects taken out."""
    return _CLIENT.sub("", page, count=1)


def build(site: Path) -> None:
    subprocess.run([sys.executable, "-m", "ssg", "build", str(site)], check=True, cwd=REPO,
                   env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True)


def start(site: Path, tmp: Path) -> Served:
    tmp.mkdir()
    return Served(site, ["--port", "0"], tmp).started(built=False)


def test_serve_after_build_answers_from_the_built_site_before_its_own_build(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_files(site, SITE)
    build(site)
    built = {path: (site / "output" / path).read_text(encoding="utf-8")
             for path in ("index.html", "one/index.html")}
    served = start(site, tmp_path / "tmp")
    try:
        status, _headers, home = served.get("/")
        status_one, _headers, one = served.get("/one/")
        building = served.count(r"Built .* pages")
        assert building == 0, f"the server's own build was done first:\n{served.output}"
        assert (status, status_one) == (200, 200)
        assert without_client(home) == built["index.html"]
        assert without_client(one) == built["one/index.html"]
        assert 'id="ssg-livereload"' in home  # served live: it reloads when the build is done

        # Then the server's own build (links to the server) replaces it, whole.
        served.wait_for_line(r"Built .* pages", timeout=180)
        wait_until(lambda: f'data-base="{served.url}"' in served.get("/")[2], "the new build")
        assert (site / "output/index.html").read_text(encoding="utf-8") == built["index.html"]
    finally:
        assert served.stop() == 0


def test_serve_with_nothing_built_answers_at_once_and_never_half_a_site(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_files(site, SITE)
    started = time.monotonic()
    served = start(site, tmp_path / "tmp")
    try:
        seen: set[int] = set()
        status, headers, page = served.get("/one/")
        assert time.monotonic() - started < TIMEOUT
        assert served.count(r"Built .* pages") == 0, served.output
        assert status == 503 and headers.get("retry-after") == "2"
        assert 'id="ssg-building"' in page and 'id="ssg-livereload"' in page
        # Until the build is done, every path answers that page; then the whole site.
        deadline = time.monotonic() + 180
        while status == 503:
            assert time.monotonic() < deadline, served.output
            assert served.proc.poll() is None, served.output
            time.sleep(0.05)
            status, _headers, page = served.get("/two/")
            seen.add(status)
        assert seen <= {200, 503}, seen
        assert status == 200 and "Second page." in page
        assert 'id="ssg-building"' not in page
        served.wait_for_line(r"Built .* pages")  # its own build, whole
    finally:
        assert served.stop() == 0
