#!/usr/bin/env python3
"""Image benchmark: ssg's resized copies against Hugo's `.Resize` on the same images.

    python benchmarks/bench_images.py                   # 24 photos, 3 runs
    python benchmarks/bench_images.py --images 12 --repeat 1

Generates photo-like JPEGs (gradients, shapes and noise, so they compress like photos) at
three sizes, 1600x1067, 3000x2000 and 4000x3000, one per page bundle. Both generators make the
same operations: each image resized to 480, 960 and 1600 pixels wide in WebP at quality 80.
ssg does them from Markdown (`![](photo.jpg)`, `[images] formats = ["webp"]`); Hugo from a
template calling `.Resize "480x webp q80"` (and 960x, 1600x) on the page's image. Cold: no
output and no cache (ssg's `.ssg-cache`, Hugo's `resources/_gen` and cache dir removed).
No change: the same command again. One image changed: the first photo replaced by another
of the same size, then the same command. Runs of ssg and Hugo alternate. Prints a Markdown
table.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench")) / "images"
SIZES = [(1600, 1067), (3000, 2000), (4000, 3000)]
WIDTHS = [480, 960, 1600]

HUGO_SINGLE = """<!doctype html><html lang="en"><head><title>{{ .Title }}</title></head><body>
{{ with .Resources.GetMatch "*.jpg" }}<picture><source type="image/webp" srcset="
{{- (.Resize "480x webp q80").RelPermalink }} 480w, {{ (.Resize "960x webp q80").RelPermalink
}} 960w, {{ (.Resize "1600x webp q80").RelPermalink }} 1600w"><img src="{{ .RelPermalink }}"
width="{{ .Width }}" height="{{ .Height }}" alt=""></picture>{{ end }}
{{ .Content }}</body></html>
"""


def photo(path: Path, width: int, height: int, seed: int) -> None:
    """A photo-like JPEG: smooth gradients, a few shapes and sensor-like noise."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height))
    sky = Image.merge("RGB", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                              Image.radial_gradient("L").resize((width, height))))
    draw = ImageDraw.Draw(sky)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 30, width // 6)
        draw.ellipse((x - r, y - r, x + r, y + r),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    sky = sky.filter(ImageFilter.GaussianBlur(width / 200))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    Image.blend(sky, noise, 0.12).save(path, "JPEG", quality=88)


def make_sites(count: int) -> tuple[Path, Path]:
    """The ssg site and the Hugo site, with the same images (made once, then reused)."""
    ssg_site, hugo_site = WORK / f"ssg-{count}", WORK / f"hugo-{count}"
    if (ssg_site / "done").exists() and (hugo_site / "done").exists():
        return ssg_site, hugo_site
    shutil.rmtree(ssg_site, ignore_errors=True)
    shutil.rmtree(hugo_site, ignore_errors=True)
    (ssg_site / "content").mkdir(parents=True)
    (ssg_site / "ssg.toml").write_text(
        'title = "Images"\nsearch = false\nfeeds = []\n'
        f'[images]\nwidths = {WIDTHS}\nformats = ["webp"]\nquality = 80\n')
    (hugo_site / "layouts/_default").mkdir(parents=True)
    (hugo_site / "config.toml").write_text(
        'baseURL = "/"\ntitle = "Images"\ndisableKinds = ["taxonomy", "term", "RSS", '
        '"sitemap", "robotsTXT"]\n[imaging]\nquality = 80\n')
    (hugo_site / "layouts/_default/single.html").write_text(HUGO_SINGLE)
    (hugo_site / "layouts/_default/list.html").write_text("{{ .Title }}")
    (hugo_site / "layouts/index.html").write_text("home")
    for i in range(count):
        width, height = SIZES[i % len(SIZES)]
        folder = ssg_site / "content" / f"p{i}"
        folder.mkdir()
        photo(folder / "photo.jpg", width, height, i)
        (folder / "index.md").write_text(f"---\ntitle: Photo {i}\n---\n\n![a photo](photo.jpg)\n")
        hugo_folder = hugo_site / "content" / f"p{i}"
        shutil.copytree(folder, hugo_folder)
    (ssg_site / "done").touch()
    (hugo_site / "done").touch()
    return ssg_site, hugo_site


def run(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def ssg_cold(site: Path) -> float:
    shutil.rmtree(site / ".ssg-cache", ignore_errors=True)
    shutil.rmtree(site / "output", ignore_errors=True)
    return ssg_again(site)


def ssg_again(site: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return run([sys.executable, "-m", "ssg", "build", str(site), "-q"], env)


def hugo_cold(site: Path) -> float:
    for name in ("public", "resources", ".hugo-cache"):
        shutil.rmtree(site / name, ignore_errors=True)
    return hugo_again(site)


def hugo_again(site: Path) -> float:
    return run(["hugo", "-s", str(site), "--quiet", "--cacheDir", str(site / ".hugo-cache")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ssg_site, hugo_site = make_sites(args.images)
    times: dict[str, list[float]] = {k: [] for k in (
        "ssg cold", "ssg no change", "ssg one image changed", "hugo cold", "hugo no change",
        "hugo one image changed")}
    for round_ in range(args.repeat):
        times["ssg cold"].append(ssg_cold(ssg_site))
        times["hugo cold"].append(hugo_cold(hugo_site))
        times["ssg no change"].append(ssg_again(ssg_site))
        times["hugo no change"].append(hugo_again(hugo_site))
        width, height = SIZES[0]
        for site in (ssg_site, hugo_site):  # the first image replaced by another photo
            photo(site / "content/p0/photo.jpg", width, height, 1000 + round_)
        times["ssg one image changed"].append(ssg_again(ssg_site))
        times["hugo one image changed"].append(hugo_again(hugo_site))
    made = sorted((ssg_site / "output").rglob("*.webp"))
    hugo_made = sorted((hugo_site / "public").rglob("*.webp"))
    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.processor() or platform.machine()}"
          f", {os.cpu_count()} cores, Python {platform.python_version()}; {args.images} JPEGs "
          f"({', '.join(f'{w}x{h}' for w, h in SIZES)}), {len(WIDTHS)} WebP widths each; "
          f"{len(made)} files made by ssg, {len(hugo_made)} by Hugo; median of {args.repeat}.")
    print()
    print("| build | wall | ratio to Hugo's cold build |")
    print("|---|---:|---:|")
    hugo = statistics.median(times["hugo cold"])
    for name, values in times.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.2f} s | {value / hugo:.2f}x |")


if __name__ == "__main__":
    main()
