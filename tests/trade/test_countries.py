import pytest

from marketplace.trade.countries import EORI_COUNTRIES, EU_MEMBER_STATES, country_has_eori


def test_eu_has_27_member_states():
    assert len(EU_MEMBER_STATES) == 27
    assert {"DE", "FR", "IE", "HR", "CY", "MT"} <= EU_MEMBER_STATES
    assert "GB" not in EU_MEMBER_STATES


def test_eori_countries_are_the_eu_and_great_britain():
    assert sorted(EORI_COUNTRIES - EU_MEMBER_STATES) == ["GB"]
    assert len(EORI_COUNTRIES) == 28


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DE", True),
        ("gb", True),
        (" nl ", True),
        ("US", False),
        ("CH", False),
        ("NO", False),
        ("", False),
        (None, False),
    ],
)
def test_country_has_eori(code, expected):
    assert country_has_eori(code) is expected
