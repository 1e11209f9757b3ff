"""The build pipeline: load config -> discover -> parse -> assemble -> plan -> Markdown ->
render -> search index -> write.

`build()` runs it as a list of named, timed stages. Two front ends make the site model: the
normal one (discover, parse, assemble, plan, Markdown) and, for the dev server's saves that
change only page bodies, the quick one (ssg.incremental.quick). One back half renders what is
stale, indexes, commits and keeps the state. Every stage asks one reuse object
(ssg.incremental.reuse) what is still current: the on-disk cache, the dev server's session, or
nothing.
"""

from __future__ import annotations

import gc
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ssg.config import Config
from ssg.incremental.fingerprints import (
    QUICK_KINDS,
    Fingerprints,
    OutputState,
    carry_index,
    index,
    readers,
    stale_tasks,
    update_state,
)
from ssg.incremental.inputs import replay, save_inputs, unchanged_build
from ssg.incremental.quick import prepare as prepare_quick
from ssg.incremental.quick import quick_front
from ssg.incremental.reuse import Front, Reuse, Session, SessionReuse, open_reuse
from ssg.incremental.state import CACHE_DIR
from ssg.output.writer import (
    Stage,
    check_dests,
    check_output_dir,
    output_build_id,
    static_files,
    theme_static_label,
)
from ssg.parallel import default_jobs, map_ranges
from ssg.plugins.host import SITE_PLUGINS
from ssg.stages import keys
from ssg.stages.assemble import Site, Visibility, assemble, shaped
from ssg.stages.bodies import CHUNK_MAX, PARALLEL_MIN, render_bodies
from ssg.stages.data import DATA_DIR, load_data
from ssg.stages.discover import discover
from ssg.stages.hooks import apply_documents, assembled_data, extra_files
from ssg.stages.images import (
    asset_files,
    dest_of_url,
    image_sources,
    process_images,
    report_problems,
)
from ssg.stages.keys import Key, digest, digest_bytes
from ssg.stages.languages import I18N_DIR
from ssg.stages.markdown import Content, Ref
from ssg.stages.parse import Document, parse_sources
from ssg.stages.plan import Task, plan
from ssg.stages.render import (
    Progress,
    Renderer,
    markdown_docs,
    page_search_record,
    report_links,
)
from ssg.stages.search import (
    FORMAT,
    SEARCH_DIR,
    check_reserved,
    language_index_files,
    merge_records,
)
from ssg.stages.search_text import RecordLost, SearchRecord
from ssg.stages.templates import template_ids
from ssg.utils import Timer, dest_for_path, quote_url_path

__all__ = ["BuildOptions", "BuildResult", "Session", "build", "config_changed", "prepare_quick",
           "server_started", "static_dest", "watched_folders"]


