"""Incremental builds write exactly what a clean build writes, and only what changed."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule
from PIL import Image

from conftest import Site, write_files
from ssg.build import BuildOptions, Session, build
from ssg.config import load_config
from ssg.errors import SsgError
from ssg.incremental.state import ContentStore, cache_file, texts_file
from ssg.stages.markdown import Content

REPO = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


SECTIONS = ["", "posts", "docs", "docs/deep"]
TAGS = ["red", "Red", "green", "blue"]
TEMPLATES = [
    None,
    '{% extends "base.html" %}{% block content %}<h1>{{ page.title }}</h1>'
    '{{ page.content }}{% endblock %}',
    '{% extends "base.html" %}{% block content %}{{ page.title }} | '
    '{% for t in page.taxonomies.tags %}{{ t.name }} {% endfor %}'
    '{% if page.next %}next={{ page.next.title }}{% endif %}{% endblock %}',
    '{% extends "base.html" %}{% block content %}{{ page.content }}'
    '{% for r in page.resources.match("*.png") %}{% if r.width is defined %}'
    '{{ r.fill(30, 20, anchor="top").url }} {{ r.resize(50).width }}{% endif %}{% endfor %}'
    '{% endblock %}',
    '{% extends "base.html" %}{% block content %}{{ page.content }}'
    '{{ asset_url("site.css") }} {{ image("img/logo.png").fit(16, 16).url }} '
    '{{ image("img/logo.png").url }}{% endblock %}',
    '{% extends "base.html" %}{% block content %}{{ t("hello") }} {{ lang }} {{ dir }} '
    '{% for v in page.translations %}{{ v.lang }}={{ v.url }} {% endfor %}'
    '{% for p in site.pages %}{{ p.title }} {% endfor %}{{ format_date(page.date) }}'
    '{% endblock %}',
    '{% extends "base.html" %}{% block content %}{{ plugins.sample.mark }}{{ page.content }}'
    '{% endblock %}',
]
#: The `[languages]` settings the language rules write (None: a site in one language).
LANGUAGES = [
    None,
    '[languages.en]\nname = "English"\n[languages.fr]\ntitle = "Site FR"\n',
    '[languages.en]\nname = "English"\n[languages.fr]\ntitle = "Autre titre"\n'
    'description = "Décrit"\n[languages.ar]\ntitle = "موقع"\n',
    'language_fallback = true\n[languages.en]\n[languages.fr]\ntitle = "Site FR"\n'
    'path = "/francais/"\n',
]
#: Images the image rules write: None deletes, "bad" is a truncated PNG.
IMAGES: list[tuple[int, int, str] | str | None] = [
    None, (150, 100, "teal"), (400, 200, "navy"), (400, 200, "olive"), (240, 420, "red"), "bad"]
#: Small widths and one format keep the clean builds (which process every image) quick.
IMAGE_SETTINGS = '[images]\nwidths = [100, 200]\nformats = ["webp"]\n'

#: A site plugin that rewrites Markdown with its options and a file it declares, and gives
#: page templates a value; two versions of its code.
SAMPLE_PLUGIN = """
from ssg.plugins import Reads, hookimpl


@hookimpl
def reads(options):
    return Reads(files=("plugins/words.txt",))


@hookimpl
def page_markdown(markdown, options, files):
    for word in files.get("plugins/words.txt", b"").decode().split():
        markdown = markdown.replace(word, MARK + word.upper())
    return markdown.replace("Hello", options.get("greeting", "Hello"))


@hookimpl
def page_context(page, options):
    return {"mark": options.get("greeting", "") + MARK + page.title}
