import pytest

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.factories import staff_user as staff_in
from tests.listings.factories import categories_ensure, hs_code_ensure


@pytest.fixture(autouse=True)
def _categories(request):
    """Tests with the database see the seeded categories, even after a flushing test ran."""
    if "_django_db_helper" in request.fixturenames:
        categories_ensure()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded photos land in a folder of their own per test: as uploaded in the private one,
    their public copies in MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"


@pytest.fixture
def hs_codes(db):
    """The built-in HS slice (731815 screws and bolts, 090111 coffee, 851712 phones, ...)."""
    hs_code_ensure()


@pytest.fixture
def fx_rates(db):
    """The sample FX rates (USD/EUR 0.8650, USD/JPY 155.20, USD/CNY 7.1100, ...)."""
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)


@pytest.fixture
def seller(db):
    return CompanyFactory(seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.")


@pytest.fixture
def seller_user(seller):
    return MembershipFactory(company=seller, user=UserFactory(email="owner@ningbo.test")).user


@pytest.fixture
def staff_user(db):
    return staff_in("moderators", email="moderator@platform.test")
