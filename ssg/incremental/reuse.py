"""The one question a build asks of earlier builds: is this still current?

A build asks it of three products: a parsed document (`document`), a rendered Markdown body
(`body`) and the output folder's records (`outputs`), and hands back what it made (`keep_*`),
so the stages never see where the answers come from. Three implementations:

- `Reuse` itself: nothing is current (`--no-cache`, `ssg check`);
- `DiskCache`: the cache in SITE_DIR/.ssg-cache (ssg.incremental.state), read before the
  build and written after it;
- `SessionReuse`: a `Session`, the memory of a long-running process (the dev server), which
  also keeps the last site model for quick rebuilds (ssg.incremental.quick).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ssg.config import Config
from ssg.incremental.fingerprints import OutputState
from ssg.incremental.state import (
    CACHE_DIR,
    BuildState,
    ContentStore,
    FileHashes,
    load_state,
    save_state,
    stub,
    text_fp,
    texts_file,
)
from ssg.output.writer import output_build_id, output_files
from ssg.stages.assemble import Site
from ssg.stages.bodies import reparse
from ssg.stages.discover import SourceFile
from ssg.stages.keys import Key, digest, digest_bytes
from ssg.stages.lookup import template_file
from ssg.stages.markdown import Content
from ssg.stages.parse import Document
from ssg.stages.plan import Task
from ssg.stages.render import markdown_docs, render_documents
from ssg.stages.search import SEARCH_DIR
from ssg.utils import pid_alive


@dataclass(frozen=True)
class Front:
    """What a front end of the build hands its back half: the site model, its outputs and
    every document's rendered Markdown."""

    site: Site
    tasks: list[Task]
    #: src -> content, for fingerprints and links (texts may be left out: the reuse object's
    #: `contents` has them).
    contents: Mapping[str, Content]
    #: The keys the front end knows changed (the quick front end); None: compare every key's
    #: fingerprint with the last build's.
    changed_keys: frozenset[Key] | None = None


@dataclass
class Recent:
    """What the last build in this process leaves for a quick rebuild (never saved)."""

    #: The settings the build ran with; a quick rebuild needs the same.
    key: str
    site: Site
    tasks: list[Task]
    #: Full contents of every document.
    contents: dict[str, Content]


#: Names the process that builds into the session folder in the cache (see Session.output_dir).
_OWNER = "owner.pid"


@dataclass
class Session:
    """In-memory reuse kept by a long-running process (the dev server) between its builds.

    `Session.from_cache(site_dir)` starts from the on-disk cache, and `save()` leaves what
    the session knows there for the next build or session.
    """

    #: What the last build left: file hashes, parsed documents, contents, output records.
    state: BuildState = field(default_factory=BuildState)
    #: The last build's site model, for quick rebuilds after edits to page bodies only.
    recent: Recent | None = None
    #: The site whose on-disk cache the session started from and is saved to (None: memory
    #: only).
    site_dir: Path | None = None
    #: True while `state.contents` holds contents without their texts (as read from the
    #: disk cache, whose SQLite file has the texts), until the first build succeeds.
    stubbed: bool = False

    @classmethod
    def from_cache(cls, site_dir: Path) -> Session:
        """A session starting from SITE_DIR/.ssg-cache (empty when there is none, or it is
        unusable, saying why)."""
        return cls(state=load_state(site_dir), site_dir=site_dir, stubbed=True)

    def output_dir(self) -> Path | None:
        """A folder in the cache, kept between runs, for this process to build into (so its
        next run starts from it); None without a site, or while another live process has
        it (`save` gives it up)."""
        if self.site_dir is None:
            return None
        folder = self.site_dir / CACHE_DIR / "serve"
        owner = folder / _OWNER
        try:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                pid = int(owner.read_text(encoding="ascii"))
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and pid_alive(pid):
                return None
            tmp = folder / f"{_OWNER}.tmp-{os.getpid()}"
            tmp.write_text(str(os.getpid()), encoding="ascii")
            os.replace(tmp, owner)
        except OSError:
            return None
        return folder / "site"

    def save(self) -> None:
        """Write what the session knows to the on-disk cache (its texts to the SQLite file,
        the rest to the state), so the next build reuses it."""
        if self.site_dir is None:
            return
        owner = self.site_dir / CACHE_DIR / "serve" / _OWNER
        try:
            if owner.read_text(encoding="ascii") == str(os.getpid()):
                owner.unlink()
        except OSError:
            pass
        state = self.state
        if not self.stubbed:
            store = ContentStore(texts_file(self.site_dir))
            stored = store.stored()
            store.save({src: content for src, (_hash, content) in state.contents.items()
                        if stored.get(src) != text_fp(content)},
                       set(stored) - set(state.contents))
            store.close()
            state = replace(state, contents={src: (file_hash, stub(content))
                                             for src, (file_hash, content)
                                             in state.contents.items()})
        save_state(self.site_dir, state)


