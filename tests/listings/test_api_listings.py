"""The listings API: search, detail, the seller's writes, my listings, categories, moderation."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.fields import DateTimeField

from listings.enums import ListingStatus
from listings.models import Category, Listing, ListingImage, ModerationEvent, PriceTier
from listings.services import listing_image_process
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, image_upload, listing_create_data

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/listings/"


def detail_url(listing: Listing) -> str:
    return f"/api/v1/listings/{listing.pk}/"


def iso(value) -> str:
    return DateTimeField().to_representation(value)


def payload(seller, **overrides) -> dict:
    """The JSON a client sends to create the factories' standard listing."""
    data = listing_create_data(seller=seller)
    data.pop("seller")
    data["category"] = data["category"].pk
    data["price_tiers"] = [
        {"min_quantity": tier.min_quantity, "unit_price": str(tier.unit_price)}
        for tier in data["price_tiers"]
    ]
    for field in (
        "unit_net_weight_kg",
        "carton_gross_weight_kg",
        "carton_length_cm",
        "carton_width_cm",
        "carton_height_cm",
    ):
        data[field] = str(data[field])
    data.update(overrides)
    return data


@pytest.fixture
def other_seller_user(db):
    company = CompanyFactory(seller=True, verified=True, legal_name="Hanoi Ceramics JSC")
    return MembershipFactory(company=company, user=UserFactory(email="owner@hanoi.test")).user


@pytest.fixture
def buyer_user(db):
    company = CompanyFactory(buyer=True, legal_name="Hamburg Imports GmbH")
    return MembershipFactory(company=company, user=UserFactory(email="buyer@hamburg.test")).user


def test_listing_detail_shows_every_field_of_a_published_listing(api_client, seller, hs_codes):
    listing = ListingFactory(
        seller=seller,
        published=True,
        title="Stainless steel hex bolts M8",
        description="DIN 933 **A2-70**.",
        moq=1000,
        tiers=[(1000, "0.0350"), (10_000, "0.0310")],
    )

    response = api_client.get(detail_url(listing))

    assert response.status_code == 200
    assert response.json() == {
        "id": listing.pk,
        "title": "Stainless steel hex bolts M8",
        "description": "DIN 933 **A2-70**.",
        "description_html": "<p>DIN 933 <strong>A2-70</strong>.</p>",
        "status": "published",
        "seller": {
            "id": seller.pk,
            "name": "Ningbo Fasteners Co., Ltd.",
            "country": "DE",
            "verified": True,
        },
        "category": {
            "id": listing.category_id,
            "name": "Fasteners",
            "slug": "machinery-tools-fasteners",
        },
        "hs_code": "731815",
        "hs_description": listing.hs_code.description,
        "origin_country": "CN",
        "ship_from": "Ningbo, China",
        "moq": 1000,
        "stock": 10000,
        "unit": "piece",
        "lead_time_days": 14,
        "incoterms": ["EXW", "FOB"],
        "currency": "USD",
        "price_tiers": [
            {"min_quantity": 1000, "unit_price": "0.0350"},
            {"min_quantity": 10000, "unit_price": "0.0310"},
        ],
        "price_from": {"amount": "0.0310", "currency": "USD"},
        "unit_net_weight_kg": "0.045",
        "units_per_carton": 200,
        "carton_gross_weight_kg": "9.500",
        "carton_length_cm": "35.0",
        "carton_width_cm": "25.0",
        "carton_height_cm": "15.0",
        "images": [],
        "rejection_reason": None,
        "created_at": iso(listing.created_at),
        "published_at": iso(listing.published_at),
    }


def test_search_returns_a_page_of_published_matches(api_client, hs_codes):
    mug = ListingFactory(published=True, title="Ceramic coffee mug", description="")
    ListingFactory(published=True, title="Hex bolt", description="")
    ListingFactory(title="Ceramic mug draft", description="")

    response = api_client.get(LIST_URL, {"q": "ceramik mug"})

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    assert [(row["id"], row["title"]) for row in body["results"]] == [
        (mug.pk, "Ceramic coffee mug")
    ]


