"""Dependency keys: what an output read while it was rendered, and each key's fingerprint.

Rendering records a key for every fact a template reads (`record(page_meta(src))`); an
incremental build renders an output again only when the fingerprint of one of its keys changed.
Each kind of key has a constructor here, and right below it the function that fingerprints it
from the assembled site, the rendered Markdown and the bytes of files. Keys are plain tuples of
strings, `(kind, *args)`: they are stored by the thousand in the cache, so they stay small.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from ssg.stages import families
from ssg.stages.assemble import Site, Term, shaped
from ssg.stages.lookup import template_file

#: A dependency: its kind, then what it names (a page's src, a section's key, a file's path).
Key = tuple[str, ...]

_current: ContextVar[set[Key] | None] = ContextVar("ssg_deps", default=None)


def record(key: Key) -> None:
    """Note that the output being rendered read the thing named by key."""
    deps = _current.get()
    if deps is not None:
        deps.add(key)


def record_all(found: Iterable[Key]) -> None:
    """Note each of these keys (what a saved value was made from)."""
    deps = _current.get()
    if deps is not None:
        deps.update(found)


@contextmanager
def tracking() -> Iterator[set[Key]]:
    """Collect every key recorded inside the block."""
    deps: set[Key] = set()
    token = _current.set(deps)
    try:
        yield deps
    finally:
        _current.reset(token)


def digest(*parts: object) -> str:
    """A short stable hash of values with a deterministic repr."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()


def digest_bytes(data: bytes) -> str:
    """A short stable hash of bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# --- fingerprints ----------------------------------------------------------------------------

class Rendered(Protocol):
    """What fingerprints read of a document's rendered Markdown (`markdown.Content`, which
    cannot be imported here: markdown imports `digest` from this module)."""

    @property
    def body_fp(self) -> str:
        """Fingerprint of the body's HTML, table of contents and word count."""
        ...

    @property
    def summary_fp(self) -> str:
        """Fingerprint of the summary's HTML."""
        ...


@dataclass(frozen=True)
class Inputs:
    """What fingerprints are taken from: the assembled site, the rendered Markdown by source
    path and a hash of a file's bytes by path."""

    site: Site
    contents: Mapping[str, Rendered]
    file_hash: Callable[[str], str]


#: Computes the fingerprint of a key of one kind from the inputs and the key's arguments.
Fingerprint = Callable[..., str]
#: The fingerprint function of every kind of key, by kind.
FINGERPRINTS: dict[str, Fingerprint] = {}

#: The fingerprint of a key whose page, section, term or data file no longer exists.
GONE = "gone"


def _fingerprint(kind: str) -> Callable[[Fingerprint], Fingerprint]:
    """Register the decorated function as the fingerprint of keys of this kind."""
    def register(function: Fingerprint) -> Fingerprint:
        FINGERPRINTS[kind] = function
        return function
    return register


def fingerprint(inputs: Inputs, key: Key) -> str:
    """The fingerprint of any key: it changes when what the key names changes."""
    function = FINGERPRINTS.get(key[0])
    if function is None:
        raise ValueError(f"unknown dependency key {key!r}")
    return function(inputs, *key[1:])


# --- pages -----------------------------------------------------------------------------------

def page_meta(src: str) -> Key:
    """A page's title, slug, URL, section, aliases and front matter."""
    return ("meta", src)


@_fingerprint("meta")
def _page_meta(inputs: Inputs, src: str) -> str:
    page = inputs.site.pages.get(src)
    if page is None:
        return GONE
    return digest(page.title, page.slug, page.path, page.section, page.aliases, page.doc.front)


def page_body(src: str) -> Key:
    """A page's body as HTML, its table of contents and word count."""
    return ("body", src)


@_fingerprint("body")
def _page_body(inputs: Inputs, src: str) -> str:
    return inputs.contents[src].body_fp if src in inputs.site.pages else GONE


def page_summary(src: str) -> Key:
    """A page's summary as HTML."""
    return ("summary", src)


@_fingerprint("summary")
def _page_summary(inputs: Inputs, src: str) -> str:
    return inputs.contents[src].summary_fp if src in inputs.site.pages else GONE


def page_neighbours(src: str) -> Key:
    """Which pages come before and after a page in its section's listing."""
    return ("nb", src)


@_fingerprint("nb")
def _page_neighbours(inputs: Inputs, src: str) -> str:
    site = inputs.site
    return digest(site.neighbours.get(src)) if src in site.pages else GONE


