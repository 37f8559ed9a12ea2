import importlib

import pytest
from django.apps import apps

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, seller_member
from tests.quotes.factories import rfq_open


@pytest.fixture
def fx_rates(db):
    """The sample FX, duty and import-tax rates (as tests/orders/conftest.py)."""
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    if not apps.get_model("trade", "DutyRate").objects.exists():
        samples = importlib.import_module(
            "marketplace.trade.migrations.0003_sample_landed_cost_rates"
        )
        samples.load_samples(apps, None)


@pytest.fixture
def buyer_pair(db):
    return buyer_member(legal_name="Rheinland Import GmbH", country="DE")


@pytest.fixture
def buyer(buyer_pair):
    return buyer_pair[0]


@pytest.fixture
def buyer_user(buyer_pair):
    return buyer_pair[1]


def _seller_with_listing(name: str):
    """A verified seller with a published listing in the RFQ's category (so it sees it)."""
    company, user = seller_member(legal_name=name, country="CN")
    ListingFactory(seller=company, published=True, stock=20_000, incoterms=["EXW", "FOB", "CIF"])
    return company, user


@pytest.fixture
def seller_pair(db):
    return _seller_with_listing("Ningbo Fasteners Co., Ltd.")


@pytest.fixture
def seller(seller_pair):
    return seller_pair[0]


@pytest.fixture
def seller_user(seller_pair):
    return seller_pair[1]


@pytest.fixture
def seller2_pair(db):
    return _seller_with_listing("Zhejiang Bolt Works Ltd.")


@pytest.fixture
def listing(seller):
    return seller.listings.get()


@pytest.fixture
def rfq(buyer, fx_rates):
    return rfq_open(buyer=buyer)