@dataclass(frozen=True)
class BuildResult:
    """What a finished build did."""

    #: Published pages.
    pages: int
    #: Files the site has.
    files: int
    #: Files rendered this time (all of them in a full build).
    rendered: int
    #: Output files whose bytes changed (new ones included), POSIX paths.
    written: tuple[str, ...]
    #: Output files deleted because their page is gone.
    removed: tuple[str, ...]
    #: True when the whole output folder was written anew.
    full: bool
    #: Seconds for the whole build.
    seconds: float
    #: Seconds per named step.
    timings: dict[str, float] = field(default_factory=dict)
    #: What made each file of the site: dest -> origin (`content/posts/a.md`, `sitemap`).
    origins: dict[str, str] = field(default_factory=dict)
    #: Warns about the site's broken links, when BuildOptions.links_later left that to the
    #: caller (to be called before the next build).
    report_links: Callable[[], None] | None = None
    #: The links of each document's Markdown by its content path (`posts/a.md`): `ssg check`
    #: tells by them how a broken link of the HTML was written. Not with a session.
    refs: Mapping[str, tuple[Ref, ...]] = field(default_factory=dict)
    #: Files that outputs read other than by copying them (a stylesheet behind a fingerprinted
    #: name, an image whose size a page shows): a saved one needs a build. Only with a session.
    read: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BuildOptions:
    """How to build: what to publish, how strictly, with how many processes, what to reuse."""

    #: Publish drafts.
    drafts: bool = False
    #: Publish pages dated after `now`.
    future: bool = False
    #: Publish pages whose `expires` date is before `now`.
    expired: bool = False
    #: Treat warnings (broken links, ...) as errors.
    strict: bool = False
    #: Processes for rendering (None: the number of CPUs).
    jobs: int | None = None
    #: Read and write the on-disk cache in SITE_DIR/.ssg-cache (without a session).
    cache: bool = True
    #: What counts as now for `future` and `expired` (None: the clock).
    now: datetime | None = None
    #: Look at the links of the Markdown (`ssg check` reports them from the HTML instead).
    check_links: bool = True
    #: Leave the (non-strict) link report to the caller, as BuildResult.report_links: the dev
    #: server shows the new page first and warns about its links a moment later.
    links_later: bool = False
    #: Called as work advances: (what, done, total).
    progress: Progress | None = None
    #: Minify HTML, CSS and JS (None: as `minify` in ssg.toml says).
    minify: bool | None = None
    #: Name assets by the hash of their content (`asset_url`, `bundle`).
    fingerprint: bool = True
    #: Asked just before the output is committed: True abandons the build (nothing is
    #: committed, the reuse state stays as the last build left it) and build() raises
    #: BuildAbandoned. The dev server says yes when sources changed while it built: a file
    #: read in the middle of a save must never be published.
    abandon: Callable[[], bool] | None = None
    #: After a full build, link the spare output tree (ssg.output.writer) in a process of its
    #: own that outlives the build, which ends sooner: `ssg build` does. A build that comes
    #: before that process is done links its unchanged files itself.
    spare_later: bool = False


class BuildAbandoned(Exception):
    """The build was abandoned before its commit (see BuildOptions.abandon)."""


def build(config: Config, options: BuildOptions = BuildOptions(),
          session: Session | None = None, *,
          changed: Iterable[Path] | None = None) -> BuildResult:
    """Build the site into config.output_dir, all or nothing, reusing unchanged work.

    `session` is the in-memory reuse of a long-running process (the dev server); without it
    the cache in SITE_DIR/.ssg-cache is read and written, unless `options.cache` is False.
    `changed`, the files changed since the session's last build, allows a quick rebuild when
    only page bodies changed (see ssg.incremental.quick).
    """
    # Plugins start afresh: what they declare and their files are read again for this build.
    config = replace(config, plugins=config.plugins.fresh())
    with ExitStack() as scratch:
        scratch.enter_context(rare_full_collections())
        store = image_store(config, options, session, scratch)
        return _build(config, options, session, changed, store)


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Let the garbage collector go through every object rarely while the block runs.

    A build keeps millions of objects alive (the cache's records, the site model), and by
    default each of Python's full collections walks all of them, a dozen times for a one-page
    edit of a 10,000-page site: 40% of its CPU. Young objects are still collected as usual;
    the old ones, which a build holds on purpose, are looked at once per 1,000 collections of
    the middle generation instead of once per 10.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, 1000))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


