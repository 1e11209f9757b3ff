"""The plugins' hooks at the stage boundaries: stage products turned into the frozen values
plugins see (ssg.plugins), and what the hooks return turned back into stage products.

Each function here is one call site of the build; the stages themselves only take a hook
object (`BodyHooks`) or a value computed here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import date
from types import MappingProxyType
from typing import Any

from ssg.errors import PluginError
from ssg.plugins import DocumentInfo, PageInfo, SiteInfo, freeze
from ssg.plugins.host import Plugins
from ssg.stages import keys
from ssg.stages.assemble import Site
from ssg.stages.keys import record
from ssg.stages.parse import Document, FrontMatter, decode, read_bytes, split_front_matter
from ssg.utils import to_datetime

#: The front matter fields `documents_parsed` may set; the others decide how the Markdown is
#: converted (title, summary) or where the page goes, which the page's own file says.
_SETTABLE = ("date", "updated", "expires", "draft", "weight", "extra")


def front_values(front: FrontMatter) -> Mapping[str, Any]:
    """The front matter as a read-only table."""
    return MappingProxyType({f.name: freeze(getattr(front, f.name)) for f in fields(front)})


def apply_documents(plugins: Plugins, docs: list[Document]) -> tuple[list[Document], set[str]]:
    """The documents after every plugin's `documents_parsed`, and the srcs it changed."""
    names = plugins.implementing("documents_parsed")
    if not names:
        return docs, set()
    by_src = {doc.source.src: doc for doc in docs}
    changed: set[str] = set()
    for name in names:
        infos = tuple(DocumentInfo(d.source.src, d.source.display, front_values(d.front))
                      for d in by_src.values())
        result = plugins.call(name, "documents_parsed", documents=infos,
                              site_dir=plugins.site_dir)
        if result is None:
            continue
        if not isinstance(result, Mapping):
            raise PluginError(f"plugin '{name}': hook documents_parsed returned "
                              f"{type(result).__name__}, not a table of src -> fields",
                              path=plugins.spec(name).label)
        for src, values in result.items():
            doc = by_src.get(src)
            if doc is None:
                raise PluginError(f"plugin '{name}': hook documents_parsed returned fields "
                                  f"for {src!r}, which is no document of the site",
                                  path=plugins.spec(name).label)
            by_src[src] = replace(doc, front=_updated_front(name, doc, values))
            changed.add(src)
    return [by_src[doc.source.src] for doc in docs], changed


def _updated_front(name: str, doc: Document, values: Any) -> FrontMatter:
    """The document's front matter with what a plugin set, each value checked."""
    where = doc.source.display

    def bad(message: str) -> PluginError:
        return PluginError(f"plugin '{name}' failed in hook documents_parsed: {message}",
                           path=where)

    if not isinstance(values, Mapping):
        raise bad(f"the fields must be a table, not {type(values).__name__}")
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _SETTABLE:
            raise bad(f"cannot set '{key}' (may set: {', '.join(_SETTABLE)})")
        if key in ("date", "updated", "expires"):
            if value is not None and not isinstance(value, date):
                raise bad(f"'{key}' must be a date or datetime, not {value!r}")
            changes[key] = to_datetime(value) if value is not None else None
        elif key == "draft":
            if not isinstance(value, bool):
                raise bad(f"'draft' must be true or false, not {value!r}")
            changes[key] = value
        elif key == "weight":
            if not isinstance(value, int) or isinstance(value, bool):
                raise bad(f"'weight' must be a whole number, not {value!r}")
            changes[key] = value
        else:
            if not isinstance(value, Mapping):
                raise bad(f"'extra' must be a table, not {type(value).__name__}")
            changes[key] = MappingProxyType({**doc.front.extra, **freeze(value)})
    return replace(doc.front, **changes)


def page_info(site: Site, doc: Document) -> PageInfo:
    """What page hooks see of a page or section file."""
    src = doc.source.src
    page = site.pages.get(src)
    url = site.links.get(src, "")
    title = page.title if page is not None else doc.front.title or doc.heading or ""
    if page is not None:
        section = page.section
    else:
        section = next((key for key, s in site.sections.items()
                        if s.doc is not None and s.doc.source.src == src), "")
        title = site.sections[section].title if section in site.sections else title
    return PageInfo(src=src, file=doc.source.display, url=url,
                    permalink=site.config.origin + url if url else "", title=title,
                    date=doc.front.date, updated=doc.front.updated,
                    front=front_values(doc.front),
                    kind="page" if page is not None else "section", section=section)