"""
PLUGIN_CODES = [SAMPLE_PLUGIN + 'MARK = ""\n', SAMPLE_PLUGIN + 'MARK = "!"\n']
PLUGIN_OPTIONS = ["", 'greeting = "Hi"\n', 'greeting = "Hey"\n']


def png(spec: tuple[int, int, str] | str) -> bytes:
    if isinstance(spec, str):
        return png((400, 200, "navy"))[:200]
    width, height, colour = spec
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image.paste(Image.new("RGB", (width // 3, height // 3), colour), (width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

#: What the stylesheet the Sass template asks for loads, by the partials that exist.
SASS_LOADS = {"assets/css/_theme.scss": '@use "theme";\n',
              "assets/css/theme/_index.scss": '@use "theme";\n',
              "assets/css/_legacy.scss": '@import "legacy";\n'}
SASS_TEMPLATE = ('{% extends "base.html" %}{% block content %}{{ page.content }}'
                 '{% set s = asset("css/main.scss") %}{{ s.url }} {{ s.integrity }}{% endblock %}')
#: Partials, as Sass finds them from main.scss: `theme` (a partial or a folder's index),
#: `legacy` (@import) and `colours` (loaded by the others).
SASS_PARTIALS = ["assets/css/_theme.scss", "assets/css/theme/_index.scss",
                 "assets/css/_legacy.scss", "assets/css/_colours.scss"]
#: What the Sass rule writes into a partial: None deletes it; some give no CSS at all.
SASS_TEXTS: list[str | None] = [
    None, "$unused: 1px;\n", "a { margin: 1px; }\n", "$accent: #111;\n",
    '@use "colours";\nb { color: colours.$accent; }\n', '@forward "colours";\n',
    '@import "colours";\ni { padding: 2px; }\n']

names = st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta"])


def page_text(title: str, date: int | None, tags: list[str], draft: bool, slug: str | None,
              body: str) -> str:
    lines = ["---", f"title: {title!r}"]
    if date is not None:
        lines.append(f"date: 2024-01-{date:02d}")
    if tags:
        lines.append(f"tags: [{', '.join(tags)}]")
    if draft:
        lines.append("draft: true")
    if slug:
        lines.append(f"slug: {slug}")
    return "\n".join([*lines, "---", body, ""])


page_fields = st.fixed_dictionaries({
    "title": st.sampled_from(["One", "Two", "Three", "<b>Four</b>", "Fünf"]),
    "date": st.one_of(st.none(), st.integers(1, 28)),
    "tags": st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    "draft": st.booleans(),
    "slug": st.one_of(st.none(), st.sampled_from(["s1", "s2"])),
    "body": st.sampled_from(["Hello.", "Hello.\n\n<!-- more -->\n\nMore.", "## A\n\n## B\n",
                             "[link](alpha.md) and [up](../beta.md)", "",
                             '![pic](p.png) a<br>b\n\n<div class="raw"><hr></div>\n']),
})


class IncrementalMatchesClean(RuleBasedStateMachine):
    """Random edits to a small site; after each, incremental output == clean output, both for
    `ssg build` (cache on disk) and for the dev server's builds (state in memory, told which
    files changed, quick rebuilds of body-only edits)."""

    pages = Bundle("pages")

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="ssg-incr-"))
        self.memory = Session()
        self.touched: set[Path] = set()
        self.settings, self.languages = "paginate = 2\n", ""
        self.plugin_options = PLUGIN_OPTIONS[1]
        write_files(self.root, {"ssg.toml": self._config_text(),
                                "plugins/sample.py": PLUGIN_CODES[0],
                                "plugins/words.txt": "Changed\n",
                                "content/_index.md": "Home\n",
                                "content/trip/index.md": "---\ntitle: Trip\n---\n![a](a.png)\n"})
        shutil.copytree(REPO / "themes/default", self.root / "themes/default")  # a stable copy

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @rule(target=pages, section=st.sampled_from(SECTIONS), name=names, fields=page_fields)
    def create(self, section: str, name: str, fields: dict[str, object]) -> str:
        rel = f"content/{section}/{name}.md".replace("//", "/")
        self._write(rel, page_text(**fields))  # type: ignore[arg-type]
        return rel

    def _write(self, rel: str, text: str) -> None:
        write_files(self.root, {rel: text})
        self.touched.add(self.root / rel)

    @rule(rel=pages, fields=page_fields)
    def edit(self, rel: str, fields: dict[str, object]) -> None:
        self._write(rel, page_text(**fields))  # type: ignore[arg-type]

    @rule(rel=pages, body=st.sampled_from(["Changed.", "Changed.\n\nMore.", "## X\n\n## Y",
                                           "[l](gamma.md)", "Hello."]))
    def edit_body(self, rel: str, body: str) -> None:
        path = self.root / rel
        if path.exists():
            head, _sep, _old = path.read_text().rpartition("---\n")
            self._write(rel, head + "---\n" + body + "\n")

    @rule(target=pages, rel=pages, how=st.sampled_from(["name", "folder"]),
          lang=st.sampled_from(["fr", "ar"]), fields=page_fields)
    def translate(self, rel: str, how: str, lang: str, fields: dict[str, object]) -> str:
        """A translation of a page beside it (`a.fr.md`) or in the language's folder."""
        new = _in_language(rel, lang, how)
        self._write(new, page_text(**fields))  # type: ignore[arg-type]
        return new

    @rule(target=pages, rel=consumes(pages), lang=st.sampled_from(["", "fr"]),
          how=st.sampled_from(["name", "folder"]))
    def change_language(self, rel: str, lang: str, how: str) -> str:
        """A page moved to another language (or back to the default one)."""
        new = _in_language(_neutral(rel), lang, how) if lang else _neutral(rel)
        source = self.root / rel
        if source.exists() and not (self.root / new).exists():
            (self.root / new).parent.mkdir(parents=True, exist_ok=True)
            source.replace(self.root / new)
            self.touched |= {source, self.root / new}
            return new
        return rel

    @rule(languages=st.sampled_from(LANGUAGES))
    def language_config(self, languages: str | None) -> None:
        self.languages = languages or ""
        self._write("ssg.toml", self._config_text())

    @rule(lang=st.sampled_from(["en", "fr"]), text=st.sampled_from([None, "Hi", "Salut"]))
    def strings(self, lang: str, text: str | None) -> None:
        path = self.root / "i18n" / f"{lang}.toml"
        if text is None:
            path.unlink(missing_ok=True)
            self.touched.add(path)
        else:
            self._write(f"i18n/{lang}.toml", f"hello = {text!r}\n")

    @rule(rel=consumes(pages))
    def delete(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)
        self.touched.add(self.root / rel)

    @rule(target=pages, rel=consumes(pages), section=st.sampled_from(SECTIONS), name=names)
    def rename(self, rel: str, section: str, name: str) -> str:
        new = f"content/{section}/{name}.md".replace("//", "/")
        source = self.root / rel
        if source.exists():
            (self.root / new).parent.mkdir(parents=True, exist_ok=True)
            source.replace(self.root / new)
        self.touched |= {source, self.root / new}
        return new

    @rule(section=st.sampled_from(SECTIONS[1:]), title=st.sampled_from(["S1", "S2"]))
    def section_index(self, section: str, title: str) -> None:
        self._write(f"content/{section}/_index.md", f"---\ntitle: {title}\n---\nAbout {title}.\n")

    @rule(template=st.sampled_from(TEMPLATES))
    def page_template(self, template: str | None) -> None:
        path = self.root / "templates/page.html"
        self.touched.add(path)
        if template is None:
            path.unlink(missing_ok=True)
        else:
            write_files(self.root, {"templates/page.html": template})

    @rule(css=st.sampled_from([None, "a{}", "b{}"]))
    def static_file(self, css: str | None) -> None:
        path = self.root / "static/site.css"
        self.touched.add(path)
        if css is None:
            path.unlink(missing_ok=True)
        else:
            write_files(self.root, {"static/site.css": css})

    @rule(where=st.sampled_from(["content/p.png", "content/posts/p.png", "content/trip/a.png",
                                 "content/trip/b.png", "static/img/logo.png",
                                 "assets/img/logo.png", "themes/default/assets/img/logo.png"]),
          spec=st.sampled_from(IMAGES))
    def image(self, where: str, spec: tuple[int, int, str] | str | None) -> None:
        """Add, change or delete an image that pages show, bundles hold or templates use."""
        path = self.root / where
        self.touched.add(path)
        if spec is None:
            path.unlink(missing_ok=True)
        else:
            write_files(self.root, {where: png(spec)})

    @rule(where=st.sampled_from(SASS_PARTIALS), text=st.sampled_from(SASS_TEXTS),
          template=st.booleans())
    def sass_partial(self, where: str, text: str | None, template: bool) -> None:
        """Add, change or delete a Sass partial that the stylesheet loads (@use, @forward,
        @import, directly or through another); with `template`, pages ask for the stylesheet.
        The stylesheet loads the partials it can name; a partial that another one loads but
        is missing, or two that clash, fail every build alike."""
        paths = [self.root / where, self.root / "assets/css/main.scss"]
        if template:
            paths.append(self.root / "templates/page.html")
        self.touched |= set(paths)
        if text is None:
            paths[0].unlink(missing_ok=True)
        else:
            write_files(self.root, {where: text})
        main = "".join(dict.fromkeys(load for rel, load in SASS_LOADS.items()
                                     if (self.root / rel).exists()))
        write_files(self.root, {"assets/css/main.scss": main + "p { margin: 0; }\n"})
        if template:
            write_files(self.root, {"templates/page.html": SASS_TEMPLATE})

    @rule(name=st.sampled_from(["highlight.css", "robots.txt", "404.html", "feed.xml",
                                "rss.xml"]),
          text=st.sampled_from([None, "mine 1", "mine 2"]))
    def replace_generated(self, name: str, text: str | None) -> None:
        """A static file of the site takes the place of one ssg generates, and goes away."""
        path = self.root / "static" / name
        self.touched.add(path)
        if text is None:
            path.unlink(missing_ok=True)
        else:
            write_files(self.root, {f"static/{name}": text})

    @rule(paginate=st.integers(1, 3), title=st.sampled_from(["T1", "T2"]),
          feeds=st.sampled_from(['["atom", "rss", "json"]', '["rss"]', "[]"]))
    def config(self, paginate: int, title: str, feeds: str) -> None:
        self.settings = f"paginate = {paginate}\ntitle = {title!r}\nfeeds = {feeds}\n"
        self._write("ssg.toml", self._config_text())

    def _config_text(self) -> str:
        return (self.settings + self.languages + IMAGE_SETTINGS + "[plugins.sample]\n"
                + self.plugin_options)

    @rule(options=st.sampled_from(PLUGIN_OPTIONS))
    def plugin_options_change(self, options: str) -> None:
        """The sample plugin's options change (its own fingerprint, not the settings')."""
        self.plugin_options = options
        self._write("ssg.toml", self._config_text())

    @rule(words=st.sampled_from(["", "Changed\n", "Hello More\n", "A B X\n"]))
    def plugin_file(self, words: str) -> None:
        """The file the sample plugin declares changes."""
        self._write("plugins/words.txt", words)

    @rule(code=st.sampled_from(PLUGIN_CODES))
    def plugin_code(self, code: str) -> None:
        """The sample plugin's own source changes."""
        self._write("plugins/sample.py", code)

    @invariant()
    def incremental_equals_clean(self) -> None:
        config = load_config(self.root)
        clean = load_config(self.root, output_dir=self.root / "clean")
        served = load_config(self.root, output_dir=self.root / "served")
        touched, self.touched = self.touched, set()
        shutil.rmtree(clean.output_dir, ignore_errors=True)
        outcomes = [
            _outcome(lambda: build(config, BuildOptions(jobs=1))),
            _outcome(lambda: build(served, BuildOptions(jobs=1), self.memory,
                                   changed=touched)),
            _outcome(lambda: build(clean, BuildOptions(jobs=1, cache=False))),
        ]
        # Random edits may make two pages claim one URL: then every build fails alike.
        assert outcomes[0] == outcomes[1] == outcomes[2]
        if outcomes[0] is None:
            expected = tree(clean.output_dir)
            for name, data in expected.items():
                if name.endswith(".xml") and data.startswith(b"<?xml"):  # not a static file
                    ElementTree.fromstring(data)  # strict: raises on malformed XML
            # The search index (search/) is part of the trees compared: it follows every build,
            # quick ones included.
            assert any(name.startswith("search/t/") for name in expected)
            assert tree(config.output_dir) == expected
            assert tree(served.output_dir) == expected


