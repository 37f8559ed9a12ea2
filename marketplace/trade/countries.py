"""Country sets the trade rules depend on (ISO 3166-1 alpha-2 codes, as django-countries stores them)."""

# The 27 member states of the European Union (since 1 February 2020).
EU_MEMBER_STATES: frozenset[str] = frozenset(
    {
        "AT",  # Austria
        "BE",  # Belgium
        "BG",  # Bulgaria
        "HR",  # Croatia
        "CY",  # Cyprus
        "CZ",  # Czechia
        "DK",  # Denmark
        "EE",  # Estonia
        "FI",  # Finland
        "FR",  # France
        "DE",  # Germany
        "GR",  # Greece
        "HU",  # Hungary
        "IE",  # Ireland
        "IT",  # Italy
        "LV",  # Latvia
        "LT",  # Lithuania
        "LU",  # Luxembourg
        "MT",  # Malta
        "NL",  # Netherlands
        "PL",  # Poland
        "PT",  # Portugal
        "RO",  # Romania
        "SK",  # Slovakia
        "SI",  # Slovenia
        "ES",  # Spain
        "SE",  # Sweden
    }
)

# Countries whose customs authorities issue EORI numbers: the EU member states and
# the United Kingdom (GB EORI numbers, kept after Brexit).
EORI_COUNTRIES: frozenset[str] = EU_MEMBER_STATES | {"GB"}


def country_has_eori(code: str | None) -> bool:
    """Whether a company registered in ``code`` (alpha-2, any case) needs an EORI number."""
    if not code:
        return False
    return str(code).strip().upper() in EORI_COUNTRIES
