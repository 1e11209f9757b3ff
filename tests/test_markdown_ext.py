"""Any Python-Markdown extension in `[markdown.extensions]`: options, order, errors naming the
key, the cache key (options and versions), pymdown-extensions, and mkdocs.yml's form."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, Site, html_text, write_files
from ssg.config import load_config
from ssg.errors import ConfigError, SsgError
from ssg.markdown_extensions import PYTHON_NAME, check_extensions, extensions_from_mkdocs

try:
    import pymdownx  # noqa: F401
except ImportError:  # in the test extra: required in CI, skipped on a bare checkout
    if os.environ.get("CI"):
        raise
    pytest.skip("pymdown-extensions is not installed", allow_module_level=True)

#: An extension of no distribution: it writes `word` into every paragraph and notes the text of
#: each page it renders in the file `log`, so a test sees which pages were rendered again.
COUNTING_EXT = '''
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

class _Mark(Treeprocessor):
    def __init__(self, md, word, log):
        super().__init__(md)
        self.word, self.log = word, log

    def run(self, root):
        for p in root.iter("p"):
            p.text = f"{self.word} {p.text or ''}"
        if self.log:
            with open(self.log, "a") as f:
                f.write("".join(root.itertext()).strip() + "\\n")

class CountingExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {"word": ["hello", "a word"], "log": ["", "a file"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        md.treeprocessors.register(
            _Mark(md, self.getConfig("word"), self.getConfig("log")), "counting", 0)

def makeExtension(**kwargs):
    return CountingExtension(**kwargs)
'''


@pytest.fixture
def ext_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path for extension modules written by a test."""
    folder = tmp_path / "lib"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    yield folder
    for name in [n for n in sys.modules if n.startswith(("countingext", "brokenext"))]:
        del sys.modules[name]


def config_error(root: Path) -> str:
    with pytest.raises(SsgError) as info:
        load_config(root)
    return str(info.value)


# --- pymdown-extensions, configured ---------------------------------------------------------

PYMDOWN_TOML = '''
[markdown.extensions."pymdownx.superfences"]
[markdown.extensions."pymdownx.tabbed"]
alternate_style = true
[markdown.extensions."pymdownx.details"]
[markdown.extensions."pymdownx.tasklist"]
custom_checkbox = true
[markdown.extensions."pymdownx.emoji"]
[markdown.extensions."pymdownx.highlight"]
linenums_style = "pymdownx-inline"
[markdown.extensions."pymdownx.snippets"]
base_path = ["snippets"]
[markdown.extensions."pymdownx.arithmatex"]
'''

PYMDOWN_PAGE = '''
=== "One"

    First tab.

=== "Two"

    Second tab.

??? note "More"

    Folded text.

- [x] done
- [ ] to do

Smile :smile:

```python linenums="1" hl_lines="2"
a = 1
b = 2
```

```mermaid
graph TD; A-->B
```

--8<-- "part.md"

Inline $x^2$ math.
'''


def test_pymdown_extensions_render_with_their_options(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": PYMDOWN_TOML,
        "snippets/part.md": "Included **from a snippet**.\n",
        "content/p.md": PYMDOWN_PAGE,
    })
    html = site.read("p/index.html")
    assert 'class="tabbed-set tabbed-alternate"' in html  # alternate_style = true
    assert '<div class="tabbed-labels">' in html and "Second tab." in html
    assert "<details" in html and "<summary>More</summary>" in html
    assert 'class="task-list-control"' in html  # custom_checkbox = true
    assert "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" in html_text(html)  # not a CDN image
    assert "cdn.jsdelivr" not in html
    assert 'data-linenos="1 "' in html  # linenums_style = "pymdownx-inline"
    assert '<span class="hll">' in html
    assert 'class="language-python highlight" data-lang="Python"' in html
    assert '<pre class="mermaid"><code>graph TD; A--&gt;B</code></pre>' in html
    assert "Included <strong>from a snippet</strong>." in html  # base_path is the site's
    assert 'class="arithmatex"' in html and "<math" not in html  # arithmatex replaces ssg's


def test_extension_options_change_the_output(make_site: Callable[..., Site]) -> None:
    page = {"content/p.md": '=== "One"\n\n    Text.\n'}
    site = make_site({"ssg.toml": PYMDOWN_TOML, **page})
    assert "tabbed-alternate" in site.read("p/index.html")
    site.write({"ssg.toml": PYMDOWN_TOML.replace("alternate_style = true",
                                                 "alternate_style = false")})
    site.build()
    assert "tabbed-alternate" not in site.read("p/index.html")


def test_built_in_extensions_take_options(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": '[markdown.extensions.toc]\npermalink = "#"\n'
                    '[markdown.extensions]\nsmarty = true\n',
        "content/p.md": "## A heading\n\n## Another\n\n\"quoted\"\n",
    })
    html = site.read("p/index.html")
    assert 'class="headerlink"' in html  # toc's permalink option
    assert "&ldquo;quoted&rdquo;" in html  # smarty switched on as before
    assert 'id="a-heading"' in html  # ssg's own toc option (slugify) still applies