def _neutral(rel: str) -> str:
    """A page's path in the default language: `content/fr/a.md`, `content/a.fr.md` ->
    `content/a.md`."""
    for lang in ("fr", "ar"):
        rel = rel.replace(f"content/{lang}/", "content/", 1).replace(f".{lang}.md", ".md")
    return rel


def _in_language(rel: str, lang: str, how: str) -> str:
    """The path of a page's translation into `lang`, by file name or by folder."""
    neutral = _neutral(rel)
    if how == "name":
        return neutral[: -len(".md")] + f".{lang}.md"
    return neutral.replace("content/", f"content/{lang}/", 1)


def _outcome(run: Callable[[], object]) -> str | None:
    try:
        run()
    except SsgError as exc:
        return str(exc)
    return None


#: SSG_LONG_TESTS=1 runs the long versions of the property and fault tests.
LONG = bool(os.environ.get("SSG_LONG_TESTS"))

IncrementalMatchesClean.TestCase.settings = settings(
    max_examples=400 if LONG else 30, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Each example builds the site cleanly after every step: minutes on a loaded machine.
test_incremental_matches_clean = pytest.mark.timeout(1500)(IncrementalMatchesClean.TestCase)


def test_body_edit_rewrites_the_page_and_feeds_only(make_site: Callable[..., Site]) -> None:
    posts = {f"content/posts/p{i}.md": f"---\ntitle: P{i}\ndate: 2024-01-0{i + 1}\n---\n"
             f"Summary {i}.\n\nDetail {i}.\n" for i in range(5)}
    site = make_site(posts)
    untouched = site.out / "posts/p1/index.html"
    mtime = untouched.stat().st_mtime_ns
    site.write({"content/posts/p3.md": "---\ntitle: P3\ndate: 2024-01-04\n---\n"
                "Summary 3.\n\nNew detail.\n"})
    result = site.build()
    assert not result.full
    # Lists show only the unchanged summary; feeds carry the whole body; the search index
    # rewrites its meta file and the shards of the words whose counts changed ("new", "3",
    # "detail" keeps its count), not the excerpts (the summary is the same).
    pages = sorted(d for d in result.written if not d.startswith("search/"))
    index = sorted(d for d in result.written if d.startswith("search/"))
    assert index[0] == "search/meta.json" and not [d for d in index if "/d/" in d], index
    assert 1 <= len(index[1:]) <= 2 and all(d.startswith("search/t/") for d in index[1:])
    assert pages == ["feed.json", "feed.xml", "posts/feed.json", "posts/feed.xml",
                     "posts/p3/index.html", "posts/rss.xml", "rss.xml"]
    assert untouched.stat().st_mtime_ns == mtime
    assert "New detail." in site.read("posts/p3/index.html")


def test_title_change_rerenders_lists_and_neighbours(make_site: Callable[..., Site]) -> None:
    posts = {f"content/posts/p{i}.md": f"---\ntitle: P{i}\ndate: 2024-01-0{i + 1}\n"
             f"tags: [x]\n---\nBody {i}\n" for i in range(3)}
    site = make_site(posts)
    site.write({"content/posts/p1.md": "---\ntitle: Renamed\ndate: 2024-01-02\ntags: [x]\n---\n"
                "Body 1\n"})
    result = site.build()
    for dest in ("posts/p1/index.html", "posts/p0/index.html", "posts/p2/index.html",
                 "posts/index.html", "tags/x/index.html", "feed.xml", "posts/feed.xml",
                 "rss.xml", "posts/rss.xml", "feed.json", "posts/feed.json"):
        assert dest in result.written
        assert "Renamed" in site.read(dest)


def test_no_change_rebuild_writes_nothing(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "a\n", "static/s.css": "x"})
    before = {p: p.stat().st_mtime_ns for p in site.out.rglob("*")}
    result = site.build()
    assert result.rendered == 0 and result.written == () and not result.full
    assert {p: p.stat().st_mtime_ns for p in site.out.rglob("*")} == before


