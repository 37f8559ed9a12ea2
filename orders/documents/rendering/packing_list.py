"""Packing list: every carton with its marks, contents, weights and size; no prices."""

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from orders.documents.data import DocumentData
from orders.documents.rendering.layout import (
    RenderContext,
    boxes,
    build,
    cell,
    cubic_metres,
    dimensions,
    facts,
    grid,
    header,
    kilograms,
    para,
    party_block,
    quantity,
)


def shipping_marks(data: DocumentData) -> tuple[str, ...]:
    """The marks stencilled on every carton, line by line: consignee, order, destination,
    carton range."""
    return (
        data.consignee.name,
        data.order_number,
        data.destination_name,
        f"C/No. 1–{data.cartons_total}",
    )


def render(context: RenderContext) -> bytes:
    data = context.data
    invoice = context.invoice
    rows = []
    for line in data.lines:
        title = cell(line.title)
        carton_gross = kilograms(round(line.carton_gross_weight_kg * 1000))
        size = dimensions(line.carton_length_cm, line.carton_width_cm, line.carton_height_cm)
        for index in range(line.cartons):
            inside = min(line.units_per_carton, line.quantity - index * line.units_per_carton)
            rows.append(
                [
                    f"{line.first_carton + index}/{data.cartons_total}",
                    title,
                    line.hs_code,
                    f"{quantity(inside)} {line.unit}",
                    kilograms(round(inside * line.unit_net_weight_kg * 1000)),
                    carton_gross,
                    size,
                ]
            )
    totals = [
        f"{quantity(data.cartons_total)} ctns",
        "Total",
        "",
        quantity(data.quantity_total),
        kilograms(data.net_weight_g),
        kilograms(data.gross_weight_g),
        cubic_metres(data.volume_cm3),
    ]
    story: list[Flowable] = [
        header(context),
        Spacer(1, 4 * mm),
        boxes(
            [
                party_block("Consignor", data.seller, show_ids=False),
                party_block("Consignee", data.consignee, show_ids=False),
                facts(
                    [
                        (
                            "Commercial invoice",
                            f"{invoice.number} of {invoice.issued_on.isoformat()}"
                            if invoice
                            else "—",
                        ),
                        ("Order number", data.order_number),
                        ("Buyer's reference", data.buyer_reference or "—"),
                        ("Incoterms® 2020", f"{data.incoterm} {data.named_place}"),
                    ]
                ),
            ]
        ),
        Spacer(1, 2 * mm),
        boxes(
            [
                facts(
                    [
                        ("Number of packages", f"{quantity(data.cartons_total)} cartons"),
                        ("Total quantity", quantity(data.quantity_total)),
                    ]
                ),
                facts(
                    [
                        ("Net weight", kilograms(data.net_weight_g)),
                        ("Gross weight", kilograms(data.gross_weight_g)),
                    ]
                ),
                facts(
                    [
                        ("Total volume", cubic_metres(data.volume_cm3)),
                        ("Shipping marks", shipping_marks(data)),
                    ]
                ),
            ]
        ),
        Spacer(1, 4 * mm),
        para("Goods", "h2"),
        grid(
            ["#", "Description", "HS code", "Quantity", "Cartons", "Net weight", "Gross weight"],
            [
                [
                    str(line.position),
                    cell(line.title),
                    line.hs_code,
                    f"{quantity(line.quantity)} {line.unit}",
                    f"{line.first_carton}–{line.last_carton}",
                    kilograms(line.net_weight_g),
                    kilograms(line.gross_weight_g),
                ]
                for line in data.lines
            ],
            [6, 60, 14, 20, 16, 20, 20],
            right_from=3,
        ),
        Spacer(1, 4 * mm),
        para("Packages", "h2"),
        grid(
            ["Carton", "Contents", "HS code", "Quantity", "Net weight", "Gross weight", "Size"],
            rows,
            [14, 52, 13, 18, 19, 19, 27],
            right_from=3,
            totals=totals,
        ),
    ]
    return build(context, story)
