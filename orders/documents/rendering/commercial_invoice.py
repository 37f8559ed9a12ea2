"""Commercial invoice: the invoice customs and banks rely on, with weights and packages."""

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from orders.documents.rendering.layout import (
    RenderContext,
    amounts_table,
    boxes,
    build,
    cell,
    declaration,
    facts,
    grid,
    header,
    kilograms,
    money,
    party_block,
    quantity,
    unit_price,
)

DECLARATION = (
    "We hereby certify that this invoice is true and correct, that it shows the actual price "
    "of the goods described, and that the goods originate in the countries stated."
)


def render(context: RenderContext) -> bytes:
    data = context.data
    currency = data.currency
    parties = [party_block("Exporter", data.seller), party_block("Importer", data.buyer)]
    if not data.consignee_is_buyer:
        parties.append(party_block("Consignee", data.consignee, show_ids=False))
    shipment = data.shipment
    terms = [
        ("Order number", data.order_number),
        ("Buyer's reference", data.buyer_reference or "—"),
        ("Currency", currency),
        ("Incoterms® 2020", f"{data.incoterm} {data.named_place}"),
        ("Destination", data.destination_name),
    ]
    if shipment is not None:
        terms += [
            ("Carrier / tracking", f"{shipment.carrier} {shipment.tracking_number}"),
            ("Ship date", shipment.ship_date.isoformat()),
        ]
    story: list[Flowable] = [
        header(context),
        Spacer(1, 4 * mm),
        boxes(parties),
        Spacer(1, 2 * mm),
        boxes(
            [
                facts(terms[:3]),
                facts(terms[3:]),
                facts(
                    [
                        ("Number of packages", f"{quantity(data.cartons_total)} cartons"),
                        ("Net weight", kilograms(data.net_weight_g)),
                        ("Gross weight", kilograms(data.gross_weight_g)),
                    ]
                ),
            ]
        ),
        Spacer(1, 4 * mm),
        grid(
            [
                "#",
                "Description",
                "HS code",
                "Origin",
                "Quantity",
                "Unit",
                "Unit price",
                "Amount",
            ],
            [
                [
                    str(line.position),
                    cell(line.title),
                    line.hs_code,
                    line.origin_name,
                    quantity(line.quantity),
                    line.unit,
                    unit_price(line.unit_price),
                    money(line.amount_minor, currency),
                ]
                for line in data.lines
            ],
            [6, 56, 14, 18, 16, 11, 17, 24],
            right_from=4,
        ),
        Spacer(1, 3 * mm),
        amounts_table(
            [
                ("Goods", money(data.goods_minor, currency)),
                ("Freight", money(data.freight_minor, currency)),
                ("Insurance", money(data.insurance_minor, currency)),
                ("Total", money(data.invoice_total_minor, currency)),
            ]
        ),
        Spacer(1, 4 * mm),
        declaration("Declaration", DECLARATION, data.seller.name),
    ]
    return build(context, story)
