"""The build pipeline: load config -> discover -> parse -> assemble -> render -> write."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from ssg.config import Config
from ssg.content import discover, parse_all
from ssg.render import Output, Progress, render_markdown, render_site
from ssg.site import assemble
from ssg.utils import Timer
from ssg.writer import static_outputs, write_site


@dataclass(frozen=True)
class BuildResult:
    """What a finished build did."""

    #: Published pages rendered.
    pages: int
    #: Files written to the output folder.
    files: int
    #: Seconds for the whole build.
    seconds: float
    #: Seconds per named step.
    timings: dict[str, float] = field(default_factory=dict)


def build(config: Config, *, drafts: bool = False, strict: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Build the site described by config into config.output_dir, all or nothing."""
    start = time.perf_counter()
    timer = Timer()
    with timer.step("discover"):
        sources = discover(config)
    with timer.step("parse"):
        page_docs, section_docs = parse_all(sources, config)
    with timer.step("assemble"):
        site = assemble(sources, page_docs, section_docs, config, drafts=drafts)
    with timer.step("markdown"):
        contents = render_markdown(site, strict=strict, progress=progress)
    with timer.step("render+write"):
        assets = (Output(path.lstrip("/") + ("index.html" if path.endswith("/") else ""),
                         asset.display, src_path=asset.src_path)
                  for asset, path in site.assets)
        outputs = itertools.chain(render_site(site, contents, progress=progress), assets,
                                  static_outputs(config))
        files = write_site(outputs, config)
    return BuildResult(pages=len(site.pages), files=files,
                       seconds=time.perf_counter() - start, timings=timer.steps)
