"""Selectors: who sees which listing, and a constant number of queries for lists."""

import pytest

from listings.models import Category
from listings.selectors import (
    category_tree,
    listing_get_for_company,
    listing_get_for_page,
    listing_get_visible,
    listing_list_for_company,
    listing_status_counts_for_company,
)
from marketplace.core.exceptions import NotFound
from tests.factories import CompanyFactory, UserFactory, staff_user
from tests.listings.factories import ListingFactory, image_add_ready, image_upload

pytestmark = pytest.mark.django_db


def test_list_for_company_returns_only_its_own_listings_newest_first(seller):
    older = ListingFactory(seller=seller, published=True)
    newer = ListingFactory(seller=seller)
    ListingFactory()  # another seller's

    assert list(listing_list_for_company(company=seller)) == [newer, older]
    assert list(listing_list_for_company(company=seller, status="published")) == [older]


def test_list_for_company_uses_a_constant_number_of_queries(
    seller, seller_user, django_assert_num_queries
):
    for _ in range(5):
        listing = ListingFactory(seller=seller)
        image_add_ready(listing=listing, actor=seller_user, file=image_upload(size=(10, 10)))

    with django_assert_num_queries(3):  # listings with joins, tiers, images
        rows = [
            (
                item.seller.legal_name,
                item.category.parent,
                item.hs_code.description,
                len(item.price_tiers.all()),
                len(item.images.all()),
            )
            for item in listing_list_for_company(company=seller)
        ]
    assert len(rows) == 5
    assert {r[3:] for r in rows} == {(2, 1)}


def test_get_for_company_refuses_another_companys_listing(seller):
    mine = ListingFactory(seller=seller)
    theirs = ListingFactory(published=True)

    assert listing_get_for_company(company=seller, listing_id=mine.pk) == mine
    for listing_id in (theirs.pk, 999_999, "abc", None):
        with pytest.raises(NotFound):
            listing_get_for_company(company=seller, listing_id=listing_id)
    with pytest.raises(NotFound):
        listing_get_for_company(company=None, listing_id=mine.pk)


@pytest.mark.parametrize("status", ["draft", "pending_review", "rejected", "archived"])
def test_an_unpublished_listing_is_visible_only_to_its_seller_and_staff(status, seller):
    listing = ListingFactory(seller=seller, status=status)
    buyer = CompanyFactory(buyer=True)

    assert listing_get_visible(listing_id=listing.pk, user=UserFactory(), company=seller) == listing
    staff = staff_user("moderators")
    assert listing_get_visible(listing_id=listing.pk, user=staff, company=None) == listing
    with pytest.raises(NotFound):
        listing_get_visible(listing_id=listing.pk, user=UserFactory(), company=buyer)
    with pytest.raises(NotFound):
        listing_get_visible(listing_id=listing.pk, user=None, company=None)


def test_a_published_listing_is_visible_to_anyone():
    listing = ListingFactory(published=True)
    assert listing_get_visible(listing_id=listing.pk, user=None, company=None) == listing


def test_status_counts_cover_every_status(seller):
    ListingFactory(seller=seller, published=True)
    ListingFactory(seller=seller, published=True)
    ListingFactory(seller=seller, rejected=True)

    assert listing_status_counts_for_company(company=seller) == {
        "draft": 0,
        "pending_review": 0,
        "published": 2,
        "rejected": 1,
        "archived": 0,
    }


def test_category_tree_has_the_seeded_top_level_with_children(django_assert_num_queries):
    with django_assert_num_queries(2):
        tree = category_tree()
        names = {top.name: [child.name for child in top.children.all()] for top in tree}

    assert len(tree) == Category.objects.filter(parent__isnull=True).count() == 12
    assert tree[0].name == "Agriculture & Food"
    assert names["Machinery & Tools"] == [
        "Hand Tools",
        "Power Tools",
        "Industrial Machinery",
        "Fasteners",
    ]


# ---------- one listing with everything its page shows, in one query ----------


def _shown(listing) -> tuple:
    """What the detail page and the API read of a listing and its relations."""
    seller, category, hs_code = listing.seller, listing.category, listing.hs_code
    return (
        [
            getattr(listing, f.attname)
            for f in type(listing)._meta.concrete_fields
            if f.attname != "search_vector"
        ],
        [getattr(seller, f.attname) for f in type(seller)._meta.concrete_fields],
        (category.pk, category.name, category.slug, category.parent_id),
        (category.parent.pk, category.parent.name) if category.parent else None,
        (hs_code.code, hs_code.description),
        [(t.pk, t.min_quantity, t.unit_price) for t in listing.price_tiers.all()],
        [
            (
                i.pk,
                i.created_at,
                i.updated_at,
                i.original.name,
                i.card.name,
                i.detail.name,
                i.width,
                i.height,
                i.content_type,
                i.size_bytes,
                i.alt_text,
                i.position,
            )
            for i in listing.images.all()
        ],
        str(listing.origin_country.name),
        str(seller.country.name),
    )


