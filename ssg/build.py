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

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssg.config import Config
from ssg.incremental.fingerprints import Fingerprints, OutputState, stale_tasks, update_state
from ssg.incremental.quick import quick_front
from ssg.incremental.reuse import Front, Reuse, Session, SessionReuse, open_reuse
from ssg.output.writer import Stage, check_dests, check_output_dir, static_files
from ssg.parallel import default_jobs, map_ranges
from ssg.stages.assemble import Site, Visibility, assemble
from ssg.stages.bodies import PARALLEL_MIN, render_bodies
from ssg.stages.data import DATA_DIR, load_data
from ssg.stages.discover import discover
from ssg.stages.keys import FILE_KINDS, Key, digest, digest_bytes
from ssg.stages.markdown import Content
from ssg.stages.parse import parse_sources
from ssg.stages.plan import Task, plan
from ssg.stages.render import Progress, Renderer, report_links
from ssg.stages.search import FORMAT, SEARCH_DIR, check_reserved, index_files, merge_records
from ssg.stages.search_text import SearchRecord
from ssg.stages.templates import template_ids
from ssg.utils import Timer

__all__ = ["BuildOptions", "BuildResult", "Session", "build", "static_dest", "watched_folders"]


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
    #: Called as work advances: (what, done, total).
    progress: Progress | None = None


def build(config: Config, options: BuildOptions = BuildOptions(),
          session: Session | None = None, *,
          changed: Iterable[Path] | None = None) -> BuildResult:
    """Build the site into config.output_dir, all or nothing, reusing unchanged work.

    `session` is the in-memory reuse of a long-running process (the dev server); without it
    the cache in SITE_DIR/.ssg-cache is read and written, unless `options.cache` is False.
    `changed`, the files changed since the session's last build, allows a quick rebuild when
    only page bodies changed (see ssg.incremental.quick).
    """
    start, started_ns, timer = time.perf_counter(), time.time_ns(), Timer()
    check_output_dir(config)  # fail before any work, not after it
    settings = settings_fp(config, options)
    with timer.step("load cache"):
        reuse = open_reuse(config, started_ns, session, cache=options.cache)
    front = None
    if isinstance(reuse, SessionReuse) and changed is not None:
        with timer.step("quick front"):
            front = quick_front(reuse, settings, changed)
    if front is None:
        front = make_site(config, options, reuse, timer)
    if options.check_links:
        with timer.step("links"):
            report_links(front.site, front.contents, front.tasks, strict=options.strict,
                         ids=template_ids(config), elsewhere=(SEARCH_DIR + "/",))
    with timer.step("fingerprints"):
        fingerprints = Fingerprints(front.site, front.contents, reuse.hashes.hash)
        fingerprints.warm(front.tasks)
        old = reuse.outputs(settings)
        todo, removed, changed_keys = stale(front, old, fingerprints)
    written: list[str] = []
    output = old or OutputState()
    if todo or removed or old is None:
        output, written, removed = write_outputs(
            front, reuse, todo, removed, changed_keys, fingerprints, old,
            jobs=options.jobs or default_jobs(),
            progress=options.progress, timer=timer)
    reuse.keep_outputs(output, settings)
    with timer.step("save cache"):
        reuse.finish(front.site, front.tasks, settings)
    return BuildResult(
        pages=len(front.site.pages), files=len(front.tasks), rendered=len(todo),
        written=tuple(written), removed=tuple(removed), full=old is None,
        seconds=time.perf_counter() - start, timings=timer.steps,
        origins={task.dest_path: task.origin for task in front.tasks})


def make_site(config: Config, options: BuildOptions, reuse: Reuse, timer: Timer) -> Front:
    """The normal front end: the site model from every source, its planned outputs and the
    Markdown of every document."""
    visibility = Visibility(drafts=options.drafts, future=options.future,
                            expired=options.expired, now=options.now or datetime.now(UTC))
    with timer.step("discover"):
        sources = discover(config)
    with timer.step("parse"):
        pages, sections = parse_sources(sources, config.taxonomies, reuse)
        reuse.keep_documents([*pages, *sections])
    with timer.step("assemble"):
        site = assemble(sources, pages, sections, config, visibility=visibility,
                        data=load_data(config))
    with timer.step("plan"):  # before any rendering: a clash of URLs fails at once
        tasks = plan(site, static_files(config))
        check_dests((task.dest_path, task.origin) for task in tasks)
        if config.search:
            check_reserved((task.dest_path, task.origin) for task in tasks)
    with timer.step("markdown"):
        reused, rendered = render_bodies(site, reuse, jobs=options.jobs or default_jobs(),
                                         progress=options.progress)
        contents = reuse.keep_bodies(site, reused, rendered)
    return Front(site, tasks, contents)


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
    keys |= {key for key, value in old.key_fps.items()
             if key[0] in FILE_KINDS and fingerprints(key) != value}
    todo = [task for task in front.tasks
            if (record := old.outputs.get(task.dest_path)) is None
            or not keys.isdisjoint(record[1])]
    return todo, [], keys


