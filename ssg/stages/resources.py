"""What templates see of files: a page's bundle (`page.resources`), images (`image("...")`,
found in content/, static/ and assets/) and the processed images their `resize`, `fit`,
`fill` and `crop` make.

Processing runs while the template is rendered, so in the worker processes; the result is kept
in the store folder under a name made of the source's hash and the operation. The output that
asked for it records a `derived` key naming the file it needs (see `keys.derived_image`); the
build publishes every file that the site's outputs name and removes those no output names
any more.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ssg.errors import TemplateError
from ssg.stages.images import ImageInfo, Images

#: Where `fill` and `crop` keep the picture: the name of the anchor and its (x, y) centering.
ANCHORS = {
    "center": (0.5, 0.5), "top": (0.5, 0.0), "bottom": (0.5, 1.0), "left": (0.0, 0.5),
    "right": (1.0, 0.5), "topleft": (0.0, 0.0), "topright": (1.0, 0.0),
    "bottomleft": (0.0, 1.0), "bottomright": (1.0, 1.0),
}
#: Formats a processed image can have, by name, and Pillow's name for each.
OUTPUT_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}
_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}
_FROM_SOURCE = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}
_ENCODING = "1"

#: Called with what an output read: ("file", path) or ("derived", dest, path, stored name).
Note = Callable[[tuple[str, ...]], None]


class Resource:
    """A file of a page bundle: `name` (its path in the bundle), `url`."""

    def __init__(self, name: str, url: str):
        self.name = name
        self._url = url

    @property
    def url(self) -> str:
        """Its URL in the site."""
        return self._url

    def __repr__(self) -> str:
        return f"<resource {self.name}>"

    def __str__(self) -> str:
        return self.url


class Resources(list[Resource]):
    """A page's bundle files, with `match("*.jpg")` and `get("name")`."""

    def match(self, pattern: str) -> Resources:
        """The files whose name matches a glob pattern (`*.jpg`, `gallery/*`)."""
        return Resources(r for r in self if fnmatch.fnmatchcase(r.name, pattern))

    def get(self, name: str) -> Resource | None:
        """The file of that name, or None."""
        return next((r for r in self if r.name == name), None)


@dataclass(frozen=True)
class ProcessedImage:
    """A processed image: `url`, `width`, `height`; as text, its URL."""

    url: str
    width: int
    height: int

    def __str__(self) -> str:
        return self.url


class ImageResource(Resource):
    """An image of the site: `url`, `width`, `height`, and `resize`, `fit`, `fill`, `crop`,
    each giving a processed image (keyword `format`: jpeg, png, webp, avif; `quality`)."""

    def __init__(self, name: str, url: str, info: ImageInfo, images: Images, base_path: str,
                 note: Note):
        super().__init__(name, url)
        self._info, self._images, self._base, self._note = info, images, base_path, note

    @property
    def width(self) -> int:
        """Width in pixels as shown."""
        self._note(("file", self._info.src_path))
        return self._info.width

    @property
    def height(self) -> int:
        """Height in pixels as shown."""
        self._note(("file", self._info.src_path))
        return self._info.height

    def resize(self, width: int | None = None, height: int | None = None, **options: Any
               ) -> ProcessedImage:
        """Scaled to `width` or `height` keeping its proportions, or to both."""
        w, h = self._dims()
        if width is None and height is None:
            raise TemplateError("resize needs a width or a height")
        size = (_positive(width or round(w * _positive(height) / h)),
                _positive(height or round(h * _positive(width) / w)))
        return self._make("resize", size, "center", options)

    def fit(self, width: int, height: int, **options: Any) -> ProcessedImage:
        """Scaled down to fit inside width x height, keeping its proportions."""
        w, h = self._dims()
        scale = min(1.0, _positive(width) / w, _positive(height) / h)
        return self._make("fit", (max(1, round(w * scale)), max(1, round(h * scale))),
                          "center", options)

    def fill(self, width: int, height: int, anchor: str = "center", **options: Any
             ) -> ProcessedImage:
        """Scaled and cropped to exactly width x height, keeping the anchor's part."""
        return self._make("fill", (_positive(width), _positive(height)), anchor, options)

    def crop(self, width: int, height: int, anchor: str = "center", **options: Any
             ) -> ProcessedImage:
        """A width x height piece at its own scale, at the anchor."""
        w, h = self._dims()
        return self._make("crop", (min(_positive(width), w), min(_positive(height), h)),
                          anchor, options)

    def _dims(self) -> tuple[int, int]:
        info = self._info
        self._note(("file", info.src_path))
        if info.problem:
            raise TemplateError(f"image {info.display} {info.problem}")
        return info.width, info.height

    def _make(self, op: str, size: tuple[int, int], anchor: str, options: dict[str, Any]
              ) -> ProcessedImage:
        info = self._info
        self._dims()
        if anchor not in ANCHORS:
            raise TemplateError(f"{op}: unknown anchor {anchor!r} "
                                f"(known: {', '.join(ANCHORS)})")
        fmt, quality = _options(info, options)
        spec = (op, size[0], size[1], anchor, fmt, quality)
        name = "t-" + hashlib.blake2b(repr((info.content_hash, spec, _ENCODING)).encode(),
                                      digest_size=12).hexdigest() + "." + _EXT[fmt]
        folder, base = posixpath.split(info.dest)
        dest = posixpath.join(folder, f"{posixpath.splitext(base)[0]}-{op}{size[0]}x{size[1]}"
                                      f"{'' if anchor == 'center' else '-' + anchor}"
                                      f".{name[2:10]}.{_EXT[fmt]}")
        stored = Path(self._images.store) / name
        if not stored.is_file():
            _process(Path(info.src_path), stored, spec)
        self._note(("derived", dest, info.src_path, name))
        return ProcessedImage(self._base + quote(dest, safe="/"), size[0], size[1])