def _build(config: Config, options: BuildOptions, session: Session | None,
           changed: Iterable[Path] | None, store: Path) -> BuildResult:
    start, started_ns, timer = time.perf_counter(), time.time_ns(), Timer()
    check_output_dir(config)  # fail before any work, not after it
    settings = settings_fp(config, options)
    options = replace(options, now=options.now or datetime.now(UTC))
    assert options.now is not None
    later = options.check_links and options.links_later and not options.strict
    # The no-change shortcut stands for a build with the on-disk cache that reports links;
    # what plugins read (their code, options, files, git history) it does not know.
    shortcut = (session is None and options.cache and options.check_links and not later
                and not config.plugins.names)
    if shortcut:
        with timer.step("inputs"):
            kept = unchanged_build(config, settings, options.now)
        if kept is not None and not (options.strict and kept.warnings):
            replay(kept.warnings)
            return BuildResult(pages=kept.pages, files=kept.files, rendered=0, written=(),
                               removed=(), full=False, seconds=time.perf_counter() - start,
                               timings=timer.steps, origins=kept.origins)
    with timer.step("load cache"):
        reuse = open_reuse(config, started_ns, session, cache=options.cache)
    front = None
    with _Warnings() as warnings:
        if (isinstance(reuse, SessionReuse) and changed is not None
                and config.plugins.allows_quick):
            with timer.step("quick front"):
                front = quick_front(reuse, settings, changed)
        if front is None:
            front = make_site(config, options, reuse, timer, store)
        with timer.step("image checks"):
            report_problems(front.site.images, image_uses(front.site, front.contents),
                            strict=options.strict)
        links = partial(_report_links, front, config, reuse, strict=options.strict)
        if options.check_links and not later:
            with timer.step("links"):
                links()
    with timer.step("fingerprints"):
        fingerprints = Fingerprints(front.site, front.contents, reuse.hashes.hash)
        fingerprints.warm(front.tasks)
        old = reuse.outputs(settings)
        todo, removed, changed_keys = stale(front, old, fingerprints)
    written: list[str] = []
    output = old or OutputState()
    if todo or removed or old is None or _derived_missing(old, config.output_dir):
        output, written, removed = write_outputs(
            front, reuse, todo, removed, changed_keys, fingerprints, old,
            jobs=options.jobs or default_jobs(),
            progress=options.progress, timer=timer, abandon=options.abandon,
            spare_later=options.spare_later)
    reuse.keep_outputs(output, settings)
    with timer.step("save cache"):
        reuse.finish(front.site, front.tasks, settings)
        if shortcut:
            for content in front.contents.values():  # files Markdown extensions included
                for path, _fp in content.file_deps:
                    reuse.hashes.hash(path)
            save_inputs(config, settings, started_ns=started_ns, read=reuse.hashes.now,
                        fronts=(doc[1] for doc in reuse.state.docs.values()), now=options.now,
                        warnings=warnings.messages, pages=len(front.site.pages),
                        origins={task.dest_path: task.origin for task in front.tasks})
    for name in config.plugins.implementing("build_finished"):
        config.plugins.call(name, "build_finished", output_dir=config.output_dir,
                            written=tuple(written), removed=tuple(removed))
    return BuildResult(
        pages=len(front.site.pages), files=len(front.tasks), rendered=len(todo),
        written=tuple(written), removed=tuple(removed), full=old is None,
        seconds=time.perf_counter() - start, timings=timer.steps,
        origins=_origins(front),
        report_links=links if later else None,
        refs=({src: content.refs for src, content in front.contents.items()}
              if session is None else {}),
        read=files_read(front.tasks, output) if session is not None else frozenset())


def _origins(front: Front) -> dict[str, str]:
    """Output path -> origin of each of the front end's tasks (the quick front end's are the
    last build's: worked out once for them). Shared: never changed."""
    tasks, origins = shaped(front.site, "origins", lambda: (
        front.tasks, {task.dest_path: task.origin for task in front.tasks}))
    if tasks is not front.tasks:
        return {task.dest_path: task.origin for task in front.tasks}
    return origins


def with_static_links(links: Mapping[str, str], static: list[tuple[str, str, Path]],
                      base_path: str) -> Mapping[str, str]:
    """Link targets with the static files (the site's and its themes') added by their place
    in the output, as if they were in the content folder, as MkDocs' theme files are among
    its documentation files (`img/favicon.ico`); a content file of that path wins."""
    added = {dest: base_path + quote_url_path(dest) for dest, _origin, _src in static
             if dest not in links}
    return MappingProxyType({**links, **added}) if added else links


def files_read(tasks: list[Task], output: OutputState) -> frozenset[str]:
    """The files that outputs other than their own copies read (`file` keys)."""
    records = output.outputs
    copies = Counter(key for task in tasks if task.kind == "copy"
                     and (record := records.get(task.dest_path)) is not None
                     for key in record[1] if key[0] == "file")
    return frozenset(key[1] for key, count in index(output).reads.items()
                     if key[0] == "file" and count > copies[key])


