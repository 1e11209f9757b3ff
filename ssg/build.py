"""The build pipeline: load config -> discover -> parse -> assemble -> render -> write.

Every step reuses what the build state (the cache) says is unchanged, so a rebuild does only
the work its changes need, and writes exactly what a clean build would.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssg.config import Config
from ssg.errors import SsgError, raise_all
from ssg.incremental.fingerprints import Fingerprints, OutputState, stale_tasks, update_state
from ssg.incremental.quick import Recent, quick_rebuild
from ssg.incremental.reuse import Session
from ssg.incremental.state import (
    BuildState,
    ContentStore,
    FileHashes,
    load_state,
    save_state,
    stub,
    text_fp,
    texts_file,
)
from ssg.output.writer import Stage, check_dests, check_output_dir, output_build_id, static_files
from ssg.parallel import default_jobs, map_ranges
from ssg.stages.assemble import Site, Visibility, assemble
from ssg.stages.content import Document, FrontMatter, Sources, discover, parse, read_bytes
from ssg.stages.data import DATA_DIR, load_data
from ssg.stages.keys import Key, digest, digest_bytes
from ssg.stages.markdown import Content
from ssg.stages.render import (
    Progress,
    Renderer,
    Task,
    markdown_docs,
    plan,
    render_documents,
    report_links,
)
from ssg.stages.search import (
    BUNDLE_DIR,
    check_reserved,
    index_pages,
    prepare_search,
    stage_index,
    touches_pages,
)
from ssg.stages.templates import template_file, template_ids
from ssg.utils import Timer

__all__ = ["BuildOptions", "BuildResult", "Session", "build", "static_dest", "watched_folders"]

#: Below this many items a stage runs in one process: forking costs more than it saves.
_PARALLEL_MIN = 200


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
    #: Rebuild the search index on incremental builds (the dev server says no: Pagefind
    #: reads every page, seconds per save on a large site).
    reindex: bool = True
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
    visibility = Visibility(drafts=options.drafts, future=options.future,
                            expired=options.expired, now=options.now or datetime.now(UTC))
    start = time.perf_counter()
    started_ns = time.time_ns()
    jobs = options.jobs or default_jobs()
    progress, strict, reindex = options.progress, options.strict, options.reindex
    timer = Timer()
    config, engine = prepare_search(config)
    check_output_dir(config)  # fail before any work, not after it
    cache = session is None and options.cache
    if session is None:
        with timer.step("load cache"):
            session = Session(load_state(config.site_dir) if cache else BuildState())
    state = session.state
    settings = settings_fp(config, options, engine.identity if engine else "")
    if (changed is not None and not cache and session.recent is not None
            and (engine is None or not reindex)):
        with timer.step("quick rebuild"):
            try:
                quick = quick_rebuild(config, state, session.recent, settings, changed,
                                      strict=strict, check_links=options.check_links)
            except BaseException:
                session.recent = None  # the next build looks at everything again
                raise
        if quick is not None:
            recent = session.recent
            return BuildResult(
                pages=len(recent.site.pages), files=len(recent.tasks), rendered=quick.rendered,
                written=tuple(quick.written), removed=(), full=False,
                seconds=time.perf_counter() - start, timings=timer.steps,
                origins={task.dest_path: task.origin for task in recent.tasks})
    session.recent = None
    hashes = FileHashes(state)
    with timer.step("discover"):
        sources = discover(config)
    with timer.step("parse"):
        pages, sections, doc_hashes = parse_sources(sources, config, state, hashes)
    with timer.step("assemble"):
        site = assemble(sources, pages, sections, config, visibility=visibility,
                        data=load_data(config))
    with timer.step("plan"):  # before any rendering: a clash of URLs fails at once
        tasks = plan(site, static_files(config))
        check_dests((task.dest_path, task.origin) for task in tasks)
        if engine is not None:
            check_reserved((task.dest_path, task.origin) for task in tasks)
    store = ContentStore(texts_file(config.site_dir) if cache else None)
    with timer.step("markdown"):
        contents = render_markdown(site, state, store, doc_hashes, hashes, jobs=jobs,
                                   progress=progress)
        if options.check_links:
            report_links(site, contents, tasks, strict=strict, ids=template_ids(config),
                         elsewhere=(BUNDLE_DIR + "/",))
    with timer.step("fingerprints"):
        fingerprints = Fingerprints(site, contents, hashes.hash)
        fingerprints.warm(tasks)
        old = state.outputs.get(str(config.output_dir))
        incremental = (old is not None and old.config_fp == settings
                       and old.build_id == output_build_id(config))
        if incremental:
            assert old is not None
            todo, removed, changed_keys = stale_tasks(tasks, old, fingerprints)
        else:
            todo, removed, changed_keys = tasks, [], set()
    written: list[str] = []
    output_state = old if incremental and old is not None else OutputState()
    if todo or removed or not incremental:
        stage = Stage(config)
        try:
            with timer.step("render"):
                rendered = render_tasks(site, store, todo, stage, jobs=jobs,
                                        progress=progress)
            output_state, written = update_state(
                old if incremental else None, rendered, removed, changed_keys, fingerprints)
            if engine is not None and (not incremental
                                       or (reindex and touches_pages(written, removed))):
                with timer.step("search index"):
                    page_dests = [task.dest_path for task in tasks if task.kind == "page"]
                    bundle = index_pages(engine.path, page_dests, stage.read)
                    index_written, index_removed = stage_index(bundle, stage,
                                                               full=not incremental)
                    written += index_written
                    removed = [*removed, *index_removed]
            with timer.step("write"):
                if incremental:
                    stage.commit_patch(written, removed)
                else:
                    stage.commit_full()
        except BaseException:
            stage.discard()
            raise
    output_state.build_id = output_build_id(config)
    output_state.config_fp = settings
    state.started_ns = started_ns
    state.files = hashes.now
    state.outputs[str(config.output_dir)] = output_state
    if not cache:
        session.recent = Recent(settings, site, tasks, dict(store.fresh))
    store.close()
    if cache:
        with timer.step("save cache"):
            save_state(config.site_dir, state)
    return BuildResult(
        pages=len(site.pages), files=len(tasks), rendered=len(todo), written=tuple(written),
        removed=tuple(removed), full=not incremental, seconds=time.perf_counter() - start,
        timings=timer.steps, origins={task.dest_path: task.origin for task in tasks},
    )


def settings_fp(config: Config, options: BuildOptions, search: str) -> str:
    """Fingerprint of the settings every output depends on: a change rebuilds everything."""
    return digest(repr(config), options.drafts, options.future, options.expired, search)


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


def parse_sources(sources: Sources, config: Config, state: BuildState, hashes: FileHashes
                  ) -> tuple[list[Document], list[Document], dict[str, str]]:
    """Parse pages and section files, reusing documents whose file hash is unchanged."""
    parse_key = digest(config.taxonomies)
    cached = state.docs if state.parse_key == parse_key else {}
    docs: dict[str, tuple[str, FrontMatter, int, str | None]] = {}
    errors: list[SsgError] = []
    parsed: list[list[Document]] = [[], []]
    for bucket, files in zip(parsed, (sources.pages, sources.section_files), strict=True):
        for source in files:
            rel = source.src
            path = str(source.src_path)
            old = cached.get(rel)
            file_hash = hashes.unchanged(path)
            if old is None or file_hash != old[0]:
                try:
                    data = read_bytes(source)
                    file_hash = hashes.hash(path, data)
                    if old is None or old[0] != file_hash:
                        doc = parse(source, config.taxonomies, data)
                        docs[rel] = (file_hash, doc.front, doc.body_line, doc.heading)
                        bucket.append(doc)
                        continue
                except SsgError as exc:
                    errors.extend(exc.errors if hasattr(exc, "errors") else [exc])
                    continue
            docs[rel] = old
            bucket.append(Document(source, old[1], None, old[2], old[3]))
    raise_all(errors)
    state.parse_key, state.docs = parse_key, docs
    return parsed[0], parsed[1], {rel: cached_doc[0] for rel, cached_doc in docs.items()}


def render_markdown(site: Site, state: BuildState, store: ContentStore,
                    doc_hashes: Mapping[str, str], hashes: FileHashes, *, jobs: int,
                    progress: Progress | None = None) -> dict[str, Content]:
    """Every document's rendered Markdown: from the cache when its source and the URLs of
    the links it resolved are unchanged, else rendered (in parallel when there are many).

    Returns the contents for fingerprinting (texts may be left out); `store` gives templates
    the full contents.
    """
    config = site.config

    def template_fp(name: str) -> str:
        path = template_file(config, name)
        return hashes.hash(str(path)) if path else "missing"

    markdown_key = digest(config.markdown, config.base_path)
    cached = state.contents if state.markdown_key == markdown_key else {}
    stored = store.stored() if cached and store.path is not None else {}
    contents: dict[str, tuple[str, Content]] = {}
    todo: list[Document] = []
    for doc in markdown_docs(site):
        rel = doc.source.src
        old = cached.get(rel)
        if (old is not None and old[0] == doc_hashes[rel]
                and (store.path is None or stored.get(rel) == text_fp(old[1]))
                and all(site.links.get(target) == url for target, url in old[1].link_deps)
                and all(template_fp(name) == fp for name, fp in old[1].template_deps)):
            contents[rel] = old
            if store.path is None:
                store.fresh[rel] = old[1]
            else:
                store.stubs[rel] = old[1]
        elif doc.body is None:  # restored from the cache without its text: read it again
            todo.append(parse(doc.source, config.taxonomies, read_bytes(doc.source)))
        else:
            todo.append(doc)
    report = None if progress is None else (
        lambda done: progress("Rendering Markdown", done, len(todo)))
    chunks = map_ranges(_markdown_chunk, (site, todo), len(todo),
                        jobs=jobs if len(todo) >= _PARALLEL_MIN else 1,
                        chunk=max(50, len(todo) // (jobs * 4) + 1), progress=report)
    rendered: dict[str, Content] = {}
    for doc, content in zip(todo, (c for chunk in chunks for c in chunk), strict=True):
        rel = doc.source.src
        if content.template_deps:
            content = replace(content, template_deps=tuple(
                (name, template_fp(name)) for name, _fp in content.template_deps))
        rendered[rel] = store.fresh[rel] = content
        contents[rel] = (doc_hashes[rel], content if store.path is None else stub(content))
    store.save(rendered, set(stored) - set(contents))
    docs = {doc.source.src: doc for doc in markdown_docs(site)}
    store.recompute = lambda src: render_documents(
        site, [parse(docs[src].source, config.taxonomies, read_bytes(docs[src].source))])[0]
    state.markdown_key, state.contents = markdown_key, contents
    return {rel: content for rel, (_h, content) in contents.items()}


def _markdown_chunk(shared: tuple[Site, list[Document]], start: int, end: int) -> list[Content]:
    site, docs = shared
    return render_documents(site, docs[start:end])


_Rendered = tuple[str, str, frozenset[Key]]


def render_tasks(site: Site, contents: Mapping[str, Content], tasks: list[Task], stage: Stage,
                 *, jobs: int, progress: Progress | None = None) -> list[_Rendered]:
    """Render tasks into the stage; returns (dest, hash of bytes, dependencies) for each."""
    report = None if progress is None else (
        lambda done: progress("Rendering pages", done, len(tasks)))
    shared: dict[str, Any] = {"site": site, "contents": contents, "tasks": tasks,
                              "stage": stage}
    chunks = map_ranges(_render_chunk, shared, len(tasks),
                        jobs=jobs if len(tasks) >= _PARALLEL_MIN else 1,
                        chunk=max(50, len(tasks) // (jobs * 8) + 1), progress=report)
    return [item for chunk in chunks for item in chunk]


def _render_chunk(shared: dict[str, Any], start: int, end: int) -> list[_Rendered]:
    renderer = shared.get("renderer")
    if renderer is None:  # one per process, reused by the chunks it runs
        renderer = shared["renderer"] = Renderer(shared["site"], shared["contents"])
    stage: Stage = shared["stage"]
    results = []
    for task in shared["tasks"][start:end]:
        data, deps = renderer.render(task)
        stage.write(task.dest_path, data)
        results.append((task.dest_path, digest_bytes(data), deps))
    return results
