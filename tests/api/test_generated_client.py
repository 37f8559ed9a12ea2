"""A Python client generated from the schema (openapi-python-client 0.29), driven against the
live server through a buyer's and a seller's flow.

Layout, so that further steps are added beside these (RFQ → quotes → accept):

- ``generated_client`` (session): the schema → the generated package, imported once.
- ``Api``: one company's member with its own ``AuthenticatedClient`` (``X-Company`` set) and
  the content type of every request it sent (``sent``).
- ``TradeWorld``: the parties and the catalogue the flows run on.
- one ``step_*`` function per business step, taking ``Api`` objects and returning what the
  next step needs; the test chains them. A new step is a new function and a line in a test.
"""

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from listings.models import Listing
from tests.factories import DEFAULT_PASSWORD
from tests.listings.factories import ListingFactory
from tests.orders import conftest as orders_conftest
from tests.orders.factories import buyer_member, seller_member

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "marketplace_client"
# No post hooks (ruff is not needed to import the client); PDFs come back as bytes.
GENERATOR_CONFIG = """\
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
"""


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory) -> ModuleType:
    """The schema as served, the client generated from it offline, imported (every module)."""
    root = tmp_path_factory.mktemp("generated_client")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    (root / "schema.json").write_text(json.dumps(schema, default=str))
    (root / "config.yaml").write_text(GENERATOR_CONFIG)
    # Any attempt to reach the network fails at once: the generation must work offline.
    offline = {
        **os.environ,
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(root / "schema.json"),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(root / "config.yaml"),
        ],
        cwd=root,
        env=offline,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every part of the schema became code: nothing skipped with a warning.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        for path in sorted((root / PACKAGE).rglob("*.py")):
            dotted = ".".join(path.relative_to(root).with_suffix("").parts)
            importlib.import_module(dotted.removesuffix(".__init__"))
        yield package
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@dataclass
class Api:
    """A company's member using the generated client."""

    client: Any
    company_id: int
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, type

    def content_types(self, method: str, path: str) -> list[str]:
        return [kind for m, p, kind in self.sent if (m, p) == (method, path)]


def api_sign_in(client_package: ModuleType, base_url: str, *, email: str, company_id: int) -> Api:
    """Exchange email and password for a token with the client, then a client using it."""
    token_create = _module("api.auth.auth_token_create")
    models = _module("models")
    anonymous = client_package.Client(base_url=base_url)
    issued = token_create.sync(
        client=anonymous,
        body=models.TokenRequest(email=email, password=DEFAULT_PASSWORD, name="ERP sync"),
    )
    assert isinstance(issued, models.TokenResponse), issued
    sent: list[tuple[str, str, str]] = []

    def record(request) -> None:
        sent.append((request.method, request.url.path, request.headers.get("content-type", "")))

    client = client_package.AuthenticatedClient(
        base_url=base_url,
        token=issued.token,
        prefix="Token",
        headers={"X-Company": str(company_id)},
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"request": [record]}},
    )
    return Api(client=client, company_id=company_id, sent=sent)


@dataclass
class TradeWorld:
    buyer: Api
    seller: Api
    listing_id: int


sample_fx_rates = orders_conftest.fx_rates  # the sample FX and duty rates (a fixture)


