"""`ssg serve`: build the site into a private folder, serve it over HTTP, rebuild on every save.

Three threads share the work:

- the main thread builds: the first build, then one rebuild per batch of changes that the
  watcher (ssg.serve.watch) hands over, so Ctrl-C (KeyboardInterrupt) stops a build where it is;
- watchdog's observer thread collects changed paths;
- tornado's IOLoop thread serves the site, injecting the LiveReload client into every HTML
  page, and speaks the LiveReload protocol (python-livereload's handler and client script).

After each build the pages whose output bytes changed are reloaded in the browser; changed
stylesheets and images are swapped in place. A failed build leaves the last good site in
place, with an overlay naming the error on every page until a build succeeds again.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import html
import ipaddress
import json
import logging
import mimetypes
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import httpserver, netutil, web
from tornado.ioloop import IOLoop

from ssg.build import BuildOptions, BuildResult, Session, build, static_dest, watched_folders
from ssg.config import CONFIG_FILE, Config, load_config
from ssg.errors import BuildErrors, SsgError
from ssg.output.writer import MARKER
from ssg.serve.watch import Watcher

log = logging.getLogger("ssg")

#: Where the client script is served, and the WebSocket it connects to (LiveReload's own).
CLIENT_PATH = "/livereload.js"
SOCKET_PATH = "/livereload"
#: Ports tried after the default one when it is taken.
PORT_TRIES = 20
#: Files no page embeds: a change to them alone reloads nothing.
_UNSEEN = (".xml", ".txt", ".map", "feed.json")  # files no page shows: feeds, sitemaps
#: Files LiveReload's client swaps in place (liveCSS, liveImg) without reloading the page.
_SWAPPABLE = (".css", ".jpg", ".jpeg", ".png", ".gif")
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")

#: Header naming the version of a page (its bytes and the build error shown over it).
VERSION_HEADER = "X-Ssg-Version"
#: Loads LiveReload's client from this server, whatever host name and port the page has.
#: Once connected, it asks whether the page changed while it loaded (a build that finished
#: between the page's response and its WebSocket registration sent it no reload).
_CLIENT = (
    '<script id="ssg-livereload">(function(){var v="%s";'
    'var s=document.createElement("script");'
    'var p=location.port||(location.protocol==="https:"?443:80);'
    f's.src="{CLIENT_PATH}?port="+p;document.head.appendChild(s);'
    'var t=setInterval(function(){var l=window.LiveReload;'
    'if(!l||!l.connector||!(l.connector.protocol>=7))return;clearInterval(t);'
    'setTimeout(function(){fetch(location.href,{method:"HEAD",cache:"no-store"})'
    f'.then(function(r){{if(r.headers.get("{VERSION_HEADER}")!==v)location.reload();}})'
    '.catch(function(){});},100);},50);})();</script>'
)


def client_script(version: str) -> bytes:
    """The script injected into a page whose version is `version`."""
    return (_CLIENT % version).encode()


_OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;"
    "background:rgba(24,4,4,.94);color:#fff;font:15px/1.5 ui-monospace,monospace;"
    "white-space:pre-wrap;text-align:left"
)
_NOT_FOUND = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Not found</title>"
              b"</head><body><h1>Not found</h1></body></html>")


# --- the network side ----------------------------------------------------------------------------

def bind(host: str, port: int, *, explicit: bool) -> tuple[list[socket.socket], int]:
    """Listening sockets on host:port and the port they got.

    A port that is taken is an error when it was asked for (`explicit`); otherwise the next
    free one of PORT_TRIES is used, with a message. Port 0 lets the system choose.
    """
    tries = 1 if explicit or port == 0 else PORT_TRIES
    for candidate in range(port, min(port + tries, 65536)):
        try:
            sockets = netutil.bind_sockets(candidate, address=host or None)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and not explicit:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise SsgError(f"port {candidate} on {host} is already in use: stop what uses "
                               "it, or choose another port with --port") from exc
            reason = exc.strerror or str(exc)
            raise SsgError(f"cannot listen on {host}:{candidate}: {reason}") from exc
        bound = int(sockets[0].getsockname()[1])
        if candidate != port:
            log.info("Port %s is in use; using port %s instead", port, bound)
        return sockets, bound
    raise SsgError(f"ports {port} to {port + tries - 1} on {host} are all in use: "
                   "choose a free one with --port")


def url_host(host: str) -> str:
    """The host as it goes into a URL (a wildcard address is reached as 127.0.0.1)."""
    if host in _WILDCARD_HOSTS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    """True when only this machine can reach `host`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_allowed(origin: str | None, host: str, port: int) -> bool:
    """True when a WebSocket's Origin is a page of this server (http://host:port).

    On loopback, localhost and 127.0.0.1 are the same server; on a wildcard address any IP
    address of the machine is (IP literals cannot be rebound to it by DNS, host names can).
    """
    if not origin:
        return False
    parts = urlsplit(origin.lower())
    try:
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme != "http" or origin_port != port or parts.hostname is None:
        return False
    name = parts.hostname
    names = {url_host(host).strip("[]").lower()}
    if is_loopback(host) or host in _WILDCARD_HOSTS:
        names |= {"127.0.0.1", "localhost", "::1"}
    if name in names:
        return True
    if host in _WILDCARD_HOSTS:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return name == socket.gethostname().lower()
        return True
    return False


