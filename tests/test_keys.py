"""The vocabulary of dependency keys: every kind a build records has a fingerprint, and every
kind in the vocabulary is recorded by some build (none is dead)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import PIL.Image
import pytest

from conftest import Site
from ssg.config import load_config
from ssg.output.writer import static_files
from ssg.stages import keys
from ssg.stages.assemble import assemble
from ssg.stages.data import load_data
from ssg.stages.discover import discover
from ssg.stages.hooks import extra_files
from ssg.stages.images import image_sources, process_images
from ssg.stages.keys import FINGERPRINTS, Inputs, Key, digest_bytes, fingerprint
from ssg.stages.parse import parse, read_bytes
from ssg.stages.plan import plan
from ssg.stages.render import Renderer, markdown_docs, render_documents


def _png() -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", (40, 20), "teal").save(out, "PNG")
    return out.getvalue()


BOAT = _png()

#: A site that reads everything templates can read: pages with tags and neighbours, nested
#: sections with _index.md, data files, a shortcode, a page asset, static files, site templates.
VARIED = {
    "ssg.toml": 'title = "Varied"\nbase_url = "https://example.org/"\n[plugins.mark]\n',
    # A site plugin: pages read its fingerprint (`plugin`), the file it adds is `pluginout`.
    "plugins/mark.py": "from ssg.plugins import Reads, hookimpl\n\n\n@hookimpl\n"
                       "def reads(options):\n    return Reads()\n\n\n@hookimpl\n"
                       "def page_context(page):\n    return {'mark': page.title}\n\n\n"
                       "@hookimpl\ndef extra_outputs(site):\n    return {'marks.txt': 'marks'}\n",
    "content/_index.md": "---\ntitle: Home\n---\nWelcome *home*.\n",
    "content/posts/_index.md": "---\ntitle: Posts\n---\nAll the posts.\n<!-- more -->\nMore.\n",
    "content/posts/one.md": "---\ntitle: One\ndate: 2024-01-01\ntags: [a, b]\n---\n"
                            "First.\n\n{{< note >}}inside{{< /note >}}\n",
    "content/posts/two.md": "---\ntitle: Two\ndate: 2024-02-01\ntags: [a]\n"
                            "aliases: [/old-two/]\n---\nSecond.\n<!-- more -->\nRest.\n",
    "content/posts/deep/_index.md": "---\ntitle: Deep\n---\n",
    "content/posts/deep/three.md": "---\ntitle: Three\ndate: 2024-03-01\n---\nThird.\n",
    "content/trip/index.md": "---\ntitle: Trip\n---\n![harbour](harbour.png)\n",
    "content/trip/harbour.png": "not really a png",
    "content/trip/boat.png": BOAT,
    "data/menu.yaml": "- Home\n- Posts\n",
    "data/people.toml": 'name = "Ann"\n',
    "static/hello.txt": "hello\n",
    "templates/shortcodes/note.html": "<aside>{{ body }}</aside>",
    "templates/page.html": """
        {% extends "base.html" %}
        {% block content %}
        {{ page.title }} {{ page.content }} {{ page.summary }}
        {% for name in site.data %}{{ name }}{% endfor %} {{ site.data|length }}
        {% for item in site.data.menu %}{{ item }}{% endfor %}
        {% if page.prev %}{{ page.prev.title }}{% endif %}
        {% for term in page.taxonomies.tags %}{{ term.name }} {{ term.count }}{% endfor %}
        {% for sub in page.section.subsections %}{{ sub.title }} {{ sub.content }}{% endfor %}
        {% for r in page.resources.match("b*.png") %}{{ r.resize(10).url }}{% endfor %}
        {% for v in page.translations + page.section.translations %}{{ v.url }}{% endfor %}
        {% endblock %}
    """,
}


def file_hash(path: str) -> str:
    """A file's hash, "missing" for none (as the build's FileHashes gives)."""
    try:
        return digest_bytes(Path(path).read_bytes())
    except FileNotFoundError:
        return "missing"


def recorded_keys(root: Path) -> tuple[Inputs, dict[Key, str]]:
    """Run the stages of a build on the site at root: every key any output recorded, with
    the output that recorded it."""
    config = load_config(root)
    sources = discover(config)
    pages = [parse(s, config.taxonomies, read_bytes(s)) for s in sources.pages]
    sections = [parse(s, config.taxonomies, read_bytes(s)) for s in sources.section_files]
    site = assemble(sources, pages, sections, config, data=load_data(config))
    found = image_sources(((a.display, a.src_path, path.lstrip("/")) for a, path in site.assets),
                          static_files(config))
    site = replace(site, images=process_images(
        config.images, found, file_hash,
        root / ".ssg-cache" / "images", jobs=1))
    docs = markdown_docs(site)
    contents = dict(zip((d.source.src for d in docs), render_documents(site, docs),
                        strict=True))
    site = replace(site, plugin_files=extra_files(config.plugins, site))
    renderer = Renderer(site, contents)
    recorded: dict[Key, str] = {}
    for task in plan(site, static_files(config)):
        for key in renderer.render(task)[1]:
            recorded.setdefault(key, task.dest_path)
    for dest in site.plugin_files:  # written as the plugin made them (see ssg.build)
        recorded.setdefault(keys.plugin_output(dest), dest)
    inputs = Inputs(site, contents, file_hash)
    return inputs, recorded


@pytest.fixture
def varied(make_site: Callable[..., Site]) -> tuple[Inputs, dict[Key, str]]:
    site = make_site(VARIED)
    assert "<aside>" in site.read("posts/one/index.html")  # the shortcode ran
    return recorded_keys(site.root)


def test_every_recorded_kind_has_a_fingerprint(varied: tuple[Inputs, dict[Key, str]]) -> None:
    inputs, recorded = varied
    for key, dest in recorded.items():
        assert key[0] in FINGERPRINTS, f"{dest} recorded {key!r}, a kind without fingerprint"
        value = fingerprint(inputs, key)
        assert value and value != keys.GONE, (key, value)


def test_every_kind_of_the_vocabulary_is_recorded(varied: tuple[Inputs, dict[Key, str]]
                                                  ) -> None:
    recorded = {key[0] for key in varied[1]}
    assert set(FINGERPRINTS) - recorded == set(), "kinds no build records"
    names = {key for key in varied[1] if key[0] == keys.data_names()[0]}
    assert {keys.data_names(), keys.data_file("menu")} <= names


def test_a_key_of_something_gone_has_a_fingerprint_of_its_own(
        varied: tuple[Inputs, dict[Key, str]]) -> None:
    inputs = varied[0]
    for key in (keys.page_meta("nope.md"), keys.page_body("nope.md"),
                keys.section_pages("nope"), keys.term_pages("tags", "nope"),
                keys.taxonomy_terms("nope"), keys.data_file("nope")):
        assert fingerprint(inputs, key) != fingerprint(inputs, keys.page_meta("posts/one.md"))
    assert fingerprint(inputs, keys.page_meta("nope.md")) == keys.GONE
    with pytest.raises(ValueError, match="unknown dependency key"):
        fingerprint(inputs, ("no such kind", "x"))


def test_a_fingerprint_changes_with_what_its_key_names(make_site: Callable[..., Site]) -> None:
    site = make_site(VARIED)
    inputs, before = recorded_keys(site.root)
    site.write({"content/posts/two.md": VARIED["content/posts/two.md"].replace("Two", "Deux"),
                "data/menu.yaml": "- Home\n"})
    after_inputs, _ = recorded_keys(site.root)
    changed = {key for key in before if fingerprint(inputs, key) != fingerprint(after_inputs, key)}
    assert keys.page_meta("posts/two.md") in changed
    assert keys.data_file("menu") in changed
    assert keys.page_meta("posts/one.md") not in changed
    assert keys.data_file("people") not in changed
