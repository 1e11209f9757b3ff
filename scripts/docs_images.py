"""Draw the images of the docs site (content/docs/) with Pillow; their PNGs are committed.

    python3 scripts/docs_images.py

Each is drawn at twice the size it is shown at, so ssg gives it resized copies (a `<picture>`
with AVIF and WebP) like any large image of a page. The drawing is deterministic: running the
script again writes the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DOCS = Path(__file__).resolve().parent.parent / "content" / "docs"
INK = (31, 41, 55)
MUTED = (90, 100, 115)
ACCENT = (37, 99, 235)
PAPER = (248, 250, 252)
LINE = (203, 213, 225)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own scalable font (the same on every machine)."""
    return ImageFont.load_default(size=size)


def photo(width: int, height: int) -> Image.Image:
    """A photo-like picture: a sky, hills and a sun."""
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (sky.point(lambda v: 120 + v // 4),
                                sky.point(lambda v: 170 + v // 5),
                                sky.point(lambda v: 235 - v // 8)))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.68, height * 0.14, width * 0.82, height * 0.14 + width * 0.14),
                 fill=(253, 224, 71))
    draw.polygon([(0, height * 0.72), (width * 0.3, height * 0.45), (width * 0.62, height * 0.7),
                  (width, height * 0.52), (width, height), (0, height)], fill=(74, 140, 92))
    draw.polygon([(0, height * 0.86), (width * 0.45, height * 0.66), (width, height * 0.9),
                  (width, height), (0, height)], fill=(45, 106, 79))
    return image


def arrow(draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float]
          ) -> None:
    draw.line([start, end], fill=ACCENT, width=6)
    x, y = end
    draw.polygon([(x, y), (x - 26, y - 15), (x - 26, y + 15)], fill=ACCENT)


def picture_diagram() -> Image.Image:
    """One image of a page, and the `<picture>` of resized copies that ssg writes for it."""
    width, height = 2000, 1120
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, width - 8, height - 8), radius=28, outline=LINE, width=4)
    title, label, small = font(54), font(38), font(32)
    draw.text((70, 60), "One image in, every size out", font=title, fill=INK)
    draw.text((70, 132), "![Harbour](harbour.jpg) in Markdown, as `ssg build` publishes it",
              font=small, fill=MUTED)

    left, top = 70, 280
    original = photo(560, 420)
    image.paste(original, (left, top))
    draw.rectangle((left, top, left + 560, top + 420), outline=INK, width=3)
    draw.text((left, top + 440), "harbour.jpg", font=label, fill=INK)
    draw.text((left, top + 490), "2000 x 1500, the fallback", font=small, fill=MUTED)

    arrow(draw, (left + 600, top + 210), (left + 760, top + 210))

    x = left + 810
    for copy_width, note in ((1600, "large screens"), (960, "tablets, 2x phones"),
                             (480, "phones")):
        w = round(copy_width * 0.27)
        h = round(w * 0.75)
        image.paste(photo(w, h), (x, top + 420 - h))
        draw.rectangle((x, top + 420 - h, x + w, top + 420), outline=INK, width=3)
        draw.text((x, top + 440), f"{copy_width}w", font=label, fill=INK)
        draw.text((x, top + 490), note, font=small, fill=MUTED)
        x += w + 50
    draw.text((left + 810, top - 60), "resized copies, AVIF and WebP", font=label,
              fill=ACCENT)

    code = font(30)
    lines = ['<picture>',
             '  <source type="image/avif" srcset="harbour-480w.avif 480w, ..." sizes="...">',
             '  <source type="image/webp" srcset="harbour-480w.webp 480w, ..." sizes="...">',
             '  <img src="harbour.jpg" width="2000" height="1500" loading="lazy">',
             '</picture>']
    y = top + 570
    draw.rounded_rectangle((left - 10, y - 20, width - 70, y + 5 * 44 + 10), radius=16,
                           fill=(241, 245, 249), outline=LINE, width=2)
    for text in lines:
        draw.text((left + 10, y), text, font=code, fill=INK)
        y += 44
    return image


def main() -> None:
    """Write every image of the docs site."""
    picture_diagram().save(DOCS / "picture-diagram.png", optimize=True)


if __name__ == "__main__":
    main()
