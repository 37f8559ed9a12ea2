"""The schema says what the API accepts, and the API accepts what the schema says.

schemathesis generates requests from the live schema, seeded and bounded, for every
operation, positive (schema-valid) and negative (schema-violating), acting for a company that
buys and sells. Checks: no 5xx, documented status codes, answers that validate against the
documented response, schema-violating requests rejected, schema-valid requests accepted.

A schema-valid request may still be refused with 400 for what a schema cannot say: an id in
the body or query that names no object (a category, a listing, an HS code that is not in the
nomenclature) and the rules between fields (the first price tier at the MOQ, stock and carton
weights). ``REFERENCE_OR_RELATION`` lists those refusals by field and message; any other 400
on valid data fails the test (the schema is looser than the validation).
"""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_openapi import _wsgi_app
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, api_token_for
from tests.listings.factories import category_leaf, hs_code_ensure

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _wsgi_app())

# (field, message pattern) of 400s that schema-valid data may get: references and relations.
REFERENCE_OR_RELATION = [
    ("category", r"(Invalid pk .* object does not exist|Select a valid choice|Choose a category)"),
    ("seller", r"Select a valid choice"),
    ("hs_code", r"is not an HS 2022 subheading"),
    ("lines", r"Listing \d+ is not available"),
    ("price_tiers", r"(the first break must equal the MOQ|quantities must rise|must not rise)"),
    ("stock", r"is below the minimum order quantity"),
    ("carton_gross_weight_kg", r"cannot be less"),
    # Dates against today, which a schema cannot name: an RFQ's closing and needed-by dates,
    # a quote's validity.
    ("closes_at", r"(in the past|days ahead|at most \d+ days)"),
    ("needed_by", r"(in the past|before the closing date)"),
    ("valid_until", r"(in the past|today or later)"),
    # Invited sellers name companies that must exist, sell, be verified and not be the buyer;
    # an invited-only RFQ needs one.
    (
        "invited_sellers",
        r"(There is no company|not a verified seller|Your own company|Invite at least one)",
    ),
    # Freight and insurance are in the quote's currency.
    ("freight", r"in the quote's currency"),
    ("insurance", r"in the quote's currency"),
    # A conversation is about exactly one thing (listing, RFQ or order).
    ("non_field_errors", r"Name exactly one of listing, rfq or order"),
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]


def _messages(body: object, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a ValidationError body into (top-level field, message) pairs."""
    if isinstance(body, str):
        return [(prefix, body)]
    if isinstance(body, list):
        return [pair for item in body for pair in _messages(item, prefix)]
    if isinstance(body, dict):
        return [pair for key, value in body.items() for pair in _messages(value, prefix or key)]
    return [(prefix, str(body))]


def refused_for_reference_or_relation(response) -> bool:
    if response.status_code != 400:
        return False
    pairs = _messages(response.json())
    return bool(pairs) and all(
        any(
            field == name and re.search(pattern, message) for name, pattern in REFERENCE_OR_RELATION
        )
        for field, message in pairs
    )


@pytest.fixture
def trader_headers(db) -> dict[str, str]:
    hs_code_ensure()
    category_leaf()
    user = UserFactory(email="conformance@example.com")
    company = CompanyFactory(
        legal_name="Conformance Trading GmbH", country="DE", buys=True, sells=True, verified=True
    )
    MembershipFactory(user=user, company=company, role="owner")
    return {"Authorization": f"Token {api_token_for(user)}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # seeded: the same cases on every run
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_accepts_what_its_schema_allows_and_nothing_else(
    case, trader_headers, in_process_requests
):
    response = case.call(headers=trader_headers)
    if refused_for_reference_or_relation(response):
        checks = [c for c in CHECKS if c is not positive_data_acceptance]
    else:
        checks = CHECKS
    case.validate_response(response, checks=checks)


def test_an_unrelated_refusal_on_valid_data_is_not_excused():
    class Answer:
        status_code = 400

        def __init__(self, body):
            self._body = body

        def json(self):
            return self._body

    excused = Answer({"category": ['Invalid pk "0" - object does not exist.']})
    nested = Answer({"lines": ["Listing 7 is not available."], "ship_to": {"city": ["Enter."]}})
    assert refused_for_reference_or_relation(excused)
    assert not refused_for_reference_or_relation(nested)
    assert not refused_for_reference_or_relation(Answer({"title": ["Keep the title short."]}))
    assert issubclass(Failure, Exception)
