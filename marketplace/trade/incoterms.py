"""Incoterms® 2020: the eleven ICC rules, as data the order, the landed cost and the documents read.

Each rule says where risk passes from seller to buyer, who pays the main carriage and the
insurance, and who clears the goods for export and import. The named place that follows
the code on a contract means a different place per rule (``named_place_means``).
"""

from dataclasses import dataclass
from typing import Literal

Mode = Literal["any", "sea"]
Party = Literal["buyer", "seller"]
Insurance = Literal["none", "seller_min_icc_c", "seller_icc_a"]

PARTY_CHOICES = [("buyer", "Buyer"), ("seller", "Seller")]
MODE_CHOICES = [("any", "Any mode of transport"), ("sea", "Sea and inland waterway")]
INSURANCE_CHOICES = [
    ("none", "No insurance obligation"),
    ("seller_min_icc_c", "Seller insures, minimum cover (Institute Cargo Clauses C)"),
    ("seller_icc_a", "Seller insures, all risks (Institute Cargo Clauses A)"),
]


@dataclass(frozen=True)
class Incoterm:
    code: str
    name: str
    mode: Mode  # "any" mode of transport, or "sea" (sea and inland waterway only)
    risk_passes: str
    main_carriage_paid_by: Party
    insurance: Insurance
    export_clearance_by: Party
    import_clearance_by: Party
    duty_paid_by: Party
    named_place_means: str

    @property
    def seller_pays_main_carriage(self) -> bool:
        return self.main_carriage_paid_by == "seller"

    @property
    def seller_insures(self) -> bool:
        return self.insurance != "none"

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


INCOTERMS: dict[str, Incoterm] = {
    rule.code: rule
    for rule in (
        # Rules for any mode or modes of transport
        Incoterm(
            code="EXW",
            name="Ex Works",
            mode="any",
            risk_passes="When the seller places the goods at the buyer's disposal at the named "
            "place, not loaded on any collecting vehicle and not cleared for export.",
            main_carriage_paid_by="buyer",
            insurance="none",
            export_clearance_by="buyer",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named place of delivery",
        ),
        Incoterm(
            code="FCA",
            name="Free Carrier",
            mode="any",
            risk_passes="When the seller delivers the goods, cleared for export, to the carrier "
            "nominated by the buyer at the named place: loaded on the buyer's means of transport "
            "if that place is the seller's premises, otherwise ready for unloading from the "
            "seller's means of transport.",
            main_carriage_paid_by="buyer",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named place of delivery",
        ),
        Incoterm(
            code="CPT",
            name="Carriage Paid To",
            mode="any",
            risk_passes="When the seller hands the goods over to the first carrier contracted by "
            "the seller, at the place of delivery in the country of export.",
            main_carriage_paid_by="seller",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named place of destination",
        ),
        Incoterm(
            code="CIP",
            name="Carriage and Insurance Paid To",
            mode="any",
            risk_passes="When the seller hands the goods over to the first carrier contracted by "
            "the seller, at the place of delivery in the country of export.",
            main_carriage_paid_by="seller",
            insurance="seller_icc_a",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named place of destination",
        ),
        Incoterm(
            code="DAP",
            name="Delivered at Place",
            mode="any",
            risk_passes="When the goods are placed at the buyer's disposal on the arriving means "
            "of transport, ready for unloading, at the named place of destination.",
            main_carriage_paid_by="seller",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named place of destination",
        ),
        Incoterm(
            code="DPU",
            name="Delivered at Place Unloaded",
            mode="any",
            risk_passes="When the goods, once unloaded from the arriving means of transport, are "
            "placed at the buyer's disposal at the named place of destination.",
            main_carriage_paid_by="seller",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named place of destination",
        ),
        Incoterm(
            code="DDP",
            name="Delivered Duty Paid",
            mode="any",
            risk_passes="When the goods, cleared for import, are placed at the buyer's disposal "
            "on the arriving means of transport, ready for unloading, at the named place of "
            "destination.",
            main_carriage_paid_by="seller",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="seller",
            duty_paid_by="seller",
            named_place_means="named place of destination",
        ),
        # Rules for sea and inland waterway transport
        Incoterm(
            code="FAS",
            name="Free Alongside Ship",
            mode="sea",
            risk_passes="When the goods are placed alongside the vessel nominated by the buyer "
            "(on the quay or a barge) at the named port of shipment.",
            main_carriage_paid_by="buyer",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named port of shipment",
        ),
        Incoterm(
            code="FOB",
            name="Free On Board",
            mode="sea",
            risk_passes="When the goods are on board the vessel nominated by the buyer at the "
            "named port of shipment.",
            main_carriage_paid_by="buyer",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named port of shipment",
        ),
        Incoterm(
            code="CFR",
            name="Cost and Freight",
            mode="sea",
            risk_passes="When the goods are on board the vessel at the port of shipment.",
            main_carriage_paid_by="seller",
            insurance="none",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named port of destination",
        ),
        Incoterm(
            code="CIF",
            name="Cost, Insurance and Freight",
            mode="sea",
            risk_passes="When the goods are on board the vessel at the port of shipment.",
            main_carriage_paid_by="seller",
            insurance="seller_min_icc_c",
            export_clearance_by="seller",
            import_clearance_by="buyer",
            duty_paid_by="buyer",
            named_place_means="named port of destination",
        ),
    )
}

INCOTERM_CHOICES: list[tuple[str, str]] = [(rule.code, rule.label) for rule in INCOTERMS.values()]


def get_incoterm(code: str) -> Incoterm:
    """The rule for a code such as ``"FOB"``; ``KeyError`` names an unknown one."""
    try:
        return INCOTERMS[code]
    except KeyError:
        raise KeyError(f"Unknown Incoterm: {code!r}") from None
