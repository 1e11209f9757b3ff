"""ssg: a static site generator with a live-reloading dev server."""

__version__ = "0.1.0"
