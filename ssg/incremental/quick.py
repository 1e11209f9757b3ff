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
from ssg.incremental.fingerprints import readers
from ssg.incremental.reuse import Front, Session, SessionReuse
from ssg.stages import families
from ssg.stages import keys as vocabulary
from ssg.stages.assemble import Site, shaped
from ssg.stages.keys import Key
from ssg.stages.language_context import load_locales
from ssg.stages.markdown import Content
from ssg.stages.parse import Document, parse, read_bytes
from ssg.stages.render import render_documents


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
    rendered = dict(zip(edited, render_documents(site, list(edited.values())), strict=True))
    contents = reuse.keep_edits(edited, recent.contents, rendered)
    return Front(site, recent.tasks, contents, _changed_keys(site, recent.contents, contents,
                                                             edited))


def prepare(session: Session) -> None:
    """Work out now what the session's next quick rebuild would first: which outputs read each
    page's body, where each document's file is, what the site's shape gives the home page and
    menus, the locale data. The dev server calls it while it waits for a change, so that the
    first save after a full build costs what later ones do (at 10,000 pages: 0.2 s)."""
    recent = session.recent
    if recent is None:
        return
    for output in session.state.outputs.values():
        readers(output)
    site = recent.site
    shaped(site, _BY_PATH, lambda: _documents_by_path(site))
    langs = [None, *(lang.code for lang in site.languages.all)] if site.languages.multilingual \
        else [None]
    for lang in langs:
        families.home_pages(site, lang)
        families.menu_pages(site, lang)
    load_locales(site)


#: The key, in Site.shape, of the map from a document's file to its src (_documents_by_path).
_BY_PATH = "documents by path"


def _edited(site: Site, changed: Iterable[Path], reuse: SessionReuse
            ) -> dict[str, Document] | None:
    """src -> new document of each changed file; None unless every one is a page or section
    file whose front matter and title stayed the same."""
    by_path = shaped(site, _BY_PATH, lambda: _documents_by_path(site))
    edited: dict[str, Document] = {}
    for path in changed:
        found = by_path.get(str(path))
        if found is None:
            return None
        src, section = found
        old = site.pages[src].doc if section is None else site.sections[section].doc
        assert old is not None
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


def _documents_by_path(site: Site) -> dict[str, tuple[str, str | None]]:
    """Source file -> (src, the key of the section it is the _index.md of, or None)."""
    found: dict[str, tuple[str, str | None]] = {
        str(page.doc.source.src_path): (src, None) for src, page in site.pages.items()}
    found.update((str(section.doc.source.src_path), (section.doc.source.src, key))
                 for key, section in site.sections.items() if section.doc is not None)
    return found


def _section_files(site: Site) -> dict[str, str]:
    """The src of each section's _index.md -> the section's key (kept with the shape)."""
    return shaped(site, "section files", lambda: {
        section.doc.source.src: key for key, section in site.sections.items()
        if section.doc is not None})


def _with_docs(site: Site, edited: Mapping[str, Document]) -> Site:
    pages = dict(site.pages)
    sections = dict(site.sections)
    section_of = _section_files(site)
    for src, doc in edited.items():
        if src in pages:
            pages[src] = replace(pages[src], doc=doc)
        else:
            key = section_of[src]
            sections[key] = replace(sections[key], doc=doc)
    return replace(site, pages=MappingProxyType(pages), sections=MappingProxyType(sections))


def _changed_keys(site: Site, before: Mapping[str, Content], after: Mapping[str, Content],
                  edited: Iterable[str]) -> frozenset[Key]:
    """The body and summary keys whose fingerprints the edits changed."""
    section_of = _section_files(site)
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
