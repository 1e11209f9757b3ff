"""Search: ssg's own index in /search/, made from the pages' records, deterministic, patched
page by page, and equal to a clean build's after every incremental one."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Site
from ssg.build import BuildOptions, Session, build
from ssg.config import load_config
from ssg.errors import ConfigError, OutputError
from ssg.incremental.state import SearchTexts, cache_file, texts_file
from ssg.stages import search
from ssg.stages.search_text import excerpt, page_record, terms

FILES: dict[str, str | bytes] = {
    "ssg.toml": 'title = "Zoo"\n',
    "content/_index.md": "Welcome to the zoo.\n",
    "content/animals/_index.md": "All the animals.\n",
    "content/animals/elephant.md": "---\ntitle: Elephants\n---\nElephants are large grey "
                                   "mammals.\n\n## Trunks\n\nA trunk is a long nose.\n",
    "content/animals/zebra.md": "---\ntitle: Zebras\n---\nZebras have black and white "
                                "stripes.\n",
    "content/about.md": "---\ntitle: About\n---\nThe zoo opens at nine.\n",
}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def docs(out: Path) -> list[list[str]]:
    """[url, title, excerpt] of every indexed page, by id."""
    meta = json.loads((out / "search/meta.json").read_bytes())
    found: list[list[str]] = []
    for number in range(-(-meta["docs"] // meta["chunk"])):
        found += json.loads((out / f"search/d/{number}.json").read_bytes())
    assert len(found) == meta["docs"]
    return found


def client_attrs(html: str) -> tuple[str, str]:
    """The search dialog's `data-client` (the client's URL) and `data-integrity`."""
    found = re.search(r'data-client="([^"]*)" data-integrity="([^"]*)"', html)
    assert found, "no search client on the page"
    return found.group(1), found.group(2)


def find(out: Path, word: str) -> dict[str, tuple[int, bool]]:
    """url -> (count in the body, in the title) of the pages the index lists under `word`
    (one term as the index spells it), read from its shard as the browser client does."""
    meta = json.loads((out / "search/meta.json").read_bytes())
    shard = json.loads((out / f"search/t/{search.shard_of(word, meta['shards'])}.json")
                       .read_bytes())
    if word not in shard:
        return {}
    urls = [doc[0] for doc in docs(out)]
    ids, weights = shard[word]
    values = [search.ALPHABET.index(w) for w in weights]
    return {urls[doc]: (value >> 1, bool(value & 1))
            for doc, value in zip(search.decode_ids(ids), values, strict=True)}


def clean_tree(site: Site) -> dict[str, bytes]:
    """The output of a clean build of the same site into another folder."""
    out = site.root.parent / "clean-out"
    build(load_config(site.root, output_dir=out), BuildOptions(cache=False))
    return tree(out)


def test_pages_are_indexed_with_the_search_box(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES)
    assert site.exists("search/search.js") and site.exists("search/meta.json")
    assert [doc[:2] for doc in docs(site.out)] == [
        ["/about/", "About"], ["/animals/elephant/", "Elephants"], ["/animals/zebra/", "Zebras"]]
    assert find(site.out, "trunk") == {"/animals/elephant/": (1, False)}
    assert find(site.out, "elephants") == {"/animals/elephant/": (1, True)}
    assert find(site.out, "zebras") == {"/animals/zebra/": (1, True)}
    assert find(site.out, "skip") == {}, "only the page's text is indexed, not the layout"
    assert find(site.out, "welcome") == {}, "section pages are not indexed"
    assert docs(site.out)[1][2] == "Elephants are large grey mammals."
    html = site.read("animals/zebra/index.html")
    # Loaded when the search dialog opens, by a name that changes with its bytes, and checked.
    url, integrity = client_attrs(html)
    assert re.fullmatch(r"/search/search\.[0-9a-f]{10}\.js", url), url
    client = (site.out / url.lstrip("/")).read_bytes()
    assert client == search.CLIENT.read_bytes() == (site.out / "search/search.js").read_bytes()
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(client).digest()).decode()
    assert 'id="site-search" role="search" data-index="/search/"' in html
    assert '<label class="visually-hidden" for="site-search-input">Search this site</label>' in html
    assert 'role="status" aria-live="polite"' in html


def test_base_path_reaches_the_client_and_the_links(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, base_url="https://example.org/zoo/")
    html = site.read("about/index.html")
    url, _integrity = client_attrs(html)
    assert re.fullmatch(r"/zoo/search/search\.[0-9a-f]{10}\.js", url), url
    assert (site.out / url.removeprefix("/zoo/")).is_file()
    assert 'data-index="/zoo/search/"' in html
    assert [doc[0] for doc in docs(site.out)][0] == "/zoo/about/"


def test_index_is_deterministic(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, cache=False)
    assert tree(site.out) == clean_tree(site)


def test_an_edit_patches_the_index_and_matches_a_clean_build(
        make_site: Callable[..., Site]) -> None:
    site = make_site(FILES)
    first = tree(site.out)
    site.write({"content/animals/zebra.md": "---\ntitle: Zebras\n---\nZebras gallop across "
                                            "the savanna.\n"})
    result = site.build()
    index = [dest for dest in result.written if dest.startswith("search/")]
    shards = [dest for dest in index if dest.startswith("search/t/")]
    assert 0 < len(shards) < len([d for d in first if d.startswith("search/t/")])
    assert "search/d/0.json" in index and "search/meta.json" in index
    assert not [dest for dest in index if dest.startswith("search/search.")], "the client"
    assert tree(site.out) == clean_tree(site)
    assert find(site.out, "savanna") == {"/animals/zebra/": (1, False)}
    assert find(site.out, "stripes") == {}

    site.write({"static/robots-extra.txt": "x\n"})  # no page changed: the index is kept
    result = site.build()
    assert result.written == ("robots-extra.txt",)

    (site.root / "content/about.md").unlink()
    site.write({"content/animals/lion.md": "---\ntitle: Lions\n---\nLions roar.\n"})
    result = site.build()
    assert [doc[0] for doc in docs(site.out)] == ["/animals/elephant/", "/animals/lion/",
                                                  "/animals/zebra/"]
    assert find(site.out, "nine") == {}
    assert tree(site.out) == clean_tree(site)


def test_a_template_edit_renders_pages_but_keeps_the_index(
        make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "templates/page.html": "{{ page.title }}: {{ page.content }}"})
    site.write({"templates/page.html": "<h1>{{ page.title }}</h1>{{ page.content }}"})
    result = site.build()
    assert "animals/zebra/index.html" in result.written
    assert not [dest for dest in result.written if dest.startswith("search/")]


def test_a_body_the_template_does_not_show_is_still_indexed_and_followed(
        make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "templates/page.html": "{{ page.title }}"})
    assert find(site.out, "trunk") == {"/animals/elephant/": (1, False)}
    site.write({"content/animals/elephant.md": "---\ntitle: Elephants\n---\nTusks.\n"})
    site.build()
    assert find(site.out, "trunk") == {} and find(site.out, "tusks")
    assert tree(site.out) == clean_tree(site)


def test_the_dev_servers_quick_rebuilds_follow_the_index(tmp_path: Path,
                                                         make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, build=False)
    config = load_config(site.root, output_dir=tmp_path / "served")
    session = Session()
    build(config, BuildOptions(cache=False), session)
    page = site.root / "content/animals/zebra.md"
    page.write_text("---\ntitle: Zebras\n---\nZebras eat grass.\n")
    result = build(config, BuildOptions(cache=False), session, changed=[page])
    assert "quick front" in result.timings, "a body edit takes the quick path"
    assert find(config.output_dir, "grass") == {"/animals/zebra/": (1, False)}
    assert tree(config.output_dir) == clean_tree(site)


def test_a_damaged_index_in_the_output_is_made_again(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES)
    meta = json.loads(site.read("search/meta.json"))
    for number in range(meta["shards"]):  # whichever shards the edit needs are gone
        (site.out / f"search/t/{number}.json").write_text("not json")
    site.write({"content/about.md": "---\ntitle: About\n---\nOpen at ten.\n"})
    site.build()
    assert find(site.out, "ten") == {"/about/": (1, False)}
    assert tree(site.out) == clean_tree(site)


def _search_rows(site: Site) -> list[tuple[str, ...]]:
    with sqlite3.connect(texts_file(site.root)) as db:
        return db.execute("SELECT * FROM search ORDER BY fp").fetchall()


def test_the_cache_keeps_record_texts_beside_the_state_and_an_edit_reads_few(
        make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch) -> None:
    """The state names each record by url, length and fp; the texts (title, excerpt, words)
    are in the SQLite file, one row per record, and an edit reads those of a few pages."""
    site = make_site({**FILES, **{f"content/herd/cow{n}.md": f"Cow number {n} moos.\n"
                                  for n in range(40)}})
    state = json.loads(cache_file(site.root).read_bytes())
    stored = state["outputs"]["output"]["search"]
    assert stored["animals/zebra/index.html"][0] == "/animals/zebra/"
    assert "stripes" not in json.dumps(state)
    rows = _search_rows(site)
    assert len(rows) == len(stored) == 43
    assert any("stripes" in row[3] for row in rows)
    fetched: list[str] = []
    real = SearchTexts.fetch
    monkeypatch.setattr(SearchTexts, "fetch",
                        lambda self, record: fetched.append(record["url"]) or real(self, record))
    site.write({"content/herd/cow7.md": "Cow number 7 sleeps.\n"})
    site.build()
    assert 0 < len(fetched) <= 17  # the edited page's old record and its chunk of 16
    assert find(site.out, "sleeps") == {"/herd/cow7/": (1, False)}
    assert tree(site.out) == clean_tree(site)
    assert len(_search_rows(site)) == 43, "the edited page's old texts are forgotten"


@pytest.mark.parametrize("spoil", ["empty", "other words"])
def test_lost_or_altered_record_texts_make_the_index_from_the_pages(
        make_site: Callable[..., Site], spoil: str) -> None:
    """Texts gone from the SQLite file (another build replaced it) or not those of the
    record's fp (damaged, hostile) are never indexed: every record is made again."""
    site = make_site(FILES)
    with sqlite3.connect(texts_file(site.root)) as db:
        if spoil == "empty":
            db.execute("DELETE FROM search")
        else:
            db.execute("UPDATE search SET terms = 'evil', weights = '2'")
    site.write({"content/animals/zebra.md": "---\ntitle: Zebras\n---\nZebras gallop.\n"})
    site.build()
    assert find(site.out, "evil") == {}
    assert find(site.out, "gallop") == {"/animals/zebra/": (1, False)}
    assert find(site.out, "trunk") == {"/animals/elephant/": (1, False)}
    assert tree(site.out) == clean_tree(site)
    site.write({"content/about.md": "---\ntitle: About\n---\nOpen at ten.\n"})
    site.build()  # the texts are stored again: the next edit patches
    assert find(site.out, "ten") == {"/about/": (1, False)}
    assert tree(site.out) == clean_tree(site)