def site_info(site: Site, *, markdown: bool = False) -> SiteInfo:
    """What site-wide hooks see of the site; with `markdown`, every page's Markdown too."""
    config = site.config
    docs = [site.pages[src].doc for src in site.order]
    docs += [s.doc for _key, s in sorted(site.sections.items()) if s.doc is not None]
    texts = {doc.source.src: body_text(doc) for doc in docs} if markdown else {}
    return SiteInfo(title=config.title, description=config.description,
                    language=config.language, base_url=config.base_url,
                    pages=tuple(page_info(site, doc) for doc in docs),
                    markdown=MappingProxyType(texts))


def body_text(doc: Document) -> str:
    """A document's Markdown body (read again when the cache kept only its front matter)."""
    if doc.body is not None:
        return doc.body
    text = decode(doc.source, read_bytes(doc.source))
    return split_front_matter(text, doc.source.display)[2]


def assembled_data(plugins: Plugins, site: Site) -> Site:
    """The site with what `site_assembled` hooks return as `site.data["NAME"]`."""
    names = plugins.implementing("site_assembled")
    if not names:
        return site
    info = site_info(site)
    data = dict(site.data)
    for name, value in plugins.collect("site_assembled", site=info).items():
        if name in data:
            raise PluginError(f"plugin '{name}': its site data would replace the data file "
                              f"data/{name}.*; rename one of them", path=plugins.spec(name).label)
        data[name] = freeze(value)
    return replace(site, data=MappingProxyType(data))


def extra_files(plugins: Plugins, site: Site) -> dict[str, tuple[str, bytes]]:
    """dest -> (plugin, bytes) of the files `extra_outputs` hooks add."""
    names = plugins.implementing("extra_outputs")
    if not names:
        return {}
    info = site_info(site, markdown=True)
    files: dict[str, tuple[str, bytes]] = {}
    for name, result in plugins.collect("extra_outputs", site=info).items():
        label = plugins.spec(name).label
        if not isinstance(result, Mapping):
            raise PluginError(f"plugin '{name}': hook extra_outputs returned "
                              f"{type(result).__name__}, not a table of dest -> text",
                              path=label)
        for dest, data in result.items():
            if not isinstance(dest, str) or not isinstance(data, str | bytes):
                raise PluginError(f"plugin '{name}': hook extra_outputs returned {dest!r}: "
                                  "each output needs a path and text or bytes", path=label)
            clean = posixpath.normpath(dest.lstrip("/")) if dest.strip("/") else dest
            files[clean] = (name, data.encode("utf-8") if isinstance(data, str) else data)
    return files


class BodyHooks:
    """The `page_markdown` and `page_html` hooks, for the Markdown stage."""

    def __init__(self, site: Site):
        self.site = site
        self.plugins = site.config.plugins

    def markdown(self, doc: Document, text: str) -> str:
        """The Markdown after every plugin's `page_markdown`."""
        return self.plugins.transform("page_markdown", text, doc.source.display,
                                      page=page_info(self.site, doc))

    def html(self, doc: Document, html: str) -> str:
        """The HTML after every plugin's `page_html`."""
        return self.plugins.transform("page_html", html, doc.source.display,
                                      page=page_info(self.site, doc))


def body_hooks(site: Site) -> BodyHooks | None:
    """The hooks the Markdown stage calls, or None when no plugin has them."""
    plugins = site.config.plugins
    if plugins.implementing("page_markdown") or plugins.implementing("page_html"):
        return BodyHooks(site)
    return None


def page_context(site: Site, src: str) -> Mapping[str, Any]:
    """`plugins` in a page's templates: name -> what its `page_context` returned. Records the
    page's metadata and each plugin's fingerprint as read by the output."""
    plugins = site.config.plugins
    names = plugins.implementing("page_context")
    if not names:
        return _EMPTY
    record(keys.page_meta(src))
    for name in names:
        record(keys.plugin(name))
    doc = site.pages[src].doc
    results = plugins.collect("page_context", doc.source.display, page=page_info(site, doc))
    for name, value in results.items():
        if not isinstance(value, Mapping):
            raise PluginError(f"plugin '{name}': hook page_context returned "
                              f"{type(value).__name__}, not a table", path=doc.source.display)
    return MappingProxyType({name: freeze(value) for name, value in results.items()})


_EMPTY: Mapping[str, Any] = MappingProxyType({})

