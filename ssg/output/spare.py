"""Link the spare of a full build's output, in a process of its own: `python -m
ssg.output.spare OUTPUT LIVE_ID` (see ssg.output.writer). The build that starts it has
ended by then; it keeps no spare when another build replaced that output meanwhile."""

from __future__ import annotations

import sys
from pathlib import Path

from ssg.output.writer import link_spare


def main(argv: list[str]) -> int:
    """Link the spare of the output folder argv[0], whose build id is argv[1]."""
    if len(argv) != 2:
        print("usage: python -m ssg.output.spare OUTPUT LIVE_ID", file=sys.stderr)
        return 2
    link_spare(Path(argv[0]), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
