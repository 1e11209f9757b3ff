"""`ssg serve` under hostile requests, load during rebuilds and source trees changing under it.

A real server in a subprocess on a loopback port (test_server's `Served`), spoken to with raw
sockets so that nothing normalises a request on the way. Each test is bounded in time; the
module takes well under a minute. SSG_LONG_TESTS=1 runs the load test for 60 s instead of
15 s and the fault test with more pages and more rounds.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_server import TIMEOUT, Served, serving, wait_until

LONG = os.environ.get("SSG_LONG_TESTS") == "1"
SECRET = "s3cr3t-beside-the-site-7f1c"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ssg serve` on a test site: serve(files, *args)."""
    yield from serving(tmp_path)


def pages_site(count: int, *, body: str = "Body") -> dict[str, str]:
    """A site of `count` pages whose base template carries a build marker (see `marked`)."""
    files = {"ssg.toml": 'title = "Load"\n', "templates/base.html": marked(0)}
    for i in range(count):
        files[f"content/p{i}.md"] = f"---\ntitle: Page {i}\n---\n{body} {i}.\n"
    return files


def marked(build: int) -> str:
    """A base template with build number `build` first in the head and last in the body."""
    mark = f'<meta name="ssg-test-build" content="{build}">'
    return ("<!DOCTYPE html>\n<html><head>" + mark + "<title>{% block title %}"
            "{% endblock %}</title></head>\n<body>{% block content %}{% endblock %}\n"
            + mark + "</body>\n</html>\n")


def raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or `timeout`); the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass  # the server may close before it has read everything
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def raw_get(port: int, path: bytes, headers: bytes = b"") -> bytes:
    return raw(port, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
               + b"Connection: close\r\n\r\n")


def status_of(answer: bytes) -> int | None:
    """The status code of a raw answer, None if the server closed without one."""
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


def alive(served: Served) -> bool:
    status, _, body = served.get("/p1/")
    return served.proc.poll() is None and status == 200 and "Page 1" in body


# --- hostile requests --------------------------------------------------------------------------

def test_no_spelling_of_a_path_leaves_the_served_build(serve: Callable[..., Served],
                                                       tmp_path: Path) -> None:
    served = serve(pages_site(3))
    secret = tmp_path / "secret.txt"  # beside the site folder, and above the served build
    secret.write_text(SECRET)
    up = "../" * 12
    target = str(secret).lstrip("/")
    spellings = [
        f"/{up}{target}", f"/{up.replace('..', '%2e%2e')}{target}",
        f"/{up.replace('..', '%252e%252e')}{target}",
        f"/{up.replace('../', '..%5c')}{target.replace('/', '%5c')}",
        f"/{up.replace('../', '..%2f')}{target}",
        f"/{up.replace('/', chr(92))}{target.replace('/', chr(92))}",
        f"/{up.replace('..', '%c0%ae%c0%ae')}{target}",
        f"/{up.replace('/', '%c0%af')}{target}",
        f"/{up.replace('..', '.%2e')}{target}", f"/p1/{up}{target}",
        f"/{str(secret)}", f"//{target}", str(secret), f"file://{secret}",
        f"http://127.0.0.1:{served.port}/{up}{target}", "//etc/passwd", "/etc/passwd",
        "/%00", f"/%00/{up}{target}", f"/{up}{target}%00.html", "/p1/%00/",
    ]
    for spelling in spellings:
        answer = raw_get(served.port, spelling.encode())
        assert SECRET.encode() not in answer and b"root:x:" not in answer, spelling
        assert status_of(answer) in (None, 301, 302, 400, 403, 404), (spelling, answer[:200])
        if status_of(answer) in (301, 302):
            location = answer.split(b"\r\nLocation: ", 1)[1].split(b"\r\n", 1)[0]
            assert location.startswith(b"/") and not location.startswith(b"//"), spelling
    for path in (b"/\x00", b"/p1/\x00/", b"/" + up.encode() + target.encode() + b"\x00",
                 b"/" + up.replace("/", "\\").encode() + target.encode()):
        answer = raw_get(served.port, path)
        assert SECRET.encode() not in answer, path
        assert status_of(answer) in (None, 400, 403, 404), (path, answer[:200])
    assert alive(served)


def test_only_loopback_host_names_are_answered(serve: Callable[..., Served]) -> None:
    """A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) reads nothing."""
    served = serve(pages_site(3))
    for host in (b"evil.example", b"evil.example:%d" % served.port, b"192.168.1.7"):
        answer = raw(served.port, b"GET /p1/ HTTP/1.1\r\nHost: " + host
                     + b"\r\nConnection: close\r\n\r\n")
        assert status_of(answer) == 403 and b"Page 1" not in answer, host
    for host in (b"localhost:%d" % served.port, b"127.0.0.1", b"[::1]:%d" % served.port):
        answer = raw(served.port, b"GET /p1/ HTTP/1.1\r\nHost: " + host
                     + b"\r\nConnection: close\r\n\r\n")
        assert status_of(answer) == 200 and b"Page 1" in answer, host


