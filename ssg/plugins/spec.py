"""The hooks a plugin can implement, in the order a build calls them.

Every hook may take any subset of the arguments named here, by name. Each plugin's hooks are
called with its own `options` (its `[plugins.NAME]` table of ssg.toml, read-only) and, when it
declared files in `reads`, their bytes as `files` (path -> bytes; a missing file is left out).
Returning None means "no change". Transforming hooks run once per plugin, in the order of the
`[plugins.*]` tables in ssg.toml, each one receiving what the one before returned.

The docs page content/docs/plugins.md is the reference for users; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pluggy

from ssg.plugins import DocumentInfo, PageInfo, Reads, SiteInfo

hookspec = pluggy.HookspecMarker("ssg")

#: The hooks, in the order a build calls them (also the order of the reference page).
HOOKS = ("reads", "config_loaded", "documents_parsed", "site_assembled", "extra_outputs",
         "page_markdown", "page_html", "page_context", "build_finished", "server_started")


@hookspec
def reads(options: Mapping[str, Any]) -> Reads:
    """Say what the plugin's hooks read besides their options and the plugin's code.

    Called once per build, before any other hook. Return `Reads(files=(...))` naming files
    relative to the site folder (glob patterns allowed); their bytes are handed to every hook
    as `files`, and their fingerprints, with the options' and the plugin's own source or
    version, decide which converted pages and outputs are made again. Return `Reads()` when
    the hooks read nothing else. A plugin without this hook cannot say what it reads: the
    pages its `page_markdown`/`page_html` hooks see are converted again on every build and
    the outputs its `page_context` hook sees are rendered again on every build.
    """
    raise NotImplementedError  # a specification: plugins implement it


@hookspec
def config_loaded(config: Any, options: Mapping[str, Any]) -> None:
    """Check the plugin's options once ssg.toml is loaded (`config` is ssg's frozen `Config`).

    Raise `ValueError` (or any exception) with a message to reject them: the build stops with
    a config error naming `plugins.NAME`. Returns nothing.
    """


@hookspec
def documents_parsed(documents: tuple[DocumentInfo, ...], options: Mapping[str, Any],
                     files: Mapping[str, bytes], site_dir: Path
                     ) -> Mapping[str, Mapping[str, Any]] | None:
    """Add to or change the front matter of parsed pages, before the site is assembled.

    Receives every page and section file (drafts too) and the site's folder. Return
    `{src: {field: value}}` for the documents to change; the fields a plugin may set are
    `date`, `updated`, `expires` (datetimes), `draft` (bool), `weight` (int) and `extra` (a
    table merged into the page's `extra`). Runs in the build's main process on every build;
    what it returns is part of each page's fingerprint, so only the outputs showing a changed
    value are made again.
    """


@hookspec
def site_assembled(site: SiteInfo, options: Mapping[str, Any],
                   files: Mapping[str, bytes]) -> Any:
    """Compute site-wide data once the site is assembled (URLs, order, sections known).

    Return plain data (tables, lists, strings, numbers, dates) or None: templates see it as
    `site.data["NAME"]`, NAME being the plugin's name, fingerprinted like a data file. Runs in
    the main process on every build.
    """


@hookspec
def extra_outputs(site: SiteInfo, options: Mapping[str, Any],
                  files: Mapping[str, bytes]) -> Mapping[str, str | bytes] | None:
    """Add files to the output: return `{dest: text or bytes}`, dest being a path relative to
    the output folder (`llms.txt`, `posts/hello/index.md`).

    `site.markdown` holds the Markdown of every page. Runs in the main process on every build;
    a file is written only when its bytes changed. A dest that another output has too is an
    error naming both.
    """


@hookspec
def page_markdown(markdown: str, page: PageInfo, options: Mapping[str, Any],
                  files: Mapping[str, bytes]) -> str | None:
    """Change a page's Markdown (front matter left out) before it is converted to HTML.

    Return the new Markdown, or None to leave it. Runs in the worker process that converts the
    page; the converted page is kept in the cache, keyed by the fingerprints of the plugin's
    options, declared files and code.
    """


@hookspec
def page_html(html: str, page: PageInfo, options: Mapping[str, Any],
              files: Mapping[str, bytes]) -> str | None:
    """Change a page's body as HTML, just after conversion (before the summary is taken from
    it and before templates place it). Return the new HTML, or None. Runs like `page_markdown`.
    """


@hookspec
def page_context(page: PageInfo, options: Mapping[str, Any],
                 files: Mapping[str, bytes]) -> Mapping[str, Any] | None:
    """Values for the templates of a page: what it returns is `plugins["NAME"]` in the page's
    template (`plugins` is empty in other templates).

    Runs in the worker process that renders the page; each page's output records the
    plugin's fingerprint, so a change to its options, declared files or code renders the
    pages again.
    """


@hookspec
def build_finished(output_dir: Path, written: tuple[str, ...], removed: tuple[str, ...],
                   options: Mapping[str, Any]) -> None:
    """Told once the output folder is complete: the files written and removed (POSIX paths
    relative to `output_dir`). The output is in place: do not write into it. Returns nothing.
    """


@hookspec
def server_started(url: str, output_dir: Path, options: Mapping[str, Any]) -> None:
    """Told once the dev server serves the site at `url` from `output_dir`. Returns nothing."""