def test_search_pages_link_to_each_other(api_client, hs_codes):
    for n in range(3):
        ListingFactory(published=True, title=f"Bolt {n}", description="")

    first = api_client.get(LIST_URL, {"q": "bolt", "page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert first["count"] == 3
    assert first["next"] == "http://testserver/api/v1/listings/?page=2&page_size=2&q=bolt"
    assert len(first["results"]) == 2
    assert second["previous"] == "http://testserver/api/v1/listings/?page_size=2&q=bolt"
    assert len(second["results"]) == 1


def test_search_filters_through_the_api(api_client, hs_codes, fx_rates):
    vietnam = ListingFactory(published=True, title="Cashew W320", origin_country="VN")
    ListingFactory(published=True, title="Cashew W240", origin_country="IN")

    response = api_client.get(
        LIST_URL, {"q": "cashew", "origin": "vn", "incoterm": "FOB", "max_price": "2"}
    )

    assert [row["id"] for row in response.json()["results"]] == [vietnam.pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"origin": "XX"}, {"origin": ["“XX” is not an ISO country code (e.g. CN, DE, VN)."]}),
        (
            {"incoterm": "FOO"},
            {"incoterm": ["“FOO” is not an Incoterms 2020 rule (e.g. FOB, EXW, DAP)."]},
        ),
        ({"min_price": "-1"}, {"min_price": ["Ensure this value is greater than or equal to 0."]}),
        ({"max_price": "abc"}, {"max_price": ["Enter a number."]}),
        (
            {"min_price": "5", "max_price": "1"},
            {"max_price": ["The highest price must not be below the lowest price."]},
        ),
        ({"max_moq": "0"}, {"max_moq": ["Ensure this value is greater than or equal to 1."]}),
        ({"verified": "perhaps"}, {"verified": ["Enter true or false."]}),
        (
            {"ordering": "cheapest"},
            {"ordering": ["Select a valid choice. cheapest is not one of the available choices."]},
        ),
        (
            {"price_currency": "XYZ"},
            {"price_currency": ["Select a valid choice. XYZ is not one of the available choices."]},
        ),
    ],
)
def test_search_refuses_bad_parameters_with_field_errors(api_client, db, query, errors):
    response = api_client.get(LIST_URL, query)

    assert response.status_code == 400
    assert response.json() == errors


def test_search_without_an_fx_rate_for_the_price_currency_is_a_field_error(api_client, db):
    response = api_client.get(LIST_URL, {"min_price": "1", "price_currency": "KES"})

    assert response.status_code == 400
    assert response.json() == {"price_currency": ["No exchange rate from KES to USD is known."]}


