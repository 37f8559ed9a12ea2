"""Descriptions: Markdown structure renders, raw HTML never does."""

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from listings.markdown import render_description


def test_markdown_renders_emphasis_lists_and_demoted_headings():
    html = render_description("# Specs\n\n**A2-70** stainless\n\n- M8\n- M10")

    assert isinstance(html, SafeString)
    assert html == (
        "<h3>Specs</h3>\n<p><strong>A2-70</strong> stainless</p>\n<ul>\n<li>M8</li>\n"
        "<li>M10</li>\n</ul>"
    )


def test_raw_html_is_shown_as_text_never_rendered():
    html = render_description('Hello <script>alert("x")</script> <b onclick="y">bold</b>')

    assert html == (
        '<p>Hello &lt;script&gt;alert("x")&lt;/script&gt; &lt;b onclick="y"&gt;bold&lt;/b&gt;</p>'
    )


def test_an_html_block_is_escaped():
    html = render_description('<div style="position:fixed">Win a prize</div>')

    assert html == '<p>&lt;div style="position:fixed"&gt;Win a prize&lt;/div&gt;</p>'


def test_links_get_nofollow_noopener_and_javascript_urls_lose_their_href():
    html = render_description("[catalogue](https://example.com/c) and [x](javascript:alert(1))")

    assert html == (
        '<p><a href="https://example.com/c" rel="nofollow noopener">catalogue</a> and '
        '<a rel="nofollow noopener">x</a></p>'
    )


def test_images_in_markdown_are_dropped():
    html = render_description("![tracker](https://evil.example/pixel.gif)")

    assert html == "<p></p>"


def test_ampersands_and_code_are_escaped_once():
    assert render_description("Nuts & bolts: `a < b`") == (
        "<p>Nuts &amp; bolts: <code>a &lt; b</code></p>"
    )


def test_a_table_renders():
    html = render_description("| Size | Pcs |\n|---|---|\n| M8 | 500 |")
    assert "<table>" in html and "<td>M8</td>" in html


def test_an_empty_description_is_empty():
    assert render_description("") == ""
    assert render_description("   \n") == ""


def test_plain_prose_comes_out_as_its_paragraphs_like_markdown_makes_it():
    from listings.markdown import _converted

    text = (
        "Farmed squid rings for online shops. Competitive price; private label (OEM) available.\n"
        "Packed in 25 kg bags, 100% checked: ships from Guangzhou/Ningbo within 28 days!\n"
        "\n\n"
        'Café-grade "A" quality, 5+1 = 6 pallets? Visit http://example.com/a or mail: a.b\n'
    )

    assert (
        render_description(text)
        == _converted(text)
        == (
            "<p>Farmed squid rings for online shops. Competitive price; private label (OEM) "
            "available.\nPacked in 25 kg bags, 100% checked: ships from Guangzhou/Ningbo within "
            '28 days!</p>\n<p>Café-grade "A" quality, 5+1 = 6 pallets? Visit http://example.com/a '
            "or mail: a.b</p>"
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        "1. First\n2. Second",
        "Line with two spaces  \nbreaks",
        "Heading\n=======",
        "Heading\n-------",
        "Nuts & bolts",
        "snake_case and *stars*",
        "    indented code",
        "Tab\there",
        "A line\r\nwith CR",
        "Non\u00a0breaking",
        "Pipes | here",
    ],
)
def test_anything_but_plain_prose_goes_through_markdown(text):
    from listings.markdown import _converted, _plain_paragraphs

    assert _plain_paragraphs(text) is None
    assert render_description(text) == _converted(text)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"abcXYZáõńß09 ,.;:!?'\"()%/+=-", "\n", "\n\n", "  ", "*", "_", "#", "&", "<"]
        ),
        max_size=40,
    ).map("".join)
)
def test_plain_prose_is_what_markdown_and_nh3_make_of_it(text):
    from listings.markdown import _converted, _plain_paragraphs

    plain = _plain_paragraphs(text)
    if plain is not None and text.strip():
        assert plain == _converted(text)
