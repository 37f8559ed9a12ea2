"""Application for a certificate of origin, for the issuing authority (a chamber of commerce)
to certify: the exporter fills it in; it is not itself a certificate."""

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from orders.documents.rendering.layout import (
    RenderContext,
    boxes,
    build,
    cell,
    declaration,
    facts,
    grid,
    header,
    kilograms,
    para,
    party_block,
    quantity,
)
from orders.documents.rendering.packing_list import shipping_marks

NOTICE = (
    "APPLICATION for a certificate of origin — to be certified by the issuing authority; "
    "this is not a certificate."
)
DECLARATION = (
    "The undersigned exporter declares that the goods described above originate in the "
    "countries shown, that the particulars given are true and correct, and applies for a "
    "certificate of origin for them."
)


def render(context: RenderContext) -> bytes:
    data = context.data
    invoice = context.invoice
    shipment = data.shipment
    transport = [
        ("Incoterms® 2020", f"{data.incoterm} {data.named_place}"),
        ("Country of destination", data.destination_name),
    ]
    if shipment is not None:
        transport += [
            ("Carrier", shipment.carrier),
            ("Tracking / transport document", shipment.tracking_number),
            ("Ship date", shipment.ship_date.isoformat()),
        ]
    story: list[Flowable] = [
        header(context, subtitle="Application — for certification by the issuing authority"),
        Spacer(1, 3 * mm),
        para(NOTICE, "notice"),
        Spacer(1, 4 * mm),
        boxes(
            [
                party_block("Exporter", data.seller),
                party_block("Producer", data.seller),
                party_block("Consignee", data.consignee, show_ids=False),
            ]
        ),
        Spacer(1, 2 * mm),
        boxes(
            [
                facts(transport),
                facts(
                    [
                        (
                            "Commercial invoice",
                            f"{invoice.number} of {invoice.issued_on.isoformat()}"
                            if invoice
                            else "—",
                        ),
                        ("Order number", data.order_number),
                        ("Marks and numbers", shipping_marks(data)),
                    ]
                ),
            ]
        ),
        Spacer(1, 4 * mm),
        grid(
            [
                "#",
                "Marks and numbers",
                "Packages",
                "Description",
                "HS code",
                "Origin",
                "Quantity",
                "Gross weight",
            ],
            [
                [
                    str(line.position),
                    f"C/No. {line.first_carton}–{line.last_carton}",
                    f"{quantity(line.cartons)} cartons",
                    cell(line.title),
                    line.hs_code,
                    line.origin_name,
                    f"{quantity(line.quantity)} {line.unit}",
                    kilograms(line.gross_weight_g),
                ]
                for line in data.lines
            ],
            [6, 20, 16, 48, 13, 18, 18, 19],
            right_from=6,
            totals=[
                "",
                "",
                f"{quantity(data.cartons_total)} cartons",
                "Total",
                "",
                "",
                quantity(data.quantity_total),
                kilograms(data.gross_weight_g),
            ],
        ),
        Spacer(1, 4 * mm),
        declaration("Declaration by the exporter", DECLARATION, data.seller.name),
        Spacer(1, 6 * mm),
        para("For the issuing authority (certification)", "h2"),
        para(
            "Stamp, place, date and signature of the issuing authority: "
            "_____________________________________________"
        ),
    ]
    return build(context, story)