def write_outputs(front: Front, reuse: Reuse, todo: list[Task], removed: list[str],
                  changed_keys: set[Key], fingerprints: Fingerprints, old: OutputState | None,
                  *, jobs: int,
                  progress: Progress | None, timer: Timer
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
        if reuse.config.search:
            with timer.step("search index"):
                last = old.search if old else None
                output.search = merge_records(last, records, removed)
                files, complete = index_files(output.search, last, stage.read)
                if complete:
                    index_written, index_removed = stage.write_folder(SEARCH_DIR, files,
                                                                      full=old is None)
                else:
                    for dest, data in files.items():
                        stage.write(dest, data)
                    index_written, index_removed = list(files), []
                written += index_written
                removed = [*removed, *index_removed]
        with timer.step("write"):
            if old is None:
                stage.commit_full()
            else:
                stage.commit_patch(written, removed)
    except BaseException:
        stage.discard()
        raise
    return output, written, removed


def settings_fp(config: Config, options: BuildOptions) -> str:
    """Fingerprint of the settings every output depends on: a change rebuilds everything."""
    return digest(repr(config), options.drafts, options.future, options.expired,
                  FORMAT if config.search else 0)


def watched_folders(config: Config) -> list[Path]:
    """The folders a build reads: content, templates, static, data and the theme."""
    site = config.site_dir
    return [site / "content", site / "templates", site / "static", site / DATA_DIR,
            config.theme_dir]


def static_dest(config: Config, path: Path, result: BuildResult) -> str | None:
    """The output dest of `path` when it is a static file that the build behind `result`
    copied as is; None when a change to it needs a build (new, shadowed or not static)."""
    for root, label in ((config.site_dir / "static", "static"),
                        (config.theme_dir / "static", "theme static")):
        if path.is_relative_to(root):
            if path.is_symlink() or not path.is_file():
                return None
            dest = path.relative_to(root).as_posix()
            if result.origins.get(dest) == f"{label}/{dest}":
                return dest
            return None
    return None


_Rendered = tuple[str, str, frozenset[Key]]


def render_tasks(site: Site, contents: Mapping[str, Content], tasks: list[Task], stage: Stage,
                 *, index: bool = False, jobs: int, progress: Progress | None = None
                 ) -> tuple[list[_Rendered], list[tuple[str, SearchRecord | None]]]:
    """Render tasks into the stage; returns (dest, hash of bytes, dependencies) for each,
    and with `index` the search record of each (None for outputs that are no page)."""
    report = None if progress is None else (
        lambda done: progress("Rendering pages", done, len(tasks)))
    shared: dict[str, Any] = {"site": site, "contents": contents, "tasks": tasks,
                              "stage": stage, "index": index}
    chunks = map_ranges(_render_chunk, shared, len(tasks),
                        jobs=jobs if len(tasks) >= PARALLEL_MIN else 1,
                        chunk=max(50, len(tasks) // (jobs * 8) + 1), progress=report)
    rendered = [item[:3] for chunk in chunks for item in chunk]
    records = [(item[0], item[3]) for chunk in chunks for item in chunk] if index else []
    return rendered, records


def _render_chunk(shared: dict[str, Any], start: int, end: int
                  ) -> list[tuple[str, str, frozenset[Key], SearchRecord | None]]:
    renderer = shared.get("renderer")
    if renderer is None:  # one per process, reused by the chunks it runs
        renderer = shared["renderer"] = Renderer(shared["site"], shared["contents"])
    stage: Stage = shared["stage"]
    index: bool = shared["index"]
    results = []
    for task in shared["tasks"][start:end]:
        data, deps = renderer.render(task)
        stage.write(task.dest_path, data)
        record = None
        if index:
            record, read = renderer.search_record(task)
            deps |= read
        results.append((task.dest_path, digest_bytes(data), deps, record))
    return results
