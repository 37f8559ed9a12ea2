"""The RFQ admin: read-only, escaped, and the action that cancels abusive RFQs with a reason."""

import pytest
from django.urls import reverse

from tests.factories import admin_login, staff_user
from tests.rfqs.factories import RFQFactory

pytestmark = pytest.mark.django_db
PERMISSIONS = ("orders.view_rfq", "orders.change_rfq")


def test_the_list_and_the_page_escape_what_buyers_wrote(client):
    rfq = RFQFactory(title="<script>alert(1)</script> bolts")
    admin_login(client, staff_user(permissions=PERMISSIONS))

    listing = client.get(reverse("admin:orders_rfq_changelist") + "?status__exact=open")
    page = client.get(reverse("admin:orders_rfq_change", args=[rfq.pk]))

    for response in (listing, page):
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; bolts" in html


def test_staff_cancel_abusive_rfqs_with_a_reason(client):
    spam = RFQFactory(title="Cheap watches!!!")
    closed = RFQFactory(status="closed")
    admin_login(client, staff_user(permissions=PERMISSIONS))
    url = reverse("admin:orders_rfq_changelist")
    selected = {"action": "cancel_abusive", "_selected_action": [spam.pk, closed.pk]}

    asked = client.post(url, selected)
    no_reason = client.post(url, {**selected, "apply": "1", "reason": ""})
    done = client.post(url, {**selected, "apply": "1", "reason": "Spam"}, follow=True)

    assert asked.status_code == 200 and "Cancel these RFQs" in asked.content.decode()
    assert no_reason.status_code == 200 and "This field is required." in no_reason.content.decode()
    spam.refresh_from_db()
    closed.refresh_from_db()
    assert spam.status == "cancelled" and closed.status == "closed"
    assert spam.events.last().note == "Cancelled by staff: Spam"
    html = done.content.decode()
    assert "1 RFQ(s) cancelled." in html
    assert f"RFQ {closed.pk} was not cancelled" in html


def test_staff_without_the_permission_have_no_cancel_action(client):
    rfq = RFQFactory()
    admin_login(client, staff_user(permissions=("orders.view_rfq",)))

    response = client.post(
        reverse("admin:orders_rfq_changelist"),
        {"action": "cancel_abusive", "_selected_action": [rfq.pk], "apply": "1", "reason": "x"},
    )

    rfq.refresh_from_db()
    assert rfq.status == "open"
    assert response.status_code in (200, 302)
