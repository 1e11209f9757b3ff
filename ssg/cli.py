"""The `ssg` command line."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import time
from pathlib import Path

import click

from ssg import __version__
from ssg.build import BuildOptions, BuildResult, build
from ssg.config import load_config
from ssg.errors import BuildErrors, PluginError, SsgError
from ssg.theme_finder import all_themes
from ssg.tools.check import EXTERNAL_TIMEOUT, EXTERNAL_WORKERS, check_site
from ssg.tools.scaffold import new_page, new_site
from ssg.utils import plural

log = logging.getLogger("ssg")


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        prefix = {"WARNING": "warning: ", "ERROR": "error: "}.get(record.levelname, "")
        return prefix + record.getMessage()


def setup_logging(*, quiet: bool, verbose: bool) -> None:
    """Send ssg's messages to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO)
    log.propagate = False


class TerminalProgress:
    """A progress line on stderr for builds that take over a second (terminals only)."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.shown = False

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled or time.perf_counter() - self.start < 1.0:
            return
        width = 30
        filled = width * done // max(total, 1)
        click.echo(f"\r{what:<20} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}",
                   nl=False, err=True)
        self.shown = True

    def finish(self) -> None:
        """Clear the progress line."""
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)


def report_error(exc: SsgError, *, verbose: bool,
                 after: str | None = "The previous output is unchanged.") -> None:
    """Print an error: one line per problem, the traceback only with --verbose, then what
    became of the output (when there is something to say)."""
    errors = exc.errors if isinstance(exc, BuildErrors) else [exc]
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if verbose:
        print_tracebacks(exc, errors)
    if len(errors) > 1:
        click.echo(f"{len(errors)} errors." + (f" {after}" if after else ""), err=True)
    elif after:
        click.echo(after, err=True)


def print_tracebacks(exc: SsgError, errors: list[SsgError]) -> None:
    """ssg's traceback, and each failed plugin's own (kept also when it ran in a worker)."""
    import traceback

    traceback.print_exception(exc)
    for error in errors:
        if isinstance(error, PluginError) and error.detail:
            click.echo(f"The plugin's traceback ({error.message}):\n{error.detail}", err=True)


def _after_failed_build(site_dir: Path, output: Path | None) -> str | None:
    """What a failed build left: the previous output, nothing, or (no site) nothing to say."""
    if not site_dir.is_dir():
        return None
    if (output or site_dir / "output").is_dir():
        return "The previous output is unchanged."
    return "Nothing was written."


site_argument = click.argument(
    "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)


#: Python's collector thresholds for ssg's commands. A build makes millions of small objects
#: that live until it ends (the site model, the cache's records); with the default thresholds
#: the collector traces them again and again (half the time of reading a 10,000-page cache).
#: Rarer young collections cost a little memory, and cycles are still collected.
GC_THRESHOLDS = (100_000, 50, 100)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ssg")
def main() -> None:
    """ssg: build static sites from Markdown, and preview them live while you write."""
    gc.set_threshold(*GC_THRESHOLDS)


@main.command("build")
@site_argument
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: SITE_DIR/output).")
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--future", is_flag=True, help="Include pages dated in the future.")
@click.option("--expired", is_flag=True, help="Include pages past their expires date.")
@click.option("--env", "env", metavar="ENV", help="Overlay ssg.ENV.toml on ssg.toml.")
@click.option("--base-url", help="Override base_url from ssg.toml.")
@click.option("--strict", is_flag=True,
              help="Treat broken links (pages, images, files, #fragments) as errors.")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Processes for rendering (default: the number of CPUs).")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write SITE_DIR/.ssg-cache.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Print step timings and tracebacks.")
def build_command(site_dir: Path, output: Path | None, drafts: bool, future: bool,
                  expired: bool, env: str | None, base_url: str | None, strict: bool,
                  jobs: int | None, no_cache: bool, quiet: bool, verbose: bool) -> None:
    """Build the site in SITE_DIR (default: the current folder)."""
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot be used together")
    setup_logging(quiet=quiet, verbose=verbose)
    progress = TerminalProgress(enabled=not quiet)
    try:
        config = load_config(site_dir, output_dir=output, base_url=base_url, env=env)
        result = build(config, BuildOptions(drafts=drafts, future=future, expired=expired,
                                            strict=strict, jobs=jobs, cache=not no_cache,
                                            progress=progress, spare_later=True))
    except SsgError as exc:
        progress.finish()
        report_error(exc, verbose=verbose, after=_after_failed_build(site_dir, output))
        sys.exit(1)
    progress.finish()
    for step, seconds in result.timings.items():
        log.debug("  %-14s %7.3f s", step, seconds)
    if not quiet:  # the result, on stdout; warnings and errors go to stderr
        click.echo(built_line(result))


def built_line(result: BuildResult) -> str:
    """The closing line of a build: what it made and how long it took."""
    if result.full:
        return (f"Built {plural(result.pages, 'page')} ({plural(result.files, 'file')}) "
                f"in {result.seconds:.2f} s")
    return (f"Built {plural(result.pages, 'page')} in {result.seconds:.2f} s "
            f"({result.rendered:,} of {plural(result.files, 'file')} rendered, "
            f"{len(result.written):,} changed, {len(result.removed):,} removed)")


@main.group("new")
def new_group() -> None:
    """Start a new site, or a new page from an archetype."""


@new_group.command("site")
@click.argument("folder", type=click.Path(path_type=Path))
def new_site_command(folder: Path) -> None:
    """Write a ready site into FOLDER (new or empty): ssg.toml, pages in two sections."""
    try:
        files = new_site(folder)
    except SsgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    # Stopped and cleaned up: a late Ctrl-C or SIGTERM must not turn the exit into a failure.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    click.echo(f"Created a site in {folder} ({len(files)} files). Preview it with:\n"
               f"  cd {folder} && ssg serve")


@new_group.command("page")
@click.argument("path")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path),
              default=".", help="The site folder (default: the current folder).")
def new_page_command(path: str, site_dir: Path) -> None:
    """Write a new page at PATH (content/posts/my-post.md) from the section's archetype."""
    try:
        written, archetype = new_page(site_dir, path)
    except SsgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    # Stopped and cleaned up: a late Ctrl-C or SIGTERM must not turn the exit into a failure.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    click.echo(f"Created {written} (archetype: {archetype})")


