"""What the templates may not do: mark anything safe, turn escaping off outside plain-text
emails, or carry inline script, inline event handlers or inline styles (the CSP allows none)."""

import re
from pathlib import Path

from django import forms
from django.conf import settings
from django.template.loader import render_to_string

from listings.forms import ListingForm

TEMPLATES = sorted(
    path
    for root in [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/**/templates")]
    if ".venv" not in root.parts
    for path in Path(root).rglob("*")
    if path.suffix in {".html", ".txt"}
)
HTML_TEMPLATES = [path for path in TEMPLATES if path.suffix == ".html"]


def _offending(pattern: str, paths: list[Path]) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if regex.search(line)
    ]


def test_the_templates_are_found():
    names = {path.relative_to(settings.BASE_DIR).as_posix() for path in TEMPLATES}
    assert "templates/includes/field.html" in names
    assert "templates/emails/orders/order_event.txt" in names
    assert "payments/ledger/templates/admin/ledger/ledgeraccount/change_list.html" in names


def test_no_template_marks_anything_safe():
    assert _offending(r"\|\s*safe|safeseq", TEMPLATES) == []


def test_escaping_is_off_only_in_plain_text_emails():
    turned_off = _offending(r"{%\s*autoescape\s+off", TEMPLATES)
    assert turned_off
    assert [place for place in turned_off if not place.startswith("templates/emails/")] == []
    assert [place for place in turned_off if ".txt:" not in place] == []


def test_no_inline_script_handler_or_style_in_html_templates():
    assert _offending(r"<script(?![^>]*\bsrc=)[^>]*>", HTML_TEMPLATES) == []
    assert _offending(r"<style\b", HTML_TEMPLATES) == []
    assert _offending(r"\sstyle\s*=", HTML_TEMPLATES) == []
    assert _offending(r"\son[a-z]+\s*=", HTML_TEMPLATES) == []
    assert _offending(r"javascript:", HTML_TEMPLATES) == []


class _HelpForm(forms.Form):
    name = forms.CharField(help_text='Names like "<b>Acme</b> & Co" are fine.')


def test_the_field_template_escapes_help_texts():
    html = render_to_string("includes/field.html", {"field": _HelpForm()["name"]})

    assert (
        '<p class="help" id="id_name_helptext">'
        "Names like &quot;&lt;b&gt;Acme&lt;/b&gt; &amp; Co&quot; are fine.</p>"
    ) in html


def test_a_constant_help_text_marked_safe_where_it_is_written_keeps_its_link():
    form = ListingForm(categories=[])

    html = render_to_string("includes/field.html", {"field": form["hs_code"]})

    assert (
        '<a href="/api/v1/hs-codes/?q=bolts" target="_blank" rel="noopener">'
        "the HS code search</a> (/api/v1/hs-codes/?q=<i>word</i>)."
    ) in html