def test_extensions_load_in_the_order_written(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\n"pymdownx.tasklist" = true\n'
                                       '"pymdownx.details" = true\ntables = false\n'
                                       '"pymdownx.caret" = {}\n'})
    names = load_config(tmp_path).markdown.extensions
    assert names[-3:] == ("pymdownx.tasklist", "pymdownx.details", "pymdownx.caret")
    assert "tables" not in names and names[0] == "fenced_code"


# --- errors naming the key ------------------------------------------------------------------

def test_an_extension_not_installed_is_a_config_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions."nosuch_pkg.ext"]\nx = 1\n'})
    message = config_error(tmp_path)
    assert 'markdown.extensions."nosuch_pkg.ext"' in message
    assert "not installed" in message and "ssg.toml" in message


def test_an_extension_that_fails_to_load_is_a_config_error(tmp_path: Path, ext_dir: Path
                                                          ) -> None:
    (ext_dir / "brokenext.py").write_text("import nosuch_dependency_of_it\n")
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\nbrokenext = true\n'})
    message = config_error(tmp_path)
    assert "markdown.extensions.brokenext" in message and "fails to load" in message
    assert "nosuch_dependency_of_it" in message


def test_an_extension_that_raises_while_loading_is_a_config_error(tmp_path: Path,
                                                                  ext_dir: Path) -> None:
    (ext_dir / "brokenext2.py").write_text("raise RuntimeError('broken on purpose')\n")
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\nbrokenext2 = true\n'})
    message = config_error(tmp_path)
    assert "markdown.extensions.brokenext2" in message and "broken on purpose" in message
    sys.modules.pop("brokenext2", None)


def test_an_extension_rejecting_its_options_is_a_config_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions."pymdownx.tabbed"]\n'
                                       'no_such_option = true\n'})
    message = config_error(tmp_path)
    assert 'markdown.extensions."pymdownx.tabbed"' in message
    assert "no_such_option" in message and "alternate_style" in message  # what it knows


def test_options_that_fail_when_the_extension_runs_are_a_config_error(tmp_path: Path) -> None:
    # superfences reads its custom fences only when it is set up in a Markdown instance.
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions."pymdownx.superfences"]\n'
                                       'custom_fences = "mermaid"\n'})
    message = config_error(tmp_path)
    assert 'markdown.extensions."pymdownx.superfences"' in message
    assert "fails with these options" in message


def test_a_python_name_that_cannot_be_imported_is_a_config_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions."pymdownx.emoji"]\n'
                                       f'emoji_generator = "{PYTHON_NAME}pymdownx.emoji.nope"\n'})
    message = config_error(tmp_path)
    assert 'markdown.extensions."pymdownx.emoji"' in message and "pymdownx.emoji.nope" in message


def test_a_python_name_in_options_is_imported(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": '[markdown.extensions."pymdownx.emoji"]\n'
                    f'emoji_generator = "{PYTHON_NAME}pymdownx.emoji.to_png"\n',
        "content/p.md": "Smile :smile:\n",
    })
    assert '<img alt="' in site.read("p/index.html")  # to_png, not ssg's default to_alt


def test_a_switch_that_is_not_true_false_or_a_table_is_an_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\ntables = "yes"\n'})
    assert "markdown.extensions.tables must be true, false or a table" in config_error(tmp_path)


def test_a_typo_of_a_built_in_is_named(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\ntabels = false\n'})
    assert "did you mean 'tables'" in config_error(tmp_path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\n"nosuch_a" = true\n'
                                       '"nosuch_b" = true\n'})
    message = config_error(tmp_path)
    assert "nosuch_a" in message and "nosuch_b" in message


# --- the cache key: options and versions ----------------------------------------------------

def test_changing_an_option_renders_pages_again(make_site: Callable[..., Site], ext_dir: Path
                                                ) -> None:
    (ext_dir / "countingext.py").write_text(COUNTING_EXT)
    log = ext_dir / "renders.log"
    toml = f'[markdown.extensions.countingext]\nword = "hello"\nlog = "{log.as_posix()}"\n'
    site = make_site({"ssg.toml": toml, "content/p.md": "Text.\n"})
    assert "hello Text." in site.read("p/index.html")
    renders = log.read_text().count("Text.")
    site.build()
    assert log.read_text().count("Text.") == renders, "an unchanged build rendered again"
    site.write({"ssg.toml": toml.replace('"hello"', '"goodbye"')})
    site.build()
    assert "goodbye Text." in site.read("p/index.html")


def _write_dist(lib: Path, version: str) -> None:
    """The package `countingext` installed (by hand) as the distribution countingext-VERSION."""
    for old in lib.glob("countingext-*.dist-info"):
        for file in old.iterdir():
            file.unlink()
        old.rmdir()
    info = lib / f"countingext-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: countingext\n"
                                   f"Version: {version}\n")
    (info / "top_level.txt").write_text("countingext\n")
    (info / "RECORD").write_text(f"countingext/__init__.py,,\n{info.name}/METADATA,,\n")


