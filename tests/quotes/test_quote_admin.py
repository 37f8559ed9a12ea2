"""Quotes in the admin: staff with the view permissions read them (lines and events), filter
by status, and change nothing. (The support group does not hold them yet: adding them to
STAFF_GROUPS needs a staff-groups data migration, left to the merge.)"""

import pytest

from orders.quotes.models import Quote
from tests.factories import admin_login, staff_user
from tests.quotes.factories import submit

pytestmark = pytest.mark.django_db


def test_support_reads_a_quote_with_its_lines_and_events(client, rfq, seller_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    admin_login(
        client,
        staff_user(
            "support",
            permissions=("orders.view_quote", "orders.view_quoteline", "orders.view_quoteevent"),
        ),
    )

    listing = client.get("/admin/orders/quote/?status__exact=submitted")
    detail = client.get(f"/admin/orders/quote/{quote.pk}/change/")

    assert listing.status_code == 200 and quote.number in listing.content.decode()
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Hex bolt M8 x 40, A2-70, DIN 933" in text and "submitted" in text
    assert client.get("/admin/orders/quote/add/").status_code == 403
    response = client.post(f"/admin/orders/quote/{quote.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Quote.objects.count() == 1


def test_staff_without_the_permission_do_not_see_quotes(client, rfq, seller_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    admin_login(client, staff_user("verification"))

    assert client.get(f"/admin/orders/quote/{quote.pk}/change/").status_code == 403
