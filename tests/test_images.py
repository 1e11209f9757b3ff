"""Images of pages: real sizes, lazy loading, resized copies, the cache, and bad images."""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, features

from conftest import Site, html_tags
from ssg.build import BuildOptions, Session, build, derived_files
from ssg.config import load_config
from ssg.errors import SsgError
from ssg.incremental.fingerprints import OutputState, index, readers
from ssg.stages import images

FORMATS = ["avif", "webp"] if features.check("avif") else ["webp"]
REPO = Path(__file__).resolve().parent.parent


def photo(width: int, height: int, fmt: str = "JPEG", **save: Any) -> bytes:
    """A photo-like image (gradients and noise) in memory."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def page(*images_md: str) -> str:
    return "---\ntitle: Trip\n---\n\n" + "\n\n".join(images_md) + "\n"


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a huge image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_images_get_size_lazy_loading_and_resized_copies(make_site: Any) -> None:
    big = photo(2000, 1000)
    site = make_site({
        "content/trip/index.md": page("![first](small.png)", "![big](big.jpg)",
                                      "![logo](/img/logo.png)"),
        "content/trip/small.png": photo(300, 200, "PNG"),
        "content/trip/big.jpg": big,
        "static/img/logo.png": photo(64, 32, "PNG"),
    })
    html = site.read("trip/index.html")
    imgs = {tag["alt"]: tag for tag in html_tags(html, "img")}
    assert (imgs["first"]["width"], imgs["first"]["height"]) == ("300", "200")
    assert "loading" not in imgs["first"] and "decoding" not in imgs["first"]
    assert (imgs["big"]["width"], imgs["big"]["height"]) == ("2000", "1000")
    assert imgs["big"]["loading"] == "lazy" and imgs["big"]["decoding"] == "async"
    assert (imgs["logo"]["width"], imgs["logo"]["height"]) == ("64", "32")
    assert imgs["logo"]["loading"] == "lazy"
    # The original stays, unchanged, as the fallback.
    assert imgs["big"]["src"] == "/trip/big.jpg"
    assert (site.out / "trip/big.jpg").read_bytes() == big
    sources = html_tags(html, "source")
    assert [s["type"] for s in sources] == [f"image/{fmt}" for fmt in FORMATS]
    for source in sources:
        assert source["sizes"]
        candidates = [c.split() for c in (source["srcset"] or "").split(", ")]
        assert [w for _url, w in candidates] == ["480w", "960w", "1600w"]
        for url, descriptor in candidates:
            with Image.open(site.out / url.lstrip("/")) as copy:
                assert copy.format == (source["type"] or "").split("/")[1].upper()
                assert copy.size == (int(descriptor[:-1]), int(descriptor[:-1]) // 2)
    # An image no wider than the widths gets no copies.
    assert len(html_tags(html, "picture")) == 1


def test_widths_formats_and_quality_come_from_the_config(make_site: Any) -> None:
    site = make_site({
        "ssg.toml": '[images]\nwidths = [300, 100]\nformats = ["webp"]\nquality = 50\n',
        "content/a/index.md": page("![x](p.jpg)"),
        "content/a/p.jpg": photo(800, 400),
    })
    (source,) = html_tags(site.read("a/index.html"), "source")
    assert source["type"] == "image/webp"
    urls = [c.split()[0] for c in (source["srcset"] or "").split(", ")]
    assert [size(site.out / u.lstrip("/")) for u in urls] == [(100, 50), (300, 150)]


def test_images_can_be_switched_off(make_site: Any) -> None:
    site = make_site({
        "ssg.toml": "[images]\nenabled = false\n",
        "content/a/index.md": page("![x](p.jpg)", "![y](p.jpg)"),
        "content/a/p.jpg": photo(2000, 1000),
    })
    html = site.read("a/index.html")
    assert html_tags(html, "source") == []
    assert all("width" not in tag and "loading" not in tag for tag in html_tags(html, "img"))
    assert sorted(p.name for p in (site.out / "a").iterdir()) == ["index.html", "p.jpg"]


@pytest.mark.parametrize(("setting", "message"), [
    ("widths = [0]", "images.widths"),
    ('widths = "big"', "images.widths"),
    ('formats = ["gif"]', "images.formats: unknown format 'gif'"),
    ("quality = 101", "images.quality"),
    ('enabled = "yes"', "images.enabled"),
])
def test_bad_image_settings_name_the_key(make_site: Any, setting: str, message: str) -> None:
    with pytest.raises(SsgError, match=message) as info:
        make_site({"ssg.toml": f"[images]\n{setting}\n", "content/a.md": "# A\n"})
    assert "ssg.toml" in str(info.value)


BAD = {
    "truncated.jpg": (photo(1200, 800)[:2000], "cannot be decoded"),
    "notpng.png": (photo(1200, 800), "is a JPEG image, not PNG"),
    "bomb.png": (bomb_png(), "decompression bomb"),
    "bitmap.jpg": (photo(100, 100, "BMP"), "not an image ssg can read"),
    "scan.tiff": (photo(100, 100, "TIFF"), "TIFF images are not processed"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_image_is_named_with_its_page_and_copied_as_it_is(
        make_site: Any, ssg_log: Any, name: str) -> None:
    data, reason = BAD[name]
    files = {"content/a/index.md": page(f"![bad]({name})"), f"content/a/{name}": data}
    site = make_site(files)
    warnings = [r.getMessage() for r in ssg_log.records if r.levelname == "WARNING"]
    assert any("content/a/index.md:5" in w and f"content/a/{name}" in w and reason in w
               for w in warnings), warnings
    assert (site.out / "a" / name).read_bytes() == data
    (img,) = html_tags(site.read("a/index.html"), "img")
    assert "width" not in img and html_tags(site.read("a/index.html"), "source") == []
    with pytest.raises(SsgError, match=reason) as info:
        site.build(strict=True)
    assert "content/a/index.md" in str(info.value) and name in str(info.value)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    probe = images.process_one(path, ".png", "h", images.ImagesConfig(), True, tmp_path)
    assert "decompression bomb" in probe["problem"]
    # Just above Pillow's own warning limit: refused by ssg, not only warned about.
    path.write_bytes(bomb_png(10_000, 9_000))
    probe = images.process_one(path, ".png", "h", images.ImagesConfig(), True, tmp_path)
    assert "decompression bomb" in probe["problem"]


def test_copies_are_deterministic_upright_and_without_metadata(make_site: Any,
                                                                tmp_path: Path) -> None:
    source = Image.open(io.BytesIO(photo(1200, 600)))
    exif = source.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    source.save(out, "JPEG", exif=exif.tobytes())
    files = {"content/a/index.md": page("![x](p.jpg)"), "content/a/p.jpg": out.getvalue()}
    first = make_site(files, cache=False).tree()
    html = first["a/index.html"].decode()
    (img,) = html_tags(html, "img")
    assert (img["width"], img["height"]) == ("600", "1200")
    copies = [dest for dest in first if dest.endswith(".webp")]
    assert copies
    for dest in copies:
        copy = Image.open(io.BytesIO(first[dest]))
        copy.load()
        assert copy.height > copy.width
        assert not copy.getexif() and "icc_profile" not in copy.info and "xmp" not in copy.info
    again = make_site(files, cache=False).tree()
    assert again == first


def test_each_image_is_processed_once_and_again_only_when_it_changes(
        make_site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = images.process_one

    def counting(path: Path, *args: Any) -> dict[str, Any]:
        calls.append(path.name)
        return real(path, *args)

    monkeypatch.setattr(images, "process_one", counting)
    site = make_site({
        "content/a/index.md": page("![x](one.jpg)", "![y](two.jpg)"),
        "content/a/one.jpg": photo(1000, 500),
        "content/a/two.jpg": photo(1100, 500),
    }, jobs=1)
    assert sorted(calls) == ["one.jpg", "two.jpg"]
    calls.clear()
    result = site.build(jobs=1)
    assert calls == [] and result.rendered == 0
    site.write({"content/a/two.jpg": photo(1300, 500)})
    result = site.build(jobs=1)
    assert calls == ["two.jpg"]
    assert 'width="1300"' in site.read("a/index.html")
    gone = [dest for dest in result.removed if "/two-" in dest]
    assert gone and not any((site.out / dest).exists() for dest in gone)
    # The cache keeps the copies of the images still in use, and only those.
    stored = {p.name for p in (site.root / ".ssg-cache" / "images").iterdir()
              if p.suffix[1:] in FORMATS}
    assert len(stored) == 2 * 2 * len(FORMATS)  # 480w and 960w of each


GALLERY = """<!doctype html><html lang="en"><head><title>{{ page.title }}</title></head><body>
{% for img in page.resources.match("*.jpg") %}
{% set t = img.fill(200, 100, anchor="top") %}{% set r = img.resize(300) %}
<img class="t" src="{{ t.url }}" width="{{ t.width }}" height="{{ t.height }}" alt="">
<img class="r" src="{{ r.url }}" width="{{ r.width }}" height="{{ r.height }}" alt="">
<img class="o" src="{{ img.url }}" width="{{ img.width }}" height="{{ img.height }}" alt="">
{% endfor %}
<p class="all">{{ page.resources | map(attribute="name") | join(",") }}</p>
{% set logo = image("img/logo.png") %}
{% set f = logo.fit(40, 40, format="webp") %}{% set c = logo.crop(10, 10, "bottomright") %}
<img class="f" src="{{ f.url }}" width="{{ f.width }}" height="{{ f.height }}" alt="">
<img class="c" src="{{ c.url }}" width="{{ c.width }}" height="{{ c.height }}" alt="">
</body></html>
"""


def gallery_site(make_site: Any, **kwargs: Any) -> Any:
    return make_site({
        "templates/page.html": GALLERY,
        "content/trip/index.md": page("Words."),
        "content/trip/a.jpg": photo(800, 600),
        "content/trip/notes.txt": "notes",
        "static/img/logo.png": photo(200, 100, "PNG"),
    }, **kwargs)


def test_templates_resize_fit_fill_and_crop_images(make_site: Any) -> None:
    site = gallery_site(make_site)
    html = site.read("trip/index.html")
    tags = {tag["class"]: tag for tag in html_tags(html, "img")}
    expected = {"t": ((200, 100), "JPEG"), "r": ((300, 225), "JPEG"), "o": ((800, 600), "JPEG"),
                "f": ((40, 20), "WEBP"), "c": ((10, 10), "PNG")}
    for name, (dims, fmt) in expected.items():
        tag = tags[name]
        assert (int(tag["width"] or 0), int(tag["height"] or 0)) == dims, name
        with Image.open(site.out / (tag["src"] or "").lstrip("/")) as made:
            assert (made.size, made.format) == (dims, fmt), name
    assert "a.jpg,notes.txt" in html
    # A crop at the bottom right is taken from that corner of the original.
    with Image.open(site.root / "static/img/logo.png") as logo, \
            Image.open(site.out / (tags["c"]["src"] or "").lstrip("/")) as crop:
        assert crop.getpixel((9, 9)) == logo.getpixel((199, 99))


def test_processed_images_follow_the_templates_and_the_sources(make_site: Any,
                                                                tmp_path: Path) -> None:
    site = gallery_site(make_site)
    first = {tag["class"]: tag["src"] for tag in html_tags(site.read("trip/index.html"), "img")}
    site.write({"templates/page.html": GALLERY.replace("fill(200, 100", "fill(120, 100")})
    result = site.build()
    now = {tag["class"]: tag["src"] for tag in html_tags(site.read("trip/index.html"), "img")}
    assert now["t"] != first["t"] and now["r"] == first["r"]
    assert (first["t"] or "").lstrip("/") in result.removed
    assert not (site.out / (first["t"] or "").lstrip("/")).exists()
    assert (site.out / (now["t"] or "").lstrip("/")).exists()
    site.write({"content/trip/a.jpg": photo(1000, 500)})
    site.build()
    again = {tag["class"]: tag for tag in html_tags(site.read("trip/index.html"), "img")}
    assert (again["r"]["width"], again["r"]["height"]) == ("300", "150")
    assert not (site.out / (now["r"] or "").lstrip("/")).exists()
    assert clean_build(site.root, tmp_path / "clean") == site.tree()


def clean_build(root: Path, copy: Path) -> dict[str, bytes]:
    """The output of a build from scratch of a copy of the site at root."""
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("output", ".ssg-cache"))
    fresh = Site(copy)
    fresh.build(cache=False)
    return fresh.tree()


def test_a_missing_image_in_a_template_is_an_error_naming_it(make_site: Any) -> None:
    with pytest.raises(SsgError, match="no-such.png") as info:
        make_site({"templates/page.html": '{{ image("no-such.png").url }}',
                   "content/a.md": "# A\n"})
    assert "no such image in content/, static/ or assets/ (the site's or the theme's)" in str(
        info.value), "the error names the folders it looked in"
    assert (info.value.path, info.value.line) == ("templates/page.html", 1)
    assert "while rendering content/a.md" in info.value.message


#: A page showing four images of assets/ and static/, each by its path in the output.
ASSET_IMAGES = """<!doctype html><html lang="en"><head><title>{{ page.title }}</title></head><body>
{% for name in ["a", "b", "s", "t"] %}{% set i = image("img/" ~ name ~ ".png") %}
{% set f = i.fit(40, 40, format="webp") %}{% set c = i.fill(20, 20, anchor="left") %}
<img class="{{ name }}" data-size="{{ i.width }}x{{ i.height }}" src="{{ f.url }}"
  width="{{ f.width }}" height="{{ f.height }}" alt=""><img class="{{ name }}-fill"
  src="{{ c.url }}" width="{{ c.width }}" height="{{ c.height }}" alt="">
