"""Practice bodies: Markdown rendered to HTML that is safe to put in a page.

CommonMark (markdown-it-py) with raw HTML disabled, plus tables and strikethrough; the
result then goes through nh3 (the Ammonia sanitiser) with a short allow-list: no script,
style, iframe, image, form or event attribute survives, links keep only ``http``,
``https`` and ``mailto`` and get ``rel="noopener noreferrer nofollow"``. Both steps run,
so a bug in one is caught by the other.

>>> render_markdown("**Two-person** rule <script>alert(1)</script>")
'<p><strong>Two-person</strong> rule &lt;script&gt;alert(1)&lt;/script&gt;</p>\\n'
>>> render_markdown("[x](javascript:alert(1))")
'<p>[x](javascript:alert(1))</p>\\n'
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_TAGS", "render_markdown"]

ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}}


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> str:
    """Safe HTML for a Markdown body (see the module docstring)."""
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