def test_search_off(make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "ssg.toml": 'title = "Zoo"\nsearch = false\n'})
    assert not site.exists("search")
    html = site.read("animals/zebra/index.html")
    assert "search/search." not in html and 'id="site-search"' not in html
    site.write({"ssg.toml": 'title = "Zoo"\n'})  # turning it on rebuilds everything
    result = site.build()
    assert result.full and site.exists("search/search.js")
    url, _integrity = client_attrs(site.read("animals/zebra/index.html"))
    assert site.exists(url.lstrip("/"))


def test_search_must_be_a_boolean(make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "ssg.toml": 'search = "yes"\n'}, build=False)
    with pytest.raises(ConfigError, match="'search' must be a boolean"):
        site.build()


def test_the_index_folder_is_reserved(make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "static/search/mine.js": "x"}, build=False)
    with pytest.raises(OutputError, match="static/search/mine.js: output path "
                                          "'search/mine.js' is reserved for the search"):
        site.build()
    site.write({"ssg.toml": "search = false\n"})
    site.build()
    assert site.exists("search/mine.js")


def test_no_pages_give_an_empty_index(make_site: Callable[..., Site],
                                      ssg_log: pytest.LogCaptureFixture) -> None:
    site = make_site({"content/_index.md": "Only a home page.\n"})
    assert json.loads(site.read("search/meta.json"))["docs"] == 0
    assert not [r for r in ssg_log.records if r.levelno >= logging.WARNING]


