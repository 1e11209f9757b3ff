"""Code blocks (fence options, language, palettes), math as MathML, Mermaid diagram sources."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Site, html_text, write_files
from ssg.config import load_config
from ssg.errors import SsgError
from ssg.stages.math import MathProblem, to_mathml

# --- code blocks ----------------------------------------------------------------------------


def test_pymdown_fence_options_work_with_plain_fenced_code(make_site: Callable[..., Site]
                                                           ) -> None:
    site = make_site({"content/p.md": '```python linenums="7" hl_lines="2" title="app.py"\n'
                                      "a = 1\nb = 2\nc = 3\n```\n"})
    html = site.read("p/index.html")
    assert 'data-lang="Python"' in html
    assert '<span class="filename">app.py</span><pre tabindex="0">' in html  # scrolls by keys
    numbers = re.findall(r'<span class="linenos">\s*(\d+)</span>', html)
    assert numbers == ["7", "8", "9"]  # inline numbers from linenums="7"
    marked = re.findall(r'<span class="hll">(.*?)</span>\n?</span>', html, re.DOTALL)
    assert len(marked) == 1 and "b" in html_text(marked[0]) and "a" not in html_text(marked[0])


def test_python_markdown_brace_form_gets_the_same_options(make_site: Callable[..., Site]
                                                          ) -> None:
    site = make_site({"content/p.md": '``` { .toml linenums="3" hl_lines="1" }\nx = 1\n```\n'})
    html = site.read("p/index.html")
    assert 'data-lang="TOML"' in html and '<span class="hll">' in html
    assert re.search(r'<span class="linenos">\s*3</span>', html)


def test_plain_text_blocks_have_no_language_label(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/p.md": "```\nplain\n```\n\n```text\nalso plain\n```\n"})
    html = site.read("p/index.html")
    assert html.count('<div class="highlight">') == 2 and "data-lang" not in html


def test_highlight_css_has_the_light_and_dark_palettes(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/p.md": "x\n"})
    css = site.read("highlight.css").lower()
    light, _, dark = css.partition("@media (prefers-color-scheme: dark)")
    assert re.search(r"\.highlight \.k \{ color: #cf222e", light)  # ssg-light's keywords
    assert re.search(r"\.highlight \.hll \{ background-color: #fff1b8", light)
    assert re.search(r"\.highlight \.hll \{ background-color: #2d333b", dark)  # ssg-dark


def test_a_pygments_palette_can_be_chosen(make_site: Callable[..., Site], tmp_path: Path
                                          ) -> None:
    site = make_site({"ssg.toml": '[markdown]\nhighlight_style = "xcode"\n',
                      "content/p.md": "x\n"})
    assert "#a90d91" in site.read("highlight.css").lower().partition("@media")[0]  # xcode's
    write_files(tmp_path / "bad", {"ssg.toml": '[markdown]\nhighlight_style = "nope"\n'})
    with pytest.raises(SsgError, match="unknown Pygments style 'nope'"):
        load_config(tmp_path / "bad")


def test_the_code_formatter_gives_each_palette_its_own_colours_inline() -> None:
    # The formatter keeps what it worked out of a palette for the next block: never another's.
    from pygments import highlight
    from pygments.lexers import PythonLexer

    from ssg.highlight import CodeFormatter, style

    for name, keyword in (("xcode", "#a90d91"), ("ssg-light", "#cf222e"), ("xcode", "#a90d91")):
        html = highlight("def f(): pass\n", PythonLexer(),
                         CodeFormatter(style=style(name), noclasses=True)).lower()
        assert f"color: {keyword}" in html and 'data-lang' not in html


def test_every_page_loads_the_code_script_and_content_styles(make_site: Callable[..., Site]
                                                             ) -> None:
    site = make_site({"content/p.md": "x\n"})
    html = site.read("p/index.html")
    assert re.search(r'<script src="/js/code\.[0-9a-f]+\.js" defer>', html)
    assert re.search(r'<link rel="stylesheet" href="/css/content\.[0-9a-f]+\.css"', html)


# --- Mermaid --------------------------------------------------------------------------------

DIAGRAM = "```mermaid\ngraph TD\n  A-->B\n```\n"
MERMAID = Path(__file__).resolve().parent.parent / "themes/default/assets/js/mermaid.min.js"


def test_mermaid_blocks_are_diagram_sources_and_load_mermaid(make_site: Callable[..., Site]
                                                            ) -> None:
    site = make_site({"content/d.md": DIAGRAM, "content/plain.md": "No diagram.\n"})
    html = site.read("d/index.html")
    assert '<pre class="mermaid">graph TD\n  A--&gt;B</pre>' in html
    script = re.search(r'<script src="/(js/mermaid\.min\.[0-9a-f]+\.js)" defer>', html)
    assert script and "/js/diagrams." in html
    assert (site.out / script.group(1)).read_bytes() == MERMAID.read_bytes()
    assert "mermaid" not in site.read("plain/index.html")
    assert "mermaid.min" not in site.read("index.html")


def test_a_site_without_diagrams_does_not_publish_mermaid(make_site: Callable[..., Site]
                                                          ) -> None:
    site = make_site({"content/p.md": "No diagram.\n"})
    assert not [p for p in site.out.rglob("*mermaid*")]


def test_a_section_page_with_a_diagram_loads_mermaid(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/docs/_index.md": "---\ntitle: Docs\n---\n" + DIAGRAM,
                      "content/docs/a.md": "x\n"})
    assert "/js/mermaid.min." in site.read("docs/index.html")
    assert "mermaid.min." not in site.read("docs/a/index.html")


def test_a_mermaid_example_inside_a_longer_fence_stays_code(make_site: Callable[..., Site]
                                                           ) -> None:
    site = make_site({"content/p.md": "````markdown\n" + DIAGRAM + "````\n"})
    html = site.read("p/index.html")
    assert 'class="mermaid"' not in html and "mermaid.min." not in html
    assert "```mermaid" in html_text(html)


def test_diagrams_can_be_turned_off(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": "[markdown]\ndiagrams = false\n", "content/d.md": DIAGRAM})
    html = site.read("d/index.html")
    assert 'class="mermaid"' not in html and "mermaid.min." not in html


def test_a_diagram_added_later_loads_mermaid_on_an_incremental_build(
        make_site: Callable[..., Site]) -> None:
    site = make_site({"content/d.md": "Soon a diagram.\n"})
    assert "mermaid.min." not in site.read("d/index.html")
    site.write({"content/d.md": "Soon a diagram.\n\n" + DIAGRAM})
    site.build()
    assert "mermaid.min." in site.read("d/index.html")


def test_minify_leaves_the_vendored_mermaid_as_it_is(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/d.md": DIAGRAM}, minify=True)
    [published] = site.out.glob("js/mermaid.min.*.js")
    assert published.read_bytes() == MERMAID.read_bytes()


# --- math -----------------------------------------------------------------------------------

def body(site: Site, page: str = "m/index.html") -> str:
    html = site.read(page)
    start = html.index('class="prose"')
    return html[start:html.index("</article>", start)]


def test_inline_and_display_math_become_mathml(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/m.md": "Euler: $e^{i\\pi} + 1 = 0$.\n\n"
                                      "$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n\n"
                                      "Inline display $$a^2$$ too.\n"})
    html = body(site)
    assert html.count("<math") == 3
    assert 'display="inline"' in html and html.count('display="block"') == 2
    assert "<mfrac>" in html and "<msup>" in html
    assert "$" not in html_text(html)


def test_display_math_may_hold_blank_lines(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/m.md": "$$\na = 1\n\n\\\\\n\nb = 2\n$$\n\nAfter.\n"})
    html = body(site)
    assert html.count("<math") == 1 and "After." in html


PROSE_DOLLARS = [
    "It costs $5 and $10.",
    "Between $20,000 and $30,000 a year.",
    "Pay $5.99, or $3.",
    "From $5-$10 each.",
    "A lone $ sign and another $ here.",
    "Escaped \\$x\\$ is text.",
    "Code `$x$` is code.",
]


@pytest.mark.parametrize("text", PROSE_DOLLARS)
def test_dollars_in_prose_are_not_math(make_site: Callable[..., Site], text: str) -> None:
    site = make_site({"content/m.md": text + "\n"})
    html = body(site)
    assert "<math" not in html
    assert html_text(html).count("$") == text.replace("\\$", "$").count("$")


def test_prices_and_math_in_one_paragraph(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/m.md": "It costs $5 and the formula $x+1$ is math.\n"})
    html = body(site)
    assert html.count("<math") == 1 and "It costs $5 and the formula" in html_text(html)


def test_math_can_be_turned_off(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": "[markdown]\nmath = false\n", "content/m.md": "$x^2$\n"})
    assert "<math" not in body(site) and "$x^2$" in html_text(body(site))


@pytest.mark.parametrize("latex", ["\\frac{1}{", "x^", "\\notacommand x", "a}"])
def test_bad_latex_is_a_problem(latex: str) -> None:
    with pytest.raises(MathProblem):
        to_mathml(latex, display=False)


def test_bad_latex_is_a_warning_with_file_and_line_and_shown_as_code(
        make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture) -> None:
    site = make_site({"content/m.md": "---\ntitle: M\n---\nFine $x$.\n\n"
                                      "Broken $\\frac{1}{$ here.\n"})
    html = body(site)
    assert '<code class="math-error">$\\frac{1}{$</code>' in html
    assert html.count("<math") == 1
    warnings = [r.getMessage() for r in ssg_log.records if r.levelno == logging.WARNING]
    assert any(w.startswith("content/m.md:6: bad LaTeX") and "\\frac{1}{" in w
               for w in warnings), warnings
    ssg_log.clear()
    site.build()  # the page is reused from the cache: the warning still comes
    warnings = [r.getMessage() for r in ssg_log.records if r.levelno == logging.WARNING]
    assert any(w.startswith("content/m.md:6: bad LaTeX") for w in warnings), warnings


def test_bad_display_latex_is_shown_as_a_code_block(make_site: Callable[..., Site],
                                                   ssg_log: pytest.LogCaptureFixture) -> None:
    site = make_site({"content/m.md": "Intro.\n\n$$\n\\left( x\n$$\n"})
    html = body(site)
    assert '<pre class="math-error"><code>' in html and "\\left( x" in html_text(html)
    assert any("content/m.md:3: bad LaTeX" in r.getMessage() for r in ssg_log.records)


def test_bad_latex_fails_a_strict_build(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/m.md": "x\n\n$y^$\n"}, build=False)
    with pytest.raises(SsgError, match=r"content/m.md:3: bad LaTeX"):
        site.build(strict=True)


def test_math_inside_a_paired_shortcode_is_rendered(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "templates/shortcodes/box.html": '<div class="box">{{ body }}</div>',
        "content/m.md": "{{< box >}}\nInside $a+b$ and $\\frac{1}{$.\n{{< /box >}}\n",
    })
    html = body(site)
    assert "<math" in html and 'class="math-error"' in html
