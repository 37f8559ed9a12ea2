"""A duty rate nobody knows is "unknown", never 0.00 counted into a total: on the listing
estimate (page and API), in the checkout preview and on the order (page, snapshot and API)."""

import re

import pytest
from django.urls import reverse

from marketplace.trade.models import DutyRate
from tests.orders.factories import place_order


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def no_bolt_duty(fx_rates):
    """The sample EU duty of bolts (7318, 3.7 %) removed: no rate is known for 731815."""
    DutyRate.objects.filter(destination="EU", hs_prefix="7318").delete()


def test_the_api_estimate_has_a_null_duty_and_an_incomplete_total(
    api_client, listing, no_bolt_duty
):
    response = api_client.get(
        f"/api/v1/listings/{listing.pk}/landed-cost/",
        {"destination": "DE", "quantity": 500, "incoterm": "FOB"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["duty"]["amount"] is None
    assert body["duty"]["in_buyer_total"] is False
    assert body["duty"]["note"] == (
        "The customs value leaves out the freight, not known yet. "
        "Unknown: no duty rate is known for this destination and HS code."
    )
    # German VAT has the duty in its base: unknown too.
    assert body["import_tax"]["amount"] is None
    assert body["import_tax"]["note"] == "Unknown: it is charged on the duty, which is not known."
    assert body["flags"] == [
        "freight_not_included",
        "no_duty_rate",
        "sample_rates",
        "total_incomplete",
    ]
    # 500 × 1.2000: the only cost that is known
    assert body["total_for_buyer"] == {"amount": "600.00", "currency": "USD"}


def test_the_estimate_widget_says_unknown_instead_of_a_total(client, listing, no_bolt_duty):
    response = client.get(
        reverse("orders:landed_cost_estimate", args=[listing.pk]),
        {"destination": "DE", "quantity": "500", "incoterm": "FOB"},
    )

    assert response.status_code == 200
    page = text(response)
    assert (
        "Import duty The customs value leaves out the freight, not known yet. Unknown: no duty "
        "rate is known for this destination and HS code. Unknown Buyer "
        "VAT (19 %) Unknown: it is charged on the duty, which is not known. Unknown Buyer "
        "Landed cost for the buyer A duty or import tax rate is not known: the costs that are "
        "known add up to USD 600.00. Unknown" in page
    )
    content = response.content.decode()
    assert '<td class="num" data-cost="total">Unknown</td>' in content


def test_the_order_keeps_the_duty_unknown_on_its_page_and_in_the_api(
    client, api_client, listing, buyer, buyer_user, no_bolt_duty
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user, quantity=1000)

    assert order.landed_cost["duty"] is None
    assert order.landed_cost["import_tax"] is None
    assert "total_incomplete" in order.landed_cost["flags"]
    assert (order.duty_minor, order.import_tax_minor) == (0, 0)

    client.force_login(buyer_user)
    page = text(client.get(reverse("orders:detail", args=[order.pk])))
    assert "Estimated duty (buyer pays at the border) Unknown" in page
    assert "Estimated import tax (buyer pays at the border) Unknown" in page
    assert "Landed cost for the buyer A duty or import tax rate is not known" in page

    api_client.force_authenticate(buyer_user)
    api_client.credentials(HTTP_X_COMPANY=str(buyer.pk))
    totals = api_client.get(f"/api/v1/orders/{order.pk}/").json()["totals"]
    assert totals["duty_estimate"] is None
    assert totals["import_tax_estimate"] is None
    # 1,000 × 1.0500 + 3 % platform fee: what is charged does not change
    assert totals["total"] == {"amount": "1081.50", "currency": "USD"}


def test_an_order_with_known_rates_shows_its_amounts(
    client, api_client, listing, buyer, buyer_user
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user, quantity=1000)

    api_client.force_authenticate(buyer_user)
    api_client.credentials(HTTP_X_COMPANY=str(buyer.pk))
    totals = api_client.get(f"/api/v1/orders/{order.pk}/").json()["totals"]
    # 3.7 % of 1,050.00 = 38.85; VAT 19 % of 1,088.85 = 206.88
    assert totals["duty_estimate"] == {"amount": "38.85", "currency": "USD"}
    assert totals["import_tax_estimate"] == {"amount": "206.88", "currency": "USD"}
    client.force_login(buyer_user)
    page = text(client.get(reverse("orders:detail", args=[order.pk])))
    assert "Estimated duty (buyer pays at the border) USD 38.85" in page
