"""Render the Markdown body of every document, taking what an earlier build rendered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from ssg.parallel import map_ranges
from ssg.stages.assemble import Site
from ssg.stages.markdown import Content
from ssg.stages.parse import Document, parse, read_bytes
from ssg.stages.render import Progress, markdown_docs, markdown_renderer, render_documents

#: Below this many documents Markdown is rendered in one process: forking costs more.
PARALLEL_MIN = 200
#: Documents (or outputs, for rendering) per batch at most: what a batch sends back to the
#: build's process is in memory at once.
CHUNK_MAX = 1000
#: Batches of Markdown per process: documents differ in length, and with few big batches
#: one process works alone at the end (at 10,000 documents on 2 processes, batches of 313
#: against batches of 1,000: the Markdown step in a median 10.3 s against 11.9 s, 5 runs).
BATCHES_PER_JOB = 16


class KnownBodies(Protocol):
    """What earlier builds rendered (see ssg.incremental.reuse)."""

    def body(self, site: Site, doc: Document) -> Content | None:
        """The rendered Markdown of `doc` when it is still current for `site` (its texts may
        be left out), or None."""


class TextStore(Protocol):
    """Where rendered Markdown may go as it is made (see ssg.incremental.state)."""

    def take(self, rendered: list[tuple[str, Content]]) -> list[tuple[str, Content, bool]]:
        """In the process that rendered a batch: (src, content, taken) for each, taken when
        the store kept its texts and `content` is without them."""

    def taken(self, batch: list[tuple[str, Content, bool]]) -> list[tuple[str, Content, bool]]:
        """In the build's process, as a batch arrives: note what `take` kept."""


def render_bodies(site: Site, known: KnownBodies, *, jobs: int,
                  progress: Progress | None = None, store: TextStore | None = None
                  ) -> tuple[dict[str, Content], dict[str, Content]]:
    """(reused, rendered): every document's Markdown, from `known` when still current, else
    rendered (in parallel when there are many), keyed by source path. With `store`, each
    batch's texts go to it where they are rendered: they never travel back, and the
    contents come back without them."""
    reused: dict[str, Content] = {}
    todo: list[Document] = []
    for doc in markdown_docs(site):
        content = known.body(site, doc)
        if content is not None:
            reused[doc.source.src] = content
        elif doc.body is None:  # parsed by an earlier build, without its text: read it again
            todo.append(reparse(site, doc))
        else:
            todo.append(doc)
    report = None if progress is None else (
        lambda done: progress("Rendering Markdown", done, len(todo)))
    chunks = map_ranges(_chunk, {"site": site, "docs": todo, "store": store}, len(todo),
                        jobs=jobs if len(todo) >= PARALLEL_MIN else 1,
                        chunk=min(CHUNK_MAX, max(50, len(todo) // (jobs * BATCHES_PER_JOB) + 1)),
                        progress=report, each=store.taken if store is not None else None)
    rendered = {src: content for chunk in chunks for src, content, _taken in chunk}
    return reused, rendered


def reparse(site: Site, doc: Document) -> Document:
    """`doc` with its body, read and parsed again; the front matter stays `doc`'s (which
    plugins may have added to)."""
    return replace(parse(doc.source, site.config.taxonomies, read_bytes(doc.source)),
                   front=doc.front)


def _chunk(shared: dict[str, Any], start: int, end: int) -> list[tuple[str, Content, bool]]:
    site: Site = shared["site"]
    docs: list[Document] = shared["docs"][start:end]
    store: TextStore | None = shared["store"]
    renderer = shared.get("renderer")
    if renderer is None:  # one per process, reused by the batches it renders
        renderer = shared["renderer"] = markdown_renderer(site)
    made = list(zip((doc.source.src for doc in docs), render_documents(site, docs, renderer),
                    strict=True))
    if store is not None:
        return store.take(made)
    return [(src, content, False) for src, content in made]
