import pytest

from marketplace.accounts.eori import eori_number_clean
from marketplace.core.exceptions import DomainError


@pytest.mark.parametrize(
    ("country", "given", "expected"),
    [
        ("DE", "DE123456789012345", "DE123456789012345"),
        ("GB", "gb 1234 5678 9000", "GB123456789000"),
        ("GB", "XI123456789000", "XI123456789000"),
        ("FR", "FR1", "FR1"),
        ("DE", "", ""),
        ("US", "", ""),
    ],
)
def test_eori_number_clean_accepts_and_normalises_valid_numbers(country, given, expected):
    assert eori_number_clean(country=country, eori_number=given) == expected


def test_eori_number_in_a_country_without_eori_is_refused():
    with pytest.raises(DomainError) as excinfo:
        eori_number_clean(country="US", eori_number="US123456789")

    assert excinfo.value.field == "eori_number"
    assert excinfo.value.code == "eori_not_applicable"
    assert excinfo.value.message == (
        "Companies registered in United States of America have no EORI number; "
        "leave this field blank."
    )


@pytest.mark.parametrize(
    "given",
    ["FR123456789012345", "DE1234567890123456", "DE", "DE12345-678_90!"],
)
def test_eori_number_with_wrong_prefix_or_length_is_refused(given):
    with pytest.raises(DomainError) as excinfo:
        eori_number_clean(country="DE", eori_number=given)

    assert excinfo.value.code == "eori_invalid"
    assert excinfo.value.message == (
        "Enter an EORI number for Germany: DE followed by up to 15 letters or digits, "
        "e.g. DE123456789012345."
    )