def test_corrupt_or_foreign_cache_is_discarded(make_site: Callable[..., Site],
                                               ssg_log: object) -> None:
    site = make_site({"content/a.md": "a\n"})
    path = cache_file(site.root)
    path.write_bytes(path.read_bytes()[:100])
    site.write({"content/a.md": "changed\n"})
    result = site.build()
    assert result.full and "changed" in site.read("a/index.html")
    assert "discarded" in ssg_log.text  # type: ignore[attr-defined]
    path.write_bytes(b"\x80\x04\x95garbage")
    assert site.build().full


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.write_text, (self.marker, "pwned"))


def test_a_cache_from_elsewhere_is_never_unpickled(make_site: Callable[..., Site]) -> None:
    """A .ssg-cache that came with a cloned repository must not run code: it is JSON."""
    site = make_site({"content/a.md": "a\n"})
    marker = site.root / "pwned"
    cache_file(site.root).write_bytes(b"\0" * 32 + pickle.dumps(_Exploit(marker)))
    result = site.build()
    assert result.full and not marker.exists()


def test_output_changed_behind_the_cache_gets_a_full_build(
    make_site: Callable[..., Site]
) -> None:
    site = make_site({"content/a.md": "a\n"})
    shutil.rmtree(site.out)
    result = site.build()
    assert result.full and site.exists("a/index.html")