@main.group("import")
def import_group() -> None:
    """Move a site from another generator to ssg for good."""


@import_group.command("mkdocs")
@site_argument
def import_mkdocs_command(site_dir: Path) -> None:
    """Write ssg.toml for the MkDocs site in SITE_DIR from its mkdocs.yml (kept as it is)."""
    from ssg.mkdocs import import_mkdocs

    setup_logging(quiet=False, verbose=False)
    try:
        source, target = import_mkdocs(site_dir)
    except SsgError as exc:
        report_error(exc, verbose=False, after=None)
        sys.exit(1)
    click.echo(f"Wrote {target} from {source.name}; build with: ssg build {site_dir}")


@main.command("check")
@site_argument
@click.option("--external", is_flag=True, help="Also check links to other sites (http, https).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=EXTERNAL_TIMEOUT,
              show_default=True, help="Seconds to wait for each external link.")
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--env", "env", metavar="ENV", help="Overlay ssg.ENV.toml on ssg.toml.")
@click.option("-v", "--verbose", is_flag=True, help="Print tracebacks of build errors.")
def check_command(site_dir: Path, external: bool, timeout: float, drafts: bool,
                  env: str | None, verbose: bool) -> None:
    """Build SITE_DIR into a temporary folder and check every link, #fragment and image."""
    setup_logging(quiet=False, verbose=verbose)
    log.setLevel(logging.WARNING)
    try:
        config = load_config(site_dir, env=env)
        report = check_site(config, external=external, drafts=drafts, timeout=timeout,
                            workers=EXTERNAL_WORKERS)
    except SsgError as exc:
        errors = exc.errors if isinstance(exc, BuildErrors) else [exc]
        for error in errors:
            click.echo(f"error: {error}", err=True)
        if verbose:
            print_tracebacks(exc, errors)
        sys.exit(1)
    for problem in report.problems:
        click.echo(str(problem))
    for note in report.notes:
        click.echo(f"note: {note} ({note.kind}: info)")
    click.echo(report.summary())
    if report.problems:
        sys.exit(1)


@main.group("theme")
def theme_group() -> None:
    """The themes a site can use."""


@theme_group.command("list")
@site_argument
def theme_list_command(site_dir: Path) -> None:
    """List the themes SITE_DIR can name with `theme = "NAME"`: its own (themes/), those of
    installed packages and ssg's own, with what each extends."""
    try:
        themes = all_themes(site_dir)
    except SsgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    width = max((len(theme.name) for theme in themes), default=0)
    for theme in themes:
        extends = f", extends {theme.extends}" if theme.extends else ""
        where = f" at {theme.path}" if theme.origin != "ssg" else ""
        about = f" - {theme.description}" if theme.description else ""
        click.echo(f"{theme.name:<{width}}  ({theme.origin}{extends}){where}{about}")


@main.command("serve")
@site_argument
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (anything but loopback shows the site to the network).")
@click.option("--port", type=click.IntRange(min=0, max=65535),
              help="Port to listen on (default: 8000, or the next free one; 0: any free one).")
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@click.option("--poll", is_flag=True,
              help="Poll for changes (for file systems that send no change events).")
@click.option("-v", "--verbose", is_flag=True, help="Print tracebacks with errors.")
def serve_command(site_dir: Path, host: str, port: int | None, drafts: bool,
                  open_browser: bool, poll: bool, verbose: bool) -> None:
    """Build the site in SITE_DIR, serve it, and rebuild and reload it on every save."""
    from ssg.serve.devserver import serve

    setup_logging(quiet=False, verbose=verbose)
    try:
        serve(site_dir, host=host, port=8000 if port is None else port,
              port_explicit=port is not None, drafts=drafts, poll=poll,
              open_browser=open_browser,
              report=lambda exc: report_error(
                  exc, verbose=verbose,
                  after="The server goes on with the last good build (if any); fix the file "
                        "and save."))
    except SsgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    # Stopped and cleaned up: a late Ctrl-C or SIGTERM must not turn the exit into a failure.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
