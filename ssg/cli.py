"""The `ssg` command line."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from ssg import __version__
from ssg.build import build
from ssg.config import load_config
from ssg.errors import BuildErrors, SsgError

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


def report_error(exc: SsgError, *, verbose: bool) -> None:
    """Print an error: one line per problem, the traceback only with --verbose."""
    errors = exc.errors if isinstance(exc, BuildErrors) else [exc]
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if verbose:
        import traceback

        traceback.print_exception(exc)
    if len(errors) > 1:
        click.echo(f"{len(errors)} errors; the previous output is unchanged.", err=True)
    else:
        click.echo("The previous output is unchanged.", err=True)


site_argument = click.argument(
    "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ssg")
def main() -> None:
    """ssg: build static sites from Markdown, and preview them live while you write."""


@main.command("build")
@site_argument
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: SITE_DIR/output).")
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--future", is_flag=True, help="Include pages dated in the future.")
@click.option("--expired", is_flag=True, help="Include pages past their expires date.")
@click.option("--env", "env", metavar="ENV", help="Overlay ssg.ENV.toml on ssg.toml.")
@click.option("--base-url", help="Override base_url from ssg.toml.")
@click.option("--strict", is_flag=True, help="Treat links to missing pages as errors.")
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
        result = build(config, drafts=drafts, future=future, expired=expired, strict=strict,
                       jobs=jobs, cache=not no_cache, progress=progress)
    except SsgError as exc:
        progress.finish()
        report_error(exc, verbose=verbose)
        sys.exit(1)
    progress.finish()
    for step, seconds in result.timings.items():
        log.debug("  %-14s %7.3f s", step, seconds)
    if not result.full:
        log.info("Built %s pages in %.2f s (%s of %s files rendered, %s changed, %s removed)",
                 f"{result.pages:,}", result.seconds, f"{result.rendered:,}",
                 f"{result.files:,}", f"{len(result.written):,}", f"{len(result.removed):,}")
    else:
        log.info("Built %s pages (%s files) in %.2f s", f"{result.pages:,}",
                 f"{result.files:,}", result.seconds)
