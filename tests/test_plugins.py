"""Plugins: hooks at the stage boundaries, their options and declared files, incremental and
parallel safety, errors naming the plugin, the hook and the page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Site, missing
from ssg.build import BuildOptions, build
from ssg.config import load_config
from ssg.errors import ConfigError, PluginError, SsgError

REPO = Path(__file__).resolve().parent.parent

#: A plugin that says what it reads: its options and data/words.txt.
SHOUT = '''
from ssg.plugins import Reads, hookimpl


@hookimpl
def reads(options):
    return Reads(files=("data/words.txt",))


@hookimpl
def config_loaded(options):
    if not isinstance(options.get("greeting", ""), str):
        raise ValueError("greeting must be text")


@hookimpl
def page_markdown(markdown, page, options, files):
    for word in files.get("data/words.txt", b"").decode().split():
        markdown = markdown.replace(word, word.upper())
    return markdown.replace("Hello", options.get("greeting", "Hello"))


@hookimpl
def page_html(html, page):
    return html.replace("<p>", f'<p data-src="{page.src}">', 1)


@hookimpl
def page_context(page, options):
    return {"mark": f"{options.get('greeting', '')}:{page.title}"}
'''

PAGE_TEMPLATE = ('{% extends "base.html" %}{% block content %}'
                 '<i class="mark">{{ plugins.shout.mark }}</i>{{ page.content }}{% endblock %}')


def shout_site(greeting: str = "Hey") -> dict[str, str | bytes]:
    return {
        "ssg.toml": f'[plugins.shout]\ngreeting = "{greeting}"\n',
        "plugins/shout.py": SHOUT,
        "data/words.txt": "world\n",
        "templates/page.html": PAGE_TEMPLATE,
        "content/a.md": "---\ntitle: A\n---\nHello world.\n",
        "content/b.md": "---\ntitle: B\n---\nPlain text.\n",
    }


def test_site_plugin_hooks_change_markdown_html_and_context(make_site: Callable[..., Site]
                                                           ) -> None:
    site = make_site(shout_site())
    a = site.read("a/index.html")
    assert "Hey WORLD." in a  # page_markdown: its option and its declared file
    assert 'data-src="a.md"' in a  # page_html
    assert '<i class="mark">Hey:A</i>' in a  # page_context, as plugins.shout
    assert '<i class="mark">Hey:B</i>' in site.read("b/index.html")


def test_a_change_to_options_file_or_code_rebuilds_what_the_plugin_touches(
        make_site: Callable[..., Site]) -> None:
    site = make_site(shout_site())
    assert site.build().rendered == 0  # declared: nothing to do when nothing changed

    site.write({"ssg.toml": '[plugins.shout]\ngreeting = "Yo"\n'})
    result = site.build()
    assert not result.full  # the plugin's own fingerprint, not the settings' fingerprint
    assert "Yo WORLD." in site.read("a/index.html")
    assert '<i class="mark">Yo:B</i>' in site.read("b/index.html")

    site.write({"data/words.txt": "text\n"})
    result = site.build()
    assert "Plain TEXT." in site.read("b/index.html")
    assert "Yo world." in site.read("a/index.html")

    site.write({"plugins/shout.py": SHOUT.replace("word.upper()", "f'*{word}*'")})
    result = site.build()
    assert "Plain <em>text</em>." in site.read("b/index.html")


def test_a_plugin_that_does_not_say_what_it_reads_rebuilds_what_it_touches(
        make_site: Callable[..., Site], tmp_path: Path) -> None:
    words = tmp_path / "site/data/words.txt"
    source = SHOUT.replace("@hookimpl\ndef reads", "def reads").replace(
        'files.get("data/words.txt", b"").decode()',
        f"__import__('pathlib').Path({str(words)!r}).read_text()")
    files = {**shout_site(), "plugins/shout.py": source}
    site = make_site(files)
    result = site.build()
    # Every page output its page_context saw is rendered again, and (seen in the next step)
    # every body its page_markdown saw is converted again.
    assert result.rendered == 2 and not result.full
    site.write({"data/words.txt": "text\n"})
    site.build()
    assert "Plain TEXT." in site.read("b/index.html")


def test_hooks_get_values_that_cannot_be_changed(make_site: Callable[..., Site]) -> None:
    files = shout_site()
    files["plugins/shout.py"] = SHOUT + '''

@hookimpl
def documents_parsed(documents):
    documents[0].front["title"] = "stolen"
'''
    with pytest.raises(PluginError) as info:
        make_site(files)
    message = str(info.value)
    assert "plugin 'shout'" in message and "documents_parsed" in message
    assert "TypeError" in message


def test_unknown_plugin_is_a_config_error_naming_the_key(make_site: Callable[..., Site]
                                                       ) -> None:
    site = make_site({"ssg.toml": "[plugins.llms-text]\n", "content/a.md": "a\n"}, build=False)
    with pytest.raises(ConfigError) as info:
        load_config(site.root)
    message = str(info.value)
    assert message.startswith("ssg.toml: plugins.llms-text: no plugin named 'llms-text'")
    assert "did you mean 'llms-txt'" in message


@pytest.mark.parametrize(("source", "expected"), [
    ("from ssg.plugins import hookimpl\n@hookimpl\ndef page_markup(markdown):\n    pass\n",
     "page_markup"),
    ("from ssg.plugins import hookimpl\n@hookimpl\ndef page_markdown(text):\n    pass\n",
     "text"),
    ("import nonexistent_module_xyz\n", "ModuleNotFoundError"),
])
def test_a_broken_plugin_is_a_config_error(make_site: Callable[..., Site], source: str,
                                           expected: str) -> None:
    site = make_site({"ssg.toml": "[plugins.bad]\n", "plugins/bad.py": source,
                      "content/a.md": "a\n"}, build=False)
    with pytest.raises(ConfigError) as info:
        load_config(site.root)
    assert "plugins.bad" in str(info.value) and expected in str(info.value)


def test_options_a_plugin_rejects_are_a_config_error(make_site: Callable[..., Site]) -> None:
    files = shout_site()
    files["ssg.toml"] = "[plugins.shout]\ngreeting = 3\n"
    site = make_site(files, build=False)
    with pytest.raises(ConfigError) as info:
        load_config(site.root)
    assert str(info.value) == "ssg.toml: plugins.shout: greeting must be text"
    site.write({"ssg.toml": "[plugins.llms-txt]\nful = true\n"})
    with pytest.raises(ConfigError, match=r"plugins.llms-txt: unknown option 'ful'"):
        load_config(site.root)


def test_a_disabled_plugin_does_not_run(make_site: Callable[..., Site]) -> None:
    files = shout_site()
    files["ssg.toml"] = "[plugins.shout]\nenabled = false\n"
    files["templates/page.html"] = "{{ page.content }}"
    site = make_site(files)
    assert "Hello world." in site.read("a/index.html")


BOOM = '''
from ssg.plugins import Reads, hookimpl


@hookimpl
def reads(options):
    return Reads()


@hookimpl
def page_markdown(markdown, page):
    if "boom" in markdown:
        raise ValueError("no booms here")
    return markdown
'''


def boom_site(count: int) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"ssg.toml": "[plugins.boom]\n", "plugins/boom.py": BOOM}
    files.update({f"content/p{i}.md": f"Page {i}\n" for i in range(count)})
    files["content/p7.md"] = "Here goes boom.\n"
    return files


@pytest.mark.parametrize("pages", [10, 260])  # one process, and worker processes
def test_a_plugin_error_names_the_plugin_the_hook_and_the_page(
        make_site: Callable[..., Site], pages: int) -> None:
    site = make_site(boom_site(pages), build=False)
    with pytest.raises(PluginError) as info:
        site.build(jobs=2)
    assert str(info.value) == ("content/p7.md: plugin 'boom' failed in hook page_markdown: "
                               "ValueError: no booms here")
    assert 'raise ValueError("no booms here")' in info.value.detail


def test_the_plugin_traceback_shows_with_verbose_only(make_site: Callable[..., Site]) -> None:
    site = make_site(boom_site(260), build=False)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ssg", "build", str(site.root), "-j", "2",
                               *flags], capture_output=True, text=True, env=env, timeout=300)

    quiet = run()
    assert quiet.returncode == 1
    assert ("error: content/p7.md: plugin 'boom' failed in hook page_markdown: ValueError: "
            "no booms here") in quiet.stderr
    assert "Traceback" not in quiet.stderr
    verbose = run("--verbose")
    assert verbose.returncode == 1
    # The plugin's own frames, from the worker process that ran it.
    assert re.search(r'File ".*/plugins/boom\.py", line 12, in page_markdown', verbose.stderr)
    assert 'raise ValueError("no booms here")' in verbose.stderr


def test_hooks_run_in_the_worker_processes(make_site: Callable[..., Site]) -> None:
    stamp = '''
import os
from ssg.plugins import Reads, hookimpl


@hookimpl
def reads(options):
    return Reads()


@hookimpl
def page_html(html):
    return html + f"<!--pid {os.getpid()}-->"
'''
    files: dict[str, str | bytes] = {"ssg.toml": "[plugins.stamp]\n",
                                     "plugins/stamp.py": stamp,
                                     "templates/page.html": "{{ page.content }}"}
    files.update({f"content/p{i}.md": f"Page {i}\n" for i in range(260)})
    site = make_site(files, build=False)
    # In a process of its own: the workers fork only from a process with no other threads.
    build_ = subprocess.Popen([sys.executable, "-m", "ssg", "build", str(site.root),
                               "--no-cache", "--jobs", "2"],
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert build_.wait(timeout=240) == 0
    pids = {re.search(r"<!--pid (\d+)-->", site.read(f"p{i}/index.html")).group(1)  # type: ignore[union-attr]
            for i in range(260)}
    assert str(build_.pid) not in pids and len(pids) == 2


SITE_HOOKS = '''
from datetime import datetime
from ssg.plugins import Reads, hookimpl

seen = []


@hookimpl
def reads(options):
    return Reads()


@hookimpl
def documents_parsed(documents):
    return {doc.src: {"updated": datetime(2024, 5, 6), "extra": {"stamped": True}}
            for doc in documents if doc.src == "a.md"}


@hookimpl
def site_assembled(site):
    return {"titles": [page.title for page in site.pages if page.kind == "page"]}


@hookimpl
def extra_outputs(site):
    return {"titles.txt": ",".join(p.title for p in site.pages if p.kind == "page") + "\\n",
            "raw/a.md": site.markdown["a.md"]}


@hookimpl
def build_finished(output_dir, written):
    (output_dir.parent / "finished.txt").write_text(str(len(written)))
'''


def test_site_hooks_shape_the_model_and_add_outputs(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": "[plugins.shape]\n", "plugins/shape.py": SITE_HOOKS,
        "templates/page.html": "{{ page.updated | isodate if page.updated else '-' }} "
                               "{{ page.extra.stamped is defined }} "
                               "{{ site.data.shape.titles | join('|') }}",
        "content/a.md": "---\ntitle: A\n---\nBody of a.\n",
        "content/b.md": "---\ntitle: B\n---\nBody of b.\n",
    })
    assert site.read("a/index.html") == "2024-05-06T00:00:00+00:00 True A|B"
    assert site.read("b/index.html") == "- False A|B"
    assert "<lastmod>2024-05-06" in site.read("sitemap.xml")
    assert site.read("titles.txt") == "A,B\n"
    assert site.read("raw/a.md") == "Body of a.\n"
    assert int((site.root / "finished.txt").read_text()) > 5

    site.write({"content/b.md": "---\ntitle: Bee\n---\nBody of b.\n"})
    result = site.build()
    assert "titles.txt" in result.written and "raw/a.md" not in result.written
    assert site.read("titles.txt") == "A,Bee\n"
    assert site.build().written == ()


def test_a_plugin_output_clashing_with_a_page_names_both(make_site: Callable[..., Site]
                                                       ) -> None:
    source = ("from ssg.plugins import hookimpl\n@hookimpl\ndef extra_outputs(site):\n"
              "    return {'a/index.html': 'mine'}\n")
    site = make_site({"ssg.toml": "[plugins.clash]\n", "plugins/clash.py": source,
                      "content/a.md": "a\n"}, build=False)
    with pytest.raises(SsgError, match=r"content/a.md and plugin 'clash' would both write "
                                       r"a/index.html"):
        site.build()


def test_documents_parsed_may_not_set_the_title(make_site: Callable[..., Site]) -> None:
    source = ("from ssg.plugins import hookimpl\n@hookimpl\ndef documents_parsed(documents):\n"
              "    return {'a.md': {'title': 'X'}}\n")
    site = make_site({"ssg.toml": "[plugins.retitle]\n", "plugins/retitle.py": source,
                      "content/a.md": "a\n"}, build=False)
    with pytest.raises(PluginError) as info:
        site.build()
    assert str(info.value).startswith("content/a.md: plugin 'retitle' failed in hook "
                                      "documents_parsed: cannot set 'title'")


def test_dev_server_builds_with_plugins_match_clean_builds(make_site: Callable[..., Site],
                                                          tmp_path: Path) -> None:
    """The quick rebuild of the dev server (body edits only) runs the Markdown hooks too."""
    from ssg.build import Session

    site = make_site(shout_site(), build=False)
    session = Session()
    served = load_config(site.root, output_dir=tmp_path / "served")
    build(served, BuildOptions(jobs=1), session)
    site.write({"content/a.md": "---\ntitle: A\n---\nHello again, world.\n"})
    result = build(served, BuildOptions(jobs=1), session,
                   changed=[site.root / "content/a.md"])
    assert "quick front" in result.timings and "discover" not in result.timings
    clean = load_config(site.root, output_dir=tmp_path / "clean")
    build(clean, BuildOptions(jobs=1, cache=False))
    for name in ("a/index.html", "b/index.html"):
        assert (tmp_path / "served" / name).read_bytes() == (tmp_path / "clean" / name
                                                              ).read_bytes()
    assert "Hey again, WORLD." in (tmp_path / "served/a/index.html").read_text()


# --- git-dates -------------------------------------------------------------------------------

DATED = "{{ page.updated | isodate if page.updated else 'none' }} " \
        "{{ page.extra.git.commit if page.extra.git is defined else 'no-commit' }}"


def git(root: Path, *args: str, when: str | None = None) -> str:
    """Run git in `root` with a fixed identity (and commit date)."""
    if shutil.which("git") is None:
        missing("git is not installed")
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org",
                           "-c", "init.defaultBranch=main", *args], cwd=root, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(root: Path, files: list[str], when: str) -> str:
    git(root, "add", *files)
    git(root, "commit", "-q", "-m", f"change {files}", when=when)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def dated_site(make_site: Callable[..., Site]) -> Site:
    site = make_site({
        "ssg.toml": "[plugins.git-dates]\n",
        "templates/page.html": DATED,
        "content/a.md": "---\ntitle: A\n---\nA\n",
        "content/b.md": "---\ntitle: B\n---\nB\n",
        "content/kept.md": "---\ntitle: Kept\nupdated: 2020-01-01\n---\nK\n",
    }, build=False)
    git(site.root, "init", "-q")
    return site


def test_git_dates_gives_each_page_its_last_commit(dated_site: Site,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from ssg.plugins import git_dates

    site = dated_site
    first = commit(site.root, ["content/a.md", "content/b.md", "content/kept.md"],
                   "2024-03-01T10:00:00Z")
    site.write({"content/b.md": "---\ntitle: B\n---\nB, edited\n"})
    second = commit(site.root, ["content/b.md"], "2024-04-02T12:30:00Z")
    site.write({"content/new.md": "---\ntitle: New\n---\nnot committed yet\n"})
    calls = []
    real_run = subprocess.run

    def counting_run(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(git_dates.subprocess, "run", counting_run)
    site.build()
    assert len(calls) == 1  # one git log for the whole site
    assert site.read("a/index.html") == f"2024-03-01T10:00:00+00:00 {first}"
    assert site.read("b/index.html") == f"2024-04-02T12:30:00+00:00 {second}"
    # A date in the front matter wins (override = false); the commit is known all the same.
    assert site.read("kept/index.html") == f"2020-01-01T00:00:00+00:00 {first}"
    assert site.read("new/index.html") == "none no-commit"  # no commit yet: its own dates
    assert "<lastmod>2024-04-02T12:30:00+00:00</lastmod>" in site.read("sitemap.xml")

    site.write({"content/a.md": "---\ntitle: A\n---\nA, edited\n"})
    third = commit(site.root, ["content/a.md"], "2024-05-03T08:00:00Z")
    result = site.build()
    assert "a/index.html" in result.written and "b/index.html" not in result.written
    assert site.read("a/index.html") == f"2024-05-03T08:00:00+00:00 {third}"
    # A commit that changes no page's last commit rebuilds nothing.
    site.write({"notes.txt": "x"})
    commit(site.root, ["notes.txt"], "2024-06-01T08:00:00Z")
    assert site.build().rendered == 0

    site.write({"ssg.toml": "[plugins.git-dates]\noverride = true\n"})
    site.build()
    assert site.read("kept/index.html") == f"2024-03-01T10:00:00+00:00 {first}"


def test_git_dates_outside_a_repository_keeps_front_matter_dates(
        make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture) -> None:
    if shutil.which("git") is None:
        missing("git is not installed")
    site = make_site({"ssg.toml": "[plugins.git-dates]\n", "templates/page.html": DATED,
                      "content/a.md": "---\ntitle: A\nupdated: 2021-02-03\n---\nA\n",
                      "content/b.md": "B\n"})
    assert site.read("a/index.html") == "2021-02-03T00:00:00+00:00 no-commit"
    assert site.read("b/index.html") == "none no-commit"
    assert "is not in a git repository" in ssg_log.text
    assert "pages keep the dates of their front matter" in ssg_log.text


def test_git_dates_in_a_repository_without_commits(dated_site: Site) -> None:
    dated_site.build()
    assert dated_site.read("a/index.html") == "none no-commit"


# --- llms-txt --------------------------------------------------------------------------------

LLMS_SITE: dict[str, str | bytes] = {
    "ssg.toml": 'title = "Docs"\ndescription = "All about it."\n'
                'base_url = "https://example.org/docs/"\n[plugins.llms-txt]\n',
    "content/_index.md": "Welcome.\n",
    "content/start.md": "---\ntitle: Start\nsummary: How to begin.\n---\nStep *one*.\n",
    "content/guide/_index.md": "---\ntitle: The Guide\n---\nGuide pages.\n",
    "content/guide/install.md": "---\ntitle: Install\n---\n# Install\n\nRun `pip`.\n",
}


def test_llms_txt_and_markdown_copies(make_site: Callable[..., Site]) -> None:
    site = make_site(LLMS_SITE)
    llms = site.read("llms.txt")
    assert llms.startswith("# Docs\n\n> All about it.\n")
    assert "## Pages\n\n- [Start](https://example.org/docs/start/index.md): How to begin.\n" \
        in llms
    assert "## The Guide\n\n- [Install](https://example.org/docs/guide/install/index.md)\n" \
        in llms
    assert site.read("start/index.md") == "# Start\n\nStep *one*.\n"
    assert site.read("guide/install/index.md") == "# Install\n\nRun `pip`.\n"  # no 2nd title
    assert site.read("guide/index.md") == "# The Guide\n\nGuide pages.\n"
    assert not site.exists("llms-full.txt")

    site.write({"content/start.md": "---\ntitle: Start\nsummary: How to begin.\n---\nStep 2.\n"})
    result = site.build()
    assert "start/index.md" in result.written and "guide/install/index.md" not in result.written
    assert site.read("start/index.md") == "# Start\n\nStep 2.\n"


def test_llms_txt_options(make_site: Callable[..., Site]) -> None:
    files = dict(LLMS_SITE)
    files["ssg.toml"] = 'title = "Docs"\n[plugins.llms-txt]\ncopies = false\nfull = true\n'
    site = make_site(files)
    assert not site.exists("start/index.md")
    assert "- [Start](/start/): How to begin.\n" in site.read("llms.txt")
    full = site.read("llms-full.txt")
    assert "# Start\n\nStep *one*.\n" in full and "# Install\n\nRun `pip`.\n" in full


def test_every_hook_is_in_the_reference_with_its_arguments() -> None:
    """The docs page's hook reference follows the specifications in ssg/plugins/spec.py."""
    import inspect

    from ssg.plugins import spec

    page = (REPO / "content/docs/plugins.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### `(\w+)`$", page, re.MULTILINE)
    assert headings == list(spec.HOOKS)
    for hook in spec.HOOKS:
        arguments = ", ".join(inspect.signature(getattr(spec, hook)).parameters)
        assert f"`{hook}({arguments})" in page, hook


def test_the_dev_server_follows_a_plugins_files_and_code(tmp_path: Path) -> None:
    from test_server import serving, wait_until

    started = tmp_path / "started.txt"
    source = SHOUT + f'''

@hookimpl
def server_started(url, output_dir):
    __import__("pathlib").Path({str(started)!r}).write_text(url + " " + str(output_dir))
'''
    files = {k: str(v) for k, v in shout_site().items()}
    files["plugins/shout.py"] = source
    files["ssg.toml"] = '[plugins.shout]\ngreeting = "Hey"\n'
    servers = serving(tmp_path)
    served = next(servers)(files)
    try:
        assert "Hey WORLD." in served.get("/a/")[2]
        wait_until(started.is_file, "server_started")
        assert started.read_text().startswith(f"http://127.0.0.1:{served.port}/ ")
        (served.site / "data/words.txt").write_text("Hello\n")  # the declared file
        wait_until(lambda: "HELLO world." in served.get("/a/")[2], "the declared file's change")
        (served.site / "plugins/shout.py").write_text(source.replace("word.upper()",
                                                                     "word.lower()"))
        wait_until(lambda: "hello world." in served.get("/a/")[2], "the plugin's new code")
    finally:
        next(servers, None)
