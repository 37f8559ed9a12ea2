"""The order pages with the Django test client: cart, checkout (errors inline, nothing
placed), order list and detail with the actions open to each party, the landed-cost widget."""

import re

import pytest
from django.urls import reverse

from listings.models import Listing
from orders import services
from orders.enums import OrderStatus
from orders.models import CartLine, Order
from tests.listings.factories import ListingFactory
from tests.orders.factories import OrderFactory, orders_state, place_order, seller_member


def text(response) -> str:
    """The page's text with tags dropped and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def buyer_client(client, buyer_user):
    client.force_login(buyer_user)
    return client


@pytest.fixture
def second_listing(fx_rates):
    """A JPY listing of a Japanese seller, MOQ 50 at ¥1,200, 500+ at ¥1,050, FOB/CIF."""
    seller, _ = seller_member(legal_name="Naniwa Tools K.K.", country="JP")
    return ListingFactory(
        seller=seller,
        published=True,
        title="Chisel set",
        currency="JPY",
        moq=50,
        stock=2_000,
        incoterms=["FOB", "CIF"],
        tiers=[(50, "1200"), (500, "1050")],
    )


def cart_with(buyer, buyer_user, *lines):
    for listing, quantity in lines:
        services.cart_line_set(
            buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=quantity
        )


# --- cart -------------------------------------------------------------------------------


def test_the_empty_cart_says_so(buyer_client):
    response = buyer_client.get(reverse("orders:cart"))

    assert response.status_code == 200
    assert "Your cart is empty" in text(response)
    assert "Check out" not in text(response)


def test_add_to_cart_below_moq_is_refused_with_the_reason(buyer_client, listing):
    response = buyer_client.post(
        reverse("orders:cart_add"), {"listing": listing.pk, "quantity": 99}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("listings:detail", args=[listing.pk])
    assert (
        "Not added to the cart: “Hex bolts M8” has a minimum order quantity of 100; "
        "you asked for 99." in text(response)
    )
    assert not CartLine.objects.exists()


@pytest.mark.parametrize(
    "bad", ["²", "٣", "1²", "-5", "0", " ", "1e3", "10" * 15, str(2**63), "7\x00", "abc"]
)
def test_add_to_cart_with_a_listing_that_is_not_an_id_is_refused_without_an_error(
    buyer_client, listing, bad
):
    response = buyer_client.post(
        reverse("orders:cart_add"), {"listing": bad, "quantity": 100}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("orders:cart"), 302)]
    page = text(response)
    assert "Not added to the cart:" in page
    assert "Your cart is empty" in page
    assert not CartLine.objects.exists()


def test_add_to_cart_with_a_bad_quantity_goes_back_to_the_listing(buyer_client, listing):
    response = buyer_client.post(
        reverse("orders:cart_add"), {"listing": str(listing.pk), "quantity": "²"}, follow=True
    )

    assert response.redirect_chain == [(reverse("listings:detail", args=[listing.pk]), 302)]
    assert "Not added to the cart: Enter a whole number." in text(response)
    assert not CartLine.objects.exists()


def test_cart_groups_lines_by_seller_with_tier_prices(
    buyer_client, buyer, buyer_user, listing, second_listing
):
    buyer_client.post(reverse("orders:cart_add"), {"listing": listing.pk, "quantity": 1000})
    buyer_client.post(reverse("orders:cart_add"), {"listing": second_listing.pk, "quantity": 60})

    page = text(buyer_client.get(reverse("orders:cart")))

    assert "Ningbo Fasteners Co., Ltd. · China · USD" in page
    assert "Naniwa Tools K.K. · Japan · JPY" in page
    # 1,000 × USD 1.05 = 1,050.00 (the 1,000 break); 60 × ¥1,200 = ¥72,000, ¥1,050 from 500.
    assert "USD 1.05 USD 1,050.00" in page
    assert "JPY 1,200 JPY 72,000" in page
    assert "From 500 pieces: JPY 1,050 each" in page
    assert "MOQ 100 pieces · 10,000 pieces in stock" in page


def test_update_and_remove_a_cart_line(buyer_client, buyer, buyer_user, listing):
    cart_with(buyer, buyer_user, (listing, 100))

    updated = buyer_client.post(
        reverse("orders:cart_update", args=[listing.pk]), {"quantity": 2000}, follow=True
    )
    below = buyer_client.post(
        reverse("orders:cart_update", args=[listing.pk]), {"quantity": 5}, follow=True
    )

    assert "USD 1.05 USD 2,100.00" in text(updated)
    assert "The quantity was not changed" in text(below)
    assert CartLine.objects.get().quantity == 2000
    removed = buyer_client.post(reverse("orders:cart_remove", args=[listing.pk]), follow=True)
    assert "Your cart is empty" in text(removed)
    assert not CartLine.objects.exists()


def test_a_seller_only_company_has_no_cart(client, listing):
    _, user = seller_member()
    client.force_login(user)

    response = client.get(reverse("orders:cart"))

    assert response.status_code == 403
    assert "registered as a seller only" in text(response)


def test_cart_pages_need_a_sign_in(client):
    response = client.get(reverse("orders:cart"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- checkout ---------------------------------------------------------------------------


def test_checkout_prefills_the_address_and_shows_the_landed_cost_per_seller(
    buyer_client, buyer, buyer_user, listing, second_listing
):
    cart_with(buyer, buyer_user, (listing, 1000), (second_listing, 60))

    response = buyer_client.get(reverse("orders:checkout"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["name"].value() == "Rheinland Import GmbH"
    assert form["line1"].value() == buyer.address_line1
    assert form["country"].value() == "DE"
    page = text(response)
    assert "Order 1: Ningbo Fasteners Co., Ltd." in page
    assert "Order 2: Naniwa Tools K.K." in page
    # The USD order: duty 3.7 % of 1,050.00 = 38.85; VAT 19 % of 1,088.85 = 206.88;
    # fee 31.50; landed 1,050 + 38.85 + 206.88 + 31.50 = 1,327.23.
    assert "Import duty (3.7 %)" in page
    assert "USD 38.85" in page and "USD 206.88" in page and "USD 1,327.23" in page
    assert "Sample rates" in page
    incoterm_options = re.findall(
        r'<option value="([A-Z]+)"', str(form[f"incoterm_{listing.seller_id}"])
    )
    assert incoterm_options == ["EXW", "DAP", "FOB", "CIF"]


def test_checkout_states_the_payment_window_from_the_setting(
    buyer_client, buyer, buyer_user, listing, settings
):
    settings.ORDER_PAYMENT_WINDOW_DAYS = 3
    cart_with(buyer, buyer_user, (listing, 1000))

    page = text(buyer_client.get(reverse("orders:checkout")))

    assert "once a seller confirms, you have 3 days to pay before the order expires." in page


def test_checkout_estimate_partial_follows_the_country_and_incoterm(
    buyer_client, buyer, buyer_user, listing
):
    cart_with(buyer, buyer_user, (listing, 1000))

    response = buyer_client.get(
        reverse("orders:checkout_estimate", args=[listing.seller_id]),
        {"country": "US", f"incoterm_{listing.seller_id}": "FOB"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    page = text(response)
    assert "FOB to United States of America" in page
    # The US charges duty on the FOB value: 6.2 % of 1,050.00 = 65.10; no import VAT.
    assert "Customs value (FOB) The value duty is charged on. USD 1,050.00" in page
    assert "Import duty (6.2 %) USD 65.10 Buyer" in page
    assert "Landed cost for the buyer USD 1,146.60" in page


def test_checkout_errors_are_inline_and_nothing_is_placed(
    buyer_client, buyer, buyer_user, listing, second_listing
):
    cart_with(buyer, buyer_user, (listing, 1000), (second_listing, 60))
    before = orders_state(listing, second_listing)
    data = {
        "name": "Rheinland Import GmbH",
        "line1": "Hansaring 61",
        "city": "",
        "postal_code": "50670",
        "country": "DE",
        f"incoterm_{listing.seller_id}": "FOB",
        f"named_place_{listing.seller_id}": "Ningbo",
        f"incoterm_{second_listing.seller_id}": "DAP",
        f"named_place_{second_listing.seller_id}": "",
    }

    response = buyer_client.post(reverse("orders:checkout"), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "city": ["This field is required."],
        f"incoterm_{second_listing.seller_id}": ["“DAP” is not offered; offered: FOB, CIF."],
        f"named_place_{second_listing.seller_id}": ["Enter the named place for the Incoterm."],
    }
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert "The orders were not placed." in text(response)
    assert orders_state(listing, second_listing) == before


def test_checkout_places_one_order_per_seller(
    buyer_client, buyer, buyer_user, listing, second_listing
):
    cart_with(buyer, buyer_user, (listing, 1000), (second_listing, 60))
    data = {
        "name": "Rheinland Import GmbH",
        "line1": "Hansaring 61",
        "city": "Köln",
        "postal_code": "50670",
        "country": "DE",
        "buyer_reference": "PO-77",
        f"incoterm_{listing.seller_id}": "FOB",
        f"named_place_{listing.seller_id}": "Ningbo",
        f"incoterm_{second_listing.seller_id}": "CIF",
        f"named_place_{second_listing.seller_id}": "Hamburg",
    }

    response = buyer_client.post(reverse("orders:checkout"), data, follow=True)

    orders = list(Order.objects.order_by("seller_id"))
    assert [(o.seller_id, o.incoterm, o.named_place, o.buyer_reference) for o in orders] == sorted(
        [
            (listing.seller_id, "FOB", "Ningbo", "PO-77"),
            (second_listing.seller_id, "CIF", "Hamburg", "PO-77"),
        ]
    )
    assert [o.currency for o in orders] == ["USD", "JPY"] or [o.currency for o in orders] == [
        "JPY",
        "USD",
    ]
    assert not CartLine.objects.exists()
    assert "2 orders placed" in text(response)
    assert response.redirect_chain[-1][0] == reverse("orders:list") + "?role=buyer"


def test_checkout_of_an_empty_cart_goes_back_to_the_cart(buyer_client):
    response = buyer_client.get(reverse("orders:checkout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:cart")


# --- orders -----------------------------------------------------------------------------


def test_order_list_has_a_role_switch_status_filter_and_empty_states(buyer_client, buyer, seller):
    placed = OrderFactory(buyer=buyer, seller=seller)
    OrderFactory(buyer=buyer, seller=seller, shipped=True)

    mine = text(buyer_client.get(reverse("orders:list")))
    shipped = buyer_client.get(reverse("orders:list"), {"status": "shipped"})
    received = text(buyer_client.get(reverse("orders:list"), {"role": "seller"}))
    none = text(buyer_client.get(reverse("orders:list"), {"status": "disputed"}))

    assert placed.number in mine
    assert "USD 123.60" in mine
    assert [o.status for o in shipped.context["orders"]] == ["shipped"]
    assert "No orders received yet" in received
    assert "No disputed orders" in none


def test_the_order_list_queries_do_not_grow(
    buyer_client, buyer, seller, django_assert_max_num_queries
):
    for _ in range(12):
        OrderFactory(buyer=buyer, seller=seller)

    with django_assert_max_num_queries(12):
        response = buyer_client.get(reverse("orders:list"))

    assert len(response.context["orders"]) == 12


def test_the_buyer_sees_lines_totals_landed_cost_timeline_and_cancel(
    buyer_client, buyer, buyer_user, listing
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user, quantity=1000)

    response = buyer_client.get(reverse("orders:detail", args=[order.pk]))

    assert response.status_code == 200
    page = text(response)
    assert "Hex bolts M8" in page and "731815 · CN" in page and "1,000 pieces" in page
    assert "Total to pay USD 1,081.50" in page
    assert "Import duty (3.7 %) The customs value leaves out the freight" in page
    assert "Sample rates" in page
    assert f"Placed {order.created_at:%-d %b %Y}" in page
    assert response.context["actions"] == ["cancel"]
    assert "Cancel order" in page and "Confirm order" not in page


def test_the_seller_confirms_a_cif_order_with_freight_from_the_detail_page(
    client, listing, buyer, buyer_user, seller_user
):
    order = place_order(
        listing=listing, buyer=buyer, actor=buyer_user, quantity=1000, incoterm="CIF",
        named_place="Hamburg",
    )  # fmt: skip
    client.force_login(seller_user)
    page = text(client.get(reverse("orders:detail", args=[order.pk])))
    assert "Freight (USD)" in page and "Insurance (USD)" in page

    missing = client.post(reverse("orders:confirm", args=[order.pk]), {"freight": ""})
    assert missing.status_code == 400
    assert missing.context["forms"]["confirm"].errors == {
        "freight": ["Under CIF enter the freight."],
        "insurance": ["Under CIF enter the insurance premium."],
    }
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED

    done = client.post(
        reverse("orders:confirm", args=[order.pk]),
        {"freight": "850.00", "insurance": "12.50"},
        follow=True,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert (order.freight_minor, order.insurance_minor, order.total_minor) == (85000, 1250, 194400)
    assert "The order is confirmed" in text(done)


def test_ship_before_payment_is_409_and_changes_nothing(client, listing, buyer, seller_user):
    order = place_order(listing=listing, buyer=buyer)
    client.force_login(seller_user)
    before = orders_state(listing)

    response = client.post(
        reverse("orders:ship", args=[order.pk]),
        {"carrier": "Maersk", "tracking_number": "MAEU1"},
    )

    assert response.status_code == 409
    assert "Not possible now: A order that is placed cannot become shipped." in text(response)
    assert orders_state(listing) == before


def test_the_seller_ships_a_paid_order_and_the_buyer_sees_shipped(
    client, listing, buyer, buyer_user, seller_user
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user)
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    client.force_login(seller_user)

    client.post(
        reverse("orders:ship", args=[order.pk]),
        {"carrier": "Maersk", "tracking_number": "MAEU7654321"},
    )
    client.force_login(buyer_user)
    page = text(client.get(reverse("orders:detail", args=[order.pk])))

    assert "Order " + order.number + " Shipped" in page
    assert "Carrier Maersk Tracking MAEU7654321" in page
    assert "Confirm delivery" in page


def test_buyer_cancel_needs_a_reason_inline(buyer_client, buyer, buyer_user, listing):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user)

    response = buyer_client.post(reverse("orders:cancel", args=[order.pk]), {"cancel-reason": ""})

    assert response.status_code == 400
    assert response.context["forms"]["cancel"].errors == {"reason": ["Enter the reason."]}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED
    done = buyer_client.post(
        reverse("orders:cancel", args=[order.pk]), {"cancel-reason": "Ordered twice."}
    )
    assert done.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Listing.objects.get(pk=listing.pk).stock == 10_000


def test_buyer_confirms_delivery_then_disputes(buyer_client, buyer, seller):
    order = OrderFactory(buyer=buyer, seller=seller, shipped=True)

    buyer_client.post(reverse("orders:confirm_delivery", args=[order.pk]))
    twice = buyer_client.post(reverse("orders:confirm_delivery", args=[order.pk]))
    disputed = buyer_client.post(
        reverse("orders:dispute", args=[order.pk]), {"dispute-reason": "Wet cartons."}
    )

    assert twice.status_code == 409
    assert disputed.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert order.dispute.reason == "Wet cartons."


def test_another_companys_order_is_404(buyer_client):
    foreign = OrderFactory()
    before = orders_state()

    assert buyer_client.get(reverse("orders:detail", args=[foreign.pk])).status_code == 404
    for name in ("confirm", "ship", "cancel", "confirm_delivery", "accept", "dispute"):
        assert buyer_client.post(reverse(f"orders:{name}", args=[foreign.pk])).status_code == 404
    assert orders_state() == before


# --- landed-cost widget -----------------------------------------------------------------


def test_the_listing_page_offers_add_to_cart_and_loads_the_estimate(buyer_client, listing):
    page = buyer_client.get(reverse("listings:detail", args=[listing.pk])).content.decode()

    assert 'action="/cart/add/"' in page
    assert (
        f'hx-get="/landed-cost/{listing.pk}/?quantity=100&amp;destination=DE&amp;incoterm=FOB"'
        in page
    )


def test_the_estimate_widget_renders_the_breakdown_for_htmx(buyer_client, listing):
    response = buyer_client.get(
        reverse("orders:landed_cost_estimate", args=[listing.pk]),
        {"quantity": 500, "destination": "DE", "incoterm": "FOB"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    page = text(response)
    assert "<html" not in response.content.decode()
    assert "500 pieces × USD 1.20 (the tier price at this quantity)" in page
    assert "Import duty (3.7 %)" in page and "USD 22.20" in page
    assert "VAT (19 %)" in page and "USD 118.22" in page
    assert "Landed cost for the buyer USD 740.42" in page


def test_the_estimate_widget_shows_a_moq_error_inline(client, listing):
    response = client.get(
        reverse("orders:landed_cost_estimate", args=[listing.pk]),
        {"quantity": 5, "destination": "DE", "incoterm": "FOB"},
    )

    assert response.status_code == 200
    assert "<html" in response.content.decode()  # a page of its own without htmx
    assert "The minimum order quantity is 100." in text(response)
    assert 'aria-invalid="true"' in response.content.decode()
