import importlib

import pytest
from django.apps import apps

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from tests.factories import MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, seller_member


@pytest.fixture
def fx_rates(db):
    """The sample FX rates (USD/EUR 0.8650, ...): the EU de minimis is in EUR; and the sample
    duty rates, import taxes and customs regimes of trade migration 0003, put back if a
    transactional test elsewhere flushed them."""
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    if not apps.get_model("trade", "DutyRate").objects.exists():
        samples = importlib.import_module(
            "marketplace.trade.migrations.0003_sample_landed_cost_rates"
        )
        samples.load_samples(apps, None)


@pytest.fixture
def seller_pair(db):
    return seller_member(legal_name="Ningbo Fasteners Co., Ltd.", country="CN")


@pytest.fixture
def seller(seller_pair):
    return seller_pair[0]


@pytest.fixture
def seller_user(seller_pair):
    return seller_pair[1]


@pytest.fixture
def buyer_pair(db):
    return buyer_member(legal_name="Rheinland Import GmbH", country="DE")


@pytest.fixture
def buyer(buyer_pair):
    return buyer_pair[0]


@pytest.fixture
def buyer_user(buyer_pair):
    return buyer_pair[1]


@pytest.fixture
def outsider(db):
    """A user who belongs to neither party."""
    return MembershipFactory(user=UserFactory(email="outsider@example.test")).user


@pytest.fixture
def listing(seller, fx_rates):
    """Published, USD, MOQ 100 at 1.2000, 1,000+ at 1.0500, 10,000 in stock, EXW/FOB/CIF/DAP."""
    return ListingFactory(
        seller=seller,
        published=True,
        title="Hex bolts M8",
        moq=100,
        stock=10_000,
        incoterms=["EXW", "FOB", "CIF", "DAP"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
