"""Which open pages a change of the served build updates, and telling them (LiveReload).

After a build, the open pages whose output bytes changed are updated in place (ssg's client
fetches the page again and morphs it into the open one; see ssg/serve/client/reload.js);
changed stylesheets and images are swapped in place; feeds, sitemaps and the search index
change nothing; any other asset (a script, a font) reloads every open page in full.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler

from ssg.build import BuildResult
from ssg.output.writer import MARKER
from ssg.serve.http import PAGE_PATH

#: Files no page embeds: a change to them alone reloads nothing.
_UNSEEN = (".xml", ".txt", ".map", "feed.json")  # files no page shows: feeds, sitemaps
#: Files LiveReload's client swaps in place (liveCSS, liveImg) without reloading the page.
_SWAPPABLE = (".css", ".jpg", ".jpeg", ".png", ".gif")


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


def plan_reload(changed: Iterable[str], base_path: str, *,
                gone: Collection[str] = frozenset()) -> ReloadPlan:
    """The reloads that output files changed (or removed: `gone`) since the last reload call
    for. A stylesheet or image that is gone is swapped into no page (a fingerprinted one's
    new name is among the changed files)."""
    pages: set[str] = set()
    swaps: list[str] = []
    everything = False
    for dest in sorted(changed):
        lower = dest.lower()
        if dest == MARKER or dest.startswith("search/") or lower.endswith(_UNSEEN):
            continue  # the search index is fetched when searching, not when a page loads
        if lower.endswith((".html", ".htm")):
            pages.add(dest)
        elif lower.endswith(_SWAPPABLE):
            if dest not in gone:
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


def send_reloads(plan: ReloadPlan, base_path: str) -> None:
    """Tell each open page what to reload (runs on the IOLoop): "*" reloads it in full,
    PAGE_PATH updates it in place, a stylesheet's or image's URL path swaps that file."""
    for waiter in list(LiveReloadHandler.waiters):
        url = getattr(waiter, "page_url", None)
        dest = dest_for_url(url, base_path) if url else None
        paths: Iterable[str]
        if plan.everything or (plan.pages and dest is None):
            paths = ("*",)
        elif dest in plan.pages:
            # Stylesheets first: the morphed page uses them as they are now.
            paths = (*plan.swaps, PAGE_PATH)
        else:
            paths = plan.swaps
        for path in paths:
            waiter.send_message({"command": "reload", "path": path, "liveCSS": True,
                                 "liveImg": True})


class ServedFiles:
    """The hash of every file of the served build, to tell which ones a build changed.

    An incremental build says what it changed (BuildResult.written and removed); a full build
    lists every file as written and none as removed, so its output is hashed and compared.
    """

    def __init__(self) -> None:
        self._hashes: dict[str, str] = {}

    def changed_by(self, result: BuildResult, out: Path) -> set[str]:
        """The files of `out` that the build which gave `result` changed or removed."""
        if result.full:
            hashes = {dest: _hash_file(path) for dest, path in _files(out)}
            old, self._hashes = self._hashes, hashes
            return ({dest for dest, value in hashes.items() if old.get(dest) != value}
                    | (set(old) - set(hashes)))
        for dest in result.removed:
            self._hashes.pop(dest, None)
        for dest in result.written:
            self._hashes[dest] = _hash_file(out / dest)
        return {*result.written, *result.removed}

    def note(self, dest: str, data: bytes) -> bool:
        """Record `data` as the bytes of `dest`; False when they already were."""
        digest = _digest(data)
        if self._hashes.get(dest) == digest:
            return False
        self._hashes[dest] = digest
        return True


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _hash_file(path: Path) -> str:
    try:
        return _digest(path.read_bytes())
    except OSError:
        return "missing"


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """(POSIX path relative to root, path) of every file of the served build but its marker."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        here = Path(folder)
        rel = here.relative_to(root).as_posix()
        for name in filenames:
            if rel == "." and name == MARKER:
                continue
            yield (name if rel == "." else f"{rel}/{name}"), here / name
