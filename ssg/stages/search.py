"""Full-text search: the finished pages are indexed by Pagefind into the site's /pagefind/.

The index is made from the pages' final HTML after rendering and goes live with them through
the stage. Pagefind's output depends only on the HTML it reads, so the same pages always give
the same index, and an incremental build rebuilds it whenever a page's HTML changed.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ssg.config import Config
from ssg.errors import OutputError, SsgError

log = logging.getLogger("ssg")

#: The output folder of the search bundle (Pagefind's UI, scripts and index).
BUNDLE_DIR = "pagefind"
#: Pagefind's own words for "no page had any text to index".
_EMPTY_INDEX = "not able to build an index"
#: A search index of a huge site takes seconds; this only stops a hung binary.
_TIMEOUT = 600


def find_engine() -> Path | None:
    """The Pagefind binary from the `pagefind[bin]` package, or None when it is missing."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    path = get_executable()
    return path if path is not None and path.is_file() else None


@dataclass(frozen=True)
class Engine:
    """The Pagefind binary a build indexes with."""

    path: Path
    #: Changes when the binary does: part of the build's fingerprint.
    identity: str


def prepare_search(config: Config) -> tuple[Config, Engine | None]:
    """The config a build uses, and the engine when the build makes a search index.

    With search on but Pagefind missing, logs one warning and turns search off for the build,
    so themes leave their search box out.
    """
    if not config.search:
        return config, None
    path = find_engine()
    if path is None:
        log.warning("search is on but Pagefind is not installed (pip install 'pagefind[bin]'); "
                    "building without a search index")
        return replace(config, search=False), None
    st = path.stat()
    return config, Engine(path, f"{path}:{st.st_size}:{st.st_mtime_ns}")


def check_reserved(dests: Iterable[tuple[str, str]]) -> None:
    """No file of the site may be written where the search bundle goes."""
    for dest, origin in dests:
        if dest == BUNDLE_DIR or dest.startswith(BUNDLE_DIR + "/"):
            raise OutputError(f"{origin}: output path {dest!r} is reserved for the search index "
                              "(set search = false in ssg.toml to use it)")


def touches_pages(changed: Iterable[str], removed: Iterable[str]) -> bool:
    """True when an HTML file changed or went away: the index must be made again."""
    return any(dest.endswith(".html") for group in (changed, removed) for dest in group)


def index_pages(engine: Path, pages: Iterable[str], read: Callable[[str], bytes]
                ) -> dict[str, bytes]:
    """Run Pagefind over the pages' HTML; the bundle's files by dest (`pagefind/...`).

    `read` gives the bytes of a page by dest. No pages (or no text in them) give no index.
    """
    with tempfile.TemporaryDirectory(prefix="ssg-search-") as tmp:
        site = Path(tmp, "site")
        bundle = Path(tmp, "bundle")
        made: set[Path] = set()
        count = 0
        for dest in pages:
            if not dest.endswith(".html"):
                continue
            target = site / dest
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            try:
                target.write_bytes(read(dest))
            except OSError as exc:
                raise OutputError(f"cannot read {dest} for the search index: "
                                  f"{exc.strerror or exc} (ssg build --no-cache rebuilds all)"
                                  ) from exc
            count += 1
        if count == 0:
            return {}
        try:
            proc = subprocess.run(
                [str(engine), "--site", str(site), "--output-path", str(bundle), "--silent"],
                cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=_TIMEOUT, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SsgError(f"search index: cannot run Pagefind ({engine}): {exc}") from exc
        if proc.returncode != 0:
            output = (proc.stderr + proc.stdout).strip()
            if _EMPTY_INDEX in output:
                log.warning("search index: no text to index in %s pages", f"{count:,}")
                return {}
            last = output.splitlines()[-1] if output else f"exit status {proc.returncode}"
            raise SsgError(f"search index: Pagefind failed: {last} "
                           "(set search = false in ssg.toml to build without search)")
        return {f"{BUNDLE_DIR}/{path.relative_to(bundle).as_posix()}": path.read_bytes()
                for path in sorted(bundle.rglob("*")) if path.is_file()}