@pytest.fixture
def trade_world(generated_client, live_server, sample_fx_rates) -> TradeWorld:
    seller, seller_user = seller_member(legal_name="Ningbo Fasteners Co., Ltd.", country="CN")
    buyer, buyer_user = buyer_member(legal_name="Rheinland Import GmbH", country="DE")
    listing = ListingFactory(
        seller=seller,
        published=True,
        title="Stainless hex bolts M8",
        moq=100,
        stock=10_000,
        incoterms=["EXW", "FOB", "CIF", "DAP"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    url = live_server.url
    return TradeWorld(
        buyer=api_sign_in(generated_client, url, email=buyer_user.email, company_id=buyer.pk),
        seller=api_sign_in(generated_client, url, email=seller_user.email, company_id=seller.pk),
        listing_id=listing.pk,
    )


# --- steps ----------------------------------------------------------------------------------


def step_search(buyer: Api, *, words: str) -> list[Any]:
    listings_list = _module("api.listings.listings_list")
    page = listings_list.sync(client=buyer.client, q=words)
    return page.results


def step_landed_cost(buyer: Api, *, listing_id: int, quantity: int, incoterm: str) -> Any:
    api = _module("api.listings.listings_landed_cost_retrieve")
    return api.sync(
        listing_id,
        client=buyer.client,
        destination=api.ListingsLandedCostRetrieveDestination("DE"),
        incoterm=api.ListingsLandedCostRetrieveIncoterm(incoterm),
        quantity=quantity,
    )


def step_place_order(buyer: Api, *, listing_id: int, quantity: int, incoterm: str) -> Any:
    models = _module("models")
    orders_create = _module("api.orders.orders_create")
    return orders_create.sync(
        client=buyer.client,
        x_company=buyer.company_id,
        body=models.OrderCreateRequest(
            lines=[models.OrderLineInputRequest(listing=listing_id, quantity=quantity)],
            incoterm=models.IncotermEnum(incoterm),
            named_place="Ningbo",
            ship_to=models.ShipToRequest(
                name="Rheinland Import GmbH, Wareneingang",
                line1="Hansaring 61",
                city="Köln",
                postal_code="50670",
                country=models.CountryEnum("DE"),
            ),
            buyer_reference="PO-4711",
        ),
    )


def step_confirm(seller: Api, *, order_id: int) -> Any:
    models = _module("models")
    orders_confirm = _module("api.orders.orders_confirm")
    return orders_confirm.sync(order_id, client=seller.client, body=models.OrderConfirmRequest())


def step_pay_in_sandbox(buyer: Api, *, order_id: int) -> Any:
    """Start the payment (the PaymentIntent) and let the sandbox's bank accept it."""
    pay = _module("api.payments.orders_payments")
    succeed = _module("api.sandbox.sandbox_payments_succeed")
    started = pay.sync_detailed(order_id, client=buyer.client)
    assert started.status_code == 201
    return succeed.sync(started.parsed.payment_intent, client=buyer.client)


def step_order(api: Api, *, order_id: int) -> Any:
    return _module("api.orders.orders_retrieve").sync(order_id, client=api.client)


def step_documents(api: Api, *, order_id: int) -> list[Any]:
    return _module("api.documents.order_documents_list").sync(order_id, client=api.client)


# --- flows ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_buyer_orders_pays_and_reads_documents_with_the_generated_client(trade_world):
    buyer, seller, listing_id = trade_world.buyer, trade_world.seller, trade_world.listing_id
    models = _module("models")

    found = step_search(buyer, words="hex bolts")
    assert [listing.id for listing in found] == [listing_id]

    estimate = step_landed_cost(buyer, listing_id=listing_id, quantity=1000, incoterm="FOB")
    assert isinstance(estimate, models.LandedCost)
    assert (estimate.quantity, estimate.unit_price.amount, estimate.currency) == (
        1000,
        "1.0500",
        "USD",
    )

    order = step_place_order(buyer, listing_id=listing_id, quantity=1000, incoterm="FOB")
    assert isinstance(order, models.Order), order
    assert (order.status, order.totals.goods.amount) == ("placed", "1050.00")
    # The client sent the new order as JSON, as the schema documents it (only) so.
    assert buyer.content_types("POST", "/api/v1/orders/") == ["application/json"]

    confirmed = step_confirm(seller, order_id=order.id)
    assert confirmed.status == "confirmed"
    assert seller.content_types("POST", f"/api/v1/orders/{order.id}/confirm/") == [
        "application/json"
    ]

    payment = step_pay_in_sandbox(buyer, order_id=order.id)
    assert (payment.status, payment.sandbox, payment.amount.amount) == (
        "succeeded",
        True,
        "1081.50",
    )
    assert step_order(buyer, order_id=order.id).status == "paid"

    documents = step_documents(buyer, order_id=order.id)
    assert isinstance(documents, list)
    assert all(isinstance(document, models.TradeDocument) for document in documents)
    assert {document.kind for document in documents} <= set(models.TradeDocumentKindEnum)


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_reads_the_documented_error_bodies(trade_world):
    buyer = trade_world.buyer
    models = _module("models")
    orders_retrieve = _module("api.orders.orders_retrieve")
    orders_create = _module("api.orders.orders_create")

    missing = orders_retrieve.sync_detailed(999_999_999, client=buyer.client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error)
    assert missing.parsed.detail == "Not found."

    refused = step_place_order(buyer, listing_id=999_999_999, quantity=100, incoterm="FOB")
    assert isinstance(refused, models.ValidationError)
    assert refused.additional_properties == {"lines": ["Listing 999999999 is not available."]}
    assert orders_create.sync_detailed  # the module is the client's, not a stub


# --- negotiated trade: RFQ → quote → accepted order -------------------------------------------


def step_post_rfq(buyer: Api, *, category_id: int, quantity: int) -> Any:
    models = _module("models")
    rfqs_create = _module("api.rfqs.rfqs_create")
    return rfqs_create.sync(
        client=buyer.client,
        x_company=buyer.company_id,
        body=models.RFQCreateRequest(
            title="M8 stainless hex bolts, A2-70, 20,000 pieces",
            description="DIN 933, A2-70, packed in cartons of 500.",
            category=category_id,
            hs_code="731815",
            quantity=quantity,
            destination_country=models.CountryEnum("DE"),
            named_place="Hamburg",
            incoterms=[models.RFQCreateIncotermsEnum("FOB"), models.RFQCreateIncotermsEnum("CIF")],
            closes_at=datetime.now(UTC) + timedelta(days=7),
        ),
    )


def step_quote(seller: Api, *, rfq_id: int, listing_id: int, quantity: int, price: str) -> Any:
    models = _module("models")
    quote_on_rfq = _module("api.quotes.rfqs_quotes_create")
    return quote_on_rfq.sync(
        rfq_id,
        client=seller.client,
        body=models.QuoteWriteRequest(
            lines=[
                models.QuoteLineInputRequest(
                    quantity=quantity, unit_price=price, listing=listing_id, from_stock=True
                )
            ],
            currency=models.CurrencyEnum("USD"),
            incoterm=models.IncotermEnum("FOB"),
            named_place="Ningbo",
            lead_time_days=21,
            valid_until=(datetime.now(UTC) + timedelta(days=14)).date(),
        ),
    )


def step_quotes_of_rfq(buyer: Api, *, rfq_id: int) -> list[Any]:
    return _module("api.quotes.rfqs_quotes_list").sync(rfq_id, client=buyer.client).results


def step_accept_quote(buyer: Api, *, quote_id: int) -> Any:
    models = _module("models")
    accept = _module("api.quotes.quotes_accept")
    return accept.sync(
        quote_id,
        client=buyer.client,
        body=models.QuoteAcceptRequest(
            ship_to=models.ShipToRequest(
                name="Rheinland Import GmbH, Wareneingang",
                line1="Hansaring 61",
                city="Köln",
                postal_code="50670",
                country=models.CountryEnum("DE"),
            ),
            buyer_reference="PO-4712",
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_a_buyer_posts_an_rfq_accepts_a_quote_and_pays_with_the_generated_client(trade_world):
    buyer, seller, listing_id = trade_world.buyer, trade_world.seller, trade_world.listing_id
    models = _module("models")
    category_id = Listing.objects.get(pk=listing_id).category_id

    rfq = step_post_rfq(buyer, category_id=category_id, quantity=2000)
    assert isinstance(rfq, models.RFQ), rfq
    assert (rfq.status, rfq.quantity, rfq.hs_code) == ("open", 2000, "731815")
    assert buyer.content_types("POST", "/api/v1/rfqs/") == ["application/json"]

    quote = step_quote(seller, rfq_id=rfq.id, listing_id=listing_id, quantity=2000, price="0.9850")
    assert isinstance(quote, models.QuoteDetail), quote
    assert (quote.status, quote.version, quote.lines[0].unit_price) == (
        "submitted",
        1,
        "0.9850",
    )

    [compared] = step_quotes_of_rfq(buyer, rfq_id=rfq.id)
    assert compared.id == quote.id

    accepted = step_accept_quote(buyer, quote_id=quote.id)
    assert isinstance(accepted, models.QuoteAccepted), accepted
    assert (accepted.quote_status, accepted.order_status) == ("accepted", "placed")
    order = step_order(buyer, order_id=accepted.order)
    assert (order.totals.goods.amount, order.lines[0].unit_price) == ("1970.00", "0.9850")
    assert _module("api.rfqs.rfqs_retrieve").sync(rfq.id, client=buyer.client).status == "closed"

    assert step_confirm(seller, order_id=order.id).status == "confirmed"
    payment = step_pay_in_sandbox(buyer, order_id=order.id)
    assert (payment.status, payment.amount.amount) == ("succeeded", order.totals.total.amount)
    assert step_order(buyer, order_id=order.id).status == "paid"
    documents = step_documents(buyer, order_id=order.id)
    assert all(isinstance(document, models.TradeDocument) for document in documents)
