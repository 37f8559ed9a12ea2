import pytest

from marketplace.trade.incoterms import INCOTERM_CHOICES, INCOTERMS, get_incoterm

# code, name, mode, main carriage, insurance, export clearance, import clearance, duty, named place
EXPECTED = [
    (
        "EXW",
        "Ex Works",
        "any",
        "buyer",
        "none",
        "buyer",
        "buyer",
        "buyer",
        "named place of delivery",
    ),
    (
        "FCA",
        "Free Carrier",
        "any",
        "buyer",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named place of delivery",
    ),
    (
        "CPT",
        "Carriage Paid To",
        "any",
        "seller",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named place of destination",
    ),
    (
        "CIP",
        "Carriage and Insurance Paid To",
        "any",
        "seller",
        "seller_icc_a",
        "seller",
        "buyer",
        "buyer",
        "named place of destination",
    ),
    (
        "DAP",
        "Delivered at Place",
        "any",
        "seller",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named place of destination",
    ),
    (
        "DPU",
        "Delivered at Place Unloaded",
        "any",
        "seller",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named place of destination",
    ),
    (
        "DDP",
        "Delivered Duty Paid",
        "any",
        "seller",
        "none",
        "seller",
        "seller",
        "seller",
        "named place of destination",
    ),
    (
        "FAS",
        "Free Alongside Ship",
        "sea",
        "buyer",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named port of shipment",
    ),
    (
        "FOB",
        "Free On Board",
        "sea",
        "buyer",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named port of shipment",
    ),
    (
        "CFR",
        "Cost and Freight",
        "sea",
        "seller",
        "none",
        "seller",
        "buyer",
        "buyer",
        "named port of destination",
    ),
    (
        "CIF",
        "Cost, Insurance and Freight",
        "sea",
        "seller",
        "seller_min_icc_c",
        "seller",
        "buyer",
        "buyer",
        "named port of destination",
    ),
]


def test_there_are_exactly_the_eleven_incoterms_2020_rules_in_icc_order():
    assert list(INCOTERMS) == [row[0] for row in EXPECTED]


@pytest.mark.parametrize(
    ("code", "name", "mode", "carriage", "insurance", "export", "import_", "duty", "place"),
    EXPECTED,
)
def test_incoterm_attributes(code, name, mode, carriage, insurance, export, import_, duty, place):
    rule = INCOTERMS[code]

    assert rule.code == code
    assert rule.name == name
    assert rule.mode == mode
    assert rule.main_carriage_paid_by == carriage
    assert rule.insurance == insurance
    assert rule.export_clearance_by == export
    assert rule.import_clearance_by == import_
    assert rule.duty_paid_by == duty
    assert rule.named_place_means == place
    assert rule.risk_passes
    assert rule.seller_pays_main_carriage is (carriage == "seller")
    assert rule.seller_insures is (insurance != "none")


def test_risk_passes_on_board_for_fob_cfr_and_cif():
    for code in ("FOB", "CFR", "CIF"):
        assert "on board the vessel" in INCOTERMS[code].risk_passes


def test_incoterms_are_frozen():
    with pytest.raises(AttributeError):
        INCOTERMS["FOB"].mode = "any"  # type: ignore[misc]


def test_choices_label_code_and_name():
    assert INCOTERM_CHOICES[0] == ("EXW", "EXW — Ex Works")
    assert INCOTERM_CHOICES[-1] == ("CIF", "CIF — Cost, Insurance and Freight")
    assert len(INCOTERM_CHOICES) == 11


def test_get_incoterm_names_an_unknown_code():
    assert get_incoterm("DAP").name == "Delivered at Place"
    with pytest.raises(KeyError, match="Unknown Incoterm: 'DAT'"):
        get_incoterm("DAT")
