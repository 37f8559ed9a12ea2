"""The demo RFQs: posted through the service in the demo sellers' categories, once."""

import pytest

from marketplace.demo.rfqs import demo_rfqs_seed
from orders.rfqs import selectors
from orders.rfqs.models import RFQ
from tests.factories import CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_the_demo_rfqs_reach_the_demo_sellers_board_and_are_posted_once(tree):
    for slug in ("rheinland-import", "nairobi-hardware-supplies"):
        MembershipFactory(company=CompanyFactory(slug=slug, buyer=True, country="DE"))
    sellers = []
    for slug, category in (
        ("hangzhou-westlake-trading", tree.fasteners),
        ("naniwa-precision-tools", tree.abrasives),
    ):
        seller = CompanyFactory(slug=slug, seller=True, verified=True)
        MembershipFactory(company=seller)
        ListingFactory(seller=seller, category=category, published=True)
        sellers.append(seller)

    assert demo_rfqs_seed() == 2
    assert demo_rfqs_seed() == 0

    assert RFQ.objects.count() == 2
    for seller in sellers:
        assert selectors.rfq_board_for_seller(company=seller).count() >= 1
