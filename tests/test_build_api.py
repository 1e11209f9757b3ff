"""The build's public API as a long-running process uses it: options, a session, the folders
to watch and which changes are plain static copies."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Site, write_files
from ssg.build import (
    BuildAbandoned,
    BuildOptions,
    Session,
    build,
    prepare_quick,
    static_dest,
    watched_folders,
)
from ssg.config import load_config

FILES: dict[str, str | bytes] = {
    "content/a.md": "---\ntitle: A\n---\nFirst.\n",
    "content/b.md": "---\ntitle: B\n---\nSecond.\n",
    "static/files/doc.txt": "doc",
    "static/css/style.css": "body { color: red }",  # takes the place of the theme's
    "data/links.yaml": "a: 1\n",
}


def test_options_are_a_frozen_value() -> None:
    options = BuildOptions(drafts=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.drafts = False  # type: ignore[misc]
    assert dataclasses.replace(options, jobs=2) == BuildOptions(drafts=True, jobs=2)


def test_a_session_rebuilds_body_edits_quickly_and_settings_changes_fully(
    make_site: Callable[..., Site]
) -> None:
    site = make_site(FILES, build=False)
    config = load_config(site.root)
    session = Session()
    first = build(config, BuildOptions(), session)
    assert first.full
    site.write({"content/a.md": "---\ntitle: A\n---\nEdited.\n"})
    quick = build(config, BuildOptions(), session,
                  changed=[site.root / "content/a.md"])
    assert not quick.full
    assert "quick front" in quick.timings and "discover" not in quick.timings
    assert "a/index.html" in quick.written and "b/index.html" not in quick.written
    assert "Edited." in site.read("a/index.html")
    drafts = build(config, BuildOptions(drafts=True), session,
                   changed=[site.root / "content/a.md"])
    assert drafts.full  # other settings: every output is made again
    assert not (site.root / ".ssg-cache").exists()  # a session never touches the disk cache


def test_a_quick_rebuild_keeps_what_the_sites_shape_gave_and_a_title_edit_does_not(
    make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssg.stages import families
    posts = {f"content/posts/p{n}.md": f"---\ntitle: P{n}\ndate: 2024-01-0{n}\n---\nBody {n}.\n"
             for n in range(1, 4)}
    site = make_site(posts, build=False)
    config = load_config(site.root)
    session = Session()
    worked: list[str | None] = []
    home_pages = families._home_pages
    monkeypatch.setattr(families, "_home_pages",
                        lambda site, lang: worked.append(lang) or home_pages(site, lang))
    build(config, BuildOptions(), session)
    assert worked  # the home page lists the posts
    worked.clear()
    site.write({"content/posts/p2.md": "---\ntitle: P2\ndate: 2024-01-02\n---\nEdited.\n"})
    quick = build(config, BuildOptions(), session, changed=[site.root / "content/posts/p2.md"])
    assert "quick front" in quick.timings and not worked
    assert "Edited." in site.read("index.html")  # the home page shows the new summary
    site.write({"content/posts/p2.md": "---\ntitle: Renamed\ndate: 2024-01-09\n---\nX.\n"})
    build(config, BuildOptions(), session, changed=[site.root / "content/posts/p2.md"])
    assert worked
    home = site.read("index.html")
    assert home.index("Renamed") < home.index("P3")  # newest first, from the new dates


def test_preparing_a_session_does_first_what_its_next_quick_rebuild_needs(
    make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssg.incremental import fingerprints, quick
    site = make_site(FILES, build=False)
    config = load_config(site.root)
    session = Session()
    build(config, BuildOptions(), session)
    output = session.state.outputs[str(config.output_dir)]
    assert output.index is None or output.index.readers is None
    prepare_quick(session)
    prepared = output.index
    assert prepared is not None and prepared.readers is not None
    scans: list[object] = []
    by_path = quick._documents_by_path
    monkeypatch.setattr(quick, "_documents_by_path", lambda s: scans.append(s) or by_path(s))
    site.write({"content/a.md": "---\ntitle: A\n---\nEdited.\n"})
    quick_build = build(config, BuildOptions(), session, changed=[site.root / "content/a.md"])
    assert "quick front" in quick_build.timings and "Edited." in site.read("a/index.html")
    prepare_quick(session)  # after a quick rebuild there is nothing left to do
    output = session.state.outputs[str(config.output_dir)]
    assert not scans and output.index is prepared  # carried, not worked out again
    assert prepared.readers == fingerprints.readers(fingerprints.OutputState(
        outputs=output.outputs))


def test_watched_folders_are_the_ones_a_build_reads(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, build=False)
    config = load_config(site.root)
    folders = watched_folders(config)
    for name in ("content", "templates", "static", "data"):
        assert site.root / name in folders
    assert config.theme_dir in folders


def test_static_dest_names_only_files_the_build_copied_as_is(
    make_site: Callable[..., Site]
) -> None:
    site = make_site(FILES)
    config = load_config(site.root)
    assert site.result is not None
    assert static_dest(config, site.root / "static/files/doc.txt", site.result) == \
        "files/doc.txt"
    assert static_dest(config, site.root / "static/css/style.css", site.result) == \
        "css/style.css"
    # The theme's file of that name is not served: changing it needs no copy.
    assert static_dest(config, config.theme_dir / "static/css/style.css", site.result) is None
    site.write({"static/files/new.txt": "new"})  # not in the last build
    assert static_dest(config, site.root / "static/files/new.txt", site.result) is None
    assert static_dest(config, site.root / "content/a.md", site.result) is None


def test_an_abandoned_build_commits_nothing_and_the_next_one_catches_up(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = make_site(FILES, build=False)
    config = load_config(site.root)
    session = Session()
    build(config, BuildOptions(), session)
    before = site.tree()
    site.write({"content/a.md": "---\ntitle: A\n---\nEdited.\n",
                "content/c.md": "---\ntitle: C\n---\nNew.\n"})
    asked = []

    def abandon() -> bool:
        asked.append(True)
        return True

    with pytest.raises(BuildAbandoned):
        build(config, BuildOptions(abandon=abandon), session,
              changed=[site.root / "content/a.md", site.root / "content/c.md"])
    assert asked and site.tree() == before  # nothing of it reached the output
    # The session goes on as if the abandoned build had not run.
    build(config, BuildOptions(abandon=lambda: False), session, changed=[])
    clean = Site(tmp_path / "clean")
    write_files(clean.root, dict(FILES, **{
        "content/a.md": "---\ntitle: A\n---\nEdited.\n",
        "content/c.md": "---\ntitle: C\n---\nNew.\n"}))
    build(load_config(clean.root), BuildOptions(cache=False))
    assert site.tree() == clean.tree()


def test_a_build_makes_full_collections_rare_and_gives_the_setting_back(
        make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, build=False)
    config = load_config(site.root)
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    def look() -> bool:  # asked inside the build, just before its commit
        seen.append(gc.get_threshold())
        return False

    build(config, BuildOptions(abandon=look))
    assert seen[0][2] >= 1000 and seen[0][:2] == before[:2]
    assert gc.get_threshold() == before

    (site.root / "content/a.md").write_text("---\ntitle: A\n---\nEdited.\n")
    with pytest.raises(BuildAbandoned):
        build(config, BuildOptions(abandon=lambda: True))
    assert gc.get_threshold() == before
