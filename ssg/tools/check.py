"""Check a built site: every internal link, #fragment, image and asset it refers to exists.

The site is built into a temporary folder (the real output is not touched), then every HTML
file is read with the standard library's HTML parser. Links to other sites are checked only
when asked, a few at a time, each with a time-out.
"""

from __future__ import annotations

import http.client
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from posixpath import normpath
from urllib.parse import quote, unquote, urljoin, urlsplit

from ssg import __version__
from ssg.build import BuildOptions, build
from ssg.config import Config
from ssg.stages.discover import is_markdown
from ssg.stages.link_kinds import link_kind
from ssg.stages.markdown import Ref
from ssg.utils import plural

#: (tag, attribute) pairs that refer to another file or page.
_LINK_ATTRS = {
    ("a", "href"), ("area", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
    ("iframe", "src"), ("source", "src"), ("video", "src"), ("video", "poster"),
    ("audio", "src"), ("track", "src"), ("embed", "src"), ("object", "data"),
    ("input", "src"),
}
_SRCSET_TAGS = {"img", "source"}
#: Schemes that name no file: nothing to check.
_SKIPPED_SCHEMES = {"mailto", "tel", "javascript", "data", "sms", "ftp", "irc", "xmpp", "news"}
#: The kind of a problem with a link to another site (or a URL that is none): always one.
EXTERNAL = "external"
#: External links checked at once.
EXTERNAL_WORKERS = 8
#: Seconds to wait for one external link.
EXTERNAL_TIMEOUT = 10.0


@dataclass(frozen=True)
class Problem:
    """One broken reference: where it is, what it points at, and why it is broken."""

    #: The content file that made the page (`content/posts/a.md`), or the output path.
    source: str
    #: The reference as written in the HTML.
    target: str
    reason: str
    #: The kind of broken link (ssg.stages.link_kinds), which `[check]` grades.
    kind: str = field(default="not_found", compare=False)

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}: {self.reason}"


