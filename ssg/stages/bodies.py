"""Render the Markdown body of every document, taking what an earlier build rendered."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from ssg.parallel import map_ranges
from ssg.stages.assemble import Site
from ssg.stages.markdown import Content
from ssg.stages.parse import Document, parse, read_bytes
from ssg.stages.render import Progress, markdown_docs, render_documents

#: Below this many documents Markdown is rendered in one process: forking costs more.
PARALLEL_MIN = 200


class KnownBodies(Protocol):
    """What earlier builds rendered (see ssg.incremental.reuse)."""

    def body(self, site: Site, doc: Document) -> Content | None:
        """The rendered Markdown of `doc` when it is still current for `site` (its texts may
        be left out), or None."""


def render_bodies(site: Site, known: KnownBodies, *, jobs: int,
                  progress: Progress | None = None
                  ) -> tuple[dict[str, Content], dict[str, Content]]:
    """(reused, rendered): every document's Markdown, from `known` when still current, else
    rendered (in parallel when there are many), keyed by source path."""
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
    chunks = map_ranges(_chunk, (site, todo), len(todo),
                        jobs=jobs if len(todo) >= PARALLEL_MIN else 1,
                        chunk=max(50, len(todo) // (jobs * 4) + 1), progress=report)
    contents = (content for chunk in chunks for content in chunk)
    rendered = {doc.source.src: content for doc, content in zip(todo, contents, strict=True)}
    return reused, rendered


def reparse(site: Site, doc: Document) -> Document:
    """`doc` with its body, read and parsed again; the front matter stays `doc`'s (which
    plugins may have added to)."""
    return replace(parse(doc.source, site.config.taxonomies, read_bytes(doc.source)),
                   front=doc.front)


def _chunk(shared: tuple[Site, list[Document]], start: int, end: int) -> list[Content]:
    site, docs = shared
    return render_documents(site, docs[start:end])
