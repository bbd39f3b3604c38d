"""Texts the municipality writes in Markdown (the group rules, the statement of intent) as HTML."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup


def _markdown() -> MarkdownIt:
    # Raw HTML in the Markdown is shown as text, and markdown-it refuses javascript: links. No
    # images: one from another site would tell it who reads the rules (a link is shown instead).
    return MarkdownIt("commonmark", {"html": False}).disable("image")


@lru_cache(maxsize=8)
def document_html(text: str, shift: int = 2) -> Markup:
    """Render a rules text (Markdown) to HTML whose headings sit under the page's own."""
    md = _markdown()
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
    return Markup(md.renderer.render(tokens, md.options, {}))
