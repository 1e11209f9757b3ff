"""The one exception hierarchy: every problem a user can cause is an SsgError."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class SsgError(Exception):
    """A problem with the user's site, shown as one line naming where it is."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __reduce__(self) -> tuple[object, ...]:
        """Errors cross process boundaries (parallel builds) with their file and line."""
        return (_rebuild, (type(self), self.message, self.path, self.line))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ConfigError(SsgError):
    """ssg.toml or a command-line setting is wrong."""


class ContentError(SsgError):
    """A content file cannot be read, parsed or placed."""


class TemplateError(SsgError):
    """A template cannot be found, compiled or rendered."""


class OutputError(SsgError):
    """The output folder cannot be written."""


class PluginError(SsgError):
    """A plugin's hook failed or returned something it may not; names the plugin, the hook
    and the page. `detail` keeps the plugin's traceback (shown with --verbose), also when the
    hook ran in a worker process."""

    def __init__(self, message: str, *, path: Path | str | None = None,
                 line: int | None = None, detail: str = ""):
        super().__init__(message, path=path, line=line)
        self.detail = detail

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_plugin, (self.message, self.path, self.line, self.detail))


class BuildErrors(SsgError):
    """Several problems found in one pass, reported together."""

    def __init__(self, errors: Iterable[SsgError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __reduce__(self) -> tuple[object, ...]:
        return (BuildErrors, (self.errors,))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def raise_all(errors: list[SsgError]) -> None:
    """Raise the errors found by a stage: the single one as is, several together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise BuildErrors(errors)



def _rebuild(cls: type[SsgError], message: str, path: str | None, line: int | None) -> SsgError:
    return cls(message, path=path, line=line)


def _rebuild_plugin(message: str, path: str | None, line: int | None, detail: str
                    ) -> PluginError:
    return PluginError(message, path=path, line=line, detail=detail)
