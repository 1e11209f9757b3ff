"""The quick front end, for the dev server: a save that changes only page bodies.

When the caller knows which files changed (the dev server does) and every one of them is an
existing page or section file whose front matter and title stayed the same, the site's shape
cannot have changed: no URL, list, order, term or neighbour moves. Then only those pages'
Markdown is rendered again, and the back half of the build (ssg.build) renders only the outputs
that read their body or summary. Anything else (a new, deleted or renamed file, a front matter
edit, a template) returns None, and the build takes its normal front end, which checks
everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from ssg.errors import SsgError
from ssg.incremental.reuse import Front, SessionReuse
from ssg.stages import keys as vocabulary
from ssg.stages.assemble import Site
from ssg.stages.bodies import render_bodies
from ssg.stages.keys import Key
from ssg.stages.markdown import Content
from ssg.stages.parse import Document, parse, read_bytes


def quick_front(reuse: SessionReuse, settings: str, changed: Iterable[Path]) -> Front | None:
    """The site after edits to page bodies only, with the keys they changed; None when the
    change needs the normal front end."""
    recent = reuse.recent
    if recent is None or recent.key != settings or reuse.outputs(settings) is None:
        return None
    edited = _edited(recent.site, changed, reuse)
    if not edited:
        return None
    # This build's config (the same settings): its plugins read their declared files afresh.
    site = replace(_with_docs(recent.site, edited), config=reuse.config)
    site.shape.update(recent.site.shape)  # the edits keep the shape (see _edited)
    _reused, rendered = render_bodies(site, _Unedited(recent.contents, edited), jobs=1)
    contents = reuse.keep_edits(edited, recent.contents, rendered)
    return Front(site, recent.tasks, contents, _changed_keys(site, recent.contents, contents,
                                                             edited))


def _edited(site: Site, changed: Iterable[Path], reuse: SessionReuse
            ) -> dict[str, Document] | None:
    """src -> new document of each changed file; None unless every one is a page or section
    file whose front matter and title stayed the same."""
    docs: dict[str, Document] = {p.src: p.doc for p in site.pages.values()}
    docs.update((s.doc.source.src, s.doc) for s in site.sections.values() if s.doc)
    by_path = {str(doc.source.src_path): src for src, doc in docs.items()}
    edited: dict[str, Document] = {}
    for path in changed:
        src = by_path.get(str(path))
        if src is None:
            return None
        old = docs[src]
        try:
            data = read_bytes(old.source)
            doc = parse(old.source, site.config.taxonomies, data)
        except SsgError:
            return None  # the normal front end reports it
        if doc.front != old.front or doc.heading != old.heading:
            return None
        reuse.hashes.hash(str(path), data)
        edited[src] = doc
    return edited


def _with_docs(site: Site, edited: Mapping[str, Document]) -> Site:
    pages = dict(site.pages)
    sections = dict(site.sections)
    section_of = {s.doc.source.src: k for k, s in site.sections.items() if s.doc}
    for src, doc in edited.items():
        if src in pages:
            pages[src] = replace(pages[src], doc=doc)
        else:
            key = section_of[src]
            sections[key] = replace(sections[key], doc=doc)
    return replace(site, pages=MappingProxyType(pages), sections=MappingProxyType(sections))


class _Unedited:
    """The last build's bodies, current for every document but the edited ones."""

    def __init__(self, contents: Mapping[str, Content], edited: Mapping[str, Document]):
        self.contents, self.edited = contents, edited

    def body(self, site: Site, doc: Document) -> Content | None:
        src = doc.source.src
        return None if src in self.edited else self.contents[src]


def _changed_keys(site: Site, before: Mapping[str, Content], after: Mapping[str, Content],
                  edited: Iterable[str]) -> frozenset[Key]:
    """The body and summary keys whose fingerprints the edits changed."""
    section_of = {s.doc.source.src: k for k, s in site.sections.items() if s.doc}
    keys: set[Key] = set()
    for src in edited:
        old, new = before[src], after[src]
        section = section_of.get(src)
        if section is not None:
            if (old.body_fp, old.summary_fp) != (new.body_fp, new.summary_fp):
                keys.add(vocabulary.section_body(section))
        else:
            if old.body_fp != new.body_fp:
                keys.add(vocabulary.page_body(src))
            if old.summary_fp != new.summary_fp:
                keys.add(vocabulary.page_summary(src))
    return frozenset(keys)
