"""Who sees which RFQ: the buyer, sellers in the category, its parent and children, outside
it, unverified, invited and not invited; the board and the detail agree."""

import pytest

from marketplace.core.exceptions import NotFound
from orders.rfqs import selectors
from orders.rfqs.models import RFQStatus, RFQVisibility
from tests.rfqs.factories import RFQFactory, seller_in

pytestmark = pytest.mark.django_db


def _sees(company, rfq) -> bool:
    try:
        selectors.rfq_get_for_company(company=company, rfq_id=rfq.pk)
    except NotFound:
        return False
    return True


def _on_board(company, rfq) -> bool:
    return selectors.rfq_board_for_seller(company=company).filter(pk=rfq.pk).exists()


def test_the_visibility_matrix(buyer, tree):
    public_child = RFQFactory(buyer=buyer, category=tree.fasteners)
    public_parent = RFQFactory(buyer=buyer, category=tree.tools)
    invited_only = RFQFactory(
        buyer=buyer, category=tree.fasteners, visibility=RFQVisibility.INVITED
    )
    in_category = seller_in(tree.fasteners)
    in_parent = seller_in(tree.tools)
    in_sibling = seller_in(tree.abrasives)
    outside = seller_in(tree.food)
    unverified = seller_in(tree.fasteners, verified=False)
    invited = seller_in(tree.food)
    invited_only.invitations.create(seller=invited)

    expected = {
        # company: (public in fasteners, public in tools (the parent), invited only)
        "buyer": (buyer, (True, True, True)),
        "seller in the category": (in_category, (True, True, False)),
        "seller in the parent": (in_parent, (True, True, False)),
        "seller in a sibling": (in_sibling, (False, True, False)),
        "seller outside": (outside, (False, False, False)),
        "unverified seller": (unverified, (False, False, False)),
        "invited seller": (invited, (False, False, True)),
    }
    for name, (company, seen) in expected.items():
        actual = tuple(_sees(company, r) for r in (public_child, public_parent, invited_only))
        assert actual == seen, name
        if company != buyer:
            board = tuple(
                _on_board(company, r) for r in (public_child, public_parent, invited_only)
            )
            assert board == seen, name
    assert not selectors.rfq_board_for_seller(company=buyer).exists()


def test_a_closed_rfq_leaves_the_board_but_stays_for_the_invited(buyer, tree):
    invited = seller_in(tree.fasteners)
    rfq = RFQFactory(buyer=buyer, category=tree.fasteners, status=RFQStatus.CLOSED)
    rfq.invitations.create(seller=invited)
    other = seller_in(tree.fasteners)

    assert not _on_board(invited, rfq)
    assert _sees(invited, rfq)
    assert not _sees(other, rfq)


def test_quotable_and_actions(buyer, tree):
    seller = seller_in(tree.fasteners)
    outsider = seller_in(tree.food)
    rfq = RFQFactory(buyer=buyer, category=tree.fasteners)

    assert selectors.rfq_quotable_by(rfq=rfq, company=seller) is True
    assert selectors.rfq_quotable_by(rfq=rfq, company=outsider) is False
    assert selectors.rfq_quotable_by(rfq=rfq, company=buyer) is False
    assert selectors.rfq_actions_for(rfq=rfq, company=buyer) == {"close", "cancel", "attach"}
    assert selectors.rfq_actions_for(rfq=rfq, company=seller) == {"quote", "message"}
    rfq.status = RFQStatus.CLOSED
    assert selectors.rfq_actions_for(rfq=rfq, company=buyer) == frozenset()
    assert selectors.rfq_actions_for(rfq=rfq, company=seller) == {"message"}


def test_a_malformed_or_huge_id_is_not_found(buyer):
    for bad in ("abc", "99999999999999999999999", -1):
        with pytest.raises(NotFound):
            selectors.rfq_get_for_company(company=buyer, rfq_id=bad)
