import pytest

from marketplace.demo.listings import ListingSeedReport

# Only this module seeds the demo catalogue (45 listings with photos, a few seconds a run);
# the other demo tests are about logins, companies, HS codes and FX rates.
CATALOGUE_MODULES = frozenset({"tests.demo.test_seed_demo_listings"})


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """The demo photos land in a folder of their own per test."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _without_catalogue_unless_asked(request, monkeypatch):
    if request.module.__name__ not in CATALOGUE_MODULES:
        monkeypatch.setattr(
            "marketplace.demo.services.demo_listings_seed",
            lambda **kwargs: ListingSeedReport(),
        )
