"""Fingerprints of everything an output can depend on, and which outputs must be rendered."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ssg.stages import keys as vocabulary
from ssg.stages.assemble import Site
from ssg.stages.keys import Inputs, Key, fingerprint
from ssg.stages.lookup import template_dirs
from ssg.stages.markdown import Content
from ssg.stages.plan import Task
from ssg.stages.search_text import SearchRecord

#: An output's record: the hash of its bytes and the keys of everything it read.
OutputRecord = tuple[str, tuple[Key, ...]]


@dataclass
class OutputState:
    """What is in one output folder: the build that wrote it and each file's record."""

    #: Identity of the output's marker file when that build finished.
    build_id: str = ""
    #: Fingerprint of the config and options of that build.
    config_fp: str = ""
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    #: The fingerprint every recorded key had when the outputs depending on it were written.
    key_fps: dict[Key, str] = field(default_factory=dict)
    #: Live files that no record vouches for (found when a moved output folder was checked
    #: file by file): deleted unless a task makes them again. Never stored.
    strays: tuple[str, ...] = ()
    #: dest -> search record of each page (plain data; ssg.stages.search_text).
    search: dict[str, SearchRecord] = field(default_factory=dict)
    #: dest -> the keys of kinds READ_KINDS its output read, for each output that read any:
    #: worked out when first asked (ssg.build), then carried from build to build. Never
    #: stored, never copied by `replace` (a state with other outputs works it out again).
    reads: dict[str, tuple[Key, ...]] | None = field(default=None, init=False, repr=False,
                                                      compare=False)


#: The kinds of key OutputState.reads keeps: files read (snippets, data), processed images.
READ_KINDS = frozenset({"file", "derived"})


class Fingerprints:
    """Computes (once per build) the fingerprint of any dependency key."""

    def __init__(self, site: Site, contents: Mapping[str, Content],
                 file_hash: Callable[[str], str]):
        self.site = site
        self.contents = contents
        self.file_hash = file_hash
        self._inputs = Inputs(site, contents, file_hash)
        self._memo: dict[Key, str] = {}
        self._keys: dict[Key, Key] = {}

    def __call__(self, key: Key) -> str:
        value = self._memo.get(key)
        if value is None:
            value = self._memo[key] = self._compute(key)
        return value

    def _compute(self, key: Key) -> str:
        return fingerprint(self._inputs, key)

    def changed(self, recorded: Mapping[Key, str]) -> set[Key]:
        """The keys whose fingerprint differs from the recorded one.

        The same as asking for each key in turn, in one loop: a site of 10,000 pages has
        40,000 keys.
        """
        memo = self._memo
        changed = set()
        for key, value in recorded.items():
            now = memo.get(key)
            if now is None:
                now = memo[key] = self._compute(key)
            if now != value:
                changed.add(key)
        return changed

    def warm(self, tasks: list[Task]) -> None:
        """Fingerprint every template and copied file now, before rendering reads them.

        A file saved while the build runs must not be recorded with its new fingerprint for an
        output made from its old bytes (the output would never be rendered again); taken
        first, the fingerprint can only be older than what was read, which costs at most a
        second rendering.
        """
        for root in template_dirs(self.site.config):
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    if path.is_file():
                        self(vocabulary.template(path.relative_to(root).as_posix()))
        for task in tasks:
            if task.src_path is not None:
                self(vocabulary.copied_file(str(task.src_path)))

    def intern(self, deps: Collection[Key]) -> tuple[Key, ...]:
        """The keys as shared objects: records (and so the cache) get much smaller."""
        keys = self._keys
        return tuple(sorted(keys.setdefault(key, key) for key in deps))


def stale_tasks(tasks: list[Task], state: OutputState, fingerprints: Fingerprints
                ) -> tuple[list[Task], list[str], set[Key]]:
    """The tasks to render again, the files of the old output now gone, and the changed keys.

    Each key is fingerprinted once; an output is stale when one of its keys changed.
    """
    planned = {task.dest_path for task in tasks}
    removed = sorted({dest for dest in (*state.outputs, *state.strays) if dest not in planned})
    changed = fingerprints.changed(state.key_fps)
    outputs = state.outputs
    if not changed:  # only the outputs without a record
        return [task for task in tasks if task.dest_path not in outputs], removed, changed
    stale = []
    for task in tasks:
        old = outputs.get(task.dest_path)
        if old is None or not changed.isdisjoint(old[1]):
            stale.append(task)
    return stale, removed, changed


def update_state(state: OutputState | None, rendered: Sequence[tuple[str, str, Collection[Key]]],
                 removed: list[str], changed: set[Key], fingerprints: Fingerprints
                 ) -> tuple[OutputState, list[str]]:
    """The output state after writing `rendered`, and the outputs whose bytes changed."""
    outputs = dict(state.outputs) if state else {}
    key_fps = dict(state.key_fps) if state else {}
    for key in changed:
        key_fps[key] = fingerprints(key)
    written = []
    for dest, data_hash, deps in rendered:
        previous = outputs.get(dest)
        if previous is None or previous[0] != data_hash:
            written.append(dest)
        keys = fingerprints.intern(deps)
        outputs[dest] = (data_hash, keys)
        for key in keys:
            key_fps[key] = fingerprints(key)
    for dest in removed:
        outputs.pop(dest, None)
    return OutputState("", "", outputs, key_fps), written
