"""Run ssg as `python -m ssg`."""

from ssg.cli import main

main()