# --- what a request gets -------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a request path resolves to: a file to send (200), a redirect or a refusal."""

    status: int
    path: Path | None = None
    location: str = ""


def resolve(root: Path, base_path: str, raw_path: str) -> Target:
    """Map a request path (percent-encoded) to a file of the served build under `root`.

    `..` segments (encoded or not), backslashes and NUL are refused (403), and so is any
    path whose real location (symlinks followed) is outside the root.
    """
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return Target(404)
    if "\\" in path or "\x00" in path or ".." in path.split("/"):
        return Target(403)
    if not path.startswith(base_path):
        if path in ("", "/") or path + "/" == base_path:
            return Target(302, location=base_path)
        return Target(404)
    parts = [part for part in path[len(base_path):].split("/") if part not in ("", ".")]
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *parts))
    if not _inside(target, real_root):
        return Target(403)
    if os.path.isdir(target):
        if not path.endswith("/"):
            # One leading slash: `//host/` in a Location header would leave this server.
            return Target(301, location="/" + raw_path.lstrip("/") + "/")
        target = os.path.realpath(os.path.join(target, "index.html"))
        if not _inside(target, real_root):
            return Target(403)
    if os.path.isfile(target):
        return Target(200, Path(target))
    return Target(404)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


def inject(page: bytes, script: bytes, overlay: bytes = b"") -> bytes:
    """The page with `script` at the end of its head and `overlay` first in its body."""
    head_end = _HEAD_END.search(page)
    if head_end:
        page = page[:head_end.start()] + script + page[head_end.start():]
    else:
        page += script
    if overlay:
        body = _BODY_START.search(page)
        at = body.end() if body else len(page)
        page = page[:at] + overlay + page[at:]
    return page


def overlay_html(error: SsgError) -> bytes:
    """The element shown over every page while the last build failed: file, line, message."""
    items = []
    for problem in error.errors if isinstance(error, BuildErrors) else [error]:
        where = problem.path or ""
        if problem.path and problem.line is not None:
            where += f":{problem.line}"
        items.append(
            '<li style="margin:0 0 1em">'
            + (f'<span class="ssg-error-file" style="color:#ffb4a8">{html.escape(where)}</span>: '
               if where else "")
            + f'<span class="ssg-error-message">{html.escape(problem.message)}</span></li>')
    return (
        f'<div id="ssg-error-overlay" role="alert" style="{_OVERLAY_STYLE}">'
        '<p style="margin:0 0 1em;font-weight:bold">ssg: the site could not be built. '
        "This is the last good build; save a fix to reload.</p>"
        f'<ul style="margin:0;padding:0 0 0 1.2em">{"".join(items)}</ul></div>'
    ).encode()


# --- which pages to reload -----------------------------------------------------------------------

