import pytest

from tests.factories import CompanyFactory, UserFactory
from tests.orders.factories import OrderFactory


@pytest.fixture
def seller(db):
    return CompanyFactory(seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.")


@pytest.fixture
def order(seller):
    """A paid USD order: goods 120.00 + fee 3.60 = total 123.60."""
    return OrderFactory(paid=True, seller=seller, number="ORD-LEDGER-0001")


@pytest.fixture
def jpy_order(seller):
    """A paid JPY order: total ¥51,500 of which ¥1,500 fee."""
    return OrderFactory(
        paid=True,
        seller=seller,
        number="ORD-LEDGER-0002",
        currency="JPY",
        goods_minor=50000,
        platform_fee_minor=1500,
        total_minor=51500,
    )


@pytest.fixture
def staff_user(db):
    return UserFactory(email="finance@platform.example", is_staff=True, is_superuser=True)