def test_the_page_selector_loads_what_the_orm_loads_in_one_query(seller, django_assert_num_queries):
    from listings.models import ListingImage

    listing = ListingFactory(
        seller=seller, published=True, tiers=[(100, "1.2345"), (500, "1.1000"), (5000, "0.9000")]
    )
    for position, name in ((1, "b"), (0, "a")):
        ListingImage.objects.create(
            listing=listing,
            original=f"listings/{listing.pk}/{name}.png",
            card=f"listings/{listing.pk}/{name}-card.jpg",
            detail=f"listings/{listing.pk}/{name}-detail.jpg",
            status="ready",
            width=640,
            height=480,
            content_type="image/png",
            size_bytes=1234,
            alt_text=f"Photo {name}",
            position=position,
        )
    # Pending and failed photos are the seller's business: the public page has none of them.
    ListingImage.objects.create(
        listing=listing, upload="listings/x.png", content_type="image/png", position=2
    )
    ListingImage.objects.create(
        listing=listing, status="failed", failure_reason="Damaged.", content_type="image/png"
    )
    expected = _shown(listing_get_visible(listing_id=listing.pk, user=None, company=None))
    listing_get_for_page(listing_id=listing.pk, user=None, company=None)  # prepares it

    with django_assert_num_queries(1):
        loaded = listing_get_for_page(listing_id=listing.pk, user=None, company=None)
        shown = _shown(loaded)

    assert shown == expected
    assert [i.alt_text for i in loaded.images.all()] == ["Photo a", "Photo b"]
    assert [t.min_quantity for t in loaded.price_tiers.all()] == [100, 500, 5000]
    assert loaded.category.parent is not None


def test_the_page_selector_handles_a_top_level_category_and_no_tiers_or_photos(
    seller, django_assert_num_queries
):
    top = Category.objects.get(slug="machinery-tools")
    listing = ListingFactory(seller=seller, published=True, category=top)
    listing.price_tiers.all().delete()
    listing_get_for_page(listing_id=listing.pk, user=None, company=None)  # prepares it

    with django_assert_num_queries(1):
        loaded = listing_get_for_page(listing_id=listing.pk, user=None, company=None)
        assert loaded.category.parent is None
        assert list(loaded.price_tiers.all()) == []
        assert list(loaded.images.all()) == []


@pytest.mark.parametrize("status", ["draft", "pending_review", "rejected", "archived"])
def test_the_page_selector_has_the_same_visibility(status, seller):
    listing = ListingFactory(seller=seller, status=status)
    buyer = CompanyFactory(buyer=True)
    staff = staff_user("moderators")

    assert (
        listing_get_for_page(listing_id=listing.pk, user=UserFactory(), company=seller) == listing
    )
    assert listing_get_for_page(listing_id=listing.pk, user=staff, company=None) == listing
    for user, company in ((UserFactory(), buyer), (None, None)):
        with pytest.raises(NotFound):
            listing_get_for_page(listing_id=listing.pk, user=user, company=company)
    for bad in (999_999, "abc", None):
        with pytest.raises(NotFound):
            listing_get_for_page(listing_id=bad, user=staff, company=None)


def test_the_page_selector_gives_the_same_without_prepared_statements(seller, settings):
    listing = ListingFactory(seller=seller, published=True)
    prepared = _shown(listing_get_for_page(listing_id=listing.pk, user=None, company=None))

    settings.LISTINGS_PREPARED_QUERIES = False
    plain = _shown(listing_get_for_page(listing_id=listing.pk, user=None, company=None))

    assert plain == prepared
    with pytest.raises(NotFound):
        listing_get_for_page(listing_id=listing.pk + 1000, user=None, company=None)


def test_the_page_selector_gives_the_public_version_of_a_published_listing(seller):
    from listings.models import ListingImage
    from listings.selectors import listing_get_for_page_versioned, listing_public_version

    listing = ListingFactory(seller=seller, published=True)
    ListingImage.objects.create(
        listing=listing,
        original=f"listings/{listing.pk}/a.png",
        width=640,
        height=480,
        content_type="image/png",
        size_bytes=1234,
        position=0,
    )
    draft = ListingFactory(seller=seller)

    loaded, version = listing_get_for_page_versioned(listing_id=listing.pk, user=None, company=None)

    assert loaded == listing
    assert version == listing_public_version(listing_id=listing.pk)
    assert version is not None
    assert version[1] == listing.stock
    assert version[-1].startswith("1:")  # one photo
    # The seller sees their draft, which has no public version.
    assert listing_get_for_page_versioned(
        listing_id=draft.pk, user=UserFactory(), company=seller
    ) == (draft, None)
    assert listing_public_version(listing_id=draft.pk) is None


@pytest.mark.parametrize("bad", [2**63, -(2**63) - 1, "abc", None])
def test_the_public_version_of_an_id_no_listing_can_have_is_none(bad):
    from listings.selectors import listing_public_version

    assert listing_public_version(listing_id=bad) is None