def test_chinese_japanese_and_korean_words_are_found(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/zh.md": "---\ntitle: 北京\n---\n北京大学是中国的一所大学。\n",
        "content/ja.md": "---\ntitle: 東京タワー\n---\n東京タワーは日本の電波塔です。\n",
        "content/ko.md": "---\ntitle: 서울\n---\n서울은 한국의 수도입니다.\n",
    })
    assert find(site.out, "大学") == {"/zh/": (2, False)}
    assert find(site.out, "中国") == {"/zh/": (1, False)}
    assert find(site.out, "東京") == {"/ja/": (1, True)}
    assert find(site.out, "電波") == {"/ja/": (1, False)}
    assert find(site.out, "タワ") == {"/ja/": (1, True)}
    assert find(site.out, "京") == {"/ja/": (1, True), "/zh/": (1, True)}
    assert find(site.out, "수도") == {"/ko/": (1, False)}


def test_words_are_unicode_aware() -> None:
    assert terms("Ｐｙｔｈｏｎ STRASSE café_au_lait ①") == [
        "python", "strasse", "café", "au", "lait", "1"]
    assert terms("東京タワー") == ["東", "京", "タ", "ワ", "ー", "東京", "京タ", "タワ", "ワー"]
    assert terms("Go言語") == ["go", "言", "語", "言語"]


