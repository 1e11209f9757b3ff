"""What the link report of the last build found, so a build checks again only what changed.

A page's link problems depend on its own links (and where it is shown), on the site's set of
output files and pages, and on the ids of the pages its `#fragment` links name. `LinkMemo`
keeps, per page, a fingerprint of the first, the fingerprints of the pages it looked into,
and the problems found; the site-wide part is one fingerprint for all pages. The reuse layer
keeps the memo between builds; the report itself (ssg.stages.render.report_links) gives
exactly what a check of every page gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A page's problems: (line, message, kind of broken link: see ssg.stages.link_kinds).
Problems = tuple[tuple[int | None, str, str], ...]


@dataclass(frozen=True)
class PageLinks:
    """The link check of one page: what it depended on, what it found."""

    #: Fingerprint of the page's links, URL and name.
    fp: str
    #: (page, fingerprint of its ids and name) of each page whose ids its fragments needed.
    targets: tuple[tuple[str, str], ...]
    #: The problems found, in the order of its links.
    problems: Problems


@dataclass
class LinkMemo:
    """The last link check of a site: its site-wide fingerprint and each page's check."""

    #: Fingerprint of what every page's check reads: output files, pages, base path, ids.
    site_fp: str = ""
    #: src -> the page's check.
    pages: dict[str, PageLinks] = field(default_factory=dict)