def test_parallel_build_is_identical_to_serial(make_site: Callable[..., Site],
                                               tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"content/s{i % 4}/p{i}.md": f"---\ntitle: P{i}\ndate: 2024-02-{i % 28 + 1:02d}\n"
        f"tags: [t{i % 7}]\n---\nBody {i} [next](p{i + 4}.md)\n" for i in range(300)
    }
    site = make_site(files, build=False)
    serial = load_config(site.root, output_dir=tmp_path / "serial")
    parallel = load_config(site.root, output_dir=tmp_path / "parallel")
    build(serial, BuildOptions(jobs=1, cache=False))
    build(parallel, BuildOptions(jobs=2, cache=False))
    assert tree(serial.output_dir) == tree(parallel.output_dir)


def test_texts_missing_from_the_cache_are_rendered_again(make_site: Callable[..., Site]) -> None:
    site = make_site({f"content/p{i}.md": f"---\ntitle: P{i}\n---\nBody {i}\n" for i in range(3)})
    with sqlite3.connect(texts_file(site.root)) as db:
        db.execute("UPDATE texts SET fp = 'stale'")
    db.close()
    site.write({"templates/page.html": "{{ page.content }}|{{ page.title }}"})
    site.build()  # the stale texts are noticed before rendering: Markdown is rendered again
    assert site.read("p1/index.html") == "<p>Body 1</p>|P1"

    store = ContentStore(texts_file(site.root))
    stub_content = Content("", "", "", 1, (), body_fp="b", summary_fp="s")
    store.stubs["gone.md"] = stub_content
    with pytest.raises(KeyError):
        store["gone.md"]
    store.recompute = lambda src: replace(stub_content, html=f"again {src}")
    assert store["gone.md"].html == "again gone.md"  # a build sharing the cache replaced it
    store.close()
