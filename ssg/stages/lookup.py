"""Where templates are found: the site's own, then its theme's, then ssg's built-ins."""

from __future__ import annotations

from pathlib import Path

from ssg.config import Config

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "builtin"


def template_dirs(config: Config) -> list[Path]:
    """Where templates are looked up, first match wins: site, theme (then the themes it
    extends), ssg's built-ins."""
    return [config.site_dir / "templates", *(t / "templates" for t in config.themes),
            BUILTIN_TEMPLATES]


def template_file(config: Config, name: str) -> Path | None:
    """The file a template name resolves to, or None."""
    for root in template_dirs(config):
        path = root / name
        if path.is_file():
            return path
    return None