class Reuse:
    """No reuse: nothing is current, nothing is kept (`--no-cache`, `ssg check`).

    The subclasses answer from a BuildState; this one still hashes each file once per build,
    for the fingerprints.
    """

    def __init__(self, config: Config, started_ns: int):
        self.config = config
        self.started_ns = started_ns
        self.state = BuildState()
        self.hashes = FileHashes(self.state)
        #: Every document's rendered Markdown, for templates (texts fetched on demand).
        self.contents = ContentStore(None)

    def document(self, source: SourceFile, data: bytes | None = None) -> Document | None:
        """The document an earlier build parsed from `source` as it is now, or None."""
        if data is not None:
            self.hashes.hash(str(source.src_path), data)
        return None

    def keep_documents(self, docs: list[Document]) -> None:
        """Remember the documents of this build (all of them) for the next one."""

    def body(self, site: Site, doc: Document) -> Content | None:
        """The rendered Markdown of `doc` when still current for `site`, or None."""
        return None

    def keep_bodies(self, site: Site, reused: Mapping[str, Content],
                    rendered: Mapping[str, Content]) -> dict[str, Content]:
        """Remember this build's Markdown; returns every document's content (texts may be
        left out: `contents` has them) in the order of the site's documents."""
        self.contents.fresh.update(rendered)
        return {doc.source.src: rendered[doc.source.src] for doc in markdown_docs(site)}

    def outputs(self, settings: str) -> OutputState | None:
        """What the output folder holds, when it was made by a build with these settings
        (the fingerprint of the config and options) and is untouched since; else None."""
        return None

    def keep_outputs(self, output: OutputState, settings: str) -> None:
        """Remember what the output folder holds now."""
        output.build_id = output_build_id(self.config)
        output.config_fp = settings
        self.state.started_ns = self.started_ns
        self.state.files = self.hashes.now
        self.state.outputs[str(self.config.output_dir)] = output

    def finish(self, site: Site, tasks: list[Task], settings: str) -> None:
        """The build succeeded: keep what the next one may reuse."""
        self.contents.close()


