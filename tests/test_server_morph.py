"""`ssg serve` updates an open page in place: a real server on a loopback port, headless Chromium.

After a save that changes the page's body only, the client fetches the page again and morphs
it into the open one: the page's scripts keep their state (a variable set on window survives),
the scroll position, an open <details> and the focused field stay. A change of the head or of a
script reloads the page in full; a stylesheet is still swapped in place; the morphing library
comes from the package, not from the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_server import TIMEOUT, Served, serving

from ssg.serve.http import IDIOMORPH_VERSION, LIBRARY_FILE, LIBRARY_PATH

WAIT_MS = int(TIMEOUT * 1000)

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title>
<meta name="description" content="{{ page.summary | striptags | trim }}">
<link rel="stylesheet" href="/css/style.css"></head>
<body>
<details id="more"><summary>More</summary><p>Hidden until opened.</p></details>
<input id="field" value="">
<div style="height: 3000px">above</div>
<main>{{ page.content }}</main>
<div style="height: 3000px">below</div>
<script src="/js/app.js"></script>
</body></html>
"""

SITE = {
    "ssg.toml": 'title = "Morph"\n',
    "templates/page.html": PAGE,
    "content/a.md": "---\ntitle: Page A\n---\nFirst text.\n",
    "static/css/style.css": "body { color: rgb(0, 0, 0); }\n",
    "static/js/app.js": "window.appLoads = (window.appLoads || 0) + 1;\n",
}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ssg serve` on a test site: serve(files, *args)."""
    yield from serving(tmp_path)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own context) that may only reach the loopback server."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    tab = context.new_page()
    tab.requests = requests
    yield tab
    context.close()


def open_live(page: Any, served: Served, path: str) -> None:
    """Open a page and wait until the client is connected and ready to morph."""
    page.goto(served.url.rstrip("/") + path)
    wait_ready(page)


def wait_ready(page: Any) -> None:
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                           " && window.LiveReload.connector.protocol >= 7"
                           " && window.Idiomorph && window.LiveReload.hasPlugin('ssg-morph')")
    time.sleep(0.3)  # the page's `info` message registers it with the server


def shows(page: Any, text: str) -> None:
    page.wait_for_function("t => document.body && document.body.innerText.includes(t)",
                           arg=text)


def edit(served: Served, text: str) -> None:
    (served.site / "content/a.md").write_text(f"---\ntitle: Page A\n---\n{text}\n")


def test_body_edit_is_morphed_in_place_keeping_the_readers_place(
        serve: Callable[..., Served], page: Any) -> None:
    served = serve(SITE)
    open_live(page, served, "/a/")
    page.evaluate("window.__marker = 1")
    page.click("#more summary")
    page.fill("#field", "typed")
    page.evaluate("window.scrollTo(0, 2500)")
    assert page.evaluate("document.getElementById('more').open")
    page.focus("#field")
    page.evaluate("window.scrollTo(0, 2500)")  # focusing scrolled the field into view
    page.evaluate("window.__updated = 0;"
                  " document.addEventListener('ssg:updated', () => window.__updated++)")
    edit(served, "Second text.")
    shows(page, "Second text.")
    assert "First text." not in page.inner_text("main")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    assert page.evaluate("window.appLoads") == 1, "the page's script ran again"
    assert page.evaluate("window.__updated") == 1
    assert page.evaluate("window.scrollY") == 2500
    assert page.evaluate("document.getElementById('more').open"), "<details> closed"
    assert page.evaluate("document.activeElement && document.activeElement.id") == "field"
    assert page.input_value("#field") == "typed"
    # The description, made from the body, changed with it: updated, not reloaded.
    description = "document.querySelector('meta[name=description]').content"
    assert page.evaluate(description) == "Second text."

    edit(served, "Third text.")  # and again: the second update is morphed too
    shows(page, "Third text.")
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("window.__updated") == 2


def test_head_change_reloads_the_page(serve: Callable[..., Served], page: Any) -> None:
    served = serve(SITE)
    open_live(page, served, "/a/")
    page.evaluate("window.__marker = 1")
    (served.site / "content/a.md").write_text("---\ntitle: Renamed\n---\nFirst text.\n")
    page.wait_for_function("() => document.title === 'Renamed'")
    assert page.evaluate("window.__marker") is None, "a head change was morphed"


def test_script_change_reloads_the_page(serve: Callable[..., Served], page: Any) -> None:
    served = serve(SITE)
    open_live(page, served, "/a/")
    page.evaluate("window.__marker = 1")
    template = served.site / "templates/page.html"
    template.write_text(PAGE.replace('<script src="/js/app.js"></script>',
                                     '<script src="/js/app.js"></script>'
                                     "<script>window.inline = 'new';</script>"))
    page.wait_for_function("() => window.inline === 'new'")
    assert page.evaluate("window.__marker") is None, "a script change was morphed"
    wait_ready(page)
    # A changed script file (not the page) reloads as well: it must run again.
    page.evaluate("window.__marker = 1")
    (served.site / "static/js/app.js").write_text("window.appLoads = 100;\n")
    page.wait_for_function("() => window.appLoads === 100")
    assert page.evaluate("window.__marker") is None


def test_css_edit_still_swaps_in_place(serve: Callable[..., Served], page: Any) -> None:
    served = serve(SITE)
    open_live(page, served, "/a/")
    page.evaluate("window.__marker = 1; window.scrollTo(0, 1200)")
    color = "() => getComputedStyle(document.body).color"
    assert page.evaluate(color) == "rgb(0, 0, 0)"
    (served.site / "static/css/style.css").write_text("body { color: rgb(255, 0, 0); }\n")
    page.wait_for_function(f"() => ({color})() === 'rgb(255, 0, 0)'")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    assert page.evaluate("window.scrollY") == 1200


def test_a_response_that_is_not_a_whole_page_is_not_morphed(
        serve: Callable[..., Served], page: Any) -> None:
    served = serve(SITE)
    open_live(page, served, "/a/")
    page.evaluate("window.__marker = 1")
    # The next fetch of the page is cut short: the client must reload, not morph half a page.
    cut: list[str] = []

    def truncated(route: Any) -> None:
        if route.request.resource_type == "fetch" and not cut:
            response = route.fetch()
            body = response.body()
            cut.append(route.request.url)
            route.fulfill(response=response, body=body[: len(body) // 2])
        else:
            route.continue_()

    page.route("**/a/", truncated)
    edit(served, "Whole text.")
    page.wait_for_function("() => window.__marker === undefined")
    assert cut, "the client did not fetch the page"
    shows(page, "Whole text.")


def test_the_library_is_served_from_the_package(serve: Callable[..., Served],
                                                page: Any) -> None:
    served = serve(SITE)
    status, headers, body = served.get(LIBRARY_PATH)
    assert status == 200 and headers["content-type"].startswith("application/javascript")
    assert body.encode() == LIBRARY_FILE.read_bytes()
    assert "Idiomorph" in body
    assert (LIBRARY_FILE.parent / "idiomorph.LICENSE").read_text().startswith("Zero-Clause BSD")
    assert IDIOMORPH_VERSION in (LIBRARY_FILE.parent / "README.md").read_text()
    open_live(page, served, "/a/")
    origin = served.url.rstrip("/")
    assert page.requests and all(url.startswith(origin) for url in page.requests), page.requests
    assert any(url.startswith(origin + "/__ssg/idiomorph.min.js") for url in page.requests)


# --- what the update waits for ------------------------------------------------------------------

def test_a_save_after_a_pause_is_handed_over_once_closed_a_burst_waits(tmp_path: Path) -> None:
    from ssg.serve.watch import IDLE, Watcher

    watcher = Watcher(lambda _path: True, quiet=4.0, max_wait=8.0)
    watcher.watch([tmp_path])
    watcher.start()
    try:
        time.sleep(IDLE + 0.1)
        start = time.monotonic()
        (tmp_path / "a.md").write_text("one")  # written and closed: the save is complete
        assert watcher.next_batch(timeout=10) == {tmp_path / "a.md"}
        assert time.monotonic() - start < 2.0, "a finished save waited for the quiet time"
        start = time.monotonic()
        (tmp_path / "b.md").write_text("two")  # right after a batch: part of a burst
        assert watcher.next_batch(timeout=10) == {tmp_path / "b.md"}
        assert time.monotonic() - start >= 4.0, "a burst was not given the quiet time"
    finally:
        watcher.stop()


def test_a_file_being_written_is_handed_over_once_closed(tmp_path: Path) -> None:
    import threading

    from ssg.serve.watch import Watcher

    watcher = Watcher(lambda _path: True, quiet=0.05, max_wait=10.0)
    watcher.watch([tmp_path])
    watcher.start()
    target = tmp_path / "base.html"
    try:
        handle = target.open("w")  # truncated, as an editor saving in place does
        handle.write("<html><head>")
        handle.flush()

        def finish() -> None:
            time.sleep(1.0)
            handle.write("</head><body>whole</body></html>")
            handle.close()
        writer = threading.Thread(target=finish)
        writer.start()
        assert watcher.next_batch(timeout=10) is not None
        assert target.read_text().endswith("</html>"), "handed over while half-written"
        writer.join()
    finally:
        watcher.stop()


def test_broken_links_are_still_reported_after_the_page_is_updated(
        serve: Callable[..., Served]) -> None:
    served = serve(SITE)
    edit(served, "See [the missing page](nowhere.md).")
    served.wait_for_line(r"content/a\.md.*link to missing page 'nowhere\.md'")
    status, _, body = served.get("/a/")
    assert status == 200 and "the missing page" in body
