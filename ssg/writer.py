"""Write the finished site: into a fresh folder, swapped in only when all of it is written."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from ssg.config import Config
from ssg.errors import OutputError
from ssg.render import Output

#: Marks a folder as ssg's output, so a later build may replace it whole.
MARKER = ".ssg-output"
_RENAME_EXCHANGE = 2


def static_outputs(config: Config) -> Iterator[Output]:
    """Files under the theme's static/ and the site's static/ (the site's win on a clash)."""
    chosen: dict[str, Output] = {}
    for root, label in ((config.theme_dir / "static", "theme static"),
                        (config.site_dir / "static", "static")):
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                rel = path.relative_to(root).as_posix()
                chosen[rel] = Output(rel, f"{label}/{rel}", src_path=path)
    yield from (chosen[k] for k in sorted(chosen))


def check_output_dir(config: Config) -> None:
    """Refuse an output folder whose replacement would lose the user's files."""
    out = config.output_dir
    site = config.site_dir
    for protected in (site, config.content_dir, site / "templates", site / "static",
                      config.theme_dir, Path.home(), Path(out.anchor)):
        if out == protected or protected.is_relative_to(out):
            raise OutputError(f"refusing to write the site into {out}: it holds your own files")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(
            f"{out} is not empty and was not written by ssg; choose another output folder "
            "or empty it"
        )


def write_site(outputs: Iterable[Output], config: Config) -> int:
    """Write every output into a new folder, then swap it with the old one; returns the count."""
    check_output_dir(config)
    out = config.output_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        count = _write_all(outputs, tmp)
        (tmp / MARKER).write_text("This folder is written by ssg and replaced by each build.\n")
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write the output: {exc.strerror or exc}",
                          path=exc.filename or out) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return count


def _write_all(outputs: Iterable[Output], root: Path) -> int:
    origins: dict[str, str] = {}
    made: set[Path] = set()
    root.mkdir()
    for output in outputs:
        dest = _safe_dest(output)
        clash = origins.get(dest)
        if clash is not None:
            raise OutputError(f"{output.origin} and {clash} would both write {dest}")
        origins[dest] = output.origin
        target = root / dest
        parent = target.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        if output.data is not None:
            target.write_bytes(output.data)
        elif output.src_path is not None:
            shutil.copyfile(output.src_path, target)
    return len(origins)


def _safe_dest(output: Output) -> str:
    """Every output path stays inside the output folder, whatever the input said."""
    dest = output.dest_path
    parts = PurePosixPath(dest).parts
    if (not dest or dest.startswith("/") or "\\" in dest or "\x00" in dest
            or any(p in ("..", ".") for p in parts) or parts[0] == MARKER):
        raise OutputError(f"{output.origin}: output path {dest!r} would leave the output folder")
    return dest


def _remove_leftovers(out: Path) -> None:
    """Folders of builds that were killed before their swap."""
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out.parent.glob(f".{out.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _swap(new: Path, out: Path) -> None:
    """Put `new` where `out` is in one step where the system allows, then drop the old tree."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    os.rename(new, out)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
