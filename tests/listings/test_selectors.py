"""Selectors: who sees which listing, and a constant number of queries for lists."""

import pytest

from listings.models import Category
from listings.selectors import (
    category_tree,
    listing_get_for_company,
    listing_get_visible,
    listing_list_for_company,
    listing_status_counts_for_company,
)
from marketplace.core.exceptions import NotFound
from tests.factories import CompanyFactory, UserFactory
from tests.listings.factories import ListingFactory, image_upload

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
    from listings.services import listing_image_add

    for _ in range(5):
        listing = ListingFactory(seller=seller)
        listing_image_add(listing=listing, actor=seller_user, file=image_upload(size=(10, 10)))

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
    staff = UserFactory(is_staff=True)
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
