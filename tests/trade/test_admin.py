from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from marketplace.trade.models import FxRate, HSCode
from tests.factories import admin_login


@pytest.fixture
def superuser_client(client, db):
    admin = get_user_model().objects.create_superuser(email="admin@example.com", password="x" * 12)
    admin_login(client, admin)
    return client


def test_hs_code_admin_searches_code_and_description(superuser_client, hs_fallback):
    by_words = superuser_client.get("/admin/trade/hscode/", {"q": "smartphones"})
    by_level = superuser_client.get("/admin/trade/hscode/", {"level__exact": "2"})

    assert by_words.status_code == 200
    assert [h.code for h in by_words.context["cl"].result_list] == ["8517", "851713"]
    assert len(by_level.context["cl"].result_list) == 16


def test_hs_code_admin_is_read_only(superuser_client, hs_fallback):
    response = superuser_client.post(
        "/admin/trade/hscode/add/",
        {"code": "090190", "description": "x", "level": 6, "section": "II"},
    )

    assert response.status_code == 403
    assert HSCode.objects.count() == 67


def test_fx_rate_admin_adds_a_rate(superuser_client):
    response = superuser_client.post(
        "/admin/trade/fxrate/add/",
        {"base": "USD", "quote": "EUR", "rate": "0.8650", "as_of": "2026-11-20", "source": "Desk"},
    )

    assert response.status_code == 302
    assert list(FxRate.objects.values_list("base", "quote", "rate", "source")) == [
        ("USD", "EUR", Decimal("0.86500000"), "Desk")
    ]


def test_fx_rate_admin_refuses_a_non_positive_rate(superuser_client):
    response = superuser_client.post(
        "/admin/trade/fxrate/add/",
        {"base": "USD", "quote": "EUR", "rate": "0", "as_of": "2026-11-20", "source": "Desk"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert FxRate.objects.count() == 0


def test_fx_rate_admin_list_filters_by_quote(superuser_client):
    FxRate.objects.create(base="USD", quote="EUR", rate=Decimal("0.86"), as_of="2026-11-20")
    FxRate.objects.create(base="USD", quote="JPY", rate=Decimal("155.2"), as_of="2026-11-20")

    response = superuser_client.get("/admin/trade/fxrate/", {"quote__exact": "JPY"})

    assert response.status_code == 200
    assert [r.quote for r in response.context["cl"].result_list] == ["JPY"]
