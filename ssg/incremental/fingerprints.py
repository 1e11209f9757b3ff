"""Fingerprints of everything an output can depend on, and which outputs must be rendered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ssg.stages import keys as vocabulary
from ssg.stages.assemble import Site
from ssg.stages.keys import FILE_KINDS, Inputs, Key, fingerprint
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
    #: What a scan of every record finds (see `index`): worked out when first asked, then
    #: carried from build to build (`carry_index`). Never stored, never copied by `replace`
    #: (a state with other outputs works it out again).
    index: OutputIndex | None = field(default=None, init=False, repr=False, compare=False)


#: The kinds of key OutputIndex.reads counts: files read (snippets, data), processed images.
READ_KINDS = frozenset({"file", "derived"})
#: The kinds of key OutputIndex.readers lists the outputs of: what the quick front end
#: (ssg.incremental.quick) says an edit changed.
QUICK_KINDS = frozenset({vocabulary.page_body("")[0], vocabulary.page_summary("")[0],
                         vocabulary.section_body("")[0]})


@dataclass
class OutputIndex:
    """Facts about every record of an OutputState that would otherwise need a scan of all
    their keys (0.1 s at 10,000 pages) in each of the dev server's builds."""

    #: Each key of kinds READ_KINDS that outputs read, with how many read it.
    reads: Counter[Key]
    #: The keys of kinds FILE_KINDS among the state's key_fps.
    files: set[Key]
    #: Each key of kinds QUICK_KINDS that outputs read -> those outputs; None until asked.
    readers: dict[Key, set[str]] | None = None


def index(output: OutputState) -> OutputIndex:
    """The output state's index, worked out now if it has none."""
    if output.index is None:
        reads = Counter(key for _hash, deps in output.outputs.values() for key in deps
                        if key[0] in READ_KINDS)
        output.index = OutputIndex(reads, {key for key in output.key_fps
                                           if key[0] in FILE_KINDS})
    return output.index


def readers(output: OutputState) -> dict[Key, set[str]]:
    """Key of kinds QUICK_KINDS -> the outputs that read it."""
    found = index(output)
    if found.readers is None:
        listed: dict[Key, set[str]] = {}
        for dest, (_hash, deps) in output.outputs.items():
            for key in deps:
                if key[0] in QUICK_KINDS:
                    listed.setdefault(key, set()).add(dest)
        found.readers = listed
    return found.readers


def carry_index(old: OutputState, new: OutputState,
                rendered: Sequence[tuple[str, str, Collection[Key]]], removed: list[str]
                ) -> None:
    """Hand old's index (if it has one) on to `new`, which update_state made from old, the
    outputs rendered and those removed; old has none after (asked again, it scans)."""
    found, old.index = old.index, None
    if found is None:
        return
    for dest, _hash, deps in rendered:
        before = old.outputs.get(dest)
        _count(found, dest, before[1] if before else (), -1)
        _count(found, dest, deps, 1)
        found.files.update(key for key in deps if key[0] in FILE_KINDS)
    for dest in removed:
        before = old.outputs.get(dest)
        if before is not None:
            _count(found, dest, before[1], -1)
    new.index = found


def _count(found: OutputIndex, dest: str, keys: Collection[Key], step: int) -> None:
    reads, listed = found.reads, found.readers
    for key in keys:
        kind = key[0]
        if kind in READ_KINDS:
            reads[key] += step
            if not reads[key]:
                del reads[key]
        elif listed is not None and kind in QUICK_KINDS:
            if step > 0:
                listed.setdefault(key, set()).add(dest)
            else:
                dests = listed.get(key)
                if dests is not None:
                    dests.discard(dest)
                    if not dests:
                        del listed[key]


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
