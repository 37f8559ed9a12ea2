"""Listing descriptions: Markdown for structure, never raw HTML.

The source's HTML is not parsed as HTML at all (Python-Markdown's HTML handling is switched
off, so ``<script>`` arrives as the text "<script>"), and the output is sanitised by nh3
against a short list of tags as a second line of defence. Headings are demoted two levels so
that a seller's "# Title" cannot compete with the page's own heading.
"""

import threading
import xml.etree.ElementTree as etree

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
_HEADING_SHIFT = 2


class _DemoteHeadings(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1].isdigit():
                element.tag = f"h{min(6, int(element.tag[1]) + _HEADING_SHIFT)}"


def _markdown_new() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # Raw HTML in the source stays text: without these, Markdown copies it through verbatim.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 0)
    return md


# Building a Markdown instance (extensions, patterns) costs more than converting a short
# description, so each thread keeps one and resets it between documents.
_per_thread = threading.local()


def _markdown() -> markdown.Markdown:
    md = getattr(_per_thread, "md", None)
    if md is None:
        md = _per_thread.md = _markdown_new()
    return md.reset()


def render_description(text: str) -> SafeString:
    """Safe HTML for a listing description written in plain text or Markdown."""
    if not text or not text.strip():
        return mark_safe("")
    html = _markdown().convert(text)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
