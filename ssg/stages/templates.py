"""The Jinja2 environment: template loading, filters, error messages, and shortcodes."""

from __future__ import annotations

import difflib
import functools
import re
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ssg.config import Config
from ssg.errors import ContentError, TemplateError
from ssg.stages import keys
from ssg.stages.keys import record, record_all, tracking
from ssg.stages.languages import CURRENT_LANGUAGE
from ssg.stages.lookup import template_dirs, template_file
from ssg.stages.parse import Document
from ssg.stages.shortcodes import Call
from ssg.utils import rfc3339, to_datetime


class _TrackingEnvironment(jinja2.Environment):
    """Records every template loaded, by `extends`, `include` and `import` too.

    Without auto_reload (a build, which sees its templates as they were when it started) a
    template is looked up by name in a plain dict: every page loads the same dozen, and
    Jinja's own cache (an LRU with a lock, keyed by the loader) costs more than the lookup.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, jinja2.Template] = {}

    def get_template(self, name: Any, parent: str | None = None,
                     globals: Any = None) -> jinja2.Template:  # noqa: A002 - Jinja's name
        if isinstance(name, str):
            record(keys.template(name))
            if not globals and not self.auto_reload:
                found = self._loaded.get(name)
                if found is None:
                    found = self._loaded[name] = super().get_template(name, parent)
                return found
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None,
                        globals: Any = None) -> jinja2.Template:  # noqa: A002 - Jinja's name
        for name in names:
            if isinstance(name, str):
                record(keys.template(name))
        return super().select_template(names, parent, globals)


_LITERAL_ID = re.compile(r"""\sid\s*=\s*["']([^"'{}]+)["']""")


def template_ids(config: Config) -> frozenset[str]:
    """The ids written as they are in template files (`<main id="main">`): on every page."""
    ids: set[str] = set()
    for root in template_dirs(config):
        if root.is_dir():
            for path in sorted(root.rglob("*.htm*")):
                try:
                    ids.update(_LITERAL_ID.findall(path.read_text(encoding="utf-8")))
                except (OSError, UnicodeDecodeError):
                    continue  # rendering reports it
    return frozenset(ids)


class _Loader(jinja2.FileSystemLoader):
    """Loads templates from template_dirs; one that is not UTF-8 is an error naming it."""

    def __init__(self, config: Config):
        super().__init__([str(p) for p in template_dirs(config)])
        self.config = config

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Any]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            path = template_file(self.config, template)
            raise TemplateError("not UTF-8 text; save the template as UTF-8",
                                path=_display(str(path or template), self.config)) from exc


class _Undefined(jinja2.StrictUndefined):
    """Strict, with a message in templates' words: `page has no attribute 'titel'; did you
    mean 'title'?` rather than `'ssg.stages.views.PageView object' has no attribute 'titel'`."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint is not None or obj is jinja2.utils.missing or not isinstance(
                name, str):
            return super()._undefined_message
        kind = type(obj)
        if kind.__module__.startswith("ssg."):  # PageView -> page, Paginator -> paginator
            label = kind.__name__.removesuffix("View").lower()
        else:
            label = f"'{jinja2.utils.object_type_repr(obj)}'"
        names = {n for n in dir(obj) if not n.startswith("_")}
        if isinstance(obj, Mapping):
            names |= {key for key in obj if isinstance(key, str)}
        message = f"{label} has no attribute '{name}'"
        close = difflib.get_close_matches(name, sorted(names), n=1)
        return f"{message}; did you mean '{close[0]}'?" if close else message


class _Compiled(jinja2.BytecodeCache):
    """Compiled templates, kept in memory for the life of the process, by the template's
    name, its source's hash and what of the environment the compiled code depends on.

    Each build makes a new environment, so without this a dev server (or any long-running
    caller) compiles every template again on every save: at 10,000 pages that was most of the
    time a quick rebuild spent rendering. Nothing is written anywhere (code is never read from
    a file, so a cache restored from elsewhere cannot run any).

    Jinja runs filters and tests on constant arguments while it compiles (`"/x" |
    absolute_url` becomes the URL), so compiled code is kept for the very filter and test
    functions it was compiled with (by identity; the entry holds them, so no other function
    takes their id): ssg's own are made once per setting (`_url_filters`).

    It keeps the `limit` templates used last: every save of a template in a dev server
    compiles a new version, and the old ones are seldom wanted again.
    """

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._code: OrderedDict[tuple[Any, ...], tuple[bytes, Any]] = OrderedDict()

    @staticmethod
    def _key(bucket: jinja2.bccache.Bucket) -> tuple[Any, ...]:
        env = bucket.environment
        return (bucket.key, bucket.checksum, tuple(sorted(env.extensions)),
                _identities(env.filters), _identities(env.tests), env.trim_blocks,
                env.lstrip_blocks, env.keep_trailing_newline, env.newline_sequence,
                env.optimized, env.is_async, env.finalize is not None,
                callable(env.autoescape) or env.autoescape,
                env.block_start_string, env.block_end_string, env.variable_start_string,
                env.variable_end_string, env.comment_start_string, env.comment_end_string,
                env.line_statement_prefix, env.line_comment_prefix)

    def __len__(self) -> int:
        return len(self._code)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        key = self._key(bucket)
        found = self._code.get(key)
        if found is not None:
            self._code.move_to_end(key)
            bucket.bytecode_from_string(found[0])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        env = bucket.environment
        self._code[self._key(bucket)] = (bucket.bytecode_to_string(),
                                         (dict(env.filters), dict(env.tests)))
        while len(self._code) > self.limit:
            self._code.popitem(last=False)


def _identities(functions: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((name, id(function)) for name, function in functions.items()))


_COMPILED = _Compiled()


@functools.lru_cache(maxsize=32)
def _url_filters(base_path: str, origin: str, date_format: str
                 ) -> dict[str, Callable[..., Any]]:
    """ssg's filters that depend on settings, made once per setting (see _Compiled)."""
    return {
        "date": lambda value, fmt=None: format_date(value, fmt or date_format),
        "relative_url": lambda path: base_path + str(path).lstrip("/"),
        "absolute_url": lambda path: origin + base_path + str(path).lstrip("/"),
    }


def make_environment(config: Config) -> jinja2.Environment:
    """A Jinja2 environment with HTML autoescaping, strict undefined and ssg's filters."""
    env = _TrackingEnvironment(
        auto_reload=False,
        bytecode_cache=_COMPILED,
        loader=_Loader(config),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=_Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_url_filters(config.base_path, config.origin, config.date_format))
    env.filters["isodate"] = rfc3339
    env.filters["rfc822"] = rfc822
    env.filters["xml_text"] = xml_text
    env.filters["place"] = place
    env.globals["memo"] = Memo()
    return env


class Memo:
    """`{% call memo(name, key...) %}...{% endcall %}`: the block's HTML rendered once per
    build (per process) for each key, for what many pages share, such as the navigation.

    The key must name everything the block reads that differs between pages: the site model
    does not change during a build. Each output that takes the saved HTML still records the
    dependency keys the block recorded, so incremental builds stay exact.
    """

    def __init__(self) -> None:
        self._saved: dict[tuple[Any, ...], tuple[str, frozenset[keys.Key]]] = {}

    def __call__(self, *key: Any, caller: Any) -> Markup:
        key = (CURRENT_LANGUAGE.get(), *key)  # the same block differs between languages
        saved = self._saved.get(key)
        if saved is None:
            with tracking() as deps:
                html = caller()
            saved = self._saved[key] = (html, frozenset(deps))
        record_all(saved[1])
        return Markup(saved[0])


def place(url: str, urls: Any, leave_out: str | None = None) -> tuple[int, ...]:
    """Where `url` stands among `urls` (URLs, or items with a `url` such as menu entries),
    leaving out any equal to `leave_out`: for each, 2 when it is that URL, 1 when it is under
    it, else 0 (a `memo` key for navigation that marks the current entry)."""
    found = (u if isinstance(u, str) else u.url for u in urls)
    return tuple(2 if url == u else 1 if url.startswith(u) else 0
                 for u in map(str, found) if u != leave_out)


_UNPADDED = re.compile(r"%-([dmHIMSjy])")


#: The numbers of the unpadded codes, from a date or datetime (a date's time is midnight).
_UNPADDED_NUMBER: dict[str, Callable[[Any], int]] = {
    "d": lambda v: v.day, "m": lambda v: v.month, "y": lambda v: v.year % 100,
    "j": lambda v: v.timetuple().tm_yday, "H": lambda v: getattr(v, "hour", 0),
    "I": lambda v: getattr(v, "hour", 0) % 12 or 12, "M": lambda v: getattr(v, "minute", 0),
    "S": lambda v: getattr(v, "second", 0),
}
#: Where an unpadded number goes in the text strftime made (a character no format holds).
_SLOT = "\x01"


@functools.lru_cache(maxsize=64)
def _unpadded_format(fmt: str) -> tuple[str, tuple[str, ...]] | None:
    """fmt with a slot in place of each `%-X`, and the X's in order; None for a format this
    cannot split safely (with `%%` or the slot character in it)."""
    if "%%" in fmt or _SLOT in fmt:
        return None
    codes: list[str] = []

    def slot(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return _SLOT

    return _UNPADDED.sub(slot, fmt), tuple(codes)


def format_date(value: datetime | None, fmt: str = "%B %-d, %Y") -> str:
    """Format a date for people: strftime's format, where `%-d` (and `%-m`, `%-H`, ...) is
    the number without zero padding on every platform."""
    if value is None:
        return ""
    if "%-" not in fmt:
        return value.strftime(fmt)
    split = _unpadded_format(fmt)
    if split is None:
        fmt = _UNPADDED.sub(lambda m: str(int(value.strftime("%" + m.group(1)))).replace(
            "%", "%%"), fmt)
        return value.strftime(fmt)
    plain, codes = split
    text = value.strftime(plain)
    for code in codes:  # every page's date on every list: one strftime, not one per code
        text = text.replace(_SLOT, str(_UNPADDED_NUMBER[code](value)), 1)
    return text


def rfc822(value: datetime | str) -> str:
    """Format a datetime (or an RFC 3339 string) the way RSS wants it:
    `Mon, 02 Mar 2026 10:30:00 +0000`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(to_datetime(value))


#: Characters XML 1.0 cannot carry, not even as character references.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_non_xml(text: str) -> str:
    """The text without the control characters (and non-characters) XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


def xml_text(value: object) -> Markup:
    """Any value as XML character data: markup escaped too (so HTML survives as the text of
    `<content type="html">`), forbidden control characters dropped."""
    return escape(strip_non_xml(str(value)))


def describe_template_error(exc: BaseException, config: Config, *, rendering: str) -> TemplateError:
    """Turn any exception raised by Jinja into a TemplateError naming template, line and page."""
    if isinstance(exc, TemplateError):
        if exc.path is not None:
            return exc
        # Raised by a helper the template called (`image()`, `asset()`): where it was called.
        where, line = _template_frame(exc, config)
        return TemplateError(f"{exc.message} (while rendering {rendering})", path=where,
                             line=line)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(f"template syntax error: {exc.message}",
                             path=_display(exc.filename or exc.name or "?", config),
                             line=exc.lineno)
    if isinstance(exc, jinja2.TemplateNotFound):
        names = ", ".join(getattr(exc, "templates", None) or [exc.name or "?"])
        return TemplateError(
            f"template '{names}' not found (looked in templates/ and "
            f"{_display(str(config.theme_dir / 'templates'), config)}/)",
            path=rendering,
        )
    if isinstance(exc, RecursionError):
        message = ("templates call each other without end or too deeply (a recursive include, "
                   "extends or macro)")
    elif isinstance(exc, jinja2.UndefinedError):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    where, line = _template_frame(exc, config)
    return TemplateError(f"{message} (while rendering {rendering})", path=where, line=line)


def _template_frame(exc: BaseException, config: Config) -> tuple[str, int | None]:
    roots = [str(p) for p in template_dirs(config)]
    found: tuple[str, int | None] = ("templates", None)
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if any(filename.startswith(root) for root in roots):
            found = (_display(filename, config), line)
    return found


def _display(filename: str, config: Config) -> str:
    path = Path(filename)
    for root in (config.site_dir, config.theme_dir.parent.parent):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return filename


class ShortcodeRenderer:
    """Renders shortcode calls with `shortcodes/NAME.html` templates."""

    def __init__(self, config: Config):
        self.config = config
        self.env = make_environment(config)
        self.used: set[str] = set()

    def __call__(self, call: Call, body: str | None, doc: Document) -> str:
        """The HTML of one call in doc; errors name the page and the line of the call."""
        where = doc.source.display
        name = f"shortcodes/{call.name}.html"
        self.used.add(name)
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            raise ContentError(f"unknown shortcode '{call.name}' (no templates/{name})",
                               path=where, line=call.line) from None
        except Exception as exc:
            raise describe_template_error(exc, self.config, rendering=where) from exc
        context = {
            **call.kwargs,
            "args": {"named": call.kwargs, "positional": call.positional},
            "body": Markup(body) if body is not None else None,
            "page": {"title": doc.front.title, "src_path": where, "extra": doc.front.extra},
            "site": {"title": self.config.title, "base_path": self.config.base_path,
                     "extra": self.config.extra},
        }
        with tracking() as deps:
            try:
                html = template.render(context)
            except Exception as exc:
                raise describe_template_error(
                    exc, self.config, rendering=f"{where}:{call.line}") from exc
        self.used.update(keys.template_names(deps))
        return html.strip()
