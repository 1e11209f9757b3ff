"""Quick rebuilds for the dev server: a save that changes only page bodies.

When the caller knows which files changed (the dev server does) and every one of them is an
existing page or section file whose front matter and title stayed the same, the site's shape
cannot have changed: no URL, list, order, term or neighbour moves. Then only those pages'
Markdown is rendered again, and only the outputs that read their body or summary. Anything else
(a new, deleted or renamed file, a front matter edit, a template) returns None, and the caller
takes the normal incremental path, which checks everything.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from ssg.config import Config
from ssg.errors import SsgError
from ssg.incremental.fingerprints import Fingerprints, update_state
from ssg.incremental.state import BuildState, FileHashes
from ssg.output.writer import Stage, output_build_id
from ssg.stages.assemble import Site
from ssg.stages.content import Document, parse, read_bytes
from ssg.stages.keys import Key, digest_bytes
from ssg.stages.markdown import Content
from ssg.stages.render import Renderer, Task, render_documents, report_links
from ssg.stages.search import BUNDLE_DIR
from ssg.stages.templates import template_file, template_ids


@dataclass
class Recent:
    """What the last build in this process leaves for a quick rebuild (never saved)."""

    #: The settings the build ran with; a quick rebuild needs the same.
    key: str
    site: Site
    tasks: list[Task]
    #: Full contents of every document.
    contents: dict[str, Content]


@dataclass(frozen=True)
class QuickResult:
    """What a quick rebuild did."""

    rendered: int
    written: list[str]


def quick_rebuild(config: Config, state: BuildState, recent: Recent, key: str,
                  changed: Iterable[Path], *, strict: bool, check_links: bool = True
                  ) -> QuickResult | None:
    """Rebuild after edits to page bodies only; None when the change needs a full look."""
    output = state.outputs.get(str(config.output_dir))
    if recent.key != key or output is None or output.build_id != output_build_id(config):
        return None
    site = recent.site
    docs: dict[str, Document] = {p.src: p.doc for p in site.pages.values()}
    docs.update((s.doc.source.src, s.doc) for s in site.sections.values() if s.doc)
    by_path = {str(doc.source.src_path): src for src, doc in docs.items()}
    hashes = FileHashes(state)
    edited: dict[str, tuple[str, Document]] = {}
    for path in changed:
        src = by_path.get(str(path))
        if src is None:
            return None
        old = docs[src]
        try:
            data = read_bytes(old.source)
            doc = parse(old.source, config.taxonomies, data)
        except SsgError:
            return None  # the full path reports it
        if doc.front != old.front or doc.heading != old.heading:
            return None
        edited[src] = (hashes.hash(str(path), data), doc)
    if not edited:
        return None
    started_ns = time.time_ns()

    pages = dict(site.pages)
    sections = dict(site.sections)
    section_of = {s.doc.source.src: k for k, s in site.sections.items() if s.doc}
    for src, (_hash, doc) in edited.items():
        if src in pages:
            pages[src] = replace(pages[src], doc=doc)
        else:
            key_ = section_of[src]
            sections[key_] = replace(sections[key_], doc=doc)
    site = replace(site, pages=MappingProxyType(pages), sections=MappingProxyType(sections))

    new_docs = [doc for _hash, doc in edited.values()]
    contents = dict(recent.contents)
    changed_keys: set[Key] = set()
    for doc, content in zip(new_docs, render_documents(site, new_docs), strict=True):
        src = doc.source.src
        if content.template_deps:
            content = replace(content, template_deps=tuple(
                (name, _template_fp(config, hashes, name)) for name, _ in content.template_deps))
        before = contents[src]
        section = section_of.get(src)
        if section is not None:
            if (before.body_fp, before.summary_fp) != (content.body_fp, content.summary_fp):
                changed_keys.add(("secbody", section))
        else:
            if before.body_fp != content.body_fp:
                changed_keys.add(("body", src))
            if before.summary_fp != content.summary_fp:
                changed_keys.add(("summary", src))
        contents[src] = content
    if check_links:
        report_links(site, contents, recent.tasks, strict=strict, ids=template_ids(config),
                     elsewhere=(BUNDLE_DIR + "/",))

    fingerprints = Fingerprints(site, contents, hashes.hash)
    fingerprints.warm(recent.tasks)
    todo = [task for task in recent.tasks
            if (record := output.outputs.get(task.dest_path)) is None
            or not changed_keys.isdisjoint(record[1])]
    stage = Stage(config)
    try:
        renderer = Renderer(site, contents)
        rendered = []
        for task in todo:
            data, deps = renderer.render(task)
            stage.write(task.dest_path, data)
            rendered.append((task.dest_path, digest_bytes(data), deps))
        new_output, written = update_state(output, rendered, [], changed_keys, fingerprints)
        stage.commit_patch(written, [])
    except BaseException:
        stage.discard()
        raise
    new_output.build_id = output_build_id(config)
    new_output.config_fp = output.config_fp
    state.outputs[str(config.output_dir)] = new_output
    for src, (file_hash, doc) in edited.items():
        state.docs[src] = (file_hash, doc.front, doc.body_line, doc.heading)
        state.contents[src] = (file_hash, contents[src])
    state.files.update(hashes.now)
    state.started_ns = min(state.started_ns, started_ns)
    recent.site, recent.contents = site, contents
    return QuickResult(rendered=len(todo), written=written)


def _template_fp(config: Config, hashes: FileHashes, name: str) -> str:
    path = template_file(config, name)
    return hashes.hash(str(path)) if path else "missing"