<img class="{{ name }}-crop" src="{{ i.crop(10, 10, "bottomright").url }}" alt="">
{% endfor %}
<a class="original" href="{{ image("img/a.png").url }}">a</a>
<a class="asset" href="{{ asset_url("img/a.png") }}">a</a>
</body></html>
"""


def asset_image_site(make_site: Any, **kwargs: Any) -> Any:
    """A site whose images come from the site's and its theme's assets/ and static/: `a` from
    the site's assets/, `b` from static/ (which comes before the same name in assets/), `s`
    from the site's assets/ (before the theme's static/), `t` from the theme's assets/."""
    return make_site({
        "ssg.toml": 'title = "Assets"\ntheme = "mine"\n',
        "themes/mine/theme.toml": 'extends = "default"\n',
        "themes/mine/assets/img/t.png": photo(120, 60, "PNG"),
        "themes/mine/static/img/s.png": photo(100, 50, "PNG"),
        "assets/img/s.png": photo(80, 40, "PNG"),
        "assets/img/a.png": photo(200, 100, "PNG"),
        "assets/img/b.png": photo(300, 300, "PNG"),
        "static/img/b.png": photo(60, 90, "PNG"),
        "templates/page.html": ASSET_IMAGES,
        "content/gallery.md": "---\ntitle: Gallery\n---\nWords.\n",
    }, **kwargs)


