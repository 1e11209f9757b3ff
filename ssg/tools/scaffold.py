"""Start things: a new site that builds at once, and new pages from archetypes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

import jinja2

from ssg.config import CONFIG_FILE
from ssg.errors import ContentError, SsgError, TemplateError

#: Folder of a site's archetypes: `archetypes/SECTION.md`, else `archetypes/default.md`.
ARCHETYPES = "archetypes"

#: The archetype used when the site has none.
BUILTIN_ARCHETYPE = """\
---
title: {{ title | quote }}
date: {{ date }}
---

Write the page here.
"""

_SITE_FILES: dict[str, str] = {
    CONFIG_FILE: """\
# Settings of this site: every key is described in ssg's documentation.
title = "My Site"
description = "A new site made with ssg."
base_url = "/"
language = "en"
# The theme is ssg's own "default" theme, used from the installed ssg (not copied here).
# Override any of its templates by putting a file of the same name in templates/.
theme = "default"
# The home page lists the newest posts of these sections (by default: every section whose
# pages have dates). Sections without dates, like docs/, read as documentation.
main_sections = ["posts"]
# How the theme shows dates (strftime codes; %-d is the day without a leading zero).
date_format = "%B %-d, %Y"

# The main menu. Without one, the theme lists the sections and the tags.
# [[menu.main]]
# name = "Guide"
# page = "docs/getting-started.md"
# weight = 1
""",
    ".gitignore": "output/\n.output.*/\n.ssg-cache/\n",
    f"{ARCHETYPES}/default.md": BUILTIN_ARCHETYPE,
    f"{ARCHETYPES}/posts.md": """\
---
title: {{ title | quote }}
date: {{ date }}
tags: []
---

A short first paragraph: lists and feeds show it as the summary.

<!-- more -->

The rest of the post.
""",
    "content/_index.md": """\
---
title: Welcome to my site
---

This site was made by `ssg new site`. Edit `content/_index.md` to change this text, then
read the [first post](posts/hello-world.md) or the [guide](docs/getting-started.md).
""",
    "content/posts/_index.md": """\
---
title: Posts
weight: 1
---

News and notes, newest first.
""",
    "content/posts/hello-world.md": """\
---
title: Hello, world
date: {date}
tags: [welcome]
---

This is the first post of the new site.

<!-- more -->

## Write the next one

Add a post with `ssg new page content/posts/my-post.md`: it starts from
`archetypes/posts.md`. Then watch the site as you write:

```console
$ ssg new page content/posts/my-post.md
$ ssg serve
```

See the [guide](../docs/getting-started.md) for the rest.
""",
    "content/posts/second-post.md": """\
---
title: A second post
date: {date}
tags: [welcome, writing]
---

Posts can use everything Markdown has: *emphasis*, `code`, lists and tables.

| Command | What it does |
|---|---|
| `ssg build` | writes the site into `output/` |
| `ssg serve` | shows it in the browser while you edit |
| `ssg check` | looks for broken links and images |
""",
    "content/docs/_index.md": """\
---
title: Guide
weight: 2
---

How this site is made.
""",
    "content/docs/getting-started.md": """\
---
title: Getting started
weight: 1
---

## Build the site

Run `ssg build` in this folder: the site is written into `output/`. While you edit, run
`ssg serve` and open the address it prints.

## Add pages

Every Markdown file under `content/` is a page, and every folder is a section. Read about
[writing pages](writing.md#front-matter) next.
""",
    "content/docs/writing.md": """\
---
title: Writing pages
weight: 2
---

## Front matter

A page starts with YAML front matter between `---` lines: `title`, `date`, `tags`,
`draft` and more.

## Links

Link to other pages by their file: `[the first post](../posts/hello-world.md)` becomes
[the first post](../posts/hello-world.md), wherever that page ends up.
""",
}


def new_site(folder: Path, *, today: date | None = None) -> list[str]:
    """Write a ready site into `folder` (new or empty); returns the files written."""
    if folder.exists() and not folder.is_dir():
        raise SsgError(f"{folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise SsgError(f"{folder} is not empty; choose a new or empty folder for the site")
    stamp = (today or _today()).isoformat()
    for rel, text in _SITE_FILES.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith("content/"):
            text = text.replace("{date}", stamp)
        path.write_text(text, encoding="utf-8")
    return list(_SITE_FILES)


def new_page(site_dir: Path, path: str, *, today: date | None = None) -> tuple[str, str]:
    """Write a new page at `path` (under content/) from its archetype.

    Returns the file written (`content/posts/my-post.md`) and the archetype it came from
    (`archetypes/posts.md`, or "built-in").
    """
    if not (site_dir / CONFIG_FILE).is_file() and not (site_dir / "content").is_dir():
        raise SsgError(f"{site_dir} is not a site folder (it has no {CONFIG_FILE} or content/); "
                       "run this in a site folder or pass --site DIR")
    rel = _content_path(site_dir, path)
    target = site_dir / "content" / rel
    display = f"content/{rel.as_posix()}"
    if target.exists():
        raise ContentError("already exists; choose another name", path=display)
    name = rel.stem if rel.stem not in ("index", "_index") else rel.parent.name or "home"
    folder = rel.parent if rel.stem != "index" else rel.parent.parent
    section = folder.as_posix() if folder != PurePosixPath(".") else ""
    source, text = _archetype(site_dir, section)
    values = {"title": _title(name), "date": (today or _today()).isoformat(),
              "section": section, "slug": name}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.filters["quote"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    try:
        page = env.from_string(text).render(values)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"archetype error: {exc}", path=source, line=_line(exc)) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as out:
        out.write(page)
    return display, source


def _line(exc: jinja2.TemplateError) -> int | None:
    """The archetype's line an error is on (syntax errors carry it, others in the traceback)."""
    line: int | None = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _today() -> date:
    # The UTC date: a date-only page date is UTC midnight, so it is never "in the future".
    return datetime.now(UTC).date()


def _content_path(site_dir: Path, path: str) -> PurePosixPath:
    """The page's path inside content/, from a path given as `content/a/b.md` or `a/b.md`."""
    given = Path(path)
    if given.is_absolute():
        try:
            given = given.resolve().relative_to(site_dir.resolve())
        except ValueError:
            raise SsgError(f"{path} is not inside the site folder {site_dir}") from None
    rel = PurePosixPath(given.as_posix())
    if rel.parts and rel.parts[0] == "content":
        rel = PurePosixPath(*rel.parts[1:])
    if not rel.parts or any(part in ("..", ".") for part in rel.parts):
        raise SsgError(f"{path}: give a page path inside content/, like content/posts/my-post.md")
    if rel.suffix == "":
        rel = rel.with_suffix(".md")
    if rel.suffix != ".md":
        raise SsgError(f"{path}: a page is a Markdown file ending in .md")
    return rel


def _archetype(site_dir: Path, section: str) -> tuple[str, str]:
    """(where it came from, text) of the archetype for a section: the section's own, its
    parents', the site's default, else the built-in one."""
    parts = section.split("/") if section else []
    names = ["/".join(parts[:n]) + ".md" for n in range(len(parts), 0, -1)] + ["default.md"]
    for name in names:
        path = site_dir / ARCHETYPES / name
        if path.is_file():
            try:
                return f"{ARCHETYPES}/{name}", path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ContentError(f"cannot read archetype: {exc}",
                                   path=f"{ARCHETYPES}/{name}") from exc
    return "built-in", BUILTIN_ARCHETYPE


def _title(name: str) -> str:
    """A title from a file name: `my-post` -> `My post`."""
    words = name.replace("-", " ").replace("_", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]
