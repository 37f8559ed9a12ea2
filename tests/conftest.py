import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (throttles, rate limits) in its own key space."""
    from django.core.cache import cache

    cache.clear()
    yield
