"""The seller's pages: my listings, create and edit on one page, submit, archive."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from listings.enums import ListingStatus
from listings.models import Listing, ListingImage, ModerationEvent, PriceTier
from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import (
    ListingFactory,
    ModerationEventFactory,
    category_leaf,
    image_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller_client(client, seller_user):
    client.force_login(seller_user)
    return client


def form_data(**overrides) -> dict:
    """A complete, valid POST of the listing form (two tiers filled, one row left empty)."""
    data = {
        "title": "Stainless steel hex bolts M8 x 40, A2-70",
        "description": "DIN 933 hex bolts, **fully threaded**.",
        "category": str(category_leaf().pk),
        "hs_code": "7318.15",
        "origin_country": "CN",
        "ship_from": "Ningbo, China",
        "unit": "piece",
        "moq": "1000",
        "stock": "250000",
        "lead_time_days": "21",
        "incoterms": ["FOB", "EXW"],
        "unit_net_weight_kg": "0.028",
        "units_per_carton": "500",
        "carton_gross_weight_kg": "14.5",
        "carton_length_cm": "40",
        "carton_width_cm": "30",
        "carton_height_cm": "20.5",
        "currency": "USD",
        "tiers-TOTAL_FORMS": "3",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "20",
        "tiers-0-min_quantity": "1000",
        "tiers-0-unit_price": "0.0350",
        "tiers-1-min_quantity": "10000",
        "tiers-1-unit_price": "0.0310",
        "tiers-2-min_quantity": "",
        "tiers-2-unit_price": "",
    }
    data.update(overrides)
    return data


def edit_data(listing: Listing, **overrides) -> dict:
    """The edit form as the page renders it for ``listing``, with overrides."""
    tiers = list(listing.price_tiers.order_by("min_quantity"))
    data = form_data(
        title=listing.title,
        description=listing.description,
        category=str(listing.category_id),
        hs_code=listing.hs_code_id,
        origin_country=str(listing.origin_country),
        ship_from=listing.ship_from,
        unit=listing.unit,
        moq=str(listing.moq),
        stock=str(listing.stock),
        lead_time_days=str(listing.lead_time_days),
        incoterms=list(listing.incoterms),
        unit_net_weight_kg=str(listing.unit_net_weight_kg),
        units_per_carton=str(listing.units_per_carton),
        carton_gross_weight_kg=str(listing.carton_gross_weight_kg),
        carton_length_cm=str(listing.carton_length_cm),
        carton_width_cm=str(listing.carton_width_cm),
        carton_height_cm=str(listing.carton_height_cm),
        currency=listing.currency,
    )
    for key in [k for k in data if k.startswith("tiers-")]:
        del data[key]
    data.update(
        {
            "tiers-TOTAL_FORMS": str(len(tiers) + 2),
            "tiers-INITIAL_FORMS": str(len(tiers)),
            "tiers-MIN_NUM_FORMS": "0",
            "tiers-MAX_NUM_FORMS": "20",
        }
    )
    for index, tier in enumerate(tiers):
        data[f"tiers-{index}-min_quantity"] = str(tier.min_quantity)
        data[f"tiers-{index}-unit_price"] = str(tier.unit_price)
    for index in (len(tiers), len(tiers) + 1):
        data[f"tiers-{index}-min_quantity"] = ""
        data[f"tiers-{index}-unit_price"] = ""
    data.update(overrides)
    return data


# ---------- my listings ----------


def test_my_listings_without_listings_shows_the_empty_state(seller_client):
    response = seller_client.get(reverse("listings:my_listings"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>My listings</h1>" in content
    assert "No listings yet" in content
    assert (
        f'<a class="btn btn-primary" href="{reverse("listings:create")}">Create your first listing</a>'
        in content
    )
    assert "<table" not in content


def test_my_listings_shows_each_listing_with_status_price_and_rejection_reason(
    seller_client, seller
):
    ListingFactory(
        seller=seller, title="Hex bolts M8", moq=1000, stock=250_000, tiers=[(1000, "0.0350")]
    )
    ListingFactory(
        seller=seller,
        title="Tea bowls",
        currency="JPY",
        moq=50,
        tiers=[(50, "1500"), (200, "1200")],
        rejected=True,
        rejection_reason="The photos show another product.",
    )
    ListingFactory(title="Someone else's bolts")

    response = seller_client.get(reverse("listings:my_listings"))

    content = response.content.decode()
    assert "Hex bolts M8" in content and "Tea bowls" in content
    assert "Someone else&#x27;s bolts" not in content and "Someone else's bolts" not in content
    assert '<td class="num" data-label="Price from">USD 0.0350</td>' in content
    assert '<td class="num" data-label="Price from">JPY 1,200</td>' in content
    assert '<td class="num" data-label="MOQ">1,000 pieces</td>' in content
    assert '<td class="num" data-label="Stock">250,000 pieces</td>' in content
    assert '<span class="badge badge-danger">Rejected</span>' in content
    assert '<span class="badge badge-muted">Draft</span>' in content
    assert "<strong>Rejected:</strong> The photos show another product." in content
    assert 'All <span class="tab-count">2</span>' in content
    assert 'Draft <span class="tab-count">1</span>' in content
    assert 'Rejected <span class="tab-count">1</span>' in content
    assert 'Published <span class="tab-count">0</span>' in content


def test_my_listings_filters_by_status_from_the_url(seller_client, seller):
    ListingFactory(seller=seller, title="Draft bolts")
    ListingFactory(seller=seller, title="Published bolts", published=True)

    response = seller_client.get(reverse("listings:my_listings") + "?status=published")

    content = response.content.decode()
    assert "Published bolts" in content
    assert "Draft bolts" not in content
    assert '?status=published" aria-current="page">Published' in content
    assert "Published listings (1)" in content


def test_my_listings_status_without_listings_says_so(seller_client, seller):
    ListingFactory(seller=seller, title="Draft bolts")

    response = seller_client.get(reverse("listings:my_listings") + "?status=archived")

    assert "No archived listings" in response.content.decode()


def test_my_listings_offers_only_the_actions_each_status_allows(seller_client, seller):
    draft = ListingFactory(seller=seller)
    published = ListingFactory(seller=seller, published=True)
    archived = ListingFactory(seller=seller, archived=True)

    content = seller_client.get(reverse("listings:my_listings")).content.decode()

    assert reverse("listings:submit", args=[draft.pk]) in content
    assert reverse("listings:submit", args=[published.pk]) not in content
    assert reverse("listings:archive", args=[published.pk]) in content
    assert reverse("listings:archive", args=[archived.pk]) not in content
    assert reverse("listings:edit", args=[archived.pk]) not in content
    assert 'data-confirm="Archive' in content


@pytest.mark.parametrize("name", ["my_listings", "create"])
def test_a_buying_only_company_gets_a_clear_403(client, name):
    buyer = CompanyFactory(buyer=True, legal_name="Rotterdam Imports B.V.")
    user = MembershipFactory(company=buyer).user
    client.force_login(user)

    response = client.get(reverse(f"listings:{name}"))

    assert response.status_code == 403
    content = response.content.decode()
    assert "Rotterdam Imports B.V. does not sell" in content
    assert "registered as a buyer only" in content


def test_a_buying_only_company_cannot_create_a_listing_by_post(client):
    buyer = CompanyFactory(buyer=True)
    client.force_login(MembershipFactory(company=buyer).user)

    response = client.post(reverse("listings:create"), form_data())

    assert response.status_code == 403
    assert Listing.objects.count() == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("listings:my_listings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_active_company_decides_which_listings_are_shown(client):
    user = UserFactory()
    first = MembershipFactory(user=user, company=CompanyFactory(seller=True)).company
    second = MembershipFactory(user=user, company=CompanyFactory(seller=True)).company
    ListingFactory(seller=first, title="First company's bolts")
    ListingFactory(seller=second, title="Second company's nuts")
    client.force_login(user)
    session = client.session
    session[ACTIVE_COMPANY_SESSION_KEY] = second.pk
    session.save()

    content = client.get(reverse("listings:my_listings")).content.decode()

    assert "Second company&#x27;s nuts" in content
    assert "First company" not in content


# ---------- create ----------


def test_the_new_listing_page_defaults_to_the_company_currency_and_groups_categories(
    seller_client, seller
):
    response = seller_client.get(reverse("listings:create"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>New listing</h1>" in content
    assert '<option value="EUR" selected>EUR — Euro</option>' in content
    leaf = category_leaf()
    assert f'<optgroup label="{escape(leaf.parent.name)}">' in content
    assert f"{escape(leaf.parent.name)} › {escape(leaf.name)}</option>" in content
    assert "<legend>Packing (for packing lists)</legend>" in content
    assert 'value="FOB"' in content and "FOB — Free On Board" in content
    assert 'name="tiers-TOTAL_FORMS" value="2"' in content
    assert "Save and submit for review" in content
    assert 'type="file" name="images"' in content and "multiple" in content


def test_creating_a_listing_with_tiers_and_images_saves_a_draft(seller_client, seller, hs_codes):
    data = form_data(images=[image_upload(fmt="PNG"), image_upload(fmt="JPEG")])

    response = seller_client.post(reverse("listings:create"), data)

    listing = Listing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("listings:edit", args=[listing.pk])
    assert listing.seller == seller
    assert listing.status == ListingStatus.DRAFT
    assert listing.hs_code_id == "731815"
    assert sorted(listing.incoterms) == ["EXW", "FOB"]
    assert [(t.min_quantity, t.unit_price) for t in listing.price_tiers.all()] == [
        (1000, Decimal("0.0350")),
        (10000, Decimal("0.0310")),
    ]
    assert [image.content_type for image in listing.images.order_by("position")] == [
        "image/png",
        "image/jpeg",
    ]
    page = seller_client.get(response["Location"]).content.decode()
    assert "is saved as a draft" in page
    assert "Remove image 1" in page and "Remove image 2" in page


def test_save_and_submit_sends_the_new_listing_to_review(seller_client, hs_codes):
    response = seller_client.post(reverse("listings:create"), form_data(submit="1"))

    listing = Listing.objects.get()
    assert response["Location"] == reverse("listings:my_listings")
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert list(ModerationEvent.objects.values_list("from_status", "to_status")) == [
        ("draft", "pending_review")
    ]


def test_moq_zero_is_shown_next_to_the_field_and_nothing_is_saved(seller_client, hs_codes):
    response = seller_client.post(
        reverse("listings:create"), form_data(moq="0", images=[image_upload()])
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing was saved." in content
    assert 'name="moq" value="0"' in content
    moq_input = (
        content.split('name="moq"')[0].rsplit("<input", 1)[1]
        + content.split('name="moq"')[1].split(">")[0]
    )
    assert 'aria-invalid="true"' in moq_input
    assert "id_moq_error" in moq_input
    assert 'id="id_moq_error"' in content
    assert "Ensure this value is greater than or equal to 1." in content
    assert Listing.objects.count() == 0
    assert ListingImage.objects.count() == 0


def test_tiers_out_of_order_are_shown_above_the_tier_table_and_nothing_is_saved(
    seller_client, hs_codes
):
    data = form_data(
        **{
            "tiers-0-min_quantity": "10000",
            "tiers-0-unit_price": "0.0310",
            "tiers-1-min_quantity": "1000",
            "tiers-1-unit_price": "0.0350",
        }
    )

    response = seller_client.post(reverse("listings:create"), data)

    assert response.status_code == 200
    content = response.content.decode()
    tier_errors = content.split('id="tiers-errors"')[1].split("</div>")[0]
    assert 'class="errorlist nonform"' in tier_errors
    assert "List the tiers from the smallest quantity up; each must be larger." in tier_errors
    assert "Nothing was saved." in content
    assert Listing.objects.count() == 0
    assert PriceTier.objects.count() == 0


def test_a_rising_price_is_refused_and_nothing_is_saved(seller_client, hs_codes):
    response = seller_client.post(
        reverse("listings:create"), form_data(**{"tiers-1-unit_price": "0.0400"})
    )

    assert "A larger quantity cannot have a higher unit price." in response.content.decode()
    assert Listing.objects.count() == 0


def test_a_first_break_other_than_the_moq_is_refused_by_the_service_above_the_tiers(
    seller_client, hs_codes
):
    response = seller_client.post(reverse("listings:create"), form_data(moq="500"))

    content = response.content.decode()
    tier_errors = content.split('id="tiers-errors"')[1].split("</div>")[0]
    assert "500" in tier_errors
    assert Listing.objects.count() == 0
    assert PriceTier.objects.count() == 0


def test_a_form_without_any_price_tier_asks_for_one(seller_client, hs_codes):
    data = form_data(
        **{
            "tiers-0-min_quantity": "",
            "tiers-0-unit_price": "",
            "tiers-1-min_quantity": "",
            "tiers-1-unit_price": "",
        }
    )

    response = seller_client.post(reverse("listings:create"), data)

    assert "Add at least one price tier." in response.content.decode()
    assert Listing.objects.count() == 0


def test_a_text_file_named_jpg_is_refused_inline_and_nothing_is_saved(seller_client, hs_codes):
    fake = SimpleUploadedFile("bolts.jpg", b"these are not pixels\n", content_type="image/jpeg")

    response = seller_client.post(
        reverse("listings:create"), form_data(images=[image_upload(), fake])
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_images_error"' in content
    assert "bolts.jpg: The file is not a JPEG, PNG or WebP image." in content
    assert Listing.objects.count() == 0
    assert ListingImage.objects.count() == 0


def test_an_unknown_hs_code_from_the_service_lands_on_the_hs_code_field(seller_client, hs_codes):
    response = seller_client.post(reverse("listings:create"), form_data(hs_code="999999"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_hs_code_error"' in content
    assert Listing.objects.count() == 0


# ---------- edit ----------


def test_editing_another_companys_listing_is_404_and_changes_nothing(seller_client):
    other = ListingFactory(title="Not yours")

    assert seller_client.get(reverse("listings:edit", args=[other.pk])).status_code == 404
    response = seller_client.post(
        reverse("listings:edit", args=[other.pk]), edit_data(other, title="Hijacked")
    )
    assert response.status_code == 404
    for name in ("submit", "archive"):
        assert seller_client.post(reverse(f"listings:{name}", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert (other.title, other.status) == ("Not yours", ListingStatus.DRAFT)


def test_the_edit_page_shows_the_rejection_reason_and_the_moderation_history(
    seller_client, seller, staff_user
):
    listing = ListingFactory(seller=seller, rejected=True, rejection_reason="Blurry photos.")
    ModerationEventFactory(
        listing=listing, from_status="draft", to_status="pending_review", note="Submitted"
    )
    ModerationEventFactory(
        listing=listing,
        actor=staff_user,
        from_status="pending_review",
        to_status="rejected",
        note="Blurry photos.",
    )

    content = seller_client.get(reverse("listings:edit", args=[listing.pk])).content.decode()

    assert "An admin rejected this listing" in content
    assert "<p>Blurry photos.</p>" in content
    assert '<h2 id="history-heading">Moderation history</h2>' in content
    assert "<td>Pending review → Rejected</td>" in content
    assert "<td>Marketplace admin</td>" in content
    assert 'value="0.0000"' not in content
    assert 'name="tiers-0-unit_price" value="1.2000"' in content
    assert "Save and submit for review" in content


def test_editing_a_published_listing_warns_about_review(seller_client, seller):
    listing = ListingFactory(seller=seller, published=True)

    content = seller_client.get(reverse("listings:edit", args=[listing.pk])).content.decode()

    assert "Changing its title, HS code, origin or prices sends it back to review" in content
    assert "Save changes" in content
    assert "Save and submit for review" not in content


def test_a_stock_only_change_keeps_the_listing_published(seller_client, seller):
    listing = ListingFactory(seller=seller, published=True, stock=10_000)

    response = seller_client.post(
        reverse("listings:edit", args=[listing.pk]), edit_data(listing, stock="8000")
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.stock, listing.status) == (8000, ListingStatus.PUBLISHED)


def test_a_price_change_sends_a_published_listing_back_to_review(seller_client, seller):
    listing = ListingFactory(seller=seller, published=True, moq=100)

    response = seller_client.post(
        reverse("listings:edit", args=[listing.pk]),
        edit_data(listing, **{"tiers-1-unit_price": "0.9900"}),
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert [t.unit_price for t in listing.price_tiers.all()] == [
        Decimal("1.2000"),
        Decimal("0.9900"),
    ]


def test_removing_a_tier_and_an_image_and_adding_an_image_in_one_save(
    seller_client, seller, hs_codes
):
    seller_client.post(reverse("listings:create"), form_data(images=[image_upload()]))
    listing = Listing.objects.get()
    old_image = listing.images.get()

    response = seller_client.post(
        reverse("listings:edit", args=[listing.pk]),
        edit_data(
            listing,
            **{"tiers-1-DELETE": "on", "remove_images": [str(old_image.pk)]},
            images=[image_upload(fmt="WEBP")],
        ),
    )

    assert response.status_code == 302
    assert [t.min_quantity for t in listing.price_tiers.all()] == [1000]
    assert list(listing.images.values_list("content_type", flat=True)) == ["image/webp"]


def test_an_archived_listing_cannot_be_opened_for_editing(seller_client, seller):
    listing = ListingFactory(seller=seller, archived=True)

    response = seller_client.get(reverse("listings:edit", args=[listing.pk]), follow=True)

    assert response.redirect_chain == [(reverse("listings:my_listings"), 302)]
    assert "is archived and can no longer be edited" in response.content.decode()


# ---------- submit and archive ----------


def test_submit_sends_a_draft_to_review(seller_client, seller):
    listing = ListingFactory(seller=seller, title="Hex bolts")

    response = seller_client.post(reverse("listings:submit", args=[listing.pk]), follow=True)

    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert "“Hex bolts” is submitted for review." in response.content.decode()


def test_submitting_a_published_listing_is_refused_with_a_message(seller_client, seller):
    listing = ListingFactory(seller=seller, published=True, title="Hex bolts")

    response = seller_client.post(reverse("listings:submit", args=[listing.pk]), follow=True)

    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert "“Hex bolts” was not submitted" in response.content.decode()


def test_archive_takes_a_listing_off_the_catalogue(seller_client, seller):
    listing = ListingFactory(seller=seller, published=True, title="Hex bolts")

    response = seller_client.post(reverse("listings:archive", args=[listing.pk]), follow=True)

    listing.refresh_from_db()
    assert listing.status == ListingStatus.ARCHIVED
    assert "“Hex bolts” is archived; buyers no longer see it." in response.content.decode()


def test_submit_and_archive_refuse_get(seller_client, seller):
    listing = ListingFactory(seller=seller)

    assert seller_client.get(reverse("listings:submit", args=[listing.pk])).status_code == 405
    assert seller_client.get(reverse("listings:archive", args=[listing.pk])).status_code == 405
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT
