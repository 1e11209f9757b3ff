"""`ssg serve` in a real headless Chromium: what an author sees while editing.

Each test opens a page, waits for LiveReload to connect, edits the site's files and waits for
the page to change by itself (the test never navigates). The browser is conftest's: outside CI
it skips when Chromium is missing; in CI (CI set) it fails instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_server import SITE, TIMEOUT, Served, serving

#: Milliseconds the browser waits for a change before the test fails.
WAIT_MS = int(TIMEOUT * 1000)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ssg serve` on a test site: serve(files, *args)."""
    yield from serving(tmp_path)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own context) per test."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def open_live(page: Any, served: Served, path: str) -> None:
    """Open a page of the server and wait until LiveReload has connected to it."""
    page.goto(served.url.rstrip("/") + path)
    wait_connected(page)


def visit(page: Any, url: str) -> Any:
    """page.goto, again when the page's own live reload (a rebuild's update arriving just
    then) aborted the navigation."""
    for attempt in range(3):
        try:
            return page.goto(url)
        except Exception as exc:  # playwright's Error
            if "ERR_ABORTED" not in str(exc) or attempt == 2:
                raise
            time.sleep(0.3)
    return None


def wait_connected(page: Any) -> None:
    """Wait until the page (after a reload, say) has LiveReload connected again."""
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                           " && window.LiveReload.connector.protocol >= 7")
    time.sleep(0.1)  # the page's `info` message registers it with the server


def shows(page: Any, text: str) -> None:
    """Wait until the page's text holds `text` (surviving reloads on the way)."""
    page.wait_for_function("t => document.body && document.body.innerText.includes(t)",
                           arg=text)


def test_edit_appears_without_navigating(serve: Callable[..., Served], page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/first/")
    source = served.site / "content/posts/first.md"
    source.write_text(SITE["content/posts/first.md"].replace("First body text.", "Edit one."))
    shows(page, "Edit one.")
    time.sleep(1.0)  # two saves a second apart: both reach the browser
    wait_connected(page)
    source.write_text(SITE["content/posts/first.md"].replace("First body text.", "Edit two."))
    shows(page, "Edit two.")


def test_second_save_within_a_second_also_arrives(serve: Callable[..., Served],
                                                  page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/first/")
    page.evaluate("window.__marker = 1")
    source = served.site / "content/posts/first.md"
    source.write_text(SITE["content/posts/first.md"].replace("First body text.", "Save A."))
    shows(page, "Save A.")
    source.write_text(SITE["content/posts/first.md"].replace("First body text.", "Save B."))
    shows(page, "Save B.")
    assert page.evaluate("window.__marker") == 1  # both were updates in place


def test_css_edit_is_applied_in_place(serve: Callable[..., Served], page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/first/")
    page.evaluate("window.__marker = 1; window.scrollTo(0, 0)")
    color = "() => getComputedStyle(document.body).color"
    assert page.evaluate(color) == "rgb(0, 0, 0)"
    (served.site / "static/css/style.css").write_text("body { color: rgb(255, 0, 0); }\n")
    page.wait_for_function(f"() => ({color})() === 'rgb(255, 0, 0)'")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def test_unchanged_page_is_not_reloaded(serve: Callable[..., Served], page: Any) -> None:
    served = serve()
    other = page.context.new_page()
    open_live(page, served, "/about/")
    open_live(other, served, "/posts/first/")
    page.evaluate("window.__marker = 1")
    source = served.site / "content/posts/first.md"
    source.write_text(SITE["content/posts/first.md"].replace("First body text.", "Only here."))
    shows(other, "Only here.")
    time.sleep(0.3)
    assert page.evaluate("window.__marker") == 1, "a page whose output is unchanged reloaded"


def test_build_error_shows_an_overlay_until_fixed(serve: Callable[..., Served],
                                                   page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/first/")
    source = served.site / "content/posts/first.md"
    source.write_text("---\ntitle: [unclosed\n---\nBroken.\n")
    overlay = page.wait_for_selector("#ssg-error-overlay")
    text = overlay.inner_text()
    assert "content/posts/first.md" in text and "YAML" in text
    assert page.get_attribute("#ssg-error-overlay", "role") == "alert"
    shows(page, "First body text.")  # the last good page, under the overlay
    source.write_text("---\ntitle: First Post\n---\nFixed text.\n")
    page.wait_for_function("() => !document.getElementById('ssg-error-overlay')"
                           " && !!document.body && document.body.innerText.includes('Fixed text.')")


def test_deleted_page_becomes_404(serve: Callable[..., Served], page: Any) -> None:
    served = serve()
    open_live(page, served, "/about/")
    (served.site / "content/about.md").unlink()
    shows(page, "Page not found")
    response = page.goto(served.url + "about/")
    assert response.status == 404


def test_renamed_page_moves(serve: Callable[..., Served], page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/second/")
    posts = served.site / "content/posts"
    (posts / "second.md").rename(posts / "moved.md")
    shows(page, "Page not found")
    assert visit(page, served.url + "posts/moved/").status == 200
    assert visit(page, served.url + "posts/second/").status == 404
    open_live(page, served, "/posts/")
    assert page.locator("a[href='/posts/moved/']").count() >= 1
    assert page.locator("a[href='/posts/second/']").count() == 0


def test_fifty_saves_in_a_second_end_on_the_last(serve: Callable[..., Served],
                                                 page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/first/")
    source = served.site / "content/posts/first.md"
    start = time.monotonic()
    for n in range(50):
        source.write_text(SITE["content/posts/first.md"].replace("First body text.",
                                                                 f"Version {n}."))
        time.sleep(max(0.0, start + (n + 1) / 50 - time.monotonic()))
    shows(page, "Version 49.")
    time.sleep(0.5)
    assert "Version 49." in page.inner_text("body")
    builds = served.count(r"^Built ")
    assert builds < 25, f"{builds} builds for 50 saves:\n{served.output}"


def test_change_while_the_page_loads_is_not_missed(serve: Callable[..., Served],
                                                   page: Any) -> None:
    served = serve()
    # Hold the LiveReload client back for 3 s: the rebuild finishes before the page listens.
    delayed = ("setTimeout(function(){var s=document.createElement('script');"
               "s.src=location.origin+'/livereload.js?port='+location.port+'&late=1';"
               "document.head.appendChild(s);},3000);")

    def client(route: Any) -> None:
        if "late=1" in route.request.url:
            route.continue_()
        else:
            route.fulfill(content_type="application/javascript", body=delayed)

    page.route("**/livereload.js*", client)
    page.goto(served.url + "posts/first/")
    builds = served.count(r"^Built ")
    source = served.site / "content/posts/first.md"
    source.write_text(SITE["content/posts/first.md"].replace("First body text.", "Late edit."))
    served.wait_for_line(r"^Built ")
    deadline = time.monotonic() + 2.5
    while served.count(r"^Built ") == builds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served.count(r"^Built ") > builds, "the rebuild took too long for this test"
    assert "Late edit." not in page.inner_text("body")
    shows(page, "Late edit.")