class _StateReuse(Reuse):
    """Answers from an earlier build's state."""

    def __init__(self, config: Config, started_ns: int, state: BuildState,
                 contents: ContentStore):
        super().__init__(config, started_ns)
        self.state, self.hashes, self.contents = state, FileHashes(state), contents
        self._parse_key = digest(config.taxonomies, config.front_matter,
                                  config.front_matter_extra)
        self._docs = state.docs if state.parse_key == self._parse_key else {}
        # Plugins that change converted Markdown count with their options, declared files
        # and code (a plugin that does not say what it reads: a new key every build).
        self._markdown_key = digest(config.markdown, config.base_path,
                                    config.plugins.body_fingerprint(self.hashes.hash))
        self._bodies = state.contents if state.markdown_key == self._markdown_key else {}
        self._stored_texts: dict[str, str] | None = None
        self._checked: tuple[str, OutputState | None] | None = None

    def document(self, source: SourceFile, data: bytes | None = None) -> Document | None:
        old = self._docs.get(source.src)
        path = str(source.src_path)
        file_hash = self.hashes.unchanged(path) if data is None else self.hashes.hash(path, data)
        if old is None or file_hash != old[0]:
            return None
        return Document(source, old[1], None, old[2], old[3])

    def keep_documents(self, docs: list[Document]) -> None:
        self.state.parse_key = self._parse_key
        self.state.docs = {
            doc.source.src: (self.hashes.hash(str(doc.source.src_path)), doc.front,
                             doc.body_line, doc.heading) for doc in docs}

    def _stored(self) -> dict[str, str]:
        """src -> fingerprint of each text in the on-disk store ({} without one)."""
        if self._stored_texts is None:
            self._stored_texts = (self.contents.stored()
                                  if self._bodies and self.contents.path is not None else {})
        return self._stored_texts

    def _template_fp(self, name: str) -> str:
        path = template_file(self.config, name)
        return self.hashes.hash(str(path)) if path else "missing"

    def body(self, site: Site, doc: Document) -> Content | None:
        rel = doc.source.src
        old = self._bodies.get(rel)
        if old is None or old[0] != self.state.docs[rel][0]:
            return None
        content = old[1]
        if self.contents.path is not None and self._stored().get(rel) != text_fp(content):
            return None
        if not all(site.links.get(target) == url for target, url in content.link_deps):
            return None
        if not all(self._template_fp(name) == fp for name, fp in content.template_deps):
            return None
        if not all(self.hashes.hash(path) == fp for path, fp in content.file_deps):
            return None  # a file it included (a snippet) changed
        return content

    def keep_bodies(self, site: Site, reused: Mapping[str, Content],
                    rendered: Mapping[str, Content]) -> dict[str, Content]:
        store, on_disk = self.contents, self.contents.path is not None
        (store.stubs if on_disk else store.fresh).update(reused)
        fresh = {rel: self._with_template_fps(content) for rel, content in rendered.items()}
        for rel, content in fresh.items():  # what `take` saved stays a stub: read on demand
            (store.stubs if rel in store.saved else store.fresh)[rel] = content
        kept: dict[str, tuple[str, Content]] = {}
        for doc in markdown_docs(site):
            rel = doc.source.src
            if rel in reused:
                content = reused[rel]
            else:
                content = stub(fresh[rel]) if on_disk and rel not in store.saved else fresh[rel]
            kept[rel] = (self.state.docs[rel][0], content)
        store.save(fresh, set(self._stored()) - set(kept))
        docs = {doc.source.src: doc for doc in markdown_docs(site)}
        store.recompute = lambda src: render_documents(site, [reparse(site, docs[src])])[0]
        self.state.markdown_key, self.state.contents = self._markdown_key, kept
        return {rel: content for rel, (_hash, content) in kept.items()}

    def _with_template_fps(self, content: Content) -> Content:
        if not content.template_deps:
            return content
        return replace(content, template_deps=tuple(
            (name, self._template_fp(name)) for name, _fp in content.template_deps))

    def outputs(self, settings: str) -> OutputState | None:
        if self._checked is None or self._checked[0] != settings:
            self._checked = settings, self._check_outputs(settings)
        return self._checked[1]

    def _check_outputs(self, settings: str) -> OutputState | None:
        old = self.state.outputs.get(str(self.config.output_dir))
        if old is None or old.config_fp != settings:
            return None
        live = output_build_id(self.config)
        if not live:
            return None  # no output, or a half-written one
        if old.build_id == live:
            return old  # untouched since (the shortcut on the machine that wrote it)
        return verified(old, self.config)


