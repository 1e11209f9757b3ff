"""Parse every page and section file of the site, taking what an earlier build parsed."""

from __future__ import annotations

from typing import Protocol

from ssg.errors import SsgError, raise_all
from ssg.stages.content import Document, SourceFile, Sources, parse, read_bytes


class KnownDocuments(Protocol):
    """What earlier builds parsed (see ssg.incremental.reuse)."""

    def document(self, source: SourceFile, data: bytes | None = None) -> Document | None:
        """The document an earlier build parsed from `source` as it is now (its body may be
        left out), or None. Without `data` it answers only when the file is known unchanged
        without reading it."""


def parse_sources(sources: Sources, taxonomies: tuple[str, ...], known: KnownDocuments
                  ) -> tuple[list[Document], list[Document]]:
    """(pages, section files) parsed, or taken from `known` when their bytes are unchanged.

    Every unreadable or invalid file is reported, all at once.
    """
    errors: list[SsgError] = []
    parsed: tuple[list[Document], list[Document]] = ([], [])
    for bucket, files in zip(parsed, (sources.pages, sources.section_files), strict=True):
        for source in files:
            try:
                bucket.append(_parse_one(source, taxonomies, known))
            except SsgError as exc:
                errors.extend(exc.errors if hasattr(exc, "errors") else [exc])
    raise_all(errors)
    return parsed


def _parse_one(source: SourceFile, taxonomies: tuple[str, ...], known: KnownDocuments
               ) -> Document:
    doc = known.document(source)
    if doc is None:
        data = read_bytes(source)
        doc = known.document(source, data) or parse(source, taxonomies, data)
    return doc