def test_a_record_is_made_from_the_rendered_body() -> None:
    record = page_record("/a/", "Hello World", "<p>Say <b>hello</b> &amp; wave.</p>"
                         "<script>var hidden = 1;</script>", "")
    assert (record["terms"], record["weights"]) == ("hello say wave world", "3221")
    assert record["excerpt"] == "Say hello & wave."
    assert record["length"] == 3
    assert excerpt("word " * 100).endswith("word…") and len(excerpt("word " * 100)) <= 161


def test_ids_round_trip_through_their_encoding() -> None:
    ids = [0, 1, 2, 63, 64, 5000, 5001, 300_000, 300_061]
    text = search.encode_ids(ids)
    assert search.decode_ids(text) == ids
    assert search.decode_ids(search.encode_ids(range(100))) == list(range(100))
    assert search.encode_ids([0, 1, 2]) == "011"


def test_records_keep_the_last_order_only_while_it_is_the_order_by_url() -> None:
    def records(urls: dict[str, str]) -> dict[str, search.SearchRecord]:
        return {dest: {"url": url, "fp": dest} for dest, url in urls.items()}

    first = records({"b/index.html": "/b/", "a/index.html": "/a/", "c/index.html": "/c/"})
    assert [r["url"] for r in search._by_url(first)] == ["/a/", "/b/", "/c/"]
    same_pages = records({"c/index.html": "/c/", "a/index.html": "/a/", "b/index.html": "/b/"})
    assert [r["url"] for r in search._by_url(same_pages, like=first)] == ["/a/", "/b/", "/c/"]
    # The same files under other URLs: sorted again, not taken in the last order.
    moved = records({"a/index.html": "/z/", "b/index.html": "/b/", "c/index.html": "/c/"})
    assert [r["url"] for r in search._by_url(moved, like=same_pages)] == ["/b/", "/c/", "/z/"]
