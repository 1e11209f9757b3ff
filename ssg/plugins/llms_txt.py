"""llms-txt: `/llms.txt` (https://llmstxt.org) and a plain Markdown copy of every page, for
tools that read sites.

Each page at `/posts/hello/` gets `/posts/hello/index.md`: its title as a heading, then its
Markdown as written (front matter left out). `/llms.txt` names the site and lists every page
by section, linking to the copies; with `full = true`, `/llms-full.txt` holds every page's
Markdown in one file.

    [plugins.llms-txt]
    copies = true    # false: no Markdown copies; llms.txt links to the pages themselves
    full = false     # true: write llms-full.txt too
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ssg.plugins import PageInfo, Reads, SiteInfo, hookimpl

_OPTIONS = {"copies": True, "full": False}


@hookimpl
def reads(options: Mapping[str, Any]) -> Reads:
    """Nothing but its options (the pages it is given are part of each build)."""
    return Reads()


@hookimpl
def config_loaded(options: Mapping[str, Any]) -> None:
    """`copies` and `full`, true or false."""
    for key, value in options.items():
        if key not in _OPTIONS:
            raise ValueError(f"unknown option '{key}' (known: {', '.join(_OPTIONS)})")
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false, not {value!r}")


@hookimpl
def extra_outputs(site: SiteInfo, options: Mapping[str, Any]) -> dict[str, str]:
    """llms.txt, the Markdown copies and (with `full`) llms-full.txt."""
    copies = options.get("copies", True)
    base = _base_path(site.base_url)
    files: dict[str, str] = {}
    for page in site.pages:
        if copies:
            files[copy_dest(page.url, base)] = page_markdown(page, site.markdown[page.src])
    files["llms.txt"] = llms_txt(site, base, copies=copies)
    if options.get("full", False):
        files["llms-full.txt"] = "\n\n".join(
            page_markdown(page, site.markdown[page.src]).rstrip("\n")
            for page in site.pages) + "\n"
    return files


def copy_dest(url: str, base: str) -> str:
    """The output path of a page's Markdown copy: `/a/b/` -> `a/b/index.md`."""
    rel = url[len(base):] if url.startswith(base) else url.lstrip("/")
    if not rel or rel.endswith("/"):
        return rel + "index.md"
    return posixpath.splitext(rel)[0] + ".md"


def page_markdown(page: PageInfo, markdown: str) -> str:
    """A page as plain Markdown: its title, then its body as written."""
    body = markdown.strip("\n")
    heading = f"# {page.title}\n" if page.title else ""
    if heading and body.startswith(heading.rstrip("\n")):
        heading = ""  # the body starts with the title already
    return (heading + "\n" + body + "\n") if heading else body + "\n"


def llms_txt(site: SiteInfo, base: str, *, copies: bool) -> str:
    """The llms.txt file: the site's name and summary, then its pages, section by section."""
    lines = [f"# {site.title}", ""]
    if site.description:
        lines += [f"> {site.description}", ""]
    titles = {p.section: p.title for p in site.pages if p.kind == "section" and p.title}
    groups: dict[str, list[PageInfo]] = {}
    for page in site.pages:
        if page.kind == "page":
            groups.setdefault(page.section, []).append(page)
    for key in sorted(groups, key=lambda k: (k != "", k)):
        name = key.rsplit("/", 1)[-1].replace("-", " ").capitalize() if key else "Pages"
        lines += [f"## {titles.get(key, name) if key else 'Pages'}", ""]
        for page in groups[key]:
            link = page.permalink if "://" in site.base_url else page.url
            if copies:
                link = link[: len(link) - len(page.url)] + base + copy_dest(page.url, base)
            summary = page.front.get("summary") or page.front.get("extra", {}).get(
                "description")
            note = f": {' '.join(str(summary).split())}" if summary else ""
            lines.append(f"- [{page.title}]({link}){note}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _base_path(base_url: str) -> str:
    """The path part of base_url, with slashes on both ends."""
    path = base_url.split("://", 1)[1] if "://" in base_url else base_url
    if "://" in base_url:
        path = path[path.find("/"):] if "/" in path else "/"
    path = path.strip("/")
    return f"/{path}/" if path else "/"
