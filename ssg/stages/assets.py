"""Assets for templates: fingerprinted URLs with SRI hashes (`asset_url`, `asset`), bundles of
CSS or JS files (`bundle`), and minified output (`minify = true`).

A fingerprinted file is kept in the store folder like a processed image and named by the
output that asks for it with a `derived` key (see `keys.derived_image`): the build publishes
it and removes it when no output asks for it any more.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ssg.config import Config
from ssg.errors import TemplateError

#: Called with what an output read: ("static", dest), ("file", path) or ("derived", ...).
Note = Callable[[tuple[str, ...]], None]

_MINIFIED = (".html", ".htm", ".css", ".js")


def minify(dest: str, data: bytes) -> bytes:
    """The bytes of an output file minified when it is HTML, CSS or JS (others as they are).

    minify-html is deterministic: the same input gives the same bytes. CSS and JS files go
    through it inside a `<style>` or `<script>` element; one that holds the closing tag itself
    is left as it is.
    """
    lower = dest.lower()
    if not lower.endswith(_MINIFIED):
        return data
    import minify_html

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if lower.endswith((".html", ".htm")):
        return minify_html.minify(text, minify_css=True, minify_js=True).encode("utf-8")
    tag = "style" if lower.endswith(".css") else "script"
    if f"</{tag}" in text.lower():
        return data
    wrapped = minify_html.minify(f"<{tag}>{text}</{tag}>", minify_css=True, minify_js=True)
    start, end = wrapped.find(">") + 1, wrapped.rfind("</")
    if not wrapped.startswith(f"<{tag}") or start <= 0 or end < start:
        return data
    return wrapped[start:end].encode("utf-8")


@dataclass(frozen=True)
class Asset:
    """A file for a page to link: `url` (fingerprinted), `integrity` (SRI, sha384)."""

    url: str
    #: `sha384-...` for `<link integrity>`; "" when the build does not fingerprint (dev
    #: server).
    integrity: str

    def __str__(self) -> str:
        return self.url


class Assets:
    """Fingerprints static files for the templates of one process."""

    def __init__(self, config: Config, store: str, *, fingerprint: bool, minified: bool,
                 note: Note):
        self.config, self.store = config, Path(store) if store else None
        self.fingerprint, self.minified, self.note = fingerprint, minified, note
        self._made: dict[tuple[str, ...], tuple[Asset, tuple[str, ...], list[str]]] = {}

    def url(self, path: str) -> str:
        """`asset_url("css/style.css")`: `/css/style.3f2a1b9c.css`."""
        return self.asset(path).url

    def asset(self, path: str) -> Asset:
        """`asset("css/style.css")`: its fingerprinted URL and SRI hash."""
        return self.bundle([path], path)

    def bundle(self, paths: Sequence[str], dest: str) -> Asset:
        """`bundle(["css/a.css", "css/b.css"], "css/site.css")`: the files joined into one
        fingerprinted file (each ends with a newline)."""
        if isinstance(paths, str) or not paths:
            raise TemplateError("bundle needs a list of files of static/")
        dest = _clean(dest)
        if _is_sass(dest):
            dest = posixpath.splitext(dest)[0] + ".css"
        sources = [self._source(_clean(path)) for path in paths]
        statics = [root / "static" for root in (self.config.site_dir, *self.config.themes)]
        if (not self.fingerprint and len(sources) == 1 and not _is_sass(sources[0].name)
                and any(sources[0].is_relative_to(root) for root in statics)):
            # Copied as it is under that name already: the dev server swaps it by name.
            return Asset(self.config.base_path + quote(dest, safe="/"), "")
        key = (dest, *map(str, sources))
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = self._make(dest, sources)
        asset, derived, read = made
        for path in read:
            self.note(("file", path))
        self.note(derived)
        return asset

    def _source(self, dest: str) -> Path:
        """The file an asset path names: static/ then assets/, the site's then the theme's."""
        self.note(("static", dest))
        for root in (self.config.site_dir, *self.config.themes):
            path = root / "static" / dest
            if path.is_file():
                return path
            path = root / "assets" / dest
            self.note(("file", str(path)))  # "missing" until it is made
            if path.is_file():
                return path
        raise TemplateError(f"asset {dest!r}: no such file in static/ or assets/ (the site's "
                            "or the theme's)")

    def _make(self, dest: str, sources: list[Path]
              ) -> tuple[Asset, tuple[str, ...], list[str]]:
        parts = []
        read = [str(source) for source in sources]
        for source in sources:
            if _is_sass(source.name):
                data, imported = compile_sass(source)
                read += imported
            else:
                try:
                    data = source.read_bytes()
                except OSError as exc:
                    raise TemplateError(f"asset {source.name}: cannot read: "
                                        f"{exc.strerror}") from exc
            parts.append(data if len(sources) == 1 or data.endswith(b"\n") else data + b"\n")
        data = b"".join(parts)
        if self.minified:
            data = minify(dest, data)
        sha = hashlib.sha384(data)
        integrity = "sha384-" + base64.b64encode(sha.digest()).decode("ascii")
        stem, ext = posixpath.splitext(dest)
        name = f"{stem}.{sha.hexdigest()[:10]}{ext}" if self.fingerprint else dest
        stored = f"t-{sha.hexdigest()[:32]}{ext}"
        if self.store is None:
            raise TemplateError("assets need a store folder")
        final = self.store / stored
        if not final.is_file():
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_name(f".{stored}.{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, final)
        url = self.config.base_path + quote(name, safe="/")
        return (Asset(url, integrity if self.fingerprint else ""),
                ("derived", name, str(sources[0]), stored), read)


def _is_sass(name: str) -> bool:
    return name.lower().endswith((".scss", ".sass"))


def compile_sass(source: Path) -> tuple[bytes, list[str]]:
    """CSS from a Sass/SCSS file with libsass (the `sass` extra), and every file it imported
    (`@import`), for dependency tracking; a Sass error names the file and line."""
    try:
        import sass
    except ImportError:
        raise TemplateError(f"asset {source.name}: Sass needs libsass: "
                            "pip install 'ssg[sass]'") from None
    map_file = source.with_suffix(".css.map")
    try:
        css, source_map = sass.compile(filename=str(source), source_map_filename=str(map_file),
                                       omit_source_map_url=True, output_style="expanded")
    except sass.CompileError as exc:
        message = str(exc).strip()
        match = _SASS_WHERE.search(message)
        line = int(match.group(1)) if match else None
        first = message.splitlines()[0].removeprefix("Error: ")
        raise TemplateError(f"Sass: {first}", path=source, line=line) from None
    sources = json.loads(source_map).get("sources", [])
    imported = sorted({os.path.normpath(os.path.join(source.parent, name)) for name in sources}
                      - {str(source)})
    return css.encode("utf-8"), imported


_SASS_WHERE = re.compile(r"on line (\d+)")


def _clean(path: str) -> str:
    rel = posixpath.normpath(str(path).lstrip("/"))
    if rel in (".", "") or rel.startswith("../") or rel == "..":
        raise TemplateError(f"asset path {path!r} is outside static/")
    return rel
