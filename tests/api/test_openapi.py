"""The OpenAPI document is valid OpenAPI 3, and fuzzing every operation finds no 5xx."""

import json
import re
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.factories import CompanyFactory, MembershipFactory, UserFactory, api_token_for


def test_schema_validates_as_openapi_3_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.json"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )

    document = json.loads(target.read_text())
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me/" in document["paths"]
    assert "/api/v1/auth/token/" in document["paths"]
    assert "/api/v1/hs-codes/" in document["paths"]
    # Payments: pay a confirmed order; the offline sandbox's outcomes.
    payments = document["paths"]["/api/v1/orders/{id}/payments/"]["post"]
    assert set(payments["responses"]) >= {"200", "201", "403", "404", "409"}
    assert "/api/v1/sandbox/payments/{payment_intent}/succeed/" in document["paths"]
    assert "/api/v1/sandbox/payments/{payment_intent}/fail/" in document["paths"]


def test_swagger_ui_is_served_with_vendored_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    # Every script and stylesheet comes from this site, none from a CDN.
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', body)
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets


def _wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# The schema served by the app itself, fetched in-process through WSGI (no database needed).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _wsgi_app())


@pytest.fixture
def auth_headers(db) -> dict[str, str]:
    user = UserFactory(email="fuzz@example.com")
    company = CompanyFactory(legal_name="Fuzz Importers GmbH", country="DE", buys=True)
    MembershipFactory(user=user, company=company, role="owner")
    return {"Authorization": f"Token {api_token_for(user)}"}


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_fuzzing_the_api_finds_no_server_error(case, auth_headers, in_process_requests):
    case.call_and_validate(headers=auth_headers, checks=[not_a_server_error])