def test_oversized_requests_get_a_4xx_or_a_closed_connection(
        serve: Callable[..., Served]) -> None:
    served = serve(pages_site(3))
    huge_url = b"/" + b"a" * 100_000
    long_header = b"X-Long: " + b"b" * 100_000 + b"\r\n"
    many_headers = b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(5000))
    for answer in (raw_get(served.port, huge_url), raw_get(served.port, b"/", long_header),
                   raw_get(served.port, b"/", many_headers)):
        status = status_of(answer)
        assert status is None or 400 <= status < 500, answer[:200]
    assert alive(served)


def test_slow_and_silent_clients_do_not_block_others(serve: Callable[..., Served]) -> None:
    served = serve(pages_site(3))
    silent = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(30)]
    request = b"GET /p2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    slow_answer: list[bytes] = []

    def trickle() -> None:
        with socket.create_connection(("127.0.0.1", served.port), timeout=TIMEOUT) as sock:
            for i in range(len(request)):
                sock.sendall(request[i:i + 1])
                time.sleep(3.0 / len(request))
            slow_answer.append(sock.recv(65536))

    slow = threading.Thread(target=trickle)
    slow.start()
    try:
        for _ in range(5):  # while the slow request trickles in and the silent ones wait
            started = time.monotonic()
            assert alive(served)
            assert time.monotonic() - started < 2.0
            time.sleep(0.3)
    finally:
        slow.join(timeout=TIMEOUT)
        for sock in silent:
            sock.close()
    assert slow_answer and slow_answer[0].startswith(b"HTTP/1.1 200"), slow_answer
    assert alive(served)


def test_many_open_websockets_and_normal_requests(serve: Callable[..., Served]) -> None:
    served = serve(pages_site(3))
    origin = f"http://127.0.0.1:{served.port}"
    sockets = []
    try:
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=TIMEOUT)
            sockets.append(sock)
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall((f"GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n"
                          f"Origin: {origin}\r\n\r\n").encode())
        for sock in sockets:
            assert sock.recv(4096).startswith(b"HTTP/1.1 101"), "handshake refused"
        for _ in range(10):
            assert alive(served)
        # An edit is sent to every socket while they are all open; the server keeps going.
        (served.site / "content/p1.md").write_text("---\ntitle: Page 1\n---\nEdited 1.\n")
        wait_until(lambda: "Edited 1." in served.get("/p1/")[2], "the edit to be served")
    finally:
        for sock in sockets:
            sock.close()
    assert alive(served)


# --- load while rebuilding ----------------------------------------------------------------------

#: Run in its own process: GET the paths from many threads for a while; print a JSON summary.
LOAD = r"""
import http.client, json, re, sys, threading, time
port, seconds, workers = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
paths = sys.argv[4:]
mark = re.compile(rb'<meta name="ssg-test-build" content="(\d+)">')
lock = threading.Lock()
done, failures, builds = [0], [], set()
deadline = time.monotonic() + seconds

def work(n):
    i = n
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            conn.close()
        except Exception as exc:
            with lock:
                failures.append(f"{path}: {exc!r}")
            continue
        found = mark.findall(body)
        problem = None
        if response.status != 200:
            problem = f"status {response.status}"
        elif not body.rstrip().endswith(b"</html>"):
            problem = f"incomplete: ...{body[-80:]!r}"
        elif len(found) != 2 or found[0] != found[1]:
            problem = f"mixed builds {found}"
        with lock:
            done[0] += 1
            builds.update(found)
            if problem:
                failures.append(f"{path}: {problem}")

threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"done": done[0], "failures": failures[:20], "failed": len(failures),
                  "builds": len(builds)}))
"""


def test_load_from_another_process_while_the_site_rebuilds(
        serve: Callable[..., Served], tmp_path: Path) -> None:
    served = serve(pages_site(30))
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    seconds = 60 if LONG else 15
    paths = ["/", *(f"/p{i}/" for i in range(30))]
    load = subprocess.Popen([sys.executable, str(script), str(served.port), str(seconds), "30",
                             *paths], stdout=subprocess.PIPE, text=True)
    build = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and load.poll() is None:
        build += 1
        (served.site / "templates/base.html").write_text(marked(build))
        time.sleep(0.3)
    out, _ = load.communicate(timeout=seconds + TIMEOUT)
    summary = json.loads(out)
    assert summary["failed"] == 0, summary
    assert summary["done"] >= 200, summary
    assert summary["builds"] >= 3, f"too few rebuilds were seen under load: {summary}"
    wait_until(lambda: f'content="{build}"' in served.get("/p3/")[2], "the last build")
    assert alive(served)


