"""The dev server's HTTP side: binding, who may connect, what a request gets, the LiveReload
client and the error overlay injected into pages, and the IOLoop thread that serves them.

It serves whatever `Served` says (the folder, the base path, the last error) and knows nothing
of how the site is built.
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
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import httpserver, netutil, web
from tornado.ioloop import IOLoop

from ssg.errors import BuildErrors, SsgError

log = logging.getLogger("ssg")

#: Where LiveReload's client is served, and the WebSocket it connects to (LiveReload's own).
CLIENT_PATH = "/livereload.js"
SOCKET_PATH = "/livereload"
#: Ports tried after the default one when it is taken.
PORT_TRIES = 20
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")

#: Header naming the version of a page (its bytes and the build error shown over it).
VERSION_HEADER = "X-Ssg-Version"
#: Header naming a page's head and scripts: when it changes, an open page reloads in full.
HEAD_HEADER = "X-Ssg-Head"
#: Header giving the length of a page's body, so the client morphs only a whole page.
LENGTH_HEADER = "X-Ssg-Length"
#: The path LiveReload is told to reload when a page's HTML changed (ssg's client updates the
#: page in place; LiveReload's own client alone would reload it).
PAGE_PATH = "ssg:page"
#: The morphing library shipped in the package (see ssg/serve/client/README.md).
IDIOMORPH_VERSION = "0.8.0"
LIBRARY_FILE = Path(__file__).with_name("client") / "idiomorph.min.js"
LIBRARY_PATH = f"/__ssg/idiomorph.min.js?v={IDIOMORPH_VERSION}"


def _client_code() -> str:
    """ssg's client (ssg/serve/client/reload.js) with the names it shares with the server."""
    code = (Path(__file__).with_name("client") / "reload.js").read_text(encoding="utf-8")
    for name, value in (("VERSION_HEADER", VERSION_HEADER), ("HEAD_HEADER", HEAD_HEADER),
                        ("LENGTH_HEADER", LENGTH_HEADER), ("PAGE_PATH", PAGE_PATH),
                        ("LIBRARY_PATH", LIBRARY_PATH), ("CLIENT_PATH", CLIENT_PATH)):
        code = code.replace(f"%{name}%", value)
    return code


_CLIENT = _client_code()


def client_script(version: str, head: str) -> bytes:
    """The script injected into a page whose version is `version` and head signature `head`."""
    return (f'<script id="ssg-livereload" data-version="{version}" data-head="{head}">'
            f"{_CLIENT}</script>").encode()


_SCRIPT = re.compile(rb"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
#: A description in the head (`description`, `og:description`, ...): most themes fill it with
#: the page's summary, so a body edit changes it; the client updates it in place instead.
_DESCRIPTION = re.compile(rb"<meta\b[^>]*?\b(?:name|property)\s*=\s*[\"']?[\w:.-]*description"
                          rb"[\"'\s/>][^>]*>", re.IGNORECASE)


#: A stylesheet's `<link>`, its fingerprint (`style.3f2a1b9c04.css`) and its SRI hash: the
#: client swaps a stylesheet whose fingerprint changed in place (reload.js), so they are left
#: out of the head's signature.
_STYLESHEET = re.compile(rb"<link\b[^>]*\bstylesheet\b[^>]*>", re.IGNORECASE)
_FINGERPRINT = re.compile(rb"\.[0-9a-f]{10}(\.css\b)")
_INTEGRITY = re.compile(rb"\sintegrity\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)


def _plain_stylesheet(link: re.Match[bytes]) -> bytes:
    return _INTEGRITY.sub(b"", _FINGERPRINT.sub(rb"\1", link.group(0)))


def head_signature(page: bytes) -> str:
    """Names the page's head (everything up to `</head>`, descriptions and the fingerprints of
    stylesheets aside) and every script in it: an open page whose signature changes reloads
    in full rather than being morphed."""
    head_end = _HEAD_END.search(page)
    head = _DESCRIPTION.sub(b"<meta description>", page[:head_end.end()]) if head_end else b""
    head = _STYLESHEET.sub(_plain_stylesheet, head)
    parts = [head, *_SCRIPT.findall(page)]
    return hashlib.blake2b(b"\0".join(parts), digest_size=8).hexdigest()


_OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;"
    "background:rgba(24,4,4,.94);color:#fff;font:15px/1.5 ui-monospace,monospace;"
    "white-space:pre-wrap;text-align:left"
)
#: What every path answers (503) until a first build exists: the injected client reloads it
#: when the build is done (the refresh is a fallback for a page without its WebSocket).
BUILDING = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            b"<meta http-equiv=\"refresh\" content=\"2\"><title>Building\xe2\x80\xa6</title>"
            b"</head><body><p id=\"ssg-building\">ssg is building the site; this page reloads "
            b"when it is ready.</p></body></html>")
