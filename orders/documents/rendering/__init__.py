"""PDF rendering of trade documents with ReportLab: one module per kind, one shared layout.

``render(kind=..., context=...)`` returns the PDF bytes.
"""

from collections.abc import Callable

from orders.documents.enums import DocumentKind
from orders.documents.rendering import (
    certificate_of_origin,
    commercial_invoice,
    packing_list,
    proforma_invoice,
)
from orders.documents.rendering.fonts import fonts_register
from orders.documents.rendering.layout import RenderContext

RENDERERS: dict[str, Callable[[RenderContext], bytes]] = {
    DocumentKind.PROFORMA_INVOICE: proforma_invoice.render,
    DocumentKind.COMMERCIAL_INVOICE: commercial_invoice.render,
    DocumentKind.PACKING_LIST: packing_list.render,
    DocumentKind.CERTIFICATE_OF_ORIGIN: certificate_of_origin.render,
}


class RenderError(Exception):
    """The PDF could not be drawn (bad data, fonts missing); the document is marked failed."""


def render(*, kind: str, context: RenderContext) -> bytes:
    fonts_register()  # paragraphs resolve their fonts as they are built
    return RENDERERS[kind](context)


__all__ = ["RENDERERS", "RenderContext", "RenderError", "render"]
