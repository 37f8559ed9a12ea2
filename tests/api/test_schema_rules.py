"""The rules every operation of the OpenAPI document follows (new endpoints included), and
the real error bodies validate against the documented ones."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from marketplace.core.api.schema import ERROR_COMPONENTS
from orders.enums import OrderStatus
from orders.models import Order
from tests.factories import DEFAULT_PASSWORD, api_token_for
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, place_order, seller_member

JSON = "application/json"
MULTIPART = "multipart/form-data"
# The operations that upload a file: the only ones that take multipart.
UPLOADS = {
    ("post", "/api/v1/listings/{id}/images/"),
    ("post", "/api/v1/documents/verify/"),
    ("post", "/api/v1/rfqs/{id}/attachments/"),
}
# A message is text (JSON) or text with files (multipart): two bodies of different shapes, so a
# generated client picks by the body's type (never the same body three times).
TEXT_OR_UPLOAD = {("post", "/api/v1/conversations/{id}/messages/")}
WRITES = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def test_each_request_body_is_documented_once_as_json_or_multipart_for_uploads(document):
    bodies = {
        (method, path): list(operation["requestBody"]["content"])
        for method, path, operation in _operations(document)
        if "requestBody" in operation
    }
    assert bodies  # the document has request bodies at all
    for key, media_types in bodies.items():
        if key in TEXT_OR_UPLOAD:
            assert media_types == [JSON, MULTIPART], key
            schemas = document["paths"][key[1]][key[0]]["requestBody"]["content"]
            assert schemas[JSON]["schema"] != schemas[MULTIPART]["schema"], key
            continue
        assert media_types == ([MULTIPART] if key in UPLOADS else [JSON]), key
    assert set(bodies) >= UPLOADS | TEXT_OR_UPLOAD


def test_path_parameters_document_404_and_writes_document_400(document):
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, (method, path)
        if method in WRITES:
            assert "400" in responses, (method, path)


def test_every_error_answer_has_a_json_body_and_ids_are_unique(document):
    seen: set[str] = set()
    for method, path, operation in _operations(document):
        assert operation["operationId"] not in seen
        assert not operation["operationId"].startswith("v1_"), operation["operationId"]
        seen.add(operation["operationId"])
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                assert list(response["content"]) == [JSON], (method, path, code)


def test_the_error_rules_follow_what_the_views_do(document):
    paths = document["paths"]
    codes = {
        (method, path): set(operation["responses"])
        for method, path, operation in _operations(document)
    }
    # An action on an order: every refusal; a transition refused is a 409 ConflictError.
    assert codes[("post", "/api/v1/orders/{id}/confirm/")] >= {"400", "401", "403", "404", "409"}
    conflict = paths["/api/v1/orders/{id}/confirm/"]["post"]["responses"]["409"]
    assert conflict["content"][JSON]["schema"] == {"$ref": "#/components/schemas/ConflictError"}
    # Throttled: 429 with Retry-After; public and unauthenticated: no 401.
    token = paths["/api/v1/auth/token/"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]
    assert "401" not in codes[("get", "/api/v1/documents/verify/{code}/")]
    assert "429" in codes[("get", "/api/v1/documents/verify/{code}/")]
    # A list without query parameters, not paginated: no 400 and no 404.
    assert codes[("get", "/api/v1/incoterms/")] == {"200", "401"}
    # Writes answer 400 with the field errors.
    created = paths["/api/v1/orders/"]["post"]["responses"]["400"]
    assert created["content"][JSON]["schema"] == {"$ref": "#/components/schemas/ValidationError"}
    assert set(ERROR_COMPONENTS) <= set(document["components"]["schemas"])


def _check(document: dict, path: str, method: str, response) -> None:
    """The body of ``response`` validates against the schema documented for its status."""
    documented = document["paths"][path][method]["responses"][str(response.status_code)]
    schema = documented["content"][JSON]["schema"]
    jsonschema.validate(response.json(), {**schema, "components": document["components"]})


@pytest.mark.django_db
def test_the_real_error_bodies_validate_against_the_documented_schemas(document, api_client):
    seller, seller_user = seller_member(country="CN")
    buyer, buyer_user = buyer_member(country="DE")
    listing = ListingFactory(seller=seller, published=True, moq=100, stock=1000, incoterms=["FOB"])
    order = place_order(listing=listing, quantity=100, buyer=buyer, actor=buyer_user)

    # 401: no credentials.
    unauthenticated = api_client.get("/api/v1/orders/")
    assert unauthenticated.status_code == 401
    _check(document, "/api/v1/orders/", "get", unauthenticated)

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(buyer_user)}")
    # 400: nested field errors from the service.
    invalid = api_client.post(
        "/api/v1/orders/",
        {
            "lines": [{"listing": listing.pk, "quantity": 100}],
            "incoterm": "FOB",
            "named_place": "Ningbo",
            "ship_to": {"name": "R", "line1": "H 1", "city": "Köln", "country": "XX"},
        },
        format="json",
        HTTP_X_COMPANY=str(buyer.pk),
    )
    assert invalid.status_code == 400
    assert invalid.json() == {"ship_to": {"country": ["“XX” is not a known country code."]}}
    _check(document, "/api/v1/orders/", "post", invalid)
    # 400: DRF's own; the errors of a list's items by their index.
    malformed = api_client.post(
        "/api/v1/orders/",
        {"lines": [{"listing": "x"}], "incoterm": "FOB", "named_place": "N", "ship_to": {}},
        format="json",
    )
    assert malformed.status_code == 400
    assert malformed.json()["lines"] == {
        "0": {"listing": ["A valid integer is required."], "quantity": ["This field is required."]}
    }
    _check(document, "/api/v1/orders/", "post", malformed)
    # 403: X-Company names a company that is not yours.
    foreign = api_client.get("/api/v1/orders/", HTTP_X_COMPANY=str(seller.pk))
    assert foreign.status_code == 403
    _check(document, "/api/v1/orders/", "get", foreign)
    # 404: no such order among the company's.
    missing = api_client.get("/api/v1/orders/999999999/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    _check(document, "/api/v1/orders/{id}/", "get", missing)
    # 409: a refused transition, with both statuses.
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(seller_user)}")
    first = api_client.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    assert first.status_code == 200
    again = api_client.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["current_status"] == OrderStatus.CONFIRMED
    _check(document, "/api/v1/orders/{id}/confirm/", "post", again)
    # 429: the token endpoint's budget spent.
    api_client.credentials()
    for _ in range(12):
        throttled = api_client.post(
            "/api/v1/auth/token/",
            {"email": buyer_user.email, "password": DEFAULT_PASSWORD + "x"},
            format="json",
        )
    assert throttled.status_code == 429
    _check(document, "/api/v1/auth/token/", "post", throttled)


@pytest.mark.django_db
def test_a_form_encoded_body_is_refused_where_the_api_takes_json(api_client):
    _, buyer_user = buyer_member(country="DE")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(buyer_user)}")

    response = api_client.post("/api/v1/orders/", {"incoterm": "FOB"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["detail"].startswith('Unsupported media type "multipart/form-data')
    assert Order.objects.count() == 0