def page_order() -> Key:
    """Every published page, in the site's order (newest first)."""
    return ("order",)


@_fingerprint("order")
def _page_order(inputs: Inputs, lang: str | None = None) -> str:
    if lang is None:
        return digest(inputs.site.order)
    return digest(inputs.site.orders.get(lang, GONE))


def language_order(lang: str) -> Key:
    """One language's published pages, in the order of its home page (newest first)."""
    return ("order", lang)


def page_translations(src: str) -> Key:
    """A page's translations: their languages and URLs."""
    return ("tr", src)


@_fingerprint("tr")
def _page_translations(inputs: Inputs, src: str) -> str:
    site = inputs.site
    return digest([(site.pages[s].lang, site.pages[s].path)
                   for s in site.translations.get(src, ())])


def section_translations(key: str) -> Key:
    """A section's translations: their languages and URLs."""
    return ("sectr", key)


@_fingerprint("sectr")
def _section_translations(inputs: Inputs, key: str) -> str:
    site = inputs.site
    return digest([(site.sections[k].lang, site.sections[k].path)
                   for k in site.section_translations.get(key, ())])


# --- sections --------------------------------------------------------------------------------

def section_meta(key: str) -> Key:
    """A section's title, URL, parent and the front matter of its _index.md."""
    return ("sec", key)


@_fingerprint("sec")
def _section_meta(inputs: Inputs, key: str) -> str:
    section = inputs.site.sections.get(key)
    if section is None:
        return GONE
    return digest(section.title, section.path, section.parent,
                  section.doc.front if section.doc else None)


def section_body(key: str) -> Key:
    """The body and summary of a section's _index.md, as HTML."""
    return ("secbody", key)


@_fingerprint("secbody")
def _section_body(inputs: Inputs, key: str) -> str:
    section = inputs.site.sections.get(key)
    if section is None:
        return GONE
    content = inputs.contents.get(section.doc.source.src) if section.doc else None
    return digest(content.body_fp, content.summary_fp) if content else "none"


def section_pages(key: str) -> Key:
    """A section's own pages, in listing order."""
    return ("seclist", key)


@_fingerprint("seclist")
def _section_pages(inputs: Inputs, key: str) -> str:
    section = inputs.site.sections.get(key)
    return digest(section.pages) if section is not None else GONE


def section_subsections(key: str) -> Key:
    """A section's child sections, in order."""
    return ("subs", key)


@_fingerprint("subs")
def _section_subsections(inputs: Inputs, key: str) -> str:
    section = inputs.site.sections.get(key)
    return digest(section.subsections) if section is not None else GONE


def section_keys() -> Key:
    """Which sections the site has."""
    return ("sections",)


@_fingerprint("sections")
def _section_keys(inputs: Inputs) -> str:
    return digest(sorted(inputs.site.sections))


def home_pages() -> Key:
    """The pages the home page lists: those of the main sections, in the site's order."""
    return ("home",)


@_fingerprint("home")
def _home_pages(inputs: Inputs) -> str:
    return shaped(inputs.site, "_home_pages fp", lambda: digest(families.home_pages(inputs.site)))


def blog_sections() -> Key:
    """Which top-level sections have dated pages (read as a blog, not as documentation)."""
    return ("blogs",)


@_fingerprint("blogs")
def _blog_sections(inputs: Inputs) -> str:
    return shaped(inputs.site, "_blog_sections fp",
                  lambda: digest(sorted(families.blog_sections(inputs.site))))


def menu_pages() -> Key:
    """The pages and sections that front matter puts in a menu, with their titles, URLs and
    weights."""
    return ("menus",)


@_fingerprint("menus")
def _menu_pages(inputs: Inputs) -> str:
    return shaped(inputs.site, "_menu_pages fp", lambda: digest(families.menu_pages(inputs.site)))


# --- taxonomies ------------------------------------------------------------------------------

def taxonomy_terms(name: str) -> Key:
    """A taxonomy's terms: each one's name, slug and number of pages."""
    return ("terms", name)


@_fingerprint("terms")
def _taxonomy_terms(inputs: Inputs, name: str) -> str:
    taxonomy = inputs.site.taxonomies.get(name)
    if taxonomy is None:
        return GONE
    return digest([(t.name, t.slug, len(t.pages)) for t in taxonomy.terms])