def _positive(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10000:
        raise TemplateError(f"image sizes must be whole numbers from 1 to 10000, not {value!r}")
    return value


def _options(info: ImageInfo, options: dict[str, Any]) -> tuple[str, int]:
    unknown = set(options) - {"format", "quality"}
    if unknown:
        raise TemplateError(f"unknown image option {sorted(unknown)[0]!r} "
                            "(known: format, quality)")
    ext = posixpath.splitext(info.dest)[1].lower()
    default = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp",
               ".avif": "avif"}.get(ext, "png")
    fmt = options.get("format", default)
    if fmt not in OUTPUT_FORMATS:
        raise TemplateError(f"unknown image format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
    quality = options.get("quality", 80)
    if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 100:
        raise TemplateError(f"image quality must be a whole number from 1 to 100, "
                            f"not {quality!r}")
    return fmt, quality


def _process(src: Path, stored: Path, spec: tuple[str, int, int, str, str, int]) -> None:
    """Make one processed image into the store (in the process rendering the template)."""
    from PIL import Image, ImageOps

    op, width, height, anchor, fmt, quality = spec
    try:
        with Image.open(src) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read image {src.name}: {exc}") from exc
    if upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.mode or "transparency"
                                  in upright.info else "RGB")
    if fmt == "jpeg" and upright.mode == "RGBA":
        upright = upright.convert("RGB")
    centering = ANCHORS[anchor]
    if op in ("resize", "fit"):
        result = upright.resize((width, height), Image.Resampling.LANCZOS)
    elif op == "fill":
        result = ImageOps.fit(upright, (width, height), Image.Resampling.LANCZOS,
                              centering=centering)
    else:
        left = round((upright.width - width) * centering[0])
        top = round((upright.height - height) * centering[1])
        result = upright.crop((left, top, left + width, top + height))
    result.info = {}  # no EXIF, XMP or ICC profile
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if fmt == "avif":
        options["speed"] = 8
    if fmt == "png":
        options = {"optimize": False}
    result.save(out, OUTPUT_FORMATS[fmt], **options)
    stored.parent.mkdir(parents=True, exist_ok=True)
    tmp = stored.with_name(f".{stored.name}.{os.getpid()}")
    tmp.write_bytes(out.getvalue())
    os.replace(tmp, stored)


def bundle_resources(files: Iterable[tuple[str, str]], images: Images,
                     base_path: str, note: Note) -> Resources:
    """The bundle files of a page: `files` is (name in the bundle, output path) of each."""
    found = Resources()
    for name, dest in files:
        url = base_path + quote(dest, safe="/")
        info = images.by_dest.get(dest)
        if info is not None and not info.problem and info.width:
            found.append(ImageResource(name, url, info, images, base_path, note))
        else:
            found.append(Resource(name, url))
    return found


class AssetImage(ImageResource):
    """An image of an assets/ folder: published, under the fingerprinted name `asset_url`
    gives it, only when a template uses its `url` (its processed images need not)."""

    def __init__(self, name: str, info: ImageInfo, images: Images, base_path: str, note: Note,
                 publish: Callable[[str], str]):
        super().__init__(name, "", info, images, base_path, note)
        self._publish = publish

    @property
    def url(self) -> str:
        """Its fingerprinted URL (the file is published)."""
        return self._publish(self._info.dest)


def site_image(path: str, images: Images, roots: Sequence[Path], base_path: str, note: Note,
               publish: Callable[[str], str]) -> ImageResource:
    """`image("img/a.jpg")`: an image by its path in the output: one of content/, else the
    first of static/ and assets/ of the site, then of each theme (`roots`), the order in which
    `asset_url` looks; `publish` gives an assets/ image its URL (`asset_url`)."""
    dest = posixpath.normpath(str(path).lstrip("/"))
    if dest in (".", "..") or dest.startswith("../"):
        raise TemplateError(f"image({path!r}): the path is outside the site's folders")
    note(("static", dest))  # a static file made later would come first
    info = images.by_dest.get(dest)
    statics = {str(root / "static" / dest) for root in roots}
    if info is not None and info.src_path not in statics:  # an image of content/
        return ImageResource(posixpath.basename(dest), base_path + quote(dest, safe="/"), info,
                             images, base_path, note)
    for root in roots:
        if info is not None and info.src_path == str(root / "static" / dest):
            return ImageResource(posixpath.basename(dest), base_path + quote(dest, safe="/"),
                                 info, images, base_path, note)
        candidate = str(root / "assets" / dest)
        note(("file", candidate))  # "missing" until it is made
        found = images.assets.get(candidate)
        if found is not None:
            return AssetImage(posixpath.basename(dest), found, images, base_path, note, publish)
    raise TemplateError(f"image({path!r}): no such image in content/, static/ or assets/ "
                        "(the site's or the theme's)")
