"""Markdown to HTML with Python-Markdown: extensions, highlighting, links between pages."""

from __future__ import annotations

import bisect
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from ssg.config import MarkdownConfig
from ssg.errors import ContentError, SsgError
from ssg.markdown_extensions import markdown_options
from ssg.stages.code import CodeExtension, track_snippets
from ssg.stages.discover import is_markdown
from ssg.stages.inline import quicken_inline
from ssg.stages.keys import digest, digest_bytes
from ssg.stages.math import MathExtension
from ssg.stages.parse import MORE_MARKER, Document
from ssg.stages.shortcodes import Call, ShortcodePreprocessor

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FIRST_PARAGRAPH = re.compile(r"<p>.*?</p>", re.DOTALL)
_WORD = re.compile(r"\w+")
#: Text that Python-Markdown (without smarty) turns into one paragraph of itself: words,
#: spaces and punctuation that start no Markdown, HTML or shortcode construct, beginning with
#: a letter (no list, heading or quote) and ending without space; one line.
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[ ,.;:!?'\"()-])*(?<! )")
WORDS_PER_MINUTE = 200
#: An `id` (or `<a name>`) in raw HTML, which Python-Markdown keeps out of its element tree.
_RAW_ID = re.compile(r"""<[a-zA-Z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class Ref(NamedTuple):
    """A link or image of a page's Markdown to something of the site (not to other sites)."""

    #: Line in the source file, when the target can be found in the Markdown as written.
    line: int | None
    #: `a` for a link, `img` for an image.
    tag: str
    #: The target as written: `b.md#install`, `x.png`, `#top`.
    href: str
    #: The content file it names (`posts/b.md`), or None when it names none.
    target: str | None
    #: The `#fragment` of the target, "" without one.
    fragment: str


@dataclass(frozen=True)
class Content:
    """The rendered body of a page or section."""

    #: The body as HTML.
    html: str
    #: Summary as HTML: before `<!-- more -->`, else front matter `summary`, else 1st paragraph.
    summary: str
    #: Nested list of the headings as HTML, or "" with fewer than two headings.
    toc: str
    #: Words in the Markdown body.
    word_count: int
    #: Links and images to the site's own pages and files, checked after every build.
    refs: tuple[Ref, ...]
    #: Every link target looked up and the URL it had then (None: no such file).
    link_deps: tuple[tuple[str, str | None], ...] = ()
    #: Fingerprint of what a page shows of its body (html, toc, word count).
    body_fp: str = ""
    #: Fingerprint of the summary.
    summary_fp: str = ""
    #: Templates the page's shortcodes used, with their fingerprints (set by the build).
    template_deps: tuple[tuple[str, str], ...] = ()
    #: The ids that `#fragment` links can name: headings, `{#id}`, raw HTML `id="..."`.
    ids: frozenset[str] = frozenset()
    #: Problems of the body that are not fatal (bad LaTeX): (line or None, message), reported
    #: after every build like broken links.
    warnings: tuple[tuple[int | None, str], ...] = ()
    #: Files the Markdown included (pymdownx.snippets) with the hash of their bytes: the
    #: body is current while they are unchanged.
    file_deps: tuple[tuple[str, str], ...] = ()


class Contents(Mapping[str, Content]):
    """Rendered Markdown by source path, for a store that may fetch the texts on demand:
    `fields` and `summary` say what they need, so such a store can answer without them."""

    def fields(self, src: str) -> Content:
        """src's content, for its fields other than `html` and `toc` (those may be empty)."""
        return self[src]

    def summary(self, src: str) -> str:
        """src's summary as HTML."""
        return self[src].summary


def content_fields(contents: Mapping[str, Content], src: str) -> Content:
    """src's content, read for its fields other than `html` and `toc` (see `Contents`)."""
    return contents.fields(src) if isinstance(contents, Contents) else contents[src]


def content_summary(contents: Mapping[str, Content], src: str) -> str:
    """src's summary as HTML (see `Contents`)."""
    return contents.summary(src) if isinstance(contents, Contents) else contents[src].summary


def is_external(href: str) -> bool:
    """True for what a link resolver leaves alone: other sites, `mailto:`, `#fragment` only."""
    return not href or href.startswith(("#", "//")) or bool(_SCHEME.match(href))


def match_link(href: str, src_dir: str, links: Callable[[str], str | None],
               localize: Callable[[str], tuple[str, ...]] | None = None
               ) -> tuple[str, str, str] | None:
    """The content file a link written in src_dir names: (file, its URL, `?query#fragment`);
    `localize` lists the files a target may name, the page's language's first."""
    path, hash_mark, fragment = href.partition("#")
    path, query_mark, query = path.partition("?")
    tail = f"{query_mark}{query}{hash_mark}{fragment}"
    # As a URL the path may be percent-encoded (`my%20photo.png`), and a file may be named
    # so too; a file whose name has '#' or '?' may be written as it is (`<x#1.png>`).
    spellings = [(unquote(path), tail), (path, tail)]
    if tail:
        spellings.append((href, ""))
    for spelling, rest in dict.fromkeys(spellings):
        if spelling.startswith("/"):
            target = posixpath.normpath(spelling.lstrip("/")) if spelling.strip("/") else ""
        else:
            target = posixpath.normpath(posixpath.join(src_dir, spelling))
        for candidate in localize(target) if localize is not None else (target,):
            url = links(candidate)
            if url is not None:
                return candidate, url, rest
    return None


def resolve_link(href: str, src_dir: str, links: Callable[[str], str | None], base_path: str
                 ) -> tuple[str, bool]:
    """Map a link written in src_dir to its final URL; the flag says it names a missing page."""
    if is_external(href):
        return href, False
    found = match_link(href, src_dir, links)
    if found is not None:
        return found[1] + found[2], False
    return _unmatched_url(href, base_path), _names_markdown(href)


def _path(href: str) -> str:
    return href.partition("#")[0].partition("?")[0]


def _names_markdown(href: str) -> bool:
    """True when a link names a Markdown file (`a.md`, `b.markdown`), as written."""
    return is_markdown(posixpath.basename(unquote(_path(href))))


def _unmatched_url(href: str, base_path: str) -> str:
    """A link that names no content file, as written, but under the site's base path."""
    path = _path(href)
    if (path.startswith("/") and base_path != "/" and not path.startswith(base_path)
            and not _names_markdown(href)):
        return base_path + href.lstrip("/")
    return href


#: HTML's boolean attributes, whose presence alone is their meaning (`<details open>`).
_BOOLEAN_ATTRIBUTES = frozenset((
    "allowfullscreen", "async", "autofocus", "autoplay", "checked", "controls", "default",
    "defer", "disabled", "formnovalidate", "hidden", "inert", "ismap", "itemscope", "loop",
    "multiple", "muted", "nomodule", "novalidate", "open", "playsinline", "readonly",
    "required", "reversed", "selected"))


def keep_attribute_values(serialize: Callable[[etree.Element], str]
                          ) -> Callable[[etree.Element], str]:
    """The HTML serializer, made to keep every attribute's value.

    Python-Markdown before 3.11 writes any attribute whose value is its own name bare, as if
    it were boolean: a heading "ID" became `<h4 id>`, with an empty id that its links miss
    (MkDocs' XHTML output is spared). With such a version, that value is written as a
    character reference (`id="&#105;d"`), which means the same."""
    if 'id="id"' in serialize(etree.Element("p", {"id": "id"})):
        return serialize  # a version that keeps the values itself

    def kept(root: etree.Element) -> str:
        for element in root.iter():
            for name, value in element.attrib.items():
                if name == value and name not in _BOOLEAN_ATTRIBUTES:
                    element.set(name, f"&#{ord(value[0])};{value[1:]}")
        return serialize(root)

    return kept


class _LinkResolver(Treeprocessor):
    """Rewrites `a href` and `img src` that point at content files."""

    def __init__(self, md: markdown.Markdown, links: Mapping[str, str], base_path: str):
        super().__init__(md)
        self.links = links
        self.base_path = base_path
        self.src_dir = ""
        #: (tag, href, content file or None, fragment) of every link to the site itself.
        self.refs: list[tuple[str, str, str | None, str]] = []
        self.ids: set[str] = set()
        self.lookups: dict[str, str | None] = {}
        #: The files a link target may name, the page's language's first (None: itself).
        self.localize: Callable[[str], tuple[str, ...]] | None = None

    def lookup(self, target: str) -> str | None:
        """The URL of a content file, noting the question for dependency tracking."""
        url = self.links.get(target)
        self.lookups[target] = url
        return url

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            # Runs after toc (5) and attr_list (8): headings have their ids by now.
            if "id" in element.attrib:
                self.ids.add(element.attrib["id"])
            attr = "href" if element.tag == "a" else "src" if element.tag == "img" else None
            if attr is None or attr not in element.attrib:
                continue
            href = element.attrib[attr]
            if href.startswith("#"):
                self.refs.append((element.tag, href, None, href[1:]))
                continue
            if is_external(href) or markdown.util.AMP_SUBSTITUTE in href:
                continue  # (an address of `<me@example.org>`, its `mailto:` hidden in entities)
            found = match_link(href, self.src_dir, self.lookup, self.localize)
            if found is not None:
                target, url, rest = found
                self.refs.append((element.tag, href, target, rest.partition("#")[2]))
                element.set(attr, url + rest)
                continue
            self.refs.append((element.tag, href, None, href.partition("#")[2]))
            element.set(attr, _unmatched_url(href, self.base_path))


class _TitleHeading(Treeprocessor):
    """Takes out the `<h1>` that the theme shows as the page title, so a page has one.

    `title` is the page's title when it came from front matter (then only a first element
    that is an `<h1>` with the same text goes), `any` when it came from the body's first
    `# heading` (then the first top-level `<h1>` goes). A heading with an id leaves an empty
    `<span id>` in its place, so links to `#id` still land at the top of the body.
    """

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.title: str | None = None
        self.any = False

    def run(self, root: etree.Element) -> None:
        if self.any:
            found = next((e for e in root if e.tag == "h1"), None)
        elif self.title is not None and len(root) and root[0].tag == "h1":
            found = root[0] if _same_text("".join(root[0].itertext()), self.title) else None
        else:
            return
        if found is None:
            return
        anchor = found.get("id")
        if anchor is None:
            root.remove(found)
            return
        tail = found.tail
        found.clear()
        found.tag, found.tail = "span", tail
        found.set("id", anchor)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class _LinkExtension(Extension):
    def __init__(self, resolver_args: tuple[Mapping[str, str], str]):
        super().__init__()
        self.resolver_args = resolver_args
        self.resolver: _LinkResolver | None = None
        self.title: _TitleHeading | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - library API
        self.resolver = _LinkResolver(md, *self.resolver_args)
        md.treeprocessors.register(self.resolver, "ssg_links", 1)
        # After the table of contents (5) has given the heading its id.
        self.title = _TitleHeading(md)
        md.treeprocessors.register(self.title, "ssg_title", 4)


class ShortcodeHost(Protocol):
    """Renders shortcode calls and remembers the templates they used."""

    used: set[str]

    def __call__(self, call: Call, body: str | None, doc: Document) -> str: ...


class PageHooks(Protocol):
    """Plugins' hooks on a page's Markdown before and its HTML after conversion
    (ssg.stages.hooks.BodyHooks)."""

    def markdown(self, doc: Document, text: str) -> str: ...

    def html(self, doc: Document, html: str) -> str: ...


class MarkdownRenderer:
    """One reusable Python-Markdown instance set up from the config (reset between pages)."""

    def __init__(self, config: MarkdownConfig, links: Mapping[str, str], base_path: str,
                 shortcodes: ShortcodeHost | None = None, hooks: PageHooks | None = None,
                 *, site_dir: Path = Path(".")):
        self._hooks = hooks
        self._config = (config, links, base_path)
        self._site_dir = site_dir
        self._links = _LinkExtension((links, base_path))
        names = config.extensions
        # ssg's math and fence options give way to the pymdown extensions that do the same;
        # the math arithmatex finds is still turned into MathML.
        self._math = MathExtension(arithmatex="pymdownx.arithmatex" in names) \
            if config.math else None
        code = CodeExtension(fences="fenced_code" in names
                             and "pymdownx.superfences" not in names, diagrams=config.diagrams)
        own: list[Extension] = [code, self._links]
        self._md = markdown.Markdown(
            extensions=[*names, *own, *([self._math] if self._math else [])],
            extension_configs=markdown_options(config, site_dir),
            output_format="html",
        )
        self._md.serializer = keep_attribute_values(self._md.serializer)
        quicken_inline(self._md)
        self._included = track_snippets(self._md)
        self._has_toc = "toc" in config.extensions
        # Smarty turns quotes and dashes into entities: plain text is then not its own HTML.
        self._plain_summaries = "smarty" not in config.extensions
        self._shortcodes = shortcodes
        self._calls: ShortcodePreprocessor | None = None
        self._inner: MarkdownRenderer | None = None
        if shortcodes is not None:
            # After whitespace normalisation (30), before fenced code (25): lines still match
            # the file, and calls inside code fences are skipped by the preprocessor itself.
            self._calls = ShortcodePreprocessor(self._md)
            self._md.preprocessors.register(self._calls, "ssg_shortcodes", 29)

    def _convert(self, text: str, src_dir: str) -> str:
        resolver = self._links.resolver
        assert resolver is not None
        resolver.src_dir = src_dir
        self._md.reset()
        html = self._md.convert(text)
        for block in self._md.htmlStash.rawHtmlBlocks:
            if isinstance(block, str) and ("id" in block or "name" in block):
                resolver.ids.update(a or b for a, b in _RAW_ID.findall(block))
        return html

    def _inner_html(self, text: str, src_dir: str) -> str:
        """Markdown inside a paired shortcode, with its links resolved like the page's."""
        if self._inner is None:
            self._inner = MarkdownRenderer(*self._config, site_dir=self._site_dir)
        inner = self._inner
        outer, nested = self._links.resolver, inner._links.resolver
        assert outer is not None and nested is not None
        nested.localize = outer.localize
        html = inner._convert(text, src_dir)
        outer.refs.extend(nested.refs)
        outer.ids.update(nested.ids)
        outer.lookups.update(nested.lookups)
        nested.refs, nested.ids, nested.lookups = [], set(), {}
        if self._math and self._math.math and inner._math and inner._math.math:
            self._math.math.problems += inner._math.math.problems
            inner._math.math.problems = []
        return html

    def render(self, doc: Document, *,
               localize: Callable[[str], tuple[str, ...]] | None = None) -> Content:
        """Render one document's body, summary and table of contents; `localize` lists the
        files a link may name, the document's language's first."""
        resolver = self._links.resolver
        assert resolver is not None
        resolver.localize = localize
        try:
            return self._render(doc)
        except SsgError:
            raise
        except RecursionError:
            raise ContentError("Markdown nested too deeply to render (lists or quotes inside "
                               "each other)", path=doc.source.display) from None
        except Exception as exc:  # a failure inside Python-Markdown or an extension
            raise ContentError(f"cannot render the Markdown: {type(exc).__name__}: {exc}",
                               path=doc.source.display) from exc

    def _render(self, doc: Document) -> Content:
        resolver = self._links.resolver
        assert resolver is not None and doc.body is not None
        resolver.refs = []
        resolver.ids = set()
        resolver.lookups = {}
        math = self._math.math if self._math else None
        if math is not None:
            math.problems = []
        if self._included is not None:
            self._included.clear()
        src_dir = posixpath.dirname(doc.source.src)
        title = self._links.title
        assert title is not None
        title.any, title.title = shows_title(doc), None
        if title.any and doc.front.title is not None:
            title.any, title.title = False, doc.front.title
        host = self._shortcodes
        if host is not None and self._calls is not None:
            host.used = set()
            self._calls.where = doc.source.display
            self._calls.first_line = doc.body_line
            self._calls.render = lambda call, body: host(call, body, doc)
            self._calls.inner = lambda text: self._inner_html(text, src_dir)
        body = doc.body if self._hooks is None else self._hooks.markdown(doc, doc.body)
        html = self._convert(body, src_dir)
        if self._hooks is not None:
            html = self._hooks.html(doc, html)
        title.any, title.title = False, None  # not for the summary
        warnings = _locate_texts(math.problems, doc.body, doc.body_line) if math else ()
        ids = frozenset(resolver.ids)
        toc = self._toc() if self._has_toc else ""
        if MORE_MARKER in html:
            summary = html.split(MORE_MARKER, 1)[0].strip()
        elif doc.front.summary:
            summary = self._summary(doc.front.summary, src_dir)
        else:
            match = _FIRST_PARAGRAPH.search(html)
            summary = match.group(0) if match else ""
        if 'href="#' in summary:
            # Shown on list pages too, where a bare `#fragment` would name the list page.
            page_url = resolver.lookup(doc.source.src)  # a dependency: the summary has it
            if page_url is not None:
                summary = summary.replace('href="#', f'href="{page_url}#')
        word_count = _WORD.subn("", body)[1]  # counted in C, with no list of every word
        return Content(
            html=html,
            summary=summary,
            toc=toc,
            word_count=word_count,
            refs=_locate(resolver.refs, doc.body, doc.body_line),
            link_deps=tuple(sorted(resolver.lookups.items())),
            body_fp=digest(html, toc, word_count),
            summary_fp=digest(summary),
            template_deps=tuple((name, "") for name in sorted(host.used)) if host else (),
            ids=ids,
            warnings=warnings,
            file_deps=_file_deps(self._included),
        )

    def _summary(self, text: str, src_dir: str) -> str:
        """A front matter summary as HTML: plain text is one paragraph of itself (most are),
        without a second pass of Python-Markdown over the page."""
        if self._plain_summaries and _PLAIN.fullmatch(text):
            return f"<p>{text}</p>"
        return self._convert(text, src_dir)

    def _toc(self) -> str:
        tokens: list[dict[str, Any]] = getattr(self._md, "toc_tokens", [])
        if _count_headings(tokens) < 2:
            return ""
        toc: str = getattr(self._md, "toc", "")
        start, end = toc.find("<ul>"), toc.rfind("</ul>")
        return toc[start : end + len("</ul>")] if start >= 0 else ""


def shows_title(doc: Document) -> bool:
    """True when the theme shows the document's title above its body: every page and section
    but the home page (which shows the site's title, so its body keeps its own heading)."""
    source = doc.source
    if source.role == "section" and source.rel.parent == PurePosixPath("."):
        return False
    return doc.front.title is not None or doc.heading is not None


def _locate(refs: list[tuple[str, str, str | None, str]], body: str, first_line: int
            ) -> tuple[Ref, ...]:
    """The refs with the line each is written on: the next place its target appears."""
    starts = [0] + [m.end() for m in re.finditer("\n", body)]
    after: dict[str, int] = {}
    located = []
    for tag, href, target, fragment in refs:
        pos = body.find(href, after.get(href, 0))
        if pos < 0 and href in after:
            pos = body.find(href)  # written once, shown twice (a reference definition)
        line = None
        if pos >= 0:
            after[href] = pos + len(href)
            line = first_line + bisect.bisect_right(starts, pos) - 1
        located.append(Ref(line, tag, href, target, fragment))
    return tuple(located)


def _file_deps(paths: list[str] | None) -> tuple[tuple[str, str], ...]:
    """(path, hash of its bytes) of each file included, "missing" for one gone since."""
    deps = {}
    for path in paths or ():
        try:
            deps[path] = digest_bytes(Path(path).read_bytes())
        except OSError:
            deps[path] = "missing"
    return tuple(sorted(deps.items()))


def _locate_texts(found: list[tuple[str, str]], body: str, first_line: int
                  ) -> tuple[tuple[int | None, str], ...]:
    """(line, message) of each (text as written, message): the line of the next place the
    text appears in the body."""
    starts = [0] + [m.end() for m in re.finditer("\n", body)]
    located: list[tuple[int | None, str]] = []
    after = 0
    for text, message in found:
        pos = body.find(text, after)
        if pos < 0:
            pos = body.find(text)
        line = None
        if pos >= 0:
            after = pos + len(text)
            line = first_line + bisect.bisect_right(starts, pos) - 1
        located.append((line, message))
    return tuple(located)


def _count_headings(tokens: list[dict[str, Any]]) -> int:
    return sum(1 + _count_headings(t.get("children", [])) for t in tokens)


def reading_time(word_count: int) -> int:
    """Minutes to read so many words, at least one."""
    return max(1, -(-word_count // WORDS_PER_MINUTE))
