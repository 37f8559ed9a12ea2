"""listing_create / listing_update: every rule, with exact messages, and nothing saved on refusal."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from listings.enums import ListingStatus
from listings.models import Listing, ListingImage, ModerationEvent, PriceTier
from listings.services import TierInput, listing_create, listing_update
from marketplace.core.exceptions import Conflict
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, listing_create_data

pytestmark = pytest.mark.django_db


def _state() -> dict[str, object]:
    return {
        "listings": sorted(Listing.objects.values_list("pk", "status", "title", "updated_at")),
        "tiers": sorted(PriceTier.objects.values_list("listing_id", "min_quantity", "unit_price")),
        "images": ListingImage.objects.count(),
        "events": ModerationEvent.objects.count(),
    }


def _refused(actor, **data) -> dict[str, list[str]]:
    before = _state()
    with pytest.raises(ValidationError) as caught:
        listing_create(actor=actor, **data)
    assert _state() == before
    return caught.value.message_dict


def _tiers(*pairs: tuple[int, str]) -> list[TierInput]:
    return [TierInput(min_quantity=q, unit_price=Decimal(p)) for q, p in pairs]


# --- create: the happy path -------------------------------------------------------------


def test_listing_create_makes_a_draft_with_tiers_and_denormalised_prices(
    seller, seller_user, fx_rates
):
    listing = listing_create(actor=seller_user, **listing_create_data(seller=seller))

    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT
    assert listing.seller == seller
    assert listing.hs_code_id == "731815"
    assert str(listing.origin_country) == "CN"
    assert listing.incoterms == ["EXW", "FOB", "CIF"]  # the ICC's order
    assert list(listing.price_tiers.values_list("min_quantity", "unit_price")) == [
        (1000, Decimal("0.0350")),
        (10_000, Decimal("0.0310")),
        (50_000, Decimal("0.0285")),
    ]
    assert listing.price_max == Decimal("0.0350")
    assert listing.price_min == Decimal("0.0285")
    assert listing.price_min_usd == Decimal("0.0285")
    assert listing.published_at is None
    assert ModerationEvent.objects.count() == 0


def test_listing_create_in_jpy_converts_the_lowest_price_to_usd_unrounded(
    seller, seller_user, fx_rates
):
    data = listing_create_data(
        seller=seller,
        currency="JPY",
        moq=10,
        price_tiers=_tiers((10, "4800"), (100, "4500")),
    )
    listing = listing_create(actor=seller_user, **data)

    listing.refresh_from_db()
    # 4500 / 155.20 = 28.99484536... → 4 decimals
    assert listing.price_min_usd == Decimal("28.9948")
    assert listing.price_max == Decimal("4800.0000")


def test_listing_create_without_an_fx_rate_leaves_the_usd_price_empty(seller, seller_user):
    data = listing_create_data(
        seller=seller, currency="EUR", moq=1000, price_tiers=_tiers((1000, "0.0300"))
    )
    listing = listing_create(actor=seller_user, **data)

    listing.refresh_from_db()
    assert listing.price_min_usd is None
    assert listing.price_min == Decimal("0.0300")


def test_equal_unit_prices_on_consecutive_tiers_are_accepted(seller, seller_user):
    data = listing_create_data(
        seller=seller, price_tiers=_tiers((1000, "0.0350"), (5000, "0.0350"))
    )
    listing = listing_create(actor=seller_user, **data)
    assert listing.price_tiers.count() == 2


def test_tiers_given_as_dicts_with_string_prices_are_accepted(seller, seller_user):
    data = listing_create_data(
        seller=seller,
        price_tiers=[
            {"min_quantity": 1000, "unit_price": "0.0350"},
            {"min_quantity": 2000, "unit_price": "0.03"},
        ],
    )
    listing = listing_create(actor=seller_user, **data)
    assert list(listing.price_tiers.values_list("unit_price", flat=True)) == [
        Decimal("0.0350"),
        Decimal("0.0300"),
    ]


# --- create: refusals -------------------------------------------------------------------


def test_moq_of_zero_is_refused(seller, seller_user):
    errors = _refused(
        seller_user, **listing_create_data(seller=seller, moq=0, price_tiers=_tiers((1, "1")))
    )
    assert errors == {"moq": ["The minimum order quantity must be at least 1."]}


def test_negative_stock_and_lead_time_are_refused(seller, seller_user):
    errors = _refused(
        seller_user, **listing_create_data(seller=seller, stock=-1, lead_time_days=-2)
    )
    assert errors == {
        "stock": ["The stock must be at least 0."],
        "lead_time_days": ["The lead time in days must be at least 0."],
    }


def test_tiers_out_of_order_are_refused(seller, seller_user):
    data = listing_create_data(
        seller=seller, price_tiers=_tiers((1000, "0.0350"), (5000, "0.0300"), (2000, "0.0290"))
    )
    assert _refused(seller_user, **data) == {
        "price_tiers": [
            "Tier 3 starts at 2,000, which is not more than tier 2 (5,000): quantities must rise."
        ]
    }


def test_a_repeated_tier_quantity_is_refused(seller, seller_user):
    data = listing_create_data(
        seller=seller, price_tiers=_tiers((1000, "0.0350"), (1000, "0.0300"))
    )
    assert _refused(seller_user, **data) == {
        "price_tiers": [
            "Tier 2 starts at 1,000, which is not more than tier 1 (1,000): quantities must rise."
        ]
    }


def test_a_rising_unit_price_is_refused(seller, seller_user):
    data = listing_create_data(
        seller=seller, price_tiers=_tiers((1000, "0.0350"), (5000, "0.0360"))
    )
    assert _refused(seller_user, **data) == {
        "price_tiers": [
            "Tier 2's unit price 0.036 is higher than tier 1's 0.035: the unit price must not "
            "rise with the quantity."
        ]
    }


def test_a_first_break_other_than_the_moq_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, moq=1000, price_tiers=_tiers((500, "0.0400")))
    assert _refused(seller_user, **data) == {
        "price_tiers": [
            "Tier 1 starts at 500, but the MOQ is 1,000: the first break must equal the MOQ."
        ]
    }


def test_a_price_with_five_decimals_is_refused_not_rounded(seller, seller_user):
    data = listing_create_data(seller=seller, price_tiers=_tiers((1000, "0.03505")))
    assert _refused(seller_user, **data) == {
        "price_tiers": ["Tier 1: the unit price 0.03505 has more than 4 decimals."]
    }


def test_negative_and_zero_prices_are_refused(seller, seller_user):
    data = listing_create_data(seller=seller, price_tiers=_tiers((1000, "-0.01"), (2000, "0")))
    assert _refused(seller_user, **data) == {
        "price_tiers": [
            "Tier 1: the unit price must be more than 0.",
            "Tier 2: the unit price must be more than 0.",
        ]
    }


def test_no_price_tiers_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, price_tiers=[])
    assert _refused(seller_user, **data) == {
        "price_tiers": ["Add at least one price tier; the first starts at the MOQ."]
    }


def test_a_float_price_is_refused(seller, seller_user):
    data = listing_create_data(
        seller=seller, price_tiers=[{"min_quantity": 1000, "unit_price": 0.035}]
    )
    assert _refused(seller_user, **data) == {
        "price_tiers": ["Tier 1: enter the unit price as a number."]
    }


def test_an_unknown_currency_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, currency="XYZ")
    assert _refused(seller_user, **data) == {
        "currency": ["XYZ is not a currency the marketplace trades in."]
    }


def test_an_hs_code_of_four_digits_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, hs_code="7318")
    assert _refused(seller_user, **data) == {
        "hs_code": ["Enter an HS subheading of exactly 6 digits, e.g. 090111."]
    }


def test_an_unknown_six_digit_hs_code_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, hs_code="999999")
    assert _refused(seller_user, **data) == {"hs_code": ["999999 is not an HS 2022 subheading."]}


def test_an_unknown_country_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, origin_country="XX")
    assert _refused(seller_user, **data) == {
        "origin_country": ["Choose the country of origin from the list."]
    }


def test_an_unknown_incoterm_is_refused(seller, seller_user):
    data = listing_create_data(seller=seller, incoterms=["FOB", "FOO"])
    assert _refused(seller_user, **data) == {
        "incoterms": [
            "FOO is not an Incoterm 2020; choose from EXW, FCA, CPT, CIP, DAP, DPU, DDP, FAS, "
            "FOB, CFR, CIF."
        ]
    }


def test_no_incoterm_and_a_repeated_incoterm_are_refused(seller, seller_user):
    assert _refused(seller_user, **listing_create_data(seller=seller, incoterms=[])) == {
        "incoterms": ["Choose at least one Incoterm."]
    }
    assert _refused(
        seller_user, **listing_create_data(seller=seller, incoterms=["FOB", "FOB"])
    ) == {"incoterms": ["FOB is listed more than once."]}


def test_a_title_of_201_characters_is_refused_and_200_accepted(seller, seller_user):
    errors = _refused(seller_user, **listing_create_data(seller=seller, title="x" * 201))
    assert errors == {"title": ["Keep the title to 200 characters or fewer (it has 201)."]}

    listing = listing_create(
        actor=seller_user, **listing_create_data(seller=seller, title="y" * 200)
    )
    assert len(listing.title) == 200


def test_a_blank_title_is_refused(seller, seller_user):
    assert _refused(seller_user, **listing_create_data(seller=seller, title="   ")) == {
        "title": ["Enter the title."]
    }


def test_weights_and_sizes_must_be_positive_with_their_decimals(seller, seller_user):
    data = listing_create_data(
        seller=seller,
        unit_net_weight_kg=Decimal("0"),
        carton_gross_weight_kg=Decimal("1.2345"),
        carton_length_cm=Decimal("-3"),
        units_per_carton=0,
    )
    assert _refused(seller_user, **data) == {
        "unit_net_weight_kg": ["The unit net weight must be more than 0 kg."],
        "carton_gross_weight_kg": ["Give the carton gross weight with at most 3 decimal(s)."],
        "carton_length_cm": ["The carton length must be more than 0 cm."],
        "units_per_carton": ["The number of units per carton must be at least 1."],
    }


def test_every_problem_is_reported_at_once(seller, seller_user):
    data = listing_create_data(seller=seller, currency="XYZ", hs_code="12", origin_country="ZZ")
    assert set(_refused(seller_user, **data)) == {"currency", "hs_code", "origin_country"}


def test_a_buying_only_company_cannot_create_a_listing(seller_user):
    buyer = CompanyFactory(buyer=True)
    MembershipFactory(company=buyer, user=seller_user)
    before = _state()
    with pytest.raises(PermissionDenied):
        listing_create(actor=seller_user, **listing_create_data(seller=buyer))
    assert _state() == before


def test_a_user_outside_the_company_cannot_create_its_listing(seller):
    outsider = UserFactory()
    before = _state()
    with pytest.raises(PermissionDenied):
        listing_create(actor=outsider, **listing_create_data(seller=seller))
    assert _state() == before


# --- update -----------------------------------------------------------------------------


def _published(seller, **kwargs) -> Listing:
    return ListingFactory(seller=seller, published=True, **kwargs)


def test_changing_a_published_listings_price_sends_it_back_to_review(seller, seller_user):
    listing = _published(seller)

    updated = listing_update(
        listing=listing,
        actor=seller_user,
        price_tiers=[TierInput(100, Decimal("1.1500")), TierInput(1000, Decimal("0.9900"))],
    )

    assert updated.status == ListingStatus.PENDING_REVIEW
    event = ModerationEvent.objects.get(listing=listing)
    assert (event.from_status, event.to_status, event.note, event.actor) == (
        ListingStatus.PUBLISHED,
        ListingStatus.PENDING_REVIEW,
        "Changed: price tiers",
        seller_user,
    )
    listing.refresh_from_db()
    assert (listing.price_max, listing.price_min, listing.price_min_usd) == (
        Decimal("1.1500"),
        Decimal("0.9900"),
        Decimal("0.9900"),
    )
    assert list(listing.price_tiers.values_list("min_quantity", "unit_price")) == [
        (100, Decimal("1.1500")),
        (1000, Decimal("0.9900")),
    ]


def test_the_review_note_lists_every_reviewed_field_that_changed(seller, seller_user):
    listing = _published(seller)

    listing_update(
        listing=listing,
        actor=seller_user,
        title="Galvanised carriage bolts M10",
        origin_country="VN",
        hs_code="731816",
        stock=500,
    )

    assert ModerationEvent.objects.get(listing=listing).note == "Changed: title, HS code, origin"


def test_a_stock_only_edit_keeps_a_published_listing_published(seller, seller_user):
    listing = _published(seller, stock=100)

    updated = listing_update(listing=listing, actor=seller_user, stock=0, lead_time_days=30)

    assert updated.status == ListingStatus.PUBLISHED
    listing.refresh_from_db()
    assert (listing.stock, listing.lead_time_days) == (0, 30)
    assert ModerationEvent.objects.count() == 0


def test_sending_the_same_price_tiers_again_changes_nothing(seller, seller_user):
    listing = _published(seller)

    updated = listing_update(
        listing=listing,
        actor=seller_user,
        price_tiers=[
            {"min_quantity": 100, "unit_price": "1.2"},
            {"min_quantity": 1000, "unit_price": "1.05"},
        ],
    )

    assert updated.status == ListingStatus.PUBLISHED
    assert ModerationEvent.objects.count() == 0


def test_editing_a_draft_changes_it_without_an_event(seller, seller_user):
    listing = ListingFactory(seller=seller)

    updated = listing_update(listing=listing, actor=seller_user, title="Carriage bolts, boxed")

    assert (updated.status, updated.title) == (ListingStatus.DRAFT, "Carriage bolts, boxed")
    assert ModerationEvent.objects.count() == 0


def test_raising_the_moq_without_new_tiers_is_refused(seller, seller_user):
    listing = _published(seller)
    before = _state()

    with pytest.raises(ValidationError) as caught:
        listing_update(listing=listing, actor=seller_user, moq=200)

    assert caught.value.message_dict == {
        "price_tiers": [
            "Tier 1 starts at 100, but the MOQ is 200: the first break must equal the MOQ."
        ]
    }
    assert _state() == before


def test_an_invalid_update_changes_nothing(seller, seller_user):
    listing = _published(seller)
    before = _state()

    with pytest.raises(ValidationError) as caught:
        listing_update(listing=listing, actor=seller_user, title="", currency="ABC", stock=7)

    assert set(caught.value.message_dict) == {"title", "currency"}
    assert _state() == before
    listing.refresh_from_db()
    assert listing.stock == 10_000


def test_an_archived_listing_cannot_be_edited(seller, seller_user):
    listing = ListingFactory(seller=seller, archived=True)
    before = _state()

    with pytest.raises(Conflict) as caught:
        listing_update(listing=listing, actor=seller_user, stock=1)

    assert caught.value.code == "listing_not_editable"
    assert caught.value.message == "A listing that is archived cannot be edited."
    assert _state() == before


def test_a_member_of_another_company_cannot_edit(seller):
    listing = _published(seller)
    other = MembershipFactory(company=CompanyFactory(seller=True)).user
    before = _state()

    with pytest.raises(PermissionDenied):
        listing_update(listing=listing, actor=other, stock=1)

    assert _state() == before


def test_an_unknown_field_is_a_programming_error(seller, seller_user):
    listing = ListingFactory(seller=seller)
    with pytest.raises(TypeError, match="unexpected fields: status"):
        listing_update(listing=listing, actor=seller_user, status="published")