def shown(site: Any) -> dict[str, dict[str, str | None]]:
    tags = html_tags(site.read("gallery/index.html"), "img")
    return {tag["class"] or "": tag for tag in tags} | {
        tag["class"] or "": tag for tag in html_tags(site.read("gallery/index.html"), "a")}


def test_templates_find_images_in_assets_the_way_asset_url_does(make_site: Any) -> None:
    site = asset_image_site(make_site)
    tags = shown(site)
    sizes = {name: tags[name]["data-size"] for name in "abst"}
    assert sizes == {"a": "200x100", "b": "60x90", "s": "80x40", "t": "120x60"}
    expected = {"a": (40, 20), "b": (27, 40), "s": (40, 20), "t": (40, 20)}
    for name, dims in expected.items():
        with Image.open(site.out / (tags[name]["src"] or "").lstrip("/")) as made:
            assert (made.size, made.format) == (dims, "WEBP"), name
        assert (int(tags[name]["width"] or 0), int(tags[name]["height"] or 0)) == dims
        with Image.open(site.out / (tags[name + "-fill"]["src"] or "").lstrip("/")) as made:
            assert made.size == (20, 20), name
    # Each is cut from its own file: a crop's corner is the corner of that file.
    for name, source in {"a": "assets/img/a.png", "b": "static/img/b.png",
                         "s": "assets/img/s.png", "t": "themes/mine/assets/img/t.png"}.items():
        with Image.open(site.root / source) as original, \
                Image.open(site.out / (tags[name + "-crop"]["src"] or "").lstrip("/")) as crop:
            corner = original.getpixel((original.width - 1, original.height - 1))
            assert crop.getpixel((9, 9)) == corner, name
    # The original of an assets/ image is published by the name asset_url gives it, once a
    # template asks for its url; assets/ itself is not copied.
    href = tags["original"]["href"] or ""
    assert href == tags["asset"]["href"]
    assert href.startswith("/img/a.") and href.endswith(".png") and href != "/img/a.png"
    assert (site.out / href.lstrip("/")).read_bytes() == (site.root / "assets/img/a.png"
                                                         ).read_bytes()
    published = {path.read_bytes() for path in site.out.rglob("*.png")}
    assert (site.root / "themes/mine/assets/img/t.png").read_bytes() not in published
    assert (site.root / "assets/img/s.png").read_bytes() not in published
    assert not site.exists("img/a.png") and not site.exists("img/t.png")