def test_upgrading_an_extension_renders_pages_again(tmp_path: Path) -> None:
    """The version of the distribution providing an extension is part of the cache key."""
    lib = tmp_path / "lib"
    (lib / "countingext").mkdir(parents=True)
    (lib / "countingext" / "__init__.py").write_text(COUNTING_EXT)
    _write_dist(lib, "1.0")
    log = tmp_path / "renders.log"
    site = tmp_path / "site"
    write_files(site, {"ssg.toml": f'[markdown.extensions.countingext]\nlog = "{log.as_posix()}"\n',
                       "content/p.md": "Text.\n", "content/q.md": "More.\n"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(lib)])}

    def build() -> int:
        result = subprocess.run([sys.executable, "-m", "ssg", "build", str(site)],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return log.read_text().count("Text.") if log.exists() else 0

    first = build()
    assert first == 1
    assert build() == first, "a build with nothing changed rendered the page again"
    _write_dist(lib, "1.1")
    assert build() == first + 1, "upgrading the extension did not render the page again"


def test_versions_are_in_the_config(tmp_path: Path) -> None:
    from importlib.metadata import version

    write_files(tmp_path, {"ssg.toml": '[markdown.extensions]\n"pymdownx.details" = true\n'})
    versions = load_config(tmp_path).markdown.versions
    assert versions["pymdownx.details"] == f"pymdown-extensions {version('pymdown-extensions')}"
    assert versions["markdown"] == f"markdown {version('markdown')}"


# --- mkdocs.yml's markdown_extensions -------------------------------------------------------

def test_extensions_from_mkdocs_gives_the_toml_table() -> None:
    import yaml

    value = yaml.safe_load('''
- admonition
- markdown.extensions.toc:
    permalink: true
- pymdownx.superfences:
    custom_fences:
      - name: mermaid
        class: mermaid
- pymdownx.details:
''')
    table = extensions_from_mkdocs(value)
    assert table["admonition"] is True
    assert table["toc"] == {"permalink": True}  # the long name is the built-in one
    assert table["pymdownx.superfences"] == {"custom_fences": [{"name": "mermaid",
                                                                "class": "mermaid"}]}
    assert table["pymdownx.details"] == {}
    # ssg's defaults that change what Markdown means are off, as in MkDocs
    assert table["footnotes"] is False and table["def_list"] is False
    assert "codehilite" not in table and "tables" not in table
    order = [n for n in table if table[n] is not False]
    assert order == ["admonition", "toc", "pymdownx.superfences", "pymdownx.details"]


def test_extensions_from_mkdocs_goes_through_the_same_checks() -> None:
    from pymdownx.superfences import fence_code_format

    table = extensions_from_mkdocs([{"pymdownx.superfences": {"custom_fences": [
        {"name": "mermaid", "class": "mermaid", "format": fence_code_format}]}}])
    fence = table["pymdownx.superfences"]["custom_fences"][0]  # type: ignore[index]
    assert fence["format"] == PYTHON_NAME + "pymdownx.superfences.fence_code_format"
    problems: list[str] = []
    names, options, _versions = check_extensions(table, problems.append,
                                                 where="markdown_extensions")
    assert problems == []
    assert "pymdownx.superfences" in names and "footnotes" not in names
    assert options["pymdownx.superfences"]["custom_fences"][0]["name"] == "mermaid"
    check_extensions(extensions_from_mkdocs(["nosuch_mkdocs_ext"]), problems.append,
                     where="markdown_extensions")
    assert len(problems) == 1 and problems[0].startswith("markdown_extensions.nosuch_mkdocs_ext")


def test_extensions_from_mkdocs_accepts_a_mapping_and_refuses_other_shapes() -> None:
    assert extensions_from_mkdocs({"toc": {"permalink": True}})["toc"] == {"permalink": True}
    assert extensions_from_mkdocs(None)["footnotes"] is False
    for bad in ("toc", [42], [{"a": 1, "b": 2}], [{"toc": [1]}]):
        with pytest.raises(ConfigError, match="markdown_extensions"):
            extensions_from_mkdocs(bad)


def test_editing_a_snippet_renders_the_pages_that_include_it(make_site: Callable[..., Site]
                                                            ) -> None:
    site = make_site({
        "ssg.toml": '[markdown.extensions."pymdownx.snippets"]\n',
        "parts/note.md": "First version.\n",
        "content/p.md": '--8<-- "parts/note.md"\n',
        "content/q.md": "No snippet here.\n",
    })
    assert "First version." in site.read("p/index.html")
    site.write({"parts/note.md": "Second version.\n"})
    site.build()
    assert "Second version." in site.read("p/index.html")


def test_a_missing_snippet_is_an_error(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": '[markdown.extensions."pymdownx.snippets"]\n',
                      "content/p.md": '--8<-- "nowhere.md"\n'}, build=False)
    with pytest.raises(SsgError, match=r"content/p\.md.*nowhere\.md"):
        site.build()
