"""EORI numbers: issued in the EU member states and the United Kingdom only.

An EORI number is the issuing country's two-letter code followed by up to 15 letters or
digits (DE123456789012345, GB123456789000). Northern Ireland traders (country GB) hold XI
numbers. Companies elsewhere have none and must leave the field blank.
"""

import re

from django_countries import countries

from marketplace.core.exceptions import DomainError
from marketplace.trade.countries import country_has_eori

_EORI_BODY = re.compile(r"^[A-Z0-9]{1,15}$")
# Prefixes accepted for a company in a country, where they differ from the country code.
_EXTRA_PREFIXES = {"GB": ("XI",)}
_EXAMPLES = {"DE": "DE123456789012345", "GB": "GB123456789000"}


def eori_number_clean(*, country: str, eori_number: str) -> str:
    """The EORI number upper-cased without spaces, or ``DomainError`` on ``eori_number``."""
    code = (country or "").strip().upper()
    number = re.sub(r"[\s.-]", "", eori_number or "").upper()
    if not number:
        return ""
    name = countries.name(code) or code or "this country"
    if not country_has_eori(code):
        raise DomainError(
            f"Companies registered in {name} have no EORI number; leave this field blank.",
            field="eori_number",
            code="eori_not_applicable",
        )
    prefixes = (code, *_EXTRA_PREFIXES.get(code, ()))
    if number[:2] not in prefixes or not _EORI_BODY.match(number[2:]):
        example = _EXAMPLES.get(code, f"{code}123456789")
        raise DomainError(
            f"Enter an EORI number for {name}: {' or '.join(prefixes)} followed by up to "
            f"15 letters or digits, e.g. {example}.",
            field="eori_number",
            code="eori_invalid",
        )
    return number