def test_an_image_of_assets_that_changes_or_goes_rebuilds_the_pages_using_it(
        make_site: Any, tmp_path: Path) -> None:
    site = asset_image_site(make_site)
    first = shown(site)
    site.write({"assets/img/a.png": photo(100, 200, "PNG")})
    result = site.build()
    now = shown(site)
    assert "gallery/index.html" in result.written
    assert now["a"]["data-size"] == "100x200" and now["a"]["src"] != first["a"]["src"]
    assert now["original"]["href"] != first["original"]["href"]
    for gone in (first["a"]["src"], first["a-fill"]["src"], first["original"]["href"]):
        assert not site.exists((gone or "").lstrip("/")), gone
    assert now["t"]["src"] == first["t"]["src"], "the other images are as they were"
    assert clean_build(site.root, tmp_path / "clean-1") == site.tree()
    # Without the site's s.png, the theme's static s.png is the one shown.
    (site.root / "assets/img/s.png").unlink()
    site.build()
    assert shown(site)["s"]["data-size"] == "100x50"
    assert clean_build(site.root, tmp_path / "clean-2") == site.tree()
    # A static file made under the same name comes before the assets/ one.
    site.write({"static/img/a.png": photo(50, 50, "PNG")})
    site.build()
    assert shown(site)["a"]["data-size"] == "50x50"
    assert shown(site)["original"]["href"] == "/img/a.png"
    assert clean_build(site.root, tmp_path / "clean-3") == site.tree()
    # Images that are gone or broken fail the build with their name.
    (site.root / "themes/mine/assets/img/t.png").write_bytes(photo(120, 60, "PNG")[:100])
    with pytest.raises(SsgError, match=r"theme assets/img/t\.png cannot be decoded"):
        site.build()
    (site.root / "themes/mine/assets/img/t.png").unlink()
    with pytest.raises(SsgError, match=r"image\('img/t\.png'\): no such image in content/, "
                                       r"static/ or assets/"):
        site.build()