@dataclass(frozen=True)
class ReloadPlan:
    """What open pages must do after a change of the served build."""

    #: Reload every open page.
    everything: bool = False
    #: Output files of pages that changed or went away: open pages showing them reload.
    pages: frozenset[str] = frozenset()
    #: URL paths of stylesheets and images that every page swaps in place.
    swaps: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.everything or bool(self.pages) or bool(self.swaps)


def plan_reload(changed: Iterable[str], base_path: str) -> ReloadPlan:
    """The reloads that output files changed (or removed) since the last reload call for."""
    pages: set[str] = set()
    swaps: list[str] = []
    everything = False
    for dest in sorted(changed):
        lower = dest.lower()
        if dest == MARKER or dest.startswith("pagefind/") or lower.endswith(_UNSEEN):
            continue  # the search index is fetched when searching, not when a page loads
        if lower.endswith((".html", ".htm")):
            pages.add(dest)
        elif lower.endswith(_SWAPPABLE):
            swaps.append(base_path + dest)
        else:
            everything = True  # a script, font or other asset: reload to be sure
    return ReloadPlan(everything, frozenset(pages), tuple(swaps))


def dest_for_url(url: str, base_path: str) -> str | None:
    """The output file a page URL shows (`posts/a/index.html`), None if not under the site."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(base_path):
        return None
    rel = path[len(base_path):]
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


# --- tornado handlers ----------------------------------------------------------------------------

class _ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """LiveReload's WebSocket, for pages of this server only; remembers the page's URL."""

    def initialize(self, server: DevServer) -> None:
        self.server = server
        self.page_url: str | None = None

    def check_origin(self, origin: str) -> bool:
        return origin_allowed(origin, self.server.host, self.server.port)

    def on_message(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            self.close()
            return
        if isinstance(data, dict) and data.get("command") == "info":
            url = data.get("url")
            self.page_url = url if isinstance(url, str) else None
        if isinstance(data, dict) and data.get("command") in ("hello", "info"):
            super().on_message(message)


class _SiteHandler(web.RequestHandler):
    """Serves the files of the built site, with the LiveReload client (and the error
    overlay) injected into HTML, and the site's 404.html for missing files."""

    def initialize(self, server: DevServer) -> None:
        self.server = server

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    def compute_etag(self) -> None:
        return None

    def prepare(self) -> None:
        # A page elsewhere can point its own name at 127.0.0.1 (DNS rebinding) and read the
        # site, drafts included: a server on loopback answers loopback names only.
        name = self.request.host_name.strip("[]")
        if is_loopback(self.server.host) and not (
                is_loopback(name) or name.endswith(".localhost")):
            self._send(403, b"Forbidden: unknown Host\n", "text/plain; charset=utf-8",
                       body=self.request.method != "HEAD")

    def get(self) -> None:
        self._respond(body=True)

    def head(self) -> None:
        self._respond(body=False)

    def _respond(self, *, body: bool) -> None:
        server = self.server
        target = resolve(server.out, server.base_path, self.request.path)
        if target.location:
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(target.location + query, status=target.status)
            return
        if target.status == 403:
            self._send(403, b"Forbidden\n", "text/plain; charset=utf-8", body=body)
            return
        status, path = target.status, target.path
        data = _read(path)
        if data is None:  # missing, or deleted by a build since it was found
            status, path = 404, resolve(server.out, "/", "/404.html").path
            data = _read(path)
            if data is None:
                path, data = None, _NOT_FOUND
        kind = "text/html" if path is None else (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        if kind == "text/html":
            error = server.error
            version = hashlib.blake2b(data + str(error).encode(), digest_size=8).hexdigest()
            self.set_header(VERSION_HEADER, version)
            data = inject(data, client_script(version), overlay_html(error) if error else b"")
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(status, data, kind, body=body)

    def _send(self, status: int, data: bytes, kind: str, *, body: bool) -> None:
        self.set_status(status)
        self.set_header("Content-Type", kind)
        if body:
            self.finish(data)
        else:
            self.set_header("Content-Length", str(len(data)))
            self.finish()


def _send_reloads(plan: ReloadPlan, base_path: str) -> None:
    """Tell each open page what to reload (runs on the IOLoop)."""
    for waiter in list(LiveReloadHandler.waiters):
        url = getattr(waiter, "page_url", None)
        dest = dest_for_url(url, base_path) if url else None
        if plan.everything or (plan.pages and dest is None) or dest in plan.pages:
            paths: Iterable[str] = ("*",)
        else:
            paths = plan.swaps
        for path in paths:
            waiter.send_message({"command": "reload", "path": path, "liveCSS": True,
                                 "liveImg": True})


# --- the server ----------------------------------------------------------------------------------

class DevServer:
    """Builds SITE_DIR into a temporary folder, serves it and rebuilds it on every change."""

    def __init__(self, site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000,
                 port_explicit: bool = False, drafts: bool = False, poll: bool = False,
                 open_browser: bool = False,
                 report: Callable[[SsgError], None] | None = None):
        self.site_dir = site_dir.resolve()
        self.host = host
        self.port = port
        self.port_explicit = port_explicit
        self.drafts = drafts
        self.poll = poll
        self.open_browser = open_browser
        self._report = report or (lambda exc: log.error("%s", exc))
        self.config: Config | None = None
        #: The last build's (or config's) error, shown over every page until fixed.
        self.error: SsgError | None = None
        self._config_failed = False
        self._session = Session()
        self._hashes: dict[str, str] = {}
        #: The last build's result (what made each served file).
        self._result: BuildResult | None = None
        self._tmp: Path | None = None
        self._loop: IOLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()

    @property
    def out(self) -> Path:
        """The served build (inside a temporary folder, never the site's output/)."""
        assert self._tmp is not None
        return self._tmp / "site"

    @property
    def base_path(self) -> str:
        """URL path of the site's home page: the path of base_url, `/` by default."""
        return self.config.base_path if self.config else "/"

    @property
    def url(self) -> str:
        """The address of the home page."""
        return f"http://{url_host(self.host)}:{self.port}{self.base_path}"

    def run(self) -> None:
        """Serve until Ctrl-C (or SIGTERM); returns once every thread has stopped."""
        if not self.site_dir.is_dir():
            raise SsgError("site folder does not exist", path=self.site_dir)
        sockets, self.port = bind(self.host, self.port, explicit=self.port_explicit)
        watcher = Watcher(self._relevant, poll=self.poll)
        http_thread: threading.Thread | None = None
        previous = _stop_on_sigterm()
        try:
            self._tmp = Path(tempfile.mkdtemp(prefix="ssg-serve-"))
            started_ns = time.time_ns()
            if self._load_config():
                self._build_and_reload(set())
            watcher.start()
            self._watch(watcher)
            watcher.add(self._changed_since(started_ns))
            http_thread = threading.Thread(target=self._serve, args=(sockets,),
                                           name="ssg-http")
            http_thread.start()
            self._ready.wait()
            if self._loop is None:
                raise SsgError("the HTTP server could not start")
            log.info("Serving %s at %s (Ctrl-C to stop)", self.site_dir.name, self.url)
            if not is_loopback(self.host):
                log.warning("listening on %s: the site, drafts included, can be seen by "
                            "every machine on the network that reaches this one",
                            self.host or "every address")
            if self.open_browser and not webbrowser.open(self.url):
                log.warning("could not open a web browser; visit %s", self.url)
            while True:
                batch = watcher.next_batch()
                if batch:
                    self._on_changes(batch, watcher)
        except KeyboardInterrupt:
            pass
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: still clean
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            watcher.stop()
            if http_thread is not None:
                if self._loop is not None and self._stopping is not None:
                    self._loop.add_callback(self._stopping.set)
                http_thread.join()
            for sock in sockets:
                sock.close()
            if self._tmp is not None:
                _remove_tree(self._tmp)
            _restore_signals(previous)
        log.info("Stopped.")

    # --- building ---

    def _on_changes(self, batch: set[Path], watcher: Watcher) -> None:
        """Bring the served build up to date with a batch of changed sources."""
        config_file = self.site_dir / CONFIG_FILE
        if config_file in batch or self._config_failed:
            if not self._load_config():
                return
            log.info("Reloaded %s", CONFIG_FILE)
        self._watch(watcher)
        static = self._static_changes(batch)
        if static is not None:
            changed = self._copy_static(static)
            if changed:
                self._reload(plan_reload(changed, self.base_path))
            return
        self._build_and_reload(batch)

    def _load_config(self) -> bool:
        """Read ssg.toml (again); on failure keep the last good config and show the error."""
        try:
            config = load_config(self.site_dir, output_dir=self.out)
        except SsgError as exc:
            self._config_failed = True
            self._fail(exc)
            return False
        base = f"http://{url_host(self.host)}:{self.port}{config.base_path}"
        self.config = replace(config, base_url=base)  # every link points at this server
        self._config_failed = False
        return True

    def _build_and_reload(self, changed: set[Path]) -> None:
        """Rebuild, then reload the open pages that changed (or show the error)."""
        if self.config is None:
            return
        try:
            dests = self._rebuild(changed)
        except SsgError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # a bug in ssg: keep serving, say what happened
            log.error("internal error while building: %r", exc)
            traceback.print_exception(exc)
            self._session = Session()
            self._fail(SsgError(f"internal error: {exc!r} (see the terminal)"))
            return
        plan = plan_reload(dests, self.base_path)
        if self.error is not None:
            self.error = None
            plan = ReloadPlan(everything=True)
        self._reload(plan)

    def _rebuild(self, changed: set[Path]) -> set[str]:
        """Build the site into the served folder; the output files whose bytes changed.

        `changed` (the sources changed since the last build) lets the build take its quick
        path when only page bodies changed; it checks everything else itself.
        """
        assert self.config is not None
        # The search index is made by full builds only: Pagefind reads every page, which
        # takes seconds per save on a large site. Search shows the site as it was then.
        result = build(self.config, BuildOptions(drafts=self.drafts, reindex=False),
                       self._session, changed=changed)
        self._result = result
        if result.full:
            dests = self._rehash_all()
        else:
            dests = {*result.written, *result.removed}
            for dest in result.removed:
                self._hashes.pop(dest, None)
            for dest in result.written:
                self._hashes[dest] = _hash_file(self.out / dest)
        log.info("Built %s pages in %.2f s (%s files changed)", f"{result.pages:,}",
                 result.seconds, f"{len(dests):,}")
        return dests

    def _fail(self, exc: SsgError) -> None:
        """Show a build or config error in the terminal and over every open page."""
        changed = self.error is None or str(self.error) != str(exc)
        self.error = exc
        if changed:
            self._reload(ReloadPlan(everything=True))
        self._report(exc)

    def _rehash_all(self) -> set[str]:
        """Hash every served file; the ones that changed or went away since the last time."""
        hashes = {dest: _hash_file(path) for dest, path in _files(self.out)}
        old = self._hashes
        self._hashes = hashes
        return ({dest for dest, value in hashes.items() if old.get(dest) != value}
                | (set(old) - set(hashes)))

    def _static_changes(self, batch: set[Path]) -> dict[str, Path] | None:
        """dest -> source when every change is an edit of a static file the served build
        already has; None when the batch needs a build."""
        if self.config is None or self.error is not None or self._result is None:
            return None
        found: dict[str, Path] = {}
        for path in batch:
            dest = static_dest(self.config, path, self._result)
            if dest is None:
                return None  # a new file, or one that replaces another: the build decides
            found[dest] = path
        return found

    def _copy_static(self, files: dict[str, Path]) -> set[str]:
        """Copy changed static files into the served build, each in one atomic step."""
        changed = set()
        for dest, source in sorted(files.items()):
            try:
                data = source.read_bytes()
            except OSError:
                continue  # gone again: the next batch has its deletion
            digest = hashlib.blake2b(data, digest_size=16).hexdigest()
            if self._hashes.get(dest) == digest:
                continue
            target = self.out / dest
            tmp = target.with_name(f".{target.name}.ssg-{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
            self._hashes[dest] = digest
            changed.add(dest)
        if changed:
            log.info("Copied %s", ", ".join(sorted(changed)))
        return changed

    def _reload(self, plan: ReloadPlan) -> None:
        """Hand the reload over to the IOLoop thread (it owns the WebSockets)."""
        if plan and self._loop is not None:
            self._loop.add_callback(_send_reloads, plan, self.base_path)

    # --- watching ---

    def _sources(self) -> list[Path]:
        """The folders a build reads (none before a config was read: only ssg.toml counts)."""
        return watched_folders(self.config) if self.config is not None else []

    def _relevant(self, path: Path) -> bool:
        """True for the config file and anything inside the folders a build reads."""
        if path == self.site_dir / CONFIG_FILE:
            return True
        if self._tmp is not None and path.is_relative_to(self._tmp):
            return False
        return any(path.is_relative_to(folder) for folder in self._sources())

    def _watch(self, watcher: Watcher) -> None:
        """Watch the source folders that exist now; the site folder itself for the config
        file and for source folders that appear later."""
        watcher.watch([f for f in self._sources() if f.is_dir()], [self.site_dir])

    def _changed_since(self, started_ns: int) -> list[Path]:
        """Sources modified since the first build started (before the watcher ran)."""
        found = []
        candidates = [self.site_dir / CONFIG_FILE]
        for folder in self._sources():
            candidates.extend(path for _dest, path in _files(folder))
        for path in candidates:
            try:
                if path.stat().st_mtime_ns >= started_ns:
                    found.append(path)
            except OSError:
                continue
        return found

    # --- serving ---

    def _serve(self, sockets: list[socket.socket]) -> None:
        """The IOLoop thread: serve until stopped, then close every connection."""
        try:
            asyncio.run(self._serve_async(sockets))
        finally:
            self._ready.set()

    async def _serve_async(self, sockets: list[socket.socket]) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(
            [(SOCKET_PATH, _ReloadSocket, {"server": self}),
             (CLIENT_PATH, LiveReloadJSHandler),
             (r"/.*", _SiteHandler, {"server": self})],
            log_function=lambda _handler: None,
        )
        server = httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        self._loop = IOLoop.current()
        self._ready.set()
        await self._stopping.wait()
        server.stop()
        for waiter in list(LiveReloadHandler.waiters):
            waiter.close()
        for _ in range(50):  # the browser answers a close at once; give it 0.5 s at most
            if not LiveReloadHandler.waiters:
                break
            await asyncio.sleep(0.01)
        await server.close_all_connections()


def serve(site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000,
          port_explicit: bool = False, drafts: bool = False, poll: bool = False,
          open_browser: bool = False, report: Callable[[SsgError], None] | None = None
          ) -> None:
    """Serve SITE_DIR live until Ctrl-C (see DevServer); SsgError if it cannot start."""
    DevServer(site_dir, host=host, port=port, port_explicit=port_explicit, drafts=drafts,
              poll=poll, open_browser=open_browser, report=report).run()


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def _remove_tree(tree: Path) -> None:
    """Delete a folder, even while a build's background `rm` still empties part of it."""
    for _ in range(20):
        shutil.rmtree(tree, ignore_errors=True)
        if not tree.exists():
            return
        time.sleep(0.05)


def _hash_file(path: Path) -> str:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return "missing"


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """(POSIX path relative to root, path) of every file under root; none if it is missing."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        here = Path(folder)
        rel = here.relative_to(root).as_posix()
        for name in filenames:
            if rel == "." and name == MARKER:
                continue
            yield (name if rel == "." else f"{rel}/{name}"), here / name


def _stop_on_sigterm() -> Any:
    """Make SIGTERM (`docker stop`, systemd, IDEs) stop the server like Ctrl-C; returns what
    to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        # The first one stops the server; more (an impatient Ctrl-C, systemd's SIGTERM after
        # docker's) must not cut the clean-up short, wherever they arrive.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    return (signal.signal(signal.SIGINT, interrupt), signal.signal(signal.SIGTERM, interrupt))


def _restore_signals(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
