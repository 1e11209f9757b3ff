"""Take the README's screenshots of the default theme: `python3 docs/screenshots/take.py`.

Builds this repository's docs site (the documentation family) and the site `ssg new site`
makes (the blog family) into temporary folders, serves each on a loopback port and saves a
docs page, the starter's home and a post at 1280 and 375 px, light and dark, as small
256-colour PNGs next to this file. Needs Playwright and Debian's Chromium.
"""

from __future__ import annotations

import functools
import http.server
import io
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from ssg.build import BuildOptions, build
from ssg.config import load_config
from ssg.tools.scaffold import new_site

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
#: name -> (site, path)
SHOTS = {"docs": ("docs", "/docs/configuration/"), "blog-home": ("starter", "/"),
         "post": ("starter", "/posts/second-post/")}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def save_small(png: bytes, path: Path) -> None:
    """The screenshot with at most 256 colours: a fraction of the bytes, the same to the eye."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        docs_out = Path(tmp) / "docs"
        build(load_config(REPO, output_dir=docs_out, base_url="https://example.org/"),
              BuildOptions(cache=False))
        starter = Path(tmp) / "starter"
        new_site(starter)
        build(load_config(starter, base_url="https://example.org/"), BuildOptions(cache=False))
        with serve(docs_out) as docs, serve(starter / "output") as blog, \
                sync_playwright() as playwright:
            origins = {"docs": docs, "starter": blog}
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            for name, (site, path) in SHOTS.items():
                for width, height in ((1280, 800), (375, 740)):
                    for scheme in ("light", "dark"):
                        context = browser.new_context(viewport={"width": width, "height": height},
                                                      color_scheme=scheme)
                        page = context.new_page()
                        page.goto(origins[site] + path)
                        save_small(page.screenshot(), HERE / f"{name}-{width}-{scheme}.png")
                        context.close()
            browser.close()


if __name__ == "__main__":
    main()