def test_the_docs_site_shows_its_diagram_through_a_picture_and_the_theme_css_by_hash(
        docs_site: Path) -> None:
    html = (docs_site / "docs/images/index.html").read_text()
    (img,) = [tag for tag in html_tags(html, "img") if "picture-diagram" in (tag["src"] or "")]
    assert (img["width"], img["height"]) == ("2000", "1120")
    with Image.open(REPO / "content/docs/picture-diagram.png") as drawn:
        assert drawn.size == (2000, 1120)
    sources = html_tags(html, "source")
    assert [s["type"] for s in sources] == [f"image/{fmt}" for fmt in FORMATS]
    for source in sources:
        for candidate in (source["srcset"] or "").split(", "):
            url, width = candidate.split()
            with Image.open(docs_site / url.lstrip("/")) as copy:
                assert copy.width == int(width[:-1])
    (link,) = [tag for tag in html_tags(html, "link") if "/css/style." in (tag["href"] or "")]
    assert link["href"] != "/css/style.css" and (link["integrity"] or "").startswith("sha384-")


def test_a_session_carries_what_each_output_read_from_build_to_build(make_site: Any) -> None:
    """The dev server's builds carry, from one build to the next, an index of what the
    outputs read (files, processed images, page bodies) rather than scan every output's keys:
    after edits that add, change and drop processed images and edit a page's body, the
    carried index is what a scan of every output finds, and the output holds the processed
    images the pages ask for."""
    site = gallery_site(make_site, build=False)
    session = Session()
    config = load_config(site.root)

    def rebuild(*paths: str) -> OutputState:
        build(config, BuildOptions(jobs=1, cache=False), session,
              changed=[site.root / p for p in paths] if paths else None)
        output = session.state.outputs[str(config.output_dir)]
        readers(output)  # so that the readers are carried too
        return output

    def carried_is_scanned(output: OutputState) -> None:
        carried = output.index
        assert carried is not None and carried.readers is not None
        scan = OutputState(outputs=output.outputs, key_fps=output.key_fps)
        assert carried.reads == index(scan).reads and carried.files == index(scan).files
        assert carried.readers == readers(scan)

    first = derived_files(rebuild())
    for files, paths in (
        ({"content/trip/b.jpg": photo(640, 480)}, ()),
        ({"templates/page.html": GALLERY.replace("img.fill(200, 100", "img.fill(120, 60")},
         ("templates/page.html",)),
        ({"content/trip/index.md": page("Other words.")}, ("content/trip/index.md",)),
    ):
        site.write(files)
        output = rebuild(*paths)
        carried_is_scanned(output)
        made = derived_files(output)
        assert made and all((site.out / dest).is_file() for dest in made)
    assert len(made) == len(first) + 2  # b.jpg's fill and resize
    (site.root / "content/trip/b.jpg").unlink()
    output = rebuild()
    carried_is_scanned(output)
    assert len(derived_files(output)) == len(first)
    gone = set(made) - set(derived_files(output))
    assert len(gone) == 2 and not any((site.out / dest).exists() for dest in gone)
