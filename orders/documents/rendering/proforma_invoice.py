"""Proforma invoice: the seller's offer as confirmed, what the buyer pays and on what terms."""

from datetime import timedelta

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from orders.documents.rendering.layout import (
    RenderContext,
    amounts_table,
    boxes,
    build,
    cell,
    day,
    facts,
    grid,
    header,
    kilograms,
    money,
    para,
    party_block,
    quantity,
    unit_price,
)

VALIDITY_DAYS = 30
PAYMENT_TERMS = (
    "100% in advance through the platform: the buyer pays the platform, which holds the money "
    "and releases it to the seller once the buyer accepts the goods (or the inspection "
    "window ends with no dispute)."
)


def render(context: RenderContext) -> bytes:
    data = context.data
    currency = data.currency
    story: list[Flowable] = [
        header(context),
        Spacer(1, 4 * mm),
        boxes(
            [
                party_block("Seller", data.seller),
                party_block("Buyer", data.buyer),
                facts(
                    [
                        ("Order number", data.order_number),
                        ("Buyer's reference", data.buyer_reference or "—"),
                        ("Valid until", day(context.issued_on + timedelta(days=VALIDITY_DAYS))),
                        ("Currency", currency),
                        ("Incoterms® 2020", f"{data.incoterm} {data.named_place}"),
                        ("Estimated ship date", day(data.estimated_ship_date)),
                    ]
                ),
            ]
        ),
        Spacer(1, 2 * mm),
        boxes(
            [
                facts([("Number of packages", f"{quantity(data.cartons_total)} cartons")]),
                facts([("Net weight", kilograms(data.net_weight_g))]),
                facts([("Gross weight", kilograms(data.gross_weight_g))]),
            ]
        ),
        Spacer(1, 4 * mm),
        grid(
            ["#", "Description", "HS code", "Origin", "Quantity", "Unit", "Unit price", "Amount"],
            [
                [
                    str(line.position),
                    cell(line.title),
                    line.hs_code,
                    line.origin,
                    quantity(line.quantity),
                    line.unit,
                    unit_price(line.unit_price),
                    money(line.amount_minor, currency),
                ]
                for line in data.lines
            ],
            [6, 60, 14, 11, 16, 12, 18, 24],
            right_from=4,
        ),
        Spacer(1, 3 * mm),
        amounts_table(
            [
                ("Goods", money(data.goods_minor, currency)),
                ("Freight", money(data.freight_minor, currency)),
                ("Insurance", money(data.insurance_minor, currency)),
                ("Invoice total", money(data.invoice_total_minor, currency)),
                ("Platform fee", money(data.platform_fee_minor, currency)),
                ("Total payable", money(data.total_minor, currency)),
            ]
        ),
        Spacer(1, 4 * mm),
        para("Payment terms", "h2"),
        para(PAYMENT_TERMS),
        para(
            f"Delivery: {data.incoterm} ({data.incoterm_name}) {data.named_place}, "
            f"Incoterms® 2020. Ship to {data.consignee.name}, {data.destination_name}.",
        ),
        para("Duties and import taxes at the destination are not part of this invoice.", "small"),
    ]
    return build(context, story)
