"""The layout every trade document shares: A4, a header with the title, the number and the
QR code of the verification page, party blocks, tables with repeated headers, and a footer on
every page with the verification code and the page number."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import qrcode
import qrcode.constants
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from marketplace.trade.money import Money
from orders.documents.data import (
    CM3_PER_M3,
    GRAMS_PER_KG,
    DocumentData,
    InvoiceReference,
    PartyData,
)
from orders.documents.rendering.fonts import SANS, SANS_BOLD, fonts_register, markup, needs_fallback

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 26 * mm
GRID = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#eef1f4")


@dataclass(frozen=True)
class RenderContext:
    """What a renderer needs: the data, and the identity the service gave the document."""

    title: str
    number: str
    version: int
    issued_on: date
    verification_code: str
    verify_url: str
    platform_name: str
    data: DocumentData
    invoice: InvoiceReference | None = None


STYLES = {
    "body": ParagraphStyle("body", fontName=SANS, fontSize=8.5, leading=11),
    "small": ParagraphStyle("small", fontName=SANS, fontSize=7.5, leading=9.5),
    "cell": ParagraphStyle("cell", fontName=SANS, fontSize=7.5, leading=9.5),
    "cell_right": ParagraphStyle(
        "cell_right", fontName=SANS, fontSize=7.5, leading=9.5, alignment=TA_RIGHT
    ),
    "label": ParagraphStyle(
        "label", fontName=SANS_BOLD, fontSize=7, leading=9, textColor=colors.HexColor("#4a5560")
    ),
    "title": ParagraphStyle("title", fontName=SANS_BOLD, fontSize=15, leading=19),
    "subtitle": ParagraphStyle("subtitle", fontName=SANS, fontSize=8.5, leading=11),
    "h2": ParagraphStyle("h2", fontName=SANS_BOLD, fontSize=9.5, leading=13, spaceBefore=6),
    "notice": ParagraphStyle(
        "notice",
        fontName=SANS_BOLD,
        fontSize=9,
        leading=12,
        borderColor=colors.black,
        borderWidth=1,
        borderPadding=5,
        backColor=SHADE,
    ),
}


# --- formatting: one place, so every document shows a figure the same way --------------


def money(minor: int, currency: str) -> str:
    """``USD 1,234.56`` (the currency's own exponent: JPY 0, KWD 3)."""
    return str(Money.from_minor_units(minor, currency))


def unit_price(value: Decimal) -> str:
    return f"{value:,.4f}"


def quantity(value: int) -> str:
    return f"{value:,}"


def kilograms(grams: int) -> str:
    """``1,234.567 kg``: to the gram."""
    return f"{Decimal(grams) / GRAMS_PER_KG:,.3f} kg"


def cubic_metres(cm3: Decimal) -> str:
    """``0.013 m³`` (to the litre, half up)."""
    m3 = (cm3 / CM3_PER_M3).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return f"{m3:,.3f} m³"


def dimensions(length: Decimal, width: Decimal, height: Decimal) -> str:
    return f"{length} × {width} × {height} cm"


def day(value: date) -> str:
    return value.isoformat()


# --- flowables --------------------------------------------------------------------------


def para(text: str, style: str = "body", *, bold: bool = False) -> Paragraph:
    return Paragraph(markup(text, bold=bold), STYLES[style])


def cell(text: str, *, right: bool = False) -> str | Paragraph:
    """A table cell: a plain string when the primary font has every glyph (fast), else a
    paragraph with per-script font runs."""
    if not needs_fallback(text) and len(text) < 40:
        return text
    return para(text, "cell_right" if right else "cell")


def party_block(label: str, party: PartyData, *, show_ids: bool = True) -> list[Flowable]:
    rows: list[Flowable] = [para(label, "label"), para(party.name, bold=True)]
    rows += [para(line) for line in party.address]
    rows.append(para(party.country_name))
    if show_ids:
        if party.tax_id:
            rows.append(para(f"Tax id: {party.tax_id}"))
        if party.registration_number:
            rows.append(para(f"Registration no.: {party.registration_number}"))
        if party.eori_number:
            rows.append(para(f"EORI: {party.eori_number}"))
    return rows


def boxes(columns: Sequence[Sequence[Flowable]]) -> Table:
    """Blocks side by side in bordered boxes (parties, references)."""
    width = CONTENT_WIDTH / len(columns)
    table = Table([list(columns)], colWidths=[width] * len(columns))
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, GRID),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def facts(pairs: Sequence[tuple[str, str | Sequence[str]]]) -> list[Flowable]:
    """Label/value lines for a box; a value of several lines (marks) is drawn line by line,
    so a right-to-left name is never reordered with the text around it."""
    out: list[Flowable] = []
    for label, value in pairs:
        out.append(para(label, "label"))
        out += [para(value)] if isinstance(value, str) else [para(line) for line in value]
    return out