def test_a_build_that_saw_a_save_while_it_ran_is_never_served(
        serve: Callable[..., Served]) -> None:
    # A file read during a save may be half of it (an editor truncates, then writes): the
    # build that read it must not be published, the next one must. A slow template is saved,
    # then, while its build runs (each of its pages takes half a second or more), the final one:
    # the slow one must never be served.
    served = serve(pages_site(2))
    seen: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            body = served.get("/p0/")[2]
            seen.update(part.split('"', 1)[0] for part in body.split('content="')[1:])

    poller = threading.Thread(target=watch, daemon=True)
    poller.start()
    template = served.site / "templates/base.html"
    slow_loop = "{% for i in range(8000000) %}{% endfor %}"
    try:
        template.write_text(marked(1).replace("</body>", slow_loop + "</body>"))
        time.sleep(0.5)  # the slow build has started (the watcher waits 0.05 s)
        template.write_text(marked(2))
        wait_until(lambda: "2" in seen, "the final build", timeout=180)
        time.sleep(0.5)
    finally:
        stop.set()
        poller.join(TIMEOUT)
    assert "Sources changed during the build" in served.output, served.output
    assert "1" not in seen, f"a build that saw a save was served: {sorted(seen)}"
    assert alive(served)


# --- source trees changing under the server -----------------------------------------------------

def test_sources_changing_during_rebuilds_end_in_the_final_state(
        serve: Callable[..., Served], tmp_path: Path) -> None:
    count = 800 if LONG else 300
    served = serve(pages_site(count))
    content = served.site / "content"

    # Writes spread over rebuilds of the whole site: each save of the template rebuilds every
    # page, and the page edits, spaced further apart than the watcher's quiet time, land
    # while that build (or the one before) runs.
    rounds = 6 if LONG else 3
    for r in range(rounds):
        (served.site / "templates/base.html").write_text(marked(r + 1))
        time.sleep(0.1)
        for i in range(0, count, count // 10):
            (content / f"p{i}.md").write_text(f"---\ntitle: Page {i}\n---\nRound {r} {i}.\n")
            time.sleep(0.07)
    last = rounds - 1
    for i in range(0, count, count // 10):
        wait_until(lambda i=i: f"Round {last} {i}." in served.get(f"/p{i}/")[2],
                   f"page {i} of round {last}")
    wait_until(lambda: f'content="{rounds}"' in served.get("/p5/")[2], "the last template")

    # A folder deleted and made again with other pages.
    (content / "sub").mkdir()
    (content / "sub/a.md").write_text("---\ntitle: A\n---\nSub A.\n")
    wait_until(lambda: "Sub A." in served.get("/sub/a/")[2], "the new folder")
    shutil.rmtree(content / "sub")
    (content / "sub").mkdir()
    (content / "sub/b.md").write_text("---\ntitle: B\n---\nSub B.\n")
    wait_until(lambda: "Sub B." in served.get("/sub/b/")[2], "the recreated folder")
    wait_until(lambda: served.get("/sub/a/")[0] == 404, "the deleted page to go")

    # The whole content/ replaced, like `git checkout` of another branch.
    other = tmp_path / "other-content"
    for i in range(20):
        (other / "q").mkdir(parents=True, exist_ok=True)
        (other / f"q/n{i}.md").write_text(f"---\ntitle: New {i}\n---\nOther branch {i}.\n")
    content.rename(served.site / "content-old")
    shutil.copytree(other, content)
    wait_until(lambda: "Other branch 19." in served.get("/q/n19/")[2], "the new content/",
               timeout=30)
    wait_until(lambda: served.get("/p1/")[0] == 404, "the old pages to go", timeout=30)
    shutil.rmtree(served.site / "content-old")
    (content / "q/n3.md").write_text("---\ntitle: New 3\n---\nEdited after checkout.\n")
    wait_until(lambda: "Edited after checkout." in served.get("/q/n3/")[2],
               "an edit inside the new content/")
    assert served.proc.poll() is None
    assert "Traceback" not in served.output, served.output


def test_template_saved_during_a_quick_rebuild_is_applied(serve: Callable[..., Served]) -> None:
    served = serve(pages_site(300))
    content = served.site / "content"
    for r in range(3):
        for i in range(0, 300, 30):
            (content / f"p{i}.md").write_text(f"---\ntitle: Page {i}\n---\nRound {r} {i}.\n")
            time.sleep(0.07)  # past the watcher's quiet time: each edit is a quick rebuild
        (served.site / "templates/base.html").write_text(marked(r + 1))
        wait_until(lambda r=r: f'content="{r + 1}"' in served.get("/p5/")[2],
                   f"template {r + 1}", timeout=30)
