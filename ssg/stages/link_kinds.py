"""The kinds of broken links, as MkDocs' `validation.links` names them, and how they count.

A link of a page's Markdown is of one kind by the way it is written: a `#fragment` of the
page itself or a link that names a content file is checked (`not_found`, `anchors`); a link
that names no content file is `absolute_links` when written as a path from the site's root
(`/guide/`), `unrecognized_links` when relative without a file ending (`../guide`), and
`not_found` otherwise (`img/x.png`). MkDocs leaves the links of those two kinds as they are,
unchecked, and reports them at info level by default; `[check]` (or mkdocs.yml's
`validation`) says at which level ssg reports them when they are broken.
"""

from __future__ import annotations

import logging
import posixpath
from urllib.parse import unquote

from ssg.config import CheckConfig

#: Log levels of the settings' levels (`ignore` is below what ssg shows).
LOG_LEVELS = {"warn": logging.WARNING, "info": logging.INFO, "ignore": logging.DEBUG}


def link_kind(href: str, *, matched: bool, anchor: bool, check: CheckConfig) -> str:
    """The kind of a broken link written as `href` in Markdown: `matched` when it names a
    content file, `anchor` when only its #fragment is missing."""
    path = href.partition("#")[0].partition("?")[0]
    if matched or not path:
        return "anchors" if anchor else "not_found"
    if path.startswith("/") and check.absolute_links != "relative_to_docs":
        return "absolute_links"
    if not posixpath.splitext(unquote(path))[1]:
        return "unrecognized_links"
    return "anchors" if anchor else "not_found"

