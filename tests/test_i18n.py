"""Multilingual sites: languages in ssg.toml, translations by file name or folder, and what
is built per language (pages, lists, taxonomies, feeds, search, 404, sitemap, hreflang)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from ssg.cli import main
from ssg.errors import SsgError
from tests.conftest import Site

LANGUAGES = """\
title = "My Site"
base_url = "https://example.org/"
language = "en"
paginate = 2
[languages.en]
name = "English"
[languages.fr]
name = "Français"
title = "Mon site"
description = "Un site en français"
weight = 1
[languages.ar]
title = "موقعي"
weight = 2
"""

#: One site with pages translated by file name (about.fr.md) and by folder (content/fr/).
BY_NAME = {
    "ssg.toml": LANGUAGES,
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/_index.fr.md": "---\ntitle: Accueil\n---\nBienvenue.\n",
    "content/about.md": "---\ntitle: About\ndate: 2024-03-01\ntags: [cats]\n---\n"
                        "See [the intro](docs/intro.md#start).\n",
    "content/about.fr.md": "---\ntitle: À propos\ndate: 2024-03-02\ntags: [chats]\n---\n"
                           "Voir [l'intro](docs/intro.md#debut) et [only](docs/only.md).\n",
    "content/about.ar.md": "---\ntitle: حول\ndate: 2024-03-03\n---\nمرحبا بكم في موقعنا.\n",
    "content/docs/_index.md": "---\ntitle: Docs\n---\n",
    "content/docs/_index.fr.md": "---\ntitle: Documentation\n---\n",
    "content/docs/intro.md": "---\ntitle: Intro\n---\n## Start\nHello **unicorn**.\n",
    "content/docs/intro.fr.md": "---\ntitle: Introduction\n---\n## Début {#debut}\n"
                                "Bonjour **licorne**.\n",
    "content/docs/only.md": "---\ntitle: Only English\n---\nNot translated.\n",
}

#: The same site with its translations in language folders.
BY_FOLDER = {
    "ssg.toml": LANGUAGES,
    "content/_index.md": BY_NAME["content/_index.md"],
    "content/fr/_index.md": BY_NAME["content/_index.fr.md"],
    "content/about.md": BY_NAME["content/about.md"],
    "content/fr/about.md": BY_NAME["content/about.fr.md"],
    "content/ar/about.md": BY_NAME["content/about.ar.md"],
    "content/docs/_index.md": BY_NAME["content/docs/_index.md"],
    "content/fr/docs/_index.md": BY_NAME["content/docs/_index.fr.md"],
    "content/docs/intro.md": BY_NAME["content/docs/intro.md"],
    "content/fr/docs/intro.md": BY_NAME["content/docs/intro.fr.md"],
    "content/docs/only.md": BY_NAME["content/docs/only.md"],
}

#: Shows what templates see of the languages.
PROBE = """\
{% extends "base.html" %}
{% block content %}
<p id="probe">lang={{ lang }} dir={{ dir }} page.lang={{ page.lang }} site={{ site.title }}
{%- for v in page.translations %} tr:{{ v.lang }}:{{ v.name }}:{{ v.url }}
{%- if v.current %}:current{% endif %}{% endfor %}
{%- for l in site.languages %} language:{{ l.code }}:{{ l.url }}{% endfor %}
 date={{ format_date(page.date) }} number={{ format_number(1234.5) }}
 t={{ t("hello") }} t2={{ t("only_english") }} t3={{ t("missing.key") }}
 t4={{ t("minutes", n=3) }}</p>
{{ page.content }}
{% endblock %}
"""


def probe(site: Site, rel: str) -> str:
    match = re.search(r'<p id="probe">(.*?)</p>', site.read(rel), re.S)
    assert match, rel
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("files", [BY_NAME, BY_FOLDER], ids=["by-name", "by-folder"])
def test_each_language_has_its_pages_lists_and_feeds(make_site: Callable[..., Site],
                                                      files: dict[str, str]) -> None:
    site = make_site(files)
    for rel in ("index.html", "about/index.html", "docs/intro/index.html", "docs/index.html",
                "fr/index.html", "fr/about/index.html", "fr/docs/index.html",
                "fr/docs/intro/index.html", "ar/index.html", "ar/about/index.html",
                "404.html", "fr/404.html", "ar/404.html",
                "tags/cats/index.html", "fr/tags/chats/index.html"):
        assert site.exists(rel), rel
    # A page missing in a language is absent there.
    assert not site.exists("fr/docs/only/index.html")
    assert not site.exists("ar/docs/index.html")
    assert not site.exists("tags/chats/index.html") and not site.exists("fr/tags/cats/index.html")
    fr_home = site.read("fr/index.html")
    assert "Mon site" in fr_home and "À propos" in fr_home
    assert "About" not in fr_home and "حول" not in fr_home
    assert "Documentation" in site.read("fr/docs/index.html")
    # Feeds per language: their own title, language and pages.
    atom = ElementTree.fromstring(site.read("fr/feed.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.findtext("a:title", namespaces=ns) == "Mon site"
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert [e.findtext("a:title", namespaces=ns) for e in atom.findall("a:entry", ns)] == [
        "À propos"]
    english = ElementTree.fromstring(site.read("feed.xml"))
    assert [e.findtext("a:title", namespaces=ns) for e in english.findall("a:entry", ns)] == [
        "About"]
    rss = ElementTree.fromstring(site.read("fr/rss.xml"))
    assert rss.findtext("channel/language") == "fr"
    feed = json.loads(site.read("ar/feed.json"))
    assert feed["language"] == "ar" and [i["title"] for i in feed["items"]] == ["حول"]
    assert "Un site en français" in site.read("fr/rss.xml")


def test_links_to_markdown_resolve_in_the_page_language_first(
        make_site: Callable[..., Site]) -> None:
    site = make_site(BY_NAME)
    fr = site.read("fr/about/index.html")
    assert 'href="/fr/docs/intro/#debut"' in fr  # the French translation, with its own id
    assert 'href="/docs/only/"' in fr  # no French version: the default language's page
    assert 'href="/docs/intro/#start"' in site.read("about/index.html")


def test_links_in_a_language_folder_resolve_there(make_site: Callable[..., Site]) -> None:
    site = make_site(BY_FOLDER)
    assert 'href="/fr/docs/intro/#debut"' in site.read("fr/about/index.html")


def test_hreflang_alternates_html_lang_dir_and_sitemap(make_site: Callable[..., Site]) -> None:
    site = make_site(BY_NAME)
    html = site.read("fr/about/index.html")
    links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', html))
    assert links == {"en": "https://example.org/about/", "fr": "https://example.org/fr/about/",
                     "ar": "https://example.org/ar/about/",
                     "x-default": "https://example.org/about/"}
    assert re.search(r'<html lang="fr" dir="ltr"', html)
    assert re.search(r'<html lang="ar" dir="rtl"', site.read("ar/about/index.html"))
    home = dict(re.findall(r'hreflang="([^"]+)" href="([^"]+)"', site.read("index.html")))
    assert home["fr"] == "https://example.org/fr/" and home["x-default"] == "https://example.org/"
    assert 'hreflang="en" href="https://example.org/tags/"' in site.read("fr/tags/index.html")
    # A page in one language only has no alternates.
    assert '<link rel="alternate" hreflang' not in site.read("docs/only/index.html")
    urls = sitemap_alternates(site.read("sitemap.xml"))
    assert urls["https://example.org/ar/about/"] == links
    assert urls["https://example.org/fr/docs/"]["en"] == "https://example.org/docs/"
    assert urls["https://example.org/docs/only/"] == {}


def test_templates_see_the_language_translations_strings_and_babel(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        **BY_NAME,
        "templates/page.html": PROBE,
        "i18n/en.toml": 'hello = "Hello"\nonly_english = "English only"\n'
                        'minutes = "{n} min read"\n',
        "i18n/fr.toml": 'hello = "Bonjour"\nminutes = "{n} min de lecture"\n',
    })
    fr = probe(site, "fr/about/index.html")
    assert fr.startswith("lang=fr dir=ltr page.lang=fr site=Mon site")
    assert ("tr:en:English:/about/ tr:fr:Français:/fr/about/:current tr:ar:العربية:/ar/about/"
            in fr)
    assert "language:en:/ language:fr:/fr/ language:ar:/ar/" in fr
    assert "date=2 mars 2024" in fr
    assert "number=1\u202f234,5" in site.read("fr/about/index.html")  # Babel's French
    assert "t=Bonjour t2=English only t3=missing.key t4=3 min de lecture" in fr
    ar = probe(site, "ar/about/index.html")
    assert "lang=ar dir=rtl" in ar and "date=3 مارس 2024" in ar
    assert "t=Hello" in ar  # no Arabic file: English
    en = probe(site, "about/index.html")
    assert "date=March 1, 2024" in en and "t4=3 min read" in en


def test_translation_key_links_pages_of_different_paths(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": LANGUAGES,
        "templates/page.html": PROBE,
        "content/contact.md": "---\ntitle: Contact\ntranslation_key: contact\n---\n",
        "content/fr/nous-ecrire.md": "---\ntitle: Nous écrire\ntranslation_key: contact\n---\n",
    })
    assert "tr:en:English:/contact/ tr:fr:Français:/fr/nous-ecrire/:current" in probe(
        site, "fr/nous-ecrire/index.html")


def test_search_has_one_index_per_language(make_site: Callable[..., Site]) -> None:
    site = make_site(BY_NAME)
    assert 'data-index="/search/fr/"' in site.read("fr/about/index.html")
    assert 'data-index="/search/"' in site.read("about/index.html")

    words = {folder: set().union(*(json.loads(p.read_text(encoding="utf-8"))
                                   for p in (site.out / folder / "t").glob("*.json")))
             for folder in ("search/", "search/fr/", "search/ar/")}
    assert "licorne" in words["search/fr/"] and "unicorn" not in words["search/fr/"]
    assert "unicorn" in words["search/"] and "licorne" not in words["search/"]
    assert "licorne" not in words["search/ar/"]


def test_fallback_lists_default_language_pages_marked(make_site: Callable[..., Site]) -> None:
    site = make_site({
        **BY_NAME,
        "ssg.toml": "language_fallback = true\n" + LANGUAGES,
        "templates/section.html": '{% extends "base.html" %}{% block content %}'
                                  '{% for p in section.pages %}[{{ p.lang }}:{{ p.title }}:'
                                  '{{ p.url }}]{% endfor %}{% endblock %}',
    })
    listing = site.read("fr/docs/index.html")
    assert "[fr:Introduction:/fr/docs/intro/]" in listing
    assert "[en:Only English:/docs/only/]" in listing  # marked by its language
    assert "[en:Intro:" not in listing  # translated: only the French version


def test_the_default_theme_marks_fallback_pages(make_site: Callable[..., Site]) -> None:
    site = make_site({**BY_NAME, "ssg.toml": "language_fallback = true\n" + LANGUAGES})
    listing = site.read("fr/docs/index.html")
    assert re.search(r'href="/docs/only/">Only English</a> <span class="language-mark" '
                     r'lang="en">\(English\)</span>', listing)
    assert 'class="language-mark"' not in site.read("docs/index.html")


def test_without_fallback_a_missing_page_is_not_listed(make_site: Callable[..., Site]) -> None:
    site = make_site({**BY_NAME, "templates/section.html":
                      '{% extends "base.html" %}{% block content %}'
                      '{% for p in section.pages %}[{{ p.title }}]{% endfor %}'
                      '{% endblock %}'})
    assert "[Introduction]" in site.read("fr/docs/index.html")
    assert "Only English" not in site.read("fr/docs/index.html")


def test_default_language_under_its_own_path(make_site: Callable[..., Site]) -> None:
    site = make_site({**BY_NAME, "ssg.toml": LANGUAGES.replace(
        'name = "English"', 'name = "English"\npath = "/en/"')})
    assert site.exists("en/about/index.html") and site.exists("en/index.html")
    assert 'url=/en/"' in site.read("index.html")  # / sends readers to the default home
    assert "https://example.org/en/about/" in site.read("fr/about/index.html")


def test_pagination_per_language(make_site: Callable[..., Site]) -> None:
    files = {"ssg.toml": LANGUAGES,
             **{f"content/p{n}.fr.md": f"---\ntitle: P{n}\ndate: 2024-01-0{n}\n---\n"
                for n in range(1, 6)},
             "content/one.md": "---\ntitle: One\n---\n"}
    site = make_site(files)
    assert site.exists("fr/page/3/index.html") and not site.exists("fr/page/4/index.html")
    assert not site.exists("page/2/index.html")


def test_a_site_in_one_language_has_no_language_markup(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'title = "One"\nbase_url = "https://example.org/"\n',
                      "content/about.md": "---\ntitle: About\n---\nHi.\n",
                      "content/notes.v2.md": "---\ntitle: Notes\n---\n"})
    html = site.read("about/index.html")
    assert "hreflang" not in html and " dir=" not in html and '<html lang="en">' in html
    assert "xhtml" not in site.read("sitemap.xml")
    assert site.exists("notes.v2/index.html") and not site.exists("fr")


def test_an_arabic_site_in_one_language_is_right_to_left(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'title = "موقعي"\nlanguage = "ar"\n',
                      "content/about.md": "---\ntitle: حول\n---\nمرحبا.\n"})
    assert '<html lang="ar" dir="rtl">' in site.read("about/index.html")


# --- bad input -------------------------------------------------------------------------------

def build_error(make_site: Callable[..., Site], files: dict[str, str]) -> str:
    site = make_site(files, build=False)
    with pytest.raises(SsgError) as info:
        site.build()
    return str(info.value)


def test_unknown_language_in_a_file_name_is_an_error(make_site: Callable[..., Site]) -> None:
    message = build_error(make_site, {**BY_NAME, "content/about.de.md": "---\ntitle: Über\n---\n"})
    assert "content/about.de.md" in message and "'de'" in message


def test_a_dotted_name_that_names_no_language_is_a_page(make_site: Callable[..., Site]) -> None:
    site = make_site({**BY_NAME, "content/notes.v2.md": "---\ntitle: V2\n---\n"})
    assert "V2" in site.read("notes.v2/index.html")


def test_two_files_claiming_one_translation_is_an_error(make_site: Callable[..., Site]) -> None:
    message = build_error(make_site, {**BY_NAME, "content/fr/about.md": "---\ntitle: Bis\n---\n"})
    assert "content/fr/about.md" in message and "content/about.fr.md" in message
    message = build_error(make_site, {
        "ssg.toml": LANGUAGES,
        "content/a.fr.md": "---\ntitle: A\ntranslation_key: k\n---\n",
        "content/b.fr.md": "---\ntitle: B\ntranslation_key: k\n---\n"})
    assert "content/b.fr.md" in message and "content/a.fr.md" in message
    assert "translation_key 'k'" in message


def test_two_section_files_of_one_language_are_an_error(make_site: Callable[..., Site]) -> None:
    message = build_error(make_site, {**BY_NAME, "content/fr/docs/_index.md": "Bis\n"})
    assert "content/fr/docs/_index.md" in message and "content/docs/_index.fr.md" in message


def test_a_language_with_an_address_of_its_own(make_site: Callable[..., Site]) -> None:
    site = make_site({**BY_NAME, "ssg.toml": LANGUAGES.replace(
        'weight = 1', 'weight = 1\nbase_url = "https://fr.example.org/"')})
    assert site.exists("fr/about/index.html")  # built beside the others, served on its host
    html = site.read("about/index.html")
    assert 'hreflang="fr" href="https://fr.example.org/about/"' in html
    assert 'href="https://fr.example.org/docs/intro/#debut"' in site.read("fr/about/index.html")


def test_a_language_without_a_title_is_an_error(make_site: Callable[..., Site],
                                                tmp_path: Path) -> None:
    files = {**BY_NAME, "ssg.toml": LANGUAGES.replace('title = "موقعي"\n', "")}
    message = build_error(make_site, files)
    assert "ssg.toml" in message and "languages.ar" in message and "title" in message
    result = CliRunner().invoke(main, ["build", str(tmp_path / "site")])
    assert result.exit_code != 0 and "languages.ar" in result.output


def test_bad_language_settings_are_errors(make_site: Callable[..., Site]) -> None:
    for bad, words in (('[languages.xx-nope]\ntitle = "X"\n', "language code"),
                       ('[languages.fr]\ntitle = "F"\ndirection = "up"\n', "direction"),
                       ('[languages.fr]\ntitle = "F"\npath = "/"\n', "path")):
        message = build_error(make_site, {
            "ssg.toml": 'language = "en"\n[languages.en]\n' + bad,
            "content/a.md": "A\n"})
        assert "ssg.toml" in message and words in message, message
    message = build_error(make_site, {"ssg.toml": 'language = "en"\n[languages.fr]\ntitle = "F"\n',
                                      "content/a.md": "A\n"})
    assert "[languages.en]" in message


# --- the default theme -----------------------------------------------------------------------

def test_the_default_theme_speaks_the_page_language(make_site: Callable[..., Site]) -> None:
    site = make_site({**BY_NAME, "i18n/fr.toml": 'on_this_page = "Dans cette page"\n'})
    fr = site.read("fr/docs/intro/index.html")
    assert "Aller au contenu" in fr and "Rechercher dans le site" in fr
    assert "Dans cette page" not in fr and "Fermer" in fr
    # Blocks shared by many pages (breadcrumbs, the docs tree) are kept per language.
    assert ">Accueil</a>" in fr and ">Home</a>" in site.read("docs/intro/index.html")
    # So are the head's links (rendered once per build for each language).
    feeds = re.compile(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)" '
                       r'title="([^"]+)"')
    assert feeds.findall(fr)[0] == ("/fr/feed.xml", "Mon site (flux Atom)")
    assert feeds.findall(site.read("docs/intro/index.html"))[0] == (
        "/feed.xml", "My Site (Atom feed)")
    site.write({"i18n/fr.toml": '[search]\nclose = "Quitter"\n'})
    site.build()
    assert "Quitter" in site.read("fr/docs/intro/index.html")  # the site's file wins
    ar = site.read("ar/about/index.html")
    assert "انتقل إلى المحتوى" in ar and "قراءة في دقيقة واحدة" in ar  # Arabic's "one" form
    assert "Skip to content" in site.read("about/index.html")
    assert "الصفحة غير موجودة" in site.read("ar/404.html")


def test_the_language_switcher_goes_to_the_same_page_or_the_home(
        make_site: Callable[..., Site]) -> None:
    site = make_site(BY_NAME)

    def switcher(rel: str) -> dict[str, str]:
        html = site.read(rel)
        nav = html[html.index('class="language-switcher"'):]
        nav = nav[: nav.index("</nav>")]
        return {lang: url for url, lang in re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"',
                                                        nav)}

    assert switcher("fr/docs/intro/index.html") == {"en": "/docs/intro/", "ar": "/ar/"}
    assert switcher("docs/only/index.html") == {"fr": "/fr/", "ar": "/ar/"}
    assert switcher("about/index.html") == {"fr": "/fr/about/", "ar": "/ar/about/"}
    assert 'aria-current="true" lang="fr"' in site.read("fr/about/index.html")


def test_the_docs_site_has_a_french_home_and_getting_started() -> None:
    root = Path(__file__).resolve().parent.parent
    for rel in ("content/_index.fr.md", "content/docs/getting-started.fr.md"):
        assert (root / rel).is_file(), rel


def test_term_pages_have_alternates_where_the_term_is_in_both_languages(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'title = "Site"\nbase_url = "https://example.org/"\n'
                    '[languages.en]\n[languages.fr]\ntitle = "Site FR"\n',
        "content/a.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [python, cats]\n---\nA.\n",
        "content/a.fr.md": "---\ntitle: A FR\ndate: 2024-01-01\ntags: [python, chats]\n---\n",
    })
    links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"',
                            site.read("fr/tags/python/index.html")))
    assert links == {"en": "https://example.org/tags/python/",
                     "fr": "https://example.org/fr/tags/python/",
                     "x-default": "https://example.org/tags/python/"}
    # A term in one language only has none.
    assert '<link rel="alternate" hreflang' not in site.read("tags/cats/index.html")
    urls = sitemap_alternates(site.read("sitemap.xml"))
    assert urls["https://example.org/tags/python/"] == links
    assert urls["https://example.org/tags/cats/"] == {}

    # The French term gained later: the English term page is made again with its alternate.
    site.write({"content/a.fr.md": "---\ntitle: A FR\ndate: 2024-01-01\ntags: [chats, cats]\n"
                                   "---\n"})
    site.build()
    assert ('<link rel="alternate" hreflang="fr" href="https://example.org/fr/tags/cats/"'
            in site.read("tags/cats/index.html"))


def sitemap_alternates(xml: str) -> dict[str | None, dict[str | None, str | None]]:
    """loc -> {hreflang: href} of each URL of a sitemap.xml."""
    sitemap = ElementTree.fromstring(xml)
    sm = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    return {u.findtext("s:loc", namespaces=sm): {
        link.get("hreflang"): link.get("href") for link in u.findall("x:link", sm)}
        for u in sitemap.findall("s:url", sm)}


def test_a_languages_first_tagged_page_puts_its_tags_in_every_page_of_that_language(
        make_site: Callable[..., Site]) -> None:
    # The menu shows a taxonomy once it has terms in the page's language: an incremental
    # build must render that language's other pages again (the key is the language's).
    site = make_site({
        "ssg.toml": ('title = "T"\n[languages.en]\n[languages.fr]\ntitle = "T fr"\n'
                     'path = "/francais/"\n'),
        "content/a.md": "---\ntitle: A\n---\nHello.\n",
    })
    assert "/francais/tags/" not in site.read("francais/404.html")
    site.write({"content/a.fr.md": "---\ntitle: B\ntags: [green]\n---\nSalut.\n"})
    site.build()
    assert "/francais/tags/" in site.read("francais/404.html")
    assert "/francais/tags/" in site.read("francais/categories/index.html")