def taxonomy_has_terms(name: str) -> Key:
    """Whether a taxonomy has any term (menus leave out the empty ones)."""
    return ("hasterms", name)


@_fingerprint("hasterms")
def _taxonomy_has_terms(inputs: Inputs, name: str) -> str:
    taxonomy = inputs.site.taxonomies.get(name)
    return GONE if taxonomy is None else str(bool(taxonomy.terms))


def term_pages(taxonomy: str, slug: str) -> Key:
    """A term's name and the pages carrying it, in order."""
    return ("termlist", taxonomy, slug)


@_fingerprint("termlist")
def _term_pages(inputs: Inputs, taxonomy: str, slug: str) -> str:
    term = _term(inputs.site, taxonomy, slug)
    return digest(term.name, term.pages) if term is not None else GONE


def term_name(taxonomy: str, slug: str) -> Key:
    """A term's name as written."""
    return ("termname", taxonomy, slug)


@_fingerprint("termname")
def _term_name(inputs: Inputs, taxonomy: str, slug: str) -> str:
    term = _term(inputs.site, taxonomy, slug)
    return digest(term.name) if term is not None else GONE


def _term(site: Site, taxonomy: str, slug: str) -> Term | None:
    found = site.taxonomies.get(taxonomy)
    return next((t for t in found.terms if t.slug == slug), None) if found else None


# --- data, templates and files ---------------------------------------------------------------

def data_names() -> Key:
    """Which data files the site has."""
    return ("data",)


def data_file(name: str) -> Key:
    """The value of one data file."""
    return ("data", name)


@_fingerprint("data")
def _data(inputs: Inputs, name: str | None = None) -> str:
    data = inputs.site.data
    return digest(sorted(data)) if name is None else digest(data.get(name, GONE))


def template(name: str) -> Key:
    """The bytes of the file a template name resolves to (site, theme or built-in)."""
    return ("tpl", name)


@_fingerprint("tpl")
def _template(inputs: Inputs, name: str) -> str:
    path = template_file(inputs.site.config, name)
    return inputs.file_hash(str(path)) if path else "missing"


#: Kinds whose fingerprint reads a file on disk (a template, a copied file, a static file).
FILE_KINDS = frozenset({"tpl", "file", "static", "derived"})


def template_names(keys: Iterable[Key]) -> set[str]:
    """The names of the templates among keys."""
    return {key[1] for key in keys if key[0] == "tpl"}


def copied_file(path: str) -> Key:
    """The bytes of a file copied as it is (a static file, a page's asset)."""
    return ("file", path)


@_fingerprint("file")
def _copied_file(inputs: Inputs, path: str) -> str:
    return inputs.file_hash(path)


def derived_image(dest: str, src_path: str, stored: str) -> Key:
    """A processed image a template asked for: its output path, its source and the stored
    file holding its bytes (named by the source's hash and the operation)."""
    return ("derived", dest, src_path, stored)


@_fingerprint("derived")
def _derived_image(inputs: Inputs, dest: str, src_path: str, stored: str) -> str:
    return inputs.file_hash(src_path)


def bundle_files(src: str) -> Key:
    """Which files a page bundle has."""
    return ("bundle", src)


@_fingerprint("bundle")
def _bundle_files(inputs: Inputs, src: str) -> str:
    return digest(inputs.site.bundle(src)) if src in inputs.site.pages else GONE


def plugin(name: str) -> Key:
    """A plugin's code, options and declared files (see ssg.plugins.host)."""
    return ("plugin", name)


@_fingerprint("plugin")
def _plugin(inputs: Inputs, name: str) -> str:
    plugins = inputs.site.config.plugins
    if name not in plugins.names:
        return GONE
    return plugins.fingerprint(name, inputs.file_hash)


def plugin_output(dest: str) -> Key:
    """The bytes of a file a plugin adds to the output."""
    return ("pluginout", dest)


@_fingerprint("pluginout")
def _plugin_output(inputs: Inputs, dest: str) -> str:
    found = inputs.site.plugin_files.get(dest)
    return digest_bytes(found[1]) if found is not None else GONE


def static_file(dest: str) -> Key:
    """Whether the site or its theme has a static file at dest (it replaces what ssg makes)."""
    return ("static", dest)


@_fingerprint("static")
def _static_file(inputs: Inputs, dest: str) -> str:
    config = inputs.site.config
    return digest([(root / "static" / dest).is_file()
                   for root in (config.site_dir, *config.themes)])