def verified(old: OutputState, config: Config) -> OutputState:
    """The records of an output folder that was copied, restored or touched since they were
    written (its marker is another): only those whose file still has the recorded bytes, by
    hash; every other live file is a stray, replaced or deleted by the build. The search
    bundle is left as it is (its files have no records; the search step rewrites it)."""
    outputs: dict[str, tuple[str, tuple[Key, ...]]] = {}
    strays = []
    for dest, path in output_files(config):
        if dest.startswith(SEARCH_DIR + "/"):
            continue
        record = old.outputs.get(dest)
        try:
            same = record is not None and digest_bytes(path.read_bytes()) == record[0]
        except OSError:
            same = False
        if same and record is not None:
            outputs[dest] = record
        else:
            strays.append(dest)
    return replace(old, outputs=outputs, strays=tuple(strays))


class DiskCache(_StateReuse):
    """The cache in SITE_DIR/.ssg-cache, read now and written when the build succeeds."""

    def __init__(self, config: Config, started_ns: int):
        super().__init__(config, started_ns, load_state(config.site_dir),
                         ContentStore(texts_file(config.site_dir), keep=False))

    def finish(self, site: Site, tasks: list[Task], settings: str) -> None:
        super().finish(site, tasks, settings)
        save_state(self.config.site_dir, self.state)


class SessionReuse(_StateReuse):
    """A session's memory; a successful build leaves its site model for quick rebuilds."""

    def __init__(self, config: Config, started_ns: int, session: Session):
        # A session read from the disk cache completes its contents from the SQLite file.
        texts = (texts_file(session.site_dir)
                 if session.stubbed and session.site_dir is not None else None)
        super().__init__(config, started_ns, session.state, ContentStore(texts))
        self.session = session
        #: The last build's site model, for the quick front end.
        self.recent = session.recent
        session.recent = None  # until this build succeeds
        self._edits: dict[str, Document] | None = None

    def keep_edits(self, edited: Mapping[str, Document], contents: Mapping[str, Content],
                   rendered: Mapping[str, Content]) -> dict[str, Content]:
        """Remember the documents and Markdown of a quick rebuild (the rest stays as the
        last build left it); returns every document's content."""
        self._edits = dict(edited)
        fresh = {rel: self._with_template_fps(content) for rel, content in rendered.items()}
        self.contents.fresh.update(contents)
        self.contents.fresh.update(fresh)
        return dict(self.contents.fresh)

    def keep_outputs(self, output: OutputState, settings: str) -> None:
        if self._edits is None:
            super().keep_outputs(output, settings)
            return
        output.build_id = output_build_id(self.config)
        output.config_fp = settings
        self.state.outputs[str(self.config.output_dir)] = output
        self.state.files.update(self.hashes.now)
        self.state.started_ns = min(self.state.started_ns, self.started_ns)

    def finish(self, site: Site, tasks: list[Task], settings: str) -> None:
        if self.session.stubbed:
            # From now on the session keeps every content whole, in memory.
            self.state.contents = {src: (file_hash, self.contents[src])
                                   for src, (file_hash, _stub) in self.state.contents.items()}
            self.contents.fresh.update(
                (src, content) for src, (_hash, content) in self.state.contents.items())
            self.session.stubbed = False
        super().finish(site, tasks, settings)
        for src, doc in (self._edits or {}).items():
            file_hash = self.hashes.hash(str(doc.source.src_path))
            self.state.docs[src] = (file_hash, doc.front, doc.body_line, doc.heading)
            self.state.contents[src] = (file_hash, self.contents.fresh[src])
        self.session.recent = Recent(settings, site, tasks, dict(self.contents.fresh))


def open_reuse(config: Config, started_ns: int, session: Session | None, *, cache: bool
               ) -> Reuse:
    """What a build reuses: the session's memory, else the on-disk cache when `cache`, else
    nothing."""
    if session is not None:
        return SessionReuse(config, started_ns, session)
    if cache:
        return DiskCache(config, started_ns)
    return Reuse(config, started_ns)
