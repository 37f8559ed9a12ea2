import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from listings.models import Listing
from orders.models import Cart, CartLine, Order
from orders.services import cart_checkout, cart_get, cart_line_remove, cart_line_set
from tests.listings.factories import ListingFactory
from tests.orders.factories import orders_state, seller_member, ship_to


@pytest.fixture
def second_listing(fx_rates):
    """Another seller's listing: JPY, MOQ 10 at 150, FOB/CIF."""
    seller, _ = seller_member(legal_name="Naniwa Precision Tools Co., Ltd.", country="JP")
    return ListingFactory(
        seller=seller,
        published=True,
        title="Carbide end mill 6 mm",
        currency="JPY",
        moq=10,
        stock=500,
        incoterms=["FOB", "CIF"],
        tiers=[(10, "150.0000")],
    )


def test_cart_is_created_on_first_use(buyer):
    cart = cart_get(buyer=buyer)
    assert cart_get(buyer=buyer) == cart
    assert Cart.objects.filter(buyer=buyer).count() == 1


def test_cart_line_set_adds_then_changes_the_quantity(listing, buyer, buyer_user):
    line = cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=100)
    again = cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=250)
    assert line.pk == again.pk
    assert list(CartLine.objects.values_list("listing_id", "quantity")) == [(listing.pk, 250)]


@pytest.mark.parametrize(
    ("quantity", "errors"),
    [
        (
            99,
            {"quantity": ["“Hex bolts M8” has a minimum order quantity of 100; you asked for 99."]},
        ),
        (
            10_001,
            {"quantity": ["Only 10000 of “Hex bolts M8” are in stock; you asked for 10001."]},
        ),
        (0, {"quantity": ["Enter a whole quantity of at least 1."]}),
    ],
)
def test_cart_line_set_refuses_what_checkout_would_refuse(
    listing, buyer, buyer_user, quantity, errors
):
    before = orders_state(listing)
    with pytest.raises(ValidationError) as caught:
        cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=quantity)
    assert caught.value.message_dict == errors
    assert orders_state(listing) == before


def test_cart_line_set_refuses_an_unpublished_listing(buyer, buyer_user, seller):
    draft = ListingFactory(seller=seller)
    with pytest.raises(ValidationError) as caught:
        cart_line_set(buyer=buyer, actor=buyer_user, listing_id=draft.pk, quantity=100)
    assert caught.value.message_dict == {"listing": [f"Listing {draft.pk} is not available."]}
    assert not CartLine.objects.exists()


def test_cart_line_set_by_an_outsider_is_forbidden(listing, buyer, outsider):
    with pytest.raises(PermissionDenied):
        cart_line_set(buyer=buyer, actor=outsider, listing_id=listing.pk, quantity=100)
    assert not CartLine.objects.exists()


def test_cart_line_remove_is_idempotent(listing, buyer, buyer_user):
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=100)
    cart_line_remove(buyer=buyer, actor=buyer_user, listing_id=listing.pk)
    cart_line_remove(buyer=buyer, actor=buyer_user, listing_id=listing.pk)
    assert not CartLine.objects.exists()


def test_checkout_makes_one_order_per_seller_and_empties_the_cart(
    listing, second_listing, buyer, buyer_user
):
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=1000)
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=second_listing.pk, quantity=13)
    orders = cart_checkout(
        buyer=buyer,
        actor=buyer_user,
        terms={listing.seller_id: ("FOB", "Ningbo"), second_listing.seller_id: ("CIF", "Hamburg")},
        ship_to=ship_to(),
        buyer_reference="PO-77",
    )
    by_seller = {order.seller_id: order for order in orders}
    usd, jpy = by_seller[listing.seller_id], by_seller[second_listing.seller_id]
    assert (usd.currency, usd.incoterm, usd.named_place, usd.goods_minor) == (
        "USD",
        "FOB",
        "Ningbo",
        105000,
    )
    assert (jpy.currency, jpy.incoterm, jpy.named_place, jpy.goods_minor) == (
        "JPY",
        "CIF",
        "Hamburg",
        1950,
    )
    assert {o.buyer_reference for o in orders} == {"PO-77"}
    assert not CartLine.objects.exists()
    assert Listing.objects.get(pk=listing.pk).stock == 9000
    assert Listing.objects.get(pk=second_listing.pk).stock == 487


def test_checkout_is_all_or_none(listing, second_listing, buyer, buyer_user):
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=1000)
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=second_listing.pk, quantity=13)
    Listing.objects.filter(pk=second_listing.pk).update(stock=12)  # sold elsewhere meanwhile
    before = orders_state(listing, second_listing)
    with pytest.raises(ValidationError) as caught:
        cart_checkout(
            buyer=buyer,
            actor=buyer_user,
            terms={
                listing.seller_id: ("FOB", "Ningbo"),
                second_listing.seller_id: ("EXW", "Osaka"),
            },
            ship_to=ship_to(),
        )
    assert caught.value.message_dict == {
        "lines": ["Only 12 of “Carbide end mill 6 mm” are in stock; you asked for 13."]
    }
    assert orders_state(listing, second_listing) == before
    assert CartLine.objects.count() == 2


def test_checkout_names_the_seller_whose_terms_are_wrong_or_missing(
    listing, second_listing, buyer, buyer_user
):
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=100)
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=second_listing.pk, quantity=10)
    before = orders_state(listing, second_listing)
    with pytest.raises(ValidationError) as caught:
        cart_checkout(
            buyer=buyer,
            actor=buyer_user,
            terms={second_listing.seller_id: ("EXW", "")},
            ship_to=ship_to(),
        )
    assert caught.value.message_dict == {
        "terms": ["Ningbo Fasteners Co., Ltd.: Choose the Incoterm and the named place."],
        "named_place": [
            "Naniwa Precision Tools Co., Ltd.: Enter the named place of delivery for the Incoterm."
        ],
        "incoterm": [
            "Naniwa Precision Tools Co., Ltd.: “Carbide end mill 6 mm” is not offered under EXW; "
            "offered: FOB, CIF."
        ],
    }
    assert orders_state(listing, second_listing) == before


def test_checkout_of_an_empty_cart_is_refused(buyer, buyer_user):
    with pytest.raises(ValidationError) as caught:
        cart_checkout(buyer=buyer, actor=buyer_user, terms={}, ship_to=ship_to())
    assert caught.value.message_dict == {"lines": ["Your cart is empty."]}
    assert not Order.objects.exists()
