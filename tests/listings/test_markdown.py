"""Descriptions: Markdown structure renders, raw HTML never does."""

from django.utils.safestring import SafeString

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
