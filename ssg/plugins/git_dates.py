"""git-dates: each page's `updated` date from the last commit that touched its file.

One `git log` over the content folder gives the last commit of every file at once. Outside a
repository (or without git) the pages keep the dates of their front matter, and the build
says so once; a file with no commit yet (new, not added) keeps its own too. The date and the
commit are set in each page's front matter (`updated`, `extra.git`), so they are part of the
page's fingerprint: a new commit rebuilds the outputs of the pages it touched, no others.

    [plugins.git-dates]
    override = false   # true: the commit's date wins over a front matter `updated`
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssg.plugins import DocumentInfo, Reads, hookimpl

log = logging.getLogger("ssg")

_OPTIONS = ("override",)
_TIMEOUT = 120


@hookimpl
def reads(options: Mapping[str, Any]) -> Reads:
    """Nothing but its options: what it takes from git lands in each page's front matter,
    which is fingerprinted with the page."""
    return Reads()


@hookimpl
def config_loaded(options: Mapping[str, Any]) -> None:
    """`override` is the only option, true or false."""
    for key in options:
        if key not in _OPTIONS:
            raise ValueError(f"unknown option '{key}' (known: {', '.join(_OPTIONS)})")
    if not isinstance(options.get("override", False), bool):
        raise ValueError(f"override must be true or false, not {options['override']!r}")


@hookimpl
def documents_parsed(documents: tuple[DocumentInfo, ...], options: Mapping[str, Any],
                     site_dir: Path) -> dict[str, dict[str, Any]]:
    """`updated` (unless the front matter has one, or `override`) and `extra.git` of every
    document git knows."""
    content = site_dir / "content"
    commits = last_commits(content)
    if commits is None:
        return {}
    override = options.get("override", False)
    changes: dict[str, dict[str, Any]] = {}
    unknown = 0
    for doc in documents:
        found = commits.get(doc.src)
        if found is None:
            unknown += 1
            continue
        commit, when = found
        values: dict[str, Any] = {"extra": {"git": {"commit": commit, "updated": when}}}
        if override or doc.front.get("updated") is None:
            values["updated"] = when
        changes[doc.src] = values
    if unknown:
        log.debug("git-dates: %d page(s) have no commit yet; they keep the dates of their "
                  "front matter", unknown)
    return changes


def last_commits(folder: Path) -> dict[str, tuple[str, datetime]] | None:
    """Path relative to `folder` -> (hash, author date) of the last commit that touched it,
    from one `git log`; None (with a warning) when the folder is not in a git repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "log", "--format=%x01%H%x00%at", "--name-only",
             "--relative", "-z", "--", "."],
            capture_output=True, timeout=_TIMEOUT, check=False)
    except FileNotFoundError:
        log.warning("git-dates: git is not installed; pages keep the dates of their front "
                    "matter")
        return None
    except subprocess.TimeoutExpired:
        log.warning("git-dates: git log took over %d s; pages keep the dates of their front "
                    "matter", _TIMEOUT)
        return None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = why[0] if why else f"git exited with {done.returncode}"
        if "does not have any commits" in reason:
            return {}
        log.warning("git-dates: %s is not in a git repository (%s); pages keep the dates of "
                    "their front matter", folder, reason)
        return None
    return parse_log(done.stdout)


def parse_log(output: bytes) -> dict[str, tuple[str, datetime]]:
    """The newest commit of each file in `git log --format=%x01%H%x00%at --name-only -z`."""
    found: dict[str, tuple[str, datetime]] = {}
    for chunk in output.decode("utf-8", "surrogateescape").split("\x01"):
        if not chunk:
            continue
        commit, stamp, names = (chunk.split("\x00", 2) + ["", ""])[:3]
        when = datetime.fromtimestamp(int(stamp), UTC)
        for name in names.lstrip("\n").split("\x00"):
            if name and name not in found:  # newest first: the first commit seen is the last
                found[name] = (commit, when)
    return found
