"""Images of the site: their real size, resized copies in modern formats, and the `<img>` of
the Markdown rewritten to use them.

`process_images` looks at every raster image under content/ (and, for their size only, under
static/ and assets/, for templates): it reads each one's size once per content hash and makes
the resized copies that are missing from the store folder (the build cache), in worker
processes. Everything it keeps is plain data: an index in JSON and one file per resized copy,
named by the hash of the source's bytes and the operation, so a build reuses every copy whose
source did not change.
`rewrite_images` then gives the `<img>` of a page's HTML their width and height, lazy loading,
and a `<picture>` with the resized copies.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import math
import os
import posixpath
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote

from ssg.config import Config, ImagesConfig
from ssg.errors import ContentError, SsgError, raise_all
from ssg.parallel import map_ranges
from ssg.stages.discover import walk

log = logging.getLogger("ssg")

#: Extensions of the raster images ssg reads, and the format each must be.
RASTER = MappingProxyType({".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP",
                           ".gif": "GIF", ".avif": "AVIF"})
#: Image formats that are copied as they are: a page showing one gets a warning.
UNSUPPORTED = MappingProxyType({".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF",
                                ".heic": "HEIC", ".heif": "HEIF"})
#: Formats whose still images get resized copies (GIFs are small and often animated).
_RESIZED = frozenset({"JPEG", "PNG", "WEBP", "AVIF"})
#: Images claiming more pixels than this are refused before they are decoded: a small file can
#: claim 100,000 x 100,000 pixels and would need 30 GB of memory (Pillow's own limit).
MAX_PIXELS = 89_478_485
#: Part of every stored copy's name: change it when the encoding changes.
_ENCODING = "1"
_INDEX = "index.json"
_MIME = {"avif": "image/avif", "webp": "image/webp"}
_SAVE_FORMAT = {"avif": "AVIF", "webp": "WEBP"}
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ImageSource:
    """An image file of the site and where it is published."""

    #: For messages: `content/posts/a/photo.jpg`, `static/img/logo.png`.
    display: str
    src_path: Path
    #: Its path in the output folder, POSIX style: `posts/a/photo.jpg`.
    dest: str
    #: Make resized copies (images of pages); else only its size is read (static files).
    resize: bool
    #: Copied to the output as it is; an image of assets/ is not (`src_path` names it).
    published: bool = True


@dataclass(frozen=True)
class Variant:
    """A resized copy of an image."""

    #: avif or webp.
    format: str
    width: int
    height: int
    #: Its path in the output folder.
    dest: str
    #: The stored file that holds its bytes.
    file: str

    @property
    def mime(self) -> str:
        """Its media type, for `<source type>`."""
        return _MIME[self.format]


@dataclass(frozen=True)
class ImageInfo:
    """What the build knows of one image of the site."""

    display: str
    #: The source file, as the dependency key of what shows the image.
    src_path: str
    #: Its path in the output folder.
    dest: str
    #: Size as shown (EXIF orientation applied); 0 when it could not be read.
    width: int
    height: int
    #: Why it is copied as it is, without a size or copies ("" when it is fine).
    problem: str
    variants: tuple[Variant, ...] = ()
    #: Hash of the source's bytes.
    content_hash: str = ""


@dataclass(frozen=True)
class Images:
    """Every image of the site, by output path."""

    by_dest: Mapping[str, ImageInfo]
    #: The folder of processed images (the build cache, or one for this build).
    store: str = ""
    #: Rewrite the `<img>` of pages (`[images] enabled`).
    rewrite: bool = False
    #: The images of the assets/ folders (the site's and the themes'), by source path.
    assets: Mapping[str, ImageInfo] = field(default_factory=lambda: MappingProxyType({}))

    def copies(self) -> list[Variant]:
        """Every resized copy, in a fixed order."""
        return [v for info in self.by_dest.values() for v in info.variants]


NO_IMAGES = Images(MappingProxyType({}))


def image_sources(assets: Iterable[tuple[str, Path, str]], static: Iterable[tuple[str, str, Path]],
                  unpublished: Iterable[tuple[str, str, Path]] = ()) -> list[ImageSource]:
    """The images among the site's files: assets are (display, source, dest) of files under
    content/, static (dest, origin, source) of the static files, unpublished the same of the
    files of assets/ folders (`asset_files`)."""
    found = [ImageSource(display, src, dest, True) for display, src, dest in assets
             if _ext(dest) in RASTER or _ext(dest) in UNSUPPORTED]
    found += [ImageSource(origin, src, dest, False) for dest, origin, src in static
              if _ext(dest) in RASTER or _ext(dest) in UNSUPPORTED]
    found += [ImageSource(origin, src, dest, False, False) for dest, origin, src in unpublished
              if _ext(dest) in RASTER or _ext(dest) in UNSUPPORTED]
    return sorted(found, key=lambda s: (s.dest, s.display))


def asset_files(config: Config) -> list[tuple[str, str, Path]]:
    """(path inside the folder, origin, source) of every file of the assets/ folders: the
    site's (`assets/...`), then each theme's (`theme assets/...`)."""
    roots = [(config.site_dir / "assets", "assets", config.site_dir)]
    roots += [(theme / "assets", "theme assets" if theme == config.theme_dir
               else f"theme assets ({theme.name})", theme) for theme in config.themes]
    found = []
    for root, label, boundary in roots:
        if root.is_dir():
            for rel_dir, here, names in walk(root, label, boundary, lambda _name, _rel: False):
                for name in names:
                    rel = f"{rel_dir}/{name}" if rel_dir else name
                    found.append((rel, f"{label}/{rel}", here / name))
    return found


def _ext(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def process_images(config: ImagesConfig, sources: list[ImageSource],
                   file_hash: Callable[[str], str], store: Path, *, jobs: int) -> Images:
    """Every image's size and resized copies, from the store when it has them, else made in
    worker processes and kept there; copies no image needs any more are removed."""
    if not sources:
        return Images(MappingProxyType({}), str(store), config.enabled)
    store.mkdir(parents=True, exist_ok=True)
    index = _load_index(store)
    hashes = {str(s.src_path): file_hash(str(s.src_path)) for s in sources}
    todo: list[tuple[str, str, str, ImagesConfig, bool]] = []
    for source in sources:
        if _ext(source.dest) in UNSUPPORTED:
            continue
        content_hash = hashes[str(source.src_path)]
        probe = index.get(content_hash)
        wanted = [] if probe is None else _specs(config, probe, source.resize)
        if probe is None or any(not (store / _stored_name(content_hash, config, fmt, w)).is_file()
                                for fmt, w, _h in wanted):
            todo.append((str(source.src_path), _ext(source.dest), content_hash, config,
                         source.resize))
    if todo:
        shared = (todo, str(store))
        chunks = map_ranges(_process_chunk, shared, len(todo), jobs=jobs, chunk=1)
        for chunk in chunks:
            index.update(chunk)
    infos = {str(s.src_path): _info(s, hashes[str(s.src_path)], index, config, store)
             for s in sources}
    by_dest = {s.dest: infos[str(s.src_path)] for s in sources if s.published}
    in_assets = {str(s.src_path): infos[str(s.src_path)] for s in sources if not s.published}
    used = {hashes[str(s.src_path)] for s in sources if _ext(s.dest) not in UNSUPPORTED}
    _save_index(store, {h: v for h, v in index.items() if h in used})
    _prune(store, {Path(v.file).name for info in by_dest.values() for v in info.variants})
    return Images(MappingProxyType(by_dest), str(store), config.enabled,
                  MappingProxyType(in_assets))


def _info(source: ImageSource, content_hash: str, index: Mapping[str, dict[str, Any]],
          config: ImagesConfig, store: Path) -> ImageInfo:
    ext = _ext(source.dest)
    if ext in UNSUPPORTED:
        return ImageInfo(source.display, str(source.src_path), source.dest, 0, 0,
                         f"{UNSUPPORTED[ext]} images are not processed (few browsers show them)")
    probe = index[content_hash]
    if probe["problem"]:
        return ImageInfo(source.display, str(source.src_path), source.dest, 0, 0,
                         probe["problem"], content_hash=content_hash)
    folder, name = posixpath.split(source.dest)
    stem = posixpath.splitext(name)[0]
    variants = tuple(
        Variant(fmt, w, h, posixpath.join(folder, f"{stem}-{w}w.{content_hash[:8]}.{fmt}"),
                str(store / _stored_name(content_hash, config, fmt, w)))
        for fmt, w, h in _specs(config, probe, source.resize))
    return ImageInfo(source.display, str(source.src_path), source.dest, probe["width"],
                     probe["height"], "", variants, content_hash)


def _specs(config: ImagesConfig, probe: Mapping[str, Any], resize: bool
           ) -> list[tuple[str, int, int]]:
    """(format, width, height) of each resized copy an image gets."""
    if not (resize and config.enabled) or probe["problem"] or not probe["still"]:
        return []
    width, height = probe["width"], probe["height"]
    return [(fmt, w, max(1, round(height * w / width)))
            for fmt in config.formats for w in config.widths if w < width]


def _stored_name(content_hash: str, config: ImagesConfig, fmt: str, width: int) -> str:
    key = repr((content_hash, fmt, width, config.quality, _ENCODING)).encode()
    return f"{hashlib.blake2b(key, digest_size=12).hexdigest()}.{fmt}"


def _load_index(store: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((store / _INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_index(store: Path, index: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(index, sort_keys=True)
    path = store / _INDEX
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    tmp = store / f".{_INDEX}.{os.getpid()}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _prune(store: Path, keep: set[str]) -> None:
    """Remove the resized copies no image needs (those templates make are pruned after
    rendering, by `prune_derived`)."""
    for path in store.iterdir():
        if path.suffix[1:] in _MIME and path.name not in keep and not path.name.startswith("t-"):
            path.unlink(missing_ok=True)


# --- in the worker processes -----------------------------------------------------------------

def _process_chunk(shared: tuple[list[tuple[str, str, str, ImagesConfig, bool]], str],
                   start: int, end: int) -> dict[str, dict[str, Any]]:
    todo, store = shared
    results = {}
    for path, ext, content_hash, config, resize in todo[start:end]:
        results[content_hash] = process_one(Path(path), ext, content_hash, config, resize,
                                            Path(store))
    return results


def process_one(path: Path, ext: str, content_hash: str, config: ImagesConfig, resize: bool,
                store: Path) -> dict[str, Any]:
    """Read one image and write its missing resized copies into the store; returns its probe
    (size, whether it is a still image, or the problem that keeps it as it is)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=sorted(set(RASTER.values()))) as image:
                problem = _check(image, ext)
                if problem:
                    return _probe(problem=problem)
                raw_width, raw_height = width, height = image.size
                if image.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):
                    width, height = height, width
                still = image.format in _RESIZED and not getattr(image, "is_animated", False)
                probe = _probe(width=width, height=height, still=still)
                wanted = [(fmt, w, h) for fmt, w, h in _specs(config, probe, resize)
                          if not (store / _stored_name(content_hash, config, fmt, w)).is_file()]
                if image.format == "JPEG":
                    # Decode at the smallest scale (1/2, 1/4, 1/8) still larger than every copy.
                    scale = max((w for _f, w, _h in wanted), default=width // 8 or 1) / width
                    image.draft("RGB", (math.ceil(raw_width * scale),
                                        math.ceil(raw_height * scale)))
                image.load()
                if not wanted:
                    return probe
                upright = ImageOps.exif_transpose(image)
                _write_copies(upright, wanted, content_hash, config, store)
                return probe
    except Image.DecompressionBombError:
        return _probe(problem=f"claims more than {MAX_PIXELS:,} pixels (a decompression bomb?)")
    except Image.DecompressionBombWarning:
        return _probe(problem=f"claims more than {MAX_PIXELS:,} pixels (a decompression bomb?)")
    except UnidentifiedImageError:
        return _probe(problem="is not an image ssg can read (JPEG, PNG, WebP, GIF, AVIF)")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return _probe(problem=f"cannot be decoded ({exc})")


def _probe(*, problem: str = "", width: int = 0, height: int = 0, still: bool = False
           ) -> dict[str, Any]:
    return {"problem": problem, "width": width, "height": height, "still": still}


def _check(image: Any, ext: str) -> str:
    expected = RASTER[ext]
    if image.format != expected:
        return f"is a {image.format} image, not {expected} as its name says"
    width, height = image.size
    if width * height > MAX_PIXELS:
        return (f"claims {width:,} x {height:,} pixels, more than {MAX_PIXELS:,} "
                "(a decompression bomb?)")
    return ""


def _write_copies(image: Any, wanted: list[tuple[str, int, int]], content_hash: str,
                  config: ImagesConfig, store: Path) -> None:
    from PIL import Image

    if image.mode not in ("RGB", "RGBA"):
        alpha = image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
    resized: dict[int, Any] = {}
    for fmt, width, height in wanted:
        small = resized.get(width)
        if small is None:
            small = resized[width] = image.resize((width, height), Image.Resampling.LANCZOS)
            small.info = {}  # no EXIF, XMP or ICC profile in the copies
        out = io.BytesIO()
        options: dict[str, Any] = {"quality": config.quality}
        if fmt == "avif":
            options["speed"] = 8
        small.save(out, _SAVE_FORMAT[fmt], **options)
        final = store / _stored_name(content_hash, config, fmt, width)
        tmp = final.with_name(f".{final.name}.{os.getpid()}")
        tmp.write_bytes(out.getvalue())
        os.replace(tmp, final)


# --- problems --------------------------------------------------------------------------------

def report_problems(images: Images, uses: Iterable[tuple[str, int | None, str]], *,
                    strict: bool) -> None:
    """Warn about (with strict, fail on) the images pages show that are copied as they are;
    `uses` is (page, line, output path of the image) of every image a page shows."""
    errors: list[SsgError] = []
    shown: set[str] = set()
    if not any(info.problem for info in images.by_dest.values()):
        return  # (the usual case: no page's images need looking at)
    for page, line, dest in uses:
        info = images.by_dest.get(dest)
        if info is None or not info.problem:
            continue
        shown.add(dest)
        message = f"image {info.display} {info.problem}; copied as it is"
        if strict:
            errors.append(ContentError(message, path=page, line=line))
        else:
            log.warning("%s%s: %s", page, f":{line}" if line is not None else "", message)
    for dest, info in images.by_dest.items():
        if info.problem and dest not in shown and info.variants == () and _ext(dest) in RASTER:
            if info.display.startswith("content/"):
                log.warning("%s: image %s; copied as it is", info.display, info.problem)
    raise_all(errors)


# --- the HTML of pages -----------------------------------------------------------------------

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


class _Tag(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: list[tuple[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.attrs is None:
            self.attrs = attrs


def _attributes(tag: str) -> list[tuple[str, str | None]] | None:
    parser = _Tag()
    parser.feed(tag)
    parser.close()
    return parser.attrs


def dest_of_url(url: str, base_path: str) -> str | None:
    """The output path a site URL (`/docs/img/a.png`) names, or None for other URLs."""
    path = unquote(url.partition("#")[0].partition("?")[0])
    if not path.startswith(base_path):
        return None
    return path[len(base_path):]


def rewrite_images(text: str, images: Images, base_path: str,
                   note: Callable[[str], None]) -> str:
    """The HTML with each `<img>` of the site's images given its size, lazy loading (all but
    the first image) and a `<picture>` of its resized copies; `note` hears the source file of
    every image it looked at."""
    if not images.rewrite or "<img" not in text:
        return text
    first = True

    def one(match: re.Match[str]) -> str:
        nonlocal first
        is_first, first = first, False
        attrs = _attributes(match.group(0))
        if attrs is None:
            return match.group(0)
        values = dict(attrs)
        dest = dest_of_url(values.get("src") or "", base_path)
        info = images.by_dest.get(dest) if dest is not None else None
        if info is None:
            return match.group(0)
        note(info.src_path)
        if info.problem:
            return match.group(0)
        added: list[tuple[str, str | None]] = []
        if "width" not in values and "height" not in values:
            added += [("width", str(info.width)), ("height", str(info.height))]
        if not is_first:
            added += [(name, value) for name, value in (("loading", "lazy"),
                                                        ("decoding", "async"))
                      if name not in values]
        img = _tag("img", attrs + added)
        if not info.variants or "srcset" in values:
            return img
        sizes = f"(max-width: {info.width}px) 100vw, {info.width}px"
        sources = []
        for fmt in dict.fromkeys(v.format for v in info.variants):
            srcset = ", ".join(f"{base_path}{quote(v.dest, safe='/')} {v.width}w"
                               for v in info.variants if v.format == fmt)
            sources.append(_tag("source", [("type", _MIME[fmt]), ("srcset", srcset),
                                           ("sizes", sizes)]))
        return f"<picture>{''.join(sources)}{img}</picture>"

    return _IMG.sub(one, text)


def _tag(name: str, attrs: list[tuple[str, str | None]]) -> str:
    parts = [name]
    for key, value in attrs:
        parts.append(key if value is None else f'{key}="{html.escape(value, quote=True)}"')
    return f"<{' '.join(parts)}>"
