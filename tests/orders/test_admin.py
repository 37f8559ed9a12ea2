import pytest
from django.urls import reverse

from tests.factories import UserFactory, admin_login
from tests.orders.factories import OrderFactory


@pytest.fixture
def admin_client(client, db):
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_order_list_filters_and_searches(admin_client):
    paid = OrderFactory(paid=True, buyer__legal_name="Rheinland Import GmbH")
    placed = OrderFactory(seller__legal_name="Naniwa Precision Tools Co., Ltd.")
    url = reverse("admin:orders_order_changelist")

    body = admin_client.get(url, {"status__exact": "paid"}).content.decode()
    assert paid.number in body and placed.number not in body

    body = admin_client.get(url, {"q": "Naniwa"}).content.decode()
    assert placed.number in body and paid.number not in body

    body = admin_client.get(url, {"q": paid.number}).content.decode()
    assert paid.number in body and placed.number not in body

    body = admin_client.get(url, {"seller__id__exact": placed.seller_id}).content.decode()
    assert placed.number in body and paid.number not in body


def test_admin_order_page_is_read_only_with_lines_events_and_shipment(admin_client):
    order = OrderFactory(shipped=True)
    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "USD 123.60" in body  # total charged
    assert "USD 120.00" in body  # the line total
    assert "MAEU1234567" in body  # the shipment
    assert body.count("placed") >= 1 and "shipped" in body  # the event trail
    assert 'name="_save"' not in body  # nothing to save: read-only
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    delete = admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]))
    assert delete.status_code == 403
