import pytest

from marketplace.core.exceptions import NotFound
from orders.selectors import cart_for_company, order_get_for_company, order_list_for_company
from orders.services import cart_line_set
from tests.factories import CompanyFactory
from tests.orders.factories import OrderFactory


@pytest.fixture
def company(db):
    return CompanyFactory()  # sells and buys


def test_order_list_for_company_by_role_and_status(company):
    bought = OrderFactory(buyer=company)
    sold = OrderFactory(seller=company, paid=True)
    OrderFactory()  # someone else's
    assert set(order_list_for_company(company=company)) == {bought, sold}
    assert list(order_list_for_company(company=company, role="buyer")) == [bought]
    assert list(order_list_for_company(company=company, role="seller")) == [sold]
    assert list(order_list_for_company(company=company, status="paid")) == [sold]
    assert list(order_list_for_company(company=company, role="buyer", status="paid")) == []


def test_order_list_for_company_is_newest_first(company):
    first, second = OrderFactory(buyer=company), OrderFactory(buyer=company)
    assert list(order_list_for_company(company=company)) == [second, first]


@pytest.mark.parametrize(("role", "status"), [("owner", None), (None, "lost")])
def test_order_list_for_company_refuses_unknown_filters(company, role, status):
    with pytest.raises(ValueError):
        order_list_for_company(company=company, role=role, status=status)


def test_order_list_for_company_queries_do_not_grow_with_orders(
    company, django_assert_max_num_queries
):
    for _ in range(5):
        OrderFactory(buyer=company)
    with django_assert_max_num_queries(1):
        names = [
            (o.buyer.display_name, o.seller.display_name)
            for o in order_list_for_company(company=company)
        ]
    assert len(names) == 5


def test_order_get_for_company_for_either_party_with_everything_loaded(
    company, django_assert_num_queries
):
    order = OrderFactory(seller=company, shipped=True)
    with django_assert_num_queries(3):  # the order with parties and shipment, lines, events
        got = order_get_for_company(company=company, order_id=str(order.pk))
        assert got.shipment.carrier == "Maersk"
        assert [line.quantity for line in got.lines.all()] == [100]
        assert [e.to_status for e in got.events.all()] == ["placed", "confirmed", "paid", "shipped"]
    assert order_get_for_company(company=order.buyer, order_id=order.pk) == order


@pytest.mark.parametrize("order_id", ["abc", None, 987654])
def test_order_get_for_company_of_a_missing_order_is_not_found(company, order_id):
    with pytest.raises(NotFound):
        order_get_for_company(company=company, order_id=order_id)


def test_order_get_for_company_of_another_companys_order_is_not_found(company):
    order = OrderFactory()
    with pytest.raises(NotFound):
        order_get_for_company(company=company, order_id=order.pk)


def test_cart_for_company(listing, buyer, buyer_user):
    assert cart_for_company(company=buyer) is None
    cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=100)
    cart = cart_for_company(company=buyer)
    assert [(line.listing.title, line.quantity) for line in cart.lines.all()] == [
        ("Hex bolts M8", 100)
    ]