@dataclass
class Report:
    """What a check found."""

    pages: int = 0
    links: int = 0
    fragments: int = 0
    assets: int = 0
    external: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Broken links of kinds that `[check]` (or mkdocs.yml's `validation`) puts at info level:
    #: shown, not counted, failing nothing.
    notes: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        """One line: what was checked and how many problems were found."""
        checked = (f"{plural(self.pages, 'HTML file')}: {plural(self.links, 'link')}, "
                   f"{plural(self.fragments, 'fragment')}, "
                   f"{plural(self.assets, 'image or asset', 'images and assets')}")
        if self.external:
            checked += f", {plural(self.external, 'external link')}"
        found = plural(len(self.problems), "problem") if self.problems else "no problems"
        if self.notes:
            found += f" ({plural(len(self.notes), 'note')} at info level)"
        return f"Checked {checked}: {found}."


@dataclass
class _Page:
    """What one HTML file holds: its ids and its references (tag, attribute, value)."""

    ids: set[str] = field(default_factory=set)
    refs: list[tuple[str, str]] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.page.ids.add(value)
            elif (tag, name) in _LINK_ATTRS:
                if tag == "link" and name == "href" and not _is_fetched_link(attrs):
                    kind = "link"
                else:
                    kind = "link" if tag in ("a", "area", "iframe") else "asset"
                self.page.refs.append((kind, value.strip()))
            elif name == "srcset" and tag in _SRCSET_TAGS:
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if url:
                        self.page.refs.append(("asset", url))

    handle_startendtag = handle_starttag


def _is_fetched_link(attrs: list[tuple[str, str | None]]) -> bool:
    """True for <link> elements the browser loads (stylesheets, icons, preloads)."""
    rel = next((v or "" for k, v in attrs if k == "rel"), "").lower().split()
    return any(r in ("stylesheet", "icon", "preload", "modulepreload", "manifest",
                     "apple-touch-icon", "mask-icon") for r in rel)


def read_page(data: bytes) -> _Page:
    """The ids and references of one HTML document."""
    collector = _Collector()
    collector.feed(data.decode("utf-8", errors="replace"))
    collector.close()
    return collector.page


def check_site(config: Config, *, external: bool = False, drafts: bool = False,
               timeout: float = EXTERNAL_TIMEOUT, workers: int = EXTERNAL_WORKERS) -> Report:
    """Build the site into a temporary folder and check every reference of every HTML file."""
    with tempfile.TemporaryDirectory(prefix="ssg-check-") as tmp:
        out = Path(tmp, "site")
        options = BuildOptions(drafts=drafts, cache=False,
                               check_links=False)  # reported below, from the HTML
        result = build(replace(config, output_dir=out), options)
        return check_output(out, config, result.origins, external=external, timeout=timeout,
                            workers=workers, refs=result.refs)


def check_output(out: Path, config: Config, origins: dict[str, str], *,
                 external: bool = False, timeout: float = EXTERNAL_TIMEOUT,
                 workers: int = EXTERNAL_WORKERS,
                 refs: Mapping[str, tuple[Ref, ...]] | None = None) -> Report:
    """Check the built site in `out`; `origins` names what made each output file and `refs`
    the links each document's Markdown wrote (to tell their kinds, which `[check]` grades)."""
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    html = sorted(f for f in files if f.endswith((".html", ".htm")))
    pages = {dest: read_page((out / dest).read_bytes()) for dest in html}
    base = config.base_path
    own = config.origin + base  # permalinks: the site's own absolute URLs
    report = Report(pages=len(html))
    outside: dict[str, list[tuple[bool, str, str]]] = {}
    # A broken link in a page's summary shows on every list of that page too: report it
    # once, from the page, unless only lists have it.
    found: dict[tuple[str, str], list[tuple[bool, Problem]]] = {}
    written = _written_links(refs or {}, config)
    for dest in html:
        source = _source(dest, origins)
        is_page = _is_page(origins.get(dest, ""))
        origin = origins.get(dest, "").removeprefix(config.content_folder + "/")
        kinds = written.get(origin, {})
        here = base + (dest[: -len("index.html")] if dest.endswith("index.html") else dest)
        for kind, ref in pages[dest].refs:
            target = ref
            if ref.startswith(own):
                target = base + ref[len(own):]
            try:
                parts = urlsplit(target)
            except ValueError as exc:  # `http://[::1`
                found.setdefault((ref, "malformed"), []).append(
                    (is_page, Problem(source, ref, f"malformed URL: {exc}", EXTERNAL)))
                continue
            if parts.scheme in _SKIPPED_SCHEMES or ref in ("", "#"):
                continue
            if parts.scheme in ("http", "https") or target.startswith("//"):
                absolute = urljoin("https:", target).split("#")[0]
                reason = malformed_url(absolute)
                if reason is not None:
                    found.setdefault((absolute, reason), []).append(
                        (is_page, Problem(source, ref, reason, EXTERNAL)))
                else:
                    outside.setdefault(absolute, []).append((is_page, source, ref))
                continue
            if parts.scheme:
                continue  # some other protocol: nothing a build makes
            url = urljoin(here, target)
            reason = _internal(url, pages, files, base, kind, report)
            if reason and not target.startswith(("/", "#")) and reason.startswith("no such"):
                reason += f" (looked for {url.split('#')[0]})"
            if reason:
                anchor = reason.startswith("no heading")
                as_written = kinds.get(ref)
                problem_kind = link_kind(as_written or ref, matched=as_written is None,
                                         anchor=anchor, check=config.check)
                found.setdefault((url, reason), []).append(
                    (is_page, Problem(source, ref, reason, problem_kind)))
    if external:
        report.external = len(outside)
        for url, reason in check_external(sorted(outside), timeout=timeout, workers=workers):
            found[(url, reason)] = [(is_page, Problem(source, ref, reason, EXTERNAL))
                                    for is_page, source, ref in outside[url]]
    for sightings in found.values():
        on_pages = [problem for is_page, problem in sightings if is_page]
        for problem in on_pages or [problem for _is_page, problem in sightings]:
            level = config.check.level(problem.kind)
            if level != "ignore":
                (report.problems if level == "warn" else report.notes).append(problem)
    order = lambda p: (p.source, p.target, p.reason)  # noqa: E731
    report.problems = sorted(set(report.problems), key=order)
    report.notes = sorted(set(report.notes), key=order)
    return report


def _written_links(refs: Mapping[str, tuple[Ref, ...]], config: Config
                   ) -> dict[str, dict[str, str]]:
    """For each document, its links that name no content file, by how the HTML has them
    (with the base path in front of a root-relative one) -> as the Markdown wrote them."""
    base = config.base_path
    found: dict[str, dict[str, str]] = {}
    for src, doc_refs in refs.items():
        kinds = found.setdefault(src, {})
        for ref in doc_refs:
            if ref.target is not None or ref.href.startswith("#"):
                continue
            kinds[ref.href] = ref.href
            if ref.href.startswith("/") and not ref.href.startswith(base):
                kinds[base + ref.href.lstrip("/")] = ref.href
    return found


def _internal(url: str, pages: dict[str, _Page], files: set[str], base: str, kind: str,
              report: Report) -> str | None:
    """Why an internal reference is broken, or None; counts what it checked."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if kind == "asset":
        report.assets += 1
    else:
        report.links += 1
    if not (path + "/").startswith(base):
        return f"outside the site (its base path is {base})"
    rel = normpath(path[len(base):]) if path[len(base):] else ""
    rel = "" if rel == "." else rel
    if rel.startswith("../"):
        return f"outside the site (its base path is {base})"
    if path.endswith("/") or rel == "":
        dest = f"{rel}/index.html" if rel else "index.html"
    elif rel in files:
        dest = rel
    elif f"{rel}/index.html" in files:
        dest = f"{rel}/index.html"  # servers redirect /a to /a/
    else:
        dest = rel
    if dest not in files:
        return "no such page" if kind == "link" and not _looks_like_file(rel) else "no such file"
    if parts.fragment:
        report.fragments += 1
        target = pages.get(dest)
        fragment = unquote(parts.fragment)
        if target is not None and fragment not in target.ids and fragment.lower() != "top":
            return f"no heading or element with id '{fragment}' on that page"
    return None


def _is_page(origin: str) -> bool:
    """True for an output made from one page's file (not a list made from `_index.md`)."""
    return is_markdown(origin) and not origin.endswith("_index.md")


def _looks_like_file(rel: str) -> bool:
    last = rel.rsplit("/", 1)[-1]
    return "." in last and not last.endswith((".html", ".htm"))


def _source(dest: str, origins: dict[str, str]) -> str:
    """How a problem's page is named: its content file, else its output path and maker."""
    origin = origins.get(dest)
    if origin is None:
        return dest
    if is_markdown(origin):
        return origin
    return dest if origin.startswith("content/") else f"{dest} ({origin})"


def malformed_url(url: str) -> str | None:
    """Why an http(s) URL cannot be requested at all (no host, a bad port, ...), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or too big
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if not parts.hostname:
        return "malformed URL: no host name"
    if any(c.isspace() or not c.isprintable() for c in parts.netloc):
        return "malformed URL: a space or control character in the host name"
    return None


def check_external(urls: Iterable[str], *, timeout: float = EXTERNAL_TIMEOUT,
                   workers: int = EXTERNAL_WORKERS,
                   fetch: Callable[[str, float], str | None] | None = None
                   ) -> list[tuple[str, str]]:
    """(url, reason) for each URL that does not answer with success, `workers` at a time."""
    probe = fetch or probe_url
    urls = list(urls)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda url: probe(url, timeout), urls))
    return [(url, reason) for url, reason in zip(urls, results, strict=True) if reason]


def probe_url(url: str, timeout: float) -> str | None:
    """Why a URL is broken (None if it answers): HEAD first, GET when HEAD is refused."""
    reason = malformed_url(url)
    if reason is not None:
        return reason
    reason = _request(url, "HEAD", timeout)
    if reason is not None and not reason.startswith("timed out"):
        reason = _request(url, "GET", timeout)
    return reason


def _request(url: str, method: str, timeout: float) -> str | None:
    # As a browser does, send a space or other unsafe character of the path percent-encoded.
    url = quote(url, safe="!#$%&'()*+,/:;=?@[]~")
    request = urllib.request.Request(url, method=method,
                                     headers={"User-Agent": f"ssg-check/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            if method == "GET":
                response.read(1)
            return None
    except urllib.error.HTTPError as exc:
        exc.close()
        return f"HTTP {exc.code} {exc.reason}".rstrip()
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return f"timed out after {timeout:g} s"
        return f"cannot connect: {exc.reason}"
    except TimeoutError:
        return f"timed out after {timeout:g} s"
    except (OSError, ValueError, OverflowError, http.client.HTTPException) as exc:
        # InvalidURL (a space in the path), a port the socket refuses, a garbled answer
        return f"cannot connect: {exc or type(exc).__name__}"