_NOT_FOUND = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Not found</title>"
              b"</head><body><h1>Not found</h1></body></html>")


# --- binding and who may connect -----------------------------------------------------------------

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


# --- serving -------------------------------------------------------------------------------------

class Served(Protocol):
    """What the HTTP side serves: read on every request, so a rebuild shows at once."""

    @property
    def host(self) -> str:
        """The address listened on."""

    @property
    def port(self) -> int:
        """The port listened on."""

    @property
    def root(self) -> Path | None:
        """The folder of the served build; None while no site is built yet (every page
        then says that it is being built, and reloads when it is)."""

    @property
    def base_path(self) -> str:
        """URL path of the site's home page."""

    @property
    def error(self) -> SsgError | None:
        """The last build's error, shown over every page; None after a good build."""


class _ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """LiveReload's WebSocket, for pages of this server only; remembers the page's URL."""

    def initialize(self, site: Served) -> None:
        self.site = site
        self.page_url: str | None = None

    def check_origin(self, origin: str) -> bool:
        return origin_allowed(origin, self.site.host, self.site.port)

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

    def initialize(self, site: Served) -> None:
        self.site = site

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    def compute_etag(self) -> None:
        return None

    def prepare(self) -> None:
        # A page elsewhere can point its own name at 127.0.0.1 (DNS rebinding) and read the
        # site, drafts included: a server on loopback answers loopback names only.
        name = self.request.host_name.strip("[]")
        if is_loopback(self.site.host) and not (
                is_loopback(name) or name.endswith(".localhost")):
            self._send(403, b"Forbidden: unknown Host\n", "text/plain; charset=utf-8",
                       body=self.request.method != "HEAD")

    def get(self) -> None:
        self._respond(body=True)

    def head(self) -> None:
        self._respond(body=False)

    def _respond(self, *, body: bool) -> None:
        site = self.site
        root = site.root
        if root is None:  # nothing built yet: being built, or the first build failed
            if site.error is None:
                self.set_header("Retry-After", "2")
            self._page(503 if site.error is None else 404, None,
                       BUILDING if site.error is None else _NOT_FOUND, body=body)
            return
        target = resolve(root, site.base_path, self.request.path)
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
            status, path = 404, resolve(root, "/", "/404.html").path
            data = _read(path)
            if data is None:
                path, data = None, _NOT_FOUND
        self._page(status, path, data, body=body)

    def _page(self, status: int, path: Path | None, data: bytes, *, body: bool) -> None:
        """Send a file's bytes (`path` None: an HTML page of the server's own), with the
        client and the error overlay injected into HTML."""
        site = self.site
        kind = "text/html" if path is None else (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        if kind == "text/html":
            error = site.error
            version = hashlib.blake2b(data + str(error).encode(), digest_size=8).hexdigest()
            head = head_signature(data)
            data = inject(data, client_script(version, head),
                          overlay_html(error) if error else b"")
            self.set_header(VERSION_HEADER, version)
            self.set_header(HEAD_HEADER, head)
            self.set_header(LENGTH_HEADER, str(len(data)))
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


class _LibraryHandler(web.RequestHandler):
    """Serves idiomorph from the package (never from the network); cached, as its URL names
    its version."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "max-age=86400")
        self.finish(_LIBRARY)


_LIBRARY = LIBRARY_FILE.read_bytes()


class HttpThread:
    """The IOLoop thread: serves `site` on bound sockets until stopped; other threads hand
    it work with `call` (it owns the WebSockets)."""

    def __init__(self, site: Served, sockets: list[socket.socket]):
        self._site = site
        self._sockets = sockets
        self._thread = threading.Thread(target=self._serve, name="ssg-http")
        self._loop: IOLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        """Start serving; SsgError if the server could not start."""
        self._thread.start()
        self._ready.wait()
        if self._loop is None:
            raise SsgError("the HTTP server could not start")

    def call(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback(*args)` on the IOLoop thread (nothing before it has started)."""
        if self._loop is not None:
            self._loop.add_callback(callback, *args)

    def stop(self) -> None:
        """Close every connection and wait for the thread to end."""
        if self._thread.ident is None:
            return  # never started
        if self._loop is not None and self._stopping is not None:
            self._loop.add_callback(self._stopping.set)
        self._thread.join()

    def _serve(self) -> None:
        try:
            asyncio.run(self._serve_async())
        finally:
            self._ready.set()

    async def _serve_async(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(
            [(SOCKET_PATH, _ReloadSocket, {"site": self._site}),
             (CLIENT_PATH, LiveReloadJSHandler),
             (LIBRARY_PATH.split("?")[0], _LibraryHandler),
             (r"/.*", _SiteHandler, {"site": self._site})],
            log_function=lambda _handler: None,
        )
        server = httpserver.HTTPServer(app)
        server.add_sockets(self._sockets)
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


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None
