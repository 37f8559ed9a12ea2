"""Fonts for names and addresses in any script, and the per-character fallback between them.

ReportLab embeds TrueType fonts only (CFF-outline .otf/.ttc such as Noto Sans CJK cannot be
used), so the documents use Debian's TrueType files (``make fonts`` installs them):

- Noto Sans (fonts-noto-core): Latin with diacritics, Cyrillic, Greek — the primary font;
- Noto Sans Arabic (fonts-noto-core): Arabic, including the presentation forms;
- WenQuanYi Zen Hei (fonts-wqy-zenhei): Chinese (simplified and traditional) and Japanese
  kana and kanji; it has a single weight, bold runs use it too.

Every embedded subset carries a ToUnicode map, so text extracts back. Arabic is shaped
(arabic-reshaper: contextual forms and the lam-alef ligature) and put in visual order
(python-bidi) before it is drawn: pypdf extracts an Arabic run as those presentation forms in
logical order, and ``unicodedata.normalize("NFKC", extracted)`` is the original string for
Arabic letters and spaces (digits inside an Arabic run come out reversed by pypdf).
"""

import unicodedata
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DocSans"
SANS_BOLD = "DocSans-Bold"
ARABIC = "DocArabic"
ARABIC_BOLD = "DocArabic-Bold"
CJK = "DocCJK"

NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
WQY_DIR = Path("/usr/share/fonts/truetype/wqy")
FONT_FILES: dict[str, tuple[Path, int]] = {
    SANS: (NOTO_DIR / "NotoSans-Regular.ttf", 0),
    SANS_BOLD: (NOTO_DIR / "NotoSans-Bold.ttf", 0),
    ARABIC: (NOTO_DIR / "NotoSansArabic-Regular.ttf", 0),
    ARABIC_BOLD: (NOTO_DIR / "NotoSansArabic-Bold.ttf", 0),
    CJK: (WQY_DIR / "wqy-zenhei.ttc", 0),
}


class FontsMissing(RuntimeError):
    """The Debian font packages are not installed (``make fonts``)."""


@lru_cache(maxsize=1)
def fonts_register() -> dict[str, frozenset[int]]:
    """Register the fonts once per process; returns each font's covered code points."""
    missing = [str(path) for path, _ in FONT_FILES.values() if not path.exists()]
    if missing:
        raise FontsMissing(
            "Fonts for trade documents are missing: "
            + ", ".join(missing)
            + ". Install fonts-noto-core and fonts-wqy-zenhei (make fonts)."
        )
    coverage: dict[str, frozenset[int]] = {}
    for name, (path, index) in FONT_FILES.items():
        font = TTFont(name, str(path), subfontIndex=index)
        pdfmetrics.registerFont(font)
        coverage[name] = frozenset(font.face.charToGlyph)
    # Paragraph markup asks for a family's bold and italic; italics are drawn upright.
    for family, bold in ((SANS, SANS_BOLD), (ARABIC, ARABIC_BOLD), (CJK, CJK)):
        registerFontFamily(family, normal=family, bold=bold, italic=family, boldItalic=bold)
        if bold != family:
            registerFontFamily(bold, normal=bold, bold=bold, italic=bold, boldItalic=bold)
    return coverage


def _is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _visual(text: str) -> str:
    """Arabic shaped and in visual order; any other text unchanged."""
    if not any(_is_rtl(c) for c in text):
        return text
    return get_display(arabic_reshaper.reshape(text))


def _font_for(char: str, coverage: dict[str, frozenset[int]], bold: bool) -> str:
    code = ord(char)
    if code in coverage[SANS] or char.isspace():
        return SANS_BOLD if bold else SANS
    if code in coverage[ARABIC]:
        return ARABIC_BOLD if bold else ARABIC
    if code in coverage[CJK]:
        return CJK
    return SANS_BOLD if bold else SANS


def needs_fallback(text: str) -> bool:
    """Whether ``text`` has characters the primary font lacks (or right-to-left text)."""
    if text.isascii():
        return False
    coverage = fonts_register()[SANS]
    return any(ord(c) not in coverage or _is_rtl(c) for c in text if not c.isspace())


def markup(text: str, *, bold: bool = False) -> str:
    """Paragraph markup for ``text``: escaped, each run in a font that has its glyphs."""
    if text.isascii():
        body = escape(text)
        return f"<b>{body}</b>" if bold else body
    coverage = fonts_register()
    shown = _visual(text)
    runs: list[tuple[str, list[str]]] = []
    for char in shown:
        font = _font_for(char, coverage, bold)
        if runs and (runs[-1][0] == font or char.isspace()):
            runs[-1][1].append(char)
        else:
            runs.append((font, [char]))
    return "".join(f'<font name="{font}">{escape("".join(chars))}</font>' for font, chars in runs)