def grid(
    header: Sequence[str],
    rows: Sequence[Sequence[str | Paragraph]],
    widths: Sequence[float],
    *,
    right_from: int,
    totals: Sequence[str | Paragraph] | None = None,
) -> Table:
    """A table with the header repeated on every page; columns from ``right_from`` on are
    figures, right-aligned."""
    data: list[Sequence[str | Paragraph]] = [list(header), *rows]
    if totals is not None:
        data.append(list(totals))
    scale = CONTENT_WIDTH / sum(widths)
    table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), SANS, 7.5),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 7),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (right_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if totals is not None:
        style += [
            ("FONT", (0, -1), (-1, -1), SANS_BOLD, 7.5),
            ("BACKGROUND", (0, -1), (-1, -1), SHADE),
        ]
    table.setStyle(TableStyle(style))
    return table


def amounts_table(pairs: Sequence[tuple[str, str]], *, strong_last: bool = True) -> Table:
    """Charges and totals, right-aligned under the lines."""
    table = Table([list(p) for p in pairs], colWidths=[55 * mm, 40 * mm], hAlign="RIGHT")
    style = [
        ("FONT", (0, 0), (-1, -1), SANS, 8.5),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if strong_last:
        style.append(("FONT", (0, -1), (-1, -1), SANS_BOLD, 9))
    table.setStyle(TableStyle(style))
    return table


class QrCode(Flowable):
    """The verification URL as a QR code: one filled path of the dark modules, row runs
    merged (the ``qrcode`` package computes the matrix; drawing it this way is fast)."""

    def __init__(self, url: str, size: float = QR_SIZE):
        super().__init__()
        # A fixed mask: choosing the best of eight costs more than the whole page otherwise.
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=0
        )
        code.add_data(url)
        code.make(fit=True)
        self.matrix = code.get_matrix()
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        modules = len(self.matrix)
        step = self.size / modules
        path = self.canv.beginPath()
        for row, cells in enumerate(self.matrix):
            y = self.size - (row + 1) * step
            start = None
            for col, dark in enumerate([*cells, False]):
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    path.rect(start * step, y, (col - start) * step, step)
                    start = None
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def header(context: RenderContext, *, subtitle: str = "") -> Table:
    left: list[Flowable] = [para(context.platform_name, "label"), para(context.title, "title")]
    if subtitle:
        left.append(para(subtitle, "subtitle"))
    left += [
        Spacer(1, 3),
        para(f"No. {context.number}", bold=True),
        para(f"Date: {day(context.issued_on)}"),
    ]
    if context.version > 1:
        left.append(para(f"Version {context.version} (replaces earlier versions)"))
    right = [
        QrCode(context.verify_url),
        para("Verification code", "label"),
        para(context.verification_code, bold=True),
    ]
    table = Table([[left, right]], colWidths=[CONTENT_WIDTH - QR_SIZE - 6 * mm, QR_SIZE + 6 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -1), 1, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def declaration(title: str, text: str, signer: str) -> KeepTogether:
    return KeepTogether(
        [
            para(title, "h2"),
            para(text),
            Spacer(1, 14),
            para(f"For and on behalf of {signer}", "small"),
            para("Place and date: ____________________   Signature: ____________________", "small"),
        ]
    )


def build(context: RenderContext, story: list[Flowable]) -> bytes:
    """Lay ``story`` out on A4 with the footer on every page; the PDF's bytes."""
    fonts_register()
    buffer = io.BytesIO()

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(SANS, 7)
        canvas.setFillColor(colors.HexColor("#4a5560"))
        canvas.drawString(
            MARGIN,
            9 * mm,
            f"{context.title} {context.number} · verification code "
            f"{context.verification_code} · {context.verify_url}",
        )
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{context.title} {context.number}",
        author=context.data.seller.name,
        subject=f"Order {context.data.order_number}",
        creator=context.platform_name,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