class _Warnings(logging.Handler):
    """Collects the warnings given inside a `with` block (the no-change shortcut gives them
    again)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _Warnings:
        logging.getLogger("ssg").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("ssg").removeHandler(self)


def _report_links(front: Front, config: Config, reuse: Reuse, *, strict: bool) -> None:
    """Warn about (strict: fail on) the broken links of the front end's Markdown, checking
    again only what changed since the report the reuse state keeps."""
    report_links(front.site, front.contents, front.tasks, strict=strict,
                 ids=template_ids(config), elsewhere=(SEARCH_DIR + "/",),
                 memo=reuse.state.links)


def image_store(config: Config, options: BuildOptions, session: Session | None,
                scratch: ExitStack) -> Path:
    """Where processed images are kept: the build cache, a folder of the system's temporary
    files for the dev server (kept between its runs), or a folder for this build only
    (`--no-cache`)."""
    if session is not None:  # a session never touches the site's cache: a folder of its own
        store = Path(tempfile.gettempdir()) / f"ssg-images-{digest(str(config.site_dir))}"
    elif options.cache:
        store = config.site_dir / CACHE_DIR / "images"
    else:
        store = None
    if store is not None:
        try:
            store.mkdir(parents=True, exist_ok=True)
            return store
        except OSError:  # a cache that cannot be written only costs the reuse (it is warned of)
            pass
    return Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="ssg-images-")))


def make_site(config: Config, options: BuildOptions, reuse: Reuse, timer: Timer,
              store: Path) -> Front:
    """The normal front end: the site model from every source, its planned outputs and the
    Markdown of every document."""
    visibility = Visibility(drafts=options.drafts, future=options.future,
                            expired=options.expired, now=options.now or datetime.now(UTC))
    with timer.step("discover"):
        sources = discover(config)
    with timer.step("parse"):
        pages, sections = parse_sources(sources, config.taxonomies, reuse)
        reuse.keep_documents([*pages, *sections])
    with timer.step("plugins: documents"):
        docs, hooked = apply_documents(config.plugins, [*pages, *sections])
        pages, sections = docs[:len(pages)], docs[len(pages):]
    with timer.step("assemble"):
        site = assemble(sources, pages, sections, config, visibility=visibility,
                        data=load_data(config))
        site = assembled_data(config.plugins, site)
    static = static_files(config)
    site = replace(site, links=with_static_links(site.links, static, config.base_path))
    with timer.step("images"):
        found = image_sources(((a.display, a.src_path, dest_for_path(path))
                                 for a, path in site.assets), static, asset_files(config))
        images = process_images(config.images, found, reuse.hashes.hash, store,
                                jobs=options.jobs or default_jobs())
        site = replace(site, images=images, fingerprint=options.fingerprint,
                       minify=config.minify if options.minify is None else options.minify)
    with timer.step("plan"):  # before any rendering: a clash of URLs fails at once
        site = replace(site, plugin_files=extra_files(config.plugins, site))
        tasks = plan(site, static)
        tasks += [Task(dest, f"plugin '{name}'", "plugin")
                  for dest, (name, _data) in sorted(site.plugin_files.items())]
        tasks += [Task(v.dest, f"{v.width}px {v.format} copy of {info.display}", "copy",
                       src_path=Path(v.file))
                  for info in images.by_dest.values() for v in info.variants]
        check_dests((task.dest_path, task.origin) for task in tasks)
        if config.search:
            check_reserved((task.dest_path, task.origin) for task in tasks)
    with timer.step("markdown"):
        known = _HookedBodies(reuse, hooked) if hooked else reuse
        reused, rendered = render_bodies(site, known, jobs=options.jobs or default_jobs(),
                                         progress=options.progress, store=reuse.contents)
        contents = reuse.keep_bodies(site, reused, rendered)
    return Front(site, tasks, contents)


class _HookedBodies:
    """Earlier bodies, but not those of documents whose front matter a plugin changed when
    they use shortcodes (which see the page's `extra`): those are converted again."""

    def __init__(self, reuse: Reuse, hooked: set[str]):
        self.reuse, self.hooked = reuse, hooked

    def body(self, site: Site, doc: Document) -> Content | None:
        content = self.reuse.body(site, doc)
        if content is not None and content.template_deps and doc.source.src in self.hooked:
            return None
        return content


def server_started(config: Config, url: str) -> None:
    """Tell the plugins that the dev server serves the site at `url`."""
    for name in config.plugins.implementing("server_started"):
        config.plugins.call(name, "server_started", url=url, output_dir=config.output_dir)


def image_uses(site: Site, contents: Mapping[str, Content]
               ) -> Iterator[tuple[str, int | None, str]]:
    """(page, line, output path) of every image of the site a page's Markdown shows."""
    base = site.config.base_path
    for doc in markdown_docs(site):
        for ref in contents[doc.source.src].refs:
            if ref.tag != "img":
                continue
            url = site.links.get(ref.target) if ref.target else ref.href
            if url is None:
                continue
            if url.startswith("/") and not url.startswith(base):
                url = base + url[1:]
            dest = dest_of_url(url, base)
            if dest is not None:
                yield doc.source.display, ref.line, dest


def stale(front: Front, old: OutputState | None, fingerprints: Fingerprints
          ) -> tuple[list[Task], list[str], set[Key]]:
    """(tasks to render, outputs gone, changed keys): everything when there is no usable old
    output; else the outputs that read a key the front end says changed, or (normal front
    end) whose keys' fingerprints changed."""
    if old is None:
        return front.tasks, [], set()
    if front.changed_keys is None:
        return stale_tasks(front.tasks, old, fingerprints)
    keys = set(front.changed_keys)
    # A front end that knows only which pages were edited must still look at the files: a
    # template saved just before this build, not yet reported, would otherwise be recorded as
    # current for the outputs that were made from its old bytes and are not rendered now.
    key_fps = old.key_fps
    keys |= {key for key in index(old).files if fingerprints(key) != key_fps[key]}
    records = old.outputs
    if all(key[0] in QUICK_KINDS for key in keys):  # the outputs listed as their readers
        listed = readers(old)
        dests = set().union(*(listed.get(key, ()) for key in keys))
        todo = [task for task in front.tasks
                if task.dest_path in dests or task.dest_path not in records]
    else:
        todo = [task for task in front.tasks
                if (record := records.get(task.dest_path)) is None
                or not keys.isdisjoint(record[1])]
    return todo, [], keys


def write_outputs(front: Front, reuse: Reuse, todo: list[Task], removed: list[str],
                  changed_keys: set[Key], fingerprints: Fingerprints, old: OutputState | None,
                  *, jobs: int,
                  progress: Progress | None, timer: Timer,
                  abandon: Callable[[], bool] | None = None, spare_later: bool = False
                  ) -> tuple[OutputState, list[str], list[str]]:
    """The back half: render the stale tasks into a stage, index, commit; returns the new
    output state, the files written and the files removed."""
    stage = Stage(reuse.config)
    try:
        with timer.step("render"):
            rendered, records = render_tasks(front.site, reuse.contents, todo, stage,
                                             index=reuse.config.search, jobs=jobs,
                                             progress=progress)
        output, written = update_state(old, rendered, removed, changed_keys, fingerprints)
        before = derived_files(old) if old is not None else {}
        if old is not None:
            carry_index(old, output, rendered, removed)
        del rendered  # its keys are the state's now
        with timer.step("processed images"):
            wanted = derived_files(output)  # a restored output's are its strays: kept
            derived_written, derived_removed = publish_derived(
                old, before, wanted, stage, Path(front.site.images.store),
                reuse.config.output_dir)
        written += derived_written
        removed = [*(dest for dest in removed if dest not in wanted), *derived_removed]
        if reuse.config.search:
            with timer.step("search index"):
                last = old.search if old else None
                output.search = merge_records(last, records, removed)
                try:
                    files, complete = language_index_files(output.search, last, stage.read,
                                                           front.site.languages)
                except RecordLost as exc:  # the cache's texts of a record are gone
                    logging.getLogger("ssg").info("search records made again: %s", exc)
                    output.search = {task.dest_path: page_search_record(
                        front.site, reuse.contents, task.args[0])
                        for task in front.tasks if task.kind == "page"}
                    files, complete = language_index_files(output.search, None, stage.read,
                                                           front.site.languages)
                if complete:
                    index_written, index_removed = stage.write_folder(SEARCH_DIR, files,
                                                                      full=old is None)
                else:
                    for dest, data in files.items():
                        stage.write(dest, data)
                    index_written, index_removed = list(files), []
                written += index_written
                removed = [*removed, *index_removed]
        if abandon is not None and abandon():
            raise BuildAbandoned("sources changed during the build")
        with timer.step("write"):
            if old is None:
                stage.commit_full(spare_later=spare_later)
            else:
                stage.commit_patch(written, removed)
    except BaseException:
        stage.discard()
        raise
    return output, written, removed


def publish_derived(old: OutputState | None, before: dict[str, str], now: dict[str, str],
                    stage: Stage, store: Path, live: Path) -> tuple[list[str], list[str]]:
    """Put in the stage the processed images the outputs ask for (`now`: output path ->
    stored file) that the live output (`live`) does not have as they are; returns them and
    those no output asks for any more (which leave the output and the store). `before` is
    what the old output's records asked for. A restored output's processed files have no
    record of their own (they are its strays: kept when their bytes are the stored ones) and
    a deleted one is missing: both are written again."""
    strays = set(old.strays) if old else set()
    written = []
    for dest, stored in sorted(now.items()):
        if (old is None or before.get(dest) != stored or not (live / dest).is_file()
                or (dest in strays and not _same_bytes(live / dest, store / stored))):
            stage.write(dest, (store / stored).read_bytes())
            written.append(dest)
    removed = sorted(dest for dest in before if dest not in now) if old else []
    if store.is_dir():
        keep = set(now.values())
        for path in store.glob("t-*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
    return written, removed


def _derived_missing(old: OutputState, live: Path) -> bool:
    """True when a processed file the outputs ask for is not in the live output."""
    return any(not (live / dest).is_file() for dest in derived_files(old))


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def derived_files(output: OutputState) -> dict[str, str]:
    """Output path -> stored file of every processed image the outputs ask for."""
    return {key[1]: key[3] for key in sorted(index(output).reads) if key[0] == "derived"}


def settings_fp(config: Config, options: BuildOptions) -> str:
    """Fingerprint of the settings every output depends on: a change rebuilds everything.

    Folders count relative to the site, so a site moved or restored elsewhere keeps its cache.
    """
    site = config.site_dir
    placed = replace(config, site_dir=Path("."), output_dir=_from_site(config.output_dir, site),
                     theme_dir=_from_site(config.theme_dir, site),
                     theme_dirs=tuple(_from_site(path, site) for path in config.theme_dirs))
    return digest(repr(placed), options.drafts, options.future, options.expired,
                  options.minify, options.fingerprint, FORMAT if config.search else 0,
                  config.plugins.settings_key())


def _from_site(path: Path, site: Path) -> Path:
    """The path relative to the site folder when it is inside it."""
    return path.relative_to(site) if path.is_relative_to(site) else path


def built_output(config: Config) -> Path | None:
    """config.output_dir when a build left a whole site there (a build commits it whole, with
    its marker last), else None."""
    return config.output_dir if output_build_id(config) else None


def watched_folders(config: Config) -> list[Path]:
    """The folders a build reads: content, templates, static, data, assets, the themes, the
    site's plugins and the folders of the files plugins declare."""
    site = config.site_dir
    # Folders of declared files, but never the site folder itself (it holds the output).
    declared = {path.parent for path in config.plugins.declared_paths()
                if path.parent != site and not config.output_dir.is_relative_to(path.parent)}
    return list(dict.fromkeys([config.content_dir, site / "templates", site / "static",
                               site / DATA_DIR, site / "assets", site / I18N_DIR,
                               *config.themes,
                               site / SITE_PLUGINS, *sorted(declared)]))


def config_changed(config: Config, paths: Iterable[Path]) -> bool:
    """True when a change to one of `paths` needs the config loaded again: a site plugin's
    code or a theme's theme.toml (ssg.toml itself the caller knows)."""
    plugins = config.site_dir / SITE_PLUGINS
    themes = {theme / "theme.toml" for theme in config.themes}
    return any((path.parent == plugins and path.suffix == ".py") or path in themes
               for path in paths)


def static_dest(config: Config, path: Path, result: BuildResult) -> str | None:
    """The output dest of `path` when it is a static file that the build behind `result`
    copied as is; None when a change to it needs a build (new, shadowed, read by an output
    other than its copy, or not static)."""
    for root, label in ((config.site_dir / "static", "static"),
                        *((theme / "static", theme_static_label(config, theme))
                          for theme in config.themes)):
        if path.is_relative_to(root):
            if path.is_symlink() or not path.is_file():
                return None
            dest = path.relative_to(root).as_posix()
            if result.origins.get(dest) == f"{label}/{dest}" and str(path) not in result.read:
                return dest
            return None
    return None


_Rendered = tuple[str, str, tuple[Key, ...]]
#: What a chunk of the render returns for each task: its bytes went to the stage already.
_Made = tuple[str, str, tuple[Key, ...], SearchRecord | None]


def render_tasks(site: Site, contents: Mapping[str, Content], tasks: list[Task], stage: Stage,
                 *, index: bool = False, jobs: int, progress: Progress | None = None
                 ) -> tuple[list[_Rendered], list[tuple[str, SearchRecord | None]]]:
    """Render tasks into the stage; returns (dest, hash of bytes, dependencies) for each,
    and with `index` the search record of each (None for outputs that are no page)."""
    report = None if progress is None else (
        lambda done: progress("Rendering pages", done, len(tasks)))
    shared: dict[str, Any] = {"site": site, "contents": contents, "tasks": tasks,
                              "stage": stage, "index": index, "keys": {}}
    if jobs > 1 and len(tasks) >= PARALLEL_MIN:  # workers fork: they share what is made here
        renderer = shared["renderer"] = Renderer(site, contents)
        renderer.compile_templates(task.template for task in tasks if task.template)
    # Most of an output's ~50 keys (templates, sections, files) are every output's: each
    # chunk's are made one object with the others' as it arrives, not 100,000 copies of them.
    canonical: dict[Key, Key] = {}

    def compact(chunk: list[_Made]) -> list[_Made]:
        return [(dest, data_hash, tuple(canonical.setdefault(key, key) for key in deps), record)
                for dest, data_hash, deps, record in chunk]

    chunks = map_ranges(_render_chunk, shared, len(tasks),
                        jobs=jobs if len(tasks) >= PARALLEL_MIN else 1,
                        chunk=min(CHUNK_MAX, max(50, len(tasks) // (jobs * 8) + 1)),
                        progress=report,
                        each=compact)
    rendered = [item[:3] for chunk in chunks for item in chunk]
    records = [(item[0], item[3]) for chunk in chunks for item in chunk] if index else []
    return rendered, records


def _render_chunk(shared: dict[str, Any], start: int, end: int) -> list[_Made]:
    renderer = shared.get("renderer")
    if renderer is None:  # one per process, reused by the chunks it runs
        renderer = shared["renderer"] = Renderer(shared["site"], shared["contents"])
    stage: Stage = shared["stage"]
    index: bool = shared["index"]
    results: list[_Made] = []
    site: Site = shared["site"]
    canonical: dict[Key, Key] = shared["keys"]  # this process's: shared in its chunks' pickles
    for task in shared["tasks"][start:end]:
        if task.kind == "plugin":  # made by the plugin already: only written
            data = site.plugin_files[task.dest_path][1]
            stage.write(task.dest_path, data)
            results.append((task.dest_path, digest_bytes(data),
                            (keys.plugin_output(task.dest_path),), None))
            continue
        data, deps = renderer.render(task)
        stage.write(task.dest_path, data)
        record = None
        if index:
            record, read = renderer.search_record(task)
            deps |= read
        results.append((task.dest_path, digest_bytes(data),
                        tuple(sorted(canonical.setdefault(key, key) for key in deps)), record))
    return results