# --- visibility -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [2**63, 10**20])
def test_an_id_beyond_bigint_is_404_not_a_server_error(api_client, pk):
    response = api_client.get(f"/api/v1/listings/{pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}  # as for any id no listing has
    assert api_client.get("/api/v1/listings/999999999/").json() == {"detail": "Not found."}


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_an_unpublished_listing_is_404_to_the_public_and_other_companies(
    api_client, seller, other_seller_user, status
):
    listing = ListingFactory(seller=seller, **({} if status == "draft" else {status: True}))

    assert api_client.get(detail_url(listing)).status_code == 404
    api_client.force_authenticate(other_seller_user)
    assert api_client.get(detail_url(listing)).status_code == 404


def test_a_draft_is_visible_to_its_sellers_members_and_staff(
    api_client, seller, seller_user, staff_user
):
    listing = ListingFactory(seller=seller, rejected=True)

    api_client.force_authenticate(seller_user)
    own = api_client.get(detail_url(listing))
    api_client.force_authenticate(staff_user)
    staff = api_client.get(detail_url(listing))

    assert (own.status_code, own.json()["status"]) == (200, "rejected")
    assert own.json()["rejection_reason"] == "The photos show another product."
    assert (staff.status_code, staff.json()["rejection_reason"]) == (
        200,
        "The photos show another product.",
    )


# --- the seller's writes ----------------------------------------------------------------


def test_a_seller_creates_a_draft_with_nested_price_tiers(api_client, seller, seller_user):
    api_client.force_authenticate(seller_user)

    response = api_client.post(LIST_URL, payload(seller), format="json")

    assert response.status_code == 201
    listing = Listing.objects.get()
    body = response.json()
    assert body["id"] == listing.pk
    assert (body["status"], body["title"], body["moq"]) == (
        "draft",
        "Stainless steel hex bolts M8 x 40, A2-70",
        1000,
    )
    assert body["price_tiers"] == [
        {"min_quantity": 1000, "unit_price": "0.0350"},
        {"min_quantity": 10000, "unit_price": "0.0310"},
        {"min_quantity": 50000, "unit_price": "0.0285"},
    ]
    assert body["price_from"] == {"amount": "0.0285", "currency": "USD"}
    assert body["seller"]["id"] == seller.pk
    assert (listing.seller_id, listing.status, listing.price_min_usd) == (
        seller.pk,
        ListingStatus.DRAFT,
        Decimal("0.0285"),
    )


BAD_INPUT = [
    ("moq_zero", {"moq": 0}, {"moq": ["The minimum order quantity must be at least 1."]}),
    (
        "tiers_out_of_order",
        {
            "price_tiers": [
                {"min_quantity": 1000, "unit_price": "0.0350"},
                {"min_quantity": 50000, "unit_price": "0.0300"},
                {"min_quantity": 10000, "unit_price": "0.0300"},
            ]
        },
        {
            "price_tiers": [
                "Tier 3 starts at 10,000, which is not more than tier 2 (50,000): "
                "quantities must rise."
            ]
        },
    ),
    (
        "rising_price",
        {
            "price_tiers": [
                {"min_quantity": 1000, "unit_price": "0.0350"},
                {"min_quantity": 10000, "unit_price": "0.0400"},
            ]
        },
        {
            "price_tiers": [
                "Tier 2's unit price 0.04 is higher than tier 1's 0.035: the unit price must "
                "not rise with the quantity."
            ]
        },
    ),
    (
        "first_break_not_moq",
        {"price_tiers": [{"min_quantity": 500, "unit_price": "0.0350"}]},
        {
            "price_tiers": [
                "Tier 1 starts at 500, but the MOQ is 1,000: the first break must equal the MOQ."
            ]
        },
    ),
    (
        "five_decimals",
        {"price_tiers": [{"min_quantity": 1000, "unit_price": "0.03501"}]},
        {"price_tiers": ["Tier 1: the unit price 0.03501 has more than 4 decimals."]},
    ),
    (
        "negative_price",
        {"price_tiers": [{"min_quantity": 1000, "unit_price": "-0.0350"}]},
        {"price_tiers": ["Tier 1: the unit price must be more than 0."]},
    ),
    (
        "unknown_currency",
        {"currency": "XYZ"},
        {"currency": ["XYZ is not a currency the marketplace trades in."]},
    ),
    (
        "bad_hs_code",
        {"hs_code": "7318"},
        {"hs_code": ["Enter an HS subheading of exactly 6 digits, e.g. 090111."]},
    ),
    (
        "unknown_country",
        {"origin_country": "XX"},
        {"origin_country": ["Choose the country of origin from the list."]},
    ),
    (
        "unknown_incoterm",
        {"incoterms": ["FOB", "XYZ"]},
        {
            "incoterms": [
                "XYZ is not an Incoterm 2020; choose from EXW, FCA, CPT, CIP, DAP, DPU, DDP, "
                "FAS, FOB, CFR, CIF."
            ]
        },
    ),
    (
        "title_201_chars",
        {"title": "x" * 201},
        {"title": ["Keep the title to 200 characters or fewer (it has 201)."]},
    ),
    (
        "price_not_a_number",
        {"price_tiers": [{"min_quantity": 1000, "unit_price": "cheap"}]},
        {"price_tiers": {"0": {"unit_price": ["A valid number is required."]}}},
    ),
]


@pytest.mark.parametrize(
    ("overrides", "errors"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_creating_with_bad_input_is_400_with_field_errors_and_saves_nothing(
    api_client, seller, seller_user, overrides, errors
):
    api_client.force_authenticate(seller_user)

    response = api_client.post(LIST_URL, payload(seller, **overrides), format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert Listing.objects.count() == 0
    assert PriceTier.objects.count() == 0


def test_patching_with_bad_input_changes_nothing(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller, moq=100, title="Original title")
    api_client.force_authenticate(seller_user)

    response = api_client.patch(
        detail_url(listing), {"moq": 0, "title": "New title"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"moq": ["The minimum order quantity must be at least 1."]}
    listing.refresh_from_db()
    assert (listing.moq, listing.title) == (100, "Original title")


def test_a_buying_only_company_cannot_create_a_listing(api_client, buyer_user, hs_codes):
    api_client.force_authenticate(buyer_user)

    response = api_client.post(LIST_URL, payload(CompanyFactory()), format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only a company that sells can list products."}
    assert Listing.objects.count() == 0


def test_an_anonymous_client_cannot_create_a_listing(api_client, seller):
    response = api_client.post(LIST_URL, payload(seller), format="json")

    assert response.status_code == 401
    assert Listing.objects.count() == 0


def test_patching_stock_of_a_published_listing_keeps_it_published(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller, published=True, stock=10)
    api_client.force_authenticate(seller_user)

    response = api_client.patch(detail_url(listing), {"stock": 250}, format="json")

    assert response.status_code == 200
    assert (response.json()["stock"], response.json()["status"]) == (250, "published")


def test_patching_the_title_of_a_published_listing_sends_it_back_to_review(
    api_client, seller, seller_user
):
    listing = ListingFactory(seller=seller, published=True)
    api_client.force_authenticate(seller_user)

    response = api_client.patch(detail_url(listing), {"title": "Better title"}, format="json")

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["status"]) == (
        "Better title",
        "pending_review",
    )


def test_a_seller_deletes_a_draft(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller)
    api_client.force_authenticate(seller_user)

    response = api_client.delete(detail_url(listing))

    assert response.status_code == 204
    assert Listing.objects.count() == 0


def test_deleting_a_listing_that_is_not_a_draft_is_409(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller, published=True)
    api_client.force_authenticate(seller_user)

    response = api_client.delete(detail_url(listing))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Listing.objects.filter(pk=listing.pk, status=ListingStatus.PUBLISHED).exists()


def test_a_seller_submits_a_draft_and_archives_it(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller)
    api_client.force_authenticate(seller_user)

    submitted = api_client.post(f"{detail_url(listing)}submit/")
    archived = api_client.post(f"{detail_url(listing)}archive/")

    assert (submitted.status_code, submitted.json()["status"]) == (200, "pending_review")
    assert (archived.status_code, archived.json()["status"]) == (200, "archived")
    assert list(
        ModerationEvent.objects.filter(listing=listing).values_list("from_status", "to_status")
    ) == [("draft", "pending_review"), ("pending_review", "archived")]


def test_submitting_a_published_listing_is_409(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller, published=True)
    api_client.force_authenticate(seller_user)

    response = api_client.post(f"{detail_url(listing)}submit/")

    assert response.status_code == 409
    assert ModerationEvent.objects.count() == 0


def test_a_seller_adds_a_photo(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller)
    api_client.force_authenticate(seller_user)

    response = api_client.post(
        f"{detail_url(listing)}images/",
        {"image": image_upload(fmt="JPEG"), "alt_text": "Bolts in a carton"},
        format="multipart",
    )

    # Taken as pending: the worker decodes it and makes the public copies.
    assert response.status_code == 201
    image = ListingImage.objects.get()
    assert response.json() == {
        "id": image.pk,
        "status": "pending",
        "failure_reason": "",
        "card_url": None,
        "detail_url": None,
        "original_url": None,
        "width": 0,
        "height": 0,
        "alt_text": "Bolts in a carton",
    }
    assert api_client.get(detail_url(listing)).json()["images"] == []

    listing_image_process(image_id=image.pk)

    image.refresh_from_db()
    prefix = f"http://testserver/media/listings/{listing.pk}/"
    ready = {
        "id": image.pk,
        "status": "ready",
        "failure_reason": "",
        "card_url": prefix + image.card.name.rsplit("/", 1)[1],
        "detail_url": prefix + image.detail.name.rsplit("/", 1)[1],
        "original_url": prefix + image.original.name.rsplit("/", 1)[1],
        "width": 800,
        "height": 600,
        "alt_text": "Bolts in a carton",
    }
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", image.original.name.rsplit("/", 1)[1])
    assert api_client.get(detail_url(listing)).json()["images"] == [ready]
    assert api_client.get(f"{detail_url(listing)}images/").json() == [ready]


def test_the_seller_lists_pending_and_failed_photos_with_the_reason(
    api_client, seller, seller_user
):
    listing = ListingFactory(seller=seller)
    api_client.force_authenticate(seller_user)
    wide = api_client.post(
        f"{detail_url(listing)}images/", {"image": image_upload(size=(9000, 10))}, "multipart"
    ).json()
    pending = api_client.post(
        f"{detail_url(listing)}images/", {"image": image_upload()}, "multipart"
    ).json()
    listing_image_process(image_id=wide["id"])

    listed = api_client.get(f"{detail_url(listing)}images/").json()

    assert [(i["id"], i["status"], i["failure_reason"]) for i in listed] == [
        (wide["id"], "failed", "The image is 9,000 × 10 px; at most 8,000 px on either side."),
        (pending["id"], "pending", ""),
    ]
    assert api_client.get(detail_url(listing)).json()["images"] == []
    other = ListingFactory()
    assert api_client.get(f"{detail_url(other)}images/").status_code == 404


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller)
    api_client.force_authenticate(seller_user)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")

    response = api_client.post(f"{detail_url(listing)}images/", {"image": fake}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["image"]
    assert ListingImage.objects.count() == 0


def test_an_image_request_without_a_file_is_a_field_error(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller)
    api_client.force_authenticate(seller_user)

    response = api_client.post(f"{detail_url(listing)}images/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"image": ["No file was submitted."]}


# --- another seller's listing ---------------------------------------------------------


def test_seller_a_touching_seller_b_listing_gets_404_and_nothing_changes(
    api_client, seller, other_seller_user
):
    draft = ListingFactory(seller=seller, title="Seller B's draft")
    published = ListingFactory(seller=seller, published=True, title="Seller B's product")
    api_client.force_authenticate(other_seller_user)

    answers = [
        api_client.get(detail_url(draft)).status_code,
        api_client.patch(detail_url(published), {"stock": 1}, format="json").status_code,
        api_client.delete(detail_url(draft)).status_code,
        api_client.post(f"{detail_url(draft)}submit/").status_code,
        api_client.post(f"{detail_url(published)}archive/").status_code,
        api_client.post(
            f"{detail_url(draft)}images/", {"image": image_upload()}, format="multipart"
        ).status_code,
    ]

    assert answers == [404, 404, 404, 404, 404, 404]
    assert list(Listing.objects.order_by("pk").values_list("title", "status", "stock")) == [
        ("Seller B's draft", "draft", 10000),
        ("Seller B's product", "published", 10000),
    ]
    assert ListingImage.objects.count() == 0
    assert ModerationEvent.objects.count() == 0


# --- my listings and categories -------------------------------------------------------


def test_my_listings_lists_every_status_of_the_active_company_only(
    api_client, seller, seller_user, other_seller_user
):
    draft = ListingFactory(seller=seller, title="Draft one")
    live = ListingFactory(seller=seller, published=True, title="Live one")
    ListingFactory(title="Someone else's")
    api_client.force_authenticate(seller_user)

    everything = api_client.get("/api/v1/my/listings/").json()
    drafts = api_client.get("/api/v1/my/listings/", {"status": "draft"}).json()

    assert everything["count"] == 2
    assert [row["id"] for row in everything["results"]] == [live.pk, draft.pk]
    assert [row["id"] for row in drafts["results"]] == [draft.pk]


def test_my_listings_refuses_an_unknown_status(api_client, seller_user):
    api_client.force_authenticate(seller_user)

    response = api_client.get("/api/v1/my/listings/", {"status": "lost"})

    assert response.status_code == 400
    assert response.json() == {"status": ['"lost" is not a valid choice.']}


def test_my_listings_needs_a_signed_in_member(api_client, db):
    assert api_client.get("/api/v1/my/listings/").status_code == 401


def test_categories_are_a_tree(api_client, db):
    response = api_client.get("/api/v1/categories/")

    assert response.status_code == 200
    tree = response.json()
    agriculture = Category.objects.get(slug="agriculture-food")
    coffee = Category.objects.get(slug="agriculture-food-coffee-tea")
    assert len(tree) == 12
    assert {key: tree[0][key] for key in ("id", "name", "slug", "parent")} == {
        "id": agriculture.pk,
        "name": "Agriculture & Food",
        "slug": "agriculture-food",
        "parent": None,
    }
    assert tree[0]["children"][0] == {
        "id": coffee.pk,
        "name": "Coffee & Tea",
        "slug": "agriculture-food-coffee-tea",
    }
    assert len(tree[0]["children"]) == 6


# --- moderation -----------------------------------------------------------------------


def test_staff_approve_a_pending_listing(api_client, seller, staff_user):
    listing = ListingFactory(seller=seller, pending=True)
    api_client.force_authenticate(staff_user)

    response = api_client.post(f"/api/v1/moderation/listings/{listing.pk}/approve/")

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert listing.published_at is not None


def test_approving_an_unverified_sellers_listing_is_409(api_client, staff_user, hs_codes):
    listing = ListingFactory(seller=CompanyFactory(seller=True), pending=True)
    api_client.force_authenticate(staff_user)

    response = api_client.post(f"/api/v1/moderation/listings/{listing.pk}/approve/")

    assert response.status_code == 409
    assert response.json()["code"] == "seller_not_verified"
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert ModerationEvent.objects.count() == 0


def test_staff_reject_with_a_reason(api_client, seller, staff_user):
    listing = ListingFactory(seller=seller, pending=True)
    api_client.force_authenticate(staff_user)

    response = api_client.post(
        f"/api/v1/moderation/listings/{listing.pk}/reject/",
        {"reason": "The HS code is for nuts, not bolts."},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == (
        "rejected",
        "The HS code is for nuts, not bolts.",
    )


def test_rejecting_without_a_reason_is_400_and_changes_nothing(api_client, seller, staff_user):
    listing = ListingFactory(seller=seller, pending=True)
    api_client.force_authenticate(staff_user)

    response = api_client.post(
        f"/api/v1/moderation/listings/{listing.pk}/reject/", {}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"reason": ["This field is required."]}
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW


def test_non_staff_cannot_moderate(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller, pending=True)
    api_client.force_authenticate(seller_user)

    approve = api_client.post(f"/api/v1/moderation/listings/{listing.pk}/approve/")
    reject = api_client.post(
        f"/api/v1/moderation/listings/{listing.pk}/reject/", {"reason": "No."}, format="json"
    )

    assert (approve.status_code, reject.status_code) == (403, 403)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert ModerationEvent.objects.count() == 0


# --- query counts ---------------------------------------------------------------------


@pytest.fixture
def sixty_published_listings_with_photos(hs_codes):
    sellers = [CompanyFactory(seller=True, verified=True) for _ in range(3)]
    listings = [
        ListingFactory(published=True, seller=sellers[n % 3], title=f"Steel bolt {n}")
        for n in range(60)
    ]
    ListingImage.objects.bulk_create(
        ListingImage(
            listing=listing,
            original=f"listings/{listing.pk}/a.png",
            card=f"listings/{listing.pk}/a-card.jpg",
            detail=f"listings/{listing.pk}/a-detail.jpg",
            width=800,
            height=600,
            content_type="image/png",
        )
        for listing in listings
    )
    return listings


# A search page: the count (capped), the rows with seller, category and HS code, the tiers and
# the images; a keyword search sorted by relevance adds the query that picks its window.
SEARCH_QUERY_BOUND = 5


@pytest.mark.parametrize("page_size", [5, 50])
@pytest.mark.parametrize("query", [{}, {"q": "steel bolt"}, {"q": "bolt", "ordering": "price"}])
def test_search_queries_do_not_grow_with_the_page_size(
    api_client,
    django_assert_max_num_queries,
    sixty_published_listings_with_photos,
    page_size,
    query,
):
    with django_assert_max_num_queries(SEARCH_QUERY_BOUND):
        response = api_client.get(LIST_URL, {"page_size": page_size, **query})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [5, 50])
def test_my_listings_queries_do_not_grow_with_the_page_size(
    api_client, django_assert_max_num_queries, seller, seller_user, hs_codes, page_size
):
    for n in range(60):
        ListingFactory(seller=seller, published=n % 2 == 0, title=f"Bolt {n}")
    api_client.force_authenticate(seller_user)

    # membership lookup for the active company, count, rows, tiers, images
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/my/listings/", {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
