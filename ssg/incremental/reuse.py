"""What a build may reuse from earlier ones, kept by a long-running process."""

from __future__ import annotations

from dataclasses import dataclass, field

from ssg.incremental.quick import Recent
from ssg.incremental.state import BuildState


@dataclass
class Session:
    """In-memory reuse kept by a long-running process (the dev server) between its builds."""

    #: What the last build left: file hashes, parsed documents, contents, output records.
    state: BuildState = field(default_factory=BuildState)
    #: The last build's site model, for quick rebuilds after edits to page bodies only.
    recent: Recent | None = None
