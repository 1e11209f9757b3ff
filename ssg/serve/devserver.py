"""`ssg serve`: build the site into a private folder, serve it over HTTP, rebuild on every save.

The session starts from the site's build cache and builds into a folder kept in it (a
temporary one while another server of the same site has it), so a restart is an incremental
build; the session is written back to the cache when the server stops, so the next
`ssg build` is incremental too.

Three threads share the work:

- the main thread builds: the first build, then one rebuild per batch of changes that the
  watcher (ssg.serve.watch) hands over, so Ctrl-C (KeyboardInterrupt) stops a build where it is;
- watchdog's observer thread collects changed paths;
- the IOLoop thread (ssg.serve.http) serves the site, injecting the LiveReload client into
  every HTML page, and speaks the LiveReload protocol.

The server only calls the build (ssg.build's BuildOptions, Session, watched_folders and
static_dest); what to reload after a build is ssg.serve.reload's. A failed build leaves the
last good site in place, with an overlay naming the error on every page until a build succeeds
again.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from ssg.build import (
    BuildAbandoned,
    BuildOptions,
    BuildResult,
    Session,
    built_output,
    config_changed,
    prepare_quick,
    server_started,
    static_dest,
    watched_folders,
)
from ssg.build import build as run_build
from ssg.config import CONFIG_FILE, Config, load_config
from ssg.errors import SsgError
from ssg.mkdocs import MKDOCS_FILES
from ssg.serve.http import HttpThread, bind, is_loopback, url_host
from ssg.serve.reload import ReloadPlan, ServedFiles, plan_reload, send_reloads
from ssg.serve.watch import Watcher, modified_since

log = logging.getLogger("ssg")

#: Seconds after a build's reloads are sent before its links are checked (which holds the
#: interpreter, and would slow down the server answering the pages' fetches).
LINKS_AFTER = 0.3
#: A build during which sources changed is abandoned (the next batch builds them), unless
#: builds have been abandoned ABANDON_TIMES in a row over ABANDON_FOR seconds: a stream of
#: saves that never pauses still shows.
ABANDON_FOR = 2.0
ABANDON_TIMES = 2


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
        self.poll = poll
        self.open_browser = open_browser
        self._report = report or (lambda exc: log.error("%s", exc))
        # Fingerprinted like `ssg build`, so what is served is what deploys (the client swaps
        # a stylesheet whose name changed); never minified, so it stays readable.
        self.options = BuildOptions(drafts=drafts, cache=False, links_later=True,
                                    minify=False)
        self.config: Config | None = None
        #: The last build's (or config's) error, shown over every page until fixed.
        self.error: SsgError | None = None
        self._config_failed = False
        #: Replaced by one read from the site's cache when the server starts.
        self._session = Session()
        #: The last good build (what made each served file).
        self._result: BuildResult | None = None
        self._served = ServedFiles()
        #: The last build's link report, not run yet.
        self._links: Callable[[], None] | None = None
        #: Whether the session has yet to work out what its next quick rebuild needs first
        #: (after a full build, once the open pages have their update).
        self._prepare = False
        self._tmp: Path | None = None
        #: The folder answering requests: None until a whole site exists (a page saying the
        #: site is being built answers), then a stand-in (the last run's build, or what
        #: `ssg build` left in output/) until the first build of this run, then `out`.
        self.root: Path | None = None
        #: The config's own output folder (`ssg build`'s), a stand-in at start-up.
        self._built: Path | None = None
        #: True during the first build (its site is served once watching has started).
        self._starting = False
        #: True when the served folder is a temporary one (deleted on stop).
        self._temporary = True
        self._http: HttpThread | None = None
        self._watcher: Watcher | None = None
        #: Builds abandoned since the last commit, and when the first one was.
        self._abandoned: list[float] = []

    @property
    def out(self) -> Path:
        """The served build (in the site's cache, or a temporary folder; never output/)."""
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

    # --- lifecycle ---

    def run(self) -> None:
        """Serve until Ctrl-C (or SIGTERM); returns once every thread has stopped."""
        if not self.site_dir.is_dir():
            raise SsgError("site folder does not exist", path=self.site_dir)
        sockets, self.port = bind(self.host, self.port, explicit=self.port_explicit)
        watcher = self._watcher = Watcher(self._relevant, poll=self.poll)
        previous = _stop_on_sigterm()
        try:
            self._start(watcher, HttpThread(self, sockets))
            while True:
                waiting = self._links is not None or self._prepare
                batch = watcher.next_batch(LINKS_AFTER if waiting else None)
                if batch:
                    self._links = None
                    self._on_changes(batch, watcher)
                elif self._links is not None:
                    self._report_links()
                elif self._prepare:
                    self._prepare = False
                    prepare_quick(self._session)
        except KeyboardInterrupt:
            pass
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: still clean
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            watcher.stop()
            if self._http is not None:
                self._http.stop()
            for sock in sockets:
                sock.close()
            self._session.save()  # the next build or server starts from it
            if self._tmp is not None and self._temporary:
                _remove_tree(self._tmp)
            _restore_signals(previous)
        log.info("Stopped.")

    def _start(self, watcher: Watcher, http: HttpThread) -> None:
        """Serving at once, then the first build, then watching (changes made during the
        first build are queued for the next one). Until the first build is done a whole site
        built before answers: the last run's build, else the one `ssg build` left in the
        output folder; with neither, a page saying the site is being built, which reloads
        when it is. The first build (incremental when the cache allows) then reloads what
        changed."""
        self._tmp = self._served_folder()
        started_ns = time.time_ns()
        loaded = self._load_config()
        if loaded:
            self.root = self._stand_in()
        self._serve(http)
        self._session = Session.from_cache(self.site_dir)  # seconds on a large site
        if loaded:
            self._starting = True
            try:
                self._build_and_reload(set())
            finally:
                self._starting = False
        watcher.start()
        self._watch(watcher)
        watcher.add(modified_since(started_ns, self._config_files(), self._sources()))
        if self._result is not None and self.root != self.out:
            self.root = self.out  # the first build, served once every change is seen
            self._reload(ReloadPlan(everything=True))

    def _stand_in(self) -> Path | None:
        """A whole site to serve until this run's first build is done (None: none exists).

        Both are only ever swapped in whole. `ssg build`'s differs from what the server
        builds in its settings (links to the server, not minified, drafts with --drafts),
        so the first build renders its pages again; until then it shows the site as built.
        """
        if not self._temporary and self.out.is_dir():
            return self.out
        if self.config is not None and self._built is not None:
            return built_output(replace(self.config, output_dir=self._built))
        return None

    def _serve(self, http: HttpThread) -> None:
        """Start answering requests."""
        self._http = http
        http.start()
        log.info("Serving %s at %s (Ctrl-C to stop)", self.site_dir.name, self.url)
        if self.config is not None:
            try:
                server_started(self.config, self.url)
            except SsgError as exc:  # a plugin's failure: said, the site is served anyway
                self._report(exc)
        if not is_loopback(self.host):
            log.warning("listening on %s: the site, drafts included, can be seen by "
                        "every machine on the network that reaches this one",
                        self.host or "every address")
        if self.open_browser and not webbrowser.open(self.url):
            log.warning("could not open a web browser; visit %s", self.url)

    def _served_folder(self) -> Path:
        """The folder whose `site` is served: the session's in the cache, else a temporary
        one."""
        kept = Session(site_dir=self.site_dir).output_dir()
        if kept is not None:
            self._temporary = False
            return kept.parent
        return Path(tempfile.mkdtemp(prefix="ssg-serve-"))

    # --- building ---

    def _on_changes(self, batch: set[Path], watcher: Watcher) -> None:
        """Bring the served build up to date with a batch of changed sources."""
        if (batch.intersection(self._config_files()) or self._config_failed
                or (self.config is not None and config_changed(self.config, batch))):
            if not self._load_config():
                return
            log.info("Reloaded %s", self.config.config_file if self.config else CONFIG_FILE)
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
            config = load_config(self.site_dir)
        except SsgError as exc:
            self._config_failed = True
            self._fail(exc)
            return False
        self._built = config.output_dir
        base = f"http://{url_host(self.host)}:{self.port}{config.base_path}"
        # Every link points at this server; built where the next run finds it.
        self.config = replace(config, base_url=base, output_dir=self.out.resolve())
        self._config_failed = False
        return True

    def _build_and_reload(self, changed: set[Path]) -> None:
        """Rebuild, then reload the open pages that changed (or show the error)."""
        if self.config is None:
            return
        try:
            dests = self._rebuild(changed)
        except BuildAbandoned:
            log.info("Sources changed during the build: building again")
            return
        except SsgError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # a bug in ssg: keep serving, say what happened
            log.error("internal error while building: %r", exc)
            traceback.print_exception(exc)
            self._session = Session.from_cache(self.site_dir)  # memory is not trusted now
            self._fail(SsgError(f"internal error: {exc!r} (see the terminal)"))
            return
        gone = {dest for dest in dests if not (self.out / dest).is_file()}
        plan = plan_reload(dests, self.base_path, gone=gone)
        # Warnings only: reported once the open pages have fetched their update (LINKS_AFTER
        # seconds without a change), or left to the next build when a change comes first.
        self._links = self._result.report_links if self._result is not None else None
        self._prepare = self._result is not None  # at once when already done
        if self.error is not None or self.root != self.out:
            self.error = None
            plan = ReloadPlan(everything=True)
            if self.root != self.out and self._starting:
                return  # shown once the watcher runs (_start)
            self.root = self.out  # the build of this run, from now on
        self._reload(plan)

    def _rebuild(self, changed: set[Path]) -> set[str]:
        """Build the site into the served folder; the output files whose bytes changed.

        `changed` (the sources changed since the last build) lets the build take its quick
        path when only page bodies changed; it checks everything else itself.
        """
        assert self.config is not None
        started = time.monotonic()

        def abandon() -> bool:
            # A file read while an editor was writing it may be half of it: a build that saw
            # a change while it ran is not committed, unless builds have been abandoned for
            # ABANDON_FOR seconds (saves that never pause must still show).
            if self._watcher is None or not self._watcher.changed_since(started):
                return False
            now = time.monotonic()
            if (len(self._abandoned) >= ABANDON_TIMES
                    and now - self._abandoned[0] >= ABANDON_FOR):
                return False
            self._abandoned.append(now)
            return True

        result = run_build(self.config, replace(self.options, abandon=abandon), self._session,
                           changed=changed)
        self._abandoned = []
        self._result = result
        dests = self._served.changed_by(result, self.out)
        log.info("Built %s pages in %.2f s (%s files changed)", f"{result.pages:,}",
                 result.seconds, f"{len(dests):,}")
        return dests

    def _report_links(self) -> None:
        """Warn about the last build's broken links."""
        report, self._links = self._links, None
        try:
            if report is not None:
                report()
        except Exception as exc:  # a bug in ssg: the build itself succeeded
            log.error("internal error while checking links: %r", exc)

    def _fail(self, exc: SsgError) -> None:
        """Show a build or config error in the terminal and over every open page."""
        changed = self.error is None or str(self.error) != str(exc)
        self.error = exc
        if changed:
            self._reload(ReloadPlan(everything=True))
        self._report(exc)

    def _static_changes(self, batch: set[Path]) -> dict[str, Path] | None:
        """dest -> source when every change is an edit of a static file that the served
        build copied as is; None when the batch needs a build."""
        if self.config is None or self.error is not None or self._result is None:
            return None
        found: dict[str, Path] = {}
        for path in batch:
            dest = static_dest(self.config, path, self._result)
            if dest is None:
                return None
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
            if not self._served.note(dest, data):
                continue
            target = self.out / dest
            tmp = target.with_name(f".{target.name}.ssg-{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
            changed.add(dest)
        if changed:
            log.info("Copied %s", ", ".join(sorted(changed)))
        return changed

    def _reload(self, plan: ReloadPlan) -> None:
        """Hand the reload over to the IOLoop thread (it owns the WebSockets)."""
        if plan and self._http is not None:
            self._http.call(send_reloads, plan, self.base_path)

    # --- watching ---

    def _config_files(self) -> list[Path]:
        """The files the settings may come from: ssg.toml, else an MkDocs site's mkdocs.yml."""
        return [self.site_dir / name for name in (CONFIG_FILE, *MKDOCS_FILES)]

    def _sources(self) -> list[Path]:
        """The folders the build reads (none before a config has loaded)."""
        return watched_folders(self.config) if self.config is not None else []

    def _relevant(self, path: Path) -> bool:
        """True for the config file and anything inside the folders a build reads."""
        if path in self._config_files():
            return True
        if self._tmp is not None and path.is_relative_to(self._tmp):
            return False
        return any(path.is_relative_to(folder) for folder in self._sources())

    def _watch(self, watcher: Watcher) -> None:
        """Watch the source folders that exist now; the site folder itself for the config
        file and for source folders that appear later."""
        watcher.watch([f for f in self._sources() if f.is_dir()], [self.site_dir])


def serve(site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000,
          port_explicit: bool = False, drafts: bool = False, poll: bool = False,
          open_browser: bool = False, report: Callable[[SsgError], None] | None = None
          ) -> None:
    """Serve SITE_DIR live until Ctrl-C (see DevServer); SsgError if it cannot start."""
    DevServer(site_dir, host=host, port=port, port_explicit=port_explicit, drafts=drafts,
              poll=poll, open_browser=open_browser, report=report).run()


def _remove_tree(tree: Path) -> None:
    """Delete a folder, even while a build's background `rm` still empties part of it."""
    for _ in range(20):
        shutil.rmtree(tree, ignore_errors=True)
        if not tree.exists():
            return
        time.sleep(0.05)


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
